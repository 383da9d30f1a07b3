//! Python rules that need more than a query: unused imports and variables, f-string and
//! None-comparison details.

use std::collections::{HashMap, HashSet};

use arbor_syntax::tree_sitter::{Node, Query};
use arbor_syntax::{node, Language, SymbolKind};

use super::compile;
use crate::error::LintError;
use crate::registry::AuxKey;
use crate::rule::{Edit, FileContext, RawFinding, Rule, RuleInfo};

/// `py/fstring-no-placeholder`: the f-string has no `{…}` inside.
pub fn has_no_placeholder(_ctx: &FileContext<'_>, node: Node<'_>) -> bool {
    let mut cursor = node.walk();
    let has_interpolation = node
        .children(&mut cursor)
        .any(|child| child.kind() == "interpolation");
    !has_interpolation
}

/// `py/none-comparison`: `x == None` → `x is None`, `x != None` → `x is not None`.
pub fn fix_none_comparison(_ctx: &FileContext<'_>, node: Node<'_>) -> Option<Vec<Edit>> {
    if node.named_child_count() != 2 {
        return None; // a chained comparison: leave it to a person
    }
    let mut cursor = node.walk();
    let operator = node
        .children(&mut cursor)
        .find(|c| !c.is_named() && matches!(c.kind(), "==" | "!="))?;
    let replacement = if operator.kind() == "==" {
        "is"
    } else {
        "is not"
    };
    Some(vec![Edit {
        start_byte: operator.start_byte(),
        end_byte: operator.end_byte(),
        replacement: replacement.to_string(),
    }])
}

/// The query both name rules share (its captures are computed once per file).
pub const NAMES_QUERY: &str = "(identifier) @id
(assignment left: (identifier) @target)
(global_statement (identifier) @declared)
(nonlocal_statement (identifier) @declared)";

/// [`NAMES_QUERY`], compiled once.
pub fn names_query() -> &'static Query {
    static QUERY: std::sync::OnceLock<Query> = std::sync::OnceLock::new();
    QUERY.get_or_init(|| compile(Language::Python, NAMES_QUERY))
}

fn capture_index(query: &Query, name: &str) -> u32 {
    query.capture_index_for_name(name).unwrap_or(u32::MAX)
}

/// `py/unused-import`: a module-level import whose name is never used in the module.
pub struct UnusedImport {
    info: RuleInfo,
}

/// Builds `py/unused-import` from its registry entry's description.
pub fn unused_import(info: RuleInfo) -> Result<Box<dyn Rule>, LintError> {
    Ok(Box::new(UnusedImport { info }))
}

/// The names an import statement binds, with the node to report.
fn bound_names<'t>(ctx: &FileContext<'_>, statement: Node<'t>) -> Vec<(String, Node<'t>)> {
    let mut names = Vec::new();
    if statement.kind() == "import_from_statement" {
        let module = statement.child_by_field_name("module_name");
        if module.is_some_and(|m| ctx.text(m) == "__future__") {
            return names;
        }
    }
    let mut cursor = statement.walk();
    for child in statement.children_by_field_name("name", &mut cursor) {
        match child.kind() {
            "aliased_import" => {
                if let Some(alias) = child.child_by_field_name("alias") {
                    names.push((ctx.text(alias).to_string(), child));
                }
            }
            "dotted_name" => {
                // `import a.b` binds `a`; `from m import b` binds `b`.
                let bound = if statement.kind() == "import_statement" {
                    child.named_child(0).map_or("", |first| ctx.text(first))
                } else {
                    ctx.text(child)
                };
                names.push((bound.to_string(), child));
            }
            _ => {}
        }
    }
    names
}

/// The strings listed in a module-level `__all__ = [...]`.
fn dunder_all(ctx: &FileContext<'_>) -> HashSet<String> {
    let mut names = HashSet::new();
    for statement in node::named_children(ctx.file.root()) {
        let Some(assignment) = statement
            .named_child(0)
            .filter(|n| n.kind() == "assignment")
        else {
            continue;
        };
        let is_all = assignment
            .child_by_field_name("left")
            .is_some_and(|l| ctx.text(l) == "__all__");
        if let (true, Some(right)) = (is_all, assignment.child_by_field_name("right")) {
            for item in node::named_children(right) {
                let text = ctx.text(item).trim_matches(|c| c == '"' || c == '\'');
                names.insert(text.to_string());
            }
        }
    }
    names
}

impl Rule for UnusedImport {
    fn info(&self) -> &RuleInfo {
        &self.info
    }

    fn check(&self, ctx: &FileContext<'_>, out: &mut Vec<RawFinding>) {
        if ctx.path.ends_with("__init__.py") || ctx.path == "__init__.py" {
            return; // imports in a package's __init__ are its public interface
        }
        let imports: Vec<Node<'_>> = node::named_children(ctx.file.root())
            .into_iter()
            .filter(|n| matches!(n.kind(), "import_statement" | "import_from_statement"))
            .collect();
        if imports.is_empty() {
            return;
        }
        // Imports are module-level statements, in order and apart: the one that may hold a
        // node is the last one starting at or before it (testing them all was quadratic).
        let inside_import = |n: Node<'_>| {
            let after = imports.partition_point(|i| i.start_byte() <= n.start_byte());
            after > 0 && n.end_byte() <= imports[after - 1].end_byte()
        };
        let query = names_query();
        let id_ix = capture_index(query, "id");
        let captures = ctx.captures(AuxKey::PythonNames, query);
        let mut used: HashSet<&str> = HashSet::new();
        for &(ix, id) in captures.iter() {
            if ix == id_ix && !inside_import(id) {
                used.insert(ctx.text(id));
            }
        }
        let exported = dunder_all(ctx);
        let source = ctx.file.source();
        for statement in imports {
            let names = bound_names(ctx, statement);
            let unused: Vec<&(String, Node<'_>)> = names
                .iter()
                .filter(|(name, _)| !used.contains(name.as_str()) && !exported.contains(name))
                .collect();
            // The statement's lines, newline included.
            let start = node::line_start(source, statement.start_byte());
            let end = source[statement.end_byte()..]
                .find('\n')
                .map_or(source.len(), |i| statement.end_byte() + i + 1);
            // The whole statement can go when all its names are unused and it has its lines to itself.
            let whole = unused.len() == names.len()
                && !unused.is_empty()
                && source[start..statement.start_byte()].trim().is_empty()
                && source[statement.end_byte()..end].trim().is_empty();
            for (name, node) in unused {
                let mut finding =
                    RawFinding::at(*node).with_message(format!("`{name}` imported but unused"));
                if whole {
                    finding.fix = Some(vec![Edit {
                        start_byte: start,
                        end_byte: end,
                        replacement: String::new(),
                    }]);
                }
                out.push(finding);
            }
        }
    }
}

/// `py/unused-variable`: a local variable assigned in a function and never read there.
pub struct UnusedVariable {
    info: RuleInfo,
}

/// Builds `py/unused-variable` from its registry entry's description.
pub fn unused_variable(info: RuleInfo) -> Result<Box<dyn Rule>, LintError> {
    Ok(Box::new(UnusedVariable { info }))
}

impl Rule for UnusedVariable {
    fn info(&self) -> &RuleInfo {
        &self.info
    }

    fn check(&self, ctx: &FileContext<'_>, out: &mut Vec<RawFinding>) {
        let symbols = ctx.symbols();
        let functions: Vec<_> = symbols
            .iter()
            .filter(|s| matches!(s.kind, SymbolKind::Function | SymbolKind::Method))
            .collect();
        let classes: Vec<_> = symbols
            .iter()
            .filter(|s| s.kind == SymbolKind::Class)
            .collect();
        if functions.is_empty() {
            return;
        }
        let query = names_query();
        let captures = ctx.captures(AuxKey::PythonNames, query);
        let (id_ix, target_ix, declared_ix) = (
            capture_index(query, "id"),
            capture_index(query, "target"),
            capture_index(query, "declared"),
        );
        let targets: HashSet<usize> = captures
            .iter()
            .filter(|(i, _)| *i == target_ix)
            .map(|(_, n)| n.id())
            .collect();
        // The innermost function and class around each capture, asked in document order.
        let mut function_of = super::Innermost::new(
            functions
                .iter()
                .map(|f| (f.span.start_byte, f.span.end_byte)),
        );
        let mut class_of =
            super::Innermost::new(classes.iter().map(|c| (c.span.start_byte, c.span.end_byte)));
        let mut assigned: HashMap<(usize, &str), Node<'_>> = HashMap::new();
        let mut skip: HashSet<(usize, &str)> = HashSet::new();
        let mut skip_function: HashSet<usize> = HashSet::new();
        for (ix, node) in captures.iter() {
            let text = ctx.text(*node);
            let f = function_of.find(node.start_byte(), node.end_byte());
            let class = class_of.find(node.start_byte(), node.end_byte());
            let Some(f) = f else { continue };
            if *ix == declared_ix {
                skip.insert((f, text));
            } else if *ix == target_ix {
                // An assignment in a class body (a class defined in the function) sets an
                // attribute: the innermost class around it lies inside the function.
                let in_class_body = class
                    .is_some_and(|c| classes[c].span.start_byte > functions[f].span.start_byte);
                if !in_class_body {
                    assigned.entry((f, text)).or_insert(*node);
                }
            } else if *ix == id_ix && text == "locals" {
                skip_function.insert(f);
            }
        }
        // Reads of each name: identifiers that are not assignment targets.
        let mut reads: HashMap<&str, Vec<usize>> = HashMap::new();
        for (ix, n) in captures.iter() {
            if *ix == id_ix && !targets.contains(&n.id()) {
                reads.entry(ctx.text(*n)).or_default().push(n.start_byte());
            }
        }
        let mut findings: Vec<(usize, RawFinding)> = Vec::new();
        for ((f, name), node) in assigned {
            if name.starts_with('_') || skip.contains(&(f, name)) || skip_function.contains(&f) {
                continue;
            }
            let span = functions[f].span;
            // Offsets are in document order: the first read at or after the function's start.
            let read = reads.get(name).is_some_and(|offsets| {
                let first = offsets.partition_point(|&o| o < span.start_byte);
                offsets.get(first).is_some_and(|&o| o < span.end_byte)
            });
            if !read {
                let message = format!("local variable `{name}` is assigned but never used");
                findings.push((
                    node.start_byte(),
                    RawFinding::at(node).with_message(message),
                ));
            }
        }
        findings.sort_by_key(|(offset, _)| *offset);
        out.extend(findings.into_iter().map(|(_, f)| f));
    }
}
