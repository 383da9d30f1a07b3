//! Errors of completion.

/// What can go wrong preparing a completion.
#[derive(Debug, thiserror::Error)]
pub enum CompleteError {
    /// A cursor outside the file.
    #[error("{0}")]
    Cursor(String),
    /// A file that cannot be read or completed, or a request the model cannot serve.
    #[error("{0}")]
    Request(String),
    /// The syntax layer failed.
    #[error(transparent)]
    Syntax(#[from] arbor_syntax::SyntaxError),
    /// The search index failed.
    #[error(transparent)]
    Index(#[from] arbor_index::IndexError),
    /// The tokenizer failed.
    #[error(transparent)]
    Model(#[from] arbor_lm::LmError),
    /// The model failed while generating.
    #[error(transparent)]
    Generate(#[from] arbor_gen::GenerateError),
}
