//! Activations converted as ggml converts a product's input rows for each weight type (its
//! `vec_dot_type`): f32 as is, rounded to f16 or bf16 (kept here as the f32 values of those,
//! which is exact and spares converting them again for every weight row), Q8_0/Q8_1 per block
//! of 32, Q8_K per super-block of 256.

use super::{BLOCK, QK_K};
use half::{bf16, f16};
use rayon::prelude::*;

/// The activation types (ggml's `vec_dot_type`s; Q8 holds both Q8_0 and Q8_1, which share
/// their quants and scales).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum ActKind {
    F32,
    F16,
    BF16,
    Q8,
    Q8K,
}

/// One row's input, quants, scales, sums and quant sums (as `Acts::new` splits them).
type Q8Chunks<'a> = (
    (((&'a [f32], &'a mut [i8]), &'a mut [f32]), &'a mut [f32]),
    &'a mut [i32],
);

/// One row's input, quants, scales and sums of 16 (as `Acts::new` splits them).
type Q8KChunks<'a> = (((&'a [f32], &'a mut [i8]), &'a mut [f32]), &'a mut [i16]);

/// One row of Q8_0/Q8_1 activations: 32 quants, a scale and a scaled sum per block.
#[derive(Debug, Clone, Copy)]
pub(super) struct Q8Row<'a> {
    pub(super) qs: &'a [i8],
    /// `d` of each block (the f32 value of its f16).
    pub(super) d: &'a [f32],
    /// `s = d·Σq` of each block (the f32 value of its f16).
    pub(super) s: &'a [f32],
    /// `Σq` of each block (for the batch kernels' offsets).
    #[cfg_attr(
        not(all(
            target_arch = "x86_64",
            target_feature = "avx2",
            target_feature = "fma"
        )),
        allow(dead_code)
    )]
    pub(super) sum: &'a [i32],
}

/// One row of Q8_K activations: 256 quants, a scale and 16 sums of 16 quants per
/// super-block.
#[derive(Debug, Clone, Copy)]
pub(super) struct Q8KRow<'a> {
    pub(super) qs: &'a [i8],
    pub(super) d: &'a [f32],
    pub(super) bsums: &'a [i16],
}

/// A product's input rows in each activation type its weights need.
pub(super) struct Acts<'a> {
    k: usize,
    x: &'a [f32],
    f16: Vec<f32>,
    bf16: Vec<f32>,
    q8_qs: Vec<i8>,
    q8_d: Vec<f32>,
    q8_s: Vec<f32>,
    q8_sum: Vec<i32>,
    q8k_qs: Vec<i8>,
    q8k_d: Vec<f32>,
    q8k_bsums: Vec<i16>,
}

/// Inputs from which converting rows is spread over the pool.
const PARALLEL_INPUTS: usize = 1 << 15;

impl<'a> Acts<'a> {
    /// `x` (rows of `k`) converted to each of `kinds`.
    /// `portable`: with the portable quantizers only.
    pub(super) fn new(
        x: &'a [f32],
        k: usize,
        kinds: &[ActKind],
        parallel: bool,
        portable: bool,
    ) -> Acts<'a> {
        let parallel = parallel && x.len() >= PARALLEL_INPUTS && x.len() > k;
        let rows = x.len() / k;
        let mut acts = Acts {
            k,
            x,
            f16: Vec::new(),
            bf16: Vec::new(),
            q8_qs: Vec::new(),
            q8_d: Vec::new(),
            q8_s: Vec::new(),
            q8_sum: Vec::new(),
            q8k_qs: Vec::new(),
            q8k_d: Vec::new(),
            q8k_bsums: Vec::new(),
        };
        for kind in kinds {
            match kind {
                ActKind::F32 => {}
                ActKind::F16 => {
                    acts.f16 = map(x, parallel, |v| f16::from_f32(v).to_f32());
                }
                ActKind::BF16 => {
                    acts.bf16 = map(x, parallel, |v| bf16::from_f32(v).to_f32());
                }
                ActKind::Q8 => {
                    let nb = k / BLOCK;
                    acts.q8_qs = vec![0; x.len()];
                    acts.q8_d = vec![0.0; rows * nb];
                    acts.q8_s = vec![0.0; rows * nb];
                    acts.q8_sum = vec![0; rows * nb];
                    let row = |((((x, qs), d), s), sum): Q8Chunks| {
                        if portable {
                            quantize_q8(x, qs, d, s, sum)
                        } else {
                            quantize_q8_row(x, qs, d, s, sum)
                        }
                    };
                    if parallel {
                        x.par_chunks(k)
                            .zip(acts.q8_qs.par_chunks_mut(k))
                            .zip(acts.q8_d.par_chunks_mut(nb))
                            .zip(acts.q8_s.par_chunks_mut(nb))
                            .zip(acts.q8_sum.par_chunks_mut(nb))
                            .for_each(row);
                    } else {
                        x.chunks(k)
                            .zip(acts.q8_qs.chunks_mut(k))
                            .zip(acts.q8_d.chunks_mut(nb))
                            .zip(acts.q8_s.chunks_mut(nb))
                            .zip(acts.q8_sum.chunks_mut(nb))
                            .for_each(row);
                    }
                }
                ActKind::Q8K => {
                    let nb = k / QK_K;
                    acts.q8k_qs = vec![0; x.len()];
                    acts.q8k_d = vec![0.0; rows * nb];
                    acts.q8k_bsums = vec![0; rows * nb * 16];
                    let row = |(((x, qs), d), bsums): Q8KChunks| {
                        if portable {
                            quantize_q8k(x, qs, d, bsums)
                        } else {
                            quantize_q8k_row(x, qs, d, bsums)
                        }
                    };
                    if parallel {
                        x.par_chunks(k)
                            .zip(acts.q8k_qs.par_chunks_mut(k))
                            .zip(acts.q8k_d.par_chunks_mut(nb))
                            .zip(acts.q8k_bsums.par_chunks_mut(nb * 16))
                            .for_each(row);
                    } else {
                        x.chunks(k)
                            .zip(acts.q8k_qs.chunks_mut(k))
                            .zip(acts.q8k_d.chunks_mut(nb))
                            .zip(acts.q8k_bsums.chunks_mut(nb * 16))
                            .for_each(row);
                    }
                }
            }
        }
        acts
    }

    /// Row `r` as f32, f16 or bf16 values (`kind` one of those).
    pub(super) fn float_row(&self, kind: ActKind, r: usize) -> &[f32] {
        let all = match kind {
            ActKind::F32 => self.x,
            ActKind::F16 => &self.f16,
            ActKind::BF16 => &self.bf16,
            ActKind::Q8 | ActKind::Q8K => unreachable!("{kind:?} rows are not floats"),
        };
        &all[r * self.k..(r + 1) * self.k]
    }

    /// Row `r` in Q8_0/Q8_1.
    pub(super) fn q8_row(&self, r: usize) -> Q8Row<'_> {
        let nb = self.k / BLOCK;
        Q8Row {
            qs: &self.q8_qs[r * self.k..(r + 1) * self.k],
            d: &self.q8_d[r * nb..(r + 1) * nb],
            s: &self.q8_s[r * nb..(r + 1) * nb],
            sum: &self.q8_sum[r * nb..(r + 1) * nb],
        }
    }

    /// Row `r` in Q8_K.
    pub(super) fn q8k_row(&self, r: usize) -> Q8KRow<'_> {
        let nb = self.k / QK_K;
        Q8KRow {
            qs: &self.q8k_qs[r * self.k..(r + 1) * self.k],
            d: &self.q8k_d[r * nb..(r + 1) * nb],
            bsums: &self.q8k_bsums[r * nb * 16..(r + 1) * nb * 16],
        }
    }
}

/// [`quantize_q8`], with AVX2 where the build has it.
pub(super) fn quantize_q8_row(
    x: &[f32],
    qs: &mut [i8],
    d: &mut [f32],
    s: &mut [f32],
    sum: &mut [i32],
) {
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    ))]
    super::avx2::quantize_q8(x, qs, d, s, sum);
    #[cfg(not(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    )))]
    quantize_q8(x, qs, d, s, sum);
}

/// [`quantize_q8k`], with AVX2 where the build has it.
pub(super) fn quantize_q8k_row(x: &[f32], qs: &mut [i8], d: &mut [f32], bsums: &mut [i16]) {
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    ))]
    super::avx2::quantize_q8k(x, qs, d, bsums);
    #[cfg(not(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    )))]
    quantize_q8k(x, qs, d, bsums);
}

fn map(x: &[f32], parallel: bool, f: impl Fn(f32) -> f32 + Sync + Send) -> Vec<f32> {
    if parallel {
        x.par_iter().map(|&v| f(v)).collect()
    } else {
        x.iter().map(|&v| f(v)).collect()
    }
}

/// One row to Q8_0 quants and scales and Q8_1's scaled sums, as ggml-cpu's x86
/// `quantize_row_q8_0` and `quantize_row_q8_1` compute them: `d = amax/127` (stored as f16),
/// `q = round_half_even(x · 127/amax)`, `s = f16(d · Σq)`; and `Σq` in `sums`.
pub(super) fn quantize_q8(
    x: &[f32],
    qs: &mut [i8],
    d: &mut [f32],
    s: &mut [f32],
    sums: &mut [i32],
) {
    for ((((block, q), d), s), block_sum) in x
        .chunks_exact(BLOCK)
        .zip(qs.chunks_exact_mut(BLOCK))
        .zip(d.iter_mut())
        .zip(s.iter_mut())
        .zip(sums.iter_mut())
    {
        let amax = block.iter().fold(0f32, |m, v| m.max(v.abs()));
        let scale = amax / 127.0;
        let id = if amax != 0.0 { 127.0 / amax } else { 0.0 };
        let mut sum = 0i32;
        for (q, &v) in q.iter_mut().zip(block) {
            let i = (v * id).round_ties_even() as i32;
            sum += i;
            *q = i.clamp(-128, 127) as i8;
        }
        *d = f16::from_f32(scale).to_f32();
        *s = f16::from_f32(scale * sum as f32).to_f32();
        *block_sum = sum;
    }
}

/// One row to Q8_K, as ggml's `quantize_row_q8_K_ref`: the value `max` of largest magnitude
/// (the first of them), `iscale = −127/max`, `q = min(127, round_half_even(iscale·x))`,
/// `d = 1/iscale`, and the sums of each 16 quants.
pub(super) fn quantize_q8k(x: &[f32], qs: &mut [i8], d: &mut [f32], bsums: &mut [i16]) {
    for (((block, q), d), bsums) in x
        .chunks_exact(QK_K)
        .zip(qs.chunks_exact_mut(QK_K))
        .zip(d.iter_mut())
        .zip(bsums.chunks_exact_mut(QK_K / 16))
    {
        let (mut max, mut amax) = (0f32, 0f32);
        for &v in block {
            if v.abs() > amax {
                amax = v.abs();
                max = v;
            }
        }
        if amax == 0.0 {
            *d = 0.0;
            q.fill(0);
            bsums.fill(0);
            continue;
        }
        let iscale = -127.0 / max;
        for (q, &v) in q.iter_mut().zip(block) {
            *q = ((iscale * v).round_ties_even() as i32).min(127) as i8;
        }
        for (sum, quants) in bsums.iter_mut().zip(q.chunks_exact(16)) {
            *sum = quants.iter().map(|&v| v as i16).sum();
        }
        *d = 1.0 / iscale;
    }
}
