; id: rs/unwrap
; severity: warning
; message: `.unwrap()`/`.expect()` panics on None/Err; propagate the error with `?` or handle it
; rationale: A panic in library or service code takes the whole process down on input it could have reported.
; example: let config = std::fs::read_to_string(path).unwrap();

(call_expression
  function: (field_expression
    field: (field_identifier) @_method)
  (#any-of? @_method "unwrap" "expect")) @finding
