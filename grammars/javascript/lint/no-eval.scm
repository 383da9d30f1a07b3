; id: js/no-eval
; severity: warning
; message: `eval` runs arbitrary code; parse the data instead (JSON.parse)
; rationale: Code built from strings is a code-injection risk and defeats every static check.
; example: const value = eval(text);

(call_expression
  function: (identifier) @_name
  (#eq? @_name "eval")) @finding
