//! Small, language-independent helpers over tree-sitter nodes and source text, shared by the
//! crates that walk trees (the linter, the augmenter): document-order walks, children, node
//! kinds, comments, and the lines around byte offsets.
//!
//! ```
//! use arbor_syntax::{node, Language, ParsedFile};
//!
//! let file = ParsedFile::parse("t.py", Language::Python, "x = 1  # one\n".into())?;
//! let comments: Vec<_> = node::descendants(file.root())
//!     .into_iter()
//!     .filter(|n| node::is_comment(*n))
//!     .collect();
//! assert_eq!(file.text(comments[0]), "# one");
//! assert!(node::starts_line(file.source(), node::named_children(file.root())[0]));
//! assert_eq!(node::line_start(file.source(), comments[0].start_byte()), 0);
//! # Ok::<(), arbor_syntax::SyntaxError>(())
//! ```

use tree_sitter::Node;

/// The node kinds of comments in the supported grammars (`comment` in Python and JavaScript,
/// `line_comment` and `block_comment` in Rust; not the `doc_comment` inside a Rust comment).
pub const COMMENT_KINDS: &[&str] = &["comment", "line_comment", "block_comment"];

/// `node` and all its descendants (named or not), in document order.
pub fn descendants(node: Node<'_>) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        out.push(n);
        let mut cursor = n.walk();
        let children: Vec<Node<'_>> = n.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

/// The named children of `node`, in order.
pub fn named_children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

/// The expression inside `(e)`, repeatedly (`((e))` gives `e`); any other node as it is.
/// Python and JavaScript both call the parentheses `parenthesized_expression`.
pub fn unparenthesized(mut node: Node<'_>) -> Node<'_> {
    while node.kind() == "parenthesized_expression" && node.named_child_count() == 1 {
        match node.named_child(0) {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

/// Whether `node` is of one of `kinds`.
#[inline]
pub fn kind_is(node: Node<'_>, kinds: &[&str]) -> bool {
    kinds.contains(&node.kind())
}

/// Whether `node` is a comment (one of [`COMMENT_KINDS`]).
#[inline]
pub fn is_comment(node: Node<'_>) -> bool {
    kind_is(node, COMMENT_KINDS)
}

/// The byte where the line holding byte `at` of `source` starts.
#[inline]
pub fn line_start(source: &str, at: usize) -> usize {
    source[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The whitespace (spaces and tabs) at the start of the line holding byte `at` of `source`.
#[inline]
pub fn line_indent(source: &str, at: usize) -> &str {
    let start = line_start(source, at);
    let rest = &source[start..];
    &rest[..rest.len() - rest.trim_start_matches([' ', '\t']).len()]
}

/// Whether `node` starts its line in `source` (only spaces and tabs before it).
#[inline]
pub fn starts_line(source: &str, node: Node<'_>) -> bool {
    source[line_start(source, node.start_byte())..node.start_byte()]
        .chars()
        .all(|c| c == ' ' || c == '\t')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Language, ParsedFile};

    #[test]
    fn descendants_are_in_document_order() {
        let file = ParsedFile::parse(
            "t.rs",
            Language::Rust,
            "/// Doc.\nfn f() { g(1); } // end\n".into(),
        )
        .unwrap();
        let nodes = descendants(file.root());
        assert_eq!(nodes[0], file.root());
        assert!(nodes
            .windows(2)
            .all(|w| w[0].start_byte() <= w[1].start_byte()));
        let comments: Vec<_> = nodes.iter().filter(|n| is_comment(**n)).collect();
        assert_eq!(
            comments.len(),
            2,
            "the doc_comment inside `/// Doc.` is not a comment"
        );
        assert_eq!(named_children(file.root()).len(), 3);
    }

    #[test]
    fn lines_around_bytes() {
        let source = "a\n\t  b = 1\n";
        let b = source.find('b').unwrap();
        assert_eq!(line_start(source, b), 2);
        assert_eq!(line_start(source, 0), 0);
        assert_eq!(line_indent(source, b), "\t  ");
        assert_eq!(line_indent(source, 0), "");
    }
}
