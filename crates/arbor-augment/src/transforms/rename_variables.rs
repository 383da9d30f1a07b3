//! rename-variables: the parameters and local variables of each function get new names,
//! consistently through its body and scope-aware.
//!
//! Linear in the size of the file however deep functions nest: what each function needs to
//! know about the code inside it is looked up by position in one index of the tree
//! ([`TreeIndex`]), so nested scopes are not walked again for every function around them.

use std::collections::{HashMap, HashSet};

use arbor_syntax::node::{descendants, kind_is, named_children};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::ParsedFile;

use super::bindings::{bindings, is_dynamic_node, is_variable, SCOPES};
use super::Transform;
use crate::engine::{Context, Edit, Skip};
use crate::names::{NameGen, NameKind};
use crate::tree::{Occurrences, TreeIndex};

/// The registry entry.
pub(super) const TRANSFORM: Transform = Transform {
    id: "rename-variables",
    category: "names",
    summary: "rename local variables and parameters, consistently and scope-aware",
    python: Some(python),
    javascript: Some(javascript),
    rust: Some(rust),
};

/// The skip reason when no function has a name that can be renamed.
const NOTHING_SAFE: &str = "no local variable can be renamed safely";

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

/// What each Python function needs to know about the code inside it, by position in the
/// index.
struct PythonScopes<'s> {
    /// For each position, how many dynamic nodes ([`is_dynamic_node`]) come before it.
    dynamic_before: Vec<usize>,
    /// Every identifier.
    identifiers: Occurrences<'s>,
    /// Names bound in a scope (parameters, own bindings, imports and definitions, and the
    /// names its global/nonlocal statements declare), at that scope.
    scope_names: Occurrences<'s>,
    /// global/nonlocal statements by their innermost scope.
    declarations: HashMap<usize, Vec<usize>>,
}

impl<'s> PythonScopes<'s> {
    /// Collects the facts in one walk of the index.
    fn collect(file: &'s ParsedFile, index: &TreeIndex<'s>) -> PythonScopes<'s> {
        let nodes = index.nodes();
        let mut facts = PythonScopes {
            dynamic_before: vec![0usize; nodes.len() + 1],
            identifiers: Occurrences::default(),
            scope_names: Occurrences::default(),
            declarations: HashMap::new(),
        };
        let mut open_scopes: Vec<usize> = Vec::new();
        for (i, n) in nodes.iter().enumerate() {
            while open_scopes
                .last()
                .is_some_and(|&o| index.subtree(o).end <= i)
            {
                open_scopes.pop();
            }
            facts.dynamic_before[i + 1] =
                facts.dynamic_before[i] + usize::from(is_dynamic_node(*n, file));
            if n.kind() == "identifier" {
                facts.identifiers.add(file.text(*n), i);
            }
            if kind_is(*n, &["global_statement", "nonlocal_statement"]) {
                if let Some(&scope) = open_scopes.last() {
                    facts.declarations.entry(scope).or_default().push(i);
                    for id in named_children(*n) {
                        facts.scope_names.add(file.text(id), scope);
                    }
                }
            }
            if kind_is(*n, SCOPES) {
                facts.add_scope(file, *n, i);
                open_scopes.push(i);
            }
        }
        facts.scope_names.sort();
        facts
    }

    /// Records the names scope `n` (at `i`) binds: its parameters and its own bindings.
    fn add_scope(&mut self, file: &'s ParsedFile, n: Node<'s>, i: usize) {
        if let Some(params) = n.child_by_field_name("parameters") {
            for p in descendants(params) {
                if p.kind() == "identifier" {
                    self.scope_names.add(file.text(p), i);
                }
            }
        }
        let mut bound = Vec::new();
        let mut other = Vec::new();
        bindings(n, &mut bound, &mut other, file);
        for b in bound {
            self.scope_names.add(file.text(b), i);
        }
        for name in other {
            self.scope_names.add(name, i);
        }
    }
}

/// rename-variables (Python): in every function, its parameters and local variables get new
/// names, consistently through its body and the scopes nested in it.
fn python(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let index = TreeIndex::new(file.root());
    let nodes = index.nodes();
    if !nodes.iter().any(|n| n.kind() == "function_definition") {
        return Err(Skip::because("no function"));
    }
    let facts = PythonScopes::collect(file, &index);
    let mut names = NameGen::new(file, ctx);
    let mut edits = Vec::new();
    for (f, function) in nodes.iter().enumerate() {
        if function.kind() != "function_definition" {
            continue;
        }
        let range = index.subtree(f);
        if facts.dynamic_before[range.end] > facts.dynamic_before[range.start] {
            continue;
        }
        let Some(body) = function.child_by_field_name("body") else {
            continue;
        };
        let Some(b) = index.index_of(body) else {
            continue;
        };
        let body_range = index.subtree(b);
        let candidates = python_candidates(file, &index, &facts, f, &ctx.keep);
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
            for &i in facts.identifiers.within(old, body_range.clone()) {
                let parent = index.parent(i).map(|p| nodes[p]);
                if is_variable(nodes[i], parent) {
                    edits.push(Edit::replace(nodes[i].byte_range(), new.clone()));
                }
            }
        }
    }
    if edits.is_empty() {
        return Err(Skip::because(NOTHING_SAFE));
    }
    Ok(edits)
}

/// The names the function at `f` of the index (one with a body) may rename, in order of
/// first appearance: its renamable parameters, then its locals; not names it imports,
/// defines or declares global or nonlocal, names to keep, names bound in scopes nested in
/// it, reserved words, or the spelling of a parameter that keeps its name.
fn python_candidates(
    file: &ParsedFile,
    index: &TreeIndex<'_>,
    facts: &PythonScopes<'_>,
    f: usize,
    keep: &[String],
) -> Vec<String> {
    let reserved = crate::names::reserved(file.language());
    let function = index.nodes()[f];
    let Some(body) = function.child_by_field_name("body") else {
        return Vec::new();
    };
    let Some(b) = index.index_of(body) else {
        return Vec::new();
    };
    let body_range = index.subtree(b);
    let (params, all_params) = parameters(function, file);
    let mut bound = Vec::new();
    let mut excluded: HashSet<String> = HashSet::new();
    let mut imported = Vec::new();
    bindings(body, &mut bound, &mut imported, file);
    bound.sort_by_key(|n| n.start_byte());
    excluded.extend(imported.into_iter().map(String::from));
    // Names the function itself declares global or nonlocal.
    for &g in facts.declarations.get(&f).into_iter().flatten() {
        for id in named_children(index.nodes()[g]) {
            excluded.insert(file.text(id).to_string());
        }
    }
    excluded.extend(keep.iter().cloned());
    // Names bound in the scopes nested in the body.
    let nested = |name: &str| {
        facts
            .scope_names
            .any_within(name, body_range.start + 1..body_range.end)
    };
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
    candidates
}

/// The node kinds of a brace language that rename-variables needs.
struct Scopes {
    /// Functions whose names are renamed.
    functions: &'static [&'static str],
    /// Scopes of their own: bindings inside are not the enclosing function's.
    nested: &'static [&'static str],
    /// Items whose names are never renamed (a local of the same spelling keeps it too).
    items: &'static [&'static str],
    /// Nodes that make the names of the functions around them dynamic (`with`, macros that
    /// define macros).
    dynamic: &'static [&'static str],
    /// Names that are also a key or field (`{x}` in JavaScript objects and patterns, `S { x }`
    /// in Rust expressions and patterns), so keep their spelling.
    shorthands: &'static [&'static str],
    /// Strings whose `{name}` placeholders read names (Rust's format strings).
    format_strings: &'static [&'static str],
    /// Statements that bind names, with the field that holds the pattern.
    bindings: &'static [(&'static str, &'static str)],
    /// Patterns whose named children are patterns too.
    patterns: &'static [&'static str],
    /// Patterns with a default (`a = 1`): their `left` is the pattern.
    defaults: &'static [&'static str],
    /// The patterns of a function's parameter list (or single parameter).
    parameters: for<'t> fn(Node<'t>) -> Vec<Node<'t>>,
}

/// Identifiers whose use makes a function's names dynamic in either language (JavaScript's
/// `eval` and `arguments`; kept in Rust, where the names are rare, as they always were).
const DYNAMIC_NAMES: &[&str] = &["eval", "arguments"];

/// JavaScript's scopes.
const JAVASCRIPT: Scopes = Scopes {
    functions: &[
        "function_declaration",
        "function_expression",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
        "function",
    ],
    nested: &[
        "function_declaration",
        "function_expression",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
        "generator_function",
        "function",
        "class_declaration",
        "class",
    ],
    items: &["function_declaration", "class_declaration"],
    dynamic: &["with_statement"],
    shorthands: &[
        "shorthand_property_identifier",
        "shorthand_property_identifier_pattern",
    ],
    format_strings: &[],
    bindings: &[
        ("variable_declarator", "name"),
        ("for_in_statement", "left"),
        ("catch_clause", "parameter"),
    ],
    patterns: &["array_pattern", "rest_pattern"],
    defaults: &["assignment_pattern"],
    parameters: |params| {
        std::iter::once(params)
            .chain(named_children(params))
            .collect()
    },
};

/// Rust's scopes.
const RUST: Scopes = Scopes {
    functions: &["function_item"],
    nested: &[
        "function_item",
        "closure_expression",
        "impl_item",
        "trait_item",
        "mod_item",
    ],
    items: &[
        "function_item",
        "struct_item",
        "enum_item",
        "const_item",
        "static_item",
        "mod_item",
        "macro_definition",
    ],
    dynamic: &["macro_definition"],
    shorthands: &["shorthand_field_initializer", "shorthand_field_identifier"],
    format_strings: &["string_literal", "raw_string_literal"],
    bindings: &[
        ("let_declaration", "pattern"),
        ("for_expression", "pattern"),
    ],
    patterns: &[
        "tuple_pattern",
        "mut_pattern",
        "ref_pattern",
        "reference_pattern",
        "slice_pattern",
    ],
    defaults: &[],
    parameters: |params| {
        named_children(params)
            .into_iter()
            .filter_map(|p| p.child_by_field_name("pattern"))
            .collect()
    },
};

/// rename-variables (JavaScript).
fn javascript(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    braced(file, ctx, &JAVASCRIPT)
}

/// rename-variables (Rust).
fn rust(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    braced(file, ctx, &RUST)
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

/// Identifiers bound by a pattern (Rust `(a, mut b)`, JS `[a, b]`, defaults, rests).
fn pattern_names<'t>(node: Node<'t>, kinds: &Scopes, out: &mut Vec<Node<'t>>) {
    let mut stack = vec![node];
    let mut found = Vec::new();
    while let Some(node) = stack.pop() {
        if node.kind() == "identifier" {
            found.push(node);
        } else if kind_is(node, kinds.patterns) {
            stack.extend(named_children(node));
        } else if kind_is(node, kinds.defaults) {
            stack.extend(node.child_by_field_name("left"));
        }
    }
    found.sort_by_key(|n| n.start_byte());
    out.extend(found);
}

/// What each brace-language function needs to know about the code inside it, by position in
/// the index.
struct BraceScopes<'s> {
    /// Names of items ([`Scopes::items`]).
    item_names: HashSet<&'s str>,
    /// For each position, how many dynamic nodes come before it.
    dynamic_before: Vec<usize>,
    /// Every identifier.
    identifiers: Occurrences<'s>,
    /// Identifiers at the innermost nested scope around them.
    in_nested: Occurrences<'s>,
    /// Names that keep their spelling: shorthands, called names, `self`.
    keeps_name: Occurrences<'s>,
    /// Names read by format-string placeholders.
    in_format: Occurrences<'s>,
}

impl<'s> BraceScopes<'s> {
    /// Collects the facts in two walks of the index.
    fn collect(file: &'s ParsedFile, index: &TreeIndex<'s>, kinds: &Scopes) -> BraceScopes<'s> {
        let nodes = index.nodes();
        let mut facts = BraceScopes {
            item_names: HashSet::new(),
            dynamic_before: vec![0usize; nodes.len() + 1],
            identifiers: Occurrences::default(),
            in_nested: Occurrences::default(),
            keeps_name: Occurrences::default(),
            in_format: Occurrences::default(),
        };
        let mut called: HashSet<usize> = HashSet::new();
        for n in nodes {
            if kind_is(*n, kinds.items) {
                if let Some(name) = n.child_by_field_name("name") {
                    facts.item_names.insert(file.text(name));
                }
            }
            if n.kind() == "call_expression" {
                called.extend(n.child_by_field_name("function").map(|f| f.id()));
            }
        }
        let mut open_nested: Vec<usize> = Vec::new();
        for (i, n) in nodes.iter().enumerate() {
            while open_nested
                .last()
                .is_some_and(|&o| index.subtree(o).end <= i)
            {
                open_nested.pop();
            }
            let text = file.text(*n);
            let dynamic = (n.kind() == "identifier" && DYNAMIC_NAMES.contains(&text))
                || kind_is(*n, kinds.dynamic);
            facts.dynamic_before[i + 1] = facts.dynamic_before[i] + usize::from(dynamic);
            facts.add_node(*n, i, text, open_nested.last().copied(), &called, kinds);
            if kind_is(*n, kinds.nested) {
                open_nested.push(i);
            }
        }
        facts.in_nested.sort();
        facts
    }

    /// Records what node `n` (at `i`, text `text`, inside the nested scope at `scope`) does
    /// with names.
    fn add_node(
        &mut self,
        n: Node<'_>,
        i: usize,
        text: &'s str,
        scope: Option<usize>,
        called: &HashSet<usize>,
        kinds: &Scopes,
    ) {
        if n.kind() == "identifier" {
            self.identifiers.add(text, i);
            if let Some(scope) = scope {
                self.in_nested.add(text, scope);
            }
            if called.contains(&n.id()) || text == "self" {
                self.keeps_name.add(text, i);
            }
        } else if kind_is(n, kinds.shorthands) {
            self.keeps_name.add(text, i);
        } else if kind_is(n, kinds.format_strings) {
            for name in placeholders(text) {
                self.in_format.add(name, i);
            }
        }
    }
}

/// The names a brace-language function binds itself, in source order: its parameters and
/// the bindings of its body, not those of nested functions or closures. (A body that is
/// itself a function, `x => y => x + y`, is walked: the outer function renames its names
/// through the inner one.)
fn bound_names<'t>(function: Node<'t>, body: Node<'t>, kinds: &Scopes) -> Vec<Node<'t>> {
    let mut bound = Vec::new();
    if let Some(params) = function
        .child_by_field_name("parameters")
        .or_else(|| function.child_by_field_name("parameter"))
    {
        for p in (kinds.parameters)(params) {
            pattern_names(p, kinds, &mut bound);
        }
    }
    let mut stack = named_children(body);
    while let Some(n) = stack.pop() {
        if kind_is(n, kinds.nested) {
            continue;
        }
        let binding = kinds
            .bindings
            .iter()
            .find(|(kind, _)| *kind == n.kind())
            .and_then(|(_, field)| n.child_by_field_name(field));
        if let Some(binding) = binding {
            pattern_names(binding, kinds, &mut bound);
        }
        stack.extend(named_children(n));
    }
    bound.sort_by_key(|n| n.start_byte());
    bound
}

/// rename-variables (JavaScript, Rust): parameters and local bindings of each function get
/// new names through its body. Names also spelled inside a nested function or closure, used
/// as shorthand properties or fields, spelled in a format string, called as functions, or of
/// functions that use `eval`/`with`/`arguments` or macros defining macros are left alone.
fn braced(file: &ParsedFile, ctx: &mut Context, kinds: &Scopes) -> Result<Vec<Edit>, Skip> {
    let mut names = NameGen::new(file, ctx);
    let mut edits = Vec::new();
    let index = TreeIndex::new(file.root());
    let nodes = index.nodes();
    let facts = BraceScopes::collect(file, &index, kinds);
    for (f, function) in nodes.iter().enumerate() {
        if !kind_is(*function, kinds.functions) {
            continue;
        }
        let Some(body) = function.child_by_field_name("body") else {
            continue;
        };
        let range = index.subtree(f);
        if facts.dynamic_before[range.end] > facts.dynamic_before[range.start] {
            continue;
        }
        let bound = bound_names(*function, body, kinds);
        let Some(body_index) = index.index_of(body) else {
            continue;
        };
        let mapping = braced_mapping(
            file,
            &facts,
            bound,
            range.clone(),
            body_index,
            ctx,
            &mut names,
        );
        for (old, new) in &mapping {
            for &i in facts.identifiers.within(old, range.clone()) {
                edits.push(Edit::replace(nodes[i].byte_range(), new.clone()));
            }
        }
    }
    if edits.is_empty() {
        return Err(Skip::because(NOTHING_SAFE));
    }
    Ok(edits)
}

/// New names for the `bound` names of the function at `range` of the index (its body at
/// `body_index`) that may be renamed.
fn braced_mapping<'s>(
    file: &'s ParsedFile,
    facts: &BraceScopes<'_>,
    bound: Vec<Node<'s>>,
    range: std::ops::Range<usize>,
    body_index: usize,
    ctx: &Context,
    names: &mut NameGen,
) -> Vec<(&'s str, String)> {
    let reserved = crate::names::reserved(file.language());
    // Names spelled in the scopes nested in the function (in its body, below the body
    // itself, or in its parameters' default values).
    let in_nested_scope = |name: &str| {
        facts
            .in_nested
            .any_within(name, range.start + 1..body_index)
            || facts.in_nested.any_within(name, body_index + 1..range.end)
    };
    let mut mapping: Vec<(&str, String)> = Vec::new();
    let mut mapped: HashSet<&str> = HashSet::new();
    for b in bound {
        let name = file.text(b);
        if facts.item_names.contains(name)
            || ctx.keep.iter().any(|k| k == name)
            || in_nested_scope(name)
            || facts.keeps_name.any_within(name, range.clone())
            || facts.in_format.any_within(name, range.clone())
            || reserved.contains(&name)
            || name.starts_with('_')
            || !mapped.insert(name)
        {
            continue;
        }
        mapping.push((name, names.next(NameKind::Variable)));
    }
    mapping
}
