//! Errors of the evaluation crate.

use std::path::PathBuf;

/// What can go wrong loading data or starting the sandbox.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A file that cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A malformed line of a JSONL file.
    #[error("{}:{line}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Samples that do not fit the problems.
    #[error("{0}")]
    Mismatch(String),
    /// A dataset that could not be fetched or verified.
    #[error("{0}")]
    Fetch(String),
    /// The model failed to generate.
    #[error("model: {0}")]
    Model(#[from] arbor_gen::GenerateError),
    /// No usable Python interpreter, or the sandbox cannot start.
    #[error("sandbox: {0}")]
    Sandbox(String),
    /// A chart of a report that could not be drawn.
    #[error("chart: {0}")]
    Chart(String),
}
