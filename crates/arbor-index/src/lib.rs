//! Arbor's code search: a tantivy index of files, symbols and chunks per repository, a
//! code-aware tokenizer, incremental updates by content hash, and a small query language.

pub mod error;
pub mod fresh;
mod guard;
pub mod index;
pub mod query;
pub mod render;
pub mod schema;
pub mod search;
mod semantic;
pub mod tokenizer;
pub mod vectors;

pub use error::IndexError;
pub use fresh::{ignore_cache_dir, Freshness, Refresh};
pub use index::{CodeIndex, Progress, UpdateOptions, UpdateStats};
pub use query::{Query, QueryError};
pub use schema::{IndexSettings, TokenizerKind};
pub use search::{Hit, HitType, SearchMode, SearchOptions, SideScores, SnippetLine};
