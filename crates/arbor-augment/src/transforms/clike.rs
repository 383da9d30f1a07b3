//! The JavaScript and Rust versions of the transforms (brace languages: one implementation
//! with the node kinds of each grammar).

use std::collections::{HashMap, HashSet};

use arbor_syntax::tree_sitter::Node;
use arbor_syntax::{Language, ParsedFile};
use rand::seq::IndexedRandom;
use rand::Rng;

use super::common::{
    indented, kind_is, pick_disjoint, pick_edits, shuffle_run, starts_line, statement_positions,
    swap_independent, DefUse,
};
use super::docs::doc_nodes;
use crate::engine::{Context, Edit, Skip};
use crate::names::{NameGen, NameKind};
use crate::tree::{descendants, line_indent, line_start, named_children, Occurrences, TreeIndex};

fn js(file: &ParsedFile) -> bool {
    file.language() == Language::JavaScript
}

/// Operands that need no parentheses under a prefix `!`.
fn primary(node: Node<'_>) -> bool {
    kind_is(
        node,
        &[
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
            "integer_literal",
            "float_literal",
            "boolean_literal",
            "string_literal",
            "field_expression",
            "index_expression",
            "method_call_expression",
            "unary_expression",
            "this",
            "self",
        ],
    )
}

fn wrap(file: &ParsedFile, node: Node<'_>) -> String {
    if primary(node) {
        file.text(node).to_string()
    } else {
        format!("({})", file.text(node))
    }
}

/// The inside of `(e)` (repeatedly), else the node itself.
fn unparen(mut node: Node<'_>) -> Node<'_> {
    while node.kind() == "parenthesized_expression" && node.named_child_count() == 1 {
        node = node.named_child(0).expect("one child");
    }
    node
}

/// `(left, operator, right)` of a binary expression.
fn binary<'t>(file: &ParsedFile, node: Node<'t>) -> Option<(Node<'t>, String, Node<'t>)> {
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

/// The operand of a prefix `!`.
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

fn is_not<'t>(file: &ParsedFile, node: Node<'t>) -> Option<Node<'t>> {
    let operand = negated(node)?;
    file.source()[node.start_byte()..operand.start_byte()]
        .trim()
        .eq("!")
        .then_some(operand)
}

/// Whether a replacement expression may stand where `node` stood without parentheses
/// (statement, argument, initializer, condition, operand of `&&`/`||`).
fn loose_context(file: &ParsedFile, node: Node<'_>) -> bool {
    let Some(parent) = node.parent() else {
        return true;
    };
    match parent.kind() {
        "parenthesized_expression"
        | "expression_statement"
        | "arguments"
        | "variable_declarator"
        | "return_statement"
        | "let_declaration"
        | "return_expression"
        | "if_expression"
        | "while_expression"
        | "array"
        | "array_expression"
        | "pair"
        | "field_initializer" => true,
        "binary_expression" => {
            binary(file, parent).is_some_and(|(_, op, _)| matches!(op.as_str(), "&&" | "||" | "??"))
        }
        "assignment_expression" => parent.child_by_field_name("right") == Some(node),
        _ => false,
    }
}

/// swap-if-else: `if (c) { A } else { B }` becomes `if (!(c)) { B } else { A }` (braced
/// branches, no `else if`, no `if let`).
pub fn swap_if_else(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let (if_kind, block_kind) = if js(file) {
        ("if_statement", "statement_block")
    } else {
        ("if_expression", "block")
    };
    let candidates: Vec<Node<'_>> = descendants(file.root())
        .into_iter()
        .filter(|n| {
            n.kind() == if_kind
                && n.child_by_field_name("consequence")
                    .is_some_and(|c| c.kind() == block_kind)
                && n.child_by_field_name("alternative").is_some_and(|a| {
                    named_children(a)
                        .first()
                        .is_some_and(|b| b.kind() == block_kind)
                })
                && n.child_by_field_name("condition")
                    .is_some_and(|c| !kind_is(c, &["let_condition", "let_chain"]))
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
        let inner = unparen(condition);
        let negation = match is_not(file, inner) {
            Some(operand) => {
                let text = file.text(unparen(operand));
                if js(file) || text.contains('{') {
                    format!("({text})")
                } else {
                    text.to_string()
                }
            }
            None if js(file) => format!("(!({}))", file.text(inner)),
            None => format!("!({})", file.text(inner)),
        };
        edits.push(Edit::replace(condition.byte_range(), negation));
        edits.push(Edit::replace(then.byte_range(), file.text(otherwise)));
        edits.push(Edit::replace(otherwise.byte_range(), file.text(then)));
    }
    Ok(edits)
}

/// negated-comparison: `!(a == b)` ↔ `a != b` (and `===`/`!==`).
pub fn negated_comparison(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
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
            let inner = unparen(operand);
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

/// de-morgan: `!(a && b)` ↔ `(!a || !b)`, and the same for `||`.
pub fn de_morgan(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let dual = |op: &str| if op == "&&" { "||" } else { "&&" };
    let mut candidates = Vec::new();
    for n in descendants(file.root()) {
        if let Some(operand) = is_not(file, n) {
            let inner = unparen(operand);
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

/// augmented-assignment: `x += 1` ↔ `x = x + 1` for a name and a number or string literal.
pub fn augmented_assignment(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let literal = |n: Node<'_>| {
        kind_is(
            n,
            &[
                "number",
                "string",
                "integer_literal",
                "float_literal",
                "string_literal",
            ],
        )
    };
    let compound = if js(file) {
        "augmented_assignment_expression"
    } else {
        "compound_assignment_expr"
    };
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
        if n.kind() == compound && literal(right) {
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

/// dead-code: an unreachable block or an unused binding at a statement position inside a
/// function.
pub fn dead_code(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let block = if js(file) { "statement_block" } else { "block" };
    let positions: Vec<Node<'_>> = statement_positions(file)
        .into_iter()
        .filter(|s| s.parent().is_some_and(|p| p.kind() == block))
        .collect();
    let Some(&statement) = positions.choose(&mut ctx.rng) else {
        return Err(Skip::because("no statement position in a function"));
    };
    let source = file.source();
    let indent = line_indent(source, statement.start_byte());
    let mut names = NameGen::new(file, ctx);
    let name = names.next(NameKind::Variable);
    let value: u32 = ctx.rng.random_range(0..100);
    let code = match (js(file), ctx.rng.random_range(0..3)) {
        (true, 0) => {
            format!("{indent}if (false) {{\n{indent}  let {name} = {value};\n{indent}}}\n")
        }
        (true, 1) => {
            format!("{indent}while (false) {{\n{indent}  let {name} = {value};\n{indent}}}\n")
        }
        (true, _) => format!("{indent}let {name} = {value};\n"),
        (false, 0) => {
            format!("{indent}if false {{\n{indent}    let _{name} = {value};\n{indent}}}\n")
        }
        (false, 1) => {
            format!("{indent}while false {{\n{indent}    let _{name} = {value};\n{indent}}}\n")
        }
        (false, _) => format!("{indent}let _{name} = {value};\n"),
    };
    Ok(vec![Edit::insert(
        line_start(source, statement.start_byte()),
        code,
    )])
}

/// Whether `body` has a `continue` that belongs to the loop itself (not to a nested one).
fn has_own_continue(body: Node<'_>) -> bool {
    let loops = [
        "for_statement",
        "for_in_statement",
        "while_statement",
        "do_statement",
        "for_expression",
        "while_expression",
        "loop_expression",
        "function_declaration",
        "function_expression",
        "arrow_function",
        "closure_expression",
        "function_item",
    ];
    let mut stack = named_children(body);
    while let Some(n) = stack.pop() {
        if kind_is(n, &["continue_statement", "continue_expression"]) {
            return true;
        }
        if !kind_is(n, &loops) {
            stack.extend(named_children(n));
        }
    }
    false
}

/// for-to-while. JavaScript: `for (init; cond; update) { body }` without a `continue`
/// becomes `{ init; while (cond) { body update; } }`. Rust: `for PAT in EXPR { body }`
/// becomes `{ let mut it = (EXPR).into_iter(); while let Some(PAT) = it.next() { body } }`.
pub fn for_to_while(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let loops: Vec<Node<'_>> = descendants(file.root())
        .into_iter()
        .filter(|n| {
            let Some(body) = n.child_by_field_name("body") else {
                return false;
            };
            if js(file) {
                // A `let` in the header is a fresh binding per iteration: closures in the body
                // would see one shared variable after the rewrite.
                let per_iteration = n
                    .child_by_field_name("initializer")
                    .is_some_and(|i| file.text(i).starts_with("let"))
                    && descendants(body).iter().any(|d| {
                        kind_is(
                            *d,
                            &[
                                "arrow_function",
                                "function_expression",
                                "function",
                                "function_declaration",
                                "class",
                                "generator_function",
                            ],
                        )
                    });
                n.kind() == "for_statement"
                    && body.kind() == "statement_block"
                    && !has_own_continue(body)
                    && !per_iteration
                    && n.child_by_field_name("condition").is_some()
            } else {
                n.kind() == "for_expression"
                    && !file.text(*n).starts_with('\'')
                    && n.parent()
                        .is_some_and(|p| p.kind() == "expression_statement")
            }
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
        // One indentation step, as the body uses it: the body moves one level deeper.
        let step = named_children(body)
            .first()
            .filter(|s| starts_line(file, **s))
            .and_then(|s| line_indent(source, s.start_byte()).strip_prefix(indent))
            .filter(|s| !s.is_empty())
            .unwrap_or(if js(file) { "  " } else { "    " })
            .to_string();
        let body_text = indented(file, body.byte_range(), &step);
        let inner_body = &body_text[1..body_text.len() - 1];
        let text = if js(file) {
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
            format!(
                "{{\n{indent}{step}{init}while ({condition}) {{{}\n{update}{indent}{step}}}\n{indent}}}",
                inner_body.trim_end()
            )
        } else {
            let (Some(pattern), Some(value)) = (
                for_loop.child_by_field_name("pattern"),
                for_loop.child_by_field_name("value"),
            ) else {
                continue;
            };
            let it = names.next(NameKind::Variable);
            format!(
                "{{\n{indent}{step}let mut {it} = ({}).into_iter();\n{indent}{step}while let Some({}) = {it}.next() {body_text}\n{indent}}}",
                file.text(value),
                file.text(pattern)
            )
        };
        edits.push(Edit::replace(for_loop.byte_range(), text));
    }
    Ok(edits)
}

/// while-to-for. JavaScript: `while (c) S` becomes `for (; c; ) S`. Rust, which has no
/// C-style `for`: `while c { body }` becomes `for _ in std::iter::repeat(()) { if !(c) {
/// break; } body }` (a label stays; `while let` is left alone).
pub fn while_to_for(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    if !js(file) {
        return rust_while_to_for(file, ctx);
    }
    let loops: Vec<(Node<'_>, String)> = descendants(file.root())
        .into_iter()
        .filter(|n| n.kind() == "while_statement")
        .filter_map(|n| {
            let condition = n.child_by_field_name("condition")?;
            let inner = unparen(condition);
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

fn rust_while_to_for(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
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
            .filter(|s| starts_line(file, **s))
            .map_or_else(
                || format!("{indent}    "),
                |s| line_indent(source, s.start_byte()).to_string(),
            );
        let negated = format!("!{}", wrap(file, unparen(condition)));
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

/// Identifiers bound by a pattern (Rust `(a, mut b)`, JS `[a, b]`, defaults, rests).
fn pattern_names<'t>(node: Node<'t>, out: &mut Vec<Node<'t>>) {
    let mut stack = vec![node];
    let mut found = Vec::new();
    while let Some(node) = stack.pop() {
        match node.kind() {
            "identifier" => found.push(node),
            "tuple_pattern" | "array_pattern" | "rest_pattern" | "mut_pattern" | "ref_pattern"
            | "reference_pattern" | "slice_pattern" => stack.extend(named_children(node)),
            "assignment_pattern" => stack.extend(node.child_by_field_name("left")),
            _ => {}
        }
    }
    found.sort_by_key(|n| n.start_byte());
    out.extend(found);
}

/// The names spelled as `{name}` or `{name:…}` in a string (format-string placeholders), in
/// one pass: a placeholder runs from a `{` to the first `}` or `:`, and holds no `{`.
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'{')
        .filter_map(move |(open, _)| {
            let len = bytes[open + 1..]
                .iter()
                .position(|b| matches!(b, b'}' | b':' | b'{'))?;
            let end = open + 1 + len;
            (bytes[end] != b'{' && len > 0).then(|| &text[open + 1..end])
        })
}

/// rename-variables (JavaScript, Rust): parameters and local bindings of each function get
/// new names through its body. Names also spelled inside a nested function or closure, used as
/// shorthand properties or fields, spelled in a format string, called as functions, or of
/// functions that use `eval`/`with`/`arguments` or macros defining macros are left alone.
///
/// Linear in the size of the file however deep functions nest: what each function needs to
/// know about the code inside it is looked up by position in one index of the tree.
pub fn rename_variables(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let mut names = NameGen::new(file, ctx);
    let mut edits = Vec::new();
    let js = js(file);
    let index = TreeIndex::new(file.root());
    let nodes = index.nodes();
    let function_kinds: &[&str] = if js {
        &[
            "function_declaration",
            "function_expression",
            "arrow_function",
            "method_definition",
            "generator_function_declaration",
            "function",
        ]
    } else {
        &["function_item"]
    };
    // Scopes of their own: bindings inside are not the enclosing function's.
    let nested_kinds: &[&str] = if js {
        &[
            "function_declaration",
            "function_expression",
            "arrow_function",
            "method_definition",
            "generator_function_declaration",
            "generator_function",
            "function",
            "class_declaration",
            "class",
        ]
    } else {
        &[
            "function_item",
            "closure_expression",
            "impl_item",
            "trait_item",
            "mod_item",
        ]
    };
    let mut item_names: HashSet<&str> = HashSet::new();
    let mut called: HashSet<usize> = HashSet::new();
    for n in nodes {
        if kind_is(
            *n,
            &[
                "function_item",
                "function_declaration",
                "class_declaration",
                "struct_item",
                "enum_item",
                "const_item",
                "static_item",
                "mod_item",
                "macro_definition",
            ],
        ) {
            if let Some(name) = n.child_by_field_name("name") {
                item_names.insert(file.text(name));
            }
        }
        if n.kind() == "call_expression" {
            called.extend(n.child_by_field_name("function").map(|f| f.id()));
        }
    }
    // What each name does where, by position in the index.
    let mut dynamic_before = vec![0usize; nodes.len() + 1];
    let mut identifiers = Occurrences::default();
    let mut in_nested = Occurrences::default(); // at the innermost nested scope around it
    let mut keeps_name = Occurrences::default(); // shorthand, called, `self`
    let mut in_format = Occurrences::default();
    let mut open_nested: Vec<usize> = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        while open_nested
            .last()
            .is_some_and(|&o| index.subtree(o).end <= i)
        {
            open_nested.pop();
        }
        let text = file.text(*n);
        let dynamic = (n.kind() == "identifier" && matches!(text, "eval" | "arguments"))
            || n.kind() == "with_statement"
            || n.kind() == "macro_definition";
        dynamic_before[i + 1] = dynamic_before[i] + usize::from(dynamic);
        match n.kind() {
            "identifier" => {
                identifiers.add(text, i);
                if let Some(&scope) = open_nested.last() {
                    in_nested.add(text, scope);
                }
                if called.contains(&n.id()) || text == "self" {
                    keeps_name.add(text, i);
                }
            }
            // `{x}` in JavaScript objects and patterns, `S { x }` in Rust expressions and
            // patterns: the name is also a key or field, so it keeps its spelling.
            "shorthand_property_identifier"
            | "shorthand_property_identifier_pattern"
            | "shorthand_field_initializer"
            | "shorthand_field_identifier" => keeps_name.add(text, i),
            "string_literal" | "raw_string_literal" => {
                for name in placeholders(text) {
                    in_format.add(name, i);
                }
            }
            _ => {}
        }
        if kind_is(*n, nested_kinds) {
            open_nested.push(i);
        }
    }
    in_nested.sort();
    let reserved = crate::names::reserved(file.language());
    for (f, function) in nodes.iter().enumerate() {
        if !kind_is(*function, function_kinds) {
            continue;
        }
        let Some(body) = function.child_by_field_name("body") else {
            continue;
        };
        let range = index.subtree(f);
        if dynamic_before[range.end] > dynamic_before[range.start] {
            continue;
        }
        let mut bound = Vec::new();
        if let Some(params) = function
            .child_by_field_name("parameters")
            .or_else(|| function.child_by_field_name("parameter"))
        {
            if js {
                for p in std::iter::once(params).chain(named_children(params)) {
                    pattern_names(p, &mut bound);
                }
            } else {
                for p in named_children(params) {
                    if let Some(pattern) = p.child_by_field_name("pattern") {
                        pattern_names(pattern, &mut bound);
                    }
                }
            }
        }
        // Bindings of the function itself, not of nested functions or closures. (A body that
        // is itself a function, `x => y => x + y`, is walked: the outer function renames its
        // names through the inner one.)
        let mut stack = named_children(body);
        while let Some(n) = stack.pop() {
            if kind_is(n, nested_kinds) {
                continue;
            }
            let binding = match n.kind() {
                "variable_declarator" => n.child_by_field_name("name"),
                "let_declaration" | "for_expression" => n.child_by_field_name("pattern"),
                "for_in_statement" => n.child_by_field_name("left"),
                "catch_clause" => n.child_by_field_name("parameter"),
                _ => None,
            };
            if let Some(binding) = binding {
                pattern_names(binding, &mut bound);
            }
            stack.extend(named_children(n));
        }
        bound.sort_by_key(|n| n.start_byte());
        // Names spelled in the scopes nested in the function (in its body, below the body
        // itself, or in its parameters' default values).
        let Some(body_index) = index.index_of(body) else {
            continue;
        };
        let in_nested_scope = |name: &str| {
            in_nested.any_within(name, range.start + 1..body_index)
                || in_nested.any_within(name, body_index + 1..range.end)
        };
        let mut mapping: Vec<(&str, String)> = Vec::new();
        let mut mapped: HashSet<&str> = HashSet::new();
        for b in bound {
            let name = file.text(b);
            if item_names.contains(name)
                || ctx.keep.iter().any(|k| k == name)
                || in_nested_scope(name)
                || keeps_name.any_within(name, range.clone())
                || in_format.any_within(name, range.clone())
                || reserved.contains(&name)
                || name.starts_with('_')
                || !mapped.insert(name)
            {
                continue;
            }
            mapping.push((name, names.next(NameKind::Variable)));
        }
        for (old, new) in &mapping {
            for &i in identifiers.within(old, range.clone()) {
                edits.push(Edit::replace(nodes[i].byte_range(), new.clone()));
            }
        }
    }
    if edits.is_empty() {
        return Err(Skip::because("no local variable can be renamed safely"));
    }
    Ok(edits)
}

/// rename-function (JavaScript, Rust): a top-level function gets a new name at its
/// definition and every identifier that refers to it; skipped when the name is also bound
/// locally somewhere or spelled in a string.
pub fn rename_function(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let kind = if js(file) {
        "function_declaration"
    } else {
        "function_item"
    };
    let mut candidates: Vec<String> = named_children(file.root())
        .into_iter()
        .filter(|n| n.kind() == kind)
        .filter_map(|n| n.child_by_field_name("name"))
        .map(|n| file.text(n).to_string())
        .filter(|n| n != "main" && !ctx.keep.contains(n))
        .collect();
    let mut definitions: HashMap<String, usize> = HashMap::new();
    for n in descendants(file.root()) {
        if kind_is(
            n,
            &[
                "function_item",
                "function_declaration",
                "method_definition",
                "variable_declarator",
                "let_declaration",
                "parameter",
                "formal_parameters",
            ],
        ) {
            for d in descendants(n) {
                if d.kind() == "identifier" || d.kind() == "property_identifier" {
                    let counts = n.kind() == "function_item"
                        || n.kind() == "function_declaration"
                        || n.kind() == "method_definition";
                    if counts && n.child_by_field_name("name") != Some(d) {
                        continue;
                    }
                    *definitions.entry(file.text(d).to_string()).or_default() += 1;
                }
            }
        }
    }
    let strings: Vec<&str> = descendants(file.root())
        .into_iter()
        .filter(|n| {
            kind_is(
                *n,
                &[
                    "string",
                    "template_string",
                    "string_literal",
                    "raw_string_literal",
                ],
            )
        })
        .map(|n| file.text(n))
        .collect();
    candidates.retain(|name| {
        definitions.get(name) == Some(&1) && !strings.iter().any(|s| s.contains(name.as_str()))
    });
    let Some(old) = candidates.choose(&mut ctx.rng).cloned() else {
        return Err(Skip::because("no top-level function can be renamed safely"));
    };
    let mut names = NameGen::new(file, ctx);
    let new = names.next(NameKind::Function);
    let edits: Vec<Edit> = descendants(file.root())
        .into_iter()
        .filter(|n| n.kind() == "identifier" && file.text(*n) == old)
        .map(|n| Edit::replace(n.byte_range(), new.clone()))
        .collect();
    ctx.renamed.push((old, new));
    Ok(edits)
}

/// remove-docstrings (JavaScript, Rust): JSDoc comments (`/** … */`) and Rust doc comments
/// (`///`, `//!`, `/** */`, `/*! */`) go with their lines.
pub fn remove_docstrings(file: &ParsedFile, _ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let mut edits = Vec::new();
    for comment in doc_nodes(file) {
        if !starts_line(file, comment) {
            continue;
        }
        let start = line_start(source, comment.start_byte());
        let end = comment.end_byte();
        let end = if source[end..]
            .trim_start_matches([' ', '\t', '\r'])
            .starts_with('\n')
        {
            end + source[end..].find('\n').expect("checked") + 1
        } else {
            end
        };
        edits.push(Edit::replace(start..end, ""));
    }
    if edits.is_empty() {
        return Err(Skip::because("no doc comment"));
    }
    Ok(edits)
}

/// The names a JavaScript or Rust expression reads, or `None` when it may have side effects
/// (calls, member access, indexing, `await`, `delete`, `in`/`instanceof`, closures, Rust's
/// `*` dereference…).
fn pure_reads(file: &ParsedFile, node: Node<'_>, out: &mut HashSet<String>) -> bool {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "identifier" => {
                out.insert(file.text(node).to_string());
            }
            "number" | "string" | "string_fragment" | "escape_sequence" | "true" | "false"
            | "null" | "undefined" | "integer_literal" | "float_literal" | "boolean_literal"
            | "string_literal" | "string_content" | "char_literal" => {}
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
            "type_cast_expression" => match node.child_by_field_name("value") {
                Some(value) => stack.push(value),
                None => return false,
            },
            "parenthesized_expression"
            | "array"
            | "array_expression"
            | "tuple_expression"
            | "ternary_expression" => stack.extend(named_children(node)),
            _ => return false,
        }
    }
    true
}

/// For `let x = e;` / `const x = e;` / `x = e;` with pure `e`: (names written, names read).
/// In Rust a bare name on the right is a move whose drop order would change: not simple.
fn simple_binding(file: &ParsedFile, statement: Node<'_>) -> Option<DefUse> {
    let (name, value) = match statement.kind() {
        "lexical_declaration" => {
            let declarators = named_children(statement);
            let [declarator] = declarators.as_slice() else {
                return None;
            };
            (
                declarator.child_by_field_name("name")?,
                declarator.child_by_field_name("value")?,
            )
        }
        "let_declaration" => {
            if statement.child_by_field_name("alternative").is_some() {
                return None;
            }
            let value = statement.child_by_field_name("value")?;
            if unparen(value).kind() == "identifier" {
                return None;
            }
            (statement.child_by_field_name("pattern")?, value)
        }
        "expression_statement" => {
            let assignment = statement.named_child(0)?;
            if statement.named_child_count() != 1 || assignment.kind() != "assignment_expression" {
                return None;
            }
            let value = assignment.child_by_field_name("right")?;
            if !js(file) && unparen(value).kind() == "identifier" {
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
    if !pure_reads(file, value, &mut reads) {
        return None;
    }
    Some((HashSet::from([file.text(name).to_string()]), reads))
}

/// reorder-statements: swaps adjacent `let`/`const` declarations and assignments of a name
/// whose right-hand sides have no side effects and that neither read nor write the other's
/// names.
pub fn reorder_statements(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let kinds: &[&str] = if js(file) {
        &["statement_block"]
    } else {
        &["block"]
    };
    let mut blocks = vec![file.root()];
    blocks.extend(
        descendants(file.root())
            .into_iter()
            .filter(|n| kind_is(*n, kinds)),
    );
    swap_independent(file, ctx, blocks, &|s| simple_binding(file, s))
}

/// reorder-imports: a run of two or more JavaScript `import` declarations or Rust `use`
/// declarations (of the file or a `mod` body; not one under an attribute), shuffled.
pub fn reorder_imports(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let mut containers = vec![file.root()];
    if !js(file) {
        containers.extend(
            descendants(file.root())
                .into_iter()
                .filter(|n| n.kind() == "declaration_list")
                .filter(|n| n.parent().is_some_and(|p| p.kind() == "mod_item")),
        );
    }
    shuffle_run(file, ctx, containers, &|s| {
        if js(file) {
            s.kind() == "import_statement"
        } else {
            s.kind() == "use_declaration"
                && s.prev_named_sibling()
                    .is_none_or(|p| p.kind() != "attribute_item")
        }
    })
}
