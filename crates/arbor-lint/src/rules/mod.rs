//! The Rust side of the built-in rules: predicates and fixes of query rules, rules written in
//! Rust, and the helpers they share. [`crate::registry`] says which rule uses which.

pub(crate) mod javascript;
pub(crate) mod js_scope;
pub(crate) mod mccabe;
pub(crate) mod metrics;
pub(crate) mod python;
pub(crate) mod python_scope;
pub(crate) mod rust;

use arbor_syntax::tree_sitter::{Node, Query};
use arbor_syntax::ParsedFile;

/// Every node of `file` captured by `query` (any capture), in document order.
pub(crate) fn captured<'t>(query: &Query, file: &'t ParsedFile) -> Vec<(u32, Node<'t>)> {
    let mut out = Vec::new();
    arbor_syntax::query::for_each_match(query, file.root(), file.source().as_bytes(), |m| {
        out.extend(m.captures.iter().map(|c| (c.index, c.node)));
    });
    order_captures(&mut out);
    out
}

/// Puts captures in document order (parents before children) and drops repeats of a node
/// under the same capture (several patterns can capture it).
pub(crate) fn order_captures(captures: &mut Vec<(u32, Node<'_>)>) {
    captures.sort_by_key(|(_, n)| (n.start_byte(), std::cmp::Reverse(n.end_byte())));
    captures.dedup_by_key(|(i, n)| (*i, n.id()));
}

/// The innermost of a family of nested-or-disjoint spans (functions, classes, scopes) holding
/// each of a series of byte ranges asked in document order (by start): amortized constant time
/// per question, where testing every span was quadratic on files with thousands of functions.
pub(crate) struct Innermost {
    /// (start, end, index given) sorted by start, outer spans first.
    spans: Vec<(usize, usize, usize)>,
    /// Spans entered so far, at the top the innermost that may still hold later ranges.
    open: Vec<usize>,
    next: usize,
}

impl Innermost {
    /// The finder over `spans` (start and end bytes), answering with indices into `spans`.
    pub(crate) fn new(spans: impl IntoIterator<Item = (usize, usize)>) -> Innermost {
        let mut spans: Vec<(usize, usize, usize)> = spans
            .into_iter()
            .enumerate()
            .map(|(i, (start, end))| (start, end, i))
            .collect();
        spans.sort_by_key(|&(start, end, i)| (start, std::cmp::Reverse(end), i));
        Innermost {
            spans,
            open: Vec::new(),
            next: 0,
        }
    }

    /// The innermost span holding `start..end` (`start` at least that of the previous question).
    pub(crate) fn find(&mut self, start: usize, end: usize) -> Option<usize> {
        let ended =
            |span: &(usize, usize, usize)| span.1 < start || (span.1 == start && end > start);
        while let Some(&(span_start, ..)) = self.spans.get(self.next).filter(|s| s.0 <= start) {
            while self
                .open
                .last()
                .is_some_and(|&o| self.spans[o].1 <= span_start && self.spans[o].0 < span_start)
            {
                self.open.pop();
            }
            self.open.push(self.next);
            self.next += 1;
        }
        while self.open.last().is_some_and(|&o| ended(&self.spans[o])) {
            self.open.pop();
        }
        // The top holds the range unless the range is an ancestor of it (same start, longer).
        self.open
            .iter()
            .rev()
            .map(|&o| self.spans[o])
            .find(|&(s, e, _)| s <= start && end <= e)
            .map(|(.., index)| index)
    }
}

#[cfg(test)]
mod tests {
    use super::Innermost;

    #[test]
    fn innermost_spans_in_document_order() {
        // 0..100 holds 10..50 (holding 20..30) and 60..90; 200..300 is apart.
        let spans = [(60, 90), (0, 100), (200, 300), (10, 50), (20, 30)];
        let brute = |start: usize, end: usize| {
            spans
                .iter()
                .enumerate()
                .filter(|(_, &(s, e))| s <= start && end <= e)
                .max_by_key(|(_, &(s, e))| (s, std::cmp::Reverse(e)))
                .map(|(i, _)| i)
        };
        let questions = [
            (0, 1),
            (0, 100),
            (5, 6),
            (10, 50),
            (12, 13),
            (20, 25),
            (29, 30),
            (30, 31),
            (49, 50),
            (50, 55),
            (60, 70),
            (95, 100),
            (100, 101),
            (150, 160),
            (200, 300),
            (250, 251),
            (301, 302),
        ];
        let mut finder = Innermost::new(spans);
        for (start, end) in questions {
            assert_eq!(finder.find(start, end), brute(start, end), "{start}..{end}");
        }
    }
}
