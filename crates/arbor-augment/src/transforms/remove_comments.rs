//! remove-comments: the same code for every language.

use arbor_syntax::node::{descendants, is_comment, line_start};
use arbor_syntax::Language;
use arbor_syntax::ParsedFile;

use super::docs::is_doc_comment;
use super::Transform;
use crate::engine::{Context, Edit, Skip};

/// The registry entry.
pub(super) const TRANSFORM: Transform =
    Transform::everywhere("remove-comments", "docstring", "remove comments", edits);

/// remove-comments: every comment goes (its whole line when it stands alone; a block
/// comment between code becomes a space), but a shebang, an encoding declaration and Rust
/// doc comments (those are docstrings).
fn edits(file: &ParsedFile, _ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let mut edits = Vec::new();
    for comment in descendants(file.root())
        .into_iter()
        .filter(|n| is_comment(*n))
    {
        let text = file.text(comment);
        if comment.start_position().row < 2 && (text.starts_with("#!") || text.contains("coding")) {
            continue;
        }
        if file.language() == Language::Rust && is_doc_comment(Language::Rust, text) {
            continue;
        }
        let start = line_start(source, comment.start_byte());
        let alone = source[start..comment.start_byte()].trim().is_empty();
        let end = comment.end_byte();
        let rest_of_line = source[end..].split('\n').next().unwrap_or("");
        if alone && rest_of_line.trim().is_empty() {
            let end = source[end..]
                .find('\n')
                .map_or(source.len(), |i| end + i + 1);
            edits.push(Edit::replace(start..end, ""));
        } else if rest_of_line.trim().is_empty() {
            let before = source[..comment.start_byte()]
                .trim_end_matches([' ', '\t'])
                .len();
            edits.push(Edit::replace(before..end, ""));
        } else {
            edits.push(Edit::replace(comment.byte_range(), " "));
        }
    }
    if edits.is_empty() {
        return Err(Skip::because("no comment"));
    }
    Ok(edits)
}
