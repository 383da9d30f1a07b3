//! Arbor's syntax layer: the only crate that knows tree-sitter's API.
//!
//! - [`Language`]: the supported languages and their detection by extension and shebang;
//! - [`ParsedFile`]: a file's source and tree, with its syntax errors ([`ParsedFile::syntax_errors`]);
//! - [`node`]: helpers over tree-sitter nodes (walks, children, comments, lines);
//! - [`queries`]: every query file under `grammars/`, embedded and compiled once;
//! - [`Symbol`]: definitions found by the queries in `grammars/<lang>/tags.scm`
//!   ([`ParsedFile::symbols`]), with qualified names, owners, ranges and doc comments;
//! - [`Chunk`]: definition and line-window chunks for indexing ([`ParsedFile::chunks`]);
//! - [`walk()`]: `.gitignore`-aware repository walks that report skipped files, and
//!   [`parse_files`] to parse a walk in parallel.
//!
//! Positions are 1-based lines and 1-based byte columns; byte ranges are half-open.
//!
//! ```
//! use arbor_syntax::{Language, ParsedFile, SymbolKind};
//!
//! let source = "class Shape:\n    def area(self):\n        \"\"\"The area.\"\"\"\n        return 0\n";
//! let file = ParsedFile::parse("shape.py", Language::Python, source.to_string())?;
//! let symbols = file.symbols()?;
//! assert_eq!(symbols[1].kind, SymbolKind::Method);
//! assert_eq!(symbols[1].qualified_name, "Shape.area");
//! assert_eq!(symbols[1].owner.as_deref(), Some("Shape"));
//! assert_eq!(symbols[1].doc.as_deref(), Some("The area."));
//! assert!(file.syntax_errors().is_empty());
//! # Ok::<(), arbor_syntax::SyntaxError>(())
//! ```

pub mod chunks;
pub mod error;
pub mod language;
pub mod listing;
pub mod node;
pub mod parse;
pub mod queries;
pub mod query;
pub mod symbols;
pub mod walk;

/// The iterator trait tree-sitter's query matches implement.
pub use streaming_iterator;
/// The tree-sitter binding this layer is built on, for crates that walk trees (the linter).
pub use tree_sitter;

pub use chunks::{chunk_file, Chunk, ChunkKind, ChunkOptions};
pub use error::SyntaxError;
pub use language::Language;
pub use parse::{ParsedFile, Position, Span, SyntaxIssue, SyntaxIssueKind, TreeStats};
pub use symbols::{
    extract_symbols, extract_symbols_from, tags_query_text, Symbol, SymbolKind, TagMatch,
    MAX_QUALIFIED_NAME,
};
pub use walk::{
    open_regular, parse_files, read_source, walk, SkipReason, Skipped, SourceFile, Walk,
    WalkOptions, DEFAULT_MAX_FILE_SIZE,
};
