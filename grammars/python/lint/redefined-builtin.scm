; id: py/redefined-builtin
; severity: warning
; message: this name shadows a Python built-in
; rationale: Shadowing `list`, `id` or `input` breaks later uses of the built-in in the same scope, often far away. Like ruff's A001 and A002, every name Python binds counts (assignment and loop targets, tuple unpacking, `with`/`except … as`, `:=`, comprehension variables, definitions, parameters, `*args`/`**kwargs`) against the whole `builtins` module of Python 3.12 (exceptions, `copyright`, `exit`, `anext`…; not `__doc__`, `__name__` and the other module dunders). Not flagged: attributes and methods set in a class body (they do not shadow: ruff's A003), lambda parameters (A006), parameters of `@overload`/`@override` functions, imports (A004), `match` captures.
; example: def parse(list, input):

; The predicate (crates/arbor-lint/src/rules/python.rs, `shadows_builtin`) drops the bindings
; that do not shadow: class-body assignments and methods, lambda and overload parameters.
([
  (function_definition name: (identifier) @finding)
  (class_definition name: (identifier) @finding)
  (parameters (identifier) @finding)
  (default_parameter name: (identifier) @finding)
  (typed_parameter . (identifier) @finding)
  (typed_default_parameter name: (identifier) @finding)
  (list_splat_pattern (identifier) @finding)
  (dictionary_splat_pattern (identifier) @finding)
  (assignment left: (identifier) @finding)
  (augmented_assignment left: (identifier) @finding)
  (pattern_list (identifier) @finding)
  (tuple_pattern (identifier) @finding)
  (list_pattern (identifier) @finding)
  (for_statement left: (identifier) @finding)
  (for_in_clause left: (identifier) @finding)
  (as_pattern_target (identifier) @finding)
  (as_pattern_target [(tuple (identifier) @finding) (list (identifier) @finding)])
  (named_expression name: (identifier) @finding)
  (type_alias_statement left: (type (identifier) @finding))
 ]
  (#any-of? @finding
    "ArithmeticError" "AssertionError" "AttributeError" "BaseException" "BaseExceptionGroup"
    "BlockingIOError" "BrokenPipeError" "BufferError" "BytesWarning" "ChildProcessError"
    "ConnectionAbortedError" "ConnectionError" "ConnectionRefusedError" "ConnectionResetError"
    "DeprecationWarning" "EOFError" "Ellipsis" "EncodingWarning" "EnvironmentError" "Exception"
    "ExceptionGroup" "FileExistsError" "FileNotFoundError" "FloatingPointError" "FutureWarning"
    "GeneratorExit" "IOError" "ImportError" "ImportWarning" "IndentationError" "IndexError"
    "InterruptedError" "IsADirectoryError" "KeyError" "KeyboardInterrupt" "LookupError"
    "MemoryError" "ModuleNotFoundError" "NameError" "NotADirectoryError" "NotImplemented"
    "NotImplementedError" "OSError" "OverflowError" "PendingDeprecationWarning" "PermissionError"
    "ProcessLookupError" "RecursionError" "ReferenceError" "ResourceWarning" "RuntimeError"
    "RuntimeWarning" "StopAsyncIteration" "StopIteration" "SyntaxError" "SyntaxWarning"
    "SystemError" "SystemExit" "TabError" "TimeoutError" "TypeError" "UnboundLocalError"
    "UnicodeDecodeError" "UnicodeEncodeError" "UnicodeError" "UnicodeTranslateError"
    "UnicodeWarning" "UserWarning" "ValueError" "Warning" "ZeroDivisionError" "__build_class__"
    "__import__" "abs" "aiter" "all" "anext" "any" "ascii" "bin" "bool" "breakpoint" "bytearray"
    "bytes" "callable" "chr" "classmethod" "compile" "complex" "copyright" "credits" "delattr"
    "dict" "dir" "divmod" "enumerate" "eval" "exec" "exit" "filter" "float" "format" "frozenset"
    "getattr" "globals" "hasattr" "hash" "help" "hex" "id" "input" "int" "isinstance" "issubclass"
    "iter" "len" "license" "list" "locals" "map" "max" "memoryview" "min" "next" "object" "oct"
    "open" "ord" "pow" "print" "property" "quit" "range" "repr" "reversed" "round" "set" "setattr"
    "slice" "sorted" "staticmethod" "str" "sum" "super" "tuple" "type" "vars" "zip"))
