//! swap-if-else: the branches of an if/else swapped and its condition negated.

use arbor_syntax::node::{descendants, kind_is, named_children};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::ParsedFile;

use super::common::{is_not, pick_disjoint};
use super::Transform;
use crate::engine::{Context, Edit, Skip};
use arbor_syntax::node::unparenthesized;

/// The registry entry.
pub(super) const TRANSFORM: Transform = Transform {
    id: "swap-if-else",
    category: "syntax",
    summary: "swap the branches of an if/else and negate its condition",
    python: Some(python),
    javascript: Some(javascript),
    rust: Some(rust),
};

/// swap-if-else: `if C: A else: B` becomes `if not (C): B else: A` (no `elif`).
fn python(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let candidates: Vec<Node<'_>> = descendants(file.root())
        .into_iter()
        .filter(|n| {
            if n.kind() != "if_statement" {
                return false;
            }
            let alternatives: Vec<Node<'_>> = named_children(*n)
                .into_iter()
                .filter(|c| kind_is(*c, &["elif_clause", "else_clause"]))
                .collect();
            let [else_clause] = alternatives.as_slice() else {
                return false;
            };
            let (Some(then), Some(otherwise)) = (
                n.child_by_field_name("consequence"),
                else_clause.child_by_field_name("body"),
            ) else {
                return false;
            };
            else_clause.kind() == "else_clause"
                && then.start_position().row > n.start_position().row
                && otherwise.start_position().row > else_clause.start_position().row
        })
        .collect();
    if candidates.is_empty() {
        return Err(Skip::because("no if/else without elif"));
    }
    let mut edits = Vec::new();
    for statement in pick_disjoint(candidates, ctx) {
        let condition = statement
            .child_by_field_name("condition")
            .expect("an if has one");
        let then = statement
            .child_by_field_name("consequence")
            .expect("checked");
        let else_clause = named_children(statement)
            .into_iter()
            .find(|c| c.kind() == "else_clause")
            .expect("checked");
        let otherwise = else_clause.child_by_field_name("body").expect("checked");
        edits.push(Edit::replace(
            condition.byte_range(),
            negate(file, condition),
        ));
        edits.push(Edit::replace(then.byte_range(), file.text(otherwise)));
        edits.push(Edit::replace(otherwise.byte_range(), file.text(then)));
    }
    Ok(edits)
}

/// `not (c)`, or `c'` when `c` is `not c'`.
fn negate(file: &ParsedFile, condition: Node<'_>) -> String {
    if condition.kind() == "not_operator" {
        if let Some(argument) = condition.child_by_field_name("argument") {
            return format!("({})", file.text(argument));
        }
    }
    format!("not ({})", file.text(condition))
}

/// The node kinds and spelling of a brace language's if/else.
struct IfElse {
    /// The if statement or expression.
    statement: &'static str,
    /// A braced branch.
    block: &'static str,
    /// Conditions that bind names (`if let`): left alone.
    binding_conditions: &'static [&'static str],
    /// Whether the operand of a `!` condition is always put in parentheses (else only when it
    /// holds a brace, which a Rust condition may not show bare).
    parenthesize_operand: bool,
    /// The negation of a condition that is not a `!`.
    negate: fn(&str) -> String,
}

/// JavaScript's `if (c) { … } else { … }`.
const JAVASCRIPT: IfElse = IfElse {
    statement: "if_statement",
    block: "statement_block",
    binding_conditions: &[],
    parenthesize_operand: true,
    negate: |c| format!("(!({c}))"),
};

/// Rust's `if c { … } else { … }`.
const RUST: IfElse = IfElse {
    statement: "if_expression",
    block: "block",
    binding_conditions: &["let_condition", "let_chain"],
    parenthesize_operand: false,
    negate: |c| format!("!({c})"),
};

/// swap-if-else (JavaScript).
fn javascript(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    braced(file, ctx, &JAVASCRIPT)
}

/// swap-if-else (Rust).
fn rust(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    braced(file, ctx, &RUST)
}

/// swap-if-else (JavaScript, Rust): `if (c) { A } else { B }` becomes `if (!(c)) { B } else
/// { A }` (braced branches, no `else if`, no `if let`).
fn braced(file: &ParsedFile, ctx: &mut Context, kinds: &IfElse) -> Result<Vec<Edit>, Skip> {
    let candidates: Vec<Node<'_>> = descendants(file.root())
        .into_iter()
        .filter(|n| {
            n.kind() == kinds.statement
                && n.child_by_field_name("consequence")
                    .is_some_and(|c| c.kind() == kinds.block)
                && n.child_by_field_name("alternative").is_some_and(|a| {
                    named_children(a)
                        .first()
                        .is_some_and(|b| b.kind() == kinds.block)
                })
                && n.child_by_field_name("condition")
                    .is_some_and(|c| !kind_is(c, kinds.binding_conditions))
        })
        .collect();
    if candidates.is_empty() {
        return Err(Skip::because("no if/else with braced branches"));
    }
    let mut edits = Vec::new();
    for statement in pick_disjoint(candidates, ctx) {
        let condition = statement.child_by_field_name("condition").expect("checked");
        let then = statement
            .child_by_field_name("consequence")
            .expect("checked");
        let otherwise = named_children(
            statement
                .child_by_field_name("alternative")
                .expect("checked"),
        )[0];
        let inner = unparenthesized(condition);
        let negation = match is_not(file, inner) {
            Some(operand) => {
                let text = file.text(unparenthesized(operand));
                if kinds.parenthesize_operand || text.contains('{') {
                    format!("({text})")
                } else {
                    text.to_string()
                }
            }
            None => (kinds.negate)(file.text(inner)),
        };
        edits.push(Edit::replace(condition.byte_range(), negation));
        edits.push(Edit::replace(then.byte_range(), file.text(otherwise)));
        edits.push(Edit::replace(otherwise.byte_range(), file.text(then)));
    }
    Ok(edits)
}
