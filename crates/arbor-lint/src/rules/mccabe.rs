//! `all/complexity` with `complexity-counting = "mccabe"` on Python: the count of the `mccabe`
//! package (flake8's C901), so that a team moving from flake8 keeps its thresholds.
//!
//! mccabe builds a graph per function from statements only and reports `edges - nodes + 2`.
//! Worked out per statement, that is one plus:
//!
//! - `if`: 1, and 1 per `elif`; `for`, `while` (async too): 1, `else` or not;
//! - `try`: 1 plus 1 per `except`, `else` or not; the `finally` body is not looked at;
//!   `try`/`except*` and `match` are simple statements (0, bodies not looked at);
//! - `with`: 0; a nested `def` (or a method of a nested class): 1 plus its own decisions, in the
//!   enclosing function's count (nested functions are not reported on their own);
//! - expressions count nothing: no boolean operators, conditional expressions, comprehensions
//!   or lambdas.
//!
//! What mccabe reports: each function at module level, in a module-level `with`, or in a
//! class at those places (named `Class.method`), and each module-level `if`, loop and `try`
//! (its functions count in it). Unlike mccabe, a function redefined under the same name (a
//! property's getter and setter) is reported every time, not only the last.

use arbor_syntax::tree_sitter::Node;

use crate::rule::{FileContext, RawFinding};

/// The decisions of a list of statements (the named children of a block or module).
fn statements(node: Node<'_>) -> usize {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).map(statement).sum()
}

/// Whether `node` is where tree-sitter recovered from a syntax error: its children are read as
/// statements of the enclosing block, so that what parses is still counted.
fn is_error(node: Node<'_>) -> bool {
    node.kind() == "ERROR"
}

/// The block child of `node` (an `except` or `finally` clause), or its `field` child.
fn block<'t>(node: Node<'t>, field: &str) -> Option<Node<'t>> {
    if let Some(b) = node.child_by_field_name(field) {
        return Some(b);
    }
    let mut cursor = node.walk();
    let found = node
        .named_children(&mut cursor)
        .find(|c| c.kind() == "block");
    found
}

/// `statements` of the `field` block of `node`, 0 when there is none.
fn body(node: Node<'_>, field: &str) -> usize {
    block(node, field).map_or(0, statements)
}

/// The decisions of the `else` clause among the `alternative` children (or children) of `node`.
fn else_body(node: Node<'_>) -> usize {
    let mut cursor = node.walk();
    let found = node
        .children(&mut cursor)
        .find(|c| c.kind() == "else_clause")
        .map_or(0, |e| body(e, "body"));
    found
}

/// Whether a `try` statement is `try`/`except*` (mccabe 0.7 has no visitor for it).
fn is_try_star(node: Node<'_>) -> bool {
    let mut cursor = node.walk();
    let clauses: Vec<Node<'_>> = node
        .children(&mut cursor)
        .filter(|c| c.kind() == "except_clause")
        .collect();
    clauses.iter().any(|c| {
        let mut inner = c.walk();
        let star = c.children(&mut inner).any(|t| t.kind() == "*");
        star
    })
}

/// What one statement adds to the complexity of the function (or module-level block) it is in.
fn statement(node: Node<'_>) -> usize {
    match node.kind() {
        _ if is_error(node) => statements(node),
        "function_definition" => 1 + body(node, "body"),
        "class_definition" | "with_statement" => body(node, "body"),
        "decorated_definition" => node.child_by_field_name("definition").map_or(0, statement),
        "if_statement" => {
            let mut cursor = node.walk();
            let elifs: usize = node
                .children(&mut cursor)
                .filter(|c| c.kind() == "elif_clause")
                .map(|c| 1 + body(c, "consequence"))
                .sum();
            1 + body(node, "consequence") + elifs + else_body(node)
        }
        "for_statement" | "while_statement" => 1 + body(node, "body") + else_body(node),
        "try_statement" if !is_try_star(node) => {
            let mut cursor = node.walk();
            let handlers: usize = node
                .children(&mut cursor)
                .filter(|c| c.kind() == "except_clause")
                .map(|c| 1 + block(c, "body").map_or(0, statements))
                .sum();
            1 + body(node, "body") + handlers + else_body(node)
        }
        _ => 0,
    }
}

/// One graph mccabe reports: a function or a module-level block.
pub(crate) struct Graph<'t> {
    /// `Class.method`, `function`, or for a module-level block its keyword (`if`, `for`,
    /// `while`, `try`).
    pub name: String,
    /// Whether it is a module-level block rather than a function.
    pub block: bool,
    /// Where to report it: the function's name, the block's keyword.
    pub node: Node<'t>,
    /// Its complexity.
    pub complexity: usize,
}

/// The graphs of the statements of `node` (a module, a class body or a `with` body at module
/// level) of `source`, `prefix` being the enclosing classes (`Outer.Inner.`).
fn graphs<'t>(node: Node<'t>, source: &str, prefix: &str, out: &mut Vec<Graph<'t>>) {
    let text = |n: Node<'_>| &source[n.byte_range()];
    let mut cursor = node.walk();
    for stmt in node.named_children(&mut cursor) {
        let stmt = match stmt.kind() {
            "decorated_definition" => match stmt.child_by_field_name("definition") {
                Some(d) => d,
                None => continue,
            },
            _ => stmt,
        };
        match stmt.kind() {
            _ if is_error(stmt) => graphs(stmt, source, prefix, out),
            "function_definition" => {
                if let Some(name) = stmt.child_by_field_name("name") {
                    out.push(Graph {
                        name: format!("{prefix}{}", text(name)),
                        block: false,
                        node: name,
                        complexity: 1 + body(stmt, "body"),
                    });
                }
            }
            "class_definition" => {
                let name = stmt.child_by_field_name("name");
                if let (Some(name), Some(b)) = (name, block(stmt, "body")) {
                    graphs(b, source, &format!("{prefix}{}.", text(name)), out);
                }
            }
            "with_statement" => {
                if let Some(b) = block(stmt, "body") {
                    graphs(b, source, prefix, out);
                }
            }
            "if_statement" | "for_statement" | "while_statement" | "try_statement" => {
                let complexity = statement(stmt);
                if complexity > 0 {
                    let keyword = stmt.child(0).unwrap_or(stmt);
                    out.push(Graph {
                        name: keyword.kind().to_string(),
                        block: true,
                        node: keyword,
                        complexity: 1 + complexity,
                    });
                }
            }
            _ => {}
        }
    }
}

/// The graphs mccabe reports for the Python file `source` parsed as `root`.
pub(crate) fn file_graphs<'t>(root: Node<'t>, source: &str) -> Vec<Graph<'t>> {
    let mut out = Vec::new();
    graphs(root, source, "", &mut out);
    out
}

/// The findings of `all/complexity` in mccabe's count for a Python file.
pub(crate) fn check(ctx: &FileContext<'_>, out: &mut Vec<RawFinding>) {
    let limit = ctx.thresholds.max_complexity;
    for g in file_graphs(ctx.file.root(), ctx.file.source()) {
        if g.complexity <= limit {
            continue;
        }
        let message = if g.block {
            format!(
                "module-level `{}` statement has cyclomatic complexity {} (limit {limit})",
                g.name, g.complexity
            )
        } else {
            format!(
                "`{}` has cyclomatic complexity {} (limit {limit})",
                g.name, g.complexity
            )
        };
        out.push(RawFinding::at(g.node).with_message(message));
    }
}
