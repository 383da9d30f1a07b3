; id: rs/unsafe-without-safety
; severity: warning
; message: `unsafe` block without a `// SAFETY:` comment explaining why it is sound
; rationale: The invariants an unsafe block relies on must be written down where reviewers can check them.
; example: unsafe { ptr.read() }

(unsafe_block) @finding
