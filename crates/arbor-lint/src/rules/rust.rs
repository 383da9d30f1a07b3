//! Predicates of the Rust rules: test code, library code, SAFETY comments.

use arbor_syntax::node;
use arbor_syntax::tree_sitter::Node;

use crate::rule::FileContext;

/// Whether the path is test, bench or example code by its place (`tests/`, `benches/`, `examples/`).
fn test_path(path: &str) -> bool {
    path.split('/')
        .any(|part| matches!(part, "tests" | "benches" | "examples"))
}

/// Whether an attribute names `test` (`#[test]`, `#[cfg(test)]`, `#[tokio::test]`, …).
fn is_test_attribute(ctx: &FileContext<'_>, attribute: Node<'_>) -> bool {
    ctx.text(attribute)
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|w| w == "test")
}

/// The byte ranges of the file's test code: functions and modules with a test attribute (the
/// outermost ones, in order). One walk down the tree per file: asking each finding's ancestors
/// and their previous siblings walks from the root every time, cubic in deeply nested code.
fn test_regions(ctx: &FileContext<'_>) -> Vec<(usize, usize)> {
    let mut regions = Vec::new();
    let mut cursor = ctx.file.root().walk();
    // Per level: whether the siblings since the last other node include a test attribute.
    let mut pending = vec![false];
    loop {
        let node = cursor.node();
        let level = pending.len() - 1;
        let mut descend = true;
        match node.kind() {
            "attribute_item" => {
                pending[level] |= is_test_attribute(ctx, node);
                descend = false;
            }
            kind if kind.ends_with("comment") => descend = false,
            "function_item" | "mod_item" if pending[level] => {
                regions.push((node.start_byte(), node.end_byte()));
                pending[level] = false;
                descend = false;
            }
            _ => pending[level] = false,
        }
        if descend && cursor.goto_first_child() {
            pending.push(false);
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return regions;
            }
            pending.pop();
        }
    }
}

/// The byte ranges of a file's test functions and modules, computed once per file.
struct TestRegions(Vec<(usize, usize)>);

/// Whether `node` is in test code: a test path, or inside a `#[test]` function or `#[cfg(test)]` module.
fn in_tests(ctx: &FileContext<'_>, node: Node<'_>) -> bool {
    if test_path(ctx.path) {
        return true;
    }
    let regions = ctx.cached(|| TestRegions(test_regions(ctx)));
    let regions = &regions.0;
    let after = regions.partition_point(|&(start, _)| start <= node.start_byte());
    after > 0 && node.end_byte() <= regions[after - 1].1
}

/// `rs/unwrap`: outside test code.
pub fn outside_tests(ctx: &FileContext<'_>, node: Node<'_>) -> bool {
    !in_tests(ctx, node)
}

/// `rs/panic`: in library code (not a binary's `main.rs` or `src/bin/`, `build.rs`, tests,
/// benches or examples).
pub fn in_library_code(ctx: &FileContext<'_>, node: Node<'_>) -> bool {
    let path = ctx.path;
    let file = path.rsplit('/').next().unwrap_or(path);
    let binary = file == "main.rs"
        || file == "build.rs"
        || path.contains("src/bin/")
        || path.starts_with("bin/");
    !binary && !in_tests(ctx, node)
}

/// `rs/unsafe-without-safety`: no `SAFETY:` comment on the block's line or the comment lines
/// right above it.
pub fn lacks_safety_comment(ctx: &FileContext<'_>, node: Node<'_>) -> bool {
    let source = ctx.file.source();
    let line_start = node::line_start(source, node.start_byte());
    if source[line_start..node.start_byte()].contains("SAFETY:") {
        return false;
    }
    let mut lines = source[..line_start].lines().rev();
    for line in &mut lines {
        let line = line.trim();
        let is_comment = line.starts_with("//") || line.starts_with("/*") || line.starts_with('*');
        if !is_comment {
            break;
        }
        if line.contains("SAFETY:") {
            return false;
        }
    }
    true
}
