//! docstring-typos: the same code for every language (the documentation is found per language by
//! [`super::docs`]).

use arbor_syntax::ParsedFile;
use rand::seq::IndexedRandom;
use rand::Rng;

use super::docs::prose_words;
use super::Transform;
use crate::engine::{Context, Edit, Skip};

/// The registry entry.
pub(super) const TRANSFORM: Transform = Transform::everywhere(
    "docstring-typos",
    "docstring",
    "typos (two neighbouring letters swapped) in a few words of the documentation",
    edits,
);

/// docstring-typos: a few words of the documentation get a typo (two neighbouring letters
/// swapped), as ReCode's docstring perturbations do.
fn edits(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
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
