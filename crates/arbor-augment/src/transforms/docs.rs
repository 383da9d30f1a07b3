//! Docstring perturbations (ReCode's docstring category): typos, synonyms and character
//! case in the prose of the documentation. Only prose changes: examples (`>>>` lines and
//! the output lines after them), fenced blocks, lines that show code (backticks,
//! comparisons, arrows, calls), quoted text ('abc', "x y"), escapes, attribute paths, labels
//! and tags (`@param`, `:param`) are left as they are, so the specification a docstring
//! gives stays the same.

use std::collections::HashSet;

use arbor_syntax::tree_sitter::Node;
use arbor_syntax::{Language, ParsedFile};
use rand::seq::IndexedRandom;
use rand::Rng;

use super::common::kind_is;
use super::python::is_docstring;
use crate::engine::{Context, Edit, Skip};
use crate::tree::descendants;

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
                kind_is(*n, &["comment", "line_comment", "block_comment"])
                    && is_doc_comment(file.language(), file.text(*n))
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
fn prose_words(file: &ParsedFile) -> Vec<(usize, usize)> {
    let source = file.source();
    let mut words = Vec::new();
    // Rust's `///` lines are a node each: an example or a fence goes on across adjacent
    // ones.
    let mut in_example = false;
    let mut in_fence = false;
    let mut previous_end: Option<usize> = None;
    for doc in doc_nodes(file) {
        let (start, end) = content_range(file, doc);
        if !previous_end.is_some_and(|e| e <= start && source[e..start].trim().is_empty()) {
            in_example = false;
            in_fence = false;
        }
        previous_end = Some(end);
        let text = &source[start..end];
        let quotes = quoted(text);
        let bytes = text.as_bytes();
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim();
            if trimmed.starts_with(">>>") {
                in_example = true;
            } else if trimmed.is_empty() {
                in_example = false;
            }
            let comment = trimmed.trim_start_matches(['/', '*', '!']).trim_start();
            let fence = comment.starts_with("```") || comment.starts_with("~~~");
            in_fence ^= fence;
            let tag = comment.starts_with(['@', ':']);
            if !in_example && !in_fence && !fence && !tag && !code_like(line) {
                let mut first = true;
                let mut run = None;
                for i in offset..=offset + line.len() {
                    let letter = bytes.get(i).is_some_and(|b| b.is_ascii_alphabetic());
                    match (letter, run) {
                        (true, None) => run = Some(i),
                        (false, Some(s)) => {
                            run = None;
                            let before = s.checked_sub(1).map(|j| bytes[j]);
                            let after = bytes.get(i).copied();
                            let joined = |b: Option<u8>| {
                                b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
                            };
                            let path = after == Some(b'.')
                                && bytes.get(i + 1).is_some_and(|b| b.is_ascii_alphabetic());
                            let tagged = before.is_some_and(|b| b"@:{\\.'\"".contains(&b));
                            let label = first && after == Some(b':');
                            let inside = quotes.iter().any(|&(a, b)| a < s && i < b);
                            first = false;
                            if !joined(before)
                                && !joined(after)
                                && after != Some(b'(')
                                && !path
                                && !tagged
                                && !label
                                && !inside
                            {
                                words.push((start + s, start + i));
                            }
                        }
                        _ => {}
                    }
                }
            }
            offset += line.len();
        }
    }
    words
}

/// docstring-typos: a few words of the documentation get a typo (two neighbouring letters
/// swapped), as ReCode's docstring perturbations do.
pub fn docstring_typos(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    // Words of five or more lower-case letters.
    let source = file.source();
    let words: Vec<(usize, usize)> = prose_words(file)
        .into_iter()
        .filter(|&(s, e)| {
            let word = &source.as_bytes()[s..e];
            word.len() >= 5
                && word.iter().all(u8::is_ascii_lowercase)
                && word.windows(2).any(|w| w[0] != w[1])
        })
        .collect();
    if words.is_empty() {
        return Err(Skip::because("no documentation prose to perturb"));
    }
    let forced = ctx.rng.random_range(0..words.len());
    let mut edits = Vec::new();
    for (i, &(start, end)) in words.iter().enumerate() {
        if i != forced && !ctx.rng.random_bool(0.15) {
            continue;
        }
        let mut word = source.as_bytes()[start..end].to_vec();
        let swaps: Vec<usize> = (1..word.len() - 2)
            .filter(|&j| word[j] != word[j + 1])
            .collect();
        let Some(&at) = swaps.choose(&mut ctx.rng) else {
            continue;
        };
        word.swap(at, at + 1);
        edits.push(Edit::replace(
            start..end,
            String::from_utf8(word).expect("ASCII"),
        ));
    }
    Ok(edits)
}

/// docstring-case: ReCode's ChangeCharCase — each letter of the prose is upper-cased with
/// probability 0.35.
pub fn docstring_case(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let words: Vec<(usize, usize)> = prose_words(file)
        .into_iter()
        .filter(|&(s, e)| source.as_bytes()[s..e].iter().any(u8::is_ascii_lowercase))
        .collect();
    if words.is_empty() {
        return Err(Skip::because("no documentation prose to perturb"));
    }
    let forced = ctx.rng.random_range(0..words.len());
    let mut edits = Vec::new();
    for (i, &(start, end)) in words.iter().enumerate() {
        let word = &source.as_bytes()[start..end];
        let mut changed: Vec<u8> = word
            .iter()
            .map(|&b| {
                if b.is_ascii_lowercase() && ctx.rng.random_bool(0.35) {
                    b.to_ascii_uppercase()
                } else {
                    b
                }
            })
            .collect();
        if i == forced && changed == word {
            let lower: Vec<usize> = (0..word.len())
                .filter(|&j| word[j].is_ascii_lowercase())
                .collect();
            let &at = lower.choose(&mut ctx.rng).expect("a lower-case letter");
            changed[at] = changed[at].to_ascii_uppercase();
        }
        if changed != word {
            edits.push(Edit::replace(
                start..end,
                String::from_utf8(changed).expect("ASCII"),
            ));
        }
    }
    Ok(edits)
}

/// Groups of words that can stand for each other in the prose of programming
/// documentation (a curated list in the spirit of ReCode's WordNet synonym swaps, limited
/// to replacements that keep a task's meaning). Entries may be two words.
const SYNONYMS: &[&[&str]] = &[
    &["return", "give back"],
    &["returns", "gives back"],
    &["given", "provided"],
    &["list", "sequence"],
    &["lists", "sequences"],
    &["find", "determine", "compute"],
    &["check", "determine", "verify"],
    &["checks", "determines", "verifies"],
    &["contains", "includes", "has"],
    &["contain", "include"],
    &["element", "item", "entry"],
    &["elements", "items", "entries"],
    &["largest", "biggest", "greatest"],
    &["smallest", "lowest"],
    &["begin", "start"],
    &["begins", "starts"],
    &["compute", "calculate"],
    &["computes", "calculates"],
    &["create", "make", "build"],
    &["creates", "makes", "builds"],
    &["remove", "delete"],
    &["removes", "deletes"],
    &["each", "every"],
    &["only", "solely"],
    &["should", "must"],
    &["example", "instance"],
    &["write", "implement"],
    &["function", "procedure"],
    &["task", "job"],
    &["sorted", "ordered"],
    &["ascending", "increasing"],
    &["descending", "decreasing"],
    &["same", "identical"],
    &["different", "distinct"],
    &["unique", "distinct"],
    &["sum", "total"],
    &["integer", "whole number"],
    &["integers", "whole numbers"],
    &["note", "notice"],
    &["assume", "suppose"],
    &["imagine", "picture"],
    &["otherwise", "else"],
    &["new", "fresh"],
    &["get", "obtain", "retrieve"],
    &["gets", "obtains", "retrieves"],
    &["big", "large"],
    &["small", "little"],
    &["length", "size"],
    &["appear", "occur"],
    &["appears", "occurs"],
    &["means", "denotes"],
    &["represent", "denote"],
    &["represents", "denotes"],
    &["convert", "transform"],
    &["converts", "transforms"],
    &["separated", "delimited"],
    &["determine", "decide"],
    &["simple", "basic"],
    &["exactly", "precisely"],
    &["possible", "feasible"],
    &["greater", "larger", "bigger"],
    &["less", "smaller"],
    &["nearest", "closest"],
    &["longest", "lengthiest"],
    &["result", "outcome"],
    &["provide", "supply"],
    &["takes", "accepts", "receives"],
    &["keep", "retain"],
    &["keeps", "retains"],
    &["describes", "explains"],
    &["always", "invariably"],
];

/// docstring-synonyms: some words of the prose are replaced by a synonym from a curated
/// vocabulary (a capital initial is kept); words the code uses as names are left alone, so
/// a docstring that names a parameter still names it.
pub fn docstring_synonyms(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let names: HashSet<String> = descendants(file.root())
        .into_iter()
        .filter(|n| n.kind().ends_with("identifier"))
        .map(|n| file.text(n).to_ascii_lowercase())
        .collect();
    let words: Vec<(usize, usize, &[&str])> = prose_words(file)
        .into_iter()
        .filter_map(|(s, e)| {
            let word = &source[s..e];
            let lower = word.to_ascii_lowercase();
            // Lower case or a capital initial only (not `True`-like names or acronyms).
            if word[1..] != lower[1..] || names.contains(&lower) {
                return None;
            }
            let group = SYNONYMS.iter().find(|g| g.contains(&lower.as_str()))?;
            Some((s, e, *group))
        })
        .collect();
    if words.is_empty() {
        return Err(Skip::because("no documentation word with a synonym"));
    }
    let forced = ctx.rng.random_range(0..words.len());
    let mut edits = Vec::new();
    for (i, &(start, end, group)) in words.iter().enumerate() {
        if i != forced && !ctx.rng.random_bool(0.5) {
            continue;
        }
        let word = &source[start..end];
        let lower = word.to_ascii_lowercase();
        let others: Vec<&str> = group.iter().copied().filter(|w| *w != lower).collect();
        let &synonym = others.choose(&mut ctx.rng).expect("a group has two words");
        let mut replacement = synonym.to_string();
        if word.starts_with(|c: char| c.is_ascii_uppercase()) {
            replacement[..1].make_ascii_uppercase();
        }
        edits.push(Edit::replace(start..end, replacement));
    }
    Ok(edits)
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

    #[test]
    fn every_synonym_group_has_distinct_lower_case_words() {
        for group in SYNONYMS {
            assert!(group.len() >= 2, "{group:?}");
            let set: HashSet<_> = group.iter().collect();
            assert_eq!(set.len(), group.len(), "{group:?}");
            assert!(group
                .iter()
                .all(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == ' ')));
        }
    }
}
