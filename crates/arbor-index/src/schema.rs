//! The index schema, its settings and the tokenizers it registers.

use serde::{Deserialize, Serialize};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, INDEXED, STORED, STRING,
};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, Stemmer, TextAnalyzer, TokenizerManager};

use crate::tokenizer::{CodeTokenizer, CODE_TOKENIZER};

/// The on-disk format this build writes; an index of another format must be rebuilt.
pub const FORMAT_VERSION: u32 = 2;

/// The tokenizer for exact, case-insensitive keys (symbol names).
pub const KEY_TOKENIZER: &str = "arbor_key";

/// How text is split into terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TokenizerKind {
    /// Arbor's code-aware tokenizer ([`crate::tokenizer`]).
    #[default]
    Code,
    /// tantivy's default tokenizer (split on non-alphanumerics, lower-case): the baseline.
    Default,
}

impl TokenizerKind {
    /// The tokenizer's name in tantivy's tokenizer manager.
    pub fn tantivy_name(self) -> &'static str {
        match self {
            TokenizerKind::Code => CODE_TOKENIZER,
            TokenizerKind::Default => "default",
        }
    }
}

/// Settings fixed when an index is created, kept in `arbor.json` beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexSettings {
    /// The format version ([`FORMAT_VERSION`]).
    pub format: u32,
    /// How code and docs are tokenized.
    pub tokenizer: TokenizerKind,
    /// Index code with doc comments and docstrings blanked out (for retrieval benchmarks).
    pub strip_docs: bool,
}

impl Default for IndexSettings {
    fn default() -> Self {
        IndexSettings {
            format: FORMAT_VERSION,
            tokenizer: TokenizerKind::Code,
            strip_docs: false,
        }
    }
}

/// The fields of the schema. Every document has `doc_type` (`file`, `symbol` or `chunk`) and `path`.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// `file`, `symbol` or `chunk` (raw, stored).
    pub doc_type: Field,
    /// Path relative to the repository root, `/`-separated (raw, stored).
    pub path: Field,
    /// Language name (raw, stored).
    pub language: Field,
    /// Symbol kind; for chunks, the kind of the symbol the chunk is or lies in (raw, stored).
    pub kind: Field,
    /// Symbol name (tokenized; symbols only).
    pub name: Field,
    /// Symbol name, lower-cased and whole (symbols and chunks, for `sym:` and exact matches).
    pub name_key: Field,
    /// Qualified name (tokenized and stored; symbols; stored only for chunks).
    pub qualified_name: Field,
    /// Signature (tokenized; symbols).
    pub signature: Field,
    /// Doc comment or docstring (tokenized; symbols).
    pub doc: Field,
    /// First line of the doc (stored; symbols).
    pub doc_summary: Field,
    /// Source text (tokenized with positions, stored; chunks).
    pub code: Field,
    /// The source line holding the symbol's name (stored; symbols).
    pub line_text: Field,
    /// First line, 1-based (stored).
    pub start_line: Field,
    /// Column of the symbol's name, 1-based (stored; symbols).
    pub start_col: Field,
    /// Last line, 1-based (stored).
    pub end_line: Field,
    /// Line of the name of the symbol a chunk is or lies in, 0 for none (indexed, stored; chunks).
    pub symbol_line: Field,
    /// `definition` or `window` (stored; chunks).
    pub chunk_kind: Field,
    /// The symbols inside a chunk, a line each: `start\tend\tkind\tqualified name` (stored; chunks).
    pub inner_symbols: Field,
    /// blake3 of the file's bytes (stored; files).
    pub hash: Field,
    /// File size in bytes (stored; files).
    pub size: Field,
}

/// Builds the schema for `settings`.
pub fn build_schema(settings: &IndexSettings) -> (Schema, Fields) {
    let tokenizer = settings.tokenizer.tantivy_name();
    let text = |positions: bool, stored: bool| {
        let record = if positions {
            IndexRecordOption::WithFreqsAndPositions
        } else {
            IndexRecordOption::WithFreqs
        };
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(record),
        );
        if stored {
            options.set_stored()
        } else {
            options
        }
    };
    let key = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(KEY_TOKENIZER)
            .set_index_option(IndexRecordOption::Basic),
    );
    let mut builder = Schema::builder();
    let fields = Fields {
        doc_type: builder.add_text_field("doc_type", STRING | STORED),
        path: builder.add_text_field("path", STRING | STORED),
        language: builder.add_text_field("language", STRING | STORED),
        kind: builder.add_text_field("kind", STRING | STORED),
        name: builder.add_text_field("name", text(false, true)),
        name_key: builder.add_text_field("name_key", key),
        qualified_name: builder.add_text_field("qualified_name", text(false, true)),
        signature: builder.add_text_field("signature", text(false, false)),
        doc: builder.add_text_field("doc", text(false, false)),
        doc_summary: builder.add_text_field("doc_summary", STORED),
        code: builder.add_text_field("code", text(true, true)),
        line_text: builder.add_text_field("line_text", STORED),
        start_line: builder.add_u64_field("start_line", STORED),
        start_col: builder.add_u64_field("start_col", STORED),
        end_line: builder.add_u64_field("end_line", STORED),
        symbol_line: builder.add_u64_field("symbol_line", STORED | INDEXED),
        chunk_kind: builder.add_text_field("chunk_kind", STORED),
        inner_symbols: builder.add_text_field("inner_symbols", STORED),
        hash: builder.add_text_field("hash", STORED),
        size: builder.add_u64_field("size", STORED),
    };
    (builder.build(), fields)
}

/// Registers Arbor's tokenizers with an index.
pub fn register_tokenizers(index: &tantivy::Index) {
    register_tokenizers_in(index.tokenizers());
}

/// Registers Arbor's tokenizers with a tokenizer manager (an index's, or one of its own for
/// translating queries without an index).
pub(crate) fn register_tokenizers_in(manager: &TokenizerManager) {
    manager.register(
        CODE_TOKENIZER,
        TextAnalyzer::builder(CodeTokenizer::default())
            .filter(Stemmer::new(tantivy::tokenizer::Language::English))
            .build(),
    );
    manager.register(
        KEY_TOKENIZER,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}
