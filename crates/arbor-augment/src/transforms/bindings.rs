//! Which names Python code binds, and where: the analysis the renaming transforms and
//! reorder-statements share.

use arbor_syntax::node::{descendants, kind_is, named_children};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::ParsedFile;

/// Nodes that open a new scope for names.
pub(crate) const SCOPES: &[&str] = &[
    "function_definition",
    "lambda",
    "class_definition",
    "list_comprehension",
    "set_comprehension",
    "dictionary_comprehension",
    "generator_expression",
];

/// Calls that read or write variables by their names.
const DYNAMIC: &[&str] = &["eval", "exec", "locals", "vars", "globals", "__import__"];

/// The identifiers a binding target binds (`a`, `a, b`, `(a, [b, *c])`); attributes and
/// subscripts bind nothing.
pub(crate) fn target_names<'t>(node: Node<'t>, out: &mut Vec<Node<'t>>) {
    // An explicit stack: targets may nest as deep as the parser allows.
    let mut stack = vec![node];
    let mut found = Vec::new();
    while let Some(node) = stack.pop() {
        match node.kind() {
            "identifier" => found.push(node),
            "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "list_splat_pattern"
            | "parenthesized_expression"
            | "tuple"
            | "list"
            | "expression_list" => {
                stack.extend(named_children(node));
            }
            _ => {}
        }
    }
    found.sort_by_key(|n| n.start_byte());
    out.extend(found);
}

/// The names bound directly in a scope's body (not in scopes nested in it): assignment, for,
/// with/except `as`, walrus, import, def and class targets.
pub(crate) fn bindings<'t, 's>(
    body: Node<'t>,
    out: &mut Vec<Node<'t>>,
    imports: &mut Vec<&'s str>,
    file: &'s ParsedFile,
) {
    let mut stack = named_children(body);
    while let Some(node) = stack.pop() {
        match node.kind() {
            "assignment" | "augmented_assignment" => {
                if let Some(left) = node.child_by_field_name("left") {
                    target_names(left, out);
                }
            }
            "for_statement" | "for_in_clause" => {
                if let Some(left) = node.child_by_field_name("left") {
                    target_names(left, out);
                }
            }
            "as_pattern" => {
                if let Some(alias) = node.child_by_field_name("alias") {
                    for n in descendants(alias) {
                        if n.kind() == "identifier" {
                            out.push(n);
                        }
                    }
                }
            }
            "named_expression" => {
                if let Some(name) = node.child_by_field_name("name") {
                    out.push(name);
                }
            }
            "import_statement" | "import_from_statement" | "future_import_statement" => {
                for n in descendants(node) {
                    if n.kind() == "identifier" {
                        imports.push(file.text(n));
                    }
                }
                continue;
            }
            "function_definition" | "class_definition" => {
                if let Some(name) = node.child_by_field_name("name") {
                    imports.push(file.text(name));
                }
                continue;
            }
            _ => {}
        }
        if kind_is(node, SCOPES) {
            continue;
        }
        stack.extend(named_children(node));
    }
}

/// Whether an identifier node is a use or binding of a variable (not an attribute name or a
/// keyword argument's name). `parent` is its parent (from a [`TreeIndex`]: asking tree-sitter
/// walks down from the root).
pub(crate) fn is_variable(node: Node<'_>, parent: Option<Node<'_>>) -> bool {
    let Some(parent) = parent else {
        return true;
    };
    match parent.kind() {
        "attribute" => parent.child_by_field_name("attribute") != Some(node),
        "keyword_argument" => parent.child_by_field_name("name") != Some(node),
        _ => true,
    }
}

/// Whether a node makes the names of its scope dynamic: a call of eval/exec/locals/…, f-string
/// `=` debugging (which prints the names), or a `match` statement (whose patterns bind names).
pub(crate) fn is_dynamic_node(n: Node<'_>, file: &ParsedFile) -> bool {
    match n.kind() {
        "call" => n
            .child_by_field_name("function")
            .is_some_and(|f| DYNAMIC.contains(&file.text(f))),
        "interpolation" => {
            let t = file.text(n);
            t.contains("=}") || t.contains("=!") || t.contains("=:")
        }
        "match_statement" => true,
        _ => false,
    }
}

/// Whether the subtree calls eval/exec/locals/…, uses f-string `=` debugging, or has a `match`
/// statement (see [`is_dynamic_node`]).
pub(crate) fn is_dynamic(node: Node<'_>, file: &ParsedFile) -> bool {
    descendants(node)
        .into_iter()
        .any(|n| is_dynamic_node(n, file))
}
