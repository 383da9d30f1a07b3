; id: py/except-pass
; severity: warning
; message: `except: pass` (or `except Exception: pass`) silently swallows every error; handle it, log it, or narrow it
; rationale: Errors that are swallowed without a trace turn bugs into silent wrong results. As ruff's S110: a handler of every exception (bare `except:`, `Exception`, `BaseException`, `builtins.Exception`, or a tuple holding one of them) whose body is a lone `pass`; a comment next to the `pass` does not make it handled.
; example: try:
; example:     save()
; example: except Exception:
; example:     pass

; The predicate (crates/arbor-lint/src/rules/python.rs, `swallows_every_error`) checks the
; exception type and that `pass` is the only statement (comments aside).
(except_clause (block (pass_statement))) @finding
