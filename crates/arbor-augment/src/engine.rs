//! Applying transforms: edits on byte ranges, re-parsing, seeded randomness.

use std::ops::Range;

use arbor_syntax::{Language, ParsedFile};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::error::AugmentError;
use crate::transforms::Transform;

/// A replacement of a byte range of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The bytes replaced (empty for an insertion).
    pub range: Range<usize>,
    /// The new text.
    pub text: String,
}

impl Edit {
    /// Replaces `range` with `text`.
    pub fn replace(range: Range<usize>, text: impl Into<String>) -> Edit {
        Edit {
            range,
            text: text.into(),
        }
    }

    /// Inserts `text` at `at`.
    pub fn insert(at: usize, text: impl Into<String>) -> Edit {
        Edit::replace(at..at, text)
    }
}

/// Why a transform did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip(pub String);

impl Skip {
    /// A skip with this reason.
    pub fn because(reason: impl Into<String>) -> Skip {
        Skip(reason.into())
    }
}

/// How renaming transforms make new names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Naming {
    /// Natural-looking names from a vocabulary (`value`, `item`, `total`, …).
    #[default]
    Natural,
    /// `var_0`, `var_1`, … (functions: `func_0`, …).
    Indexed,
}

/// What a transform may use besides the tree: its random generator and options; it reports
/// renamed functions here (a benchmark's entry point follows them).
#[derive(Debug)]
pub struct Context {
    /// Seeded by the run's seed, the transform's id and the variant number.
    pub rng: ChaCha8Rng,
    /// How to make new names.
    pub naming: Naming,
    /// Functions renamed: (old, new).
    pub renamed: Vec<(String, String)>,
    /// Names that must keep their spelling (a benchmark's entry point when its tests call it).
    pub keep: Vec<String>,
}

impl Context {
    /// A context for `transform` in variant `variant` of a run seeded with `seed`.
    pub fn new(seed: u64, transform: &str, variant: u64, naming: Naming) -> Context {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&seed.to_le_bytes());
        hasher.update(transform.as_bytes());
        hasher.update(&variant.to_le_bytes());
        let digest = hasher.finalize();
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(digest.as_bytes());
        Context {
            rng: ChaCha8Rng::from_seed(bytes),
            naming,
            renamed: Vec::new(),
            keep: Vec::new(),
        }
    }
}

/// What became of one transform.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// It applied; the new code, parsed.
    Applied(ParsedFile),
    /// It did not; why. The input is unchanged.
    Skipped(String),
}

/// Applies `edits` (non-overlapping, any order) to `source`.
pub fn apply_edits(source: &str, edits: &[Edit]) -> Result<String, Skip> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(source.len() + 64);
    let mut at = 0;
    for edit in sorted {
        if edit.range.start < at
            || edit.range.end > source.len()
            || !source.is_char_boundary(edit.range.start)
            || !source.is_char_boundary(edit.range.end)
        {
            return Err(Skip::because("overlapping edits (a transform bug)"));
        }
        out.push_str(&source[at..edit.range.start]);
        out.push_str(&edit.text);
        at = edit.range.end;
    }
    out.push_str(&source[at..]);
    Ok(out)
}

/// Applies one transform to `file` (parsed without errors): the edits it asks for, then a
/// re-parse that must be free of errors.
pub fn apply(
    file: &ParsedFile,
    transform: &Transform,
    context: &mut Context,
) -> Result<Outcome, AugmentError> {
    let language = file.language();
    if !transform.supports(language) {
        return Ok(Outcome::Skipped(format!(
            "{} has no {} version",
            transform.id,
            language.name()
        )));
    }
    let edits = match transform.edits(file, context) {
        Ok(edits) if edits.is_empty() => return Ok(Outcome::Skipped("nothing to change".into())),
        Ok(edits) => edits,
        Err(Skip(reason)) => return Ok(Outcome::Skipped(reason)),
    };
    let text = match apply_edits(file.source(), &edits) {
        Ok(text) => text,
        Err(Skip(reason)) => return Ok(Outcome::Skipped(reason)),
    };
    if text == file.source() {
        return Ok(Outcome::Skipped("nothing to change".into()));
    }
    let reparsed = ParsedFile::parse("<output>", language, text)?;
    if reparsed.has_errors() {
        return Ok(Outcome::Skipped(
            "the result does not reparse (left unchanged)".into(),
        ));
    }
    Ok(Outcome::Applied(reparsed))
}

/// The result of a chain of transforms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Augmented {
    /// The final text.
    pub text: String,
    /// The transforms that applied, in order.
    pub applied: Vec<&'static str>,
    /// Those that did not, with why.
    pub skipped: Vec<(&'static str, String)>,
    /// Functions renamed on the way: (old, new).
    pub renamed: Vec<(String, String)>,
}

/// How a chain of transforms runs: its seed, variant, naming and the names to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AugmentOptions<'k> {
    /// The run's seed: with the transform's id and the variant, it seeds each transform.
    pub seed: u64,
    /// Which variant of the run (several outputs of one input).
    pub variant: u64,
    /// How renaming transforms make new names.
    pub naming: Naming,
    /// Names that must keep their spelling.
    pub keep: &'k [String],
}

/// Applies `transforms` one after the other (each on the previous one's output), as
/// `options` say.
pub fn augment(
    source: &str,
    language: Language,
    transforms: &[&Transform],
    options: &AugmentOptions<'_>,
) -> Result<Augmented, AugmentError> {
    let file = ParsedFile::parse("<input>", language, source.to_string())?;
    augment_parsed(&file, transforms, options)
}

/// [`augment`] on a file already parsed (parse a batch's input once for all its
/// transforms and variants). Each transform's output is the next one's input, parsed once.
pub fn augment_parsed(
    file: &ParsedFile,
    transforms: &[&Transform],
    options: &AugmentOptions<'_>,
) -> Result<Augmented, AugmentError> {
    let mut out = Augmented {
        text: String::new(),
        applied: Vec::new(),
        skipped: Vec::new(),
        renamed: Vec::new(),
    };
    if file.has_errors() {
        out.text = file.source().to_string();
        out.skipped = transforms
            .iter()
            .map(|t| {
                let reason = if t.supports(file.language()) {
                    "the input has syntax errors".to_string()
                } else {
                    format!("{} has no {} version", t.id, file.language().name())
                };
                (t.id, reason)
            })
            .collect();
        return Ok(out);
    }
    let mut current: Option<ParsedFile> = None;
    for transform in transforms {
        let mut context = Context::new(options.seed, transform.id, options.variant, options.naming);
        context.keep = options.keep.to_vec();
        match apply(current.as_ref().unwrap_or(file), transform, &mut context)? {
            Outcome::Applied(next) => {
                current = Some(next);
                out.applied.push(transform.id);
                out.renamed.extend(context.renamed);
            }
            Outcome::Skipped(reason) => out.skipped.push((transform.id, reason)),
        }
    }
    out.text = current.as_ref().unwrap_or(file).source().to_string();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_in_any_order_and_overlaps_are_refused() {
        let edits = [
            Edit::replace(4..5, "B"),
            Edit::insert(0, ">"),
            Edit::replace(0..1, "A"),
        ];
        assert_eq!(apply_edits("a = b", &edits).unwrap(), ">A = B");
        let overlapping = [Edit::replace(0..3, "x"), Edit::replace(2..4, "y")];
        assert!(apply_edits("abcdef", &overlapping).is_err());
    }

    #[test]
    fn seeds_give_reproducible_generators() {
        use rand::Rng;
        let mut a = Context::new(7, "t", 0, Naming::Natural);
        let mut b = Context::new(7, "t", 0, Naming::Natural);
        let mut c = Context::new(7, "t", 1, Naming::Natural);
        let (x, y, z): (u64, u64, u64) = (a.rng.random(), b.rng.random(), c.rng.random());
        assert_eq!(x, y);
        assert_ne!(x, z);
    }
}
