; id: js/eqeqeq
; severity: warning
; message: use `===` / `!==`: `==` and `!=` convert types before comparing
; rationale: Loose equality has surprising conversions (`"" == 0`, `"0" == false`). Comparisons with `null` are allowed, where `== null` deliberately matches undefined too; so are those with `undefined`, the same test spelled differently (ESLint's `null: "ignore"` flags them).
; example: if (count == "0") {

(binary_expression
  left: (_) @_left
  operator: ["==" "!="] @finding
  right: (_) @_right)
