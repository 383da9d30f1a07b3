; id: py/assert-tuple
; severity: error
; message: assert on a tuple is always true; write `assert condition, "message"`
; rationale: A non-empty tuple is truthy, so the assertion can never fail.
; example: assert (x > 0, "x must be positive")

(assert_statement . (tuple (_)) @finding)
(assert_statement . (parenthesized_expression (tuple)) @finding)
