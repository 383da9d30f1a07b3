//! reorder-statements: adjacent statements that neither read nor write each other's names,
//! and whose right-hand sides have no side effects, swapped.

use std::collections::HashSet;

use arbor_syntax::node::{descendants, named_children};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::ParsedFile;

use super::bindings::target_names;
use super::common::{binary, swap_independent, DefUse};
use super::Transform;
use crate::engine::{Context, Edit, Skip};
use arbor_syntax::node::unparenthesized;

/// The registry entry.
pub(super) const TRANSFORM: Transform = Transform {
    id: "reorder-statements",
    category: "syntax",
    summary: "swap adjacent statements that neither read nor write each other's names",
    python: Some(python),
    javascript: Some(javascript),
    rust: Some(rust),
};

/// The names an expression reads, or `None` when it may have side effects or read state
/// other than names (calls, attributes, subscripts, await, yield, lambdas…).
fn python_pure_reads(file: &ParsedFile, node: Node<'_>, out: &mut HashSet<String>) -> bool {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "identifier" => {
                out.insert(file.text(node).to_string());
            }
            "integer" | "float" | "string" | "true" | "false" | "none" | "string_content"
            | "string_start" | "string_end" | "escape_sequence" => {}
            "binary_operator"
            | "unary_operator"
            | "comparison_operator"
            | "boolean_operator"
            | "not_operator"
            | "parenthesized_expression"
            | "tuple"
            | "list"
            | "expression_list" => stack.extend(named_children(node)),
            _ => return false,
        }
    }
    true
}

/// For `x = e` / `a, b = e` with pure `e`: (names written, names read).
fn simple_assignment(
    file: &ParsedFile,
    statement: Node<'_>,
) -> Option<(HashSet<String>, HashSet<String>)> {
    if statement.kind() != "expression_statement" || statement.named_child_count() != 1 {
        return None;
    }
    let assignment = statement.named_child(0)?;
    if assignment.kind() != "assignment" {
        return None;
    }
    let left = assignment.child_by_field_name("left")?;
    let right = assignment.child_by_field_name("right")?;
    let mut targets = Vec::new();
    target_names(left, &mut targets);
    let all_names = descendants(left)
        .into_iter()
        .filter(|n| n.kind() == "identifier")
        .count();
    if targets.is_empty() || targets.len() != all_names {
        return None;
    }
    let mut reads = HashSet::new();
    if !python_pure_reads(file, right, &mut reads) {
        return None;
    }
    let writes = targets.iter().map(|t| file.text(*t).to_string()).collect();
    Some((writes, reads))
}

/// reorder-statements: swaps adjacent assignments whose right-hand sides have no side
/// effects and that neither read nor write the other's names.
fn python(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let mut blocks = vec![file.root()];
    blocks.extend(
        descendants(file.root())
            .into_iter()
            .filter(|n| n.kind() == "block"),
    );
    swap_independent(file, ctx, blocks, &|s| simple_assignment(file, s))
}

/// Reads (name, value) of a declaration that binds one name, if it does.
type Declaration = for<'t> fn(Node<'t>) -> Option<(Node<'t>, Node<'t>)>;

/// The node kinds of a brace language that reorder-statements needs.
struct Statements {
    /// The blocks whose statements may be swapped (besides the file's).
    block: &'static str,
    /// A declaration statement, and how to read its (name, value) when it binds one name.
    declaration: (&'static str, Declaration),
    /// Whether a bare name on the right of an assignment moves a value (Rust: the drop order
    /// would change).
    moves: bool,
    /// Leaves that read no name.
    constants: &'static [&'static str],
    /// Expressions that read what their children read.
    transparent: &'static [&'static str],
    /// Casts: they read what their value reads.
    casts: &'static [&'static str],
}

/// JavaScript's statements.
const JAVASCRIPT: Statements = Statements {
    block: "statement_block",
    declaration: ("lexical_declaration", javascript_declaration),
    moves: false,
    constants: &[
        "number",
        "string",
        "string_fragment",
        "escape_sequence",
        "true",
        "false",
        "null",
        "undefined",
    ],
    transparent: &["parenthesized_expression", "array", "ternary_expression"],
    casts: &[],
};

/// Rust's statements.
const RUST: Statements = Statements {
    block: "block",
    declaration: ("let_declaration", rust_declaration),
    moves: true,
    constants: &[
        "escape_sequence",
        "true",
        "false",
        "integer_literal",
        "float_literal",
        "boolean_literal",
        "string_literal",
        "string_content",
        "char_literal",
    ],
    transparent: &[
        "parenthesized_expression",
        "array_expression",
        "tuple_expression",
    ],
    casts: &["type_cast_expression"],
};

/// reorder-statements (JavaScript).
fn javascript(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    braced(file, ctx, &JAVASCRIPT)
}

/// reorder-statements (Rust).
fn rust(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    braced(file, ctx, &RUST)
}

/// reorder-statements (JavaScript, Rust): swaps adjacent `let`/`const` declarations and
/// assignments of a name whose right-hand sides have no side effects and that neither read
/// nor write the other's names.
fn braced(file: &ParsedFile, ctx: &mut Context, kinds: &Statements) -> Result<Vec<Edit>, Skip> {
    let mut blocks = vec![file.root()];
    blocks.extend(
        descendants(file.root())
            .into_iter()
            .filter(|n| n.kind() == kinds.block),
    );
    swap_independent(file, ctx, blocks, &|s| simple_binding(file, s, kinds))
}

/// `let x = e;` / `const x = e;` in JavaScript: (name, value) of its one declarator.
fn javascript_declaration(statement: Node<'_>) -> Option<(Node<'_>, Node<'_>)> {
    let declarators = named_children(statement);
    let [declarator] = declarators.as_slice() else {
        return None;
    };
    Some((
        declarator.child_by_field_name("name")?,
        declarator.child_by_field_name("value")?,
    ))
}

/// `let x = e;` in Rust (no `else`, not a move of a bare name): (pattern, value).
fn rust_declaration(statement: Node<'_>) -> Option<(Node<'_>, Node<'_>)> {
    if statement.child_by_field_name("alternative").is_some() {
        return None;
    }
    let value = statement.child_by_field_name("value")?;
    if unparenthesized(value).kind() == "identifier" {
        return None;
    }
    Some((statement.child_by_field_name("pattern")?, value))
}

/// For `let x = e;` / `const x = e;` / `x = e;` with pure `e`: (names written, names read).
/// In Rust a bare name on the right is a move whose drop order would change: not simple.
fn simple_binding(file: &ParsedFile, statement: Node<'_>, kinds: &Statements) -> Option<DefUse> {
    let (declaration, parts) = kinds.declaration;
    let (name, value) = match statement.kind() {
        kind if kind == declaration => parts(statement)?,
        "expression_statement" => {
            let assignment = statement.named_child(0)?;
            if statement.named_child_count() != 1 || assignment.kind() != "assignment_expression" {
                return None;
            }
            let value = assignment.child_by_field_name("right")?;
            if kinds.moves && unparenthesized(value).kind() == "identifier" {
                return None;
            }
            (assignment.child_by_field_name("left")?, value)
        }
        _ => return None,
    };
    if name.kind() != "identifier" {
        return None;
    }
    let mut reads = HashSet::new();
    if !pure_reads(file, value, kinds, &mut reads) {
        return None;
    }
    Some((HashSet::from([file.text(name).to_string()]), reads))
}

/// The names a JavaScript or Rust expression reads, or `None` when it may have side effects
/// (calls, member access, indexing, `await`, `delete`, `in`/`instanceof`, closures, Rust's
/// `*` dereference…).
fn pure_reads(
    file: &ParsedFile,
    node: Node<'_>,
    kinds: &Statements,
    out: &mut HashSet<String>,
) -> bool {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "identifier" => {
                out.insert(file.text(node).to_string());
            }
            kind if kinds.constants.contains(&kind) => {}
            "binary_expression" => match binary(file, node) {
                Some((left, op, right)) if op != "in" && op != "instanceof" => {
                    stack.push(left);
                    stack.push(right);
                }
                _ => return false,
            },
            "unary_expression" => {
                let text = file.text(node);
                if text.starts_with('*') || text.starts_with("delete") {
                    return false;
                }
                stack.extend(named_children(node));
            }
            kind if kinds.casts.contains(&kind) => match node.child_by_field_name("value") {
                Some(value) => stack.push(value),
                None => return false,
            },
            kind if kinds.transparent.contains(&kind) => stack.extend(named_children(node)),
            _ => return false,
        }
    }
    true
}
