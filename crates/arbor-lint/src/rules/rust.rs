//! Predicates of the Rust rules: test code, library code, SAFETY comments.

use arbor_syntax::node;
use arbor_syntax::tree_sitter::Node;

use crate::rule::FileContext;

/// Whether the path is test, bench or example code by its place (`tests/`, `benches/`,
/// `examples/`), or a `tests.rs` file (the module of `#[cfg(test)] mod tests;`).
fn test_path(path: &str) -> bool {
    path.split('/')
        .any(|part| matches!(part, "tests" | "benches" | "examples" | "tests.rs"))
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

/// `rs/unwrap`: outside test code; in a macro's arguments (`assert_eq!(x.unwrap(), 1)`,
/// `vec![a.unwrap()]`, not a `macro_rules!` body) the method name of a `. unwrap (…)` token run.
pub fn outside_tests(ctx: &FileContext<'_>, node: Node<'_>) -> bool {
    // Clippy does not report unwraps that a `macro_rules!` expansion brings.
    let in_tokens = node.kind() == "identifier";
    if in_tokens && (!method_call_tokens(node) || in_macro_definition(node)) {
        return false;
    }
    !in_tests(ctx, node)
}

/// Whether the identifier `name` in a token tree is called as a method: `. name (…)`.
fn method_call_tokens(name: Node<'_>) -> bool {
    name.prev_sibling().is_some_and(|dot| dot.kind() == ".")
        && name
            .next_sibling()
            .is_some_and(|args| args.kind() == "token_tree" && opens_with(args, "("))
}

/// Whether a token tree opens with `delimiter` (its first child, an anonymous token).
fn opens_with(tree: Node<'_>, delimiter: &str) -> bool {
    tree.child(0).is_some_and(|open| open.kind() == delimiter)
}

/// `rs/todo`, `rs/dbg`: a macro call, parsed (`todo!()`) or as tokens of a macro's token tree
/// (`assert_eq!(x, todo!())`: tree-sitter leaves macro arguments unparsed): `name ! (…)`.
pub fn is_macro_call(_ctx: &FileContext<'_>, node: Node<'_>) -> bool {
    node.kind() != "identifier" || bang_call_tokens(node)
}

/// Whether the identifier `name` in a token tree starts a macro call: `name ! (…)`, not a method
/// or field (`x.todo`).
fn bang_call_tokens(name: Node<'_>) -> bool {
    let bang = name.next_sibling().filter(|bang| bang.kind() == "!");
    let called = bang
        .and_then(|bang| bang.next_sibling())
        .is_some_and(|args| args.kind() == "token_tree");
    called
        && name
            .prev_sibling()
            .is_none_or(|before| before.kind() != ".")
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

/// `rs/unsafe-without-safety`, as clippy's `undocumented_unsafe_blocks`: an `unsafe` block (also
/// `unsafe {` among a macro's tokens) or an `unsafe impl` of a trait with no `SAFETY:` comment (any
/// letter case) on the lines right above its line, after the first line of the enclosing function,
/// item or `macro_rules!` (a comment on the block's own line does not count). For a block in a
/// statement that starts on an earlier line (`let x = f(\n unsafe {…})`), a comment above the
/// statement counts too.
pub fn lacks_safety_comment(ctx: &FileContext<'_>, node: Node<'_>) -> bool {
    let is_token = node.kind() == "unsafe";
    if is_token
        && !node
            .next_sibling()
            .is_some_and(|block| block.kind() == "token_tree" && opens_with(block, "{"))
    {
        return false;
    }
    let source = ctx.file.source();
    let Some(from) = search_start(source, node) else {
        return false; // clippy does not look (an impl in an unusual place)
    };
    // An impl's attributes belong to it: the comment may be above them.
    let first = if node.kind() == "impl_item" {
        with_attributes(node)
    } else {
        node
    };
    let line = node::line_start(source, first.start_byte());
    if safety_comment_above(&source[from.min(line)..line]) {
        return false;
    }
    if node.kind() == "impl_item" || in_macro_definition(node) {
        return true;
    }
    let start = if is_token {
        outermost_macro(node)
    } else {
        node
    };
    statement_start(start).is_none_or(|statement| {
        let above = node::line_start(source, statement);
        above >= line || !safety_comment_above(&source[from.min(above)..above])
    })
}

/// Whether the node lies in a `macro_rules!` definition.
fn in_macro_definition(node: Node<'_>) -> bool {
    ancestors(node).any(|a| a.kind() == "macro_definition")
}

/// The outermost macro invocation holding a node of its token tree.
fn outermost_macro(node: Node<'_>) -> Node<'_> {
    ancestors(node)
        .filter(|a| a.kind() == "macro_invocation")
        .last()
        .unwrap_or(node)
}

fn ancestors(node: Node<'_>) -> impl Iterator<Item = Node<'_>> {
    std::iter::successors(node.parent(), |n| n.parent())
}

/// The start of the line after the one holding byte `at`.
fn next_line(source: &str, at: usize) -> usize {
    source[at..].find('\n').map_or(source.len(), |i| at + i + 1)
}

/// Where clippy starts looking for the comment of an unsafe node: the line after the first line
/// of the enclosing `macro_rules!`, function or other item; for a block in a `const`/`static`
/// among a module's items or an `unsafe impl`, the line after the end of the item before it (or
/// after the module's first line); for an `unsafe impl` in a function, after its block's first.
fn search_start(source: &str, node: Node<'_>) -> Option<usize> {
    let is_impl = node.kind() == "impl_item";
    let mut item = node;
    for parent in ancestors(node) {
        let kind = parent.kind();
        let in_module = kind == "source_file"
            || (kind == "declaration_list"
                && parent.parent().is_some_and(|m| m.kind() == "mod_item"));
        if in_module && (is_impl || item.id() != node.id()) {
            return Some(item_start(source, item, parent, is_impl));
        }
        match kind {
            "macro_definition" => return Some(next_line(source, parent.start_byte())),
            "block" if is_impl => return Some(next_line(source, parent.start_byte())),
            "const_item" | "static_item" if !is_impl => item = parent,
            "source_file" => return Some(next_line(source, 0)),
            _ if is_impl => return None,
            kind if kind.ends_with("_item") => return Some(next_line(source, parent.start_byte())),
            _ => {}
        }
    }
    Some(0)
}

/// After the end of the item before `item` in `list` (comments and attributes are not items),
/// else after the first line of the list's module (the file's first line is searched for an
/// impl, not for a block).
fn item_start(source: &str, item: Node<'_>, list: Node<'_>, is_impl: bool) -> usize {
    let mut previous = item.prev_named_sibling();
    while let Some(p) =
        previous.filter(|p| p.kind().ends_with("comment") || p.kind() == "attribute_item")
    {
        previous = p.prev_named_sibling();
    }
    match (previous, list.parent()) {
        (Some(p), _) => next_line(source, p.end_byte().saturating_sub(1)),
        (None, Some(module)) => next_line(source, module.start_byte()),
        (None, None) if is_impl => 0,
        (None, None) => next_line(source, 0),
    }
}

/// The start of the statement an unsafe block is part of (clippy's
/// `accept-comment-above-statement`): a `let`, an assignment, a `const`/`static` (with their
/// attributes), else the outermost expression around the block unless it branches.
fn statement_start(block: Node<'_>) -> Option<usize> {
    let mut expression = block;
    while let Some(parent) = expression.parent() {
        match parent.kind() {
            "let_declaration" | "assignment_expression" | "const_item" | "static_item" => {
                return Some(with_attributes(parent).start_byte());
            }
            "block"
            | "expression_statement"
            | "match_arm"
            | "match_block"
            | "source_file"
            | "declaration_list"
            | "token_tree" => break,
            kind if kind.ends_with("_item") => break,
            _ => expression = parent,
        }
    }
    let branches = matches!(
        expression.kind(),
        "if_expression"
            | "match_expression"
            | "loop_expression"
            | "while_expression"
            | "for_expression"
    );
    (!branches).then(|| expression.start_byte())
}

/// The node, or the first of the attributes right before it.
fn with_attributes(node: Node<'_>) -> Node<'_> {
    let mut first = node;
    while let Some(attribute) = first
        .prev_named_sibling()
        .filter(|p| p.kind() == "attribute_item")
    {
        first = attribute;
    }
    first
}

/// Clippy's `text_has_safety_comment` on the lines `text` right above an unsafe node: the last
/// non-blank line is a `//` comment whose run of `//` lines (blank lines skipped) holds `SAFETY:`
/// in any letter case outside a doc comment's code block, or that line has a comment holding it
/// after code, or the text ends with one block comment that starts a line, holds `SAFETY:` and
/// is followed by whitespace only.
fn safety_comment_above(text: &str) -> bool {
    let mut offset = 0;
    let mut lines: Vec<(usize, &str)> = Vec::new();
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if !trimmed.trim_end().is_empty() {
            lines.push((offset + line.len() - trimmed.len(), trimmed));
        }
        offset += line.len();
    }
    let mut lines = lines.into_iter().rev();
    let Some((last_at, last)) = lines.next() else {
        return false;
    };
    let has_safety = |text: &str| text.to_ascii_uppercase().contains("SAFETY:");
    if last.starts_with("//") {
        let mut in_code_block = false;
        let run =
            std::iter::once(last).chain(lines.map(|(_, l)| l).take_while(|l| l.starts_with("//")));
        for line in run {
            if line
                .trim_start_matches("///")
                .trim_start()
                .starts_with("```")
            {
                in_code_block = !in_code_block;
            }
            if has_safety(line) && !in_code_block {
                return true;
            }
        }
        return false;
    }
    // Clippy 1.95 also takes a comment after code on that line (`x; // SAFETY: …`).
    let marker = [last.find("//"), last.find("/*")]
        .into_iter()
        .flatten()
        .min();
    if marker.is_some_and(|at| has_safety(&last[at..])) {
        return true;
    }
    let opening = std::iter::once((last_at, last))
        .chain(lines)
        .find(|(_, l)| l.starts_with("/*"));
    let Some((start, _)) = opening else {
        return false;
    };
    let rest = &text[start..];
    let end = block_comment_end(rest);
    has_safety(&rest[..end]) && rest[end..].trim().is_empty()
}

/// The byte length of the (nested) block comment `text` starts with.
fn block_comment_end(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0usize, 0);
    while i + 1 < bytes.len() {
        match &bytes[i..i + 2] {
            b"/*" => {
                depth += 1;
                i += 2;
            }
            b"*/" => {
                depth = depth.saturating_sub(1);
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}
