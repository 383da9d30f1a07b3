//! rename-function: a top-level function (chosen at random) gets a new name at its
//! definition and everywhere the file refers to it.

use std::collections::{HashMap, HashSet};

use arbor_syntax::node::{descendants, kind_is, named_children};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::ParsedFile;
use rand::seq::IndexedRandom;

use super::bindings::{bindings, is_dynamic, is_variable, SCOPES};
use super::common::is_docstring;
use super::Transform;
use crate::engine::{Context, Edit, Skip};
use crate::names::{NameGen, NameKind};
use crate::tree::TreeIndex;

/// The registry entry.
pub(super) const TRANSFORM: Transform = Transform {
    id: "rename-function",
    category: "names",
    summary: "rename a top-level function and every reference to it in the file",
    python: Some(python),
    javascript: Some(javascript),
    rust: Some(rust),
};

/// rename-function (Python): a top-level function (chosen at random) gets a new name
/// everywhere the file refers to it.
fn python(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    if is_dynamic(file.root(), file) {
        return Err(Skip::because(
            "the file looks names up dynamically (eval, globals, …)",
        ));
    }
    let mut candidates = python_candidates(file, ctx);
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
    let (bound_elsewhere, definitions) = python_bound_names(file);
    candidates.retain(|name| {
        !bound_elsewhere.contains(name)
            && definitions.iter().filter(|d| *d == name).count() == 1
            && !strings.iter().any(|s| s.contains(name.as_str()))
    });
    let Some(old) = candidates.choose(&mut ctx.rng).cloned() else {
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
        edits.extend(example_calls(file, doc, &old, &new));
    }
    ctx.renamed.push((old, new));
    Ok(edits)
}

/// The names of the top-level Python functions (decorated or not) that may be renamed: not
/// dunder names, not names to keep.
fn python_candidates(file: &ParsedFile, ctx: &Context) -> Vec<String> {
    let mut candidates = Vec::new();
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
        candidates.push(text);
    }
    candidates
}

/// (names bound anywhere but as a module-level definition: parameters, global/nonlocal
/// declarations, bindings of the module and of every scope, definitions and imports inside
/// functions; the module's definitions and imports, one entry per binding).
fn python_bound_names(file: &ParsedFile) -> (HashSet<String>, Vec<String>) {
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
    (bound_elsewhere, definitions)
}

/// Edits renaming the calls of `old` in the examples of docstring `doc` (`>>> old(…)`),
/// not the word in prose.
fn example_calls(file: &ParsedFile, doc: Node<'_>, old: &str, new: &str) -> Vec<Edit> {
    let text = file.text(doc);
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    text.match_indices(old)
        .filter(|(i, _)| {
            let before = text[..*i].chars().next_back();
            let after = text[i + old.len()..].chars().next();
            !word(before) && after == Some('(')
        })
        .map(|(i, _)| {
            let at = doc.start_byte() + i;
            Edit::replace(at..at + old.len(), new)
        })
        .collect()
}

/// The node kinds of a brace language that rename-function needs.
struct Functions {
    /// A function definition.
    function: &'static str,
    /// Nodes whose names are bindings: definitions, declarators, parameters.
    definitions: &'static [&'static str],
    /// Those of `definitions` that bind only their `name` (not every name inside them).
    named: &'static [&'static str],
    /// Kinds of the names they bind.
    names: &'static [&'static str],
    /// String literals: a name spelled in one may be looked up by it.
    strings: &'static [&'static str],
}

/// JavaScript's functions.
const JAVASCRIPT: Functions = Functions {
    function: "function_declaration",
    definitions: &[
        "function_declaration",
        "method_definition",
        "variable_declarator",
        "formal_parameters",
    ],
    named: &["function_declaration", "method_definition"],
    names: &["identifier", "property_identifier"],
    strings: &["string", "template_string"],
};

/// Rust's functions.
const RUST: Functions = Functions {
    function: "function_item",
    definitions: &["function_item", "let_declaration", "parameter"],
    named: &["function_item"],
    names: &["identifier"],
    strings: &["string_literal", "raw_string_literal"],
};

/// rename-function (JavaScript).
fn javascript(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    braced(file, ctx, &JAVASCRIPT)
}

/// rename-function (Rust).
fn rust(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    braced(file, ctx, &RUST)
}

/// How many times each name is bound by the definitions of a brace-language file.
fn definition_counts(file: &ParsedFile, kinds: &Functions) -> HashMap<String, usize> {
    let mut definitions: HashMap<String, usize> = HashMap::new();
    for n in descendants(file.root()) {
        if !kind_is(n, kinds.definitions) {
            continue;
        }
        for d in descendants(n) {
            if kind_is(d, kinds.names) {
                if kind_is(n, kinds.named) && n.child_by_field_name("name") != Some(d) {
                    continue;
                }
                *definitions.entry(file.text(d).to_string()).or_default() += 1;
            }
        }
    }
    definitions
}

/// rename-function (JavaScript, Rust): a top-level function gets a new name at its
/// definition and every identifier that refers to it; skipped when the name is also bound
/// locally somewhere or spelled in a string.
fn braced(file: &ParsedFile, ctx: &mut Context, kinds: &Functions) -> Result<Vec<Edit>, Skip> {
    let mut candidates: Vec<String> = named_children(file.root())
        .into_iter()
        .filter(|n| n.kind() == kinds.function)
        .filter_map(|n| n.child_by_field_name("name"))
        .map(|n| file.text(n).to_string())
        .filter(|n| n != "main" && !ctx.keep.contains(n))
        .collect();
    let definitions = definition_counts(file, kinds);
    let strings: Vec<&str> = descendants(file.root())
        .into_iter()
        .filter(|n| kind_is(*n, kinds.strings))
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
