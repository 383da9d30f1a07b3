; Arbor complexity metrics for Rust: @branch nodes add one to a function's cyclomatic
; complexity; @nest nodes open a nesting level (an `else if` does not).

[(if_expression) (while_expression) (for_expression) (match_arm)] @branch
(binary_expression operator: ["&&" "||"]) @branch

[(if_expression) (while_expression) (for_expression) (loop_expression) (match_expression)] @nest
