//! Matrix products with Q4_1 and Q8_0 weights (llama.cpp's block formats; the default model's
//! layers are Q4_1: 32 weights as 4-bit `q` with an f16 scale `d` and minimum `m`, weight =
//! `d·q + m`; its embedding and output matrix is Q8_0: 32 signed bytes and a scale).
//!
//! candle multiplies Q4_1 with its scalar reference loop; converting to Q8_0 (which has a SIMD
//! kernel in candle) costs 1.7× the bytes, and decoding streams every weight once per token.
//! This module keeps the weights as they are and multiplies them with AVX2 kernels, the
//! counterparts of llama.cpp's `ggml_vec_dot_q4_1_q8_1` and `ggml_vec_dot_q8_0_q8_0`:
//! activations are quantized per block of 32 to 8 bits (a scale and, for Q4_1, the scaled sum
//! of the block), and a Q4_1 block's dot product is
//!
//! ```text
//!   Σ (d_x·q_x + m_x) · (d_y·q_y)  =  d_x·d_y · Σ q_x·q_y  +  m_x · (d_y · Σ q_y)
//! ```
//!
//! Doing the output matrix here too keeps candle's own thread pool, whose workers spin while
//! they wait, from competing with rayon's for the cores.
//!
//! Without AVX2 at compile time (the build targets the host CPU, see `.cargo/config.toml`) the
//! same arithmetic runs as portable code. Rows are spread over rayon's pool: output columns
//! when there is one activation row (decoding), activation rows otherwise (prefill).

use rayon::prelude::*;

/// Weights per block.
pub const BLOCK: usize = 32;
/// The block types with a kernel here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantType {
    /// f16 d, f16 m, 16 bytes of nibbles (20 bytes a block).
    Q4_1,
    /// f16 d, 32 signed bytes (34 bytes a block).
    Q8_0,
}

impl QuantType {
    /// Bytes per block in a GGUF file.
    pub fn block_bytes(self) -> usize {
        match self {
            QuantType::Q4_1 => 20,
            QuantType::Q8_0 => 34,
        }
    }
}

#[derive(Debug, Clone)]
enum Weights {
    /// 16 bytes of nibbles per block: the low nibble of byte `i` is weight `i`, the high
    /// nibble weight `i + 16`; scales and minimums per block.
    Q41 {
        qs: Vec<u8>,
        d: Vec<f32>,
        m: Vec<f32>,
    },
    /// 32 bytes per block and scales.
    Q80 { qs: Vec<i8>, d: Vec<f32> },
}

/// An `n × k` quantized matrix (row `j` holds the weights of output `j`).
#[derive(Debug, Clone)]
pub struct QuantMatrix {
    n: usize,
    k: usize,
    weights: Weights,
}

/// Activations quantized per block of 32 (llama.cpp's Q8_1).
struct Q81 {
    qs: Vec<i8>,
    /// Scale of each block.
    d: Vec<f32>,
    /// `d · Σ q` of each block.
    s: Vec<f32>,
}

fn quantize_row(x: &[f32], qs: &mut [i8], d: &mut [f32], s: &mut [f32]) {
    for (b, block) in x.chunks_exact(BLOCK).enumerate() {
        let amax = block.iter().fold(0f32, |a, v| a.max(v.abs()));
        let scale = amax / 127.0;
        let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
        let mut sum = 0i32;
        for (q, v) in qs[b * BLOCK..(b + 1) * BLOCK].iter_mut().zip(block) {
            *q = (v * inv).round() as i8;
            sum += *q as i32;
        }
        d[b] = scale;
        s[b] = scale * sum as f32;
    }
}

impl Q81 {
    fn quantize(x: &[f32], k: usize) -> Q81 {
        let rows = x.len() / k;
        let nb = k / BLOCK;
        let mut out = Q81 {
            qs: vec![0; x.len()],
            d: vec![0.0; rows * nb],
            s: vec![0.0; rows * nb],
        };
        for (r, row) in x.chunks_exact(k).enumerate() {
            quantize_row(
                row,
                &mut out.qs[r * k..(r + 1) * k],
                &mut out.d[r * nb..(r + 1) * nb],
                &mut out.s[r * nb..(r + 1) * nb],
            );
        }
        out
    }
}

/// One row of Q4_1 weights and one row of activations, as slices of whole blocks.
struct Row<'a> {
    qs: &'a [u8],
    d: &'a [f32],
    m: &'a [f32],
}

/// One row of Q8_0 weights.
struct Row8<'a> {
    qs: &'a [i8],
    d: &'a [f32],
}

struct Act<'a> {
    qs: &'a [i8],
    d: &'a [f32],
    s: &'a [f32],
}

/// The dot product of a weight row and an activation row, portable code.
fn dot_portable(w: &Row, y: &Act) -> f32 {
    let mut acc = 0f32;
    for b in 0..w.d.len() {
        let q = &w.qs[b * 16..b * 16 + 16];
        let a = &y.qs[b * BLOCK..(b + 1) * BLOCK];
        let mut sum = 0i32;
        for j in 0..16 {
            sum += (q[j] & 0x0F) as i32 * a[j] as i32 + (q[j] >> 4) as i32 * a[j + 16] as i32;
        }
        acc += w.d[b] * y.d[b] * sum as f32 + w.m[b] * y.s[b];
    }
    acc
}

/// The dot product of a Q8_0 row and an activation row, portable code.
fn dot8_portable(w: &Row8, y: &Act) -> f32 {
    let mut acc = 0f32;
    for b in 0..w.d.len() {
        let q = &w.qs[b * BLOCK..(b + 1) * BLOCK];
        let a = &y.qs[b * BLOCK..(b + 1) * BLOCK];
        let sum: i32 = q.iter().zip(a).map(|(&x, &y)| x as i32 * y as i32).sum();
        acc += w.d[b] * y.d[b] * sum as f32;
    }
    acc
}

#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
#[allow(unsafe_code)]
mod avx2 {
    use super::{Act, Row, Row8, BLOCK};
    use std::arch::x86_64::*;

    /// The dot product of a weight row and an activation row with AVX2.
    pub(super) fn dot(w: &Row, y: &Act) -> f32 {
        let nb = w.d.len();
        assert!(
            w.qs.len() >= nb * 16
                && w.m.len() >= nb
                && y.qs.len() >= nb * BLOCK
                && y.d.len() >= nb
                && y.s.len() >= nb
        );
        // SAFETY: AVX2 and FMA are enabled for the whole build (this module is compiled only
        // then), and every load reads 16 or 32 bytes inside the slices checked above.
        unsafe {
            let low = _mm256_set1_epi8(0x0F);
            let ones = _mm256_set1_epi16(1);
            let mut acc = _mm256_setzero_ps();
            let mut mins = 0f32;
            for b in 0..nb {
                let packed = _mm_loadu_si128(w.qs.as_ptr().add(b * 16) as *const __m128i);
                // Low nibbles are weights 0..16, high nibbles 16..32.
                let nibbles =
                    _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), low);
                let a = _mm256_loadu_si256(y.qs.as_ptr().add(b * BLOCK) as *const __m256i);
                let pairs = _mm256_maddubs_epi16(nibbles, a);
                let sums = _mm256_madd_epi16(pairs, ones);
                let scale = _mm256_set1_ps(*w.d.get_unchecked(b) * *y.d.get_unchecked(b));
                acc = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(sums), acc);
                mins += *w.m.get_unchecked(b) * *y.s.get_unchecked(b);
            }
            hsum(acc) + mins
        }
    }

    /// The dot product of a Q8_0 row and an activation row with AVX2.
    pub(super) fn dot8(w: &Row8, y: &Act) -> f32 {
        let nb = w.d.len();
        assert!(w.qs.len() >= nb * BLOCK && y.qs.len() >= nb * BLOCK && y.d.len() >= nb);
        // SAFETY: as in `dot`: AVX2 and FMA are enabled for the build, and the loads read 32
        // bytes inside the slices checked above.
        unsafe {
            let ones = _mm256_set1_epi16(1);
            let mut acc = _mm256_setzero_ps();
            for b in 0..nb {
                let x = _mm256_loadu_si256(w.qs.as_ptr().add(b * BLOCK) as *const __m256i);
                let a = _mm256_loadu_si256(y.qs.as_ptr().add(b * BLOCK) as *const __m256i);
                // maddubs multiplies unsigned by signed bytes: |x| and a with x's sign.
                let pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(a, x));
                let sums = _mm256_madd_epi16(pairs, ones);
                let scale = _mm256_set1_ps(*w.d.get_unchecked(b) * *y.d.get_unchecked(b));
                acc = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(sums), acc);
            }
            hsum(acc)
        }
    }

    /// The sum of the eight lanes.
    #[inline]
    unsafe fn hsum(v: __m256) -> f32 {
        let half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let half = _mm_add_ps(half, _mm_movehl_ps(half, half));
        let half = _mm_add_ss(half, _mm_movehdup_ps(half));
        _mm_cvtss_f32(half)
    }
}

#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
use avx2::{dot, dot8};

#[cfg(not(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
)))]
use {dot8_portable as dot8, dot_portable as dot};

/// Activation rows up to which tasks split the output columns (decoding a batch) rather
/// than the rows (prefill).
const SMALL_BATCH: usize = 8;

/// Output columns per parallel task when decoding.
const COLUMNS_PER_TASK: usize = 64;

impl QuantMatrix {
    /// A matrix from the bytes of a GGUF tensor of `n` rows of `k` weights.
    pub fn from_ggml(
        kind: QuantType,
        bytes: &[u8],
        n: usize,
        k: usize,
    ) -> Result<QuantMatrix, String> {
        if k == 0 || !k.is_multiple_of(BLOCK) {
            return Err(format!(
                "a row of {k} weights is not whole blocks of {BLOCK}"
            ));
        }
        let blocks = n * k / BLOCK;
        if bytes.len() != blocks * kind.block_bytes() {
            return Err(format!(
                "{} bytes for a {n}×{k} {kind:?} matrix (expected {})",
                bytes.len(),
                blocks * kind.block_bytes()
            ));
        }
        let f16 = |b: &[u8]| half::f16::from_le_bytes([b[0], b[1]]).to_f32();
        let weights = match kind {
            QuantType::Q4_1 => {
                let (mut qs, mut d, mut m) = (
                    Vec::with_capacity(blocks * 16),
                    Vec::with_capacity(blocks),
                    Vec::with_capacity(blocks),
                );
                for block in bytes.chunks_exact(kind.block_bytes()) {
                    d.push(f16(&block[0..2]));
                    m.push(f16(&block[2..4]));
                    qs.extend_from_slice(&block[4..]);
                }
                Weights::Q41 { qs, d, m }
            }
            QuantType::Q8_0 => {
                let (mut qs, mut d) = (
                    Vec::with_capacity(blocks * BLOCK),
                    Vec::with_capacity(blocks),
                );
                for block in bytes.chunks_exact(kind.block_bytes()) {
                    d.push(f16(&block[0..2]));
                    qs.extend(block[2..].iter().map(|&b| b as i8));
                }
                Weights::Q80 { qs, d }
            }
        };
        Ok(QuantMatrix { n, k, weights })
    }

    /// Rows (outputs).
    pub fn rows(&self) -> usize {
        self.n
    }

    /// Columns (inputs).
    pub fn cols(&self) -> usize {
        self.k
    }

    /// Row `j`'s weights, dequantized into `out` (`k` values).
    pub fn dequantize_row(&self, j: usize, out: &mut [f32]) {
        let nb = self.k / BLOCK;
        for (b, chunk) in out.chunks_exact_mut(BLOCK).enumerate().take(nb) {
            let i = j * nb + b;
            match &self.weights {
                Weights::Q41 { qs, d, m } => {
                    for (t, q) in qs[i * 16..i * 16 + 16].iter().enumerate() {
                        chunk[t] = d[i] * (q & 0x0F) as f32 + m[i];
                        chunk[t + 16] = d[i] * (q >> 4) as f32 + m[i];
                    }
                }
                Weights::Q80 { qs, d } => {
                    for (o, q) in chunk.iter_mut().zip(&qs[i * BLOCK..(i + 1) * BLOCK]) {
                        *o = d[i] * *q as f32;
                    }
                }
            }
        }
    }

    /// The dot product of row `j` with an activation row.
    fn dot_row(&self, j: usize, a: &Act, portable: bool) -> f32 {
        let nb = self.k / BLOCK;
        let blocks = j * nb..(j + 1) * nb;
        match &self.weights {
            Weights::Q41 { qs, d, m } => {
                let row = Row {
                    qs: &qs[blocks.start * 16..blocks.end * 16],
                    d: &d[blocks.clone()],
                    m: &m[blocks],
                };
                if portable {
                    dot_portable(&row, a)
                } else {
                    dot(&row, a)
                }
            }
            Weights::Q80 { qs, d } => {
                let row = Row8 {
                    qs: &qs[blocks.start * BLOCK..blocks.end * BLOCK],
                    d: &d[blocks],
                };
                if portable {
                    dot8_portable(&row, a)
                } else {
                    dot8(&row, a)
                }
            }
        }
    }

    /// `x · Wᵀ` for `x` of `rows × k` (row-major): `rows × n`.
    pub fn matmul(&self, x: &[f32]) -> Vec<f32> {
        self.product(x, false)
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
        let nb = k / BLOCK;
        let y = Q81::quantize(x, k);
        let act = |r: usize| Act {
            qs: &y.qs[r * k..(r + 1) * k],
            d: &y.d[r * nb..(r + 1) * nb],
            s: &y.s[r * nb..(r + 1) * nb],
        };
        let mut out = vec![0f32; rows * n];
        let threads = rayon::current_num_threads();
        if rows <= SMALL_BATCH {
            // Decoding (one row per sample): tasks take columns, so each weight row is read
            // once for all the samples. Results come column-major, then are transposed.
            let acts: Vec<Act> = (0..rows).map(act).collect();
            let mut by_column = vec![0f32; n * rows];
            let columns = |(c, chunk): (usize, &mut [f32])| {
                for (i, o) in chunk.chunks_exact_mut(rows).enumerate() {
                    for (slot, a) in o.iter_mut().zip(&acts) {
                        *slot = self.dot_row(c * COLUMNS_PER_TASK + i, a, portable);
                    }
                }
            };
            if threads > 1 && n > COLUMNS_PER_TASK {
                by_column
                    .par_chunks_mut(COLUMNS_PER_TASK * rows)
                    .enumerate()
                    .for_each(columns);
            } else {
                by_column
                    .chunks_mut(COLUMNS_PER_TASK * rows)
                    .enumerate()
                    .for_each(columns);
            }
            if rows == 1 {
                return by_column;
            }
            for (j, column) in by_column.chunks_exact(rows).enumerate() {
                for (r, v) in column.iter().enumerate() {
                    out[r * n + j] = *v;
                }
            }
            return out;
        }
        // Several rows: each task takes a band of activation rows and walks the weight rows
        // once, using each weight row (in L1) for the whole band.
        let band = rows.div_ceil(threads.max(1)).clamp(1, 64);
        let bands = |(b, chunk): (usize, &mut [f32])| {
            let first = b * band;
            let count = chunk.len() / n;
            let acts: Vec<Act> = (first..first + count).map(act).collect();
            for j in 0..n {
                for (i, a) in acts.iter().enumerate() {
                    chunk[i * n + j] = self.dot_row(j, a, portable);
                }
            }
        };
        if threads > 1 {
            out.par_chunks_mut(band * n).enumerate().for_each(bands);
        } else {
            out.chunks_mut(band * n).enumerate().for_each(bands);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::{GgmlDType, QTensor};
    use candle_core::{Device, Tensor};

    fn values(count: usize, seed: u64) -> Vec<f32> {
        let mut state = seed | 1;
        (0..count)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                ((state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32
            })
            .collect()
    }

    /// A random n × k matrix quantized by candle, and its dequantized weights.
    fn matrix(kind: QuantType, n: usize, k: usize) -> (QuantMatrix, Vec<f32>) {
        let w = Tensor::from_vec(values(n * k, 99), (n, k), &Device::Cpu).unwrap();
        let dtype = match kind {
            QuantType::Q4_1 => GgmlDType::Q4_1,
            QuantType::Q8_0 => GgmlDType::Q8_0,
        };
        let q = QTensor::quantize(&w, dtype).unwrap();
        let exact = q
            .dequantize(&Device::Cpu)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        (
            QuantMatrix::from_ggml(kind, &q.data().unwrap(), n, k).unwrap(),
            exact,
        )
    }

    #[test]
    fn simd_portable_and_f32_products_agree() {
        let (n, k) = (100, 96);
        for (kind, rows) in [QuantType::Q4_1, QuantType::Q8_0]
            .into_iter()
            .flat_map(|kind| [1, 3, 9, 70].map(|rows| (kind, rows)))
        {
            let (m, w) = matrix(kind, n, k);
            assert_eq!((m.rows(), m.cols()), (n, k));
            let mut row = vec![0f32; k];
            m.dequantize_row(7, &mut row);
            assert_eq!(row, w[7 * k..8 * k]);
            let x = values(rows * k, rows as u64 + 7);
            let fast = m.matmul(&x);
            let portable = m.matmul_portable(&x);
            assert_eq!(fast.len(), rows * n);
            for r in 0..rows {
                for j in 0..n {
                    let exact: f32 = (0..k).map(|i| x[r * k + i] * w[j * k + i]).sum();
                    let (f, p) = (fast[r * n + j], portable[r * n + j]);
                    assert!((f - p).abs() < 1e-4, "row {r} col {j}: {f} vs {p}");
                    // 8-bit activations: within a percent of the row's scale.
                    assert!(
                        (f - exact).abs() < 0.02 * (k as f32).sqrt(),
                        "{f} vs {exact}"
                    );
                }
            }
        }
    }

    #[test]
    fn malformed_tensors_are_errors() {
        assert!(QuantMatrix::from_ggml(QuantType::Q4_1, &[0; 20], 1, 16).is_err());
        assert!(QuantMatrix::from_ggml(QuantType::Q4_1, &[0; 39], 1, 64).is_err());
        assert!(QuantMatrix::from_ggml(QuantType::Q4_1, &[0; 40], 1, 64).is_ok());
        assert!(QuantMatrix::from_ggml(QuantType::Q8_0, &[0; 40], 1, 64).is_err());
        assert!(QuantMatrix::from_ggml(QuantType::Q8_0, &[0; 68], 1, 64).is_ok());
    }
}
