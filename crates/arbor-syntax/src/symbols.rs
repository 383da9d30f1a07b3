//! Symbol (definition) extraction, driven by the tags queries in `grammars/<lang>/tags.scm`.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use tree_sitter::Node;

use crate::error::SyntaxError;
use crate::language::Language;
use crate::parse::{depth_first, ParsedFile, Span, Step};
use crate::query::tags_query;

/// What a symbol defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SymbolKind {
    /// A free function (also a nested one, or an arrow function bound to a name).
    Function,
    /// A function defined in a class, impl or trait.
    Method,
    /// A class.
    Class,
    /// A Rust struct or union.
    Struct,
    /// A Rust enum.
    Enum,
    /// A Rust trait.
    Trait,
    /// A Rust impl block, named after the type it implements for.
    Impl,
    /// A Rust module.
    Module,
    /// A constant: Rust `const`/`static`, an UPPER_CASE module- or class-level name elsewhere.
    Constant,
    /// A Rust `macro_rules!` macro.
    Macro,
    /// A Rust type alias.
    Type,
}

impl SymbolKind {
    /// Every kind, in a stable order.
    pub const ALL: [SymbolKind; 11] = [
        SymbolKind::Function,
        SymbolKind::Method,
        SymbolKind::Class,
        SymbolKind::Struct,
        SymbolKind::Enum,
        SymbolKind::Trait,
        SymbolKind::Impl,
        SymbolKind::Module,
        SymbolKind::Constant,
        SymbolKind::Macro,
        SymbolKind::Type,
    ];

    /// The kind's lower-case name, as used in queries, on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            SymbolKind::Function => "function",
            SymbolKind::Method => "method",
            SymbolKind::Class => "class",
            SymbolKind::Struct => "struct",
            SymbolKind::Enum => "enum",
            SymbolKind::Trait => "trait",
            SymbolKind::Impl => "impl",
            SymbolKind::Module => "module",
            SymbolKind::Constant => "constant",
            SymbolKind::Macro => "macro",
            SymbolKind::Type => "type",
        }
    }

    /// Whether functions defined directly inside a symbol of this kind are its methods.
    pub fn owns_methods(self) -> bool {
        matches!(
            self,
            SymbolKind::Class | SymbolKind::Impl | SymbolKind::Trait
        )
    }
}

impl fmt::Display for SymbolKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SymbolKind {
    type Err = SyntaxError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SymbolKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| SyntaxError::UnknownSymbolKind(s.to_string()))
    }
}

/// A definition found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Symbol {
    /// What it defines.
    pub kind: SymbolKind,
    /// Its own name, e.g. `area`.
    pub name: String,
    /// Its name qualified by the definitions it is nested in, e.g. `Shape::area` or `Shape.area`.
    pub qualified_name: String,
    /// For methods: the name of the class, impl (its type) or trait that owns it.
    pub owner: Option<String>,
    /// Index (in the same list) of the innermost definition this one is nested in.
    pub parent: Option<usize>,
    /// The whole definition, including decorators and `export`, excluding preceding doc comments.
    pub span: Span,
    /// The name.
    pub name_span: Span,
    /// The definition's head on one line, up to its body: `def area(self) -> float`.
    pub signature: String,
    /// The doc comment or docstring, with comment markers, quotes and common indentation removed.
    pub doc: Option<String>,
    /// Where the doc comment or docstring is in the file.
    pub doc_span: Option<Span>,
}

impl Symbol {
    /// The first line of the span's text that a chunk or a display of this symbol should start
    /// at: the doc comment's first line when the doc comment precedes the definition.
    pub fn first_line(&self) -> usize {
        match self.doc_span {
            Some(doc) if doc.start_byte < self.span.start_byte => doc.start.line,
            _ => self.span.start.line,
        }
    }
}

struct Candidate<'t> {
    definition: Node<'t>,
    name: Node<'t>,
    kind: SymbolKind,
    pattern: usize,
}

impl ParsedFile {
    /// The definitions in this file, in source order (a parent before its children).
    ///
    /// Works on files with syntax errors: whatever parsed into definitions is reported.
    pub fn symbols(&self) -> Result<Vec<Symbol>, SyntaxError> {
        extract_symbols(self)
    }
}

/// One match of a language's tags query: its pattern index and its captures as (capture index
/// in the tags query, node). Lets a caller that runs the tags query inside a bigger combined
/// query (the linter) hand the matches over instead of walking the tree again.
#[derive(Debug, Clone)]
pub struct TagMatch<'t> {
    /// Index of the pattern in the tags query.
    pub pattern: usize,
    /// The captures, by their index in the tags query.
    pub captures: Vec<(u32, Node<'t>)>,
}

/// The definitions in `file`; see [`ParsedFile::symbols`].
pub fn extract_symbols(file: &ParsedFile) -> Result<Vec<Symbol>, SyntaxError> {
    let tags = tags_query(file.language())?;
    let source = file.source().as_bytes();
    let mut collected = Vec::new();
    crate::query::for_each_match(&tags.query, file.root(), source, |m| {
        collected.push(TagMatch {
            pattern: m.pattern_index,
            captures: m.captures.iter().map(|c| (c.index, c.node)).collect(),
        });
    });
    extract_symbols_from(file, collected)
}

/// The tags query of `language` as written (`grammars/<lang>/tags.scm`), to combine with others.
pub fn tags_query_text(language: Language) -> &'static str {
    crate::query::TAGS_QUERIES
        .iter()
        .find(|q| q.language == language)
        .map_or("", |q| q.text)
}

/// The longest qualified name kept whole (bytes); deeper names start with `…`.
pub const MAX_QUALIFIED_NAME: usize = 1024;

/// The definitions in `file` from matches of its language's tags query; see [`TagMatch`].
pub fn extract_symbols_from<'t>(
    file: &'t ParsedFile,
    matches: impl IntoIterator<Item = TagMatch<'t>>,
) -> Result<Vec<Symbol>, SyntaxError> {
    let tags = tags_query(file.language())?;
    // One candidate per name node: the widest definition, then the earliest pattern.
    let mut by_name: HashMap<usize, Candidate<'_>> = HashMap::new();
    for m in matches {
        let mut definition = None;
        let mut name = None;
        for &(index, node) in &m.captures {
            if index == tags.name_capture {
                name = Some(node);
            } else if let Some(kind) = tags.definition_kinds.get(index as usize).copied().flatten()
            {
                definition = Some((node, kind));
            }
        }
        let (Some((definition, kind)), Some(name)) = (definition, name) else {
            continue;
        };
        let candidate = Candidate {
            definition,
            name,
            kind,
            pattern: m.pattern,
        };
        let len = |c: &Candidate<'_>| c.definition.byte_range().len();
        match by_name.get(&name.id()) {
            Some(old)
                if len(old) > len(&candidate)
                    || (len(old) == len(&candidate) && old.pattern <= candidate.pattern) => {}
            _ => {
                by_name.insert(name.id(), candidate);
            }
        }
    }
    // One candidate per definition node: the earliest pattern (the most specific, by convention).
    let mut by_definition: HashMap<usize, Candidate<'_>> = HashMap::new();
    for candidate in by_name.into_values() {
        match by_definition.get(&candidate.definition.id()) {
            Some(old) if old.pattern <= candidate.pattern => {}
            _ => {
                by_definition.insert(candidate.definition.id(), candidate);
            }
        }
    }
    let mut candidates: Vec<Candidate<'_>> = by_definition.into_values().collect();
    candidates.sort_by_key(|c| {
        (
            c.definition.start_byte(),
            std::cmp::Reverse(c.definition.end_byte()),
            c.name.start_byte(),
        )
    });

    let language = file.language();
    let text = file.source();
    let anchors = if language == Language::JavaScript {
        let ids = candidates.iter().map(|c| c.definition.id()).collect();
        javascript_anchors(file.root(), &ids)
    } else {
        HashMap::new()
    };
    let mut symbols: Vec<Symbol> = Vec::with_capacity(candidates.len());
    // Indices of the open definitions enclosing the current one, innermost last.
    let mut stack: Vec<usize> = Vec::new();
    for candidate in candidates {
        let span = Span::of(candidate.definition);
        while let Some(&top) = stack.last() {
            if symbols[top].span.contains(&span) {
                break;
            }
            stack.pop();
        }
        let parent = stack.last().copied();
        let name = text[candidate.name.byte_range()].to_string();
        let parent_symbol = parent.map(|p| &symbols[p]);
        let mut kind = candidate.kind;
        if kind == SymbolKind::Function && parent_symbol.is_some_and(|p| p.kind.owns_methods()) {
            kind = SymbolKind::Method;
        }
        let owner = match parent_symbol {
            Some(p) if kind == SymbolKind::Method && p.kind.owns_methods() => Some(p.name.clone()),
            _ => None,
        };
        let separator = language.qualifier_separator();
        let qualified_name = match parent_symbol {
            // Deeply nested definitions would make the names grow with the square of the depth:
            // past MAX_QUALIFIED_NAME bytes the outer names are left out.
            Some(p) if p.qualified_name.len() + name.len() < MAX_QUALIFIED_NAME => {
                format!("{}{separator}{name}", p.qualified_name)
            }
            Some(_) => format!("…{separator}{name}"),
            None => name.clone(),
        };
        let anchor = anchors.get(&candidate.definition.id()).copied();
        let doc = find_doc(language, text, candidate.definition, anchor);
        symbols.push(Symbol {
            kind,
            name,
            qualified_name,
            owner,
            parent,
            span,
            name_span: Span::of(candidate.name),
            signature: signature(text, candidate.definition, candidate.name),
            doc: doc.as_ref().map(|(doc, _)| doc.clone()),
            doc_span: doc.map(|(_, span)| span),
        });
        stack.push(symbols.len() - 1);
    }
    Ok(symbols)
}

/// The node that holds the definition proper, inside wrappers such as decorators or `export`.
fn inner_definition(node: Node<'_>) -> Node<'_> {
    node.child_by_field_name("definition")
        .or_else(|| node.child_by_field_name("declaration"))
        .unwrap_or(node)
}

const MAX_SIGNATURE: usize = 200;

/// The head of a definition, from the start of its name's line up to its body, on one line.
fn signature(text: &str, definition: Node<'_>, name: Node<'_>) -> String {
    let inner = inner_definition(definition);
    // The start of the name's line, looked for only within the definition: a scan back to the
    // line's start would cost the line's length per symbol (quadratic on one long line).
    let start = text[inner.start_byte()..name.start_byte()]
        .rfind('\n')
        .map_or(inner.start_byte(), |i| inner.start_byte() + i + 1);
    // The body, and the node it is a child of: the definition itself, or the function or class
    // bound to a name (`const f = () => …`, `exports.f = function …`).
    let head_and_body = with_body(inner).or_else(|| {
        inner
            .child_by_field_name("value")
            .or_else(|| inner.child_by_field_name("right"))
            .and_then(with_body)
    });
    fn with_body(node: Node<'_>) -> Option<(Node<'_>, Node<'_>)> {
        node.child_by_field_name("body").map(|body| (node, body))
    }
    let end = match head_and_body {
        Some((head, body)) if body.start_byte() >= start => {
            // The end of the head: the last token before the body that is not a comment.
            let mut cursor = head.walk();
            head.children(&mut cursor)
                .take_while(|child| child.id() != body.id())
                .filter(|child| !child.is_extra())
                .last()
                .map_or(body.start_byte(), |child| child.end_byte())
                .max(start)
        }
        _ => {
            let end = inner.end_byte().max(name.end_byte());
            text[name.end_byte()..end]
                .find('\n')
                .map_or(end, |i| name.end_byte() + i)
        }
    };
    let mut sig = String::with_capacity(end - start);
    for word in text[start..end].split_whitespace() {
        if !sig.is_empty() {
            sig.push(' ');
        }
        sig.push_str(word);
    }
    let trimmed = sig.trim_end_matches(['{', ':', ';']).trim_end();
    let mut sig = trimmed.to_string();
    if sig.len() > MAX_SIGNATURE {
        let mut cut = MAX_SIGNATURE;
        while !sig.is_char_boundary(cut) {
            cut -= 1;
        }
        sig.truncate(cut);
        sig.push('…');
    }
    sig
}

fn find_doc<'t>(
    language: Language,
    text: &str,
    definition: Node<'t>,
    anchor: Option<Node<'t>>,
) -> Option<(String, Span)> {
    match language {
        Language::Python => python_docstring(text, inner_definition(definition)),
        Language::Rust => {
            preceding_doc_comments(text, definition, |node| node.kind() == "attribute_item")
        }
        Language::JavaScript => {
            let anchor = anchor.unwrap_or(definition);
            preceding_doc_comments(text, anchor, |node| node.kind() == "decorator")
        }
    }
}

/// Where the doc comment of each JavaScript definition in `definitions` (by node id) sits
/// above: the declaration of a declarator, the `export` statement around it. Found in one walk
/// of the tree: `Node::parent` walks down from the root, so asking it per definition would
/// cost the depth each time (quadratic in deeply nested code).
fn javascript_anchors<'t>(
    root: Node<'t>,
    definitions: &std::collections::HashSet<usize>,
) -> HashMap<usize, Node<'t>> {
    let mut anchors = HashMap::new();
    if definitions.is_empty() {
        return anchors;
    }
    let mut ancestors: Vec<Node<'t>> = Vec::new();
    let _ = depth_first::<std::convert::Infallible>(root, |cursor, step| {
        if step == Step::Leave {
            ancestors.pop();
            return Ok(false);
        }
        let node = cursor.node();
        if definitions.contains(&node.id()) {
            let mut anchor = node;
            let mut above = ancestors.len();
            if anchor.kind() == "variable_declarator" && above > 0 {
                above -= 1;
                anchor = ancestors[above];
            }
            if above > 0 && ancestors[above - 1].kind() == "export_statement" {
                anchor = ancestors[above - 1];
            }
            anchors.insert(node.id(), anchor);
        }
        ancestors.push(node);
        Ok(true)
    });
    anchors
}

/// Doc comments (`///`, `/** */`) directly above `node`, skipping nodes for which `skip` holds
/// (attributes, decorators). Only comments with no blank line between them and the item count.
fn preceding_doc_comments(
    text: &str,
    node: Node<'_>,
    skip: impl Fn(Node<'_>) -> bool,
) -> Option<(String, Span)> {
    // Finding siblings is linear in their number: look at the text above the item first.
    let above = text[..node.start_byte()].trim_end();
    // Only the last 4 KiB are looked at (one long line must not cost its length per item);
    // a line longer than that may hold anything.
    let mut window = above.len().saturating_sub(4096);
    while !above.is_char_boundary(window) {
        window += 1;
    }
    let newline = above[window..].rfind('\n').map(|i| window + i);
    let whole_line = newline.is_some() || window == 0;
    let previous_line = above[newline.map_or(window, |i| i + 1)..].trim_start();
    let may_have_doc = (whole_line
        && (previous_line.starts_with("///")
            || previous_line.starts_with('#')
            || previous_line.starts_with('@')))
        || previous_line.ends_with("*/")
        || previous_line.ends_with(']')
        || previous_line.ends_with(')');
    if !may_have_doc {
        return None;
    }
    let mut parts: Vec<Node<'_>> = Vec::new();
    let mut next_line = Span::of(node).start.line;
    let mut current = node.prev_sibling();
    while let Some(sibling) = current {
        let span = Span::of(sibling);
        if span.last_line() + 1 < next_line {
            break; // a blank line (or more) separates it from the item
        }
        let comment_text = &text[sibling.byte_range()];
        if sibling.kind().ends_with("comment") {
            if !is_doc_comment(comment_text) {
                break;
            }
            parts.push(sibling);
        } else if !skip(sibling) {
            break;
        }
        next_line = span.start.line;
        current = sibling.prev_sibling();
    }
    let first = *parts.last()?;
    let last = parts[0];
    let mut lines: Vec<String> = Vec::new();
    for part in parts.iter().rev() {
        let raw = &text[part.byte_range()];
        if let Some(rest) = raw.strip_prefix("///") {
            let rest = rest.trim_end_matches(['\n', '\r']);
            lines.push(rest.strip_prefix(' ').unwrap_or(rest).to_string());
        } else if let Some(body) = raw.strip_prefix("/**") {
            let body = body.strip_suffix("*/").unwrap_or(body);
            for line in body.lines() {
                let line = line.trim_start();
                let line = line.strip_prefix('*').unwrap_or(line);
                lines.push(
                    line.strip_prefix(' ')
                        .unwrap_or(line)
                        .trim_end()
                        .to_string(),
                );
            }
        }
    }
    let doc = trim_blank_lines(&lines);
    // Line comments end with their newline: the doc ends before it.
    let trailing = text[..last.end_byte()].len() - text[..last.end_byte()].trim_end().len();
    let mut end: crate::parse::Position = last.end_position().into();
    if trailing > 0 {
        let line_start = text[..last.end_byte() - trailing]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        end = crate::parse::Position {
            line: last.start_position().row
                + 1
                + text[last.start_byte()..last.end_byte() - trailing]
                    .matches('\n')
                    .count(),
            column: last.end_byte() - trailing - line_start + 1,
        };
    }
    let span = Span {
        start_byte: first.start_byte(),
        end_byte: last.end_byte() - trailing,
        start: first.start_position().into(),
        end,
    };
    Some((doc, span))
}

fn is_doc_comment(comment: &str) -> bool {
    (comment.starts_with("///") && !comment.starts_with("////"))
        || (comment.starts_with("/**") && !comment.starts_with("/***") && comment != "/**/")
}

fn trim_blank_lines(lines: &[String]) -> String {
    let start = lines.iter().position(|l| !l.trim().is_empty());
    let end = lines.iter().rposition(|l| !l.trim().is_empty());
    match (start, end) {
        (Some(start), Some(end)) => lines[start..=end].join("\n"),
        _ => String::new(),
    }
}

/// The docstring of a Python function or class: a string literal as the first statement of its body.
fn python_docstring(text: &str, definition: Node<'_>) -> Option<(String, Span)> {
    let body = definition.child_by_field_name("body")?;
    let first = body.named_child(0)?;
    if first.kind() != "expression_statement" || first.named_child_count() != 1 {
        return None;
    }
    let string = first.named_child(0)?;
    if string.kind() != "string" {
        return None;
    }
    let doc = python_string_value(&text[string.byte_range()])?;
    Some((clean_doc(&doc), Span::of(string)))
}

/// The value of a Python string literal, for the prefixes a docstring may have (none, `r`, `u`).
fn python_string_value(literal: &str) -> Option<String> {
    let quote_at = literal.find(['"', '\''])?;
    let prefix = literal[..quote_at].to_ascii_lowercase();
    if prefix.contains('f') || prefix.contains('b') {
        return None; // f-strings and bytes are not docstrings
    }
    let raw = prefix.contains('r');
    let rest = &literal[quote_at..];
    let quote = ["\"\"\"", "'''", "\"", "'"]
        .into_iter()
        .find(|q| rest.starts_with(q) && rest.len() >= 2 * q.len() && rest.ends_with(q))?;
    let body = &rest[quote.len()..rest.len() - quote.len()];
    Some(if raw {
        body.to_string()
    } else {
        unescape(body)
    })
}

/// Python's common backslash escapes; unknown escapes are kept as written, as Python does.
fn unescape(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\n') => {}
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some('\'') => out.push('\''),
            Some('"') => out.push('"'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Python's `inspect.cleandoc`: tabs expanded, the common indentation of lines after the first
/// removed, leading and trailing blank lines dropped.
pub fn clean_doc(doc: &str) -> String {
    let lines: Vec<String> = doc.lines().map(|l| l.replace('\t', "        ")).collect();
    let indent = lines
        .iter()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let cleaned: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l.trim_start().to_string()
            } else if l.len() >= indent {
                l[indent..].trim_end().to_string()
            } else {
                l.trim().to_string()
            }
        })
        .collect();
    trim_blank_lines(&cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbols(language: Language, source: &str) -> Vec<Symbol> {
        ParsedFile::parse("test", language, source.to_string())
            .unwrap()
            .symbols()
            .unwrap()
    }

    #[test]
    fn python_docstrings_are_cleaned() {
        let syms = symbols(
            Language::Python,
            "def f():\n    r'''Raw \\n text.\n\n        Indented.\n      Less.\n    '''\n\ndef g():\n    f'not {a} doc'\n",
        );
        assert_eq!(
            syms[0].doc.as_deref(),
            Some("Raw \\n text.\n\n  Indented.\nLess.")
        );
        assert_eq!(syms[1].doc, None);
    }

    #[test]
    fn clean_doc_matches_inspect_cleandoc() {
        assert_eq!(
            clean_doc("  Summary.\n\n    Body\n      more\n  "),
            "Summary.\n\nBody\n  more"
        );
        assert_eq!(clean_doc(""), "");
        assert_eq!(clean_doc("\n\n"), "");
    }

    #[test]
    fn rust_doc_comments_skip_attributes_and_stop_at_blank_lines() {
        let syms = symbols(
            Language::Rust,
            "/// Not mine.\n\n/// First.\n#[inline]\n/// Second.\nfn f() {}\n// plain\nfn g() {}\n/** Block\n * doc. */\nfn h() {}\n",
        );
        assert_eq!(syms[0].doc.as_deref(), Some("First.\nSecond."));
        assert_eq!(syms[0].first_line(), 3);
        assert_eq!(syms[1].doc, None);
        assert_eq!(syms[2].doc.as_deref(), Some("Block\ndoc."));
    }

    #[test]
    fn signatures_stop_at_the_body() {
        let syms = symbols(
            Language::Rust,
            "pub fn add(\n    a: u32,\n    b: u32,\n) -> u32 {\n    a + b\n}\nconst MAX: usize = 10;\n",
        );
        assert_eq!(syms[0].signature, "pub fn add( a: u32, b: u32, ) -> u32");
        assert_eq!(syms[1].signature, "const MAX: usize = 10");
    }
}
