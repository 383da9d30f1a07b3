//! The llama forward pass, on candle tensors, with Arbor's quantized matrix kernels.
//!
//! candle-transformers' `quantized_llama` is the reference; this version differs where the
//! profile of the default model said it must (see `benchmarks/RESULTS.md`):
//!
//! - **Matrix products in the weights' own format.** candle runs Q4_1 (the default model's
//!   type) through its scalar reference loop: 82% of the time. Q4_1 and Q8_0 matrices go to
//!   [`crate::quant`]'s AVX2 kernels instead; types neither candle nor Arbor has a fast kernel
//!   for (Q5_0, Q5_1) are converted to Q8_0 at load.
//! - **Fused projections.** Q, K and V share one matrix, gate and up another (rows of the same
//!   quantized type concatenated), so each layer quantizes its input twice instead of five times
//!   and runs two parallel regions instead of five.
//! - **A pre-allocated KV cache** written in place (no concatenation per token), with a batch
//!   dimension: a prompt is prefilled once and its cache copied to `n` rows that then decode
//!   together, and finished rows are dropped from the batch.
//! - **Attention without copies**: when prefilling, the query heads that share a KV head are
//!   folded into the rows of one matrix product; when decoding, each head reads its keys and
//!   values straight from the cache.
//! - **The embedding table stays quantized** (and is the output matrix when the two are tied);
//!   rows are dequantized when looked up, and only the last position's logits are computed.

use std::io::{Read, Seek};
use std::sync::Arc;

use candle_core::quantized::{ggml_file, gguf_file, GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, IndexOp, Module, Result, Tensor, D};

use crate::quant::{QuantMatrix, QuantType};

/// Hyper-parameters read from the GGUF metadata.
#[derive(Debug, Clone)]
pub struct LlamaConfig {
    /// Transformer blocks.
    pub layers: usize,
    /// Width of the residual stream.
    pub embedding: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads (fewer than `heads` with grouped-query attention).
    pub kv_heads: usize,
    /// Width of one head.
    pub head_dim: usize,
    /// Vocabulary size (rows of the output matrix).
    pub vocab: usize,
    /// Longest sequence the model was trained for (`llama.context_length`).
    pub context_length: usize,
    /// RMS-norm epsilon.
    pub rms_eps: f32,
    /// RoPE base frequency.
    pub rope_base: f32,
}

/// A weight matrix: Q4_1 and Q8_0 with Arbor's kernels ([`crate::quant`]), anything else
/// with candle's.
enum Matrix {
    Quant(Arc<QuantMatrix>),
    Candle(QMatMul),
}

/// The type of `t` when [`crate::quant`] has a kernel for it and its rows are whole blocks.
fn quant_type(t: &QTensor) -> Option<QuantType> {
    let k = t.shape().dims().last().copied().unwrap_or(0);
    if !k.is_multiple_of(crate::quant::BLOCK) {
        return None;
    }
    match t.dtype() {
        GgmlDType::Q4_1 => Some(QuantType::Q4_1),
        GgmlDType::Q8_0 => Some(QuantType::Q8_0),
        _ => None,
    }
}

fn quant_matrix(t: &QTensor, kind: QuantType) -> Result<QuantMatrix> {
    let (n, k) = t.shape().dims2()?;
    QuantMatrix::from_ggml(kind, &t.data()?, n, k).map_err(candle_core::Error::Msg)
}

impl Matrix {
    fn new(t: QTensor) -> Result<Matrix> {
        match quant_type(&t) {
            Some(kind) => Ok(Matrix::Quant(Arc::new(quant_matrix(&t, kind)?))),
            None => QMatMul::from_qtensor(t).map(Matrix::Candle),
        }
    }

    /// `x · Wᵀ` over the last dimension of `x`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Matrix::Candle(m) => m.forward(x),
            Matrix::Quant(m) => {
                let mut dims = x.dims().to_vec();
                let input = x.flatten_all()?.to_vec1::<f32>()?;
                let out = m.matmul(&input);
                if let Some(last) = dims.last_mut() {
                    *last = m.rows();
                }
                Tensor::from_vec(out, dims, x.device())
            }
        }
    }
}

/// The token embedding table, kept quantized (shared with the output matrix when tied).
enum Embedding {
    Quant(Arc<QuantMatrix>),
    Candle(QTensor),
}

struct Layer {
    attn_norm: Tensor,
    /// Q, K and V rows in one matrix.
    qkv: Matrix,
    out: Matrix,
    ffn_norm: Tensor,
    /// Gate and up rows in one matrix.
    gate_up: Matrix,
    down: Matrix,
}

/// A loaded llama model: weights and rotary tables, no per-sequence state.
pub struct Llama {
    config: LlamaConfig,
    embedding: Embedding,
    layers: Vec<Layer>,
    norm: Tensor,
    output: Matrix,
    cos: Tensor,
    sin: Tensor,
    device: Device,
}

/// Keys and values of every layer for a batch of sequences that are all at the same position.
pub struct KvCache {
    keys: Vec<Tensor>,
    values: Vec<Tensor>,
    len: usize,
    capacity: usize,
}

impl KvCache {
    /// Positions filled so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True before the first forward pass.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Positions this cache can hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Sequences in the batch.
    pub fn batch(&self) -> usize {
        self.keys.first().map_or(0, |k| k.dims()[0])
    }

    /// A cache of `n` rows that each start as a copy of row 0 of this one (one prompt's
    /// prefill shared by `n` samples).
    pub fn expand(&self, n: usize) -> Result<KvCache> {
        let copy = |t: &Tensor| -> Result<Tensor> {
            let (_, h, cap, d) = t.dims4()?;
            t.i(0..1)?.broadcast_as((n, h, cap, d))?.contiguous()
        };
        Ok(KvCache {
            keys: self.keys.iter().map(copy).collect::<Result<_>>()?,
            values: self.values.iter().map(copy).collect::<Result<_>>()?,
            len: self.len,
            capacity: self.capacity,
        })
    }

    /// Keeps only the given rows of the batch, in that order.
    pub fn retain(&mut self, rows: &[u32]) -> Result<()> {
        let index = Tensor::new(rows, self.keys[0].device())?;
        for t in self.keys.iter_mut().chain(self.values.iter_mut()) {
            *t = t.index_select(&index, 0)?;
        }
        Ok(())
    }
}

fn md<'a>(ct: &'a gguf_file::Content, key: &str) -> Result<&'a gguf_file::Value> {
    ct.metadata
        .get(key)
        .ok_or_else(|| candle_core::Error::Msg(format!("the file has no `{key}` metadata")))
}

/// Whether candle or [`crate::quant`] multiplies this type with a SIMD kernel.
fn has_fast_kernel(dtype: GgmlDType) -> bool {
    !matches!(dtype, GgmlDType::Q5_0 | GgmlDType::Q5_1)
}

/// Reads a matrix, converting it to Q8_0 when there is no fast kernel for its type.
fn read_matrix<R: Read + Seek>(
    ct: &gguf_file::Content,
    reader: &mut R,
    name: &str,
    device: &Device,
) -> Result<QTensor> {
    let t = ct.tensor(reader, name, device)?;
    let k = t.shape().dims().last().copied().unwrap_or(0);
    if has_fast_kernel(t.dtype()) || !k.is_multiple_of(GgmlDType::Q8_0.block_size()) {
        return Ok(t);
    }
    QTensor::quantize(&t.dequantize(device)?, GgmlDType::Q8_0)
}

/// One matrix whose rows are those of `parts` in order (all of one type and width).
fn concat_rows(parts: Vec<QTensor>, device: &Device) -> Result<QTensor> {
    let dtype = parts[0].dtype();
    if parts.iter().any(|p| p.dtype() != dtype) {
        // Different types: agree on Q8_0 (or f32 where rows do not fill blocks).
        let f32s = parts
            .iter()
            .map(|p| p.dequantize(device))
            .collect::<Result<Vec<_>>>()?;
        let all = Tensor::cat(&f32s, 0)?;
        let k = all.dims()[1];
        let target = if k.is_multiple_of(GgmlDType::Q8_0.block_size()) {
            GgmlDType::Q8_0
        } else {
            GgmlDType::F32
        };
        return QTensor::quantize(&all, target);
    }
    let k = parts[0].shape().dims()[1];
    let mut rows = 0;
    let mut bytes = Vec::new();
    for p in &parts {
        let (n, pk) = p.shape().dims2()?;
        if pk != k {
            candle_core::bail!("cannot fuse matrices of widths {k} and {pk}");
        }
        rows += n;
        bytes.extend_from_slice(&p.data()?);
    }
    ggml_file::qtensor_from_ggml(dtype, &bytes, vec![rows, k], device)
}

fn vector<R: Read + Seek>(
    ct: &gguf_file::Content,
    reader: &mut R,
    name: &str,
    device: &Device,
) -> Result<Tensor> {
    ct.tensor(reader, name, device)?.dequantize(device)
}

impl Llama {
    /// Loads the weights of a llama-architecture GGUF file.
    pub fn load<R: Read + Seek>(
        ct: &gguf_file::Content,
        reader: &mut R,
        device: &Device,
    ) -> Result<Llama> {
        let u = |key: &str| -> Result<usize> { Ok(md(ct, key)?.to_u32()? as usize) };
        let heads = u("llama.attention.head_count")?;
        let embedding = u("llama.embedding_length")?;
        let config = LlamaConfig {
            layers: u("llama.block_count")?,
            embedding,
            heads,
            kv_heads: u("llama.attention.head_count_kv").unwrap_or(heads),
            head_dim: u("llama.rope.dimension_count").unwrap_or(embedding / heads.max(1)),
            vocab: 0,
            context_length: u("llama.context_length").unwrap_or(2048),
            rms_eps: md(ct, "llama.attention.layer_norm_rms_epsilon")?.to_f32()?,
            rope_base: md(ct, "llama.rope.freq_base")
                .and_then(|v| v.to_f32())
                .unwrap_or(10_000.0),
        };
        if config.heads == 0
            || config.kv_heads == 0
            || !config.heads.is_multiple_of(config.kv_heads)
            || config.head_dim * config.heads != config.embedding
            || !config.head_dim.is_multiple_of(2)
        {
            candle_core::bail!(
                "unsupported attention shape: {} heads, {} key/value heads, head width {}, embedding {}",
                config.heads,
                config.kv_heads,
                config.head_dim,
                config.embedding
            );
        }
        let table = ct.tensor(reader, "token_embd.weight", device)?;
        let (vocab, width) = table.shape().dims2()?;
        if width != config.embedding {
            candle_core::bail!("token_embd.weight is {vocab}×{width}, expected width {embedding}");
        }
        let config = LlamaConfig { vocab, ..config };
        let tied = !ct.tensor_infos.contains_key("output.weight");
        let (embedding, output) = match (quant_type(&table), tied) {
            (Some(kind), true) => {
                let m = Arc::new(quant_matrix(&table, kind)?);
                (Embedding::Quant(m.clone()), Matrix::Quant(m))
            }
            (None, true) => {
                let output = Matrix::Candle(QMatMul::from_qtensor(QTensor::quantize(
                    &table.dequantize(device)?,
                    GgmlDType::F32,
                )?)?);
                (Embedding::Candle(table), output)
            }
            (kind, false) => {
                let embedding = match kind {
                    Some(kind) => Embedding::Quant(Arc::new(quant_matrix(&table, kind)?)),
                    None => Embedding::Candle(table),
                };
                let output = Matrix::new(read_matrix(ct, reader, "output.weight", device)?)?;
                (embedding, output)
            }
        };
        let mut layers = Vec::with_capacity(config.layers);
        for i in 0..config.layers {
            let name = |part: &str| format!("blk.{i}.{part}.weight");
            let qkv = concat_rows(
                vec![
                    read_matrix(ct, reader, &name("attn_q"), device)?,
                    read_matrix(ct, reader, &name("attn_k"), device)?,
                    read_matrix(ct, reader, &name("attn_v"), device)?,
                ],
                device,
            )?;
            let gate_up = concat_rows(
                vec![
                    read_matrix(ct, reader, &name("ffn_gate"), device)?,
                    read_matrix(ct, reader, &name("ffn_up"), device)?,
                ],
                device,
            )?;
            layers.push(Layer {
                attn_norm: vector(ct, reader, &name("attn_norm"), device)?,
                qkv: Matrix::new(qkv)?,
                out: Matrix::new(read_matrix(ct, reader, &name("attn_output"), device)?)?,
                ffn_norm: vector(ct, reader, &name("ffn_norm"), device)?,
                gate_up: Matrix::new(gate_up)?,
                down: Matrix::new(read_matrix(ct, reader, &name("ffn_down"), device)?)?,
            });
        }
        let norm = vector(ct, reader, "output_norm.weight", device)?;
        let (cos, sin) = rope_tables(&config, device)?;
        Ok(Llama {
            config,
            embedding,
            layers,
            norm,
            output,
            cos,
            sin,
            device: device.clone(),
        })
    }

    /// The model's hyper-parameters.
    pub fn config(&self) -> &LlamaConfig {
        &self.config
    }

    /// An empty cache for `batch` sequences of up to `capacity` positions.
    pub fn new_cache(&self, batch: usize, capacity: usize) -> Result<KvCache> {
        let capacity = capacity.min(self.config.context_length);
        let shape = (batch, self.config.kv_heads, capacity, self.config.head_dim);
        let zeros = || Tensor::zeros(shape, DType::F32, &self.device);
        Ok(KvCache {
            keys: (0..self.config.layers)
                .map(|_| zeros())
                .collect::<Result<_>>()?,
            values: (0..self.config.layers)
                .map(|_| zeros())
                .collect::<Result<_>>()?,
            len: 0,
            capacity,
        })
    }

    /// Embedding rows of `tokens`, dequantized from the quantized table.
    fn embed(&self, tokens: &[u32]) -> Result<Tensor> {
        let width = self.config.embedding;
        if let Some(&t) = tokens.iter().find(|&&t| t as usize >= self.config.vocab) {
            candle_core::bail!("token id {t} is outside the vocabulary");
        }
        match &self.embedding {
            Embedding::Quant(m) => {
                let mut rows = vec![0f32; tokens.len() * width];
                for (out, &t) in rows.chunks_exact_mut(width).zip(tokens) {
                    m.dequantize_row(t as usize, out);
                }
                Tensor::from_vec(rows, (tokens.len(), width), &self.device)
            }
            Embedding::Candle(table) => {
                let dtype = table.dtype();
                let row_bytes = width / dtype.block_size() * dtype.type_size();
                let data = table.data()?;
                let mut bytes = Vec::with_capacity(tokens.len() * row_bytes);
                for &t in tokens {
                    let t = t as usize;
                    bytes.extend_from_slice(&data[t * row_bytes..(t + 1) * row_bytes]);
                }
                ggml_file::qtensor_from_ggml(
                    dtype,
                    &bytes,
                    vec![tokens.len(), width],
                    &self.device,
                )?
                .dequantize(&self.device)
            }
        }
    }

    /// Runs `tokens` (`batch × seq` ids, row-major) through the model at the cache's position
    /// and returns the logits of each row's last position (`batch × vocab`).
    pub fn forward(&self, tokens: &[u32], batch: usize, cache: &mut KvCache) -> Result<Tensor> {
        let c = &self.config;
        let seq = tokens.len() / batch.max(1);
        if batch == 0 || seq == 0 || seq * batch != tokens.len() {
            candle_core::bail!("{} tokens do not fill a batch of {batch}", tokens.len());
        }
        if cache.batch() != batch {
            candle_core::bail!("the cache holds {} rows, not {batch}", cache.batch());
        }
        let pos = cache.len;
        if pos + seq > cache.capacity {
            candle_core::bail!(
                "{} positions do not fit the cache of {}",
                pos + seq,
                cache.capacity
            );
        }
        let kv_len = pos + seq;
        let groups = c.heads / c.kv_heads;
        let q_width = c.heads * c.head_dim;
        let kv_width = c.kv_heads * c.head_dim;
        let cos = self.cos.narrow(0, pos, seq)?;
        let sin = self.sin.narrow(0, pos, seq)?;
        // Rows of one KV head's attention are (query head in group, position): position i may
        // see keys 0..=pos+i.
        let mask = if seq > 1 {
            let row: Vec<f32> = (0..groups * seq)
                .flat_map(|r| {
                    let i = r % seq;
                    (0..kv_len).map(move |j| if j > pos + i { f32::NEG_INFINITY } else { 0.0 })
                })
                .collect();
            Some(Tensor::from_vec(row, (groups * seq, kv_len), &self.device)?)
        } else {
            None
        };
        let scale = 1.0 / (c.head_dim as f64).sqrt();
        let mut x = self.embed(tokens)?.reshape((batch, seq, c.embedding))?;
        for (layer, (k_cache, v_cache)) in self
            .layers
            .iter()
            .zip(cache.keys.iter().zip(cache.values.iter()))
        {
            let h = candle_nn::ops::rms_norm(&x, &layer.attn_norm, c.rms_eps)?;
            let qkv = layer.qkv.forward(&h)?;
            let q = qkv
                .narrow(D::Minus1, 0, q_width)?
                .reshape((batch, seq, c.heads, c.head_dim))?
                .transpose(1, 2)?
                .contiguous()?;
            let k = qkv
                .narrow(D::Minus1, q_width, kv_width)?
                .reshape((batch, seq, c.kv_heads, c.head_dim))?
                .transpose(1, 2)?
                .contiguous()?;
            let v = qkv
                .narrow(D::Minus1, q_width + kv_width, kv_width)?
                .reshape((batch, seq, c.kv_heads, c.head_dim))?
                .transpose(1, 2)?
                .contiguous()?;
            let q = candle_nn::rotary_emb::rope_i(&q, &cos, &sin)?;
            let k = candle_nn::rotary_emb::rope_i(&k, &cos, &sin)?;
            k_cache.slice_set(&k, 2, pos)?;
            v_cache.slice_set(&v, 2, pos)?;
            let y = if seq == 1 {
                decode_attention(&q, k_cache, v_cache, kv_len, groups, scale as f32)?
                    .reshape((batch, 1, q_width))?
            } else {
                let keys = k_cache.narrow(2, 0, kv_len)?;
                let values = v_cache.narrow(2, 0, kv_len)?;
                // (batch, kv_heads, groups·seq, head_dim): a KV head's query heads as rows.
                let q = q.reshape((batch, c.kv_heads, groups * seq, c.head_dim))?;
                let att = (q.matmul(&keys.t()?)? * scale)?;
                let att = match &mask {
                    Some(mask) => att.broadcast_add(mask)?,
                    None => att,
                };
                let att = candle_nn::ops::softmax_last_dim(&att)?;
                att.matmul(&values)?
                    .reshape((batch, c.heads, seq, c.head_dim))?
                    .transpose(1, 2)?
                    .reshape((batch, seq, q_width))?
            };
            x = (layer.out.forward(&y)? + x)?;
            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, c.rms_eps)?;
            let gate_up = layer.gate_up.forward(&h)?;
            let hidden = gate_up.dim(D::Minus1)? / 2;
            let gate = gate_up.narrow(D::Minus1, 0, hidden)?;
            let up = gate_up.narrow(D::Minus1, hidden, hidden)?;
            let act = (candle_nn::ops::silu(&gate)? * up)?;
            x = (layer.down.forward(&act)? + x)?;
        }
        cache.len = kv_len;
        let last = x.i((.., seq - 1, ..))?.contiguous()?;
        let last = candle_nn::ops::rms_norm(&last, &self.norm, c.rms_eps)?;
        self.output.forward(&last)
    }
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

/// The f32 data of a contiguous CPU tensor.
fn cpu_slice<'a>(
    storage: &'a candle_core::Storage,
    layout: &candle_core::Layout,
) -> Result<&'a [f32]> {
    match storage {
        candle_core::Storage::Cpu(cpu) if layout.is_contiguous() => {
            let data = cpu.as_slice::<f32>()?;
            Ok(&data[layout.start_offset()..layout.start_offset() + layout.shape().elem_count()])
        }
        _ => candle_core::bail!("expected a contiguous f32 tensor on the CPU"),
    }
}

/// Attention of one new position per row (decoding), read straight from the cache: each query
/// head against the first `len` keys and values of its KV head. candle's general matrix
/// product packs the whole key block on every call, which cost a third of decoding time at
/// 700 tokens of context.
fn decode_attention(
    q: &Tensor,
    keys: &Tensor,
    values: &Tensor,
    len: usize,
    groups: usize,
    scale: f32,
) -> Result<Tensor> {
    let (batch, heads, _, d) = q.dims4()?;
    let (_, kv_heads, capacity, _) = keys.dims4()?;
    let q = q.contiguous()?;
    let (qs, ql) = q.storage_and_layout();
    let (ks, kl) = keys.storage_and_layout();
    let (vs, vl) = values.storage_and_layout();
    let (qd, kd, vd) = (
        cpu_slice(&qs, ql)?,
        cpu_slice(&ks, kl)?,
        cpu_slice(&vs, vl)?,
    );
    let mut out = vec![0f32; batch * heads * d];
    let head = |(i, out): (usize, &mut [f32])| {
        let (b, h) = (i / heads, i % heads);
        let query = &qd[i * d..(i + 1) * d];
        let base = (b * kv_heads + h / groups) * capacity * d;
        let mut scores: Vec<f32> = (0..len)
            .map(|t| {
                let key = &kd[base + t * d..base + (t + 1) * d];
                dot_f32(query, key) * scale
            })
            .collect();
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut total = 0f32;
        for s in scores.iter_mut() {
            *s = (*s - max).exp();
            total += *s;
        }
        for (t, s) in scores.iter().enumerate() {
            let weight = s / total;
            let value = &vd[base + t * d..base + (t + 1) * d];
            for (o, v) in out.iter_mut().zip(value) {
                *o += weight * v;
            }
        }
    };
    use rayon::prelude::*;
    if len >= 256 && rayon::current_num_threads() > 1 {
        out.par_chunks_mut(d).enumerate().for_each(head);
    } else {
        out.chunks_mut(d).enumerate().for_each(head);
    }
    drop((qs, ks, vs));
    Tensor::from_vec(out, (batch, heads, 1, d), q.device())
}

fn rope_tables(c: &LlamaConfig, device: &Device) -> Result<(Tensor, Tensor)> {
    let half = c.head_dim / 2;
    let theta: Vec<f32> = (0..half)
        .map(|i| 1.0 / c.rope_base.powf(2.0 * i as f32 / c.head_dim as f32))
        .collect();
    let mut cos = Vec::with_capacity(c.context_length * half);
    let mut sin = Vec::with_capacity(c.context_length * half);
    for p in 0..c.context_length {
        for t in &theta {
            let angle = p as f32 * t;
            cos.push(angle.cos());
            sin.push(angle.sin());
        }
    }
    Ok((
        Tensor::from_vec(cos, (c.context_length, half), device)?,
        Tensor::from_vec(sin, (c.context_length, half), device)?,
    ))
}
