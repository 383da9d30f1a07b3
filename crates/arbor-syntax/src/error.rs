//! Errors of the syntax layer.

use std::path::PathBuf;

/// Everything that can go wrong in the syntax layer.
#[derive(Debug, thiserror::Error)]
pub enum SyntaxError {
    /// A language name that Arbor does not know.
    #[error("unknown language `{0}` (expected rust, python or javascript)")]
    UnknownLanguage(String),
    /// A symbol kind name that Arbor does not know.
    #[error("unknown symbol kind `{0}` (expected one of function, method, class, struct, enum, trait, impl, module, constant, macro, type)")]
    UnknownSymbolKind(String),
    /// A file whose language could not be told from its extension or shebang.
    #[error("{}: cannot tell the language from the extension or a #! line (use --lang)", .0.display())]
    UndetectedLanguage(PathBuf),
    /// A file that could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file that Arbor does not parse, with the reason.
    #[error("{}: {reason}", path.display())]
    Skipped {
        /// The file.
        path: PathBuf,
        /// Why it is not parsed.
        reason: crate::walk::SkipReason,
    },
    /// A query file that does not compile against its grammar.
    #[error("{file}:{row}:{column}: invalid query: {message}")]
    Query {
        /// The query file, relative to the repository root (`grammars/rust/tags.scm`).
        file: String,
        /// 1-based line of the error.
        row: usize,
        /// 1-based column of the error.
        column: usize,
        /// What tree-sitter reported.
        message: String,
    },
    /// A built-in query file that failed to load (the message names the file and position).
    #[error("{0}")]
    BuiltinQuery(String),
    /// A grammar that tree-sitter refuses (ABI mismatch).
    #[error("cannot load the {language} grammar: {message}")]
    Grammar {
        /// The language.
        language: crate::Language,
        /// What tree-sitter reported.
        message: String,
    },
    /// The parser gave up (it was cancelled or ran out of its budget).
    #[error("the {0} parser gave up on this input")]
    ParseFailed(crate::Language),
    /// A repository walk that could not start.
    #[error("{}: {message}", path.display())]
    Walk {
        /// The root of the walk.
        path: PathBuf,
        /// Why it failed.
        message: String,
    },
}
