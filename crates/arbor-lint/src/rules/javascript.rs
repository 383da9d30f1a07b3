//! JavaScript rules that need more than a query.

use arbor_syntax::tree_sitter::Node;

use super::js_scope::ScopeModel;
use crate::error::LintError;
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
        let model = ScopeModel::build(ctx.file.root(), ctx.file.source());
        // A script's top-level names are globals other scripts may read; those of a module
        // (ES or CommonJS, told by `import`/`export` or by `require`, `module`, `exports`) are not.
        let module = model.module
            || ["require", "module", "exports"]
                .iter()
                .any(|name| model.unresolved.contains(name));
        let mut found: Vec<RawFinding> = model
            .variables
            .iter()
            .filter(|v| v.binding.checked() && !v.used && !v.exported)
            .filter(|v| !v.name.starts_with('_') && (module || !model.top_level(v)))
            .map(|v| {
                let message = match v.last_write {
                    Some(_) => format!("`{}` is assigned a value but never used", v.name),
                    None => format!("`{}` is declared but never used", v.name),
                };
                RawFinding::at(v.last_write.unwrap_or(v.node)).with_message(message)
            })
            .collect();
        found.sort_by_key(|f| (f.location.start_byte, f.location.end_byte));
        out.extend(found);
    }
}

#[cfg(test)]
mod tests {
    use crate::{Config, Language, Linter};

    /// The lines `js/unused-variable` reports in `source`.
    fn unused(source: &str) -> Vec<usize> {
        let config = Config {
            select: vec!["js/unused-variable".to_string()],
            ..Config::default()
        };
        let linter = Linter::new(config).unwrap();
        let findings = linter.lint_source("src/module.js", Language::JavaScript, source);
        findings.iter().map(|f| f.location.line).collect()
    }

    #[test]
    fn top_level_names_of_an_es_module_are_checked_unless_exported() {
        let source = "import { used, unused } from './a.js';\n\
                      import * as spare from './b.js';\n\
                      const local = used();\n\
                      export const api = 1;\n\
                      function exportedLater() {}\n\
                      export { exportedLater };\n\
                      export default class Widget {}\n";
        assert_eq!(unused(source), vec![1, 2, 3]);
    }

    #[test]
    fn top_level_names_of_a_commonjs_module_are_checked() {
        let source = "const fs = require('fs');\nconst path = require('path');\n\
                      module.exports = path.join;\n";
        assert_eq!(unused(source), vec![1]);
    }

    #[test]
    fn top_level_names_of_a_script_are_globals() {
        assert_eq!(
            unused("var profile = { name: 1 };\nfunction helper() {}\n"),
            Vec::<usize>::new()
        );
    }
}
