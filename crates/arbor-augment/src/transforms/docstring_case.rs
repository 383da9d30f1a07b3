//! docstring-case: the same code for every language (the documentation is found per language by
//! [`super::docs`]).

use arbor_syntax::ParsedFile;
use rand::seq::IndexedRandom;
use rand::Rng;

use super::docs::prose_words;
use super::Transform;
use crate::engine::{Context, Edit, Skip};

/// The registry entry.
pub(super) const TRANSFORM: Transform = Transform::everywhere(
    "docstring-case",
    "docstring",
    "letters of the documentation's prose upper-cased at random (ReCode's ChangeCharCase)",
    edits,
);

/// docstring-case: ReCode's ChangeCharCase — each letter of the prose is upper-cased with
/// probability 0.35.
fn edits(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
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
