//! Arbor's local code model. This first part reads GGUF files — header, metadata, tensor
//! directory, checked for truncation and architecture — and builds the tokenizer from the
//! file's own `tokenizer.ggml.*` metadata; loads llama-architecture models with candle and
//! generates with a KV cache, greedy or sampled (temperature, top-k, top-p, repeat penalty,
//! seed), stopping at EOS, stop sequences or a token budget.

mod api;
pub mod batch;
pub mod catalog;
pub mod chat;
pub mod error;
pub mod fim;
pub mod generate;
pub mod gguf;
pub mod listing;
pub mod prompt;
pub mod quant;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tokenizer;
pub mod transformer;

pub use batch::BatchDecoder;
pub use chat::{ChatMessage, ChatTemplate};
pub use error::LmError;
pub use fim::FimTokens;
pub use generate::{Completion, GenerationParams, LlamaModel, StopReason};
pub use gguf::GgufFile;
pub use prompt::{PromptFormat, Prompter};
pub use tokenizer::LmTokenizer;
