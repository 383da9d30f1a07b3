; id: py/mutable-default
; severity: warning
; message: mutable default argument is shared between calls; default to None and create it in the body
; rationale: Defaults are evaluated once, at definition time: appending to a default list leaks state across calls.
; example: def add(item, items=[]):

(default_parameter
  value: [(list) (dictionary) (set) (list_comprehension) (dictionary_comprehension) (set_comprehension)] @finding)
(typed_default_parameter
  value: [(list) (dictionary) (set) (list_comprehension) (dictionary_comprehension) (set_comprehension)] @finding)
(default_parameter
  value: (call function: (identifier) @_ctor (#any-of? @_ctor "list" "dict" "set" "defaultdict" "bytearray")) @finding)
(typed_default_parameter
  value: (call function: (identifier) @_ctor (#any-of? @_ctor "list" "dict" "set" "defaultdict" "bytearray")) @finding)
