; id: js/no-var
; severity: warning
; message: use `let` or `const` instead of `var`
; rationale: `var` is function-scoped and hoisted, so it leaks out of blocks and loops.
; example: var total = 0;

(variable_declaration "var" @finding)
