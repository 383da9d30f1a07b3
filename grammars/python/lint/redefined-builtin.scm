; id: py/redefined-builtin
; severity: warning
; message: this name shadows a Python built-in
; rationale: Shadowing `list`, `id` or `input` breaks later uses of the built-in in the same scope, often far away.
; example: def parse(list, input):

(function_definition
  name: (identifier) @finding
  (#any-of? @finding "abs" "all" "any" "bin" "bool" "bytes" "callable" "chr" "compile" "dict" "dir" "divmod" "enumerate" "eval" "exec" "filter" "float" "format" "frozenset" "getattr" "globals" "hasattr" "hash" "help" "hex" "id" "input" "int" "isinstance" "issubclass" "iter" "len" "list" "locals" "map" "max" "min" "next" "object" "oct" "open" "ord" "pow" "print" "range" "repr" "reversed" "round" "set" "setattr" "slice" "sorted" "str" "sum" "super" "tuple" "type" "vars" "zip"))
(parameters
  [(identifier) @finding
   (default_parameter name: (identifier) @finding)
   (typed_parameter . (identifier) @finding)
   (typed_default_parameter name: (identifier) @finding)]
  (#any-of? @finding "abs" "all" "any" "bin" "bool" "bytes" "callable" "chr" "compile" "dict" "dir" "divmod" "enumerate" "eval" "exec" "filter" "float" "format" "frozenset" "getattr" "globals" "hasattr" "hash" "help" "hex" "id" "input" "int" "isinstance" "issubclass" "iter" "len" "list" "locals" "map" "max" "min" "next" "object" "oct" "open" "ord" "pow" "print" "range" "repr" "reversed" "round" "set" "setattr" "slice" "sorted" "str" "sum" "super" "tuple" "type" "vars" "zip"))
(assignment
  left: (identifier) @finding
  (#any-of? @finding "abs" "all" "any" "bin" "bool" "bytes" "callable" "chr" "compile" "dict" "dir" "divmod" "enumerate" "eval" "exec" "filter" "float" "format" "frozenset" "getattr" "globals" "hasattr" "hash" "help" "hex" "id" "input" "int" "isinstance" "issubclass" "iter" "len" "list" "locals" "map" "max" "min" "next" "object" "oct" "open" "ord" "pow" "print" "range" "repr" "reversed" "round" "set" "setattr" "slice" "sorted" "str" "sum" "super" "tuple" "type" "vars" "zip"))
(for_statement
  left: (identifier) @finding
  (#any-of? @finding "abs" "all" "any" "bin" "bool" "bytes" "callable" "chr" "compile" "dict" "dir" "divmod" "enumerate" "eval" "exec" "filter" "float" "format" "frozenset" "getattr" "globals" "hasattr" "hash" "help" "hex" "id" "input" "int" "isinstance" "issubclass" "iter" "len" "list" "locals" "map" "max" "min" "next" "object" "oct" "open" "ord" "pow" "print" "range" "repr" "reversed" "round" "set" "setattr" "slice" "sorted" "str" "sum" "super" "tuple" "type" "vars" "zip"))
