//! Transforms and helpers shared by all languages: formatting (blank lines, indentation,
//! argument lists), comments, and picking random non-overlapping edit sites.

use std::collections::HashSet;

use arbor_syntax::tree_sitter::Node;
use arbor_syntax::{Language, ParsedFile};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::Rng;

use super::docs::is_doc_comment;
use super::python::is_docstring;
use crate::engine::{Context, Edit, Skip};
use crate::tree::{descendants, line_indent, line_start, named_children};

pub(crate) fn kind_is(node: Node<'_>, kinds: &[&str]) -> bool {
    kinds.contains(&node.kind())
}

/// Whether `node` starts its line (only whitespace before it).
pub(crate) fn starts_line(file: &ParsedFile, node: Node<'_>) -> bool {
    let source = file.source();
    source[line_start(source, node.start_byte())..node.start_byte()]
        .chars()
        .all(|c| c == ' ' || c == '\t')
}

/// Picks a random non-empty subset of `items` whose ranges do not overlap.
pub(crate) fn pick_disjoint<'t>(items: Vec<Node<'t>>, ctx: &mut Context) -> Vec<Node<'t>> {
    let mut items = items;
    items.shuffle(&mut ctx.rng);
    let mut picked: Vec<Node<'t>> = Vec::new();
    for item in items {
        let overlaps = picked
            .iter()
            .any(|p| p.start_byte() < item.end_byte() && item.start_byte() < p.end_byte());
        if !overlaps && (picked.is_empty() || ctx.rng.random_bool(0.5)) {
            picked.push(item);
        }
    }
    picked
}

/// A random non-empty subset of the candidate replacements (they never overlap: each is a
/// distinct statement or expression that contains no other candidate).
pub(crate) fn pick_edits(
    candidates: Vec<(Node<'_>, String)>,
    ctx: &mut Context,
    none: &str,
) -> Result<Vec<Edit>, Skip> {
    let nodes: Vec<Node<'_>> = candidates.iter().map(|(n, _)| *n).collect();
    let picked = pick_disjoint(nodes, ctx);
    if picked.is_empty() {
        return Err(Skip::because(none));
    }
    Ok(candidates
        .into_iter()
        .filter(|(n, _)| picked.contains(n))
        .map(|(n, text)| Edit::replace(n.byte_range(), text))
        .collect())
}

/// Names a statement writes and reads, for the def/use check of reorder-statements.
pub(crate) type DefUse = (HashSet<String>, HashSet<String>);

/// Swaps some pairs of adjacent statements of `blocks`, each on its own lines, that
/// `simple` describes (it returns `None` for anything with side effects) and that neither
/// read nor write the other's names.
pub(crate) fn swap_independent<'t>(
    file: &'t ParsedFile,
    ctx: &mut Context,
    blocks: Vec<Node<'t>>,
    simple: &dyn Fn(Node<'t>) -> Option<DefUse>,
) -> Result<Vec<Edit>, Skip> {
    let mut pairs = Vec::new();
    for block in blocks {
        let statements = named_children(block);
        for window in statements.windows(2) {
            let (a, b) = (window[0], window[1]);
            if a.end_position().row >= b.start_position().row
                || !starts_line(file, a)
                || !starts_line(file, b)
            {
                continue;
            }
            let (Some((wa, ra)), Some((wb, rb))) = (simple(a), simple(b)) else {
                continue;
            };
            if wa.is_disjoint(&wb) && wa.is_disjoint(&rb) && wb.is_disjoint(&ra) {
                pairs.push((a, b));
            }
        }
    }
    pairs.shuffle(&mut ctx.rng);
    let mut used: Vec<usize> = Vec::new();
    let mut edits = Vec::new();
    for (a, b) in pairs {
        if used.contains(&a.start_byte()) || used.contains(&b.start_byte()) {
            continue;
        }
        if !edits.is_empty() && ctx.rng.random_bool(0.5) {
            continue;
        }
        used.push(a.start_byte());
        used.push(b.start_byte());
        edits.push(Edit::replace(a.byte_range(), file.text(b)));
        edits.push(Edit::replace(b.byte_range(), file.text(a)));
    }
    if edits.is_empty() {
        return Err(Skip::because("no two adjacent independent statements"));
    }
    Ok(edits)
}

/// Shuffles one run (picked at random) of two or more statements of a container that
/// `is_import` accepts, each starting its own line right below the previous one.
pub(crate) fn shuffle_run<'t>(
    file: &'t ParsedFile,
    ctx: &mut Context,
    containers: Vec<Node<'t>>,
    is_import: &dyn Fn(Node<'t>) -> bool,
) -> Result<Vec<Edit>, Skip> {
    let mut runs: Vec<Vec<Node<'_>>> = Vec::new();
    for container in containers {
        let mut run: Vec<Node<'_>> = Vec::new();
        for statement in named_children(container) {
            let import = is_import(statement) && starts_line(file, statement);
            let follows = run.last().is_none_or(|p: &Node<'_>| {
                p.end_position().row + 1 == statement.start_position().row
            });
            if !(import && follows) {
                if run.len() >= 2 {
                    runs.push(std::mem::take(&mut run));
                }
                run.clear();
            }
            if import {
                run.push(statement);
            }
        }
        if run.len() >= 2 {
            runs.push(run);
        }
    }
    let Some(run) = runs.choose(&mut ctx.rng) else {
        return Err(Skip::because("no run of two or more imports"));
    };
    let texts: Vec<&str> = run.iter().map(|n| file.text(*n)).collect();
    let mut order: Vec<usize> = (0..run.len()).collect();
    for _ in 0..8 {
        order.shuffle(&mut ctx.rng);
        if order
            .iter()
            .enumerate()
            .any(|(i, &j)| i != j && texts[i] != texts[j])
        {
            break;
        }
    }
    Ok(run
        .iter()
        .zip(order)
        .map(|(node, j)| Edit::replace(node.byte_range(), texts[j]))
        .collect())
}

/// The text of `range` with `extra` added to the indentation of every line after the
/// first that has text and does not start inside a multi-line string.
pub(crate) fn indented(file: &ParsedFile, range: std::ops::Range<usize>, extra: &str) -> String {
    let strings = multiline_strings(file);
    let source = file.source();
    let mut out = String::new();
    let mut at = range.start;
    for (i, line) in source[range].split_inclusive('\n').enumerate() {
        let in_string = strings.iter().any(|r| r.start < at && at < r.end);
        if i > 0 && !in_string && !line.trim().is_empty() {
            out.push_str(extra);
        }
        out.push_str(line);
        at += line.len();
    }
    out
}

/// Byte ranges of strings that span lines: their inside must not change.
pub(crate) fn multiline_strings(file: &ParsedFile) -> Vec<std::ops::Range<usize>> {
    let kinds: &[&str] = match file.language() {
        Language::Python => &["string"],
        Language::JavaScript => &["string", "template_string"],
        Language::Rust => &["string_literal", "raw_string_literal"],
    };
    descendants(file.root())
        .into_iter()
        .filter(|n| kind_is(*n, kinds) && n.start_position().row != n.end_position().row)
        .map(|n| n.byte_range())
        .collect()
}

/// Statements before which a new statement may go: they start their line, are not a
/// docstring or a `from __future__` import (or before one).
pub(crate) fn statement_positions(file: &ParsedFile) -> Vec<Node<'_>> {
    let block_kinds: &[&str] = match file.language() {
        Language::Python => &["block"],
        Language::JavaScript => &["statement_block", "class_body"],
        Language::Rust => &["block", "declaration_list"],
    };
    let mut out = Vec::new();
    let mut blocks = vec![file.root()];
    blocks.extend(
        descendants(file.root())
            .into_iter()
            .filter(|n| kind_is(*n, block_kinds)),
    );
    for block in blocks {
        let statements = named_children(block);
        let multi_line = block.parent().is_none()
            || file.language() != Language::Python
            || block
                .parent()
                .is_some_and(|p| block.start_position().row > p.start_position().row);
        if !multi_line {
            continue;
        }
        let mut seen_code = false;
        for statement in statements {
            if kind_is(statement, &["comment", "line_comment", "block_comment"]) {
                continue;
            }
            let docstring =
                !seen_code && file.language() == Language::Python && is_docstring(statement);
            let future = statement.kind() == "future_import_statement";
            if !docstring && !future && starts_line(file, statement) {
                out.push(statement);
            }
            seen_code = true;
        }
    }
    out
}

/// blank-lines: a blank line before some statements, and the blank lines between others
/// taken out.
pub fn blank_lines(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
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

/// reindent: every indentation level becomes 2, 3 or 8 spaces (whatever the file does not
/// use), except inside multi-line strings. Indentation widths map through a strictly
/// increasing function, so every comparison Python's tokenizer makes between them (same
/// block, deeper, back out to an outer level) comes out the same. Tab-indented files are left
/// alone.
///
/// A form feed in the leading whitespace resets the column to zero for Python's tokenizer (and
/// tree-sitter's): only the spaces after the last one are the line's indentation, and only they
/// are rewritten; the form feed stays.
pub fn reindent(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
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

/// break-arguments: a call with two or more arguments on one line gets one argument per line.
pub fn break_arguments(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let calls: Vec<Node<'_>> = descendants(file.root())
        .into_iter()
        .filter(|n| {
            kind_is(*n, &["argument_list", "arguments"])
                && n.start_position().row == n.end_position().row
                && n.named_child_count() >= 2
                && named_children(*n)
                    .iter()
                    .all(|c| !kind_is(*c, &["comment", "line_comment", "block_comment"]))
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

/// remove-comments: every comment goes (its whole line when it stands alone; a block
/// comment between code becomes a space), but a shebang, an encoding declaration and Rust
/// doc comments (those are docstrings).
pub fn remove_comments(file: &ParsedFile, _ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let source = file.source();
    let mut edits = Vec::new();
    for comment in descendants(file.root())
        .into_iter()
        .filter(|n| kind_is(*n, &["comment", "line_comment", "block_comment"]))
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
