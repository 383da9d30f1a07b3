//! BERT's forward pass for one text, on plain slices: what a search query is embedded with.
//!
//! A query is a dozen or two word pieces. For so few rows, candle's general matrix product
//! spends most of its time packing each layer's weights into blocks, again for every query
//! (its `pack_lhs` was half of a query's profile). Here the weights are packed once, at load,
//! in the order the product reads them, and each layer's outputs are shared out among the
//! cores. The arithmetic is candle's (erf GELU, layer norm in `f32`, softmax over the keys);
//! only the order of the sums differs, which moves an embedding by about 1e-7.

use candle_core::Tensor;
use candle_nn::VarBuilder;
use candle_transformers::models::bert::Config;
use pulp::{Arch, Simd, WithSimd};
use rayon::prelude::*;

/// A linear layer, `y = x Wᵀ + b`, its weight packed once at load into tiles as wide as the
/// machine's vector registers: each tile's weights input by input, contiguous, so that a
/// product reads the weights once, in order, and each step is one vector multiply-add per
/// token with that token's input broadcast. The products are written with `pulp` (the SIMD
/// layer of candle's own `gemm`): left to itself, the compiler vectorized across the tokens,
/// with gathers, and ran ten times slower.
struct Linear {
    packed: Vec<f32>,
    bias: Vec<f32>,
    inputs: usize,
    lanes: usize,
    arch: Arch,
}

/// Tiles computed by one task: enough work to be worth a thread, few enough that the cores of
/// a small machine share every layer evenly.
const TILES_PER_TASK: usize = 4;

/// Tokens multiplied at once (their accumulators stay in registers).
const GROUP: usize = 8;

/// The `f32` lanes of the machine's vectors, as `pulp` runs them.
struct Lanes;

impl WithSimd for Lanes {
    type Output = usize;

    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) -> usize {
        std::mem::size_of::<S::f32s>() / std::mem::size_of::<f32>()
    }
}

impl Linear {
    /// The layers at `parts` (each `outputs` × `inputs`) as one: their outputs one after
    /// another (query, key and value as one product), or a single layer.
    fn load(parts: &[VarBuilder], inputs: usize, outputs: usize) -> candle_core::Result<Linear> {
        let mut weight = Vec::with_capacity(parts.len() * outputs * inputs);
        let mut bias = Vec::with_capacity(parts.len() * outputs);
        for vb in parts {
            weight.extend(flat(vb.get((outputs, inputs), "weight")?)?);
            bias.extend(flat(vb.get(outputs, "bias")?)?);
        }
        Ok(Linear::pack(&weight, bias, inputs))
    }

    /// Packs `weight` (one row of `inputs` values per output).
    fn pack(weight: &[f32], bias: Vec<f32>, inputs: usize) -> Linear {
        let arch = Arch::new();
        let lanes = arch.dispatch(Lanes).max(1);
        let outputs = bias.len();
        let mut packed = vec![0f32; outputs.div_ceil(lanes) * inputs * lanes];
        for (o, row) in weight.chunks_exact(inputs).enumerate() {
            let tile = &mut packed[o / lanes * inputs * lanes..];
            for (i, w) in row.iter().enumerate() {
                tile[i * lanes + o % lanes] = *w;
            }
        }
        Linear {
            packed,
            bias,
            inputs,
            lanes,
            arch,
        }
    }

    /// `x` (rows of `inputs` values) through the layer: rows of `outputs` values.
    fn forward(&self, x: &[f32]) -> Vec<f32> {
        let (inputs, lanes) = (self.inputs, self.lanes);
        let rows = x.len() / inputs;
        let outputs = self.bias.len();
        // The tokens transposed in groups: input by input, the group's values side by side
        // (a short last group padded with zeros).
        let groups: Vec<Vec<[f32; GROUP]>> = x
            .chunks(GROUP * inputs)
            .map(|group| {
                let mut t = vec![[0f32; GROUP]; inputs];
                for (k, token) in group.chunks_exact(inputs).enumerate() {
                    for (i, v) in token.iter().enumerate() {
                        t[i][k] = *v;
                    }
                }
                t
            })
            .collect();
        let padded = groups.len() * GROUP;
        // Tile by tile: for each tile, each token's `lanes` outputs.
        let tile_out = padded * lanes;
        let mut by_tile = vec![0f32; outputs.div_ceil(lanes) * tile_out];
        by_tile
            .par_chunks_mut(TILES_PER_TASK * tile_out)
            .zip(self.packed.par_chunks(TILES_PER_TASK * inputs * lanes))
            .for_each(|(out, packed)| {
                for (out, tile) in out.chunks_mut(tile_out).zip(packed.chunks(inputs * lanes)) {
                    for (g, (out, group)) in out.chunks_mut(GROUP * lanes).zip(&groups).enumerate()
                    {
                        let tokens = (rows - g * GROUP).min(GROUP);
                        self.multiply(tile, group, &mut out[..tokens * lanes]);
                    }
                }
            });
        let mut y = vec![0f32; rows * outputs];
        for (o, b) in self.bias.iter().enumerate() {
            let tile = &by_tile[o / lanes * tile_out..];
            for t in 0..rows {
                y[t * outputs + o] = tile[t * lanes + o % lanes] + b;
            }
        }
        y
    }

    /// One tile's outputs for the first `out.len() / lanes` tokens of a group (a kernel for
    /// each count: a short last group costs only its tokens).
    fn multiply(&self, tile: &[f32], group: &[[f32; GROUP]], out: &mut [f32]) {
        let arch = self.arch;
        match out.len() / self.lanes {
            1 => arch.dispatch(Multiply::<1> { tile, group, out }),
            2 => arch.dispatch(Multiply::<2> { tile, group, out }),
            3 => arch.dispatch(Multiply::<3> { tile, group, out }),
            4 => arch.dispatch(Multiply::<4> { tile, group, out }),
            5 => arch.dispatch(Multiply::<5> { tile, group, out }),
            6 => arch.dispatch(Multiply::<6> { tile, group, out }),
            7 => arch.dispatch(Multiply::<7> { tile, group, out }),
            _ => arch.dispatch(Multiply::<GROUP> { tile, group, out }),
        }
    }
}

/// One tile's outputs for the first `T` tokens of a group: for each input, the tile's weights
/// times each token's value, added up; `out` gets each token's `lanes` sums in turn.
struct Multiply<'a, const T: usize> {
    tile: &'a [f32],
    group: &'a [[f32; GROUP]],
    out: &'a mut [f32],
}

impl<const T: usize> WithSimd for Multiply<'_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let (weights, _) = S::as_simd_f32s(self.tile);
        let mut acc = [simd.splat_f32s(0.0); T];
        for (w, x) in weights.iter().zip(self.group) {
            for k in 0..T {
                acc[k] = simd.mul_add_f32s(simd.splat_f32s(x[k]), *w, acc[k]);
            }
        }
        let (out, _) = S::as_mut_simd_f32s(self.out);
        for (o, a) in out.iter_mut().zip(acc) {
            *o = a;
        }
    }
}

/// Layer normalisation's scale and shift.
struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Norm {
    fn load(vb: &VarBuilder, size: usize) -> candle_core::Result<Norm> {
        // Older checkpoints name them gamma and beta, as candle-nn accepts.
        let (w, b) = if vb.contains_tensor("weight") {
            ("weight", "bias")
        } else {
            ("gamma", "beta")
        };
        Ok(Norm {
            weight: flat(vb.get(size, w)?)?,
            bias: flat(vb.get(size, b)?)?,
        })
    }

    /// Normalises each row of `x` in place.
    fn apply(&self, x: &mut [f32], eps: f32) {
        let size = self.weight.len();
        for row in x.chunks_exact_mut(size) {
            let mean = row.iter().sum::<f32>() / size as f32;
            let variance = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / size as f32;
            let scale = 1.0 / (variance + eps).sqrt();
            for ((v, w), b) in row.iter_mut().zip(&self.weight).zip(&self.bias) {
                *v = (*v - mean) * scale * w + b;
            }
        }
    }
}

/// One encoder layer.
struct Layer {
    qkv: Linear,
    attention_out: Linear,
    attention_norm: Norm,
    up: Linear,
    down: Linear,
    norm: Norm,
}

/// The model, ready for one text at a time.
pub(crate) struct DirectBert {
    hidden: usize,
    heads: usize,
    eps: f32,
    word: Vec<f32>,
    position: Vec<f32>,
    token_type: Vec<f32>,
    norm: Norm,
    layers: Vec<Layer>,
}

fn flat(t: Tensor) -> candle_core::Result<Vec<f32>> {
    t.flatten_all()?.to_vec1::<f32>()
}

impl DirectBert {
    /// The weights of `vb` (a BERT checkpoint, with or without the `bert.` prefix).
    pub fn load(vb: &VarBuilder, config: &Config) -> candle_core::Result<DirectBert> {
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb.clone()
        };
        let (h, inner) = (config.hidden_size, config.intermediate_size);
        if config.num_attention_heads == 0 || h % config.num_attention_heads != 0 {
            candle_core::bail!(
                "{} attention heads do not divide {h} dimensions",
                config.num_attention_heads
            );
        }
        let e = vb.pp("embeddings");
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{i}"));
            let a = l.pp("attention");
            let qkv = ["query", "key", "value"].map(|n| a.pp("self").pp(n));
            layers.push(Layer {
                qkv: Linear::load(&qkv, h, h)?,
                attention_out: Linear::load(&[a.pp("output.dense")], h, h)?,
                attention_norm: Norm::load(&a.pp("output.LayerNorm"), h)?,
                up: Linear::load(&[l.pp("intermediate.dense")], h, inner)?,
                down: Linear::load(&[l.pp("output.dense")], inner, h)?,
                norm: Norm::load(&l.pp("output.LayerNorm"), h)?,
            });
        }
        let token_type = flat(e.get((config.type_vocab_size, h), "token_type_embeddings.weight")?)?;
        Ok(DirectBert {
            hidden: h,
            heads: config.num_attention_heads,
            eps: config.layer_norm_eps as f32,
            word: flat(e.get((config.vocab_size, h), "word_embeddings.weight")?)?,
            position: flat(e.get(
                (config.max_position_embeddings, h),
                "position_embeddings.weight",
            )?)?,
            token_type: token_type[..h].to_vec(),
            norm: Norm::load(&e.pp("LayerNorm"), h)?,
            layers,
        })
    }

    /// The last layer's hidden states of the word pieces `ids` (token type 0, no padding):
    /// `ids.len()` rows of `hidden` values.
    pub fn forward(&self, ids: &[u32]) -> candle_core::Result<Vec<f32>> {
        let h = self.hidden;
        if ids.is_empty() {
            // A tokenizer without special tokens may give nothing: no rows, no products.
            return Ok(Vec::new());
        }
        if ids.len() > self.position.len() / h {
            candle_core::bail!("{} word pieces exceed the model's positions", ids.len());
        }
        let mut x = Vec::with_capacity(ids.len() * h);
        for (t, &id) in ids.iter().enumerate() {
            let Some(word) = self.word.get(id as usize * h..(id as usize + 1) * h) else {
                candle_core::bail!("word piece {id} is outside the vocabulary");
            };
            let position = &self.position[t * h..(t + 1) * h];
            x.extend(
                word.iter()
                    .zip(position)
                    .zip(&self.token_type)
                    .map(|((w, p), k)| w + k + p),
            );
        }
        self.norm.apply(&mut x, self.eps);
        for layer in &self.layers {
            let context = self.attention(&layer.qkv.forward(&x), ids.len());
            let mut attended = layer.attention_out.forward(&context);
            for (a, r) in attended.iter_mut().zip(&x) {
                *a += r;
            }
            layer.attention_norm.apply(&mut attended, self.eps);
            let mut up = layer.up.forward(&attended);
            up.par_chunks_mut(1024).for_each(|chunk| {
                for v in chunk {
                    *v = (candle_core::cpu::erf::erf_f32(*v * std::f32::consts::FRAC_1_SQRT_2)
                        + 1.)
                        * 0.5
                        * *v;
                }
            });
            x = layer.down.forward(&up);
            for (a, r) in x.iter_mut().zip(&attended) {
                *a += r;
            }
            layer.norm.apply(&mut x, self.eps);
        }
        Ok(x)
    }

    /// Self-attention over `n` tokens whose rows are query, key and value side by side.
    fn attention(&self, qkv: &[f32], n: usize) -> Vec<f32> {
        let h = self.hidden;
        let d = h / self.heads;
        let scale = 1.0 / (d as f32).sqrt();
        let row = |t: usize, part: usize, head: usize| {
            let at = t * 3 * h + part * h + head * d;
            &qkv[at..at + d]
        };
        let mut context = vec![0f32; n * h];
        let mut weights = vec![0f32; n];
        for head in 0..self.heads {
            for t in 0..n {
                let q = row(t, 0, head);
                for (s, w) in weights.iter_mut().enumerate() {
                    *w = crate::dot(q, row(s, 1, head)) * scale;
                }
                let max = weights.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut total = 0.0;
                for w in &mut weights {
                    *w = (*w - max).exp();
                    total += *w;
                }
                let out = &mut context[t * h + head * d..t * h + (head + 1) * d];
                for (s, w) in weights.iter().enumerate() {
                    for (o, v) in out.iter_mut().zip(row(s, 2, head)) {
                        *o += w / total * v;
                    }
                }
            }
        }
        context
    }
}
