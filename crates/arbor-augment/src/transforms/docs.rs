//! The documentation of a file and the words of its prose, for the docstring perturbations
//! (ReCode's docstring category: typos, synonyms and character case). Only prose changes: examples (`>>>` lines and
//! the output lines after them), fenced blocks, lines that show code (backticks,
//! comparisons, arrows, calls), quoted text ('abc', "x y"), escapes, attribute paths, labels
//! and tags (`@param`, `:param`) are left as they are, so the specification a docstring
//! gives stays the same.

use arbor_syntax::node::{descendants, is_comment, kind_is};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::{Language, ParsedFile};

use super::common::is_docstring;

/// The documentation of a file: Python docstrings (the first string of a module, class or
/// function body), JSDoc comments, Rust doc comments.
pub(crate) fn doc_nodes(file: &ParsedFile) -> Vec<Node<'_>> {
    descendants(file.root())
        .into_iter()
        .filter(|n| match file.language() {
            Language::Python => {
                // Kind first: a node's parent costs a walk from the root.
                if n.kind() != "string" {
                    return false;
                }
                let statement = n.parent().filter(|p| is_docstring(*p));
                let body = statement.and_then(|p| p.parent());
                body.is_some_and(|b| {
                    b.named_child(0) == statement
                        && (b.kind() == "module"
                            || b.parent().is_some_and(|d| {
                                kind_is(d, &["function_definition", "class_definition"])
                            }))
                })
            }
            Language::JavaScript | Language::Rust => {
                is_comment(*n) && is_doc_comment(file.language(), file.text(*n))
            }
        })
        .collect()
}

/// Whether a JavaScript or Rust comment's text is documentation: JSDoc's `/** … */`; Rust's
/// `///` (not `////`), `//!`, `/** … */` (not `/***` or `/**/`) and `/*! … */`, as rustdoc
/// reads them.
pub(crate) fn is_doc_comment(language: Language, text: &str) -> bool {
    match language {
        Language::JavaScript => text.starts_with("/**"),
        Language::Rust => {
            (text.starts_with("///") && !text.starts_with("////"))
                || text.starts_with("//!")
                || (text.starts_with("/**") && !text.starts_with("/***") && text != "/**/")
                || text.starts_with("/*!")
        }
        Language::Python => false,
    }
}

/// Byte ranges (in `text`) of quoted text: from a quote that does not follow a letter or
/// digit to the next same quote that no letter or digit follows, within one paragraph. An
/// apostrophe inside a word (`don't`) opens nothing.
fn quoted(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let word = |i: usize| bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric());
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let q = bytes[i];
        if (q == b'\'' || q == b'"') && (i == 0 || !word(i - 1)) {
            let close = (i + 1..bytes.len()).find(|&j| bytes[j] == q && !word(j + 1));
            if let Some(j) = close.filter(|&j| !has_blank_line(&text[i..j])) {
                spans.push((i, j + 1));
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    spans
}

/// Whether `text` has a line of only whitespace between two newlines.
fn has_blank_line(text: &str) -> bool {
    text.split('\n')
        .skip(1)
        .collect::<Vec<_>>()
        .split_last()
        .is_some_and(|(_, middle)| middle.iter().any(|l| l.trim().is_empty()))
}

/// Whether a documentation line shows code rather than prose: backticks, an assignment or
/// comparison, an arrow (`->`, `=>`, `➞`) or a call (`name(`), as the examples of
/// HumanEval-style docstrings without `>>>` do (`f('abc') == True`, `x = [1, 2] → 3`).
fn code_like(line: &str) -> bool {
    let bytes = line.as_bytes();
    line.contains(['`', '=', '➞', '→'])
        || line.contains("->")
        || bytes
            .windows(2)
            .any(|w| w[1] == b'(' && (w[0].is_ascii_alphanumeric() || w[0] == b'_'))
}

/// The byte range of a documentation node's text without its delimiters: a Python
/// string's content (no prefix or quotes); a comment as it is.
fn content_range(file: &ParsedFile, doc: Node<'_>) -> (usize, usize) {
    if file.language() != Language::Python {
        return (doc.start_byte(), doc.end_byte());
    }
    let mut cursor = doc.walk();
    let children: Vec<Node<'_>> = doc.children(&mut cursor).collect();
    let start = children
        .iter()
        .find(|c| c.kind() == "string_start")
        .map_or(doc.start_byte(), |c| c.end_byte());
    let end = children
        .iter()
        .find(|c| c.kind() == "string_end")
        .map_or(doc.end_byte(), |c| c.start_byte());
    (start, end.max(start))
}

/// The words of the documentation's prose: maximal runs of ASCII letters, as absolute byte
/// ranges, in source order. A word counts when it stands alone: no letter, digit or `_` on
/// either side, no `(` after it (a call), no `@ : { \ .` or quote before it, no `.`
/// followed by a letter after it (a path), not a label (the first word of a line followed
/// by `:`, as in `Args:` or `x: the count`), and not inside quotes, an example, a tag line
/// (`@param`, `:param`), a fenced code block or a line that shows code ([`code_like`]).
pub(crate) fn prose_words(file: &ParsedFile) -> Vec<(usize, usize)> {
    let source = file.source();
    let mut words = Vec::new();
    // Rust's `///` lines are a node each: an example or a fence goes on across adjacent
    // ones.
    let mut state = Blocks::default();
    let mut previous_end: Option<usize> = None;
    for doc in doc_nodes(file) {
        let (start, end) = content_range(file, doc);
        if !previous_end.is_some_and(|e| e <= start && source[e..start].trim().is_empty()) {
            state = Blocks::default();
        }
        previous_end = Some(end);
        let text = &source[start..end];
        let quotes = quoted(text);
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            if state.is_prose(line) {
                line_words(
                    text.as_bytes(),
                    offset..offset + line.len(),
                    &quotes,
                    |s, e| {
                        words.push((start + s, start + e));
                    },
                );
            }
            offset += line.len();
        }
    }
    words
}

/// Where the lines of a documentation block are: inside an example (`>>>` up to a blank
/// line) or a fenced block.
#[derive(Default)]
struct Blocks {
    in_example: bool,
    in_fence: bool,
}

impl Blocks {
    /// Moves on past `line` and answers whether it is prose: not in an example or a fence,
    /// not a fence line, not a tag line and not a line that shows code.
    fn is_prose(&mut self, line: &str) -> bool {
        let trimmed = line.trim();
        if trimmed.starts_with(">>>") {
            self.in_example = true;
        } else if trimmed.is_empty() {
            self.in_example = false;
        }
        let comment = trimmed.trim_start_matches(['/', '*', '!']).trim_start();
        let fence = comment.starts_with("```") || comment.starts_with("~~~");
        self.in_fence ^= fence;
        let tag = comment.starts_with(['@', ':']);
        !self.in_example && !self.in_fence && !fence && !tag && !code_like(line)
    }
}

/// Calls `found` with the (start, end) in `bytes` of each word of the line at `line` that
/// stands alone (see [`prose_words`]).
fn line_words(
    bytes: &[u8],
    line: std::ops::Range<usize>,
    quotes: &[(usize, usize)],
    mut found: impl FnMut(usize, usize),
) {
    let mut first = true;
    let mut run = None;
    for i in line.start..=line.end {
        let letter = bytes.get(i).is_some_and(|b| b.is_ascii_alphabetic());
        match (letter, run) {
            (true, None) => run = Some(i),
            (false, Some(s)) => {
                run = None;
                if stands_alone(bytes, s, i, first, quotes) {
                    found(s, i);
                }
                first = false;
            }
            _ => {}
        }
    }
}

/// Whether the run of letters `s..i` of `bytes` is a word of the prose: nothing joined to
/// it, not a call, a path, tagged, a label (`first` word followed by `:`) or quoted.
fn stands_alone(bytes: &[u8], s: usize, i: usize, first: bool, quotes: &[(usize, usize)]) -> bool {
    let before = s.checked_sub(1).map(|j| bytes[j]);
    let after = bytes.get(i).copied();
    let joined = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    let path = after == Some(b'.') && bytes.get(i + 1).is_some_and(|b| b.is_ascii_alphabetic());
    let tagged = before.is_some_and(|b| b"@:{\\.'\"".contains(&b));
    let label = first && after == Some(b':');
    let inside = quotes.iter().any(|&(a, b)| a < s && i < b);
    !joined(before)
        && !joined(after)
        && after != Some(b'(')
        && !path
        && !tagged
        && !label
        && !inside
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_is_found_and_apostrophes_are_not_quotes() {
        let text = "You're given 'abc' and \"x\n y\" but don't touch 'a\n\n b'";
        let spans: Vec<&str> = quoted(text).iter().map(|&(a, b)| &text[a..b]).collect();
        assert_eq!(spans, ["'abc'", "\"x\n y\""]);
    }

    #[test]
    fn rust_doc_comments_are_those_rustdoc_reads() {
        let rust = |t| is_doc_comment(Language::Rust, t);
        assert!(rust("/// Doc.") && rust("//! Crate.") && rust("/** Doc. */") && rust("/*! x */"));
        assert!(!rust("//// not doc") && !rust("/*** not doc */") && !rust("/**/"));
        assert!(!rust("// plain") && !rust("/* plain */"));
        assert!(is_doc_comment(Language::JavaScript, "/** JSDoc */"));
        assert!(!is_doc_comment(Language::JavaScript, "/* plain */"));
    }
}
