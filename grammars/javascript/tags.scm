; Arbor symbol definitions for JavaScript (including JSX and ES/CommonJS modules).
;
; Each pattern marks a definition node with @definition.<kind> and its name with @name.
; An exported declaration is matched twice (with and without `export`); the widest
; definition of a name wins, so `export` belongs to the symbol's range.

(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(export_statement
  declaration: (function_declaration name: (identifier) @name)) @definition.function
(export_statement
  declaration: (generator_function_declaration name: (identifier) @name)) @definition.function

(class_declaration name: (identifier) @name) @definition.class
(export_statement
  declaration: (class_declaration name: (identifier) @name)) @definition.class
; a named class expression (also what error recovery leaves of a broken class declaration)
(class name: (identifier) @name) @definition.class

; class members: methods, getters/setters, and fields holding a function
(method_definition
  name: [(property_identifier) (private_property_identifier)] @name) @definition.method
(field_definition
  property: [(property_identifier) (private_property_identifier)] @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.method

; `const f = () => …`, `let g = function () {…}`, `var C = class {…}` (also when exported)
(variable_declarator
  name: (identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.function
(variable_declarator
  name: (identifier) @name
  value: (class)) @definition.class

; `module.exports.f = function …` and `exports.f = () => …`
(assignment_expression
  left: (member_expression property: (property_identifier) @name)
  right: [(arrow_function) (function_expression)]) @definition.function

; top-level `const UPPER_CASE = …` are constants by convention
(program
  (lexical_declaration
    kind: "const"
    (variable_declarator name: (identifier) @name) @definition.constant)
  (#match? @name "^_*[A-Z][A-Z0-9_]*$"))
(program
  (export_statement
    declaration: (lexical_declaration
      kind: "const"
      (variable_declarator name: (identifier) @name) @definition.constant))
  (#match? @name "^_*[A-Z][A-Z0-9_]*$"))
