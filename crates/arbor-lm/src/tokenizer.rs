//! Tokenizers built from a GGUF file's own `tokenizer.ggml.*` metadata, so no separate
//! tokenizer file is needed, giving the token ids llama.cpp gives (`llama_tokenize` with
//! `parse_special`): SentencePiece-style vocabularies (`tokenizer.ggml.model = "llama"`:
//! Llama 2, CodeLlama, Gemma) and byte-level BPE (`"gpt2"`) with the pre-tokenizer llama.cpp
//! names in `tokenizer.ggml.pre` (`smollm`, `qwen2`, `llama-bpe`, `deepseek-coder`,
//! `starcoder`, ...). Special tokens written in the text (control and user-defined ones:
//! `<|im_start|>`, `<start_of_turn>`, `<|fim_prefix|>`) become their single ids.
//!
//! A `tokenizer.json` next to the model can be used instead ([`LmTokenizer::from_json_file`]),
//! through the `tokenizers` crate.

mod bpe;
mod pretokenize;
mod spm;
mod unicode_flags;
mod vocab;

use std::collections::HashMap;

use candle_core::quantized::gguf_file::Value;
use tokenizers::Tokenizer;

use crate::error::LmError;
use crate::gguf::{metadata_string, metadata_u32};

pub(crate) use vocab::EOG_TEXTS;
use vocab::{attr, Fragment, Vocab};

/// A tokenizer with the model's special token ids.
pub struct LmTokenizer {
    backend: Backend,
    /// Beginning-of-sequence token.
    pub bos: Option<u32>,
    /// End-of-sequence token.
    pub eos: Option<u32>,
    /// Whether prompts start with BOS (`tokenizer.ggml.add_bos_token`; when absent true for
    /// SentencePiece and Llama 3 vocabularies, false otherwise, as in llama.cpp).
    pub add_bos: bool,
    /// The chat template (`tokenizer.chat_template`), when the file has one.
    pub chat_template: Option<String>,
    /// The fill-in-the-middle ids the metadata names (`tokenizer.ggml.fim_*_token_id`).
    pub fim_ids: crate::fim::FimIds,
}

enum Backend {
    Gguf(Box<Gguf>),
    Json(Box<Tokenizer>),
}

/// A tokenizer of a GGUF vocabulary, as llama.cpp's.
struct Gguf {
    vocab: Vocab,
    model: Model,
}

enum Model {
    Spm(spm::Spm),
    Bpe(bpe::Bpe),
}

fn metadata_error(key: &str, message: impl Into<String>) -> LmError {
    LmError::Metadata {
        key: key.to_string(),
        message: message.into(),
    }
}

fn array<'m>(metadata: &'m HashMap<String, Value>, key: &str) -> Result<&'m [Value], LmError> {
    match metadata.get(key) {
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(metadata_error(
            key,
            format!("expected an array, found {:?}", other.value_type()),
        )),
        None => Err(metadata_error(key, "missing")),
    }
}

fn strings(metadata: &HashMap<String, Value>, key: &str) -> Result<Vec<String>, LmError> {
    array(metadata, key)?
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.clone()),
            other => Err(metadata_error(
                key,
                format!("expected strings, found {:?}", other.value_type()),
            )),
        })
        .collect()
}

/// A per-token array (`tokenizer.ggml.scores`, `.token_type`) of at least `n` numbers, when
/// the file has it.
fn per_token<T>(
    metadata: &HashMap<String, Value>,
    key: &str,
    n: usize,
    convert: impl Fn(&Value) -> Option<T>,
) -> Result<Option<Vec<T>>, LmError> {
    if !metadata.contains_key(key) {
        return Ok(None);
    }
    let items = array(metadata, key)?;
    if items.len() < n {
        return Err(metadata_error(
            key,
            format!("{} values for {n} tokens", items.len()),
        ));
    }
    items
        .iter()
        .map(|v| {
            convert(v).ok_or_else(|| {
                metadata_error(key, format!("unexpected {:?} value", v.value_type()))
            })
        })
        .collect::<Result<Vec<T>, _>>()
        .map(Some)
}

fn flag(metadata: &HashMap<String, Value>, key: &str) -> Result<Option<bool>, LmError> {
    match metadata.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(metadata_error(
            key,
            format!("expected a bool, found {:?}", other.value_type()),
        )),
    }
}

/// A token id of the metadata; an id outside the vocabulary (of `n` tokens) is ignored, as
/// llama.cpp ignores it.
fn optional_id(
    metadata: &HashMap<String, Value>,
    key: &str,
    n: usize,
) -> Result<Option<u32>, LmError> {
    let Some(value) = metadata.get(key) else {
        return Ok(None);
    };
    let id = metadata_u32(value, key)?;
    Ok(((id as usize) < n).then_some(id))
}

impl LmTokenizer {
    /// The tokenizer a model file runs with: a `tokenizer.json` in the same folder when there
    /// is one, else the one in the GGUF metadata (`gguf`: the file at `path`, opened).
    pub fn for_model(
        path: &std::path::Path,
        gguf: &crate::gguf::GgufFile,
    ) -> Result<LmTokenizer, LmError> {
        let sibling = path.with_file_name("tokenizer.json");
        if sibling.is_file() {
            LmTokenizer::from_json_file(&sibling, gguf.metadata())
        } else {
            LmTokenizer::from_metadata(gguf.metadata())
        }
    }

    /// [`LmTokenizer::for_model`] alone, without the weights (to build a prompt before, or
    /// instead of, loading the model).
    pub fn load(path: &std::path::Path) -> Result<LmTokenizer, LmError> {
        LmTokenizer::for_model(path, &crate::gguf::GgufFile::open(path)?)
    }

    /// Builds the tokenizer described by a GGUF file's metadata: `tokenizer.ggml.model`
    /// `llama` (SentencePiece-style, with `.scores`) or `gpt2` (byte-level BPE, with
    /// `.merges` and the pre-tokenizer `.pre`), the `.tokens` and their `.token_type`.
    pub fn from_metadata(metadata: &HashMap<String, Value>) -> Result<LmTokenizer, LmError> {
        let model_name = metadata_string(metadata, "tokenizer.ggml.model")?;
        if model_name != "llama" && model_name != "gpt2" {
            return Err(metadata_error(
                "tokenizer.ggml.model",
                format!(
                    "`{model_name}` tokenizers are not supported (expected llama, \
                     SentencePiece-style, or gpt2, byte-level BPE)"
                ),
            ));
        }
        let tokens = strings(metadata, "tokenizer.ggml.tokens")?;
        let n = tokens.len();
        if n == 0 {
            return Err(metadata_error("tokenizer.ggml.tokens", "no tokens"));
        }
        let types = per_token(metadata, "tokenizer.ggml.token_type", n, |v| match v {
            Value::I32(t) => Some(*t),
            Value::U32(t) => i32::try_from(*t).ok(),
            _ => None,
        })?
        .unwrap_or_default();
        let names_token = |key: &str| matches!(optional_id(metadata, key, n), Ok(Some(_)));
        let vocab = Vocab::new(tokens, &types, names_token);
        let mut bos = optional_id(metadata, "tokenizer.ggml.bos_token_id", n)?;
        let mut eos = optional_id(metadata, "tokenizer.ggml.eos_token_id", n)?;
        let add_bos = flag(metadata, "tokenizer.ggml.add_bos_token")?;
        let (model, add_bos) = if model_name == "llama" {
            let scores = per_token(metadata, "tokenizer.ggml.scores", n, |v| match v {
                Value::F32(s) => Some(*s),
                Value::I32(s) => Some(*s as f32),
                _ => None,
            })?
            .unwrap_or_else(|| vec![0.0; n]);
            // llama.cpp's defaults for SentencePiece vocabularies: <unk> 0, <s> 1, </s> 2.
            let default = |id: u32| ((id as usize) < n).then_some(id);
            let unk = optional_id(metadata, "tokenizer.ggml.unknown_token_id", n)?.or(default(0));
            bos = bos.or(default(1));
            eos = eos.or(default(2));
            let add_space_prefix =
                flag(metadata, "tokenizer.ggml.add_space_prefix")?.unwrap_or(true);
            let spm = spm::Spm::new(&vocab, scores, unk, add_space_prefix);
            (Model::Spm(spm), add_bos.unwrap_or(true))
        } else {
            let merges = strings(metadata, "tokenizer.ggml.merges")?;
            let pre = match metadata.get("tokenizer.ggml.pre") {
                None => "default".to_string(),
                Some(_) => metadata_string(metadata, "tokenizer.ggml.pre")?,
            };
            let bpe = bpe::Bpe::new(&vocab, &merges, &pre);
            let add_bos = add_bos.unwrap_or(bpe.config().add_bos);
            (Model::Bpe(bpe), add_bos)
        };
        Ok(LmTokenizer {
            backend: Backend::Gguf(Box::new(Gguf { vocab, model })),
            bos,
            eos,
            add_bos,
            chat_template: metadata_string(metadata, "tokenizer.chat_template").ok(),
            fim_ids: crate::fim::FimIds::from_metadata(metadata)?,
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
        let n = tokenizer.get_vocab_size(true);
        Ok(LmTokenizer {
            backend: Backend::Json(Box::new(tokenizer)),
            bos: optional_id(metadata, "tokenizer.ggml.bos_token_id", n)?,
            eos: optional_id(metadata, "tokenizer.ggml.eos_token_id", n)?,
            add_bos: flag(metadata, "tokenizer.ggml.add_bos_token")?.unwrap_or(false),
            chat_template: metadata_string(metadata, "tokenizer.chat_template").ok(),
            fim_ids: crate::fim::FimIds::from_metadata(metadata)?,
        })
    }

    /// The token ids of `text`; special tokens written in the text (`<|im_start|>`) are
    /// recognised. BOS is prepended when the model asks for it.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, LmError> {
        let mut ids = Vec::with_capacity(text.len() / 3 + 2);
        if let (true, Some(bos)) = (self.add_bos, self.bos) {
            ids.push(bos);
        }
        match &self.backend {
            Backend::Json(tokenizer) => {
                let encoding = tokenizer
                    .encode(text, false)
                    .map_err(|e| LmError::Tokenizer(e.to_string()))?;
                ids.extend_from_slice(encoding.get_ids());
            }
            Backend::Gguf(gguf) => {
                let Gguf { vocab, model } = &**gguf;
                let mut after_special = true;
                for fragment in vocab.partition(text) {
                    match fragment {
                        Fragment::Token(id) => {
                            ids.push(id);
                            after_special = true;
                        }
                        Fragment::Text(start, end) => {
                            let text = &text[start..end];
                            match model {
                                Model::Spm(spm) => spm.encode(vocab, text, after_special, &mut ids),
                                Model::Bpe(bpe) => bpe.encode(vocab, text, &mut ids),
                            }
                            after_special = false;
                        }
                    }
                }
            }
        }
        Ok(ids)
    }

    /// The text of `ids`: each token's text one after the other (SentencePiece's `▁` as a
    /// space, byte tokens as their bytes, UTF-8 put back together; no leading space is
    /// removed, so a stream decoded in pieces adds up), control tokens left out when
    /// `skip_special`. Ids outside the vocabulary are left out.
    pub fn decode(&self, ids: &[u32], skip_special: bool) -> Result<String, LmError> {
        let (vocab, model) = match &self.backend {
            Backend::Json(tokenizer) => {
                return tokenizer
                    .decode(ids, skip_special)
                    .map_err(|e| LmError::Tokenizer(e.to_string()))
            }
            Backend::Gguf(gguf) => (&gguf.vocab, &gguf.model),
        };
        let mut bytes = Vec::with_capacity(ids.len() * 4);
        for &id in ids {
            let Some(text) = vocab.tokens.get(id as usize) else {
                continue;
            };
            let attrs = vocab.attr(id);
            if skip_special && attrs & (attr::CONTROL | attr::UNKNOWN) != 0 {
                continue;
            }
            if attrs & (attr::CONTROL | attr::UNKNOWN | attr::USER_DEFINED) != 0 {
                bytes.extend_from_slice(text.as_bytes());
            } else if attrs & attr::NORMAL != 0 {
                match model {
                    Model::Spm(_) => bytes.extend_from_slice(text.replace('▁', " ").as_bytes()),
                    Model::Bpe(bpe) => bpe.byte_chars().decode_into(text, &mut bytes),
                }
            } else if attrs & attr::BYTE != 0 {
                if let Some(b) = text
                    .strip_prefix("<0x")
                    .and_then(|t| t.strip_suffix('>'))
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                {
                    bytes.push(b);
                }
            }
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The number of tokens, special ones included.
    pub fn vocab_size(&self) -> usize {
        match &self.backend {
            Backend::Gguf(gguf) => gguf.vocab.tokens.len(),
            Backend::Json(tokenizer) => tokenizer.get_vocab_size(true),
        }
    }

    /// The id of a token given as it appears in the vocabulary.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        match &self.backend {
            Backend::Gguf(gguf) => gguf.vocab.id(token),
            Backend::Json(tokenizer) => tokenizer.token_to_id(token),
        }
    }

    /// A token as it appears in the vocabulary (`▁def`, `Ġreturn`, `<|im_end|>`).
    pub fn token_text(&self, id: u32) -> Option<String> {
        match &self.backend {
            Backend::Gguf(gguf) => gguf.vocab.tokens.get(id as usize).cloned(),
            Backend::Json(tokenizer) => tokenizer.id_to_token(id),
        }
    }

    /// Whether `id` is a control token (BOS, EOS, `<|im_end|>`, `<|fim_prefix|>`, ...): one
    /// of type control in the GGUF, or one llama.cpp treats as such by its text.
    pub fn is_control(&self, id: u32) -> bool {
        match &self.backend {
            Backend::Gguf(gguf) => gguf.vocab.attr(id) & attr::CONTROL != 0,
            Backend::Json(tokenizer) => tokenizer
                .get_added_tokens_decoder()
                .get(&id)
                .is_some_and(|t| t.special),
        }
    }

    /// The underlying `tokenizers` tokenizer, when the tokenizer came from a `tokenizer.json`
    /// (GGUF vocabularies are tokenized by Arbor itself).
    pub fn inner(&self) -> Option<&Tokenizer> {
        match &self.backend {
            Backend::Json(tokenizer) => Some(tokenizer),
            Backend::Gguf(_) => None,
        }
    }
}

#[cfg(test)]
mod tests;
