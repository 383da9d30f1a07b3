//! de-morgan: a negated conjunction or disjunction becomes the dual of the negations and back.

use arbor_syntax::node::{descendants, kind_is};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::ParsedFile;

use super::common::{binary, is_not, pick_edits, wrap};
use super::Transform;
use crate::engine::{Context, Edit, Skip};
use arbor_syntax::node::unparenthesized;

/// The registry entry (the brace languages share one version; [`wrap`] knows each one's
/// primary expressions).
pub(super) const TRANSFORM: Transform = Transform {
    id: "de-morgan",
    category: "syntax",
    summary: "not (a and b) <-> (not a or not b), and the same for or",
    python: Some(python),
    javascript: Some(braced),
    rust: Some(braced),
};

/// de-morgan: `not (a and b)` ↔ `(not a or not b)`, `not (a or b)` ↔ `(not a and not b)`.
fn python(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let operand = |n: Node<'_>| -> String {
        let t = file.text(n);
        if kind_is(
            n,
            &[
                "boolean_operator",
                "lambda",
                "conditional_expression",
                "not_operator",
                "named_expression",
            ],
        ) {
            format!("({t})")
        } else {
            t.to_string()
        }
    };
    let unnegate = |n: Node<'_>| -> Option<String> {
        (n.kind() == "not_operator")
            .then(|| n.child_by_field_name("argument"))
            .flatten()
            .map(operand)
    };
    let mut candidates = Vec::new();
    for n in descendants(file.root()) {
        match n.kind() {
            "not_operator" => {
                let Some(mut argument) = n.child_by_field_name("argument") else {
                    continue;
                };
                while argument.kind() == "parenthesized_expression"
                    && argument.named_child_count() == 1
                {
                    argument = argument.named_child(0).expect("one child");
                }
                if argument.kind() != "boolean_operator" {
                    continue;
                }
                let (Some(a), Some(op), Some(b)) = (
                    argument.child_by_field_name("left"),
                    argument.child_by_field_name("operator"),
                    argument.child_by_field_name("right"),
                ) else {
                    continue;
                };
                let dual = if file.text(op) == "and" { "or" } else { "and" };
                candidates.push((n, format!("(not {} {dual} not {})", operand(a), operand(b))));
            }
            "boolean_operator" => {
                let (Some(a), Some(op), Some(b)) = (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("operator"),
                    n.child_by_field_name("right"),
                ) else {
                    continue;
                };
                let (Some(x), Some(y)) = (unnegate(a), unnegate(b)) else {
                    continue;
                };
                let dual = if file.text(op) == "and" { "or" } else { "and" };
                candidates.push((n, format!("(not ({x} {dual} {y}))")));
            }
            _ => {}
        }
    }
    pick_edits(candidates, ctx, "no negated and/or to rewrite")
}

/// de-morgan (JavaScript, Rust): `!(a && b)` ↔ `(!a || !b)`, and the same for `||`.
fn braced(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let dual = |op: &str| if op == "&&" { "||" } else { "&&" };
    let mut candidates = Vec::new();
    for n in descendants(file.root()) {
        if let Some(operand) = is_not(file, n) {
            let inner = unparenthesized(operand);
            let Some((a, op, b)) = binary(file, inner) else {
                continue;
            };
            if !matches!(op.as_str(), "&&" | "||") {
                continue;
            }
            candidates.push((
                n,
                format!("(!{} {} !{})", wrap(file, a), dual(&op), wrap(file, b)),
            ));
        } else if let Some((a, op, b)) = binary(file, n) {
            if !matches!(op.as_str(), "&&" | "||") {
                continue;
            }
            let (Some(x), Some(y)) = (is_not(file, a), is_not(file, b)) else {
                continue;
            };
            candidates.push((
                n,
                format!("(!({} {} {}))", wrap(file, x), dual(&op), wrap(file, y)),
            ));
        }
    }
    pick_edits(candidates, ctx, "no negated && or || to rewrite")
}
