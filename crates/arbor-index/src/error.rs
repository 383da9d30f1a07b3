//! Errors of the search index.

use std::path::PathBuf;

/// Everything that can go wrong with an index or a query.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// No index at the given place.
    #[error("no index at {} (run `arbor index` first)", .0.display())]
    Missing(PathBuf),
    /// Another process holds the index's writer lock.
    #[error("the index at {} is being updated by another process (another `arbor index`?); wait for it to finish and try again", .0.display())]
    Locked(PathBuf),
    /// The index can be read but not written (a read-only file system, no write permission):
    /// it can be searched as it is, not updated.
    #[error("the index at {} is read-only ({reason}): it can be searched as it is (`arbor search --no-update`) but not updated; make it writable, or index into another directory with `--index DIR`", path.display())]
    ReadOnly {
        /// The index directory.
        path: PathBuf,
        /// Why it cannot be written.
        reason: String,
    },
    /// The directory holds files that are not an index's: Arbor neither uses nor clears it.
    #[error("{} is not an Arbor index: it holds other files (such as `{file}`); Arbor will not use or remove them: move them away, or keep the index elsewhere with `--index DIR`", path.display())]
    Foreign {
        /// The directory.
        path: PathBuf,
        /// One of the files that are not an index's.
        file: String,
    },
    /// The index cannot be read.
    #[error("the index at {} is corrupt or unreadable ({message}); rebuild it with `arbor index --rebuild`", path.display())]
    Corrupt {
        /// The index directory.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// The index was written by another version of Arbor.
    #[error("the index at {} has format {found}, this arbor writes format {expected}; rebuild it with `arbor index --rebuild`", path.display())]
    VersionMismatch {
        /// The index directory.
        path: PathBuf,
        /// The format found.
        found: String,
        /// The format this build writes.
        expected: u32,
    },
    /// A malformed query.
    #[error("invalid query: {0}")]
    Query(crate::query::QueryError),
    /// The repository could not be walked.
    #[error(transparent)]
    Syntax(#[from] arbor_syntax::SyntaxError),
    /// An I/O error on the index directory.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Semantic search cannot run: no vectors, a missing model, a query with nothing to embed.
    #[error("{0}")]
    Semantic(String),
    /// The embedding model failed.
    #[error("embedding: {0}")]
    Embed(String),
    /// Any other error from tantivy.
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

impl From<crate::query::QueryError> for IndexError {
    fn from(err: crate::query::QueryError) -> Self {
        IndexError::Query(err)
    }
}
