; id: rs/todo
; severity: warning
; message: `todo!()`/`unimplemented!()` left in code panics when reached
; rationale: Placeholders compile, so nothing stops them from shipping.
; example: fn parse() -> Ast { todo!() }

(macro_invocation
  macro: (identifier) @_name
  (#any-of? @_name "todo" "unimplemented")) @finding
