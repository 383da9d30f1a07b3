//! Errors of the augmentation crate.

use std::path::PathBuf;

/// What can go wrong reading inputs.
#[derive(Debug, thiserror::Error)]
pub enum AugmentError {
    /// A file that cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A malformed input line.
    #[error("{}:{line}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An unknown transform name, or one that does not fit the input.
    #[error("{0}")]
    Usage(String),
    /// The syntax layer failed.
    #[error(transparent)]
    Syntax(#[from] arbor_syntax::SyntaxError),
}
