//! dead-code: an unreachable branch or an unused binding at a statement position.

use arbor_syntax::node::{line_indent, line_start};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::ParsedFile;
use rand::seq::IndexedRandom;
use rand::Rng;

use super::common::statement_positions;
use super::Transform;
use crate::engine::{Context, Edit, Skip};
use crate::names::{NameGen, NameKind};

/// The registry entry.
pub(super) const TRANSFORM: Transform = Transform {
    id: "dead-code",
    category: "syntax",
    summary: "insert an unreachable branch or an unused assignment at a statement position",
    python: Some(python),
    javascript: Some(javascript),
    rust: Some(rust),
};

/// dead-code: at a statement position, an unreachable branch (`if False:`, `while False:`)
/// or an assignment to a new, unused name.
fn python(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let positions = statement_positions(file);
    let Some(&statement) = positions.choose(&mut ctx.rng) else {
        return Err(Skip::because("no statement position"));
    };
    let source = file.source();
    let indent = line_indent(source, statement.start_byte());
    let step = if indent.contains('\t') { "\t" } else { "    " };
    let mut names = NameGen::new(file, ctx);
    let name = names.next(NameKind::Variable);
    let value: u32 = ctx.rng.random_range(0..100);
    let code = match ctx.rng.random_range(0..3) {
        0 => format!("{indent}if False:\n{indent}{step}{name} = {value}\n"),
        1 => format!("{indent}while False:\n{indent}{step}{name} = {value}\n"),
        _ => format!("{indent}{name} = {value}\n"),
    };
    Ok(vec![Edit::insert(
        line_start(source, statement.start_byte()),
        code,
    )])
}

/// What a brace language's dead code looks like.
struct DeadCode {
    /// The block kind whose statements are positions (inside a function).
    block: &'static str,
    /// The headers of the unreachable branches: an `if` and a `while`.
    never: [&'static str; 2],
    /// One indentation step inside them.
    step: &'static str,
    /// What goes before the new name: `let `, or Rust's `let _` (an unused name that the
    /// compiler does not warn about).
    binding: &'static str,
}

/// JavaScript's dead code.
const JAVASCRIPT: DeadCode = DeadCode {
    block: "statement_block",
    never: ["if (false)", "while (false)"],
    step: "  ",
    binding: "let ",
};

/// Rust's dead code.
const RUST: DeadCode = DeadCode {
    block: "block",
    never: ["if false", "while false"],
    step: "    ",
    binding: "let _",
};

/// dead-code (JavaScript).
fn javascript(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    braced(file, ctx, &JAVASCRIPT)
}

/// dead-code (Rust).
fn rust(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    braced(file, ctx, &RUST)
}

/// dead-code (JavaScript, Rust): an unreachable block or an unused binding at a statement
/// position inside a function.
fn braced(file: &ParsedFile, ctx: &mut Context, kinds: &DeadCode) -> Result<Vec<Edit>, Skip> {
    let positions: Vec<Node<'_>> = statement_positions(file)
        .into_iter()
        .filter(|s| s.parent().is_some_and(|p| p.kind() == kinds.block))
        .collect();
    let Some(&statement) = positions.choose(&mut ctx.rng) else {
        return Err(Skip::because("no statement position in a function"));
    };
    let source = file.source();
    let indent = line_indent(source, statement.start_byte());
    let mut names = NameGen::new(file, ctx);
    let name = names.next(NameKind::Variable);
    let value: u32 = ctx.rng.random_range(0..100);
    let binding = format!("{}{name} = {value};", kinds.binding);
    let code = match ctx.rng.random_range(0..3) {
        branch @ (0 | 1) => {
            let (header, step) = (kinds.never[branch], kinds.step);
            format!("{indent}{header} {{\n{indent}{step}{binding}\n{indent}}}\n")
        }
        _ => format!("{indent}{binding}\n"),
    };
    Ok(vec![Edit::insert(
        line_start(source, statement.start_byte()),
        code,
    )])
}
