//! augmented-assignment: `x += 1` ↔ `x = x + 1` for a name and a literal.

use arbor_syntax::node::{descendants, kind_is};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::ParsedFile;

use super::common::{binary, pick_edits};
use super::Transform;
use crate::engine::{Context, Edit, Skip};

/// The registry entry.
pub(super) const TRANSFORM: Transform = Transform {
    id: "augmented-assignment",
    category: "syntax",
    summary: "x += 1 <-> x = x + 1 (literal right-hand sides)",
    python: Some(python),
    javascript: Some(javascript),
    rust: Some(rust),
};

/// augmented-assignment: `x += 1` ↔ `x = x + 1` for a name and a number or string literal.
fn python(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let literal =
        |n: Node<'_>| kind_is(n, &["integer", "float", "string"]) && !file.text(n).starts_with('f');
    let mut candidates = Vec::new();
    for n in descendants(file.root()) {
        let (Some(left), Some(right)) = (
            n.child_by_field_name("left"),
            n.child_by_field_name("right"),
        ) else {
            continue;
        };
        match n.kind() {
            "augmented_assignment" if left.kind() == "identifier" && literal(right) => {
                let Some(op) = n.child_by_field_name("operator") else {
                    continue;
                };
                let op = file.text(op).trim_end_matches('=').to_string();
                if matches!(op.as_str(), "+" | "-" | "*" | "/" | "//" | "%" | "**") {
                    let text = format!("{0} = {0} {op} {1}", file.text(left), file.text(right));
                    candidates.push((n, text));
                }
            }
            "assignment" if left.kind() == "identifier" && right.kind() == "binary_operator" => {
                let (Some(a), Some(op), Some(b)) = (
                    right.child_by_field_name("left"),
                    right.child_by_field_name("operator"),
                    right.child_by_field_name("right"),
                ) else {
                    continue;
                };
                let op = file.text(op);
                if a.kind() == "identifier"
                    && file.text(a) == file.text(left)
                    && literal(b)
                    && matches!(op, "+" | "-" | "*" | "/" | "//" | "%" | "**")
                    && n.child_by_field_name("type").is_none()
                {
                    candidates.push((n, format!("{} {op}= {}", file.text(left), file.text(b))));
                }
            }
            _ => {}
        }
    }
    pick_edits(candidates, ctx, "no `x op= literal` or `x = x op literal`")
}

/// The node kinds of a brace language's assignments.
struct Assignments {
    /// `x op= e`.
    compound: &'static str,
    /// The literals a right-hand side may be.
    literals: &'static [&'static str],
}

/// JavaScript's assignments.
const JAVASCRIPT: Assignments = Assignments {
    compound: "augmented_assignment_expression",
    literals: &["number", "string"],
};

/// Rust's assignments.
const RUST: Assignments = Assignments {
    compound: "compound_assignment_expr",
    literals: &["integer_literal", "float_literal", "string_literal"],
};

/// augmented-assignment (JavaScript).
fn javascript(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    braced(file, ctx, &JAVASCRIPT)
}

/// augmented-assignment (Rust).
fn rust(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    braced(file, ctx, &RUST)
}

/// augmented-assignment (JavaScript, Rust): `x += 1` ↔ `x = x + 1` for a name and a number
/// or string literal.
fn braced(file: &ParsedFile, ctx: &mut Context, kinds: &Assignments) -> Result<Vec<Edit>, Skip> {
    let literal = |n: Node<'_>| kind_is(n, kinds.literals);
    let ops = ["+", "-", "*", "/", "%"];
    let mut candidates = Vec::new();
    for n in descendants(file.root()) {
        let (Some(left), Some(right)) = (
            n.child_by_field_name("left"),
            n.child_by_field_name("right"),
        ) else {
            continue;
        };
        if left.kind() != "identifier" {
            continue;
        }
        if n.kind() == kinds.compound && literal(right) {
            let op = file.source()[left.end_byte()..right.start_byte()]
                .trim()
                .trim_end_matches('=');
            if ops.contains(&op) {
                candidates.push((
                    n,
                    format!("{0} = {0} {op} {1}", file.text(left), file.text(right)),
                ));
            }
        } else if n.kind() == "assignment_expression" {
            let Some((a, op, b)) = binary(file, right) else {
                continue;
            };
            if a.kind() == "identifier"
                && file.text(a) == file.text(left)
                && literal(b)
                && ops.contains(&op.as_str())
            {
                candidates.push((n, format!("{} {op}= {}", file.text(left), file.text(b))));
            }
        }
    }
    pick_edits(candidates, ctx, "no `x op= literal` or `x = x op literal`")
}
