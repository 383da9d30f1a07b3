; id: py/fstring-no-placeholder
; severity: warning
; message: f-string without placeholders; drop the `f` prefix (or add the missing `{}`)
; rationale: Usually a forgotten placeholder; otherwise a needless prefix. As ruff's F541, an implicitly concatenated string (`f"a: " f"{b}"`) is judged whole: its f-pieces are flagged only when none of them has a placeholder.
; example: print(f"done")

; The predicate (crates/arbor-lint/src/rules/python.rs, `has_no_placeholder`) looks at the
; piece and, in a concatenation, at the other pieces.
((string (string_start) @_start) @finding
  (#match? @_start "^[rRbBuU]?[fF]"))
