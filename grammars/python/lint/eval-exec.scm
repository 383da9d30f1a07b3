; id: py/eval-exec
; severity: warning
; message: `eval`/`exec` run arbitrary code; parse the data instead (ast.literal_eval, json)
; rationale: Code built from strings is a code-injection risk and defeats every static check.
; example: result = eval(user_input)

(call
  function: (identifier) @_name
  (#any-of? @_name "eval" "exec")) @finding
