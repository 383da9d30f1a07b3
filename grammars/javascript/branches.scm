; Arbor complexity metrics for JavaScript: @branch nodes add one to a function's cyclomatic
; complexity; @nest nodes open a nesting level (an `else if` does not).

[(if_statement) (for_statement) (for_in_statement) (while_statement) (do_statement)
 (catch_clause) (ternary_expression) (switch_case)] @branch
(binary_expression operator: ["&&" "||" "??"]) @branch

[(if_statement) (for_statement) (for_in_statement) (while_statement) (do_statement)
 (try_statement) (switch_statement)] @nest
