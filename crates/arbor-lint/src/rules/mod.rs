//! The built-in rules: query rules with their Rust predicates and fixes, and rules in Rust.

mod javascript;
mod metrics;
mod python;
mod rust;

use crate::error::LintError;
use crate::query_rule::{load_builtin, AuxQuery, Fixer, Predicate, QueryRule};
use crate::rule::Rule;

/// Predicates and fixes of query rules, by rule id.
fn code_for(id: &str) -> (Option<Predicate>, Option<Fixer>) {
    match id {
        "py/none-comparison" => (None, Some(python::fix_none_comparison)),
        "py/fstring-no-placeholder" => (Some(python::has_no_placeholder), None),
        "js/eqeqeq" => (
            Some(javascript::not_null_comparison),
            Some(javascript::fix_eqeqeq),
        ),
        "rs/unwrap" => (Some(rust::outside_tests), None),
        "rs/panic" => (Some(rust::in_library_code), None),
        "rs/unsafe-without-safety" => (Some(rust::lacks_safety_comment), None),
        _ => (None, None),
    }
}

/// The built-in query rules, with their Rust predicates and fixes.
pub fn builtin_query_rules() -> Result<Vec<QueryRule>, LintError> {
    Ok(load_builtin()?
        .into_iter()
        .map(|rule| {
            let (predicate, fixer) = code_for(&rule.info().id);
            rule.with_code(predicate, fixer)
        })
        .collect())
}

/// The queries the Rust rules run, walked together with the query rules.
pub fn aux_queries() -> Result<Vec<AuxQuery>, LintError> {
    let mut aux = vec![
        AuxQuery {
            language: arbor_syntax::Language::Python,
            text: python::NAMES_QUERY,
            query: python::names_query(),
        },
        AuxQuery {
            language: arbor_syntax::Language::JavaScript,
            text: javascript::SCOPE_QUERY,
            query: javascript::scope_query(),
        },
    ];
    aux.extend(metrics::aux_queries()?);
    Ok(aux)
}

/// The built-in rules written in Rust.
pub fn builtin_code_rules() -> Result<Vec<Box<dyn Rule>>, LintError> {
    let mut rules: Vec<Box<dyn Rule>> = vec![
        Box::new(python::UnusedImport::new()),
        Box::new(python::UnusedVariable::new()),
        Box::new(javascript::UnusedVariable::new()),
    ];
    rules.extend(metrics::rules()?);
    Ok(rules)
}

use arbor_syntax::streaming_iterator::StreamingIterator;
use arbor_syntax::tree_sitter::{Node, Query, QueryCursor};
use arbor_syntax::ParsedFile;

/// Every node of `file` captured by `query` (any capture), in document order.
pub(crate) fn captured<'t>(query: &Query, file: &'t ParsedFile) -> Vec<(u32, Node<'t>)> {
    let mut cursor = QueryCursor::new();
    let mut out = Vec::new();
    let mut matches = cursor.matches(query, file.root(), file.source().as_bytes());
    while let Some(m) = matches.next() {
        out.extend(m.captures.iter().map(|c| (c.index, c.node)));
    }
    order_captures(&mut out);
    out
}

/// Puts captures in document order (parents before children) and drops repeats of a node
/// under the same capture (several patterns can capture it).
pub(crate) fn order_captures(captures: &mut Vec<(u32, Node<'_>)>) {
    captures.sort_by_key(|(_, n)| (n.start_byte(), std::cmp::Reverse(n.end_byte())));
    captures.dedup_by_key(|(i, n)| (*i, n.id()));
}

/// Compiles a query the rules are built with (the test suite checks that each one compiles).
pub(crate) fn compile(language: arbor_syntax::Language, text: &str) -> Query {
    Query::new(&language.grammar(), text).expect("built-in rule queries compile (tested)")
}
