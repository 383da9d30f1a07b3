//! Arbor's local code model. This first part reads GGUF files — header, metadata, tensor
//! directory, checked for truncation and architecture — and builds the tokenizer from the
//! file's own `tokenizer.ggml.*` metadata. Generation comes next (issue 5).

pub mod error;
pub mod gguf;
pub mod testing;
pub mod tokenizer;

pub use error::LmError;
pub use gguf::GgufFile;
pub use tokenizer::LmTokenizer;
