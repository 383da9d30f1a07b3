//! Tokenizers built from a GGUF file's own `tokenizer.ggml.*` metadata, so no separate
//! tokenizer file is needed. Byte-level BPE (`tokenizer.ggml.model = "gpt2"`), with the
//! pre-tokenizer llama.cpp names in `tokenizer.ggml.pre` (`smollm` splits digits one by one
//! before the GPT-2 split).

use std::collections::HashMap;

use candle_core::quantized::gguf_file::Value;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{AddedToken, PreTokenizerWrapper, Tokenizer};

use crate::error::LmError;
use crate::gguf::{metadata_string, metadata_u32};

/// llama.cpp's token types (`tokenizer.ggml.token_type`).
const TOKEN_TYPE_CONTROL: i32 = 3;
const TOKEN_TYPE_USER_DEFINED: i32 = 4;

/// A tokenizer with the model's special token ids.
pub struct LmTokenizer {
    tokenizer: Tokenizer,
    /// Beginning-of-sequence token.
    pub bos: Option<u32>,
    /// End-of-sequence token.
    pub eos: Option<u32>,
    /// Whether prompts start with BOS (`tokenizer.ggml.add_bos_token`, default false).
    pub add_bos: bool,
    /// The chat template (`tokenizer.chat_template`), when the file has one.
    pub chat_template: Option<String>,
}

fn strings(metadata: &HashMap<String, Value>, key: &str) -> Result<Vec<String>, LmError> {
    let error = |message: String| LmError::Metadata {
        key: key.to_string(),
        message,
    };
    let Some(Value::Array(items)) = metadata.get(key) else {
        return Err(error("missing, or not an array".into()));
    };
    items
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.clone()),
            other => Err(error(format!(
                "expected strings, found {:?}",
                other.value_type()
            ))),
        })
        .collect()
}

fn optional_id(metadata: &HashMap<String, Value>, key: &str) -> Result<Option<u32>, LmError> {
    metadata.get(key).map(|v| metadata_u32(v, key)).transpose()
}

impl LmTokenizer {
    /// Builds the tokenizer described by a GGUF file's metadata.
    pub fn from_metadata(metadata: &HashMap<String, Value>) -> Result<LmTokenizer, LmError> {
        let model = metadata_string(metadata, "tokenizer.ggml.model")?;
        if model != "gpt2" {
            return Err(LmError::Metadata {
                key: "tokenizer.ggml.model".into(),
                message: format!(
                    "`{model}` tokenizers are not supported yet (expected gpt2, byte-level BPE)"
                ),
            });
        }
        let tokens = strings(metadata, "tokenizer.ggml.tokens")?;
        let merges: Vec<(String, String)> = strings(metadata, "tokenizer.ggml.merges")?
            .into_iter()
            .map(|m| {
                m.split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .ok_or_else(|| LmError::Metadata {
                        key: "tokenizer.ggml.merges".into(),
                        message: format!("merge `{m}` is not two tokens separated by a space"),
                    })
            })
            .collect::<Result<_, _>>()?;
        let types: Vec<i32> = match metadata.get("tokenizer.ggml.token_type") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::I32(t) => *t,
                    Value::U32(t) => *t as i32,
                    _ => 1,
                })
                .collect(),
            _ => vec![1; tokens.len()],
        };
        let vocab: Vocab = tokens
            .iter()
            .enumerate()
            .map(|(id, token)| (token.clone(), id as u32))
            .collect();
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(|e| LmError::Tokenizer(e.to_string()))?;
        let mut tokenizer = Tokenizer::new(bpe);
        let byte_level = ByteLevel::new(false, true, true);
        let pre =
            metadata_string(metadata, "tokenizer.ggml.pre").unwrap_or_else(|_| "default".into());
        let pre_tokenizer: PreTokenizerWrapper = match pre.as_str() {
            // llama.cpp's smollm: every digit alone, then the GPT-2 split.
            "smollm" | "starcoder" | "qwen2" | "deepseek-coder" => Sequence::new(vec![
                PreTokenizerWrapper::Digits(Digits::new(true)),
                PreTokenizerWrapper::ByteLevel(byte_level),
            ])
            .into(),
            _ => byte_level.into(),
        };
        tokenizer.with_pre_tokenizer(Some(pre_tokenizer));
        tokenizer.with_decoder(Some(ByteLevelDecoder::default()));
        let specials: Vec<AddedToken> = tokens
            .iter()
            .zip(&types)
            .filter(|(_, t)| matches!(**t, TOKEN_TYPE_CONTROL | TOKEN_TYPE_USER_DEFINED))
            .map(|(token, t)| AddedToken::from(token.clone(), *t == TOKEN_TYPE_CONTROL))
            .collect();
        tokenizer.add_special_tokens(&specials);
        let add_bos = matches!(
            metadata.get("tokenizer.ggml.add_bos_token"),
            Some(Value::Bool(true))
        );
        Ok(LmTokenizer {
            tokenizer,
            bos: optional_id(metadata, "tokenizer.ggml.bos_token_id")?,
            eos: optional_id(metadata, "tokenizer.ggml.eos_token_id")?,
            add_bos,
            chat_template: metadata_string(metadata, "tokenizer.chat_template").ok(),
        })
    }

    /// A `tokenizer.json` (Hugging Face format) used in place of the GGUF's own vocabulary,
    /// with the special token ids still taken from the GGUF metadata.
    pub fn from_json_file(
        path: &std::path::Path,
        metadata: &HashMap<String, Value>,
    ) -> Result<LmTokenizer, LmError> {
        let tokenizer = Tokenizer::from_file(path)
            .map_err(|e| LmError::Tokenizer(format!("{}: {e}", path.display())))?;
        Ok(LmTokenizer {
            tokenizer,
            bos: optional_id(metadata, "tokenizer.ggml.bos_token_id")?,
            eos: optional_id(metadata, "tokenizer.ggml.eos_token_id")?,
            add_bos: matches!(
                metadata.get("tokenizer.ggml.add_bos_token"),
                Some(Value::Bool(true))
            ),
            chat_template: metadata_string(metadata, "tokenizer.chat_template").ok(),
        })
    }

    /// The token ids of `text`; special tokens written in the text (`<|im_start|>`) are
    /// recognised. BOS is prepended when the model asks for it.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, LmError> {
        let encoding = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| LmError::Tokenizer(e.to_string()))?;
        let mut ids = Vec::with_capacity(encoding.len() + 1);
        if let (true, Some(bos)) = (self.add_bos, self.bos) {
            ids.push(bos);
        }
        ids.extend_from_slice(encoding.get_ids());
        Ok(ids)
    }

    /// The text of `ids`, with special tokens left out when `skip_special`.
    pub fn decode(&self, ids: &[u32], skip_special: bool) -> Result<String, LmError> {
        self.tokenizer
            .decode(ids, skip_special)
            .map_err(|e| LmError::Tokenizer(e.to_string()))
    }

    /// The number of tokens, special ones included.
    pub fn vocab_size(&self) -> usize {
        self.tokenizer.get_vocab_size(true)
    }

    /// The id of a token given as it appears in the vocabulary.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.tokenizer.token_to_id(token)
    }

    /// The underlying `tokenizers` tokenizer.
    pub fn inner(&self) -> &Tokenizer {
        &self.tokenizer
    }
}
