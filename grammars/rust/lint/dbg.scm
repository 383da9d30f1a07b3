; id: rs/dbg
; severity: warning
; message: `dbg!()` left in code
; rationale: Debug output on stderr left behind after debugging.
; example: let x = dbg!(compute());

(macro_invocation
  macro: (identifier) @_name
  (#eq? @_name "dbg")) @finding

; In a macro's arguments (`vec![dbg!(x)]`), which tree-sitter leaves as tokens: the predicate
; checks for `dbg ! (…)`.
(token_tree
  (identifier) @finding
  (#eq? @finding "dbg"))
