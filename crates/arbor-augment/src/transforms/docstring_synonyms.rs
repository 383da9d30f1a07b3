//! docstring-synonyms: the same code for every language (the documentation is found per language by
//! [`super::docs`]).

use arbor_syntax::node::descendants;
use arbor_syntax::ParsedFile;
use std::collections::HashSet;

use rand::seq::IndexedRandom;
use rand::Rng;

use super::docs::prose_words;
use super::Transform;
use crate::engine::{Context, Edit, Skip};

/// The registry entry.
pub(super) const TRANSFORM: Transform = Transform::everywhere(
    "docstring-synonyms",
    "docstring",
    "some words of the documentation replaced by synonyms (names the code uses kept)",
    edits,
);

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
fn edits(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
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
