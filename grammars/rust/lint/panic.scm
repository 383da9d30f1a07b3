; id: rs/panic
; severity: warning
; message: `panic!` in library code; return an error instead
; rationale: Callers of a library cannot recover from a panic; binaries, tests and examples may panic.
; example: panic!("unexpected state");

(macro_invocation
  macro: (identifier) @_name
  (#eq? @_name "panic")) @finding
