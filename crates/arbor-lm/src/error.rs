//! Errors of the model crate.

use std::path::PathBuf;

/// Everything that can go wrong loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum LmError {
    /// A model file that cannot be opened.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A file that is not a readable GGUF file (wrong magic, truncated, corrupt).
    #[error("{}: not a readable GGUF file ({message})", path.display())]
    NotGguf {
        /// The file.
        path: PathBuf,
        /// What the reader reported.
        message: String,
    },
    /// A GGUF file of an architecture Arbor cannot run.
    #[error("{}: architecture `{found}` is not supported (expected one of: {expected})", path.display())]
    Architecture {
        /// The file.
        path: PathBuf,
        /// `general.architecture` of the file.
        found: String,
        /// The supported architectures.
        expected: String,
    },
    /// Missing or malformed metadata.
    #[error("GGUF metadata `{key}`: {message}")]
    Metadata {
        /// The metadata key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A model that could not be fetched or verified.
    #[error("{0}")]
    Fetch(String),
    /// An error while running the model.
    #[error("model: {0}")]
    Model(String),
    /// An error of the tokenizer.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// A chat template that does not parse or refuses to render.
    #[error("chat template: {0}")]
    ChatTemplate(String),
}

impl From<arbor_fetch::FetchError> for LmError {
    fn from(error: arbor_fetch::FetchError) -> Self {
        match error {
            arbor_fetch::FetchError::Io { path, source } => LmError::Io { path, source },
            arbor_fetch::FetchError::Fetch(message) => LmError::Fetch(message),
        }
    }
}
