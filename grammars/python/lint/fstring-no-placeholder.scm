; id: py/fstring-no-placeholder
; severity: warning
; message: f-string without placeholders; drop the `f` prefix (or add the missing `{}`)
; rationale: Usually a forgotten placeholder; otherwise a needless prefix.
; example: print(f"done")

((string (string_start) @_start) @finding
  (#match? @_start "^[rRbBuU]?[fF]"))
