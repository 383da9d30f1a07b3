//! JavaScript rules that need more than a query.

use std::collections::{HashMap, HashSet};

use arbor_syntax::tree_sitter::{Node, Query};
use arbor_syntax::Language;

use super::compile;
use crate::error::LintError;
use crate::registry::AuxKey;
use crate::rule::{Edit, FileContext, RawFinding, Rule, RuleInfo};

/// `js/eqeqeq`: comparisons with `null` are the accepted idiom (`x == null` matches undefined).
pub fn not_null_comparison(ctx: &FileContext<'_>, operator: Node<'_>) -> bool {
    let sides = [operator.prev_named_sibling(), operator.next_named_sibling()];
    !sides
        .iter()
        .flatten()
        .any(|side| side.kind() == "null" || ctx.text(*side) == "undefined")
}

/// `js/eqeqeq`: `==` → `===`, `!=` → `!==`.
pub fn fix_eqeqeq(_ctx: &FileContext<'_>, operator: Node<'_>) -> Option<Vec<Edit>> {
    let replacement = match operator.kind() {
        "==" => "===",
        "!=" => "!==",
        _ => return None,
    };
    Some(vec![Edit {
        start_byte: operator.start_byte(),
        end_byte: operator.end_byte(),
        replacement: replacement.to_string(),
    }])
}

/// The query of `js/unused-variable`: names, declarations and function scopes.
pub const SCOPE_QUERY: &str =
    "[(identifier) (shorthand_property_identifier) (shorthand_property_identifier_pattern)] @id
(variable_declarator name: (identifier) @declared)
[(function_declaration) (generator_function_declaration) (function_expression)
 (arrow_function) (method_definition)] @scope";

/// [`SCOPE_QUERY`], compiled once.
pub fn scope_query() -> &'static Query {
    static QUERY: std::sync::OnceLock<Query> = std::sync::OnceLock::new();
    QUERY.get_or_init(|| compile(Language::JavaScript, SCOPE_QUERY))
}

/// `js/unused-variable`: a variable declared in a function and never used there.
pub struct UnusedVariable {
    info: RuleInfo,
}

/// Builds `js/unused-variable` from its registry entry's description.
pub fn unused_variable(info: RuleInfo) -> Result<Box<dyn Rule>, LintError> {
    Ok(Box::new(UnusedVariable { info }))
}

impl Rule for UnusedVariable {
    fn info(&self) -> &RuleInfo {
        &self.info
    }

    fn check(&self, ctx: &FileContext<'_>, out: &mut Vec<RawFinding>) {
        let query = scope_query();
        let captures = ctx.captures(AuxKey::JavaScriptScopes, query);
        let index = |name: &str| query.capture_index_for_name(name).unwrap_or(u32::MAX);
        let (id_ix, declared_ix, scope_ix) = (index("id"), index("declared"), index("scope"));
        let scopes: Vec<Node<'_>> = captures
            .iter()
            .filter(|(i, _)| *i == scope_ix)
            .map(|(_, n)| *n)
            .collect();
        let declared: HashSet<usize> = captures
            .iter()
            .filter(|(i, _)| *i == declared_ix)
            .map(|(_, n)| n.id())
            .collect();
        // Where each name is used (not declared), in document order.
        let mut uses: HashMap<&str, Vec<usize>> = HashMap::new();
        for (ix, node) in captures.iter() {
            if *ix == id_ix && !declared.contains(&node.id()) {
                uses.entry(ctx.text(*node))
                    .or_default()
                    .push(node.start_byte());
            }
        }
        let mut scope_of =
            super::Innermost::new(scopes.iter().map(|s| (s.start_byte(), s.end_byte())));
        for (ix, node) in captures.iter() {
            if *ix != declared_ix {
                continue;
            }
            let name = ctx.text(*node);
            // The innermost function around the declaration; module-level names may be used elsewhere.
            let Some(scope) = scope_of.find(node.start_byte(), node.end_byte()) else {
                continue;
            };
            if name.starts_with('_') {
                continue;
            }
            let scope = scopes[scope];
            let used = uses.get(name).is_some_and(|offsets| {
                let first = offsets.partition_point(|&o| o < scope.start_byte());
                offsets.get(first).is_some_and(|&o| o < scope.end_byte())
            });
            if !used {
                out.push(
                    RawFinding::at(*node)
                        .with_message(format!("`{name}` is declared but never used")),
                );
            }
        }
    }
}
