; id: py/bare-except
; severity: warning
; message: bare `except:` also catches KeyboardInterrupt and SystemExit; name the exceptions (at least `except Exception:`)
; rationale: A bare except swallows Ctrl-C and interpreter shutdown along with real errors, and hides bugs. A handler whose body re-raises (a bare `raise` among its statements, as ruff's E722 checks it; one nested in an `if` does not count) lets them through and is not flagged.
; example: try:
; example:     risky()
; example: except:
; example:     pass

; The predicate (crates/arbor-lint/src/rules/python.rs, `does_not_reraise`) drops the handlers
; whose body has a bare `raise` statement.
(except_clause . ":" ) @finding
