//! `arbor lsp`: Arbor's language server over stdio, for any editor with an LSP client.
//!
//! It lints the unsaved text of open Python, JavaScript and Rust documents with the
//! workspace's configuration (`arbor.toml` or `pyproject.toml`, reloaded when it changes; a
//! configuration that does not load becomes a diagnostic on its file) and offers:
//!
//! - diagnostics, pulled (`textDocument/diagnostic`) or, for clients that do not pull,
//!   pushed once the client has been quiet for a moment after an edit (the rule id as
//!   `code`, its documentation as `codeDescription`: a page [`docs`] writes into the cache;
//!   suppression comments honoured);
//! - code actions: each safe fix as a quick fix, `source.fixAll.arbor`, and a comment that
//!   suppresses a rule on a line;
//! - `textDocument/documentSymbol`: the syntax layer's definitions, nested;
//! - through the workspace's search index ([`navigation`]): `workspace/symbol`,
//!   `textDocument/definition`, and the custom request `arbor/search` (the full query
//!   language);
//! - with a model ([`completion`]): `textDocument/inlineCompletion` and
//!   `textDocument/completion` through `arbor complete`'s pipeline, stopped when the client
//!   cancels or edits.
//!
//! Documents sync incrementally, positions in UTF-16 code units as the protocol counts them
//! ([`position`] converts them, and nothing else does). A malformed message gets a JSON-RPC
//! parse error and an unknown method `MethodNotFound`; the server keeps serving.

pub mod completion;
pub mod diagnostics;
pub mod docs;
pub mod documents;
pub mod navigation;
pub mod position;
pub mod server;
pub mod symbols;
pub mod transport;
pub mod workspace;

pub use completion::{CodeModel, ModelLoader};
pub use server::{run, Options};

/// Why the server stopped.
#[derive(Debug, thiserror::Error)]
pub enum LspError {
    /// The client broke the protocol (during `initialize`).
    #[error("protocol: {0}")]
    Protocol(String),
    /// A message that is not what its method says.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// Reading or writing stdio failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The built-in rules did not load.
    #[error(transparent)]
    Lint(#[from] arbor_lint::LintError),
}

/// Serves over stdin and stdout until the client exits (completing with `model`, when
/// given).
pub fn serve_stdio(model: Option<ModelLoader>) -> Result<(), LspError> {
    let (connection, threads) = transport::stdio()?;
    let served = run(connection, Options::default(), model);
    threads.join()?;
    served
}
