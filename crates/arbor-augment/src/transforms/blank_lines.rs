//! blank-lines: the same code for every language.

use arbor_syntax::node::line_start;
use arbor_syntax::ParsedFile;
use rand::Rng;

use super::common::statement_positions;
use super::Transform;
use crate::engine::{Context, Edit, Skip};

/// The registry entry.
pub(super) const TRANSFORM: Transform = Transform::everywhere(
    "blank-lines",
    "format",
    "add blank lines between statements and remove existing ones",
    edits,
);

/// blank-lines: a blank line before some statements, and the blank lines between others
/// taken out.
fn edits(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let mut edits = Vec::new();
    let positions = statement_positions(file);
    for statement in &positions {
        let start = line_start(source, statement.start_byte());
        let before = &source[..start];
        let blank_before = before.ends_with("\n\n") || before.ends_with("\n\r\n");
        if blank_before {
            if ctx.rng.random_bool(0.5) {
                // Remove the blank lines right above it.
                let trimmed = before.trim_end_matches(['\n', '\r', ' ', '\t']);
                let keep = trimmed.len() + source[trimmed.len()..].find('\n').map_or(0, |i| i + 1);
                if keep < start && source[keep..start].trim().is_empty() {
                    edits.push(Edit::replace(keep..start, ""));
                }
            }
        } else if start > 0 && ctx.rng.random_bool(0.3) {
            edits.push(Edit::insert(start, "\n"));
        }
    }
    if edits.is_empty() {
        if let Some(statement) = positions
            .iter()
            .find(|s| line_start(source, s.start_byte()) > 0)
        {
            edits.push(Edit::insert(
                line_start(source, statement.start_byte()),
                "\n",
            ));
        } else {
            return Err(Skip::because("no statement boundary"));
        }
    }
    Ok(edits)
}
