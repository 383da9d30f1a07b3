//! Predicates of the Rust rules: test code, library code, SAFETY comments.

use arbor_syntax::tree_sitter::Node;

use crate::rule::FileContext;

/// Whether the path is test, bench or example code by its place (`tests/`, `benches/`, `examples/`).
fn test_path(path: &str) -> bool {
    path.split('/')
        .any(|part| matches!(part, "tests" | "benches" | "examples"))
}

/// Whether an item carries a test attribute (`#[test]`, `#[cfg(test)]`, `#[tokio::test]`, …).
fn has_test_attribute(ctx: &FileContext<'_>, item: Node<'_>) -> bool {
    let mut previous = item.prev_sibling();
    while let Some(node) = previous {
        match node.kind() {
            "attribute_item" => {
                let text = ctx.text(node);
                let words = text.split(|c: char| !c.is_alphanumeric() && c != '_');
                if words.into_iter().any(|w| w == "test") {
                    return true;
                }
            }
            kind if kind.ends_with("comment") => {}
            _ => return false,
        }
        previous = node.prev_sibling();
    }
    false
}

/// Whether `node` is in test code: a test path, or inside a `#[test]` function or `#[cfg(test)]` module.
fn in_tests(ctx: &FileContext<'_>, node: Node<'_>) -> bool {
    if test_path(ctx.path) {
        return true;
    }
    let mut current = node.parent();
    while let Some(ancestor) = current {
        if matches!(ancestor.kind(), "function_item" | "mod_item")
            && has_test_attribute(ctx, ancestor)
        {
            return true;
        }
        current = ancestor.parent();
    }
    false
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
    let line_start = source[..node.start_byte()].rfind('\n').map_or(0, |i| i + 1);
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
