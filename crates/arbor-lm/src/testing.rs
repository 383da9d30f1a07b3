//! Tiny GGUF files for tests, made on the spot: no download needed to test loading and
//! tokenization (and, later, generation with random weights).

use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
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
/// types, of 256 for K-quants) and the matrices stored as `dtype` (Q4_1, say, to exercise
/// the kernels).
pub fn write_tiny_model_as(
    path: &Path,
    seed: u64,
    dim: usize,
    dtype: GgmlDType,
) -> candle_core::Result<()> {
    write_tiny_architecture(path, "llama", seed, dim, dtype)
}

/// A tiny random-weight model of `architecture` (`llama`, `qwen2`, `qwen3`, `gemma3`,
/// `starcoder2`) with the tensors and metadata llama.cpp gives that architecture: Q/K/V
/// biases (qwen2, starcoder2), per-head Q/K norms (qwen3, gemma3), sandwich norms and six
/// layers with a sliding window of 4 (gemma3), LayerNorm and feed-forward biases without a
/// gate (starcoder2). The output matrix is tied to the embedding for qwen3 and gemma3.
pub fn write_tiny_architecture(
    path: &Path,
    architecture: &str,
    seed: u64,
    dim: usize,
    dtype: GgmlDType,
) -> candle_core::Result<()> {
    let a = architecture;
    let head_dim = dim / TINY_HEADS;
    let shape = TinyShape {
        dim,
        ff: 2 * dim,
        head_dim,
        kv_dim: head_dim * TINY_KV_HEADS,
        dtype,
    };
    let layers = if a == "gemma3" { 6 } else { TINY_LAYERS };
    let metadata = tiny_architecture_metadata(a, &shape, layers);
    let vocab = tiny_vocabulary().0.len();
    let tied = matches!(a, "qwen3" | "gemma3");
    let mut tensors: Vec<(String, QTensor)> = vec![
        (
            "token_embd.weight".into(),
            typed_weights(
                &[vocab, dim],
                seed,
                1.0,
                if tied { dtype } else { GgmlDType::F32 },
            )?,
        ),
        ("output_norm.weight".into(), weights(&[dim], seed + 1, 1.0)?),
    ];
    if !tied {
        tensors.push((
            "output.weight".into(),
            typed_weights(&[vocab, dim], seed + 2, 1.0, dtype)?,
        ));
    }
    if a == "starcoder2" {
        tensors.push(("output_norm.bias".into(), weights(&[dim], seed + 3, 0.1)?));
    }
    for layer in 0..layers {
        push_tiny_layer(&mut tensors, a, layer, seed, &shape)?;
    }
    let meta_refs: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut file = std::fs::File::create(path)?;
    gguf_file::write(&mut file, &meta_refs, &tensor_refs)
}

/// The widths of a tiny model's tensors and the type of its matrices.
struct TinyShape {
    dim: usize,
    ff: usize,
    head_dim: usize,
    kv_dim: usize,
    dtype: GgmlDType,
}

/// The metadata of a tiny model of architecture `a` with `layers` layers, the tiny
/// tokenizer's included.
fn tiny_architecture_metadata(a: &str, shape: &TinyShape, layers: usize) -> Vec<(String, Value)> {
    let key = |k: &str| format!("{a}.{k}");
    let mut metadata: Vec<(String, Value)> = vec![
        ("general.architecture".into(), Value::String(a.into())),
        (
            "general.name".into(),
            Value::String(format!("arbor-tiny-{a}")),
        ),
        (key("attention.head_count"), Value::U32(TINY_HEADS as u32)),
        (
            key("attention.head_count_kv"),
            Value::U32(TINY_KV_HEADS as u32),
        ),
        (key("block_count"), Value::U32(layers as u32)),
        (key("embedding_length"), Value::U32(shape.dim as u32)),
        (key("feed_forward_length"), Value::U32(shape.ff as u32)),
        (
            key("rope.dimension_count"),
            Value::U32(shape.head_dim as u32),
        ),
        (key("context_length"), Value::U32(512)),
    ];
    if a == "starcoder2" {
        metadata.push((key("attention.layer_norm_epsilon"), Value::F32(1e-5)));
    } else {
        metadata.push((key("attention.layer_norm_rms_epsilon"), Value::F32(1e-5)));
    }
    if a == "gemma3" {
        metadata.extend([
            (
                key("attention.key_length"),
                Value::U32(shape.head_dim as u32),
            ),
            (
                key("attention.value_length"),
                Value::U32(shape.head_dim as u32),
            ),
            (key("attention.sliding_window"), Value::U32(4)),
            (key("rope.freq_base"), Value::F32(1_000_000.0)),
        ]);
    }
    metadata
        .into_iter()
        .chain(
            tokenizer_metadata()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v)),
        )
        .collect()
}

/// Appends the tensors of layer `layer` of a tiny model of architecture `a` to `tensors`.
fn push_tiny_layer(
    tensors: &mut Vec<(String, QTensor)>,
    a: &str,
    layer: usize,
    seed: u64,
    shape: &TinyShape,
) -> candle_core::Result<()> {
    let TinyShape {
        dim,
        ff,
        head_dim,
        kv_dim,
        dtype,
    } = *shape;
    let matrix = |shape: &[usize], seed: u64| typed_weights(shape, seed, 0.5, dtype);
    let starcoder = a == "starcoder2";
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
        (format!("{p}.ffn_up.weight"), matrix(&[ff, dim], s + 7)?),
        (format!("{p}.ffn_down.weight"), matrix(&[dim, ff], s + 8)?),
    ]);
    if !starcoder {
        tensors.push((format!("{p}.ffn_gate.weight"), matrix(&[ff, dim], s + 6)?));
    }
    if matches!(a, "qwen2" | "starcoder2") {
        tensors.extend([
            (format!("{p}.attn_q.bias"), weights(&[dim], s + 9, 0.2)?),
            (format!("{p}.attn_k.bias"), weights(&[kv_dim], s + 10, 0.2)?),
            (format!("{p}.attn_v.bias"), weights(&[kv_dim], s + 11, 0.2)?),
        ]);
    }
    if matches!(a, "qwen3" | "gemma3") {
        tensors.extend([
            (
                format!("{p}.attn_q_norm.weight"),
                weights(&[head_dim], s + 12, 1.0)?,
            ),
            (
                format!("{p}.attn_k_norm.weight"),
                weights(&[head_dim], s + 13, 1.0)?,
            ),
        ]);
    }
    if a == "gemma3" {
        tensors.extend([
            (
                format!("{p}.post_attention_norm.weight"),
                weights(&[dim], s + 14, 1.0)?,
            ),
            (
                format!("{p}.post_ffw_norm.weight"),
                weights(&[dim], s + 15, 1.0)?,
            ),
        ]);
    }
    if starcoder {
        tensors.extend([
            (format!("{p}.attn_norm.bias"), weights(&[dim], s + 16, 0.1)?),
            (format!("{p}.ffn_norm.bias"), weights(&[dim], s + 17, 0.1)?),
            (
                format!("{p}.attn_output.bias"),
                weights(&[dim], s + 18, 0.1)?,
            ),
            (format!("{p}.ffn_up.bias"), weights(&[ff], s + 19, 0.1)?),
            (format!("{p}.ffn_down.bias"), weights(&[dim], s + 20, 0.1)?),
        ]);
    }
    Ok(())
}

/// A tensor-less GGUF file like [`write_tiny_gguf`]'s whose vocabulary also has `specials`
/// (control tokens, after the others) and whose metadata also has `ids`: each `(key, token)`
/// names, under `key` (say `tokenizer.ggml.fim_pre_token_id`), the id of `token`, one of the
/// vocabulary's. For tests of what a vocabulary offers (fill-in-the-middle, file separators).
pub fn write_tiny_gguf_with_specials(
    path: &Path,
    specials: &[&str],
    ids: &[(&str, &str)],
) -> candle_core::Result<()> {
    let (mut tokens, _, mut types) = tiny_vocabulary();
    for special in specials {
        tokens.push(special.to_string());
        types.push(3);
    }
    let mut metadata: Vec<(&str, Value)> = vec![
        ("general.architecture", Value::String("llama".into())),
        ("general.name", Value::String("arbor-tiny".into())),
    ];
    for (key, value) in tokenizer_metadata() {
        let value = match key {
            "tokenizer.ggml.tokens" => {
                Value::Array(tokens.iter().cloned().map(Value::String).collect())
            }
            "tokenizer.ggml.token_type" => {
                Value::Array(types.iter().copied().map(Value::I32).collect())
            }
            _ => value,
        };
        metadata.push((key, value));
    }
    for (key, token) in ids {
        let id = tokens.iter().position(|t| t == token).ok_or_else(|| {
            candle_core::Error::Msg(format!("`{token}` is not in the vocabulary"))
        })?;
        metadata.push((key, Value::U32(id as u32)));
    }
    let refs: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
    let mut file = std::fs::File::create(path)?;
    gguf_file::write(&mut file, &refs, &[])
}
