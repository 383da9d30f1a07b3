//! Size and shape rules for every language: function length, cyclomatic complexity, nesting.
//! Branch and nesting constructs come from `grammars/<lang>/branches.scm`.

use arbor_syntax::tree_sitter::{Node, Query};
use arbor_syntax::{queries, Language, Symbol, SymbolKind};

use crate::error::LintError;
use crate::registry::AuxKey;
use crate::rule::{FileContext, RawFinding, Rule, RuleInfo};

struct BranchQuery {
    language: Language,
    /// The text of `grammars/<lang>/branches.scm`.
    text: &'static str,
    query: &'static Query,
    branch: u32,
    nest: u32,
}

fn branch_queries() -> Result<Vec<BranchQuery>, LintError> {
    Language::ALL
        .iter()
        .map(|&language| {
            let source = queries::file(language, "branches");
            let query = queries::query(language, "branches")?;
            let capture = |name: &str| {
                query
                    .capture_index_for_name(name)
                    .ok_or_else(|| LintError::RuleFile {
                        file: source.file.to_string(),
                        line: 1,
                        message: format!("no @{name} capture"),
                    })
            };
            Ok(BranchQuery {
                language,
                text: source.text,
                branch: capture("branch")?,
                nest: capture("nest")?,
                query,
            })
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Metric {
    Length,
    Complexity,
    Nesting,
}

/// One of the three metric rules.
pub struct MetricRule {
    info: RuleInfo,
    metric: Metric,
    queries: &'static [BranchQuery],
}

/// The branch queries, compiled once and shared, so the rules share their captures per file.
fn shared_branch_queries() -> Result<&'static [BranchQuery], LintError> {
    static QUERIES: std::sync::OnceLock<Vec<BranchQuery>> = std::sync::OnceLock::new();
    if let Some(queries) = QUERIES.get() {
        return Ok(queries);
    }
    let queries = branch_queries()?;
    Ok(QUERIES.get_or_init(|| queries))
}

/// The branch query of `language`, for the combined walk.
pub fn branch_aux_query(language: Language) -> Result<crate::query_rule::AuxQuery, LintError> {
    let q = shared_branch_queries()?
        .iter()
        .find(|q| q.language == language)
        .expect("every language has a branches.scm");
    Ok(crate::query_rule::AuxQuery {
        key: AuxKey::Branches(language),
        language,
        text: q.text,
        query: q.query,
    })
}

/// A metric rule from its registry entry's description.
fn metric_rule(info: RuleInfo, metric: Metric) -> Result<Box<dyn Rule>, LintError> {
    Ok(Box::new(MetricRule {
        info,
        metric,
        queries: shared_branch_queries()?,
    }))
}

/// Builds `all/function-too-long` from its registry entry's description.
pub fn function_too_long(info: RuleInfo) -> Result<Box<dyn Rule>, LintError> {
    metric_rule(info, Metric::Length)
}

/// Builds `all/complexity` from its registry entry's description.
pub fn complexity(info: RuleInfo) -> Result<Box<dyn Rule>, LintError> {
    metric_rule(info, Metric::Complexity)
}

/// Builds `all/nesting-too-deep` from its registry entry's description.
pub fn nesting(info: RuleInfo) -> Result<Box<dyn Rule>, LintError> {
    metric_rule(info, Metric::Nesting)
}

/// The functions of a file and, for each syntax node position, which function it belongs to.
fn functions(ctx: &FileContext<'_>) -> Vec<Symbol> {
    ctx.symbols()
        .iter()
        .filter(|s| matches!(s.kind, SymbolKind::Function | SymbolKind::Method))
        .cloned()
        .collect()
}

/// The innermost function holding each node, for nodes asked in document order.
fn owners(functions: &[Symbol]) -> super::Innermost {
    super::Innermost::new(
        functions
            .iter()
            .map(|f| (f.span.start_byte, f.span.end_byte)),
    )
}

impl Rule for MetricRule {
    fn info(&self) -> &RuleInfo {
        &self.info
    }

    fn check(&self, ctx: &FileContext<'_>, out: &mut Vec<RawFinding>) {
        if let (Metric::Complexity, crate::ComplexityCounting::Mccabe, Language::Python) = (
            self.metric,
            ctx.thresholds.complexity_counting,
            ctx.file.language(),
        ) {
            return super::mccabe::check(ctx, out);
        }
        let functions = functions(ctx);
        if functions.is_empty() {
            return;
        }
        let limits = ctx.thresholds;
        let at_name = |f: &Symbol| RawFinding {
            location: crate::rule::Location {
                line: f.name_span.start.line,
                column: f.name_span.start.column,
                end_line: f.name_span.end.line,
                end_column: f.name_span.end.column,
                start_byte: f.name_span.start_byte,
                end_byte: f.name_span.end_byte,
            },
            message: None,
            fix: None,
        };
        if let Metric::Length = self.metric {
            for f in &functions {
                let lines = f.span.last_line() - f.span.start.line + 1;
                if lines > limits.max_function_lines {
                    out.push(at_name(f).with_message(format!(
                        "`{}` is {lines} lines long (limit {})",
                        f.qualified_name, limits.max_function_lines
                    )));
                }
            }
            return;
        }
        let Some(query) = self
            .queries
            .iter()
            .find(|q| q.language == ctx.file.language())
        else {
            return;
        };
        let captures = ctx.captures(AuxKey::Branches(query.language), query.query);
        match self.metric {
            Metric::Complexity => {
                let mut owner = owners(&functions);
                let mut complexity = vec![1usize; functions.len()];
                for (ix, node) in captures.iter() {
                    if *ix == query.branch {
                        if let Some(f) = owner.find(node.start_byte(), node.end_byte()) {
                            complexity[f] += 1;
                        }
                    }
                }
                for (f, value) in functions.iter().zip(complexity) {
                    if value > limits.max_complexity {
                        out.push(at_name(f).with_message(format!(
                            "`{}` has cyclomatic complexity {value} (limit {})",
                            f.qualified_name, limits.max_complexity
                        )));
                    }
                }
            }
            Metric::Nesting => {
                // Nesting nodes in document order, parents before children; `else if` continues
                // its `if` rather than nesting in it. (Asking a node for its parent walks down
                // from the root, so the `if`s under an `else` are found from above instead.)
                let nests: Vec<Node<'_>> = captures
                    .iter()
                    .filter(|(ix, _)| *ix == query.nest)
                    .map(|(_, n)| *n)
                    .collect();
                let mut continued = std::collections::HashSet::new();
                for node in &nests {
                    let mut cursor = node.walk();
                    for child in node.children(&mut cursor) {
                        if child.kind() == "else_clause" {
                            let mut inner = child.walk();
                            continued.extend(child.named_children(&mut inner).map(|n| n.id()));
                        }
                    }
                }
                let mut owner = owners(&functions);
                let mut reported = vec![false; functions.len()];
                // The open nesting nodes: (node, its function, its depth in that function).
                let mut open: Vec<(Node<'_>, Option<usize>, usize)> = Vec::new();
                for node in nests.into_iter().filter(|n| !continued.contains(&n.id())) {
                    while open
                        .last()
                        .is_some_and(|(o, ..)| o.end_byte() <= node.start_byte())
                    {
                        open.pop();
                    }
                    let f = owner.find(node.start_byte(), node.end_byte());
                    // The open nodes of one function are the top of the stack: a node of an outer
                    // function cannot be nested in a node of an inner one.
                    let depth = match open.last() {
                        Some(&(_, g, depth)) if g == f => depth + 1,
                        _ => 1,
                    };
                    open.push((node, f, depth));
                    let Some(f) = f else { continue };
                    if depth > limits.max_nesting && !reported[f] {
                        reported[f] = true;
                        out.push(RawFinding::at(node).with_message(format!(
                            "blocks nested {depth} deep in `{}` (limit {})",
                            functions[f].qualified_name, limits.max_nesting
                        )));
                    }
                }
            }
            Metric::Length => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn branch_queries_compile() {
        let queries = super::branch_queries().unwrap();
        assert_eq!(queries.len(), 3);
    }
}
