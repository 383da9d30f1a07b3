; id: py/except-pass
; severity: warning
; message: `except Exception: pass` silently swallows every error; handle it, log it, or narrow it
; rationale: Errors that are swallowed without a trace turn bugs into silent wrong results.
; example: try:
; example:     save()
; example: except Exception:
; example:     pass

(except_clause
  value: (identifier) @_type
  (block . (pass_statement) .)
  (#any-of? @_type "Exception" "BaseException")) @finding
(except_clause
  value: (as_pattern (identifier) @_type)
  (block . (pass_statement) .)
  (#any-of? @_type "Exception" "BaseException")) @finding
