//! Small helpers over tree-sitter nodes.

use arbor_syntax::tree_sitter::Node;

/// `node` and all its descendants, in document order.
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

/// The named children of `node`.
pub fn named_children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

/// The whitespace at the start of the line holding byte `at`.
pub fn line_indent(source: &str, at: usize) -> &str {
    let start = line_start(source, at);
    let rest = &source[start..];
    &rest[..rest.len() - rest.trim_start_matches([' ', '\t']).len()]
}

/// The byte where the line holding byte `at` starts.
pub fn line_start(source: &str, at: usize) -> usize {
    source[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Whether `node` has an ancestor of one of `kinds` (below `stop`, when given).
pub fn has_ancestor(node: Node<'_>, kinds: &[&str], stop: Option<Node<'_>>) -> bool {
    let mut current = node.parent();
    while let Some(n) = current {
        if Some(n) == stop {
            return false;
        }
        if kinds.contains(&n.kind()) {
            return true;
        }
        current = n.parent();
    }
    false
}
