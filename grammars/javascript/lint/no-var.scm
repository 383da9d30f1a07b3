; id: js/no-var
; severity: warning
; message: use `let` or `const` instead of `var`
; rationale: `var` is function-scoped and hoisted, so it leaks out of blocks and loops. Loop headers count too (`for (var key in object)`, `for (var item of list)`).
; example: var total = 0;

(variable_declaration "var" @finding)

(for_in_statement kind: "var" @finding)
