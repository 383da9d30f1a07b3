; id: js/empty-catch
; severity: warning
; message: empty `catch` block swallows the error; handle it, log it, or say why with a comment
; rationale: Errors that are swallowed without a trace turn bugs into silent wrong results.
; example: try { save(); } catch (e) {}

(catch_clause
  body: (statement_block) @finding
  (#match? @finding "^\\{\\s*\\}$"))
