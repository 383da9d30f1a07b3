//! Matrix products with weights in llama.cpp's (ggml's) formats, kept as they are in the GGUF
//! file: F32, F16, BF16, the 32-weight blocks Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and the 256-weight
//! super-blocks Q4_K, Q5_K, Q6_K.
//!
//! The arithmetic is ggml's CPU backend's. Each weight type multiplies activations of its
//! `vec_dot_type`, into which a product's input rows are converted once:
//!
//! | weights                | activations                                                     |
//! |------------------------|-----------------------------------------------------------------|
//! | F32                    | f32                                                             |
//! | F16                    | rounded to f16 (products and sums in f32)                       |
//! | BF16                   | rounded to bf16                                                 |
//! | Q4_0, Q5_0, Q8_0       | Q8_0: per 32, `d = amax/127` (stored as f16), `q = round(x/d)`  |
//! | Q4_1, Q5_1             | Q8_1: Q8_0 and `s = d·Σq` (f16), for the blocks' minimums       |
//! | Q4_K, Q5_K, Q6_K       | Q8_K: per 256, `d = -max/127` (f32), `q`, and sums of each 16   |
//!
//! so a Q4_1 block's dot product, for instance, is
//!
//! ```text
//!   Σ (d_x·q_x + m_x) · (d_y·q_y)  =  d_x·d_y · Σ q_x·q_y  +  m_x · s_y
//! ```
//!
//! with the integer sums exact. Activations are quantized as ggml-cpu's x86
//! `quantize_row_q8_0`/`quantize_row_q8_1` do (`127/amax` as the multiplier and
//! round-half-even, where the `_ref` code uses `1/d` and rounds halves away from zero: the two
//! differ only on exact ties) and as `quantize_row_q8_K_ref`.
//!
//! With AVX2 and FMA (module `avx2`, compiled when the build targets them, as
//! `.cargo/config.toml` makes it do on such a CPU) the float steps are those of llama.cpp's
//! CPU backend too, so results match it bit for bit where it uses the same algorithm:
//!
//! - Up to [`SMALL_BATCH`] rows (decoding, a few samples at a time), each output is one dot
//!   product as ggml's x86 `ggml_vec_dot_*` computes it (its integer lanes, float accumulators
//!   and final sums; four weight rows at a time, two for Q6_K, so that independent sums are
//!   in flight).
//!   Q4_0 rows are multiplied eight at a time with the arithmetic of ggml's repacked Q4_0
//!   kernels (`ggml_gemv_q4_0_8x8_q8_0`), which llama.cpp uses for Q4_0 on AVX2.
//! - Larger batches (prefill) go through the panels of `gemm`: eight weight rows unpacked to
//!   integer codes, a lane per output, one FMA per block and output. For Q4_0 and Q4_K this is
//!   the arithmetic of ggml's repacked batch kernels, which llama.cpp uses for them.
//!
//! Checked against llama-cpp-python 0.3.36's ggml (0.25.3) on an AVX-512 machine: every
//! quantized type equal bit for bit with `ggml_mul_mat` for 1–8 rows except Q4_K (llama.cpp
//! repacks it; these are `vec_dot`'s numbers), and Q4_0 and Q4_K for batches. Elsewhere the
//! results differ in the last bits: llama.cpp's batches of Q8_0/Q5_0/float types go through
//! llamafile's `sgemm`, of Q5_K/Q6_K through its AVX512-VNNI tiled kernel; its float `vec_dot`s
//! use 512-bit accumulators when the build has AVX-512 (these are the AVX2 ones).
//!
//! Decoding streams every weight from memory once per token, and the CPU's prefetchers stop
//! at each 4 KiB page: the one-row kernels ask for the weights 8 KiB ahead of those they
//! multiply (`avx2::ahead`), which llama.cpp does not; that, not the arithmetic, is what makes
//! Arbor's decoding faster than llama.cpp's (`benchmarks/RESULTS.md`).
//!
//! The portable kernels (module `portable`; `matmul_portable`, and every product without AVX2)
//! are ggml's scalar `*_generic` code: the same integers, float sums in another order.
//!
//! A [`QuantMatrix`] may stack parts of different types (a fused QKV matrix whose Q is Q5_0
//! and whose V is Q8_0): each part multiplies the activations of its own type.
//!
//! Work is spread over rayon's pool: tasks take a band of at most 64 activation rows and a
//! range of output columns (weight rows). Decoding (one row) thus splits the columns; prefill
//! splits both. Results do not depend on the split (nor on the number of threads).

use rayon::prelude::*;
use std::fmt;
use std::ops::Range;

mod act;
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
#[allow(unsafe_code)]
mod avx2;
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
#[allow(unsafe_code)]
mod gemm;
mod portable;
#[cfg(test)]
mod tests;

use act::{ActKind, Acts};

/// Weights per block of the 32-weight types (Q4_0 … Q8_0).
pub const BLOCK: usize = 32;
/// Weights per super-block of the K types (Q4_K, Q5_K, Q6_K).
pub const QK_K: usize = 256;

/// The weight types multiplied here, named as llama.cpp names them.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantType {
    /// 32-bit floats.
    F32,
    /// IEEE half floats.
    F16,
    /// bfloat16.
    BF16,
    /// f16 `d`, 16 bytes of 4-bit `q`: weight `d·(q − 8)` (18 bytes per 32 weights).
    Q4_0,
    /// f16 `d` and `m`, 16 bytes of 4-bit `q`: weight `d·q + m` (20 bytes per 32).
    Q4_1,
    /// f16 `d`, 32 high bits, 16 bytes of low nibbles: weight `d·(q − 16)` (22 bytes per 32).
    Q5_0,
    /// f16 `d` and `m`, 32 high bits, 16 bytes of nibbles: `d·q + m` (24 bytes per 32).
    Q5_1,
    /// f16 `d`, 32 signed bytes: weight `d·q` (34 bytes per 32).
    Q8_0,
    /// f16 `d` and `dmin`, 8 pairs of 6-bit scales and minimums, 4-bit `q`: weight
    /// `d·sc·q − dmin·m` per 32 (144 bytes per 256).
    Q4_K,
    /// As Q4_K with a fifth bit per weight (176 bytes per 256).
    Q5_K,
    /// 6-bit `q` (low nibbles and high pairs), 16 signed 8-bit scales, f16 `d`: weight
    /// `d·sc·(q − 32)` per 16 (210 bytes per 256).
    Q6_K,
}

impl QuantType {
    /// Every type, in ggml's order.
    pub const ALL: [QuantType; 11] = [
        QuantType::F32,
        QuantType::F16,
        QuantType::BF16,
        QuantType::Q4_0,
        QuantType::Q4_1,
        QuantType::Q5_0,
        QuantType::Q5_1,
        QuantType::Q8_0,
        QuantType::Q4_K,
        QuantType::Q5_K,
        QuantType::Q6_K,
    ];

    /// The type of a GGUF tensor, when it is one of these.
    pub fn from_ggml(dtype: candle_core::quantized::GgmlDType) -> Option<QuantType> {
        use candle_core::quantized::GgmlDType as G;
        Some(match dtype {
            G::F32 => QuantType::F32,
            G::F16 => QuantType::F16,
            G::BF16 => QuantType::BF16,
            G::Q4_0 => QuantType::Q4_0,
            G::Q4_1 => QuantType::Q4_1,
            G::Q5_0 => QuantType::Q5_0,
            G::Q5_1 => QuantType::Q5_1,
            G::Q8_0 => QuantType::Q8_0,
            G::Q4K => QuantType::Q4_K,
            G::Q5K => QuantType::Q5_K,
            G::Q6K => QuantType::Q6_K,
            _ => return None,
        })
    }

    /// Weights per block: 1 for the float types, 32 or 256.
    pub fn block_weights(self) -> usize {
        match self {
            QuantType::F32 | QuantType::F16 | QuantType::BF16 => 1,
            QuantType::Q4_0
            | QuantType::Q4_1
            | QuantType::Q5_0
            | QuantType::Q5_1
            | QuantType::Q8_0 => BLOCK,
            QuantType::Q4_K | QuantType::Q5_K | QuantType::Q6_K => QK_K,
        }
    }

    /// Bytes per block in a GGUF file.
    pub fn block_bytes(self) -> usize {
        match self {
            QuantType::F32 => 4,
            QuantType::F16 | QuantType::BF16 => 2,
            QuantType::Q4_0 => 18,
            QuantType::Q4_1 => 20,
            QuantType::Q5_0 => 22,
            QuantType::Q5_1 => 24,
            QuantType::Q8_0 => 34,
            QuantType::Q4_K => 144,
            QuantType::Q5_K => 176,
            QuantType::Q6_K => 210,
        }
    }

    /// The name llama.cpp gives the type ("Q4_K", "F16", …).
    pub fn name(self) -> &'static str {
        match self {
            QuantType::F32 => "F32",
            QuantType::F16 => "F16",
            QuantType::BF16 => "BF16",
            QuantType::Q4_0 => "Q4_0",
            QuantType::Q4_1 => "Q4_1",
            QuantType::Q5_0 => "Q5_0",
            QuantType::Q5_1 => "Q5_1",
            QuantType::Q8_0 => "Q8_0",
            QuantType::Q4_K => "Q4_K",
            QuantType::Q5_K => "Q5_K",
            QuantType::Q6_K => "Q6_K",
        }
    }

    /// The activations this type multiplies (ggml's `vec_dot_type`).
    fn act_kind(self) -> ActKind {
        match self {
            QuantType::F32 => ActKind::F32,
            QuantType::F16 => ActKind::F16,
            QuantType::BF16 => ActKind::BF16,
            QuantType::Q4_0
            | QuantType::Q4_1
            | QuantType::Q5_0
            | QuantType::Q5_1
            | QuantType::Q8_0 => ActKind::Q8,
            QuantType::Q4_K | QuantType::Q5_K | QuantType::Q6_K => ActKind::Q8K,
        }
    }

    /// Activation rows one kernel call multiplies with a weight row (it decodes the weights
    /// once for them): four for the quantized types, two for the float ones (their kernels
    /// keep four accumulators per row, as ggml's do).
    fn group(self) -> usize {
        match self.act_kind() {
            ActKind::F32 | ActKind::F16 | ActKind::BF16 => 2,
            ActKind::Q8 | ActKind::Q8K => GROUP,
        }
    }
}

impl QuantType {
    /// Weight rows one kernel call multiplies with `g` activation rows: four with one, two
    /// with two, so that decoding keeps four independent accumulators in flight (each row's
    /// sum is still accumulated as ggml accumulates it); one for the float types.
    fn columns(self, g: usize) -> usize {
        match (self.act_kind(), g) {
            (ActKind::F32 | ActKind::F16 | ActKind::BF16, _) => 1,
            // Q6_K's kernel keeps fewer registers free: two rows at a time do better.
            (_, 1) if self == QuantType::Q6_K => 2,
            (_, 1) => 4,
            (_, 2) => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for QuantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Rows of one type: the raw bytes of a GGUF tensor.
#[derive(Clone)]
struct Part {
    kind: QuantType,
    /// Its first row in the matrix.
    first: usize,
    rows: usize,
    row_bytes: usize,
    data: Vec<u8>,
}

impl Part {
    fn row(&self, j: usize) -> &[u8] {
        &self.data[j * self.row_bytes..(j + 1) * self.row_bytes]
    }
}

impl fmt::Debug for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Part")
            .field("kind", &self.kind)
            .field("first", &self.first)
            .field("rows", &self.rows)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// An `n × k` matrix of weights in ggml formats (row `j` holds the weights of output `j`),
/// possibly stacked from parts of different types.
#[derive(Debug, Clone)]
pub struct QuantMatrix {
    n: usize,
    k: usize,
    parts: Vec<Part>,
}

/// Activation rows per kernel call, at most.
const GROUP: usize = 4;
/// Activation rows up to which a product is done as one-row dot products, exactly as ggml's
/// `vec_dot` kernels compute them (decoding, a few samples at a time); larger batches go
/// through the panels of `gemm`.
pub const SMALL_BATCH: usize = 8;
/// Activation rows per task, at most: each weight panel or tile is unpacked or brought to L1
/// once for all of them.
const MAX_BAND: usize = 256;
/// Bytes of weight rows multiplied with one group of activation rows before the next group
/// (they stay in L1 for all the groups).
const TILE_BYTES: usize = 16 * 1024;
/// Tasks per thread when the columns are split (for balance on a shared machine).
const TASKS_PER_THREAD: usize = 4;
/// Output columns per task, at least.
const MIN_COLUMNS: usize = 16;

impl QuantMatrix {
    /// `n` rows of `k` weights from the raw bytes of a GGUF tensor; an error when `k` is not
    /// whole blocks or the byte count is wrong.
    pub fn from_ggml(
        kind: QuantType,
        bytes: &[u8],
        n: usize,
        k: usize,
    ) -> Result<QuantMatrix, String> {
        QuantMatrix::from_ggml_vec(kind, bytes.to_vec(), n, k)
    }

    /// [`QuantMatrix::from_ggml`] taking the bytes as they were read (no copy: a model's
    /// largest tensor is not held twice while it loads).
    pub fn from_ggml_vec(
        kind: QuantType,
        bytes: Vec<u8>,
        n: usize,
        k: usize,
    ) -> Result<QuantMatrix, String> {
        let bw = kind.block_weights();
        if k == 0 || !k.is_multiple_of(bw) {
            return Err(format!(
                "a row of {k} weights is not whole {} blocks of {bw}",
                kind.name()
            ));
        }
        let row_bytes = k / bw * kind.block_bytes();
        let expected = n.checked_mul(row_bytes).ok_or("matrix too large")?;
        if bytes.len() != expected {
            return Err(format!(
                "{} bytes for a {n}×{k} {} matrix (expected {expected})",
                bytes.len(),
                kind.name()
            ));
        }
        Ok(QuantMatrix {
            n,
            k,
            parts: vec![Part {
                kind,
                first: 0,
                rows: n,
                row_bytes,
                data: bytes,
            }],
        })
    }

    /// One matrix whose rows are those of `parts` in order. The parts must have the same
    /// number of columns and may have different types; nothing is requantized or copied.
    pub fn stack(parts: Vec<QuantMatrix>) -> Result<QuantMatrix, String> {
        let k = match parts.first() {
            Some(first) => first.k,
            None => return Err("no matrices to stack".into()),
        };
        if let Some(other) = parts.iter().find(|m| m.k != k) {
            return Err(format!("stacked matrices have {k} and {} columns", other.k));
        }
        let mut n = 0;
        let mut all = Vec::new();
        for m in parts {
            for mut part in m.parts {
                part.first = n;
                n += part.rows;
                all.push(part);
            }
        }
        Ok(QuantMatrix { n, k, parts: all })
    }

    /// Rows (outputs).
    pub fn rows(&self) -> usize {
        self.n
    }

    /// Columns (inputs).
    pub fn cols(&self) -> usize {
        self.k
    }

    /// The types of its parts, in order (one for a matrix that was not stacked).
    pub fn kinds(&self) -> Vec<QuantType> {
        self.parts.iter().map(|p| p.kind).collect()
    }

    /// Bytes the weights take.
    pub fn bytes(&self) -> usize {
        self.parts.iter().map(|p| p.data.len()).sum()
    }

    fn part_of(&self, j: usize) -> &Part {
        let i = self.parts.partition_point(|p| p.first + p.rows <= j);
        &self.parts[i]
    }

    /// Row `j`'s weights dequantized into `out[..k]`, exactly as ggml dequantizes them.
    pub fn dequantize_row(&self, j: usize, out: &mut [f32]) {
        assert!(j < self.n, "row {j} of a matrix of {} rows", self.n);
        assert!(
            out.len() >= self.k,
            "{} values for a row of {}",
            out.len(),
            self.k
        );
        let part = self.part_of(j);
        portable::dequantize(part.kind, part.row(j - part.first), &mut out[..self.k]);
    }

    /// `x · Wᵀ` for `x` of `rows × k` (row-major): `rows × n`. The activations are quantized
    /// once per activation type the parts need.
    pub fn matmul(&self, x: &[f32]) -> Vec<f32> {
        self.product(x, !SIMD)
    }

    /// The same product with the portable kernels only (to test the SIMD ones against).
    pub fn matmul_portable(&self, x: &[f32]) -> Vec<f32> {
        self.product(x, true)
    }

    fn product(&self, x: &[f32], portable: bool) -> Vec<f32> {
        let (n, k) = (self.n, self.k);
        assert!(
            x.len().is_multiple_of(k),
            "{} inputs are not rows of {k}",
            x.len()
        );
        let rows = x.len() / k;
        let mut out = vec![0f32; rows * n];
        if rows == 0 || n == 0 {
            return out;
        }
        let threads = rayon::current_num_threads().max(1);
        let mut kinds: Vec<ActKind> = self.parts.iter().map(|p| p.kind.act_kind()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let acts = Acts::new(x, k, &kinds, threads > 1, portable);

        // Bands of whole groups of 4 rows: only the product's last group may be partial (the
        // batch kernels, like ggml's, treat those rows apart).
        let band = rows
            .div_ceil(rows.div_ceil(MAX_BAND))
            .next_multiple_of(GROUP);
        let bands = rows.div_ceil(band);
        let chunks = if threads == 1 {
            1
        } else {
            (TASKS_PER_THREAD * threads)
                .div_ceil(bands)
                .min(n.div_ceil(MIN_COLUMNS))
                .max(1)
        };
        if chunks == 1 {
            // Whole output rows per task: write them in place.
            let task = |(b, chunk): (usize, &mut [f32])| {
                let first = b * band;
                let r = first..first + chunk.len() / n;
                self.tile(&acts, r, 0..n, chunk, portable);
            };
            if threads > 1 && bands > 1 {
                out.par_chunks_mut(band * n).enumerate().for_each(task);
            } else {
                out.chunks_mut(band * n).enumerate().for_each(task);
            }
            return out;
        }
        // Whole groups of 8 columns per task (the panels, and the one-row kernels' groups).
        let width = n.div_ceil(chunks).next_multiple_of(8);
        let tasks: Vec<(Range<usize>, Range<usize>)> = (0..bands)
            .flat_map(|b| {
                let r = b * band..((b + 1) * band).min(rows);
                (0..n)
                    .step_by(width)
                    .map(move |c| (r.clone(), c..(c + width).min(n)))
            })
            .collect();
        let tiles: Vec<Vec<f32>> = tasks
            .par_iter()
            .map(|(r, c)| {
                let mut tile = vec![0f32; r.len() * c.len()];
                self.tile(&acts, r.clone(), c.clone(), &mut tile, portable);
                tile
            })
            .collect();
        for ((r, c), tile) in tasks.iter().zip(&tiles) {
            for (i, line) in tile.chunks_exact(c.len()).enumerate() {
                let at = (r.start + i) * n + c.start;
                out[at..at + c.len()].copy_from_slice(line);
            }
        }
        out
    }

    /// Outputs `rows × cols` into `out` (row-major, `cols.len()` wide).
    fn tile(
        &self,
        acts: &Acts,
        rows: Range<usize>,
        cols: Range<usize>,
        out: &mut [f32],
        portable: bool,
    ) {
        let width = cols.len();
        debug_assert_eq!(out.len(), rows.len() * width);
        for part in &self.parts {
            let lo = cols.start.max(part.first);
            let hi = cols.end.min(part.first + part.rows);
            if lo >= hi {
                continue;
            }
            let lo = if portable {
                lo
            } else {
                self.panels(part, acts, &rows, &cols, lo..hi, &mut *out)
            };
            if lo >= hi {
                continue;
            }
            let group = part.kind.group();
            // Whole groups of 4 weight rows, as many as fit in TILE_BYTES (at most 64).
            let tile = (TILE_BYTES / part.row_bytes).clamp(GROUP, 64) / GROUP * GROUP;
            for t in (lo..hi).step_by(tile) {
                let t_end = (t + tile).min(hi);
                let mut r = rows.start;
                while r < rows.end {
                    let g = group.min(rows.end - r);
                    // Output rows r.. of this tile.
                    let out = &mut out[(r - rows.start) * width..];
                    let at = |j: usize| j - cols.start;
                    if portable {
                        for j in t..t_end {
                            let w = part.row(j - part.first);
                            for i in 0..g {
                                out[i * width + at(j)] = portable::dot(part.kind, w, acts, r + i);
                            }
                        }
                    } else {
                        let c = part.kind.columns(g);
                        let whole = t + (t_end - t) / c * c;
                        let strip = Strip {
                            part,
                            acts,
                            first: r,
                            out,
                            width,
                            col0: cols.start,
                        };
                        simd_strip(strip, t..whole, c, g);
                        if whole < t_end {
                            let strip = Strip {
                                part,
                                acts,
                                first: r,
                                out: &mut *out,
                                width,
                                col0: cols.start,
                            };
                            simd_strip(strip, whole..t_end, 1, g);
                        }
                    }
                    r += g;
                }
            }
        }
    }
}

impl QuantMatrix {
    /// Batches (more than [`SMALL_BATCH`] rows) of the quantized types: weight rows `js` of
    /// `part` through panels of 8 rows (`gemm`), rows `8p..8p + 8` of the part whatever the
    /// task's columns (so that results do not depend on how the work is split); returns the
    /// first row left, in the part's last, partial group of 8.
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    ))]
    fn panels(
        &self,
        part: &Part,
        acts: &Acts,
        rows: &Range<usize>,
        cols: &Range<usize>,
        js: Range<usize>,
        out: &mut [f32],
    ) -> usize {
        let whole = part.first + part.rows / gemm::NR * gemm::NR;
        // Q4_0 in any batch: ggml's repacked kernels' arithmetic (one-row products too, as
        // llama.cpp repacks Q4_0 on AVX2); the other types in batches above SMALL_BATCH.
        let rows8 = cfg!(target_feature = "f16c")
            && part.kind == QuantType::Q4_0
            && rows.len() <= SMALL_BATCH;
        let batch = rows.len() > SMALL_BATCH && gemm::supports(part.kind);
        if !(batch || rows8) || js.start >= whole {
            return js.start;
        }
        let width = cols.len();
        let mut panel = gemm::Panel::default();
        let mut dots = [[0f32; gemm::NR]; gemm::MR];
        let mut j = js.start - (js.start - part.first) % gemm::NR;
        while j < whole.min(js.end) {
            if !rows8 {
                panel.unpack(part, j, self.k);
            }
            // This task's columns of the panel.
            let (lo, hi) = (j.max(js.start), (j + gemm::NR).min(js.end));
            for r in rows.clone().step_by(gemm::MR) {
                let g = gemm::MR.min(rows.end - r);
                if rows8 {
                    q4_0_rows(part, j - part.first, acts, r, g, &mut dots);
                } else {
                    panel.multiply(part.kind, acts, r, g, &mut dots);
                }
                for (i, dots) in dots[..g].iter().enumerate() {
                    let line = (r - rows.start + i) * width;
                    out[line + lo - cols.start..line + hi - cols.start]
                        .copy_from_slice(&dots[lo - j..hi - j]);
                }
            }
            j += gemm::NR;
        }
        whole.clamp(js.start, js.end)
    }

    /// Without AVX2 there are no panels.
    #[cfg(not(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    )))]
    fn panels(
        &self,
        _part: &Part,
        _acts: &Acts,
        _rows: &Range<usize>,
        _cols: &Range<usize>,
        js: Range<usize>,
        _out: &mut [f32],
    ) -> usize {
        js.start
    }
}

/// Q4_0 rows `j..j + 8` of `part` times activation rows `first..first + g` (g ≤ 4).
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma",
    target_feature = "f16c"
))]
fn q4_0_rows(
    part: &Part,
    j: usize,
    acts: &Acts,
    first: usize,
    g: usize,
    out: &mut [[f32; gemm::NR]; gemm::MR],
) {
    let (data, rb) = (&part.data[..], part.row_bytes);
    let row = |i: usize| acts.q8_row(first + i);
    match g {
        1 => out[..1].copy_from_slice(&gemm::q4_0_rows::<1>(data, rb, j, [row(0)])),
        2 => out[..2].copy_from_slice(&gemm::q4_0_rows::<2>(data, rb, j, [row(0), row(1)])),
        3 => out[..3].copy_from_slice(&gemm::q4_0_rows::<3>(data, rb, j, [row(0), row(1), row(2)])),
        _ => out.copy_from_slice(&gemm::q4_0_rows::<4>(
            data,
            rb,
            j,
            [row(0), row(1), row(2), row(3)],
        )),
    }
}

/// Without F16C, Q4_0 takes the one-row kernels; this is never called.
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma",
    not(target_feature = "f16c")
))]
fn q4_0_rows(
    _part: &Part,
    _j: usize,
    _acts: &Acts,
    _first: usize,
    _g: usize,
    _out: &mut [[f32; gemm::NR]; gemm::MR],
) {
    unreachable!("Q4_0 rows need F16C")
}

/// A SIMD kernel: `C` weight rows times `R` activation rows.
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
type Kernel<A, const C: usize, const R: usize> = fn(&[&[u8]; C], &[A; R]) -> [[f32; R]; C];

/// Weight rows of one part times a group of activation rows, into `out`.
struct Strip<'a, 'b> {
    part: &'a Part,
    acts: &'a Acts<'a>,
    /// The first activation row.
    first: usize,
    /// Output rows from `first`, `width` apart; weight row `j` in column `j - col0`.
    out: &'b mut [f32],
    width: usize,
    col0: usize,
}

impl Strip<'_, '_> {
    /// `kernel` over weight rows `js` (`C` at a time, `js.len()` a multiple of `C`).
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    ))]
    fn run<A, const C: usize, const R: usize>(
        self,
        js: Range<usize>,
        kernel: Kernel<A, C, R>,
        acts: [A; R],
    ) {
        for j in js.step_by(C) {
            let w: [&[u8]; C] = std::array::from_fn(|i| self.part.row(j + i - self.part.first));
            for (i, dots) in kernel(&w, &acts).iter().enumerate() {
                for (r, dot) in dots.iter().enumerate() {
                    self.out[r * self.width + j + i - self.col0] = *dot;
                }
            }
        }
    }
}

/// Whether `matmul` has SIMD kernels in this build.
pub const SIMD: bool = cfg!(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
));

/// Runs `avx2::$kernel::<C, R>` over a strip, `C` weight rows (4 with one activation row, 2
/// with two, else 1) and `R = g` activation rows `row(0..g)` at a time.
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
macro_rules! strip_call {
    ($kernel:ident, $strip:expr, $js:expr, $c:expr, $g:expr, $row:expr) => {{
        let (strip, js, row) = ($strip, $js, $row);
        match ($c, $g) {
            (4, 1) => strip.run(js, avx2::$kernel::<4, 1>, [row(0)]),
            (2, 2) => strip.run(js, avx2::$kernel::<2, 2>, [row(0), row(1)]),
            (2, 1) => strip.run(js, avx2::$kernel::<2, 1>, [row(0)]),
            (1, 1) => strip.run(js, avx2::$kernel::<1, 1>, [row(0)]),
            (1, 2) => strip.run(js, avx2::$kernel::<1, 2>, [row(0), row(1)]),
            (1, 3) => strip.run(js, avx2::$kernel::<1, 3>, [row(0), row(1), row(2)]),
            (1, 4) => strip.run(js, avx2::$kernel::<1, 4>, [row(0), row(1), row(2), row(3)]),
            shape => unreachable!("no kernel for {shape:?}"),
        }
    }};
}

/// Weight rows `js` of the strip's part times its `g` activation rows, `c` weight rows per
/// kernel call ([`QuantType::columns`]`(g)` or 1), SIMD kernels.
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
fn simd_strip(strip: Strip, js: Range<usize>, c: usize, g: usize) {
    let (acts, first, kind) = (strip.acts, strip.first, strip.part.kind);
    let q8 = |i: usize| acts.q8_row(first + i);
    let q8k = |i: usize| acts.q8k_row(first + i);
    let float = |i: usize| acts.float_row(kind.act_kind(), first + i);
    match kind {
        QuantType::Q4_0 => strip_call!(q4_0, strip, js, c, g, q8),
        QuantType::Q4_1 => strip_call!(q4_1, strip, js, c, g, q8),
        QuantType::Q5_0 => strip_call!(q5_0, strip, js, c, g, q8),
        QuantType::Q5_1 => strip_call!(q5_1, strip, js, c, g, q8),
        QuantType::Q8_0 => strip_call!(q8_0, strip, js, c, g, q8),
        QuantType::Q4_K => strip_call!(q4_k, strip, js, c, g, q8k),
        QuantType::Q5_K => strip_call!(q5_k, strip, js, c, g, q8k),
        QuantType::Q6_K => strip_call!(q6_k, strip, js, c, g, q8k),
        QuantType::F32 if g == 1 => strip.run(js, avx2::f32_dot::<1>, [float(0)]),
        QuantType::F32 => strip.run(js, avx2::f32_dot::<2>, [float(0), float(1)]),
        QuantType::BF16 if g == 1 => strip.run(js, avx2::bf16_dot::<1>, [float(0)]),
        QuantType::BF16 => strip.run(js, avx2::bf16_dot::<2>, [float(0), float(1)]),
        QuantType::F16 if g == 1 => strip.run(js, f16_dots::<1>, [float(0)]),
        QuantType::F16 => strip.run(js, f16_dots::<2>, [float(0), float(1)]),
    }
}

/// F16 rows: F16C converts the weights where the build has it.
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
fn f16_dots<const R: usize>(w: &[&[u8]; 1], a: &[&[f32]; R]) -> [[f32; R]; 1] {
    #[cfg(target_feature = "f16c")]
    {
        avx2::f16_dot::<R>(w, a)
    }
    #[cfg(not(target_feature = "f16c"))]
    {
        [a.map(|y| portable::f16_dot(w[0], y))]
    }
}

/// Without AVX2 and FMA `matmul` runs the portable kernels; this is never called.
#[cfg(not(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
)))]
fn simd_strip(strip: Strip, js: Range<usize>, _c: usize, g: usize) {
    for j in js {
        let w = strip.part.row(j - strip.part.first);
        for i in 0..g {
            strip.out[i * strip.width + j - strip.col0] =
                portable::dot(strip.part.kind, w, strip.acts, strip.first + i);
        }
    }
}
