//! The Python versions of the transforms.

use std::collections::{HashMap, HashSet};

use arbor_syntax::tree_sitter::Node;
use arbor_syntax::ParsedFile;
use rand::seq::IndexedRandom;
use rand::Rng;

use super::common::{
    kind_is, pick_disjoint, pick_edits, shuffle_run, starts_line, statement_positions,
    swap_independent,
};
use crate::engine::{Context, Edit, Skip};
use crate::names::{NameGen, NameKind};
use crate::tree::{descendants, line_indent, line_start, named_children, Occurrences, TreeIndex};

/// Nodes that open a new scope for names.
const SCOPES: &[&str] = &[
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
fn target_names<'t>(node: Node<'t>, out: &mut Vec<Node<'t>>) {
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
fn bindings<'t, 's>(
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
fn is_variable(node: Node<'_>, parent: Option<Node<'_>>) -> bool {
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
fn is_dynamic_node(n: Node<'_>, file: &ParsedFile) -> bool {
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
fn is_dynamic(node: Node<'_>, file: &ParsedFile) -> bool {
    descendants(node)
        .into_iter()
        .any(|n| is_dynamic_node(n, file))
}

/// The renamable parameters of a function: positional ones without defaults (and `*args`,
/// `**kwargs`); not `self`/`cls`. Also returns the names of all parameters.
fn parameters(function: Node<'_>, file: &ParsedFile) -> (Vec<String>, HashSet<String>) {
    let mut renamable = Vec::new();
    let mut all = HashSet::new();
    let Some(params) = function.child_by_field_name("parameters") else {
        return (renamable, all);
    };
    let mut keyword_only = false;
    for (i, p) in named_children(params).into_iter().enumerate() {
        let name = match p.kind() {
            "identifier" => Some(p),
            "typed_parameter" | "list_splat_pattern" | "dictionary_splat_pattern" => descendants(p)
                .into_iter()
                .find(|n| n.kind() == "identifier"),
            "keyword_separator" => {
                keyword_only = true;
                None
            }
            _ => {
                for n in descendants(p) {
                    if n.kind() == "identifier" {
                        all.insert(file.text(n).to_string());
                    }
                }
                None
            }
        };
        if let Some(name) = name {
            let text = file.text(name).to_string();
            all.insert(text.clone());
            let splat = matches!(p.kind(), "list_splat_pattern" | "dictionary_splat_pattern")
                || file.text(p).starts_with('*');
            if splat && p.kind() == "list_splat_pattern" {
                keyword_only = true;
            }
            let is_self = i == 0 && (text == "self" || text == "cls");
            if !is_self && (!keyword_only || splat) {
                renamable.push(text);
            }
        }
    }
    (renamable, all)
}

/// The identifiers that name a function's parameters (not those in defaults or
/// annotations).
fn parameter_names(params: Node<'_>) -> Vec<Node<'_>> {
    named_children(params)
        .into_iter()
        .filter_map(|p| match p.kind() {
            "identifier" => Some(p),
            "typed_parameter" | "list_splat_pattern" | "dictionary_splat_pattern" => {
                named_children(p).into_iter().find_map(|c| match c.kind() {
                    "identifier" => Some(c),
                    "list_splat_pattern" | "dictionary_splat_pattern" => named_children(c)
                        .into_iter()
                        .find(|i| i.kind() == "identifier"),
                    _ => None,
                })
            }
            _ => None,
        })
        .collect()
}

/// rename-variables: in every function, its parameters and local variables get new names,
/// consistently through its body and the scopes nested in it.
pub fn rename_variables(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let index = TreeIndex::new(file.root());
    let nodes = index.nodes();
    if !nodes.iter().any(|n| n.kind() == "function_definition") {
        return Err(Skip::because("no function"));
    }
    // What each function needs to know about the code inside it, by position in the index, so
    // that nested scopes are not walked again for every function around them.
    let mut dynamic_before = vec![0usize; nodes.len() + 1];
    let mut identifiers = Occurrences::default();
    // Names bound in a scope (parameters, own bindings, imports and definitions, and the names
    // its global/nonlocal statements declare), at that scope.
    let mut scope_names = Occurrences::default();
    // global/nonlocal statements by their innermost scope.
    let mut declarations: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut open_scopes: Vec<usize> = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        while open_scopes
            .last()
            .is_some_and(|&o| index.subtree(o).end <= i)
        {
            open_scopes.pop();
        }
        dynamic_before[i + 1] = dynamic_before[i] + usize::from(is_dynamic_node(*n, file));
        if n.kind() == "identifier" {
            identifiers.add(file.text(*n), i);
        }
        if kind_is(*n, &["global_statement", "nonlocal_statement"]) {
            if let Some(&scope) = open_scopes.last() {
                declarations.entry(scope).or_default().push(i);
                for id in named_children(*n) {
                    scope_names.add(file.text(id), scope);
                }
            }
        }
        if kind_is(*n, SCOPES) {
            if let Some(params) = n.child_by_field_name("parameters") {
                for p in descendants(params) {
                    if p.kind() == "identifier" {
                        scope_names.add(file.text(p), i);
                    }
                }
            }
            let mut bound = Vec::new();
            let mut other = Vec::new();
            bindings(*n, &mut bound, &mut other, file);
            for b in bound {
                scope_names.add(file.text(b), i);
            }
            for name in other {
                scope_names.add(name, i);
            }
            open_scopes.push(i);
        }
    }
    scope_names.sort();
    let mut names = NameGen::new(file, ctx);
    let mut edits = Vec::new();
    let reserved = crate::names::reserved(file.language());
    for (f, function) in nodes.iter().enumerate() {
        if function.kind() != "function_definition" {
            continue;
        }
        let range = index.subtree(f);
        if dynamic_before[range.end] > dynamic_before[range.start] {
            continue;
        }
        let Some(body) = function.child_by_field_name("body") else {
            continue;
        };
        let Some(b) = index.index_of(body) else {
            continue;
        };
        let body_range = index.subtree(b);
        let (params, all_params) = parameters(*function, file);
        let mut bound = Vec::new();
        let mut excluded: HashSet<String> = HashSet::new();
        let mut imported = Vec::new();
        bindings(body, &mut bound, &mut imported, file);
        bound.sort_by_key(|n| n.start_byte());
        excluded.extend(imported.into_iter().map(String::from));
        // Names the function itself declares global or nonlocal.
        for &g in declarations.get(&f).into_iter().flatten() {
            for id in named_children(nodes[g]) {
                excluded.insert(file.text(id).to_string());
            }
        }
        excluded.extend(ctx.keep.iter().cloned());
        // Names bound in the scopes nested in the body.
        let nested =
            |name: &str| scope_names.any_within(name, body_range.start + 1..body_range.end);
        // Candidates in order of first appearance: parameters, then locals.
        let mut candidates: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for name in params
            .iter()
            .cloned()
            .chain(bound.iter().map(|b| file.text(*b).to_string()))
        {
            if !excluded.contains(&name)
                && !nested(&name)
                && !reserved.contains(&name.as_str())
                && seen.insert(name.clone())
            {
                candidates.push(name);
            }
        }
        // A parameter with a default or keyword-only keeps its name, and so do locals of the
        // same spelling.
        candidates.retain(|c| !all_params.contains(c) || params.contains(c));
        if candidates.is_empty() {
            continue;
        }
        let mapping: Vec<(String, String)> = candidates
            .into_iter()
            .map(|c| (c, names.next(NameKind::Variable)))
            .collect();
        // In the signature only the parameters' own names: defaults and annotations are
        // evaluated in the enclosing scope.
        let signature = function
            .child_by_field_name("parameters")
            .map(|p| parameter_names(p))
            .unwrap_or_default();
        let lookup: HashMap<&str, &String> = mapping
            .iter()
            .map(|(old, new)| (old.as_str(), new))
            .collect();
        for n in signature {
            if let Some(new) = lookup.get(file.text(n)) {
                edits.push(Edit::replace(n.byte_range(), (*new).clone()));
            }
        }
        for (old, new) in &mapping {
            for &i in identifiers.within(old, body_range.clone()) {
                let parent = index.parent(i).map(|p| nodes[p]);
                if is_variable(nodes[i], parent) {
                    edits.push(Edit::replace(nodes[i].byte_range(), new.clone()));
                }
            }
        }
    }
    if edits.is_empty() {
        return Err(Skip::because("no local variable can be renamed safely"));
    }
    Ok(edits)
}

/// rename-function: a top-level function (chosen at random) gets a new name everywhere the
/// file refers to it.
pub fn rename_function(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    if is_dynamic(file.root(), file) {
        return Err(Skip::because(
            "the file looks names up dynamically (eval, globals, …)",
        ));
    }
    let mut candidates: Vec<(String, Node<'_>)> = Vec::new();
    for item in named_children(file.root()) {
        let def = if item.kind() == "decorated_definition" {
            item.child_by_field_name("definition")
        } else {
            Some(item)
        };
        let Some(def) = def.filter(|d| d.kind() == "function_definition") else {
            continue;
        };
        let Some(name) = def.child_by_field_name("name") else {
            continue;
        };
        let text = file.text(name).to_string();
        if text.starts_with("__") || ctx.keep.contains(&text) {
            continue;
        }
        candidates.push((text, name));
    }
    // A name spelled inside a string may be looked up by it (getattr, __all__): leave it;
    // calls in docstrings (examples) are renamed with it.
    let docstrings: Vec<Node<'_>> = descendants(file.root())
        .into_iter()
        .filter(|n| {
            is_docstring(*n) && n.parent().is_some_and(|p| kind_is(p, &["block", "module"]))
        })
        .filter_map(|n| n.named_child(0))
        .collect();
    let strings: Vec<&str> = descendants(file.root())
        .into_iter()
        .filter(|n| n.kind() == "string" && !docstrings.contains(n))
        .map(|n| file.text(n))
        .collect();
    let mut bound_elsewhere: HashSet<String> = HashSet::new();
    for n in descendants(file.root()) {
        if n.kind() == "function_definition" || n.kind() == "lambda" {
            if let Some(params) = n.child_by_field_name("parameters") {
                for p in descendants(params) {
                    if p.kind() == "identifier" {
                        bound_elsewhere.insert(file.text(p).to_string());
                    }
                }
            }
        }
        if kind_is(n, &["global_statement", "nonlocal_statement"]) {
            for id in named_children(n) {
                bound_elsewhere.insert(file.text(id).to_string());
            }
        }
    }
    let mut others = Vec::new();
    let mut imported = Vec::new();
    bindings(file.root(), &mut others, &mut imported, file);
    for n in descendants(file.root()) {
        if kind_is(n, SCOPES) {
            let mut b = Vec::new();
            let mut i = Vec::new();
            bindings(n, &mut b, &mut i, file);
            bound_elsewhere.extend(b.iter().map(|x| file.text(*x).to_string()));
            bound_elsewhere.extend(
                i.into_iter()
                    .filter(|_| n.kind() != "class_definition")
                    .map(String::from),
            );
        }
    }
    bound_elsewhere.extend(others.iter().map(|b| file.text(*b).to_string()));
    let definitions: Vec<String> = imported.iter().map(|d| d.to_string()).collect();
    candidates.retain(|(name, _)| {
        !bound_elsewhere.contains(name)
            && definitions.iter().filter(|d| *d == name).count() == 1
            && !strings.iter().any(|s| s.contains(name.as_str()))
    });
    let Some((old, _)) = candidates.choose(&mut ctx.rng).cloned() else {
        return Err(Skip::because("no top-level function can be renamed safely"));
    };
    let mut names = NameGen::new(file, ctx);
    let new = names.next(NameKind::Function);
    let index = TreeIndex::new(file.root());
    let mut edits: Vec<Edit> = index
        .nodes()
        .iter()
        .enumerate()
        .filter(|(i, n)| {
            n.kind() == "identifier"
                && file.text(**n) == old
                && is_variable(**n, index.parent(*i).map(|p| index.nodes()[p]))
        })
        .map(|(_, n)| Edit::replace(n.byte_range(), new.clone()))
        .collect();
    for doc in docstrings {
        let text = file.text(doc);
        for (i, _) in text.match_indices(old.as_str()) {
            let before = text[..i].chars().next_back();
            let after = text[i + old.len()..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            // Calls in examples (`>>> name(…)`), not the word in prose.
            if !word(before) && after == Some('(') {
                let at = doc.start_byte() + i;
                edits.push(Edit::replace(at..at + old.len(), new.clone()));
            }
        }
    }
    ctx.renamed.push((old, new));
    Ok(edits)
}

/// The statements of blocks that start their own line, for insertions before them.
fn block_of(node: Node<'_>) -> Option<Node<'_>> {
    node.child_by_field_name("body")
        .or_else(|| node.child_by_field_name("consequence"))
}

/// The unit of indentation inside `block`: its first statement's indent minus `outer`.
fn indent_step<'a>(file: &'a ParsedFile, block: Node<'_>, outer: &str) -> Option<&'a str> {
    let inner = line_indent(file.source(), block.start_byte());
    inner.strip_prefix(outer).filter(|s| !s.is_empty())
}

/// for-to-while: `for T in E:` becomes a `while True:` loop that takes `T = next(it)` from
/// `it = iter(E)` and breaks at `StopIteration` (same order, same `continue`/`break`, same
/// value of `T` afterwards). Loops with an `else` are left alone.
pub fn for_to_while(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let loops: Vec<Node<'_>> = descendants(file.root())
        .into_iter()
        .filter(|n| {
            n.kind() == "for_statement"
                && n.child_by_field_name("alternative").is_none()
                && !file.text(*n).starts_with("async")
                && starts_line(file, *n)
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

/// The end of a compound statement's header: just after the `:` before its body.
fn body_header_end(statement: Node<'_>, body: Node<'_>) -> usize {
    let mut cursor = statement.walk();
    statement
        .children(&mut cursor)
        .filter(|c| c.kind() == ":" && c.end_byte() <= body.start_byte())
        .last()
        .map_or(body.start_byte(), |c| c.end_byte())
}

/// while-to-for: `while C:` becomes `for _ in iter(int, 1):` (an endless iterator) whose body
/// starts with `if not (C): break`. Loops with an `else` are left alone.
pub fn while_to_for(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
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
                && starts_line(file, *n)
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

/// swap-if-else: `if C: A else: B` becomes `if not (C): B else: A` (no `elif`).
pub fn swap_if_else(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
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

/// dead-code: at a statement position, an unreachable branch (`if False:`, `while False:`)
/// or an assignment to a new, unused name.
pub fn dead_code(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let positions = statement_positions(file);
    let Some(&statement) = positions.choose(&mut ctx.rng) else {
        return Err(Skip::because("no statement position"));
    };
    let source = file.source();
    let indent = line_indent(source, statement.start_byte());
    let step = if indent.contains('\t') { "\t" } else { "    " };
    let mut names = NameGen::new(file, ctx);
    let name = names.next(NameKind::Variable);
    let value: u32 = ctx.rng.random_range(0..100);
    let code = match ctx.rng.random_range(0..3) {
        0 => format!("{indent}if False:\n{indent}{step}{name} = {value}\n"),
        1 => format!("{indent}while False:\n{indent}{step}{name} = {value}\n"),
        _ => format!("{indent}{name} = {value}\n"),
    };
    Ok(vec![Edit::insert(
        line_start(source, statement.start_byte()),
        code,
    )])
}

pub(crate) fn is_docstring(statement: Node<'_>) -> bool {
    statement.kind() == "expression_statement"
        && named_children(statement)
            .first()
            .is_some_and(|c| c.kind() == "string")
        && statement.named_child_count() == 1
}

/// The names an expression reads, or `None` when it may have side effects or read state
/// other than names (calls, attributes, subscripts, await, yield, lambdas…).
fn pure_reads(file: &ParsedFile, node: Node<'_>, out: &mut HashSet<String>) -> bool {
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
    if !pure_reads(file, right, &mut reads) {
        return None;
    }
    let writes = targets.iter().map(|t| file.text(*t).to_string()).collect();
    Some((writes, reads))
}

/// reorder-statements: swaps adjacent assignments whose right-hand sides have no side
/// effects and that neither read nor write the other's names.
pub fn reorder_statements(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let mut blocks = vec![file.root()];
    blocks.extend(
        descendants(file.root())
            .into_iter()
            .filter(|n| n.kind() == "block"),
    );
    swap_independent(file, ctx, blocks, &|s| simple_assignment(file, s))
}

/// reorder-imports: a run of two or more import statements in the module, each on its own
/// line, shuffled (`from __future__` imports, a kind of their own, are never part of one).
pub fn reorder_imports(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    shuffle_run(file, ctx, vec![file.root()], &|s| {
        kind_is(s, &["import_statement", "import_from_statement"])
    })
}

/// augmented-assignment: `x += 1` ↔ `x = x + 1` for a name and a number or string literal.
pub fn augmented_assignment(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
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

/// negated-comparison: `not a == b` ↔ `a != b`, `not a in b` ↔ `a not in b`,
/// `not a is b` ↔ `a is not b` (one comparison, not a chain).
pub fn negated_comparison(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
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

/// de-morgan: `not (a and b)` ↔ `(not a or not b)`, `not (a or b)` ↔ `(not a and not b)`.
pub fn de_morgan(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
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

/// remove-docstrings: the docstrings of functions and classes go; a body left empty gets
/// `pass`.
pub fn remove_docstrings(file: &ParsedFile, _ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let mut edits = Vec::new();
    for def in descendants(file.root())
        .into_iter()
        .filter(|n| kind_is(*n, &["function_definition", "class_definition"]))
    {
        let Some(body) = block_of(def) else { continue };
        let statements: Vec<Node<'_>> = named_children(body)
            .into_iter()
            .filter(|s| s.kind() != "comment")
            .collect();
        let Some(first) = statements.first().copied().filter(|s| is_docstring(*s)) else {
            continue;
        };
        if !starts_line(file, first) {
            continue;
        }
        let start = line_start(source, first.start_byte());
        let end = first.end_byte();
        let end = if source[end..]
            .trim_start_matches([' ', '\t'])
            .starts_with('\n')
        {
            end + source[end..].find('\n').expect("checked") + 1
        } else if source[end..].trim().is_empty() {
            source.len()
        } else {
            continue;
        };
        let replacement = if statements.len() == 1 {
            format!("{}pass\n", line_indent(source, first.start_byte()))
        } else {
            String::new()
        };
        edits.push(Edit::replace(start..end, replacement));
    }
    if edits.is_empty() {
        return Err(Skip::because("no docstring"));
    }
    Ok(edits)
}
