; id: rs/unwrap
; severity: warning
; message: `.unwrap()`/`.expect()` panics on None/Err; propagate the error with `?` or handle it
; rationale: A panic in library or service code takes the whole process down on input it could have reported. Test code (#[test], #[cfg(test)], tests/, benches/, examples/) is left alone. Unlike clippy's unwrap_used/expect_used, which know types, any method of these names is reported (also on `Result<_, Infallible>`).
; example: let config = std::fs::read_to_string(path).unwrap();

(call_expression
  function: (field_expression
    field: (field_identifier) @_method)
  (#any-of? @_method "unwrap" "expect")) @finding

; In a macro's arguments (`assert_eq!(x.unwrap(), 1)`), which tree-sitter leaves as tokens: the
; predicate checks for `. unwrap (…)`.
(token_tree
  (identifier) @finding
  (#any-of? @finding "unwrap" "expect"))
