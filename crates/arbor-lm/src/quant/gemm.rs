//! Batched products (prefill) of the quantized types with AVX2: eight weight rows are unpacked
//! into a panel, then multiplied with groups of up to four activation rows.
//!
//! The panel holds each weight's integer code (unsigned: Q4_0 `q`, Q5_0 `q | h << 4`, Q6_K's
//! six bits, …; Q8_0 keeps its signed bytes) four consecutive weights of each row side by side,
//! so that one 32-byte vector is 4 codes × 8 rows: a lane is an output. Four activation quants
//! broadcast to all lanes make `maddubs` products of 8 outputs at once, added in 16 bits for as
//! many steps as the codes' width allows without overflow, then widened with the block's or
//! sub-block's scales. Offsets (Q4_0's 8, Q5_0's 16, Q6_K's 32) and minimums come off through
//! the activations' block sums. Per block (32-weight types) or super-block (K types) and
//! output, the integer sum is converted once and added with one FMA.
//!
//! The integer sums are those of ggml's kernels; the float additions are per block instead of
//! per lane (as ggml's own repacked and tiled batch kernels do), so batched results differ from
//! one-row results in the last bits.

use super::act::{Acts, Q8KRow, Q8Row};
use super::avx2::{ahead, bits, load, nibbles};
use super::portable::k_scales;
use super::{Part, QuantType, BLOCK, QK_K};
use std::arch::x86_64::*;

/// Weight rows per panel (one per 32-bit lane).
pub(super) const NR: usize = 8;
/// Activation rows per micro-kernel call, at most.
pub(super) const MR: usize = 4;

/// Eight weight rows, unpacked.
#[derive(Default)]
pub(super) struct Panel {
    /// `k/4` vectors of 32 bytes: codes `4s..4s + 4` of rows 0..8.
    codes: Vec<u8>,
    /// Per block (or super-block) and row: `d`.
    d: Vec<f32>,
    /// Per block and row: Q4_1/Q5_1 `m`, K types' `dmin`.
    m: Vec<f32>,
    /// Per sub-block: 16 lanes of i16, row `r`'s scale in lanes `2r` and `2r + 1`.
    scales: Vec<i16>,
    /// Per Q4_K/Q5_K sub-block: the rows' minimums, as `scales`.
    mins: Vec<i16>,
}

/// Whether batches of this type go through the panels.
pub(super) fn supports(kind: QuantType) -> bool {
    !matches!(kind, QuantType::F32 | QuantType::F16 | QuantType::BF16)
}

/// The 32 bits at `p` as 32 bytes, 0x10 where a bit is set.
#[inline(always)]
unsafe fn fifth_bits(p: *const u8) -> __m256i {
    _mm256_and_si256(bits(p), _mm256_set1_epi8(0x10))
}

/// Eight rows' 32 codes (8 groups of 4) to eight vectors of one group of 4 from each row,
/// stored at `out` (8 × 32 bytes).
#[inline(always)]
unsafe fn transpose_store(v: [__m256i; 8], out: *mut u8) {
    let t0 = _mm256_unpacklo_epi32(v[0], v[1]);
    let t1 = _mm256_unpackhi_epi32(v[0], v[1]);
    let t2 = _mm256_unpacklo_epi32(v[2], v[3]);
    let t3 = _mm256_unpackhi_epi32(v[2], v[3]);
    let t4 = _mm256_unpacklo_epi32(v[4], v[5]);
    let t5 = _mm256_unpackhi_epi32(v[4], v[5]);
    let t6 = _mm256_unpacklo_epi32(v[6], v[7]);
    let t7 = _mm256_unpackhi_epi32(v[6], v[7]);
    let u0 = _mm256_unpacklo_epi64(t0, t2);
    let u1 = _mm256_unpackhi_epi64(t0, t2);
    let u2 = _mm256_unpacklo_epi64(t1, t3);
    let u3 = _mm256_unpackhi_epi64(t1, t3);
    let u4 = _mm256_unpacklo_epi64(t4, t6);
    let u5 = _mm256_unpackhi_epi64(t4, t6);
    let u6 = _mm256_unpacklo_epi64(t5, t7);
    let u7 = _mm256_unpackhi_epi64(t5, t7);
    let out = out as *mut __m256i;
    _mm256_storeu_si256(out, _mm256_permute2x128_si256(u0, u4, 0x20));
    _mm256_storeu_si256(out.add(1), _mm256_permute2x128_si256(u1, u5, 0x20));
    _mm256_storeu_si256(out.add(2), _mm256_permute2x128_si256(u2, u6, 0x20));
    _mm256_storeu_si256(out.add(3), _mm256_permute2x128_si256(u3, u7, 0x20));
    _mm256_storeu_si256(out.add(4), _mm256_permute2x128_si256(u0, u4, 0x31));
    _mm256_storeu_si256(out.add(5), _mm256_permute2x128_si256(u1, u5, 0x31));
    _mm256_storeu_si256(out.add(6), _mm256_permute2x128_si256(u2, u6, 0x31));
    _mm256_storeu_si256(out.add(7), _mm256_permute2x128_si256(u3, u7, 0x31));
}

fn f16(b: &[u8], at: usize) -> f32 {
    half::f16::from_le_bytes([b[at], b[at + 1]]).to_f32()
}

impl Panel {
    /// Unpacks weight rows `j..j + 8` of `part` (`k` weights each).
    pub(super) fn unpack(&mut self, part: &Part, j: usize, k: usize) {
        let kind = part.kind;
        let rows: [&[u8]; NR] = std::array::from_fn(|r| part.row(j + r - part.first));
        assert!(supports(kind) && k.is_multiple_of(kind.block_weights()));
        assert_eq!(
            part.row_bytes,
            k / kind.block_weights() * kind.block_bytes()
        );
        let chunks = k / 32;
        self.codes.resize(k * NR, 0);
        let (blocks, subs) = match kind {
            QuantType::Q4_K | QuantType::Q5_K => (k / QK_K, k / 32),
            QuantType::Q6_K => (k / QK_K, k / 16),
            _ => (k / BLOCK, 0),
        };
        self.d.resize(blocks * NR, 0.0);
        self.m.resize(blocks * NR, 0.0);
        self.scales.resize(subs * 16, 0);
        self.mins.resize(subs * 16, 0);
        let bb = kind.block_bytes();
        for (r, row) in rows.iter().enumerate() {
            for (b, x) in row.chunks_exact(bb).enumerate() {
                match kind {
                    QuantType::Q4_0 | QuantType::Q5_0 | QuantType::Q8_0 => {
                        self.d[b * NR + r] = f16(x, 0);
                    }
                    QuantType::Q4_1 | QuantType::Q5_1 => {
                        self.d[b * NR + r] = f16(x, 0);
                        self.m[b * NR + r] = f16(x, 2);
                    }
                    QuantType::Q4_K | QuantType::Q5_K => {
                        self.d[b * NR + r] = f16(x, 0);
                        self.m[b * NR + r] = f16(x, 2);
                        let utmp = k_scales(&x[4..16]);
                        for s in 0..8 {
                            let sc = (utmp[s / 4] >> (8 * (s % 4))) & 0xFF;
                            let mn = (utmp[2 + s / 4] >> (8 * (s % 4))) & 0xFF;
                            let at = (b * 8 + s) * 16 + 2 * r;
                            self.scales[at..at + 2].fill(sc as i16);
                            self.mins[at..at + 2].fill(mn as i16);
                        }
                    }
                    QuantType::Q6_K => {
                        self.d[b * NR + r] = f16(x, 208);
                        for s in 0..16 {
                            let at = (b * 16 + s) * 16 + 2 * r;
                            self.scales[at..at + 2].fill(x[192 + s] as i8 as i16);
                        }
                    }
                    QuantType::F32 | QuantType::F16 | QuantType::BF16 => {
                        unreachable!("float types have no panels")
                    }
                }
            }
        }
        // SAFETY: AVX2 is enabled for the build (the module is compiled only then). Chunk
        // `c < k/32` of a row lies in block `c·32/bw` of it, and `chunk` reads only that
        // block's bytes, inside the row (`k/bw · block_bytes` bytes, asserted above); the
        // stores write `codes[256c..256c + 256]`, inside its `k·8` bytes.
        unsafe {
            for c in 0..chunks {
                let v: [__m256i; NR] = std::array::from_fn(|r| chunk(kind, rows[r], c));
                transpose_store(v, self.codes.as_mut_ptr().add(256 * c));
            }
        }
    }

    /// Outputs of the panel's 8 rows for activation rows `first..first + g` (g ≤ 4): row
    /// `first + i` in `out[i]`.
    pub(super) fn multiply(
        &self,
        kind: QuantType,
        acts: &Acts,
        first: usize,
        g: usize,
        out: &mut [[f32; NR]; MR],
    ) {
        macro_rules! call {
            ($f:ident, $row:ident) => {
                match g {
                    1 => self.$f::<1>(kind, [acts.$row(first)], out),
                    2 => self.$f::<2>(kind, [acts.$row(first), acts.$row(first + 1)], out),
                    3 => self.$f::<3>(
                        kind,
                        [acts.$row(first), acts.$row(first + 1), acts.$row(first + 2)],
                        out,
                    ),
                    _ => self.$f::<4>(
                        kind,
                        [
                            acts.$row(first),
                            acts.$row(first + 1),
                            acts.$row(first + 2),
                            acts.$row(first + 3),
                        ],
                        out,
                    ),
                }
            };
        }
        match kind {
            QuantType::Q4_K | QuantType::Q5_K | QuantType::Q6_K => call!(k_blocks, q8k_row),
            _ => call!(blocks, q8_row),
        }
    }

    /// The 32-weight block types.
    fn blocks<const R: usize>(&self, kind: QuantType, a: [Q8Row; R], out: &mut [[f32; NR]; MR]) {
        let nb = self.d.len() / NR;
        assert!(self.codes.len() >= nb * 32 * NR && self.m.len() >= nb * NR);
        for y in &a {
            assert!(y.qs.len() >= nb * 32 && y.d.len() >= nb && y.s.len() >= nb);
            assert!(y.sum.len() >= nb);
        }
        // SAFETY: AVX2 and FMA are enabled for the build; block `b < nb` reads panel bytes
        // `codes[256b..256b + 256]`, `d`/`m[8b..8b + 8]`, and 32 quants, `d[b]`, `s[b]`,
        // `sum[b]` of each activation row, inside the lengths checked above.
        unsafe {
            match kind {
                QuantType::Q4_0 => self.blocks_with::<R, 8, 8, false, false>(a, out),
                QuantType::Q5_0 => self.blocks_with::<R, 4, 16, false, false>(a, out),
                QuantType::Q4_1 => self.blocks_with::<R, 8, 0, true, false>(a, out),
                QuantType::Q5_1 => self.blocks_with::<R, 4, 0, true, false>(a, out),
                _ => self.blocks_with::<R, 1, 0, false, true>(a, out),
            }
        }
    }

    /// `BATCH` steps of 4 codes added in 16 bits; codes less `OFFSET`; `MIN`: plus `m·s`;
    /// `SIGNED`: Q8_0's signed codes.
    #[inline(always)]
    unsafe fn blocks_with<
        const R: usize,
        const BATCH: usize,
        const OFFSET: i32,
        const MIN: bool,
        const SIGNED: bool,
    >(
        &self,
        a: [Q8Row; R],
        out: &mut [[f32; NR]; MR],
    ) {
        let nb = self.d.len() / NR;
        let ones = _mm256_set1_epi16(1);
        let mut acc = [_mm256_setzero_ps(); R];
        let codes = self.codes.as_ptr();
        for b in 0..nb {
            let mut isum = [_mm256_setzero_si256(); R];
            for batch in 0..8 / BATCH {
                let mut p16 = [_mm256_setzero_si256(); R];
                for s in 0..BATCH {
                    let step = 8 * b + BATCH * batch + s;
                    let w = load(codes.add(32 * step));
                    let aw = if SIGNED { _mm256_sign_epi8(w, w) } else { w };
                    for (p16, y) in p16.iter_mut().zip(&a) {
                        let q = (y.qs.as_ptr().add(4 * step) as *const i32).read_unaligned();
                        let q = _mm256_set1_epi32(q);
                        let q = if SIGNED { _mm256_sign_epi8(q, w) } else { q };
                        *p16 = _mm256_add_epi16(*p16, _mm256_maddubs_epi16(aw, q));
                    }
                }
                for (isum, p16) in isum.iter_mut().zip(p16) {
                    *isum = _mm256_add_epi32(*isum, _mm256_madd_epi16(p16, ones));
                }
            }
            let dw = _mm256_loadu_ps(self.d.as_ptr().add(NR * b));
            let mw = if MIN {
                _mm256_loadu_ps(self.m.as_ptr().add(NR * b))
            } else {
                dw
            };
            for ((acc, isum), y) in acc.iter_mut().zip(isum).zip(&a) {
                let isum = if OFFSET != 0 {
                    let sum = *y.sum.get_unchecked(b);
                    _mm256_sub_epi32(isum, _mm256_set1_epi32(OFFSET * sum))
                } else {
                    isum
                };
                let d = _mm256_mul_ps(dw, _mm256_set1_ps(*y.d.get_unchecked(b)));
                *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), d, *acc);
                if MIN {
                    *acc = _mm256_fmadd_ps(mw, _mm256_set1_ps(*y.s.get_unchecked(b)), *acc);
                }
            }
        }
        for (out, acc) in out.iter_mut().zip(acc) {
            _mm256_storeu_ps(out.as_mut_ptr(), acc);
        }
    }

    /// The K types.
    fn k_blocks<const R: usize>(&self, kind: QuantType, a: [Q8KRow; R], out: &mut [[f32; NR]; MR]) {
        let nb = self.d.len() / NR;
        let subs = if kind == QuantType::Q6_K { 16 } else { 8 };
        assert!(self.codes.len() >= nb * QK_K * NR && self.m.len() >= nb * NR);
        assert!(self.scales.len() >= nb * subs * 16);
        if kind != QuantType::Q6_K {
            assert!(self.mins.len() >= nb * subs * 16);
        }
        for y in &a {
            assert!(y.qs.len() >= nb * QK_K && y.d.len() >= nb && y.bsums.len() >= nb * 16);
        }
        // SAFETY: AVX2 and FMA are enabled for the build; super-block `i < nb` reads panel
        // bytes `codes[2048i..2048i + 2048]`, `d`/`m[8i..8i + 8]`, the sub-blocks' 16 scales
        // and minimums, and 256 quants, `d[i]`, `bsums[16i..16i + 16]` of each activation
        // row, inside the lengths checked above.
        unsafe {
            match kind {
                QuantType::Q4_K => self.k_with::<R, 8, 32>(a, out),
                QuantType::Q5_K => self.k_with::<R, 4, 32>(a, out),
                _ => self.k_with::<R, 2, 16>(a, out),
            }
        }
    }

    /// `BATCH` steps added in 16 bits, sub-blocks of `SUB` weights (32: Q4_K/Q5_K with
    /// minimums; 16: Q6_K, codes less 32).
    #[inline(always)]
    unsafe fn k_with<const R: usize, const BATCH: usize, const SUB: usize>(
        &self,
        a: [Q8KRow; R],
        out: &mut [[f32; NR]; MR],
    ) {
        let nb = self.d.len() / NR;
        let subs = QK_K / SUB;
        let mut acc = [_mm256_setzero_ps(); R];
        // Q4_K/Q5_K: the minimums' part, subtracted at the end (as ggml's repacked kernels).
        let mut acc_min = [_mm256_setzero_ps(); R];
        let codes = self.codes.as_ptr();
        // Sub-blocks per float step: pairs (64 weights) for Q4_K/Q5_K, as ggml's repacked
        // Q4_K batches of 4 rows; the whole super-block for Q6_K, and for Q4_K/Q5_K in a last
        // group of fewer than 4 rows (ggml's repacked Q4_K takes those one at a time, in its
        // `gemv`, which adds per super-block).
        let group = if SUB == 32 && R == MR { 2 } else { subs };
        for i in 0..nb {
            let dw = _mm256_loadu_ps(self.d.as_ptr().add(NR * i));
            let dmw = _mm256_loadu_ps(self.m.as_ptr().add(NR * i));
            for first in (0..subs).step_by(group) {
                let mut isum = [_mm256_setzero_si256(); R];
                for sub in first..first + group {
                    let scale = load(self.scales.as_ptr().add(16 * (subs * i + sub)) as *const u8);
                    for batch in 0..SUB / 4 / BATCH {
                        let mut p16 = [_mm256_setzero_si256(); R];
                        for s in 0..BATCH {
                            let step = QK_K / 4 * i + SUB / 4 * sub + BATCH * batch + s;
                            let w = load(codes.add(32 * step));
                            for (p16, y) in p16.iter_mut().zip(&a) {
                                let q =
                                    (y.qs.as_ptr().add(4 * step) as *const i32).read_unaligned();
                                let q = _mm256_set1_epi32(q);
                                *p16 = _mm256_add_epi16(*p16, _mm256_maddubs_epi16(w, q));
                            }
                        }
                        for (isum, p16) in isum.iter_mut().zip(p16) {
                            *isum = _mm256_add_epi32(*isum, _mm256_madd_epi16(p16, scale));
                        }
                    }
                }
                for (((acc, acc_min), isum), y) in
                    acc.iter_mut().zip(&mut acc_min).zip(isum).zip(&a)
                {
                    let bsums = y.bsums.as_ptr().add(16 * i);
                    // Σ over the sub-blocks of (minimum or scale) × the activations' sum there.
                    let mut corr = _mm256_setzero_si256();
                    for sub in first..first + group {
                        let sum = if SUB == 32 {
                            *bsums.add(2 * sub) as i32 + *bsums.add(2 * sub + 1) as i32
                        } else {
                            *bsums.add(sub) as i32
                        };
                        // (sum, 0) pairs: `madd` gives one product per lane.
                        let sum = _mm256_set1_epi32(sum & 0xFFFF);
                        let per = if SUB == 32 { &self.mins } else { &self.scales };
                        let v = load(per.as_ptr().add(16 * (subs * i + sub)) as *const u8);
                        corr = _mm256_add_epi32(corr, _mm256_madd_epi16(v, sum));
                    }
                    let yd = _mm256_set1_ps(*y.d.get_unchecked(i));
                    if SUB == 32 {
                        let d = _mm256_mul_ps(dw, yd);
                        *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), d, *acc);
                        let dmin = _mm256_mul_ps(dmw, yd);
                        *acc_min = _mm256_fmadd_ps(_mm256_cvtepi32_ps(corr), dmin, *acc_min);
                    } else {
                        let isum = _mm256_sub_epi32(isum, _mm256_slli_epi32(corr, 5));
                        let d = _mm256_mul_ps(dw, yd);
                        *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), d, *acc);
                    }
                }
            }
        }
        for ((out, acc), acc_min) in out.iter_mut().zip(acc).zip(acc_min) {
            _mm256_storeu_ps(out.as_mut_ptr(), _mm256_sub_ps(acc, acc_min));
        }
    }
}

/// Codes `32c..32c + 32` of a row, in order.
#[inline(always)]
unsafe fn chunk(kind: QuantType, row: &[u8], c: usize) -> __m256i {
    let p = row.as_ptr();
    match kind {
        QuantType::Q4_0 => nibbles(p.add(18 * c + 2)),
        QuantType::Q4_1 => nibbles(p.add(20 * c + 4)),
        QuantType::Q5_0 => {
            let x = p.add(22 * c);
            _mm256_or_si256(nibbles(x.add(6)), fifth_bits(x.add(2)))
        }
        QuantType::Q5_1 => {
            let x = p.add(24 * c);
            _mm256_or_si256(nibbles(x.add(8)), fifth_bits(x.add(4)))
        }
        QuantType::Q8_0 => load(p.add(34 * c + 2)),
        QuantType::Q4_K | QuantType::Q5_K => {
            // Chunk c: super-block c/8, 64-weight group j, low or high nibbles.
            let (i, j, high) = (c / 8, c % 8 / 2, c % 2 == 1);
            let (bytes, qs) = if kind == QuantType::Q4_K {
                (144, 16)
            } else {
                (176, 48)
            };
            let x = p.add(bytes * i);
            let q = load(x.add(qs + 32 * j));
            let q = if high { _mm256_srli_epi16(q, 4) } else { q };
            let q = _mm256_and_si256(q, _mm256_set1_epi8(0x0F));
            if kind == QuantType::Q4_K {
                q
            } else {
                // Fifth bits: bit 2j (low) or 2j + 1 (high) of each of the 32 qh bytes.
                let bit = (2 * j + high as usize) as i64;
                let h = _mm256_srl_epi16(load(x.add(16)), _mm_set_epi64x(0, bit));
                let h = _mm256_and_si256(h, _mm256_set1_epi8(1));
                _mm256_or_si256(q, _mm256_slli_epi16(h, 4))
            }
        }
        QuantType::Q6_K => {
            // Chunk c: super-block c/8, half j = c%8/4, quarter t = c%4.
            let (i, j, t) = (c / 8, c % 8 / 4, c % 4);
            let x = p.add(210 * i);
            let ql = load(x.add(64 * j + 32 * (t % 2)));
            let low = if t < 2 { ql } else { _mm256_srli_epi16(ql, 4) };
            let low = _mm256_and_si256(low, _mm256_set1_epi8(0x0F));
            let h = _mm256_srl_epi16(load(x.add(128 + 32 * j)), _mm_set_epi64x(0, 2 * t as i64));
            let h = _mm256_and_si256(h, _mm256_set1_epi8(3));
            _mm256_or_si256(low, _mm256_slli_epi16(h, 4))
        }
        QuantType::F32 | QuantType::F16 | QuantType::BF16 => {
            unreachable!("float types have no panels")
        }
    }
}

/// Eight vectors of eight i32 partial sums to one vector of their totals (lane `r`: the sum
/// of `v[r]`'s lanes).
#[cfg(target_feature = "f16c")]
#[inline(always)]
unsafe fn totals(v: [__m256i; NR]) -> __m256i {
    let h01 = _mm256_hadd_epi32(v[0], v[1]);
    let h23 = _mm256_hadd_epi32(v[2], v[3]);
    let h45 = _mm256_hadd_epi32(v[4], v[5]);
    let h67 = _mm256_hadd_epi32(v[6], v[7]);
    let h0123 = _mm256_hadd_epi32(h01, h23);
    let h4567 = _mm256_hadd_epi32(h45, h67);
    _mm256_add_epi32(
        _mm256_permute2x128_si256(h0123, h4567, 0x20),
        _mm256_permute2x128_si256(h0123, h4567, 0x31),
    )
}

/// Q4_0 rows `j..j + 8` of `data` (rows of `row_bytes`) times `R` activation rows, with the
/// arithmetic of ggml's repacked Q4_0 kernels (`ggml_gemv_q4_0_8x8_q8_0`,
/// `ggml_gemm_q4_0_8x8_q8_0`): per block, each row's integer sum, then
/// `acc += sum · (d_w · d_a)` — the same as the panels', without unpacking (decoding).
#[cfg(target_feature = "f16c")]
pub(super) fn q4_0_rows<const R: usize>(
    data: &[u8],
    row_bytes: usize,
    j: usize,
    a: [Q8Row; R],
) -> [[f32; NR]; R] {
    let nb = row_bytes / 18;
    assert_eq!(row_bytes, nb * 18);
    assert!((j + NR) * row_bytes <= data.len() && NR * row_bytes < i32::MAX as usize);
    for y in &a {
        assert!(y.qs.len() >= nb * 32 && y.d.len() >= nb && y.sum.len() >= nb);
    }
    // SAFETY: AVX2 and FMA are enabled for the build; rows `j..j + 8` lie in `data` (checked
    // above), block `b < nb` of row `r` is `18b..18b + 18` from the row's start: the gather
    // reads its first 4 bytes, the nibble load 16 bytes at +2; the activation reads are those
    // of `q4_0`, inside the lengths checked above.
    unsafe {
        let base = data.as_ptr().add(j * row_bytes);
        let rows: [*const u8; NR] = std::array::from_fn(|r| base.add(r * row_bytes));
        let offsets = _mm256_mullo_epi32(
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            _mm256_set1_epi32(row_bytes as i32),
        );
        // The low 2 bytes of each 32-bit lane to the low 8 bytes of each 128-bit half.
        let low_words = _mm256_setr_epi8(
            0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 4, 5, 8, 9, 12, 13, -1,
            -1, -1, -1, -1, -1, -1, -1,
        );
        let ones = _mm256_set1_epi16(1);
        let shift = _mm256_setr_epi64x(0, 0, 4, 4);
        let low = _mm256_set1_epi8(0x0F);
        let mut acc = [_mm256_setzero_ps(); R];
        for b in 0..nb {
            for row in rows {
                ahead(row.add(18 * b), 18);
            }
            let words = _mm256_i32gather_epi32(base.add(18 * b) as *const i32, offsets, 1);
            let words = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(words, low_words), 0b1000);
            let dw = _mm256_cvtph_ps(_mm256_castsi256_si128(words));
            // Nibbles: the 16 bytes in both halves, the upper half shifted by 4.
            let codes: [__m256i; NR] = std::array::from_fn(|r| {
                let bytes = _mm256_broadcastsi128_si256(_mm_loadu_si128(
                    rows[r].add(18 * b + 2) as *const __m128i
                ));
                _mm256_and_si256(_mm256_srlv_epi64(bytes, shift), low)
            });
            for (acc, y) in acc.iter_mut().zip(&a) {
                let qy = _mm256_loadu_si256(y.qs.as_ptr().add(32 * b) as *const __m256i);
                let sums = codes.map(|c| _mm256_madd_epi16(_mm256_maddubs_epi16(c, qy), ones));
                let isum =
                    _mm256_sub_epi32(totals(sums), _mm256_set1_epi32(8 * *y.sum.get_unchecked(b)));
                let d = _mm256_mul_ps(dw, _mm256_set1_ps(*y.d.get_unchecked(b)));
                *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), d, *acc);
            }
        }
        let mut out = [[0f32; NR]; R];
        for (out, acc) in out.iter_mut().zip(acc) {
            _mm256_storeu_ps(out.as_mut_ptr(), acc);
        }
        out
    }
}
