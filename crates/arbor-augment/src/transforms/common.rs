//! Helpers the transforms share: picking random non-overlapping edit sites, statement
//! positions and runs, indentation, Python docstrings and compound statements, and the
//! expressions of the brace languages (JavaScript, Rust) with their node kinds as data.

use std::collections::HashSet;

use arbor_syntax::node::{
    descendants, is_comment, kind_is, line_indent, named_children, starts_line,
};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::{Language, ParsedFile};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::Rng;

use crate::engine::{Context, Edit, Skip};

/// Picks a random non-empty subset of `items` whose ranges do not overlap.
pub(crate) fn pick_disjoint<'t>(items: Vec<Node<'t>>, ctx: &mut Context) -> Vec<Node<'t>> {
    let mut items = items;
    items.shuffle(&mut ctx.rng);
    let mut picked: Vec<Node<'t>> = Vec::new();
    for item in items {
        let overlaps = picked
            .iter()
            .any(|p| p.start_byte() < item.end_byte() && item.start_byte() < p.end_byte());
        if !overlaps && (picked.is_empty() || ctx.rng.random_bool(0.5)) {
            picked.push(item);
        }
    }
    picked
}

/// A random non-empty subset of the candidate replacements (they never overlap: each is a
/// distinct statement or expression that contains no other candidate).
pub(crate) fn pick_edits(
    candidates: Vec<(Node<'_>, String)>,
    ctx: &mut Context,
    none: &str,
) -> Result<Vec<Edit>, Skip> {
    let nodes: Vec<Node<'_>> = candidates.iter().map(|(n, _)| *n).collect();
    let picked = pick_disjoint(nodes, ctx);
    if picked.is_empty() {
        return Err(Skip::because(none));
    }
    Ok(candidates
        .into_iter()
        .filter(|(n, _)| picked.contains(n))
        .map(|(n, text)| Edit::replace(n.byte_range(), text))
        .collect())
}

/// Names a statement writes and reads, for the def/use check of reorder-statements.
pub(crate) type DefUse = (HashSet<String>, HashSet<String>);

/// Swaps some pairs of adjacent statements of `blocks`, each on its own lines, that
/// `simple` describes (it returns `None` for anything with side effects) and that neither
/// read nor write the other's names.
pub(crate) fn swap_independent<'t>(
    file: &'t ParsedFile,
    ctx: &mut Context,
    blocks: Vec<Node<'t>>,
    simple: &dyn Fn(Node<'t>) -> Option<DefUse>,
) -> Result<Vec<Edit>, Skip> {
    let mut pairs = Vec::new();
    for block in blocks {
        let statements = named_children(block);
        for window in statements.windows(2) {
            let (a, b) = (window[0], window[1]);
            if a.end_position().row >= b.start_position().row
                || !starts_line(file.source(), a)
                || !starts_line(file.source(), b)
            {
                continue;
            }
            let (Some((wa, ra)), Some((wb, rb))) = (simple(a), simple(b)) else {
                continue;
            };
            if wa.is_disjoint(&wb) && wa.is_disjoint(&rb) && wb.is_disjoint(&ra) {
                pairs.push((a, b));
            }
        }
    }
    pairs.shuffle(&mut ctx.rng);
    let mut used: Vec<usize> = Vec::new();
    let mut edits = Vec::new();
    for (a, b) in pairs {
        if used.contains(&a.start_byte()) || used.contains(&b.start_byte()) {
            continue;
        }
        if !edits.is_empty() && ctx.rng.random_bool(0.5) {
            continue;
        }
        used.push(a.start_byte());
        used.push(b.start_byte());
        edits.push(Edit::replace(a.byte_range(), file.text(b)));
        edits.push(Edit::replace(b.byte_range(), file.text(a)));
    }
    if edits.is_empty() {
        return Err(Skip::because("no two adjacent independent statements"));
    }
    Ok(edits)
}

/// Shuffles one run (picked at random) of two or more statements of a container that
/// `is_import` accepts, each starting its own line right below the previous one.
pub(crate) fn shuffle_run<'t>(
    file: &'t ParsedFile,
    ctx: &mut Context,
    containers: Vec<Node<'t>>,
    is_import: &dyn Fn(Node<'t>) -> bool,
) -> Result<Vec<Edit>, Skip> {
    let mut runs: Vec<Vec<Node<'_>>> = Vec::new();
    for container in containers {
        let mut run: Vec<Node<'_>> = Vec::new();
        for statement in named_children(container) {
            let import = is_import(statement) && starts_line(file.source(), statement);
            let follows = run.last().is_none_or(|p: &Node<'_>| {
                p.end_position().row + 1 == statement.start_position().row
            });
            if !(import && follows) {
                if run.len() >= 2 {
                    runs.push(std::mem::take(&mut run));
                }
                run.clear();
            }
            if import {
                run.push(statement);
            }
        }
        if run.len() >= 2 {
            runs.push(run);
        }
    }
    let Some(run) = runs.choose(&mut ctx.rng) else {
        return Err(Skip::because("no run of two or more imports"));
    };
    let texts: Vec<&str> = run.iter().map(|n| file.text(*n)).collect();
    let mut order: Vec<usize> = (0..run.len()).collect();
    for _ in 0..8 {
        order.shuffle(&mut ctx.rng);
        if order
            .iter()
            .enumerate()
            .any(|(i, &j)| i != j && texts[i] != texts[j])
        {
            break;
        }
    }
    Ok(run
        .iter()
        .zip(order)
        .map(|(node, j)| Edit::replace(node.byte_range(), texts[j]))
        .collect())
}

/// The text of `range` with `extra` added to the indentation of every line after the
/// first that has text and does not start inside a multi-line string.
pub(crate) fn indented(file: &ParsedFile, range: std::ops::Range<usize>, extra: &str) -> String {
    let strings = multiline_strings(file);
    let source = file.source();
    let mut out = String::new();
    let mut at = range.start;
    for (i, line) in source[range].split_inclusive('\n').enumerate() {
        let in_string = strings.iter().any(|r| r.start < at && at < r.end);
        if i > 0 && !in_string && !line.trim().is_empty() {
            out.push_str(extra);
        }
        out.push_str(line);
        at += line.len();
    }
    out
}

/// Byte ranges of strings that span lines: their inside must not change.
pub(crate) fn multiline_strings(file: &ParsedFile) -> Vec<std::ops::Range<usize>> {
    let kinds: &[&str] = match file.language() {
        Language::Python => &["string"],
        Language::JavaScript => &["string", "template_string"],
        Language::Rust => &["string_literal", "raw_string_literal"],
    };
    descendants(file.root())
        .into_iter()
        .filter(|n| kind_is(*n, kinds) && n.start_position().row != n.end_position().row)
        .map(|n| n.byte_range())
        .collect()
}

/// Statements before which a new statement may go: they start their line, are not a
/// docstring or a `from __future__` import (or before one).
pub(crate) fn statement_positions(file: &ParsedFile) -> Vec<Node<'_>> {
    let block_kinds: &[&str] = match file.language() {
        Language::Python => &["block"],
        Language::JavaScript => &["statement_block", "class_body"],
        Language::Rust => &["block", "declaration_list"],
    };
    let mut out = Vec::new();
    let mut blocks = vec![file.root()];
    blocks.extend(
        descendants(file.root())
            .into_iter()
            .filter(|n| kind_is(*n, block_kinds)),
    );
    for block in blocks {
        let statements = named_children(block);
        let multi_line = block.parent().is_none()
            || file.language() != Language::Python
            || block
                .parent()
                .is_some_and(|p| block.start_position().row > p.start_position().row);
        if !multi_line {
            continue;
        }
        let mut seen_code = false;
        for statement in statements {
            if is_comment(statement) {
                continue;
            }
            let docstring =
                !seen_code && file.language() == Language::Python && is_docstring(statement);
            let future = statement.kind() == "future_import_statement";
            if !docstring && !future && starts_line(file.source(), statement) {
                out.push(statement);
            }
            seen_code = true;
        }
    }
    out
}

/// Whether a Python statement is a docstring (a string on its own).
pub(crate) fn is_docstring(statement: Node<'_>) -> bool {
    statement.kind() == "expression_statement"
        && named_children(statement)
            .first()
            .is_some_and(|c| c.kind() == "string")
        && statement.named_child_count() == 1
}

/// The block of a Python compound statement: its body, or an `if`'s consequence.
pub(crate) fn block_of(node: Node<'_>) -> Option<Node<'_>> {
    node.child_by_field_name("body")
        .or_else(|| node.child_by_field_name("consequence"))
}

/// The unit of indentation inside `block`: its first statement's indent minus `outer`.
pub(crate) fn indent_step<'a>(
    file: &'a ParsedFile,
    block: Node<'_>,
    outer: &str,
) -> Option<&'a str> {
    let inner = line_indent(file.source(), block.start_byte());
    inner.strip_prefix(outer).filter(|s| !s.is_empty())
}

/// The end of a Python compound statement's header: just after the `:` before its body.
pub(crate) fn body_header_end(statement: Node<'_>, body: Node<'_>) -> usize {
    let mut cursor = statement.walk();
    statement
        .children(&mut cursor)
        .filter(|c| c.kind() == ":" && c.end_byte() <= body.start_byte())
        .last()
        .map_or(body.start_byte(), |c| c.end_byte())
}

/// The node kinds of a brace language's expressions that the expression helpers need.
pub(crate) struct Expressions {
    /// Operands that need no parentheses under a prefix `!`.
    pub primary: &'static [&'static str],
    /// Parents under which a replacement expression may stand without parentheses
    /// (statement, argument, initializer, condition, element…).
    pub loose_parents: &'static [&'static str],
}

/// JavaScript's expressions.
const JAVASCRIPT_EXPRESSIONS: Expressions = Expressions {
    primary: &[
        "identifier",
        "number",
        "string",
        "true",
        "false",
        "null",
        "undefined",
        "parenthesized_expression",
        "call_expression",
        "member_expression",
        "subscript_expression",
        "unary_expression",
        "this",
    ],
    loose_parents: &[
        "parenthesized_expression",
        "expression_statement",
        "arguments",
        "variable_declarator",
        "return_statement",
        "array",
        "pair",
    ],
};

/// Rust's expressions.
const RUST_EXPRESSIONS: Expressions = Expressions {
    primary: &[
        "identifier",
        "true",
        "false",
        "parenthesized_expression",
        "call_expression",
        "integer_literal",
        "float_literal",
        "boolean_literal",
        "string_literal",
        "field_expression",
        "index_expression",
        "unary_expression",
        "self",
    ],
    loose_parents: &[
        "parenthesized_expression",
        "expression_statement",
        "arguments",
        "let_declaration",
        "return_expression",
        "if_expression",
        "while_expression",
        "array_expression",
        "field_initializer",
    ],
};

/// The expression kinds of a brace language (Python has none: its transforms build their
/// expressions themselves).
fn expressions(language: Language) -> &'static Expressions {
    match language {
        Language::JavaScript => &JAVASCRIPT_EXPRESSIONS,
        Language::Rust | Language::Python => &RUST_EXPRESSIONS,
    }
}

/// `node`'s text, in parentheses unless it is a primary expression.
pub(crate) fn wrap(file: &ParsedFile, node: Node<'_>) -> String {
    if kind_is(node, expressions(file.language()).primary) {
        file.text(node).to_string()
    } else {
        format!("({})", file.text(node))
    }
}

/// `(left, operator, right)` of a binary expression.
pub(crate) fn binary<'t>(
    file: &ParsedFile,
    node: Node<'t>,
) -> Option<(Node<'t>, String, Node<'t>)> {
    if node.kind() != "binary_expression" {
        return None;
    }
    let left = node.child_by_field_name("left")?;
    let right = node.child_by_field_name("right")?;
    let op = file.source()[left.end_byte()..right.start_byte()]
        .trim()
        .to_string();
    Some((left, op, right))
}

/// The operand of a prefix unary operator.
fn negated(node: Node<'_>) -> Option<Node<'_>> {
    if node.kind() != "unary_expression" {
        return None;
    }
    let operand = node
        .child_by_field_name("argument")
        .or_else(|| node.named_child(0))?;
    let op_end = operand.start_byte();
    (node.start_byte() < op_end).then_some(operand)
}

/// The operand of a prefix `!`.
pub(crate) fn is_not<'t>(file: &ParsedFile, node: Node<'t>) -> Option<Node<'t>> {
    let operand = negated(node)?;
    file.source()[node.start_byte()..operand.start_byte()]
        .trim()
        .eq("!")
        .then_some(operand)
}

/// Whether a replacement expression may stand where `node` stood without parentheses
/// (statement, argument, initializer, condition, operand of `&&`/`||`).
pub(crate) fn loose_context(file: &ParsedFile, node: Node<'_>) -> bool {
    let Some(parent) = node.parent() else {
        return true;
    };
    match parent.kind() {
        kind if expressions(file.language()).loose_parents.contains(&kind) => true,
        "binary_expression" => {
            binary(file, parent).is_some_and(|(_, op, _)| matches!(op.as_str(), "&&" | "||" | "??"))
        }
        "assignment_expression" => parent.child_by_field_name("right") == Some(node),
        _ => false,
    }
}
