; Arbor symbol definitions for Rust.
;
; Each pattern marks a definition node with @definition.<kind> and its name with @name.
; Kinds: function method class struct enum trait impl module constant macro type.
; When several patterns match one definition node, the first pattern in this file wins;
; when several definitions share one name node, the widest definition wins.
; A function nested directly in an impl or trait becomes a method of it (see symbols.rs).

(function_item name: (identifier) @name) @definition.function
(function_signature_item name: (identifier) @name) @definition.function

(struct_item name: (type_identifier) @name) @definition.struct
(union_item name: (type_identifier) @name) @definition.struct
(enum_item name: (type_identifier) @name) @definition.enum
(trait_item name: (type_identifier) @name) @definition.trait
(type_item name: (type_identifier) @name) @definition.type

; `impl Type`, `impl<T> Trait for Type<T>`, `impl path::Type`: the name is the type's own name.
(impl_item type: (type_identifier) @name) @definition.impl
(impl_item type: (generic_type type: (type_identifier) @name)) @definition.impl
(impl_item type: (scoped_type_identifier name: (type_identifier) @name)) @definition.impl
(impl_item type: (generic_type type: (scoped_type_identifier name: (type_identifier) @name))) @definition.impl
; Anything else (`impl Trait for &str`, `impl<T> Trait for [T]`): the type as written.
(impl_item type: (_) @name) @definition.impl

(mod_item name: (identifier) @name) @definition.module

(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.constant

(macro_definition name: (identifier) @name) @definition.macro
