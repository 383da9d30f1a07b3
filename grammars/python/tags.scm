; Arbor symbol definitions for Python.
;
; Each pattern marks a definition node with @definition.<kind> and its name with @name.
; A decorated definition is matched twice (with and without its decorators); the widest
; definition of a name wins, so decorators belong to the symbol's range.
; A function defined directly in a class body becomes a method of it (see symbols.rs).

(function_definition name: (identifier) @name) @definition.function
(decorated_definition definition: (function_definition name: (identifier) @name)) @definition.function

(class_definition name: (identifier) @name) @definition.class
(decorated_definition definition: (class_definition name: (identifier) @name)) @definition.class

; UPPER_CASE names assigned at module or class level are constants by convention.
(module
  (expression_statement
    (assignment left: (identifier) @name) @definition.constant)
  (#match? @name "^_*[A-Z][A-Z0-9_]*$"))
(class_definition
  body: (block
    (expression_statement
      (assignment left: (identifier) @name) @definition.constant))
  (#match? @name "^_*[A-Z][A-Z0-9_]*$"))
