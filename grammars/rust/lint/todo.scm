; id: rs/todo
; severity: warning
; message: `todo!()`/`unimplemented!()` left in code panics when reached
; rationale: Placeholders compile, so nothing stops them from shipping. Unlike clippy's todo/unimplemented, which only look at the outermost macro call, a placeholder in another macro's arguments (`assert_eq!(x, todo!())`, `vec![todo!()]`) is reported too.
; example: fn parse() -> Ast { todo!() }

(macro_invocation
  macro: (identifier) @_name
  (#any-of? @_name "todo" "unimplemented")) @finding

; In a macro's arguments (`assert_eq!(x, todo!())`), which tree-sitter leaves as tokens: the
; predicate checks for `todo ! (…)`.
(token_tree
  (identifier) @finding
  (#any-of? @finding "todo" "unimplemented"))
