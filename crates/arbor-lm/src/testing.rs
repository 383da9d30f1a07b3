//! Tiny GGUF files for tests, made on the spot: no download needed to test loading and
//! tokenization (and, later, generation with random weights).

use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;

/// The merges of the tiny vocabulary, in priority order (`Ġ` is a space in byte-level BPE).
pub const TINY_MERGES: &[&str] = &[
    "d e",
    "de f",
    "r e",
    "re t",
    "ret u",
    "retu r",
    "retur n",
    "Ġ return",
    "Ġ a",
    "Ġ b",
    "Ġ Ġ",
    "ĠĠ ĠĠ",
    "1 2",
    "Ġ +",
];
/// Its special tokens, in id order after the normal ones.
pub const TINY_SPECIALS: &[&str] = &["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

/// The tokens, merges and token types of a tiny byte-level BPE vocabulary: the 256 byte
/// symbols, the results of [`TINY_MERGES`], then [`TINY_SPECIALS`].
pub fn tiny_vocabulary() -> (Vec<String>, Vec<String>, Vec<i32>) {
    let mut alphabet: Vec<char> = ByteLevel::alphabet().into_iter().collect();
    alphabet.sort_unstable();
    let mut tokens: Vec<String> = alphabet.iter().map(|c| c.to_string()).collect();
    for merge in TINY_MERGES {
        tokens.push(merge.replace(' ', ""));
    }
    let merges = TINY_MERGES.iter().map(|m| m.to_string()).collect();
    let mut types = vec![1; tokens.len()];
    for special in TINY_SPECIALS {
        tokens.push(special.to_string());
        types.push(3);
    }
    (tokens, merges, types)
}

/// Writes a tensor-less GGUF file of architecture `architecture` with the tiny tokenizer.
pub fn write_tiny_gguf(path: &Path, architecture: &str) -> candle_core::Result<()> {
    let (tokens, merges, types) = tiny_vocabulary();
    let strings =
        |items: &[String]| Value::Array(items.iter().cloned().map(Value::String).collect());
    let eos = (tokens.len() - TINY_SPECIALS.len()) as u32;
    let metadata: Vec<(&str, Value)> = vec![
        ("general.architecture", Value::String(architecture.into())),
        ("general.name", Value::String("arbor-tiny".into())),
        ("tokenizer.ggml.model", Value::String("gpt2".into())),
        ("tokenizer.ggml.pre", Value::String("smollm".into())),
        ("tokenizer.ggml.tokens", strings(&tokens)),
        ("tokenizer.ggml.merges", strings(&merges)),
        (
            "tokenizer.ggml.token_type",
            Value::Array(types.into_iter().map(Value::I32).collect()),
        ),
        ("tokenizer.ggml.bos_token_id", Value::U32(eos)),
        ("tokenizer.ggml.eos_token_id", Value::U32(eos)),
        ("tokenizer.ggml.add_bos_token", Value::Bool(false)),
        (
            "tokenizer.chat_template",
            Value::String(
                "{% for m in messages %}<|im_start|>{{ m['content'] }}<|im_end|>{% endfor %}"
                    .into(),
            ),
        ),
    ];
    let refs: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
    let mut file = std::fs::File::create(path)?;
    gguf_file::write(&mut file, &refs, &[])
}
