//! Errors of the linter.

use std::path::PathBuf;

/// Everything that can go wrong before linting starts (findings are not errors).
#[derive(Debug, thiserror::Error)]
pub enum LintError {
    /// A rule file or a user rule that does not load.
    #[error("{file}:{line}: {message}")]
    RuleFile {
        /// The file (or `arbor.toml: rule <id>`).
        file: String,
        /// 1-based line of the problem.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A configuration file that is not valid.
    #[error("{}: {message}", path.display())]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong, with the key or line where known.
        message: String,
    },
    /// `--select` or `--ignore` naming no rule (the configuration's own selectors are
    /// [`LintError::Config`] errors).
    #[error(
        "{option}: unknown rule or prefix `{selector}` (`arbor lint --list-rules` lists the rules)"
    )]
    Selector {
        /// The option: `--select` or `--ignore`.
        option: &'static str,
        /// The selector as given.
        selector: String,
    },
    /// `--diff`: a revision that is not a commit, or git output that cannot be read.
    #[error("--diff: {0}")]
    Diff(String),
    /// An error of the syntax layer (walking the files).
    #[error(transparent)]
    Syntax(#[from] arbor_syntax::SyntaxError),
    /// An I/O error.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}
