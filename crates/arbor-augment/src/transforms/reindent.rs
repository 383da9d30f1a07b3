//! reindent: the same code for every language.

use arbor_syntax::ParsedFile;
use rand::seq::IndexedRandom;

use super::common::multiline_strings;
use super::Transform;
use crate::engine::{Context, Edit, Skip};

/// The registry entry.
pub(super) const TRANSFORM: Transform = Transform::everywhere(
    "reindent",
    "format",
    "change the indentation width (2, 3 or 8 spaces instead of the file's)",
    edits,
);

/// reindent: every indentation level becomes 2, 3 or 8 spaces (whatever the file does not
/// use), except inside multi-line strings. Indentation widths map through a strictly
/// increasing function, so every comparison Python's tokenizer makes between them (same
/// block, deeper, back out to an outer level) comes out the same. Tab-indented files are left
/// alone.
///
/// A form feed in the leading whitespace resets the column to zero for Python's tokenizer (and
/// tree-sitter's): only the spaces after the last one are the line's indentation, and only they
/// are rewritten; the form feed stays.
fn edits(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let mut strings = multiline_strings(file);
    strings.sort_by_key(|r| r.start);
    // The furthest end of the strings starting before each one's start and at it: a position
    // is inside a string when a string starting before it ends after it.
    let reach: Vec<usize> = strings
        .iter()
        .scan(0, |furthest, r| {
            *furthest = r.end.max(*furthest);
            Some(*furthest)
        })
        .collect();
    let inside_string = |at: usize| {
        let before = strings.partition_point(|r| r.start < at);
        before > 0 && reach[before - 1] > at
    };
    // (where the indentation starts, its width) of each line that has code.
    let mut lines = Vec::new();
    let mut at = 0;
    for line in source.split_inclusive('\n') {
        let leading = line.len() - line.trim_start_matches([' ', '\t', '\x0c']).len();
        let reset = line[..leading].rfind('\x0c').map_or(0, |i| i + 1);
        let indent = &line[reset..leading];
        if !line.trim().is_empty() && !inside_string(at) {
            if indent.contains('\t') {
                return Err(Skip::because("indented with tabs"));
            }
            lines.push((at + reset, indent.len()));
        }
        at += line.len();
    }
    let mut widths: Vec<usize> = lines.iter().map(|(_, w)| *w).filter(|w| *w > 0).collect();
    widths.sort_unstable();
    widths.dedup();
    let Some(&unit) = widths.first() else {
        return Err(Skip::because("nothing indented"));
    };
    let regular = widths.iter().all(|w| w % unit == 0);
    let choices: Vec<usize> = [2, 3, 8].into_iter().filter(|w| *w != unit).collect();
    let width = *choices.choose(&mut ctx.rng).expect("two left");
    let new_width = |w: usize| -> usize {
        if w == 0 {
            0
        } else if regular {
            w / unit * width
        } else {
            (widths.binary_search(&w).expect("collected") + 1) * width
        }
    };
    let edits: Vec<Edit> = lines
        .into_iter()
        .filter(|(_, w)| *w > 0)
        .map(|(at, w)| Edit::replace(at..at + w, " ".repeat(new_width(w))))
        .collect();
    Ok(edits)
}
