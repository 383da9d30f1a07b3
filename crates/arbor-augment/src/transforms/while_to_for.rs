//! while-to-for: a while loop becomes a for loop over an endless iterator that breaks on
//! the condition (or, in JavaScript, a C-style `for` with the same condition).

use arbor_syntax::node::{descendants, kind_is, line_indent, named_children, starts_line};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::ParsedFile;

use super::common::{body_header_end, indent_step, pick_disjoint, wrap};
use super::Transform;
use crate::engine::{Context, Edit, Skip};
use crate::names::{NameGen, NameKind};
use arbor_syntax::node::unparenthesized;

/// The registry entry.
pub(super) const TRANSFORM: Transform = Transform {
    id: "while-to-for",
    category: "syntax",
    summary:
        "turn a while loop into a for loop over an endless iterator that breaks on the condition",
    python: Some(python),
    javascript: Some(javascript),
    rust: Some(rust),
};

/// while-to-for: `while C:` becomes `for _ in iter(int, 1):` (an endless iterator) whose body
/// starts with `if not (C): break`. Loops with an `else` are left alone.
fn python(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let shadowed = descendants(file.root()).into_iter().any(|n| {
        n.kind() == "identifier"
            && matches!(file.text(n), "iter" | "int")
            && n.parent().is_some_and(|p| {
                kind_is(
                    p,
                    &[
                        "assignment",
                        "parameters",
                        "typed_parameter",
                        "default_parameter",
                        "function_definition",
                        "class_definition",
                        "pattern_list",
                        "for_statement",
                    ],
                )
            })
    });
    if shadowed {
        return Err(Skip::because("`iter` or `int` is redefined in the file"));
    }
    let loops: Vec<Node<'_>> = descendants(file.root())
        .into_iter()
        .filter(|n| {
            n.kind() == "while_statement"
                && n.child_by_field_name("alternative").is_none()
                && starts_line(file.source(), *n)
                && n.child_by_field_name("body")
                    .is_some_and(|b| b.start_position().row > n.start_position().row)
        })
        .collect();
    if loops.is_empty() {
        return Err(Skip::because("no while loop without else"));
    }
    let mut names = NameGen::new(file, ctx);
    let mut edits = Vec::new();
    for while_loop in pick_disjoint(loops, ctx) {
        let body = while_loop.child_by_field_name("body").expect("checked");
        let Some(condition) = while_loop.child_by_field_name("condition") else {
            continue;
        };
        let outer = line_indent(source, while_loop.start_byte());
        let Some(step) = indent_step(file, body, outer) else {
            continue;
        };
        let header_end = body_header_end(while_loop, body);
        let counter = names.next(NameKind::Variable);
        let inner = format!("{outer}{step}");
        let text = format!(
            "for {counter} in iter(int, 1):\n{inner}if not ({}):\n{inner}{step}break",
            file.text(condition)
        );
        edits.push(Edit::replace(while_loop.start_byte()..header_end, text));
    }
    Ok(edits)
}

/// while-to-for (JavaScript): `while (c) S` becomes `for (; c; ) S`.
fn javascript(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let loops: Vec<(Node<'_>, String)> = descendants(file.root())
        .into_iter()
        .filter(|n| n.kind() == "while_statement")
        .filter_map(|n| {
            let condition = n.child_by_field_name("condition")?;
            let inner = unparenthesized(condition);
            Some((condition, format!("for (; {}; )", file.text(inner))))
        })
        .collect();
    let mut candidates = Vec::new();
    for (condition, text) in loops {
        let statement = condition.parent().expect("a loop");
        // `while` and its condition become `for (; c; )`.
        candidates.push((statement, condition, text));
    }
    let nodes: Vec<Node<'_>> = candidates.iter().map(|c| c.0).collect();
    let picked = pick_disjoint(nodes, ctx);
    if picked.is_empty() {
        return Err(Skip::because("no while loop"));
    }
    Ok(candidates
        .into_iter()
        .filter(|c| picked.contains(&c.0))
        .map(|(statement, condition, text)| {
            Edit::replace(statement.start_byte()..condition.end_byte(), text)
        })
        .collect())
}

/// while-to-for (Rust, which has no C-style `for`): `while c { body }` becomes `for _ in
/// std::iter::repeat(()) { if !(c) { break; } body }` (a label stays; `while let` is left
/// alone).
fn rust(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let loops: Vec<Node<'_>> = descendants(file.root())
        .into_iter()
        .filter(|n| n.kind() == "while_expression")
        .filter(|n| {
            n.child_by_field_name("condition")
                .is_some_and(|c| !kind_is(c, &["let_condition", "let_chain"]))
                && n.child_by_field_name("body")
                    .is_some_and(|b| b.kind() == "block")
        })
        .collect();
    let picked = pick_disjoint(loops, ctx);
    if picked.is_empty() {
        return Err(Skip::because("no while loop"));
    }
    let mut edits = Vec::new();
    for node in picked {
        let condition = node.child_by_field_name("condition").expect("checked");
        let body = node.child_by_field_name("body").expect("checked");
        let mut cursor = node.walk();
        let Some(keyword) = node.children(&mut cursor).find(|c| c.kind() == "while") else {
            continue;
        };
        let indent = line_indent(source, node.start_byte());
        let inner = named_children(body)
            .first()
            .filter(|s| starts_line(file.source(), **s))
            .map_or_else(
                || format!("{indent}    "),
                |s| line_indent(source, s.start_byte()).to_string(),
            );
        let negated = format!("!{}", wrap(file, unparenthesized(condition)));
        edits.push(Edit::replace(
            keyword.start_byte()..condition.end_byte(),
            "for _ in std::iter::repeat(())",
        ));
        edits.push(Edit::insert(
            body.start_byte() + 1,
            format!("\n{inner}if {negated} {{\n{inner}    break;\n{inner}}}"),
        ));
    }
    Ok(edits)
}
