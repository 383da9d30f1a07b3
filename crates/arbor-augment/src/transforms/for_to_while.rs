//! for-to-while: a for loop becomes a while loop over the same iterator or condition.

use arbor_syntax::node::{descendants, kind_is, line_indent, named_children, starts_line};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::ParsedFile;

use super::common::{body_header_end, indent_step, indented, pick_disjoint};
use super::Transform;
use crate::engine::{Context, Edit, Skip};
use crate::names::{NameGen, NameKind};

/// The registry entry.
pub(super) const TRANSFORM: Transform = Transform {
    id: "for-to-while",
    category: "syntax",
    summary: "turn a for loop into a while loop over the same iterator",
    python: Some(python),
    javascript: Some(javascript),
    rust: Some(rust),
};

/// for-to-while: `for T in E:` becomes a `while True:` loop that takes `T = next(it)` from
/// `it = iter(E)` and breaks at `StopIteration` (same order, same `continue`/`break`, same
/// value of `T` afterwards). Loops with an `else` are left alone.
fn python(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let loops: Vec<Node<'_>> = descendants(file.root())
        .into_iter()
        .filter(|n| {
            n.kind() == "for_statement"
                && n.child_by_field_name("alternative").is_none()
                && !file.text(*n).starts_with("async")
                && starts_line(file.source(), *n)
                && n.child_by_field_name("body")
                    .is_some_and(|b| b.start_position().row > n.start_position().row)
        })
        .collect();
    if loops.is_empty() {
        return Err(Skip::because("no for loop without else"));
    }
    let mut names = NameGen::new(file, ctx);
    let mut edits = Vec::new();
    for for_loop in pick_disjoint(loops, ctx) {
        let body = for_loop.child_by_field_name("body").expect("checked");
        let (Some(left), Some(right)) = (
            for_loop.child_by_field_name("left"),
            for_loop.child_by_field_name("right"),
        ) else {
            continue;
        };
        let outer = line_indent(source, for_loop.start_byte());
        let Some(step) = indent_step(file, body, outer) else {
            continue;
        };
        let header_end = body_header_end(for_loop, body);
        let it = names.next(NameKind::Variable);
        let inner = format!("{outer}{step}");
        let text = format!(
            "{it} = iter({})\n{outer}while True:\n{inner}try:\n{inner}{step}{} = next({it})\n{inner}except StopIteration:\n{inner}{step}break",
            file.text(right),
            file.text(left)
        );
        edits.push(Edit::replace(for_loop.start_byte()..header_end, text));
    }
    Ok(edits)
}

/// JavaScript nodes whose `continue`s belong to them, not to a loop around them.
const JAVASCRIPT_LOOPS: &[&str] = &[
    "for_statement",
    "for_in_statement",
    "while_statement",
    "do_statement",
    "function_declaration",
    "function_expression",
    "arrow_function",
];

/// JavaScript nodes that make a closure: a `let` in a loop header is a fresh binding per
/// iteration for them.
const JAVASCRIPT_CLOSURES: &[&str] = &[
    "arrow_function",
    "function_expression",
    "function",
    "function_declaration",
    "class",
    "generator_function",
];

/// Whether a JavaScript loop `body` has a `continue` that belongs to the loop itself (not to
/// a nested one).
fn has_own_continue(body: Node<'_>) -> bool {
    let mut stack = named_children(body);
    while let Some(n) = stack.pop() {
        if n.kind() == "continue_statement" {
            return true;
        }
        if !kind_is(n, JAVASCRIPT_LOOPS) {
            stack.extend(named_children(n));
        }
    }
    false
}

/// One indentation step, as `body` uses it (the body moves one level deeper), else
/// `default`.
fn body_step(file: &ParsedFile, body: Node<'_>, indent: &str, default: &str) -> String {
    named_children(body)
        .first()
        .filter(|s| starts_line(file.source(), **s))
        .and_then(|s| line_indent(file.source(), s.start_byte()).strip_prefix(indent))
        .filter(|s| !s.is_empty())
        .unwrap_or(default)
        .to_string()
}

/// Whether a JavaScript loop can become a while loop: a C-style `for` with a condition and a
/// braced body, no `continue` of its own, and no `let` in its header that closures in the
/// body would see one binding of after the rewrite.
fn javascript_convertible(file: &ParsedFile, n: Node<'_>) -> bool {
    let Some(body) = n.child_by_field_name("body") else {
        return false;
    };
    // A `let` in the header is a fresh binding per iteration: closures in the body would
    // see one shared variable after the rewrite.
    let per_iteration = n
        .child_by_field_name("initializer")
        .is_some_and(|i| file.text(i).starts_with("let"))
        && descendants(body)
            .iter()
            .any(|d| kind_is(*d, JAVASCRIPT_CLOSURES));
    n.kind() == "for_statement"
        && body.kind() == "statement_block"
        && !has_own_continue(body)
        && !per_iteration
        && n.child_by_field_name("condition").is_some()
}

/// for-to-while (JavaScript): `for (init; cond; update) { body }` without a `continue`
/// becomes `{ init; while (cond) { body update; } }`.
fn javascript(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let loops: Vec<Node<'_>> = descendants(file.root())
        .into_iter()
        .filter(|n| javascript_convertible(file, *n))
        .collect();
    if loops.is_empty() {
        return Err(Skip::because("no for loop to convert"));
    }
    // Unused here, but it draws from the generator as the Rust version's does.
    let _names = NameGen::new(file, ctx);
    let mut edits = Vec::new();
    for for_loop in pick_disjoint(loops, ctx) {
        let body = for_loop.child_by_field_name("body").expect("checked");
        let indent = line_indent(source, for_loop.start_byte());
        let step = body_step(file, body, indent, "  ");
        let body_text = indented(file, body.byte_range(), &step);
        let inner_body = &body_text[1..body_text.len() - 1];
        let init = for_loop
            .child_by_field_name("initializer")
            .map(|i| file.text(i).trim_end_matches(';').to_string())
            .unwrap_or_default();
        let condition = file.text(for_loop.child_by_field_name("condition").expect("checked"));
        let condition = condition.trim_end_matches(';');
        let update = for_loop
            .child_by_field_name("increment")
            .map(|u| format!("{indent}{step}{step}{};\n", file.text(u)))
            .unwrap_or_default();
        let init = if init.is_empty() {
            String::new()
        } else {
            format!("{init};\n{indent}{step}")
        };
        let text = format!(
            "{{\n{indent}{step}{init}while ({condition}) {{{}\n{update}{indent}{step}}}\n{indent}}}",
            inner_body.trim_end()
        );
        edits.push(Edit::replace(for_loop.byte_range(), text));
    }
    Ok(edits)
}

/// for-to-while (Rust): `for PAT in EXPR { body }` (a statement, not labelled) becomes
/// `{ let mut it = (EXPR).into_iter(); while let Some(PAT) = it.next() { body } }`.
fn rust(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let loops: Vec<Node<'_>> = descendants(file.root())
        .into_iter()
        .filter(|n| {
            n.child_by_field_name("body").is_some()
                && n.kind() == "for_expression"
                && !file.text(*n).starts_with('\'')
                && n.parent()
                    .is_some_and(|p| p.kind() == "expression_statement")
        })
        .collect();
    if loops.is_empty() {
        return Err(Skip::because("no for loop to convert"));
    }
    let mut names = NameGen::new(file, ctx);
    let mut edits = Vec::new();
    for for_loop in pick_disjoint(loops, ctx) {
        let body = for_loop.child_by_field_name("body").expect("checked");
        let indent = line_indent(source, for_loop.start_byte());
        let step = body_step(file, body, indent, "    ");
        let body_text = indented(file, body.byte_range(), &step);
        let (Some(pattern), Some(value)) = (
            for_loop.child_by_field_name("pattern"),
            for_loop.child_by_field_name("value"),
        ) else {
            continue;
        };
        let it = names.next(NameKind::Variable);
        let text = format!(
            "{{\n{indent}{step}let mut {it} = ({}).into_iter();\n{indent}{step}while let Some({}) = {it}.next() {body_text}\n{indent}}}",
            file.text(value),
            file.text(pattern)
        );
        edits.push(Edit::replace(for_loop.byte_range(), text));
    }
    Ok(edits)
}
