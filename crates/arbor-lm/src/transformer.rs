//! One decoder-only transformer forward pass for every architecture Arbor runs, with the
//! differences between architectures read from the GGUF metadata and tensor directory as
//! options, not as copies of the pass:
//!
//! | `general.architecture` | norm | rope | attention | feed-forward | extras |
//! |---|---|---|---|---|---|
//! | `llama` (Llama 2/3, CodeLlama, DeepSeek-Coder, SmolLM2) | RMS | pairs (normal) | Q/K/V bias if present | SiLU gate | `rope_freqs` (Llama 3) |
//! | `qwen2` (Qwen2.5-Coder) | RMS | halves (NeoX) | Q/K/V bias | SiLU gate | |
//! | `qwen3` | RMS | halves | per-head Q/K RMS norm | SiLU gate | |
//! | `gemma3` | RMS, sandwich | halves, base per layer | per-head Q/K RMS norm, sliding window on 5 of 6 layers | GELU-tanh gate | embedding × √width, logit soft-cap where set |
//! | `starcoder2` | LayerNorm with bias | halves | Q/K/V/O bias | GELU, biases | |
//!
//! What each architecture does follows llama.cpp's graph builders (`src/llama-model.cpp`),
//! which is what Arbor's numerics are checked against (`tests/llama_cpp_reference.rs`).
//!
//! The pass runs on plain `f32` buffers: matrix products go to [`crate::quant`] (every GGUF
//! block type in its own format, activations quantized as llama.cpp does), attention reads the
//! KV cache in place (f32 or f16), and everything is spread over rayon's pool. The embedding
//! table stays quantized (it is also the output matrix when the two are tied); only the logits
//! that are asked for are computed.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::{Device, Tensor};
use half::f16;
use rayon::prelude::*;

use crate::error::LmError;
use crate::quant::{QuantMatrix, QuantType};

/// The architectures this pass runs (`general.architecture`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// Llama 2/3, CodeLlama, DeepSeek-Coder, SmolLM2, …
    Llama,
    /// Qwen2 / Qwen2.5(-Coder).
    Qwen2,
    /// Qwen3.
    Qwen3,
    /// Gemma 3.
    Gemma3,
    /// StarCoder2.
    Starcoder2,
}

impl Architecture {
    /// Every architecture, in the order error messages list them.
    pub const ALL: [Architecture; 5] = [
        Architecture::Llama,
        Architecture::Qwen2,
        Architecture::Qwen3,
        Architecture::Gemma3,
        Architecture::Starcoder2,
    ];

    /// The name in `general.architecture`.
    pub fn name(self) -> &'static str {
        match self {
            Architecture::Llama => "llama",
            Architecture::Qwen2 => "qwen2",
            Architecture::Qwen3 => "qwen3",
            Architecture::Gemma3 => "gemma3",
            Architecture::Starcoder2 => "starcoder2",
        }
    }

    /// The names of every architecture, comma-separated (for error messages).
    pub fn names() -> String {
        Architecture::ALL.map(Architecture::name).join(", ")
    }

    /// The architecture named `name`.
    pub fn from_name(name: &str) -> Option<Architecture> {
        Architecture::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// How a layer normalises its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormKind {
    /// RMS norm with a weight.
    Rms,
    /// LayerNorm with a weight and a bias.
    Layer,
}

/// Which dimensions rotary embedding turns together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RopeStyle {
    /// Neighbouring pairs (2i, 2i+1): llama.cpp's `LLAMA_ROPE_TYPE_NORM`.
    Pairs,
    /// The two halves (i, i + d/2): `LLAMA_ROPE_TYPE_NEOX`.
    Halves,
}

/// The feed-forward block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedForward {
    /// `down(silu(gate(x)) · up(x))`.
    SiluGate,
    /// `down(gelu_tanh(gate(x)) · up(x))`.
    GeluGate,
    /// `down(gelu_tanh(up(x)))`.
    Gelu,
}

/// How keys and values are kept between forward passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KvType {
    /// 4 bytes a value.
    #[default]
    F32,
    /// 2 bytes a value (half the memory; llama.cpp's default cache type).
    F16,
}

impl std::str::FromStr for KvType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "f32" => Ok(KvType::F32),
            "f16" => Ok(KvType::F16),
            _ => Err(format!("unknown KV cache type `{s}` (one of f32, f16)")),
        }
    }
}

/// Hyper-parameters and per-architecture options, read from the GGUF metadata.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// The architecture.
    pub architecture: Architecture,
    /// Transformer blocks.
    pub layers: usize,
    /// Width of the residual stream.
    pub embedding: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads (fewer than `heads` with grouped-query attention).
    pub kv_heads: usize,
    /// Width of one head (keys, queries and values).
    pub head_dim: usize,
    /// Dimensions of a head that rotary embedding turns (`rope.dimension_count`).
    pub rope_dims: usize,
    /// Vocabulary size (rows of the output matrix).
    pub vocab: usize,
    /// Longest sequence the model was trained for.
    pub context_length: usize,
    /// Epsilon of the norms.
    pub norm_eps: f32,
    /// How layers normalise.
    pub norm: NormKind,
    /// Rotary embedding layout.
    pub rope: RopeStyle,
    /// RoPE base frequency of the global layers.
    pub rope_base: f32,
    /// RoPE base frequency of the sliding-window layers.
    pub rope_base_local: f32,
    /// Position scale of the global layers (1 / linear rope scaling factor).
    pub rope_scale: f32,
    /// Keys a sliding-window layer sees (itself included), when the model has such layers.
    pub sliding_window: Option<usize>,
    /// Which layers have the sliding window (`attention.sliding_window_pattern`: every `n`th
    /// layer is global, llama.cpp's default for Gemma 3 being 6, or one flag per layer).
    pub sliding_layers: Vec<bool>,
    /// Scale of the attention scores.
    pub attention_scale: f32,
    /// The embedding rows are multiplied by this (Gemma: √width).
    pub embedding_scale: Option<f32>,
    /// Final logits become `cap · tanh(logits / cap)`.
    pub final_logit_softcap: Option<f32>,
    /// The feed-forward block.
    pub feed_forward: FeedForward,
}

/// The historical name of [`ModelConfig`].
pub type LlamaConfig = ModelConfig;

impl ModelConfig {
    /// Whether layer `il` attends only to the last [`ModelConfig::sliding_window`] positions.
    pub fn is_sliding(&self, il: usize) -> bool {
        self.sliding_window.is_some() && self.sliding_layers.get(il).copied().unwrap_or(false)
    }
}

/// A norm's weight and, for LayerNorm, its bias.
struct Norm {
    weight: Vec<f32>,
    bias: Option<Vec<f32>>,
}

struct Layer {
    attn_norm: Norm,
    /// Q, K and V rows in one matrix (their types may differ).
    qkv: QuantMatrix,
    qkv_bias: Option<Vec<f32>>,
    q_norm: Option<Vec<f32>>,
    k_norm: Option<Vec<f32>>,
    out: QuantMatrix,
    out_bias: Option<Vec<f32>>,
    post_attn_norm: Option<Vec<f32>>,
    ffn_norm: Norm,
    /// Gate and up rows in one matrix (up alone without a gate).
    gate_up: QuantMatrix,
    up_bias: Option<Vec<f32>>,
    down: QuantMatrix,
    down_bias: Option<Vec<f32>>,
    post_ffn_norm: Option<Vec<f32>>,
}

/// A loaded model: weights and options, no per-sequence state.
pub struct Transformer {
    config: ModelConfig,
    embedding: Arc<QuantMatrix>,
    layers: Vec<Layer>,
    norm: Norm,
    output: Arc<QuantMatrix>,
    /// Llama 3's per-dimension rope frequency divisors (`rope_freqs.weight`).
    rope_factors: Option<Vec<f32>>,
    device: Device,
}

/// The historical name of [`Transformer`].
pub type Llama = Transformer;

/// Values of one layer's keys or values: `batch × kv_heads × capacity × head_dim`.
#[derive(Clone)]
enum KvBuffer {
    F32(Vec<f32>),
    F16(Vec<f16>),
}

impl KvBuffer {
    fn zeros(kind: KvType, len: usize) -> KvBuffer {
        match kind {
            KvType::F32 => KvBuffer::F32(vec![0.0; len]),
            KvType::F16 => KvBuffer::F16(vec![f16::ZERO; len]),
        }
    }

    fn write(&mut self, at: usize, values: &[f32]) {
        match self {
            KvBuffer::F32(v) => v[at..at + values.len()].copy_from_slice(values),
            KvBuffer::F16(v) => {
                for (slot, x) in v[at..at + values.len()].iter_mut().zip(values) {
                    *slot = f16::from_f32(*x);
                }
            }
        }
    }

    /// `len` values from `at` as f32 (borrowed when they are f32 already).
    fn read(&self, at: usize, len: usize) -> std::borrow::Cow<'_, [f32]> {
        match self {
            KvBuffer::F32(v) => std::borrow::Cow::Borrowed(&v[at..at + len]),
            KvBuffer::F16(v) => {
                std::borrow::Cow::Owned(v[at..at + len].iter().map(|x| x.to_f32()).collect())
            }
        }
    }

    /// Rows (of `row` values each) `rows` of this buffer, in that order.
    fn select(&self, row: usize, rows: &[u32]) -> KvBuffer {
        fn pick<T: Copy>(v: &[T], row: usize, rows: &[u32]) -> Vec<T> {
            rows.iter()
                .flat_map(|&r| v[r as usize * row..(r as usize + 1) * row].iter().copied())
                .collect()
        }
        match self {
            KvBuffer::F32(v) => KvBuffer::F32(pick(v, row, rows)),
            KvBuffer::F16(v) => KvBuffer::F16(pick(v, row, rows)),
        }
    }

    fn bytes(&self) -> usize {
        match self {
            KvBuffer::F32(v) => v.len() * 4,
            KvBuffer::F16(v) => v.len() * 2,
        }
    }

    /// `blocks` blocks of `old` values each, every one padded to `new` values.
    fn relaid(&self, blocks: usize, old: usize, new: usize) -> KvBuffer {
        fn pad<T: Copy + Default>(v: &[T], blocks: usize, old: usize, new: usize) -> Vec<T> {
            let mut out = vec![T::default(); blocks * new];
            for b in 0..blocks {
                out[b * new..b * new + old].copy_from_slice(&v[b * old..(b + 1) * old]);
            }
            out
        }
        match self {
            KvBuffer::F32(v) => KvBuffer::F32(pad(v, blocks, old, new)),
            KvBuffer::F16(v) => KvBuffer::F16(pad(v, blocks, old, new)),
        }
    }

    /// Appends `other`'s values (of the same kind).
    fn extend(&mut self, other: KvBuffer) -> candle_core::Result<()> {
        match (self, other) {
            (KvBuffer::F32(a), KvBuffer::F32(b)) => a.extend(b),
            (KvBuffer::F16(a), KvBuffer::F16(b)) => a.extend(b),
            _ => candle_core::bail!("the caches hold keys and values of different kinds"),
        }
        Ok(())
    }
}

/// Keys and values of every layer for a batch of sequences, each at its own position (rows
/// that joined the batch at different times: continuous batching).
pub struct KvCache {
    keys: Vec<KvBuffer>,
    values: Vec<KvBuffer>,
    batch: usize,
    /// Values of one batch row of one layer: kv_heads × capacity × head_dim.
    row: usize,
    /// Positions filled so far, per row.
    lens: Vec<usize>,
    capacity: usize,
    kv_heads: usize,
    head_dim: usize,
}

impl KvCache {
    /// Positions filled so far: the most of any row.
    pub fn len(&self) -> usize {
        self.lens.iter().copied().max().unwrap_or(0)
    }

    /// Positions filled so far in row `row`.
    pub fn row_len(&self, row: usize) -> usize {
        self.lens.get(row).copied().unwrap_or(0)
    }

    /// True before the first forward pass.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Positions this cache can hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Sequences in the batch.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Bytes the cache holds.
    pub fn bytes(&self) -> usize {
        self.keys
            .iter()
            .chain(&self.values)
            .map(KvBuffer::bytes)
            .sum()
    }

    /// A cache of `n` rows that each start as a copy of row 0 of this one (one prompt's
    /// prefill shared by `n` samples).
    pub fn expand(&self, n: usize) -> candle_core::Result<KvCache> {
        let rows = vec![0u32; n];
        Ok(KvCache {
            keys: self
                .keys
                .iter()
                .map(|b| b.select(self.row, &rows))
                .collect(),
            values: self
                .values
                .iter()
                .map(|b| b.select(self.row, &rows))
                .collect(),
            batch: n,
            row: self.row,
            lens: vec![self.row_len(0); n],
            capacity: self.capacity,
            kv_heads: self.kv_heads,
            head_dim: self.head_dim,
        })
    }

    /// Adds the rows of `other` (a cache of the same model and kind) after this cache's
    /// rows. The rows keep their positions; the capacity becomes the larger of the two (the
    /// rows of the smaller are laid out again).
    pub fn append(&mut self, mut other: KvCache) -> candle_core::Result<()> {
        if other.keys.len() != self.keys.len()
            || (other.kv_heads, other.head_dim) != (self.kv_heads, self.head_dim)
        {
            candle_core::bail!("the caches belong to different models");
        }
        if self.batch == 0 {
            *self = other;
            return Ok(());
        }
        let capacity = self.capacity.max(other.capacity);
        self.grow(capacity);
        other.grow(capacity);
        for (mine, theirs) in self
            .keys
            .iter_mut()
            .chain(self.values.iter_mut())
            .zip(other.keys.into_iter().chain(other.values))
        {
            mine.extend(theirs)?;
        }
        self.batch += other.batch;
        self.lens.extend(other.lens);
        Ok(())
    }

    /// Lays the rows out again for `capacity` positions (no smaller than now).
    fn grow(&mut self, capacity: usize) {
        if capacity <= self.capacity {
            return;
        }
        let (old, d) = (self.capacity, self.head_dim);
        let row = self.kv_heads * capacity * d;
        for buffer in self.keys.iter_mut().chain(self.values.iter_mut()) {
            *buffer = buffer.relaid(self.batch * self.kv_heads, old * d, capacity * d);
        }
        self.row = row;
        self.capacity = capacity;
    }

    /// Keeps only the given rows of the batch, in that order.
    pub fn retain(&mut self, rows: &[u32]) -> candle_core::Result<()> {
        if let Some(&r) = rows.iter().find(|&&r| r as usize >= self.batch) {
            candle_core::bail!("row {r} is outside the batch of {}", self.batch);
        }
        for b in self.keys.iter_mut().chain(self.values.iter_mut()) {
            *b = b.select(self.row, rows);
        }
        self.lens = rows.iter().map(|&r| self.lens[r as usize]).collect();
        self.batch = rows.len();
        Ok(())
    }
}

/// Reads tensors of a GGUF file by name, in their own format.
struct Loader<'a, R> {
    ct: &'a Content,
    reader: &'a mut R,
}

fn model_error(message: impl Into<String>) -> LmError {
    LmError::Model(message.into())
}

impl<R: Read + Seek> Loader<'_, R> {
    fn has(&self, name: &str) -> bool {
        self.ct.tensor_infos.contains_key(name)
    }

    /// The rows of a matrix, from the tensor directory (nothing is read).
    fn rows(&self, name: &str) -> Option<usize> {
        match self.ct.tensor_infos.get(name)?.shape.dims() {
            [n, _] => Some(*n),
            _ => None,
        }
    }

    /// The tensor's rows and columns (a vector is one row) and its bytes.
    fn raw(&mut self, name: &str) -> Result<(QuantType, usize, usize, Vec<u8>), LmError> {
        let info = self
            .ct
            .tensor_infos
            .get(name)
            .ok_or_else(|| model_error(format!("the file has no tensor `{name}`")))?;
        let kind = QuantType::from_ggml(info.ggml_dtype).ok_or_else(|| {
            model_error(format!(
                "tensor `{name}` is {:?}, a type Arbor cannot run (supported: F32, F16, BF16, \
                 Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K)",
                info.ggml_dtype
            ))
        })?;
        let dims = info.shape.dims();
        let (n, k) = match dims {
            [k] => (1, *k),
            [n, k] => (*n, *k),
            _ => return Err(model_error(format!("tensor `{name}` has shape {dims:?}"))),
        };
        if !k.is_multiple_of(kind.block_weights()) {
            return Err(model_error(format!(
                "tensor `{name}`: rows of {k} are not whole {} blocks",
                kind.name()
            )));
        }
        let bytes = n * (k / kind.block_weights()) * kind.block_bytes();
        let start = self.ct.tensor_data_offset + info.offset;
        let io = |e: std::io::Error| model_error(format!("reading tensor `{name}`: {e}"));
        self.reader.seek(SeekFrom::Start(start)).map_err(io)?;
        let mut data = vec![0u8; bytes];
        self.reader.read_exact(&mut data).map_err(io)?;
        Ok((kind, n, k, data))
    }

    fn matrix(&mut self, name: &str) -> Result<QuantMatrix, LmError> {
        let (kind, n, k, data) = self.raw(name)?;
        QuantMatrix::from_ggml_vec(kind, data, n, k)
            .map_err(|e| model_error(format!("`{name}`: {e}")))
    }

    /// A matrix of `rows` × `cols` exactly.
    fn matrix_of(&mut self, name: &str, rows: usize, cols: usize) -> Result<QuantMatrix, LmError> {
        let m = self.matrix(name)?;
        if (m.rows(), m.cols()) != (rows, cols) {
            return Err(model_error(format!(
                "tensor `{name}` is {}×{}, expected {rows}×{cols}",
                m.rows(),
                m.cols()
            )));
        }
        Ok(m)
    }

    fn vector(&mut self, name: &str, len: usize) -> Result<Vec<f32>, LmError> {
        let m = self.matrix(name)?;
        if m.rows() * m.cols() != len {
            return Err(model_error(format!(
                "tensor `{name}` has {} values, expected {len}",
                m.rows() * m.cols()
            )));
        }
        let mut out = vec![0f32; len];
        for (r, chunk) in out.chunks_exact_mut(m.cols()).enumerate() {
            m.dequantize_row(r, chunk);
        }
        Ok(out)
    }

    fn optional_vector(&mut self, name: &str, len: usize) -> Result<Option<Vec<f32>>, LmError> {
        if self.has(name) {
            self.vector(name, len).map(Some)
        } else {
            Ok(None)
        }
    }

    fn norm(&mut self, prefix: &str, len: usize) -> Result<Norm, LmError> {
        Ok(Norm {
            weight: self.vector(&format!("{prefix}.weight"), len)?,
            bias: self.optional_vector(&format!("{prefix}.bias"), len)?,
        })
    }
}

/// Metadata of an architecture's keys (`{arch}.…`).
struct Meta<'a> {
    metadata: &'a HashMap<String, Value>,
    arch: &'static str,
}

impl Meta<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.metadata.get(&format!("{}.{key}", self.arch))
    }

    fn usize(&self, key: &str) -> Result<Option<usize>, LmError> {
        let full = format!("{}.{key}", self.arch);
        match self.metadata.get(&full) {
            None => Ok(None),
            // Some files store per-layer values as arrays; uniform ones are accepted.
            Some(Value::Array(items)) => {
                let values = items
                    .iter()
                    .map(|v| crate::gguf::metadata_u32(v, &full))
                    .collect::<Result<Vec<_>, _>>()?;
                match values.first() {
                    Some(&first) if values.iter().all(|&v| v == first) => Ok(Some(first as usize)),
                    _ => Err(model_error(format!(
                        "`{full}` differs between layers, which Arbor does not support"
                    ))),
                }
            }
            Some(v) => crate::gguf::metadata_u32(v, &full).map(|n| Some(n as usize)),
        }
    }

    fn required(&self, key: &str) -> Result<usize, LmError> {
        self.usize(key)?.ok_or_else(|| LmError::Metadata {
            key: format!("{}.{key}", self.arch),
            message: "missing".into(),
        })
    }

    fn f32(&self, key: &str) -> Result<Option<f32>, LmError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::F32(v)) => Ok(Some(*v)),
            Some(Value::F64(v)) => Ok(Some(*v as f32)),
            Some(other) => Err(LmError::Metadata {
                key: format!("{}.{key}", self.arch),
                message: format!("expected a float, found {other:?}"),
            }),
        }
    }
}

impl ModelConfig {
    /// The options of the model described by `metadata` (without the vocabulary size, which
    /// the embedding table gives).
    pub fn from_metadata(metadata: &HashMap<String, Value>) -> Result<ModelConfig, LmError> {
        let architecture = architecture_of(metadata)?;
        let m = Meta {
            metadata,
            arch: architecture.name(),
        };
        let heads = m.required("attention.head_count")?;
        let embedding = m.required("embedding_length")?;
        let kv_heads = m.usize("attention.head_count_kv")?.unwrap_or(heads);
        let head_dim = m.head_dim(embedding, heads)?;
        let rope_dims = m.usize("rope.dimension_count")?.unwrap_or(head_dim);
        let layers = m.required("block_count")?;
        check_shape(layers, heads, kv_heads, head_dim, rope_dims)?;
        let (norm, rope, feed_forward) = architecture.styles();
        let norm_eps = match norm {
            NormKind::Rms => m.f32("attention.layer_norm_rms_epsilon")?,
            NormKind::Layer => m.f32("attention.layer_norm_epsilon")?,
        }
        .unwrap_or(1e-5);
        let rope_base = m.f32("rope.freq_base")?.unwrap_or(10_000.0);
        let rope_scale = m.rope_scale()?;
        let gemma = architecture == Architecture::Gemma3;
        // llama.cpp: Gemma 3 has a sliding window on 5 of every 6 layers, local layers use
        // base 10000; the 27B model scales queries by 1/√(width/heads), the others 1/√head.
        let sliding_window = if gemma {
            m.usize("attention.sliding_window")?
        } else {
            None
        };
        let sliding_layers = m.sliding_layers(layers)?;
        let attention_scale = if gemma && layers == 62 {
            1.0 / ((embedding / heads) as f32).sqrt()
        } else {
            1.0 / (head_dim as f32).sqrt()
        };
        let context_length = m.usize("context_length")?.unwrap_or(2048).max(1);
        Ok(ModelConfig {
            architecture,
            layers,
            embedding,
            heads,
            kv_heads,
            head_dim,
            rope_dims,
            vocab: 0,
            context_length,
            norm_eps,
            norm,
            rope,
            rope_base,
            rope_base_local: if gemma {
                m.f32("rope.freq_base_swa")?.unwrap_or(10_000.0)
            } else {
                rope_base
            },
            rope_scale,
            sliding_window,
            sliding_layers,
            attention_scale,
            embedding_scale: gemma.then(|| (embedding as f32).sqrt()),
            final_logit_softcap: m.f32("final_logit_softcapping")?.filter(|c| *c > 0.0),
            feed_forward,
        })
    }
}

/// The architecture named by `general.architecture`, when Arbor runs it.
fn architecture_of(metadata: &HashMap<String, Value>) -> Result<Architecture, LmError> {
    let name = crate::gguf::metadata_string(metadata, "general.architecture")?;
    Architecture::from_name(&name).ok_or_else(|| {
        model_error(format!(
            "architecture `{name}` is not supported (expected one of: {})",
            Architecture::names()
        ))
    })
}

/// Rejects the shapes the pass cannot run.
fn check_shape(
    layers: usize,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    rope_dims: usize,
) -> Result<(), LmError> {
    if heads == 0
        || kv_heads == 0
        || !heads.is_multiple_of(kv_heads)
        || head_dim == 0
        || rope_dims > head_dim
        || !rope_dims.is_multiple_of(2)
        || layers == 0
    {
        return Err(model_error(format!(
            "unsupported shape: {layers} layers, {heads} heads, {kv_heads} key/value heads, \
             head width {head_dim}, {rope_dims} rotary dimensions"
        )));
    }
    Ok(())
}

impl Architecture {
    /// The norm, rope layout and feed-forward block of the architecture.
    fn styles(self) -> (NormKind, RopeStyle, FeedForward) {
        match self {
            Architecture::Llama => (NormKind::Rms, RopeStyle::Pairs, FeedForward::SiluGate),
            Architecture::Qwen2 | Architecture::Qwen3 => {
                (NormKind::Rms, RopeStyle::Halves, FeedForward::SiluGate)
            }
            Architecture::Gemma3 => (NormKind::Rms, RopeStyle::Halves, FeedForward::GeluGate),
            Architecture::Starcoder2 => (NormKind::Layer, RopeStyle::Halves, FeedForward::Gelu),
        }
    }
}

impl Meta<'_> {
    /// The width of a head: `attention.key_length`, else the embedding width over the heads
    /// (values must be as wide as keys).
    fn head_dim(&self, embedding: usize, heads: usize) -> Result<usize, LmError> {
        let head_dim = match self.usize("attention.key_length")? {
            Some(d) => d,
            None => embedding / heads.max(1),
        };
        if let Some(v) = self.usize("attention.value_length")? {
            if v != head_dim {
                return Err(model_error(format!(
                    "keys of width {head_dim} and values of width {v} are not supported"
                )));
            }
        }
        Ok(head_dim)
    }

    /// The position scale of the global layers (1 / the linear rope scaling factor).
    fn rope_scale(&self) -> Result<f32, LmError> {
        Ok(
            match (
                self.f32("rope.scaling.factor")?,
                self.get("rope.scaling.type"),
            ) {
                (Some(f), Some(Value::String(t))) if t == "linear" && f > 0.0 => 1.0 / f,
                (Some(f), None) if f > 0.0 => 1.0 / f,
                _ => 1.0,
            },
        )
    }

    /// Which of the `layers` layers have a sliding window: one flag per layer, or every
    /// `n`th layer global (`attention.sliding_window_pattern`, 6 when absent).
    fn sliding_layers(&self, layers: usize) -> Result<Vec<bool>, LmError> {
        let key = "attention.sliding_window_pattern";
        match self.get(key) {
            Some(Value::Array(flags)) if flags.len() == layers => flags
                .iter()
                .map(|f| match f {
                    Value::Bool(b) => Ok(*b),
                    other => Err(model_error(format!(
                        "`{}.{key}` holds {other:?}, not flags",
                        self.arch
                    ))),
                })
                .collect(),
            Some(Value::Array(flags)) => Err(model_error(format!(
                "`{}.{key}` has {} flags for {layers} layers",
                self.arch,
                flags.len()
            ))),
            _ => {
                let pattern = self.usize(key)?.unwrap_or(6).max(1);
                Ok((0..layers)
                    .map(|il| !(il + 1).is_multiple_of(pattern))
                    .collect())
            }
        }
    }
}

impl Transformer {
    /// Loads the weights of a GGUF file of a supported architecture.
    pub fn load<R: Read + Seek>(
        ct: &Content,
        reader: &mut R,
        device: &Device,
    ) -> Result<Transformer, LmError> {
        let mut config = ModelConfig::from_metadata(&ct.metadata)?;
        let mut l = Loader { ct, reader };
        let table = Arc::new(l.matrix("token_embd.weight")?);
        if table.cols() != config.embedding {
            return Err(model_error(format!(
                "token_embd.weight is {}×{}, expected width {}",
                table.rows(),
                table.cols(),
                config.embedding
            )));
        }
        config.vocab = table.rows();
        let c = config.clone();
        let output = if l.has("output.weight") {
            Arc::new(l.matrix_of("output.weight", c.vocab, c.embedding)?)
        } else {
            table.clone()
        };
        let q_width = c.heads * c.head_dim;
        let kv_width = c.kv_heads * c.head_dim;
        let mut layers = Vec::with_capacity(c.layers);
        for i in 0..c.layers {
            let name = |part: &str| format!("blk.{i}.{part}");
            let stack = |parts: Vec<QuantMatrix>| {
                QuantMatrix::stack(parts).map_err(|e| model_error(format!("layer {i}: {e}")))
            };
            let qkv = stack(vec![
                l.matrix_of(&name("attn_q.weight"), q_width, c.embedding)?,
                l.matrix_of(&name("attn_k.weight"), kv_width, c.embedding)?,
                l.matrix_of(&name("attn_v.weight"), kv_width, c.embedding)?,
            ])?;
            let biases = [
                l.optional_vector(&name("attn_q.bias"), q_width)?,
                l.optional_vector(&name("attn_k.bias"), kv_width)?,
                l.optional_vector(&name("attn_v.bias"), kv_width)?,
            ];
            let qkv_bias = biases.iter().any(Option::is_some).then(|| {
                let widths = [q_width, kv_width, kv_width];
                biases
                    .iter()
                    .zip(widths)
                    .flat_map(|(b, w)| b.clone().unwrap_or_else(|| vec![0.0; w]))
                    .collect()
            });
            let ff = l.rows(&name("ffn_up.weight")).unwrap_or(0);
            let gate_up = match c.feed_forward {
                FeedForward::Gelu => l.matrix_of(&name("ffn_up.weight"), ff, c.embedding)?,
                _ => stack(vec![
                    l.matrix_of(&name("ffn_gate.weight"), ff, c.embedding)?,
                    l.matrix_of(&name("ffn_up.weight"), ff, c.embedding)?,
                ])?,
            };
            layers.push(Layer {
                attn_norm: l.norm(&name("attn_norm"), c.embedding)?,
                qkv,
                qkv_bias,
                q_norm: l.optional_vector(&name("attn_q_norm.weight"), c.head_dim)?,
                k_norm: l.optional_vector(&name("attn_k_norm.weight"), c.head_dim)?,
                out: l.matrix_of(&name("attn_output.weight"), c.embedding, q_width)?,
                out_bias: l.optional_vector(&name("attn_output.bias"), c.embedding)?,
                post_attn_norm: l
                    .optional_vector(&name("post_attention_norm.weight"), c.embedding)?,
                ffn_norm: l.norm(&name("ffn_norm"), c.embedding)?,
                gate_up,
                up_bias: l.optional_vector(&name("ffn_up.bias"), ff)?,
                down: l.matrix_of(&name("ffn_down.weight"), c.embedding, ff)?,
                down_bias: l.optional_vector(&name("ffn_down.bias"), c.embedding)?,
                post_ffn_norm: l.optional_vector(&name("post_ffw_norm.weight"), c.embedding)?,
            });
        }
        let norm = l.norm("output_norm", c.embedding)?;
        let rope_factors = l.optional_vector("rope_freqs.weight", c.rope_dims / 2)?;
        Ok(Transformer {
            config,
            embedding: table,
            layers,
            norm,
            output,
            rope_factors,
            device: device.clone(),
        })
    }

    /// The model's hyper-parameters.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// An empty f32 cache for `batch` sequences of up to `capacity` positions.
    pub fn new_cache(&self, batch: usize, capacity: usize) -> candle_core::Result<KvCache> {
        Ok(self.new_cache_of(batch, capacity, KvType::F32))
    }

    /// An empty cache of `kind` for `batch` sequences of up to `capacity` positions (at most
    /// the model's context length).
    pub fn new_cache_of(&self, batch: usize, capacity: usize, kind: KvType) -> KvCache {
        let c = &self.config;
        let capacity = capacity.min(c.context_length);
        let row = c.kv_heads * capacity * c.head_dim;
        let buffers = || {
            (0..c.layers)
                .map(|_| KvBuffer::zeros(kind, batch * row))
                .collect()
        };
        KvCache {
            keys: buffers(),
            values: buffers(),
            batch,
            row,
            lens: vec![0; batch],
            capacity,
            kv_heads: c.kv_heads,
            head_dim: c.head_dim,
        }
    }

    /// Runs `tokens` (`batch × seq` ids, row-major) through the model, each row at its own
    /// position in the cache, and returns the logits of each row's last position
    /// (`batch × vocab`).
    pub fn forward(
        &self,
        tokens: &[u32],
        batch: usize,
        cache: &mut KvCache,
    ) -> candle_core::Result<Tensor> {
        let logits = self
            .run(tokens, batch, cache, false)
            .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        Tensor::from_vec(logits, (batch, self.config.vocab), &self.device)
    }

    /// Like [`Transformer::forward`], but the logits of every position: `batch·seq` rows of
    /// `vocab` values, row-major.
    pub fn forward_all(
        &self,
        tokens: &[u32],
        batch: usize,
        cache: &mut KvCache,
    ) -> Result<Vec<f32>, LmError> {
        self.run(tokens, batch, cache, true)
    }

    fn run(
        &self,
        tokens: &[u32],
        batch: usize,
        cache: &mut KvCache,
        all_logits: bool,
    ) -> Result<Vec<f32>, LmError> {
        let c = &self.config;
        let seq = self.check_run(tokens, batch, cache)?;
        let positions = cache.lens.clone();
        let rows = batch * seq;
        let mut x = self.embed(tokens);
        let rope_global = self.rope_rows(&positions, seq, c.rope_base, c.rope_scale);
        let rope_local = (c.sliding_window.is_some())
            .then(|| self.rope_rows(&positions, seq, c.rope_base_local, 1.0));
        let mut h = vec![0f32; rows * c.embedding];
        for (il, layer) in self.layers.iter().enumerate() {
            let sliding = c.is_sliding(il);
            let rope = match (&rope_local, sliding) {
                (Some(local), true) => local,
                _ => &rope_global,
            };
            normalize(&x, &mut h, &layer.attn_norm, c.norm, c.norm_eps);
            let q = self.queries_and_cache(il, layer, &h, rope, cache, seq);
            let window = if sliding { c.sliding_window } else { None };
            let attended = attention(
                &q,
                &cache.keys[il],
                &cache.values[il],
                AttentionShape {
                    batch,
                    seq,
                    positions: &positions,
                    heads: c.heads,
                    kv_heads: c.kv_heads,
                    head_dim: c.head_dim,
                    capacity: cache.capacity,
                    row: cache.row,
                    scale: c.attention_scale,
                    window,
                },
            );
            let mut out = layer.out.matmul(&attended);
            self.finish_projection(&mut out, &layer.out_bias, &layer.post_attn_norm);
            add_in_place(&mut x, &out);
            normalize(&x, &mut h, &layer.ffn_norm, c.norm, c.norm_eps);
            let down = self.feed_forward(layer, &h, rows);
            add_in_place(&mut x, &down);
        }
        for len in &mut cache.lens {
            *len += seq;
        }
        Ok(self.logits(&x, batch, seq, all_logits))
    }

    /// Checks that `tokens` fill `batch` rows that fit `cache`, and returns the positions each
    /// row adds.
    fn check_run(&self, tokens: &[u32], batch: usize, cache: &KvCache) -> Result<usize, LmError> {
        let c = &self.config;
        let seq = tokens.len() / batch.max(1);
        if batch == 0 || seq == 0 || seq * batch != tokens.len() {
            return Err(model_error(format!(
                "{} tokens do not fill a batch of {batch}",
                tokens.len()
            )));
        }
        if cache.batch != batch {
            return Err(model_error(format!(
                "the cache holds {} rows, not {batch}",
                cache.batch
            )));
        }
        if cache.keys.len() != c.layers || cache.row != c.kv_heads * cache.capacity * c.head_dim {
            return Err(model_error("the cache belongs to another model"));
        }
        let pos = cache.len();
        if pos + seq > cache.capacity {
            return Err(model_error(format!(
                "{} positions do not fit the cache of {}",
                pos + seq,
                cache.capacity
            )));
        }
        if let Some(&t) = tokens.iter().find(|&&t| t as usize >= c.vocab) {
            return Err(model_error(format!(
                "token id {t} is outside the vocabulary"
            )));
        }
        Ok(seq)
    }

    /// The (scaled) embedding rows of `tokens`, one after another.
    fn embed(&self, tokens: &[u32]) -> Vec<f32> {
        let c = &self.config;
        let width = c.embedding;
        let mut x = vec![0f32; tokens.len() * width];
        for (out, &t) in x.chunks_exact_mut(width).zip(tokens) {
            self.embedding.dequantize_row(t as usize, out);
            if let Some(scale) = c.embedding_scale {
                out.iter_mut().for_each(|v| *v *= scale);
            }
        }
        x
    }

    /// Projects the normalised rows `h` to queries, keys and values, normalises and rotates
    /// the queries and keys, writes keys and values to layer `il` of the cache at the cache's
    /// position, and returns the queries (`rows × heads·head_dim`).
    fn queries_and_cache(
        &self,
        il: usize,
        layer: &Layer,
        h: &[f32],
        rope: &[Vec<Vec<(f32, f32)>>],
        cache: &mut KvCache,
        seq: usize,
    ) -> Vec<f32> {
        let c = &self.config;
        let q_width = c.heads * c.head_dim;
        let kv_width = c.kv_heads * c.head_dim;
        let mut qkv = layer.qkv.matmul(h);
        let qkv_width = q_width + 2 * kv_width;
        if let Some(bias) = &layer.qkv_bias {
            add_rows(&mut qkv, bias);
        }
        let rows = qkv.len() / qkv_width;
        let mut q = vec![0f32; rows * q_width];
        for (r, row) in qkv.chunks_exact_mut(qkv_width).enumerate() {
            let (b, i) = (r / seq, r % seq);
            let (qs, kv) = row.split_at_mut(q_width);
            let (ks, vs) = kv.split_at_mut(kv_width);
            self.norm_and_rotate(qs, &layer.q_norm, &rope[b][i]);
            self.norm_and_rotate(ks, &layer.k_norm, &rope[b][i]);
            q[r * q_width..(r + 1) * q_width].copy_from_slice(qs);
            let pos = cache.lens[b];
            for kh in 0..c.kv_heads {
                let at = b * cache.row + (kh * cache.capacity + pos + i) * c.head_dim;
                let part = kh * c.head_dim..(kh + 1) * c.head_dim;
                cache.keys[il].write(at, &ks[part.clone()]);
                cache.values[il].write(at, &vs[part]);
            }
        }
        q
    }

    /// RMS-normalises (where the layer has a weight) and rotates each head of `heads`.
    #[inline]
    fn norm_and_rotate(&self, heads: &mut [f32], norm: &Option<Vec<f32>>, rope: &[(f32, f32)]) {
        let c = &self.config;
        for head in heads.chunks_exact_mut(c.head_dim) {
            if let Some(w) = norm {
                rms_norm_in_place(head, w, c.norm_eps);
            }
            apply_rope(head, rope, c.rope_dims, c.rope);
        }
    }

    /// Adds `bias` to each row of `out` and then RMS-normalises each row by `post_norm`, for
    /// whichever of the two the layer has.
    fn finish_projection(
        &self,
        out: &mut [f32],
        bias: &Option<Vec<f32>>,
        post_norm: &Option<Vec<f32>>,
    ) {
        let c = &self.config;
        if let Some(bias) = bias {
            add_rows(out, bias);
        }
        if let Some(w) = post_norm {
            for row in out.chunks_exact_mut(c.embedding) {
                rms_norm_in_place(row, w, c.norm_eps);
            }
        }
    }

    /// The feed-forward block of `layer` on the normalised rows `h` (`rows` of them).
    fn feed_forward(&self, layer: &Layer, h: &[f32], rows: usize) -> Vec<f32> {
        let c = &self.config;
        let mut up = layer.gate_up.matmul(h);
        if let Some(bias) = &layer.up_bias {
            // The bias belongs to the up rows (the second half when there is a gate).
            let total = layer.gate_up.rows();
            let offset = total - bias.len();
            for row in up.chunks_exact_mut(total) {
                add_in_place(&mut row[offset..], bias);
            }
        }
        let act = match c.feed_forward {
            FeedForward::Gelu => {
                up.iter_mut().for_each(|v| *v = gelu(*v));
                up
            }
            FeedForward::SiluGate | FeedForward::GeluGate => {
                let ff = layer.gate_up.rows() / 2;
                gated(&up, rows, ff, c.feed_forward == FeedForward::GeluGate)
            }
        };
        let mut down = layer.down.matmul(&act);
        self.finish_projection(&mut down, &layer.down_bias, &layer.post_ffn_norm);
        down
    }

    /// The logits of every row of the residual stream `x`, or of each sequence's last.
    fn logits(&self, x: &[f32], batch: usize, seq: usize, all_logits: bool) -> Vec<f32> {
        let c = &self.config;
        let width = c.embedding;
        // The rows whose logits are wanted: all, or each sequence's last.
        let wanted: Vec<usize> = if all_logits {
            (0..batch * seq).collect()
        } else {
            (0..batch).map(|b| b * seq + seq - 1).collect()
        };
        let mut last = vec![0f32; wanted.len() * width];
        for (out, &r) in last.chunks_exact_mut(width).zip(&wanted) {
            normalize(
                &x[r * width..(r + 1) * width],
                out,
                &self.norm,
                c.norm,
                c.norm_eps,
            );
        }
        let mut logits = self.output.matmul(&last);
        if let Some(cap) = c.final_logit_softcap {
            logits.iter_mut().for_each(|v| *v = cap * (*v / cap).tanh());
        }
        logits
    }

    /// [`Transformer::rope_table`] for each batch row, from its own position (computed once
    /// when all rows are at the same one).
    fn rope_rows(
        &self,
        positions: &[usize],
        seq: usize,
        base: f32,
        scale: f32,
    ) -> Vec<Vec<Vec<(f32, f32)>>> {
        if positions.windows(2).all(|w| w[0] == w[1]) {
            let table = self.rope_table(positions.first().copied().unwrap_or(0), seq, base, scale);
            return vec![table; positions.len()];
        }
        positions
            .iter()
            .map(|&pos| self.rope_table(pos, seq, base, scale))
            .collect()
    }

    /// cos/sin of each rotated pair at positions `pos..pos + seq`, computed as ggml does
    /// (θ multiplied up by `base^(-2/d)` one pair at a time, in f32).
    fn rope_table(&self, pos: usize, seq: usize, base: f32, scale: f32) -> Vec<Vec<(f32, f32)>> {
        let dims = self.config.rope_dims;
        let theta_scale = base.powf(-2.0 / dims as f32);
        (pos..pos + seq)
            .map(|p| {
                let mut theta = p as f32;
                (0..dims / 2)
                    .map(|i| {
                        let factor = self.rope_factors.as_ref().map_or(1.0, |f| f[i]);
                        let angle = scale * (theta / factor);
                        theta *= theta_scale;
                        (angle.cos(), angle.sin())
                    })
                    .collect()
            })
            .collect()
    }
}

/// Rotates the first `dims` values of one head by the table of its position.
fn apply_rope(head: &mut [f32], table: &[(f32, f32)], dims: usize, style: RopeStyle) {
    let half = dims / 2;
    for (i, &(cos, sin)) in table.iter().enumerate() {
        let (a, b) = match style {
            RopeStyle::Pairs => (2 * i, 2 * i + 1),
            RopeStyle::Halves => (i, i + half),
        };
        let (x0, x1) = (head[a], head[b]);
        head[a] = x0 * cos - x1 * sin;
        head[b] = x0 * sin + x1 * cos;
    }
}

/// `x / √(mean(x²) + ε) · w` in place (the sum in f64, as ggml's is).
fn rms_norm_in_place(x: &mut [f32], w: &[f32], eps: f32) {
    let sum: f64 = x.iter().map(|v| (*v as f64) * (*v as f64)).sum();
    let mean = (sum / x.len() as f64) as f32;
    let scale = 1.0 / (mean + eps).sqrt();
    for (v, w) in x.iter_mut().zip(w) {
        *v = *v * scale * w;
    }
}

/// Each row of `x` normalised into the same row of `out`.
fn normalize(x: &[f32], out: &mut [f32], norm: &Norm, kind: NormKind, eps: f32) {
    let width = norm.weight.len();
    for (src, dst) in x.chunks_exact(width).zip(out.chunks_exact_mut(width)) {
        match kind {
            NormKind::Rms => {
                dst.copy_from_slice(src);
                rms_norm_in_place(dst, &norm.weight, eps);
            }
            NormKind::Layer => {
                let mean = (src.iter().map(|v| *v as f64).sum::<f64>() / width as f64) as f32;
                let mut var = 0f64;
                for (d, s) in dst.iter_mut().zip(src) {
                    *d = s - mean;
                    var += (*d as f64) * (*d as f64);
                }
                let scale = 1.0 / ((var / width as f64) as f32 + eps).sqrt();
                for (i, d) in dst.iter_mut().enumerate() {
                    *d = *d * scale * norm.weight[i] + norm.bias.as_ref().map_or(0.0, |b| b[i]);
                }
            }
        }
    }
}

fn add_in_place(x: &mut [f32], y: &[f32]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

/// Adds `bias` to every row of `x`.
fn add_rows(x: &mut [f32], bias: &[f32]) {
    for row in x.chunks_exact_mut(bias.len()) {
        add_in_place(row, bias);
    }
}

fn silu(x: f32) -> f32 {
    x / (1.0 + (-x).exp())
}

/// `act(gate) · up` of each row of `gate_up` (`rows` rows of `ff` gate then `ff` up values),
/// with GELU-tanh or SiLU as the activation.
fn gated(gate_up: &[f32], rows: usize, ff: usize, gelu_gate: bool) -> Vec<f32> {
    let mut act = vec![0f32; rows * ff];
    for (a, gu) in act.chunks_exact_mut(ff).zip(gate_up.chunks_exact(2 * ff)) {
        let (gate, up) = gu.split_at(ff);
        for ((a, g), u) in a.iter_mut().zip(gate).zip(up) {
            *a = if gelu_gate { gelu(*g) } else { silu(*g) } * u;
        }
    }
    act
}

/// GELU with the tanh approximation.
fn gelu_exact(x: f32) -> f32 {
    const SQRT_2_OVER_PI: f32 = 0.797_884_6;
    0.5 * x * (1.0 + (SQRT_2_OVER_PI * x * (1.0 + 0.044_715 * x * x)).tanh())
}

/// GELU as ggml's CPU backend computes it (`GGML_GELU_FP16`): the input rounded to f16 looks
/// up a table of f16 results; 0 below -10, the input itself above 10.
fn gelu(x: f32) -> f32 {
    static TABLE: std::sync::OnceLock<Vec<f16>> = std::sync::OnceLock::new();
    if x <= -10.0 {
        return 0.0;
    }
    if x >= 10.0 {
        return x;
    }
    let table = TABLE.get_or_init(|| {
        (0..=u16::MAX)
            .map(|bits| f16::from_f32(gelu_exact(f16::from_bits(bits).to_f32())))
            .collect()
    });
    table[f16::from_f32(x).to_bits() as usize].to_f32()
}

/// A dot product in eight lanes (a plain float sum is not vectorized: its order is fixed).
fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ac.zip(bc) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[derive(Clone, Copy)]
struct AttentionShape<'a> {
    batch: usize,
    seq: usize,
    /// Each row's position before the new ones.
    positions: &'a [usize],
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    capacity: usize,
    /// Values of one batch row of the cache.
    row: usize,
    scale: f32,
    window: Option<usize>,
}

/// Attention of one query against keys and values `range` of one head's block (`k`, `v`:
/// positions × `d`), added into `out`.
fn attend(
    query: &[f32],
    k: &[f32],
    v: &[f32],
    range: std::ops::Range<usize>,
    scale: f32,
    out: &mut [f32],
) {
    let d = query.len();
    let mut scores: Vec<f32> = range
        .clone()
        .map(|t| dot_f32(query, &k[t * d..(t + 1) * d]) * scale)
        .collect();
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut total = 0f64;
    for sc in scores.iter_mut() {
        *sc = (*sc - max).exp();
        total += *sc as f64;
    }
    let inv = (1.0 / total) as f32;
    for (t, sc) in range.zip(&scores) {
        let weight = sc * inv;
        for (o, v) in out.iter_mut().zip(&v[t * d..(t + 1) * d]) {
            *o += weight * v;
        }
    }
}

/// Causal attention of `seq` new positions per batch row against the cache (which already
/// holds them): `q` is `batch·seq × heads·head_dim`, and so is the result. In row `b`, query
/// position `pos + i` (`pos` the row's own position) sees keys `lo..=pos + i`, where `lo`
/// leaves out keys beyond a sliding window.
fn attention(q: &[f32], keys: &KvBuffer, values: &KvBuffer, s: AttentionShape) -> Vec<f32> {
    let d = s.head_dim;
    let groups = s.heads / s.kv_heads;
    let mut out = vec![0f32; s.batch * s.seq * s.heads * d];
    // The keys and values of one (batch row, KV head), as f32 (converted once from f16).
    let block = |b: usize, kh: usize| {
        let at = b * s.row + kh * s.capacity * d;
        let kv_len = s.positions[b] + s.seq;
        (keys.read(at, kv_len * d), values.read(at, kv_len * d))
    };
    let range = |b: usize, i: usize| {
        let end = s.positions[b] + i + 1;
        s.window.map_or(0, |w| end.saturating_sub(w))..end
    };
    let longest = s.positions.iter().copied().max().unwrap_or(0) + s.seq;
    let parallel =
        s.batch * s.seq * s.heads * longest * d >= 1 << 16 && rayon::current_num_threads() > 1;
    if matches!(keys, KvBuffer::F32(_)) {
        // Rows r of the output are (batch row, position, head).
        let one = |(r, out): (usize, &mut [f32])| {
            let (b, rest) = (r / (s.seq * s.heads), r % (s.seq * s.heads));
            let (i, h) = (rest / s.heads, rest % s.heads);
            let (k, v) = block(b, h / groups);
            attend(&q[r * d..(r + 1) * d], &k, &v, range(b, i), s.scale, out);
        };
        if parallel {
            out.par_chunks_mut(d).enumerate().for_each(one);
        } else {
            out.chunks_mut(d).enumerate().for_each(one);
        }
        return out;
    }
    // f16: each (batch row, KV head) block is converted once, then all its query rows attend.
    let blocks: Vec<(usize, usize)> = (0..s.batch)
        .flat_map(|b| (0..s.kv_heads).map(move |kh| (b, kh)))
        .collect();
    let one_block = |&(b, kh): &(usize, usize)| {
        let (k, v) = block(b, kh);
        let mut rows = Vec::with_capacity(s.seq * groups);
        for i in 0..s.seq {
            for h in kh * groups..(kh + 1) * groups {
                let r = (b * s.seq + i) * s.heads + h;
                let mut o = vec![0f32; d];
                attend(&q[r * d..(r + 1) * d], &k, &v, range(b, i), s.scale, &mut o);
                rows.push((r, o));
            }
        }
        rows
    };
    let results: Vec<Vec<(usize, Vec<f32>)>> = if parallel {
        blocks.par_iter().map(one_block).collect()
    } else {
        blocks.iter().map(one_block).collect()
    };
    for (r, o) in results.into_iter().flatten() {
        out[r * d..(r + 1) * d].copy_from_slice(&o);
    }
    out
}
