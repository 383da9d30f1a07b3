; id: all/todo-comment
; severity: info
; message: TODO/FIXME comment: track the work in an issue or do it
; rationale: Notes left in code are easy to forget; listing them keeps them visible in review.
; example: // TODO: handle the empty case

([(line_comment) (block_comment)] @finding
  (#match? @finding "\\b(TODO|FIXME|XXX)\\b"))
