//! Which rules run where, at what severity and with which thresholds: the configuration's
//! `select`, `ignore`, `severity`, `thresholds` and per-path `overrides`, resolved.

use globset::GlobSet;

use crate::config::{self, Config, Thresholds};
use crate::error::LintError;
use crate::rule::{RuleInfo, Severity};
use crate::{SYNTAX_ERROR, UNUSED_SUPPRESSION};

/// Whether a selector (a rule id, or a prefix such as `py` or `all`) names `id`.
pub fn selector_matches(selector: &str, id: &str) -> bool {
    let selector = selector.trim_end_matches('/');
    id == selector || (id.starts_with(selector) && id[selector.len()..].starts_with('/'))
}

/// Whether `selector` names one of the rules `ids` or a pseudo-rule (syntax errors, unused
/// suppressions): what a selector must do to be accepted.
pub(crate) fn names_a_rule<'a>(selector: &str, mut ids: impl Iterator<Item = &'a str>) -> bool {
    [SYNTAX_ERROR, UNUSED_SUPPRESSION]
        .into_iter()
        .any(|pseudo| selector_matches(selector, pseudo))
        || ids.any(|id| selector_matches(selector, id))
}

/// Whether any selector of `list` names `id`.
fn any_matches(list: &[String], id: &str) -> bool {
    list.iter().any(|s| selector_matches(s, id))
}

/// An `[[overrides]]` table with its globs compiled.
struct CompiledOverride {
    paths: GlobSet,
    select: Vec<String>,
    ignore: Vec<String>,
    thresholds: Option<Thresholds>,
}

/// The configuration's rule selection, checked against the rules that exist.
pub(crate) struct Selection {
    select: Vec<String>,
    ignore: Vec<String>,
    severity: std::collections::BTreeMap<String, Severity>,
    thresholds: Thresholds,
    overrides: Vec<CompiledOverride>,
}

impl Selection {
    /// The selection of `config`, whose selectors must each name a rule of `rules` or a
    /// pseudo-rule.
    pub(crate) fn new(config: &Config, rules: &[RuleInfo]) -> Result<Selection, LintError> {
        check_selectors(config, rules)?;
        let overrides = config
            .overrides
            .iter()
            .map(|o| {
                Ok(CompiledOverride {
                    paths: config::globs(&o.paths)
                        .map_err(|m| config.error(format!("overrides.paths: {m}")))?,
                    select: o.select.clone(),
                    ignore: o.ignore.clone(),
                    thresholds: o.thresholds,
                })
            })
            .collect::<Result<Vec<_>, LintError>>()?;
        Ok(Selection {
            select: config.select.clone(),
            ignore: config.ignore.clone(),
            severity: config.severity.clone(),
            thresholds: config.thresholds,
            overrides,
        })
    }

    /// Whether rule `id` is selected (before per-path overrides).
    pub(crate) fn selected(&self, id: &str) -> bool {
        (self.select.is_empty() || any_matches(&self.select, id)) && !any_matches(&self.ignore, id)
    }

    /// Whether rule `id` runs on `path` (relative to the configuration).
    pub(crate) fn enabled(&self, id: &str, path: &str) -> bool {
        let mut on = self.selected(id);
        for o in self.overrides.iter().filter(|o| o.paths.is_match(path)) {
            if any_matches(&o.select, id) {
                on = true;
            }
            if any_matches(&o.ignore, id) {
                on = false;
            }
        }
        on
    }

    /// The thresholds in force on `path`: the last matching override's, else the configuration's.
    pub(crate) fn thresholds(&self, path: &str) -> Thresholds {
        self.overrides
            .iter()
            .rev()
            .filter(|o| o.paths.is_match(path))
            .find_map(|o| o.thresholds)
            .unwrap_or(self.thresholds)
    }

    /// The configured severity of a rule: the most specific `severity` entry, else `default`.
    pub(crate) fn severity(&self, id: &str, default: Severity) -> Severity {
        self.severity
            .iter()
            .filter(|(selector, _)| selector_matches(selector, id))
            .max_by_key(|(selector, _)| selector.len())
            .map_or(default, |(_, severity)| *severity)
    }
}

/// Refuses selectors (in `select`, `ignore`, `severity` and overrides) that name no rule.
fn check_selectors(config: &Config, rules: &[RuleInfo]) -> Result<(), LintError> {
    let known = |selector: &str| names_a_rule(selector, rules.iter().map(|r| r.id.as_str()));
    let mut selectors: Vec<(&str, &str)> = Vec::new();
    selectors.extend(config.select.iter().map(|s| ("select", s.as_str())));
    selectors.extend(config.ignore.iter().map(|s| ("ignore", s.as_str())));
    selectors.extend(config.severity.keys().map(|s| ("severity", s.as_str())));
    for o in &config.overrides {
        selectors.extend(o.select.iter().map(|s| ("overrides.select", s.as_str())));
        selectors.extend(o.ignore.iter().map(|s| ("overrides.ignore", s.as_str())));
    }
    match selectors.into_iter().find(|(_, selector)| !known(selector)) {
        Some((key, selector)) => {
            Err(config.error(format!("{key}: unknown rule or prefix `{selector}`")))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::selector_matches;

    #[test]
    fn selectors_match_ids_and_whole_prefixes() {
        assert!(selector_matches("py", "py/bare-except"));
        assert!(selector_matches("py/", "py/bare-except"));
        assert!(selector_matches("py/bare-except", "py/bare-except"));
        assert!(!selector_matches("p", "py/bare-except"));
        assert!(!selector_matches("py/bare", "py/bare-except"));
    }
}
