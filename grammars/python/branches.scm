; Arbor complexity metrics for Python: @branch nodes add one to a function's cyclomatic
; complexity; @nest nodes open a nesting level.

[(if_statement) (elif_clause) (for_statement) (while_statement) (except_clause)
 (conditional_expression) (boolean_operator) (for_in_clause) (if_clause) (case_clause)] @branch

[(if_statement) (for_statement) (while_statement) (try_statement) (with_statement)
 (match_statement)] @nest
