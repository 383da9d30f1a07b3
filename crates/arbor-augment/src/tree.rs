//! An index of a tree's nodes for constant-time subtree and parent questions (the general
//! node helpers are in [`arbor_syntax::node`]).

use arbor_syntax::tree_sitter::Node;

/// A tree's nodes in document order (the order of [`arbor_syntax::node::descendants`]), with each node's subtree
/// as a range of that order and its parent: "is this node inside that one", "the nodes inside
/// that one" and "its parent" in constant time. (tree-sitter finds a node's parent by walking
/// down from the root, so asking it for every node is quadratic in the depth.)
pub struct TreeIndex<'t> {
    nodes: Vec<Node<'t>>,
    /// For each node, the index one past its last descendant.
    end: Vec<usize>,
    /// For each node, its parent's index (`usize::MAX` for the root).
    parent: Vec<usize>,
    by_id: std::collections::HashMap<usize, usize>,
}

impl<'t> TreeIndex<'t> {
    /// Indexes the tree under `root` in one walk.
    pub fn new(root: Node<'t>) -> TreeIndex<'t> {
        let mut index = TreeIndex {
            nodes: Vec::new(),
            end: Vec::new(),
            parent: Vec::new(),
            by_id: std::collections::HashMap::new(),
        };
        let mut cursor = root.walk();
        // The indices of the nodes on the path from the root to the cursor.
        let mut path: Vec<usize> = Vec::new();
        loop {
            let i = index.nodes.len();
            index.nodes.push(cursor.node());
            index.by_id.insert(cursor.node().id(), i);
            index.end.push(i + 1);
            index
                .parent
                .push(path.last().copied().unwrap_or(usize::MAX));
            if cursor.goto_first_child() {
                path.push(i);
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                let Some(done) = path.pop() else {
                    return index;
                };
                index.end[done] = index.nodes.len();
                cursor.goto_parent();
            }
            if path.is_empty() {
                return index; // `root` had siblings outside the subtree
            }
        }
    }

    /// The nodes in document order.
    pub fn nodes(&self) -> &[Node<'t>] {
        &self.nodes
    }

    /// The indices of node `i` and its descendants.
    pub fn subtree(&self, i: usize) -> std::ops::Range<usize> {
        i..self.end[i]
    }

    /// The index of node `i`'s parent.
    pub fn parent(&self, i: usize) -> Option<usize> {
        Some(self.parent[i]).filter(|&p| p != usize::MAX)
    }

    /// The index of `node` (a node of the indexed tree).
    pub fn index_of(&self, node: Node<'t>) -> Option<usize> {
        self.by_id.get(&node.id()).copied()
    }
}

/// Positions (indices of a [`TreeIndex`]) of things by their text, to ask whether a text occurs
/// inside a subtree without walking it.
#[derive(Default)]
pub struct Occurrences<'s> {
    by_text: std::collections::HashMap<&'s str, Vec<usize>>,
}

impl<'s> Occurrences<'s> {
    /// Records `text` at `position` (positions are recorded in increasing order).
    pub fn add(&mut self, text: &'s str, position: usize) {
        self.by_text.entry(text).or_default().push(position);
    }

    /// Sorts the positions, for records not made in increasing order.
    pub fn sort(&mut self) {
        for positions in self.by_text.values_mut() {
            positions.sort_unstable();
        }
    }

    /// The positions of `text` in `range`, in order.
    pub fn within(&self, text: &str, range: std::ops::Range<usize>) -> &[usize] {
        let Some(positions) = self.by_text.get(text) else {
            return &[];
        };
        let from = positions.partition_point(|&p| p < range.start);
        let to = positions.partition_point(|&p| p < range.end);
        &positions[from..to.max(from)]
    }

    /// Whether `text` occurs in `range`.
    pub fn any_within(&self, text: &str, range: std::ops::Range<usize>) -> bool {
        !self.within(text, range).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbor_syntax::node::descendants;
    use arbor_syntax::{Language, ParsedFile};

    #[test]
    fn the_index_agrees_with_the_tree() {
        let file = ParsedFile::parse(
            "t.js",
            Language::JavaScript,
            "const f = (a, b) => { if (a) { return g(b); } };\nlet x = [1, [2, [3]]];\n".into(),
        )
        .unwrap();
        let index = TreeIndex::new(file.root());
        assert_eq!(index.nodes(), descendants(file.root()).as_slice());
        for (i, node) in index.nodes().iter().enumerate() {
            assert_eq!(index.parent(i).map(|p| index.nodes()[p]), node.parent());
            assert_eq!(index.subtree(i).len(), descendants(*node).len());
            assert_eq!(index.index_of(*node), Some(i));
        }
        let mut occurrences = Occurrences::default();
        occurrences.add("a", 3);
        occurrences.add("a", 9);
        assert_eq!(occurrences.within("a", 0..9), &[3]);
        assert!(occurrences.any_within("a", 9..10));
        assert!(!occurrences.any_within("a", 4..9));
        assert!(!occurrences.any_within("b", 0..100));
    }
}
