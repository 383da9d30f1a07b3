; id: py/none-comparison
; severity: warning
; message: compare with None using `is` / `is not`, not `==` / `!=`
; rationale: `==` calls __eq__, which a class may override; identity is what is meant and is faster.
; example: if value == None:

(comparison_operator (_) ["==" "!="] (none)) @finding
(comparison_operator (none) ["==" "!="] (_)) @finding
