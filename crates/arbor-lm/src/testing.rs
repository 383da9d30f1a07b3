//! Tiny GGUF files for tests, made on the spot: no download needed to test loading and
//! tokenization (and, later, generation with random weights).

use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::GgmlDType;
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

/// The `tokenizer.*` metadata of the tiny vocabulary.
fn tokenizer_metadata() -> Vec<(&'static str, Value)> {
    let (tokens, merges, types) = tiny_vocabulary();
    let strings =
        |items: &[String]| Value::Array(items.iter().cloned().map(Value::String).collect());
    let eos = (tokens.len() - TINY_SPECIALS.len()) as u32;
    vec![
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
    ]
}

/// Writes a tensor-less GGUF file of architecture `architecture` with the tiny tokenizer.
pub fn write_tiny_gguf(path: &Path, architecture: &str) -> candle_core::Result<()> {
    let mut metadata: Vec<(&str, Value)> = vec![
        ("general.architecture", Value::String(architecture.into())),
        ("general.name", Value::String("arbor-tiny".into())),
    ];
    metadata.extend(tokenizer_metadata());
    let refs: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
    let mut file = std::fs::File::create(path)?;
    gguf_file::write(&mut file, &refs, &[])
}

/// Dimensions of the tiny llama model.
pub const TINY_DIM: usize = 16;
const TINY_HEADS: usize = 2;
const TINY_KV_HEADS: usize = 1;
const TINY_LAYERS: usize = 2;

/// Deterministic pseudo-random weights (a xorshift generator), scaled to ±`scale`.
fn weights(
    shape: &[usize],
    seed: u64,
    scale: f32,
) -> candle_core::Result<candle_core::quantized::QTensor> {
    typed_weights(shape, seed, scale, GgmlDType::F32)
}

fn typed_weights(
    shape: &[usize],
    seed: u64,
    scale: f32,
    dtype: GgmlDType,
) -> candle_core::Result<candle_core::quantized::QTensor> {
    let count: usize = shape.iter().product();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let values: Vec<f32> = (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32 * scale
        })
        .collect();
    let tensor = candle_core::Tensor::from_vec(values, shape, &candle_core::Device::Cpu)?;
    candle_core::quantized::QTensor::quantize(&tensor, dtype)
}

/// Writes a tiny llama model with random weights (deterministic for a `seed`) and the tiny
/// tokenizer: two layers, grouped-query attention, a 16-wide residual stream.
pub fn write_tiny_model(path: &Path, seed: u64) -> candle_core::Result<()> {
    write_tiny_model_as(path, seed, TINY_DIM, GgmlDType::F32)
}

/// [`write_tiny_model`] with a residual stream `dim` wide (a multiple of 2; of 32 for block
/// types) and the matrices stored as `dtype` (Q4_1, say, to exercise the conversions).
pub fn write_tiny_model_as(
    path: &Path,
    seed: u64,
    dim: usize,
    dtype: GgmlDType,
) -> candle_core::Result<()> {
    let ff = 2 * dim;
    let matrix = |shape: &[usize], seed: u64| typed_weights(shape, seed, 0.5, dtype);
    let vocab = tiny_vocabulary().0.len();
    let mut metadata: Vec<(&str, Value)> = vec![
        ("general.architecture", Value::String("llama".into())),
        ("general.name", Value::String("arbor-tiny-llama".into())),
        ("llama.attention.head_count", Value::U32(TINY_HEADS as u32)),
        (
            "llama.attention.head_count_kv",
            Value::U32(TINY_KV_HEADS as u32),
        ),
        ("llama.block_count", Value::U32(TINY_LAYERS as u32)),
        ("llama.embedding_length", Value::U32(dim as u32)),
        ("llama.feed_forward_length", Value::U32(ff as u32)),
        (
            "llama.rope.dimension_count",
            Value::U32((dim / TINY_HEADS) as u32),
        ),
        ("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5)),
        ("llama.context_length", Value::U32(512)),
    ];
    metadata.extend(tokenizer_metadata());
    let kv_dim = dim / TINY_HEADS * TINY_KV_HEADS;
    let mut tensors: Vec<(String, candle_core::quantized::QTensor)> = vec![
        (
            "token_embd.weight".into(),
            weights(&[vocab, dim], seed, 1.0)?,
        ),
        ("output_norm.weight".into(), weights(&[dim], seed + 1, 1.0)?),
        (
            "output.weight".into(),
            typed_weights(&[vocab, dim], seed + 2, 1.0, dtype)?,
        ),
    ];
    for layer in 0..TINY_LAYERS {
        let s = seed + 100 * (layer as u64 + 1);
        let p = format!("blk.{layer}");
        tensors.extend([
            (format!("{p}.attn_norm.weight"), weights(&[dim], s, 1.0)?),
            (format!("{p}.attn_q.weight"), matrix(&[dim, dim], s + 1)?),
            (format!("{p}.attn_k.weight"), matrix(&[kv_dim, dim], s + 2)?),
            (format!("{p}.attn_v.weight"), matrix(&[kv_dim, dim], s + 3)?),
            (
                format!("{p}.attn_output.weight"),
                matrix(&[dim, dim], s + 4)?,
            ),
            (format!("{p}.ffn_norm.weight"), weights(&[dim], s + 5, 1.0)?),
            (format!("{p}.ffn_gate.weight"), matrix(&[ff, dim], s + 6)?),
            (format!("{p}.ffn_up.weight"), matrix(&[ff, dim], s + 7)?),
            (format!("{p}.ffn_down.weight"), matrix(&[dim, ff], s + 8)?),
        ]);
    }
    let meta_refs: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
    let tensor_refs: Vec<(&str, &candle_core::quantized::QTensor)> =
        tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut file = std::fs::File::create(path)?;
    gguf_file::write(&mut file, &meta_refs, &tensor_refs)
}
