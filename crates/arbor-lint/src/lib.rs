//! Arbor's review linter: built-in rules (tree-sitter queries in `grammars/<lang>/lint/*.scm`
//! and Rust code for what needs scopes), user rules from the configuration, suppression
//! comments, and reporters (text, JSON, SARIF 2.1.0, GitHub workflow commands).
//!
//! The built-in rules are listed in [`registry`]; [`Linter`] (in [`linter`]) runs them with the
//! configuration's [`selection`] resolved; [`Review`] filters a run by baseline and git diff.

pub mod baseline;
pub mod config;
pub mod diff;
pub mod error;
pub mod fix;
pub mod linter;
pub mod outcome;
pub mod query_rule;
pub mod registry;
pub mod report;
pub mod review;
pub mod rule;
pub mod rules;
pub mod sarif;
pub mod selection;
pub mod suppress;

use std::path::{Path, PathBuf};

use arbor_syntax::Skipped;

pub use arbor_syntax::Language;
pub use config::{ComplexityCounting, Config, Thresholds};
pub use error::LintError;
pub use linter::Linter;
pub use review::{Hidden, Review};
pub use rule::{
    Edit, Finding, Location, RawFinding, Rule, RuleInfo, Severity, Utf16Columns, Utf16Region,
};
pub use selection::selector_matches;

/// The id of the findings that report syntax errors.
pub const SYNTAX_ERROR: &str = "arbor/syntax-error";
/// The id of the findings that report suppressions that suppressed nothing.
pub const UNUSED_SUPPRESSION: &str = "arbor/unused-suppression";

/// Options of a lint run.
#[derive(Debug, Clone)]
pub struct LintOptions {
    /// Report suppression comments that suppressed nothing.
    pub report_unused_suppressions: bool,
    /// Files larger than this are skipped.
    pub max_file_size: u64,
    /// Apply the safe fixes to the files (findings then describe the fixed files).
    pub fix: bool,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions {
            report_unused_suppressions: false,
            max_file_size: arbor_syntax::DEFAULT_MAX_FILE_SIZE,
            fix: false,
        }
    }
}

/// What a lint run found.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    /// Findings, sorted by path, line, column and rule.
    pub findings: Vec<Finding>,
    /// Files linted.
    pub files: usize,
    /// Files not linted, and why.
    pub skipped: Vec<Skipped>,
    /// Findings hidden by suppression comments.
    pub suppressed: usize,
    /// Findings repaired by `--fix`.
    pub fixed: usize,
    /// Files whose fixes were not written, with the reason.
    pub unfixable: Vec<(PathBuf, String)>,
    /// Findings a [`Review`] hid (baseline, unchanged lines).
    pub hidden: Hidden,
}

/// A path as findings name it: `/`-separated, without a leading `./`.
pub fn slash_path(path: &Path) -> String {
    use std::path::Component;
    let text = path
        .components()
        .filter(|c| matches!(c, Component::Normal(_) | Component::ParentDir))
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    if path.has_root() {
        format!("/{text}")
    } else {
        text
    }
}
