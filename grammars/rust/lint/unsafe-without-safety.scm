; id: rs/unsafe-without-safety
; severity: warning
; message: `unsafe` block or impl without a `// SAFETY:` comment explaining why it is sound
; rationale: The invariants unsafe code relies on must be written down where reviewers can check them. As clippy's undocumented_unsafe_blocks (1.95): `SAFETY:` in any letter case, in the run of `//` comments, a comment after code, or a block comment on the lines right above the block's line or above its statement (not on the block's own line, not above the function), also for `unsafe impl` (above its attributes) and in `macro_rules!` bodies. Unlike clippy, which sees only the code compiled for one target and feature set, cfg'd-out code and macros never expanded are checked too.
; example: unsafe { ptr.read() }

(unsafe_block) @finding

(impl_item "unsafe" trait: (_)) @finding

; `unsafe {` among a macro's tokens (`macro_rules!` bodies, macro arguments); the predicate
; checks that a `{` token tree follows.
(token_tree "unsafe" @finding)
