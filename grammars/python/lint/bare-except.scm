; id: py/bare-except
; severity: warning
; message: bare `except:` also catches KeyboardInterrupt and SystemExit; name the exceptions (at least `except Exception:`)
; rationale: A bare except swallows Ctrl-C and interpreter shutdown along with real errors, and hides bugs.
; example: try:
; example:     risky()
; example: except:
; example:     pass

(except_clause . ":" ) @finding
