//! remove-docstrings: the documentation of functions and classes removed.

use arbor_syntax::node::{
    descendants, kind_is, line_indent, line_start, named_children, starts_line,
};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::ParsedFile;

use super::common::{block_of, is_docstring};
use super::docs::doc_nodes;
use super::Transform;
use crate::engine::{Context, Edit, Skip};

/// The registry entry (the brace languages share one version: [`doc_nodes`] finds each
/// one's documentation).
pub(super) const TRANSFORM: Transform = Transform {
    id: "remove-docstrings",
    category: "docstring",
    summary: "remove the docstrings of functions and classes",
    python: Some(python),
    javascript: Some(braced),
    rust: Some(braced),
};

/// remove-docstrings: the docstrings of functions and classes go; a body left empty gets
/// `pass`.
fn python(file: &ParsedFile, _ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
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
        if !starts_line(file.source(), first) {
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

/// remove-docstrings (JavaScript, Rust): JSDoc comments (`/** … */`) and Rust doc comments
/// (`///`, `//!`, `/** */`, `/*! */`) go with their lines.
fn braced(file: &ParsedFile, _ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let mut edits = Vec::new();
    for comment in doc_nodes(file) {
        if !starts_line(file.source(), comment) {
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
