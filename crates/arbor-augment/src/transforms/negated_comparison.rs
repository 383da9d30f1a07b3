//! negated-comparison: a negated comparison becomes the opposite comparison and back.

use arbor_syntax::node::{descendants, named_children};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::ParsedFile;

use super::common::{binary, is_not, loose_context, pick_edits};
use super::Transform;
use crate::engine::{Context, Edit, Skip};
use arbor_syntax::node::unparenthesized;

/// The registry entry (the brace languages share one version: it reads only the node kinds
/// their grammars have in common).
pub(super) const TRANSFORM: Transform = Transform {
    id: "negated-comparison",
    category: "syntax",
    summary: "not a == b <-> a != b, not a in b <-> a not in b, not a is b <-> a is not b",
    python: Some(python),
    javascript: Some(braced),
    rust: Some(braced),
};

/// negated-comparison: `not a == b` ↔ `a != b`, `not a in b` ↔ `a not in b`,
/// `not a is b` ↔ `a is not b` (one comparison, not a chain).
fn python(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let mut candidates = Vec::new();
    for n in descendants(file.root()) {
        match n.kind() {
            "not_operator" => {
                let Some(argument) = n.child_by_field_name("argument") else {
                    continue;
                };
                if argument.kind() != "comparison_operator" {
                    continue;
                }
                let Some((a, op, b)) = single_comparison(file, argument) else {
                    continue;
                };
                let flipped = match op.as_str() {
                    "==" => "!=",
                    "!=" => "==",
                    "in" => "not in",
                    "is" => "is not",
                    "not in" => "in",
                    "is not" => "is",
                    _ => continue,
                };
                candidates.push((n, format!("{a} {flipped} {b}")));
            }
            "comparison_operator" => {
                if n.parent().is_some_and(|p| p.kind() == "not_operator") {
                    continue;
                }
                let Some((a, op, b)) = single_comparison(file, n) else {
                    continue;
                };
                let positive = match op.as_str() {
                    "!=" => "==",
                    "not in" => "in",
                    "is not" => "is",
                    _ => continue,
                };
                candidates.push((n, format!("not {a} {positive} {b}")));
            }
            _ => {}
        }
    }
    pick_edits(candidates, ctx, "no comparison to rewrite")
}

/// `(left, operator, right)` of a comparison with one operator.
fn single_comparison(file: &ParsedFile, node: Node<'_>) -> Option<(String, String, String)> {
    let operands = named_children(node);
    let [a, b] = operands.as_slice() else {
        return None;
    };
    let op = file.source()[a.end_byte()..b.start_byte()]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Some((file.text(*a).to_string(), op, file.text(*b).to_string()))
}

/// negated-comparison (JavaScript, Rust): `!(a == b)` ↔ `a != b` (and `===`/`!==`).
fn braced(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let flip = |op: &str| -> Option<&'static str> {
        Some(match op {
            "==" => "!=",
            "!=" => "==",
            "===" => "!==",
            "!==" => "===",
            _ => return None,
        })
    };
    let mut candidates = Vec::new();
    for n in descendants(file.root()) {
        if let Some(operand) = is_not(file, n) {
            let inner = unparenthesized(operand);
            if inner == operand {
                continue;
            }
            let Some((a, op, b)) = binary(file, inner) else {
                continue;
            };
            let Some(flipped) = flip(&op) else { continue };
            let text = format!("{} {flipped} {}", file.text(a), file.text(b));
            let text = if loose_context(file, n) {
                text
            } else {
                format!("({text})")
            };
            candidates.push((n, text));
        } else if let Some((a, op, b)) = binary(file, n) {
            if !matches!(op.as_str(), "!=" | "!==") {
                continue;
            }
            if n.parent()
                .is_some_and(|p| p.kind() == "parenthesized_expression")
                && n.parent()
                    .and_then(|p| p.parent())
                    .is_some_and(|g| is_not(file, g).is_some())
            {
                continue;
            }
            let positive = flip(&op).expect("checked");
            candidates.push((
                n,
                format!("!({} {positive} {})", file.text(a), file.text(b)),
            ));
        }
    }
    pick_edits(candidates, ctx, "no comparison to rewrite")
}
