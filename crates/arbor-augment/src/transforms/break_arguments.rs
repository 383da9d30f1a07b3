//! break-arguments: the same code for every language.

use arbor_syntax::node::{descendants, is_comment, kind_is, line_indent, named_children};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::ParsedFile;

use super::common::pick_disjoint;
use super::Transform;
use crate::engine::{Context, Edit, Skip};

/// The registry entry.
pub(super) const TRANSFORM: Transform = Transform::everywhere(
    "break-arguments",
    "format",
    "put the arguments of a call one per line",
    edits,
);

/// break-arguments: a call with two or more arguments on one line gets one argument per line.
fn edits(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let calls: Vec<Node<'_>> = descendants(file.root())
        .into_iter()
        .filter(|n| {
            kind_is(*n, &["argument_list", "arguments"])
                && n.start_position().row == n.end_position().row
                && n.named_child_count() >= 2
                && named_children(*n).iter().all(|c| !is_comment(*c))
        })
        .collect();
    if calls.is_empty() {
        return Err(Skip::because(
            "no call with two or more arguments on one line",
        ));
    }
    let mut edits = Vec::new();
    for arguments in pick_disjoint(calls, ctx) {
        let indent = line_indent(source, arguments.start_byte());
        let inner = format!("{indent}    ");
        let items: Vec<&str> = named_children(arguments)
            .iter()
            .map(|a| file.text(*a))
            .collect();
        let text = format!(
            "(\n{inner}{}\n{indent})",
            items.join(&format!(",\n{inner}"))
        );
        edits.push(Edit::replace(arguments.byte_range(), text));
    }
    Ok(edits)
}
