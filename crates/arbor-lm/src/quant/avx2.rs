//! AVX2 + FMA kernels, compiled only when the build enables those features. Each is ggml-cpu's
//! x86 `ggml_vec_dot_*` (`arch/x86/quants.c`, `vec.cpp`) for `R` activation rows at once: the
//! weight block is loaded and unpacked once, then multiplied with each row exactly as ggml
//! multiplies one (the same integer lanes, float accumulators and final sums), so every row's
//! result is the one ggml computes for it.
//!
//! Where ggml's scalar steps are written `a += b * c`, the compilers that build it (GCC,
//! clang) contract them into one FMA; so do these kernels (`mul_add`).
//!
//! Every kernel asserts that the weight row is whole blocks and that each activation row has
//! as many, then reads only inside those lengths.

use super::act::{Q8KRow, Q8Row};
use super::portable::k_scales;
use super::QK_K;
use std::arch::x86_64::*;

/// `_mm256_shuffle_epi8` masks that spread 16-bit scale `i` over a register (ggml's
/// `get_scale_shuffle_k4`).
static K4_SHUFFLE: [[u8; 32]; 8] = {
    let mut t = [[0u8; 32]; 8];
    let mut i = 0;
    while i < 8 {
        let mut j = 0;
        while j < 32 {
            t[i][j] = (2 * i + (j & 1)) as u8;
            j += 1;
        }
        i += 1;
    }
    t
};

/// `_mm_shuffle_epi8` masks that spread 8-bit scales `2i` and `2i + 1` over the two halves of
/// a register (ggml's `get_scale_shuffle`).
static Q6_SHUFFLE: [[u8; 16]; 8] = {
    let mut t = [[0u8; 16]; 8];
    let mut i = 0;
    while i < 8 {
        let mut j = 0;
        while j < 16 {
            t[i][j] = (2 * i + j / 8) as u8;
            j += 1;
        }
        i += 1;
    }
    t
};

/// Bytes ahead of the weights being multiplied that the kernels ask the CPU to fetch.
/// Decoding streams every weight once per token from memory, and the hardware prefetchers
/// stop at each 4 KiB page: asking for the bytes a few pages ahead keeps the loads from
/// waiting (decoding a 0.5B model on one thread 1.3× as fast; 8 KiB decoded fastest, between
/// 4 and 16 KiB within a few percent).
const AHEAD: usize = 8192;

/// Asks the CPU to bring the `bytes` weight bytes [`AHEAD`] of `x` into the cache, a line at a
/// time.
#[inline(always)]
pub(super) fn ahead(x: *const u8, bytes: usize) {
    let mut at = 0;
    while at < bytes {
        // SAFETY: SSE is part of x86_64. A prefetch is a hint that neither reads into the
        // program nor faults, whatever the address; the pointer is formed with `wrapping_add`
        // and never dereferenced.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(x.wrapping_add(AHEAD + at) as *const i8) };
        at += 64;
    }
}

/// The sum of the eight lanes (ggml's `hsum_float_8`).
#[inline(always)]
unsafe fn hsum(x: __m256) -> f32 {
    let res = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
    let res = _mm_add_ps(res, _mm_movehl_ps(res, res));
    let res = _mm_add_ss(res, _mm_movehdup_ps(res));
    _mm_cvtss_f32(res)
}

/// ggml's `GGML_F32x8_REDUCE` of four accumulators.
#[inline(always)]
unsafe fn reduce4(x: [__m256; 4]) -> f32 {
    let x0 = _mm256_add_ps(x[0], x[2]);
    let x1 = _mm256_add_ps(x[1], x[3]);
    let x0 = _mm256_add_ps(x0, x1);
    let t0 = _mm_add_ps(_mm256_castps256_ps128(x0), _mm256_extractf128_ps(x0, 1));
    let t1 = _mm_hadd_ps(t0, t0);
    _mm_cvtss_f32(_mm_hadd_ps(t1, t1))
}

/// 32 bytes at `p`.
#[inline(always)]
pub(super) unsafe fn load(p: *const u8) -> __m256i {
    _mm256_loadu_si256(p as *const __m256i)
}

/// 32 quants at `p`.
#[inline(always)]
unsafe fn load_i8(p: *const i8) -> __m256i {
    _mm256_loadu_si256(p as *const __m256i)
}

/// The f16 at `p` as f32 in every lane. (A broadcast: every lane is used, so the value
/// cannot be inserted into a register holding something else, which `half`'s scalar
/// conversion does and which chains each block's scale to the previous block's sum.)
#[cfg(target_feature = "f16c")]
#[inline(always)]
unsafe fn f16_splat(p: *const u8) -> __m256 {
    _mm256_cvtph_ps(_mm_set1_epi16((p as *const i16).read_unaligned()))
}

/// The f16 at `p` as f32 in every lane.
#[cfg(not(target_feature = "f16c"))]
#[inline(always)]
unsafe fn f16_splat(p: *const u8) -> __m256 {
    _mm256_set1_ps(half::f16::from_bits((p as *const u16).read_unaligned()).to_f32())
}

/// The two f16 at `p` as f32 in lanes 0 and 1 (loaded with `vmovd`, which zeroes the rest).
#[cfg(target_feature = "f16c")]
#[inline(always)]
unsafe fn f16_pair(p: *const u8) -> __m128 {
    _mm_cvtph_ps(_mm_cvtsi32_si128((p as *const i32).read_unaligned()))
}

/// The two f16 at `p` as f32 in lanes 0 and 1.
#[cfg(not(target_feature = "f16c"))]
#[inline(always)]
unsafe fn f16_pair(p: *const u8) -> __m128 {
    let f = |p: *const u8| half::f16::from_bits((p as *const u16).read_unaligned()).to_f32();
    _mm_setr_ps(f(p), f(p.add(2)), 0.0, 0.0)
}

/// 16 bytes at `p` as 32 nibbles: low nibbles, then high ones (ggml's
/// `bytes_from_nibbles_32`).
#[inline(always)]
pub(super) unsafe fn nibbles(p: *const u8) -> __m256i {
    let tmp = _mm_loadu_si128(p as *const __m128i);
    let bytes = _mm256_set_m128i(_mm_srli_epi16(tmp, 4), tmp);
    _mm256_and_si256(bytes, _mm256_set1_epi8(0x0F))
}

/// The 32 bits at `p` as 32 bytes, 0xFF where a bit is set (ggml's `bytes_from_bits_32`).
#[inline(always)]
pub(super) unsafe fn bits(p: *const u8) -> __m256i {
    let x32 = (p as *const i32).read_unaligned();
    let shuffle = _mm256_set_epi64x(
        0x0303030303030303,
        0x0202020202020202,
        0x0101010101010101,
        0,
    );
    let bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(x32), shuffle);
    let bytes = _mm256_or_si256(bytes, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));
    _mm256_cmpeq_epi8(bytes, _mm256_set1_epi64x(-1))
}

/// Pairs of pairs of byte products summed to i32, then to float: `x` unsigned, `y` signed
/// (ggml's `mul_sum_us8_pairs_float`).
#[inline(always)]
unsafe fn mul_sum_us8(ones: __m256i, x: __m256i, y: __m256i) -> __m256 {
    _mm256_cvtepi32_ps(_mm256_madd_epi16(ones, _mm256_maddubs_epi16(x, y)))
}

/// The blocks in each weight row of `w` (`bytes`-byte blocks, all rows as long), checking
/// that the activation rows `a` have as many.
fn q8_blocks(w: &[&[u8]], bytes: usize, a: &[Q8Row]) -> usize {
    let nb = w[0].len() / bytes;
    for w in w {
        assert_eq!(
            w.len(),
            nb * bytes,
            "weight rows of whole blocks, all as long"
        );
    }
    for y in a {
        assert!(
            y.qs.len() >= nb * 32 && y.d.len() >= nb && y.s.len() >= nb,
            "activations for {nb} blocks"
        );
    }
    nb
}

/// The super-blocks in each weight row of `w` (`bytes`-byte super-blocks, all rows as long),
/// checking that the activation rows `a` have as many.
fn q8k_blocks(w: &[&[u8]], bytes: usize, a: &[Q8KRow]) -> usize {
    let nb = w[0].len() / bytes;
    for w in w {
        assert_eq!(
            w.len(),
            nb * bytes,
            "weight rows of whole super-blocks, all as long"
        );
    }
    for y in a {
        assert!(
            y.qs.len() >= nb * QK_K && y.d.len() >= nb && y.bsums.len() >= nb * 16,
            "activations for {nb} super-blocks"
        );
    }
    nb
}

/// Each accumulator's lanes summed, plus `extra` (ggml's final `hsum_float_8(acc) + summs`).
#[inline(always)]
unsafe fn finish<const C: usize, const R: usize>(
    acc: [[__m256; R]; C],
    extra: [[f32; R]; C],
) -> [[f32; R]; C] {
    let mut out = [[0f32; R]; C];
    for ((o, acc), extra) in out.iter_mut().zip(acc).zip(extra) {
        for ((o, acc), extra) in o.iter_mut().zip(acc).zip(extra) {
            *o = hsum(acc) + extra;
        }
    }
    out
}

/// Q4_0 × Q8_0 (`ggml_vec_dot_q4_0_q8_0`) for `C` weight rows and `R` activation rows.
pub(super) fn q4_0<const C: usize, const R: usize>(
    w: &[&[u8]; C],
    a: &[Q8Row; R],
) -> [[f32; R]; C] {
    let nb = q8_blocks(w, 18, a);
    // SAFETY: AVX2 and FMA are enabled for the build (the module is compiled only then);
    // block `b < nb` of a weight row is `w[18b..18b + 18]` (16 bytes read at +2, the scale at
    // +0), and each activation row's quants `qs[32b..32b + 32]` and scale `d[b]` are inside
    // the lengths checked above.
    unsafe {
        let ones = _mm256_set1_epi16(1);
        let off = _mm256_set1_epi8(8);
        let mut acc = [[_mm256_setzero_ps(); R]; C];
        for b in 0..nb {
            for (acc, w) in acc.iter_mut().zip(w) {
                let x = w.as_ptr().add(18 * b);
                ahead(x, 18);
                let dx = f16_splat(x);
                let qx = _mm256_sub_epi8(nibbles(x.add(2)), off);
                let ax = _mm256_sign_epi8(qx, qx);
                for (acc, y) in acc.iter_mut().zip(a) {
                    let qy = load_i8(y.qs.as_ptr().add(32 * b));
                    let q = mul_sum_us8(ones, ax, _mm256_sign_epi8(qy, qx));
                    let d = _mm256_mul_ps(dx, _mm256_broadcast_ss(y.d.get_unchecked(b)));
                    *acc = _mm256_fmadd_ps(d, q, *acc);
                }
            }
        }
        finish(acc, [[0.0; R]; C])
    }
}

/// Q4_1 × Q8_1 (`ggml_vec_dot_q4_1_q8_1`) for `C` weight rows and `R` activation rows.
pub(super) fn q4_1<const C: usize, const R: usize>(
    w: &[&[u8]; C],
    a: &[Q8Row; R],
) -> [[f32; R]; C] {
    let nb = q8_blocks(w, 20, a);
    // SAFETY: as in `q4_0`, with 20-byte blocks (16 bytes read at +4, `d` and `m` at +0) and
    // the rows' sums `s[b]`, checked likewise.
    unsafe {
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_ps(); R]; C];
        let mut summs = [[0f32; R]; C];
        for b in 0..nb {
            for ((acc, summs), w) in acc.iter_mut().zip(&mut summs).zip(w) {
                let x = w.as_ptr().add(20 * b);
                ahead(x, 20);
                let dm = f16_pair(x);
                let (d0, m) = (
                    _mm256_broadcastss_ps(dm),
                    _mm_cvtss_f32(_mm_movehdup_ps(dm)),
                );
                let qx = nibbles(x.add(4));
                for ((acc, summs), y) in acc.iter_mut().zip(summs).zip(a) {
                    *summs = m.mul_add(*y.s.get_unchecked(b), *summs);
                    let d0d1 = _mm256_mul_ps(d0, _mm256_broadcast_ss(y.d.get_unchecked(b)));
                    let qy = load_i8(y.qs.as_ptr().add(32 * b));
                    *acc = _mm256_fmadd_ps(d0d1, mul_sum_us8(ones, qx, qy), *acc);
                }
            }
        }
        finish(acc, summs)
    }
}

/// Q5_0 × Q8_0 (`ggml_vec_dot_q5_0_q8_0`) for `C` weight rows and `R` activation rows.
pub(super) fn q5_0<const C: usize, const R: usize>(
    w: &[&[u8]; C],
    a: &[Q8Row; R],
) -> [[f32; R]; C] {
    let nb = q8_blocks(w, 22, a);
    // SAFETY: as in `q4_0`, with 22-byte blocks (4 bytes read at +2, 16 at +6).
    unsafe {
        let ones = _mm256_set1_epi16(1);
        let high = _mm256_set1_epi8(0xF0u8 as i8);
        let mut acc = [[_mm256_setzero_ps(); R]; C];
        for b in 0..nb {
            for (acc, w) in acc.iter_mut().zip(w) {
                let x = w.as_ptr().add(22 * b);
                ahead(x, 22);
                let dx = f16_splat(x);
                // Nibbles, less 16 where the fifth bit is clear.
                let qx =
                    _mm256_or_si256(nibbles(x.add(6)), _mm256_andnot_si256(bits(x.add(2)), high));
                let ax = _mm256_sign_epi8(qx, qx);
                for (acc, y) in acc.iter_mut().zip(a) {
                    let qy = load_i8(y.qs.as_ptr().add(32 * b));
                    let q = mul_sum_us8(ones, ax, _mm256_sign_epi8(qy, qx));
                    let d = _mm256_mul_ps(dx, _mm256_broadcast_ss(y.d.get_unchecked(b)));
                    *acc = _mm256_fmadd_ps(d, q, *acc);
                }
            }
        }
        finish(acc, [[0.0; R]; C])
    }
}

/// Q5_1 × Q8_1 (`ggml_vec_dot_q5_1_q8_1`) for `C` weight rows and `R` activation rows.
pub(super) fn q5_1<const C: usize, const R: usize>(
    w: &[&[u8]; C],
    a: &[Q8Row; R],
) -> [[f32; R]; C] {
    let nb = q8_blocks(w, 24, a);
    // SAFETY: as in `q4_1`, with 24-byte blocks (4 bytes read at +4, 16 at +8).
    unsafe {
        let ones = _mm256_set1_epi16(1);
        let fifth = _mm256_set1_epi8(0x10);
        let mut acc = [[_mm256_setzero_ps(); R]; C];
        let mut summs = [[0f32; R]; C];
        for b in 0..nb {
            for ((acc, summs), w) in acc.iter_mut().zip(&mut summs).zip(w) {
                let x = w.as_ptr().add(24 * b);
                ahead(x, 24);
                let dm = f16_pair(x);
                let (dx, m) = (
                    _mm256_broadcastss_ps(dm),
                    _mm_cvtss_f32(_mm_movehdup_ps(dm)),
                );
                let qx =
                    _mm256_or_si256(nibbles(x.add(8)), _mm256_and_si256(bits(x.add(4)), fifth));
                for ((acc, summs), y) in acc.iter_mut().zip(summs).zip(a) {
                    *summs = m.mul_add(*y.s.get_unchecked(b), *summs);
                    let dxdy = _mm256_mul_ps(dx, _mm256_broadcast_ss(y.d.get_unchecked(b)));
                    let qy = load_i8(y.qs.as_ptr().add(32 * b));
                    *acc = _mm256_fmadd_ps(mul_sum_us8(ones, qx, qy), dxdy, *acc);
                }
            }
        }
        finish(acc, summs)
    }
}

/// Q8_0 × Q8_0 (`ggml_vec_dot_q8_0_q8_0`) for `C` weight rows and `R` activation rows.
pub(super) fn q8_0<const C: usize, const R: usize>(
    w: &[&[u8]; C],
    a: &[Q8Row; R],
) -> [[f32; R]; C] {
    let nb = q8_blocks(w, 34, a);
    // SAFETY: as in `q4_0`, with 34-byte blocks (32 bytes read at +2).
    unsafe {
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_ps(); R]; C];
        for b in 0..nb {
            for (acc, w) in acc.iter_mut().zip(w) {
                let x = w.as_ptr().add(34 * b);
                ahead(x, 34);
                let dx = f16_splat(x);
                let qx = load(x.add(2));
                let ax = _mm256_sign_epi8(qx, qx);
                for (acc, y) in acc.iter_mut().zip(a) {
                    let qy = load_i8(y.qs.as_ptr().add(32 * b));
                    let q = mul_sum_us8(ones, ax, _mm256_sign_epi8(qy, qx));
                    let d = _mm256_mul_ps(dx, _mm256_broadcast_ss(y.d.get_unchecked(b)));
                    *acc = _mm256_fmadd_ps(d, q, *acc);
                }
            }
        }
        finish(acc, [[0.0; R]; C])
    }
}

/// A Q4_K/Q5_K super-block's scales (low half, as 16-bit lanes) and minimums (high half).
#[inline(always)]
unsafe fn mins_and_scales(scales: *const u8) -> __m256i {
    let utmp = k_scales(std::slice::from_raw_parts(scales, 12));
    _mm256_cvtepu8_epi16(_mm_set_epi32(
        utmp[3] as i32,
        utmp[2] as i32,
        utmp[1] as i32,
        utmp[0] as i32,
    ))
}

/// `mins · bsums` of a row's super-block `i`: four i32 lanes, each two minimums times the
/// sums of their 32 quants.
#[inline(always)]
unsafe fn mins_products(mins: __m128i, y: &Q8KRow, i: usize) -> __m128i {
    let q8sums = _mm256_loadu_si256(y.bsums.as_ptr().add(16 * i) as *const __m256i);
    let q8s = _mm_hadd_epi16(
        _mm256_castsi256_si128(q8sums),
        _mm256_extracti128_si256(q8sums, 1),
    );
    _mm_madd_epi16(mins, q8s)
}

/// Q4_K × Q8_K (`ggml_vec_dot_q4_K_q8_K`) for `C` weight rows and `R` activation rows.
pub(super) fn q4_k<const C: usize, const R: usize>(
    w: &[&[u8]; C],
    a: &[Q8KRow; R],
) -> [[f32; R]; C] {
    let nb = q8k_blocks(w, 144, a);
    // SAFETY: AVX2 and FMA are enabled for the build; super-block `i < nb` of a weight row is
    // `w[144i..144i + 144]` (`d`, `dmin` at +0, 12 scale bytes at +4, 4 × 32 quant bytes
    // from +16), and each activation row's quants `qs[256i..256i + 256]`, `d[i]` and
    // `bsums[16i..16i + 16]` are inside the lengths checked above.
    unsafe {
        let m4 = _mm256_set1_epi8(0xF);
        let mut acc = [[_mm256_setzero_ps(); R]; C];
        let mut acc_m = [[_mm_setzero_ps(); R]; C];
        for i in 0..nb {
            let mut scales = [_mm256_setzero_si256(); C];
            let mut xd = [0f32; C];
            for (((scales, xd), acc_m), w) in scales.iter_mut().zip(&mut xd).zip(&mut acc_m).zip(w)
            {
                let x = w.as_ptr().add(144 * i);
                ahead(x, 144);
                let dm = f16_pair(x);
                let xmin = _mm_cvtss_f32(_mm_movehdup_ps(dm));
                *xd = _mm_cvtss_f32(dm);
                let mins_and_scales = mins_and_scales(x.add(4));
                let mins = _mm256_extracti128_si256(mins_and_scales, 1);
                for (acc_m, y) in acc_m.iter_mut().zip(a) {
                    let dmin = -*y.d.get_unchecked(i) * xmin;
                    let prod = mins_products(mins, y, i);
                    *acc_m = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(prod), *acc_m);
                }
                let sc128 = _mm256_castsi256_si128(mins_and_scales);
                *scales = _mm256_set_m128i(sc128, sc128);
            }
            let mut sumi = [[_mm256_setzero_si256(); R]; C];
            for j in 0..4 {
                let shuffle_l = load(K4_SHUFFLE[2 * j].as_ptr());
                let shuffle_h = load(K4_SHUFFLE[2 * j + 1].as_ptr());
                for ((sumi, scales), w) in sumi.iter_mut().zip(&scales).zip(w) {
                    let scale_l = _mm256_shuffle_epi8(*scales, shuffle_l);
                    let scale_h = _mm256_shuffle_epi8(*scales, shuffle_h);
                    let q4bits = load(w.as_ptr().add(144 * i + 16 + 32 * j));
                    let q4l = _mm256_and_si256(q4bits, m4);
                    let q4h = _mm256_and_si256(_mm256_srli_epi16(q4bits, 4), m4);
                    for (sumi, y) in sumi.iter_mut().zip(a) {
                        let q8 = y.qs.as_ptr().add(QK_K * i + 64 * j);
                        let p16l =
                            _mm256_madd_epi16(scale_l, _mm256_maddubs_epi16(q4l, load_i8(q8)));
                        let p16h = _mm256_madd_epi16(
                            scale_h,
                            _mm256_maddubs_epi16(q4h, load_i8(q8.add(32))),
                        );
                        *sumi = _mm256_add_epi32(*sumi, _mm256_add_epi32(p16l, p16h));
                    }
                }
            }
            for ((acc, sumi), xd) in acc.iter_mut().zip(sumi).zip(xd) {
                for ((acc, sumi), y) in acc.iter_mut().zip(sumi).zip(a) {
                    let d = _mm256_set1_ps(*y.d.get_unchecked(i) * xd);
                    *acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sumi), *acc);
                }
            }
        }
        let mut mins = [[0f32; R]; C];
        for (mins, acc_m) in mins.iter_mut().zip(acc_m) {
            for (min, m) in mins.iter_mut().zip(acc_m) {
                let m = _mm_add_ps(m, _mm_movehl_ps(m, m));
                *min = _mm_cvtss_f32(_mm_add_ss(m, _mm_movehdup_ps(m)));
            }
        }
        finish(acc, mins)
    }
}

/// Q5_K × Q8_K (`ggml_vec_dot_q5_K_q8_K`) for `C` weight rows and `R` activation rows.
pub(super) fn q5_k<const C: usize, const R: usize>(
    w: &[&[u8]; C],
    a: &[Q8KRow; R],
) -> [[f32; R]; C] {
    let nb = q8k_blocks(w, 176, a);
    // SAFETY: as in `q4_k`, with 176-byte super-blocks (32 high-bit bytes read at +16,
    // 4 × 32 quant bytes from +48).
    unsafe {
        let m4 = _mm256_set1_epi8(0xF);
        let mone = _mm256_set1_epi8(1);
        let zero = _mm_setzero_si128();
        let mut acc = [[_mm256_setzero_ps(); R]; C];
        let mut summs = [[0f32; R]; C];
        for i in 0..nb {
            let mut scales = [_mm256_setzero_si256(); C];
            let mut hbits = [_mm256_setzero_si256(); C];
            let mut xd = [0f32; C];
            for ((((scales, hbits), xd), summs), w) in scales
                .iter_mut()
                .zip(&mut hbits)
                .zip(&mut xd)
                .zip(&mut summs)
                .zip(w)
            {
                let x = w.as_ptr().add(176 * i);
                ahead(x, 176);
                let dm = f16_pair(x);
                let xmin = _mm_cvtss_f32(_mm_movehdup_ps(dm));
                *xd = _mm_cvtss_f32(dm);
                let mins_and_scales = mins_and_scales(x.add(4));
                let mins = _mm256_extracti128_si256(mins_and_scales, 1);
                for (summs, y) in summs.iter_mut().zip(a) {
                    let dmin = -*y.d.get_unchecked(i) * xmin;
                    let prod = mins_products(mins, y, i);
                    let hsum = _mm_hadd_epi32(_mm_hadd_epi32(prod, zero), zero);
                    // `summs += dmin * sum`, contracted to an FMA by the compilers of ggml.
                    *summs = dmin.mul_add(_mm_cvtsi128_si32(hsum) as f32, *summs);
                }
                let sc128 = _mm256_castsi256_si128(mins_and_scales);
                *scales = _mm256_set_m128i(sc128, sc128);
                // Fifth bits: bit `2j` of each byte for quants 64j.., `2j + 1` for 64j + 32..
                *hbits = load(x.add(16));
            }
            let mut sumi = [[_mm256_setzero_si256(); R]; C];
            for j in 0..4 {
                let shuffle_0 = load(K4_SHUFFLE[2 * j].as_ptr());
                let shuffle_1 = load(K4_SHUFFLE[2 * j + 1].as_ptr());
                for (((sumi, scales), hbits), w) in
                    sumi.iter_mut().zip(&scales).zip(&mut hbits).zip(w)
                {
                    let scale_0 = _mm256_shuffle_epi8(*scales, shuffle_0);
                    let scale_1 = _mm256_shuffle_epi8(*scales, shuffle_1);
                    let q5bits = load(w.as_ptr().add(176 * i + 48 + 32 * j));
                    let q5h_0 = _mm256_slli_epi16(_mm256_and_si256(*hbits, mone), 4);
                    *hbits = _mm256_srli_epi16(*hbits, 1);
                    let q5_0 = _mm256_add_epi8(_mm256_and_si256(q5bits, m4), q5h_0);
                    let q5h_1 = _mm256_slli_epi16(_mm256_and_si256(*hbits, mone), 4);
                    *hbits = _mm256_srli_epi16(*hbits, 1);
                    let q5_1 =
                        _mm256_add_epi8(_mm256_and_si256(_mm256_srli_epi16(q5bits, 4), m4), q5h_1);
                    for (sumi, y) in sumi.iter_mut().zip(a) {
                        let q8 = y.qs.as_ptr().add(QK_K * i + 64 * j);
                        let p16_0 =
                            _mm256_madd_epi16(scale_0, _mm256_maddubs_epi16(q5_0, load_i8(q8)));
                        let p16_1 = _mm256_madd_epi16(
                            scale_1,
                            _mm256_maddubs_epi16(q5_1, load_i8(q8.add(32))),
                        );
                        *sumi = _mm256_add_epi32(*sumi, _mm256_add_epi32(p16_0, p16_1));
                    }
                }
            }
            for ((acc, sumi), xd) in acc.iter_mut().zip(sumi).zip(xd) {
                for ((acc, sumi), y) in acc.iter_mut().zip(sumi).zip(a) {
                    let d = _mm256_set1_ps(*y.d.get_unchecked(i) * xd);
                    *acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sumi), *acc);
                }
            }
        }
        finish(acc, summs)
    }
}

/// Q6_K × Q8_K (`ggml_vec_dot_q6_K_q8_K`, ggml 0.25: the quants' offset of 32 is taken off at
/// the end through the rows' sums of each 16, `32 · Σ scale · bsum`) for `C` weight rows and
/// `R` activation rows.
pub(super) fn q6_k<const C: usize, const R: usize>(
    w: &[&[u8]; C],
    a: &[Q8KRow; R],
) -> [[f32; R]; C] {
    let nb = q8k_blocks(w, 210, a);
    // SAFETY: as in `q4_k`, with 210-byte super-blocks (quants read from +0 and +32 of each
    // 64-byte half of `ql`, high bits from +128 and +160, 16 scales at +192, `d` at +208).
    unsafe {
        let m15 = _mm256_set1_epi8(15);
        let m3 = _mm256_set1_epi8(3);
        let m12 = _mm256_set1_epi8(12);
        let m48 = _mm256_set1_epi8(48);
        let m192 = _mm256_set1_epi8(-64);
        let mut acc = [[_mm256_setzero_ps(); R]; C];
        for i in 0..nb {
            for w in w {
                ahead(w.as_ptr().add(210 * i), 210);
            }
            let mut sumi = [[_mm256_setzero_si256(); R]; C];
            for j in 0..2 {
                for (sumi, w) in sumi.iter_mut().zip(w) {
                    let x = w.as_ptr().add(210 * i);
                    let scales = _mm_loadu_si128(x.add(192) as *const __m128i);
                    let q4bits1 = load(x.add(64 * j));
                    let q4bits2 = load(x.add(64 * j + 32));
                    let q4bits_h = load(x.add(128 + 32 * j));
                    let q4h_0 = _mm256_slli_epi16(_mm256_and_si256(q4bits_h, m3), 4);
                    let q4h_1 = _mm256_slli_epi16(_mm256_and_si256(q4bits_h, m12), 2);
                    let q4h_2 = _mm256_and_si256(q4bits_h, m48);
                    let q4h_3 = _mm256_srli_epi16(_mm256_and_si256(q4bits_h, m192), 2);
                    let quants = [
                        _mm256_or_si256(_mm256_and_si256(q4bits1, m15), q4h_0),
                        _mm256_or_si256(_mm256_and_si256(q4bits2, m15), q4h_1),
                        _mm256_or_si256(
                            _mm256_and_si256(_mm256_srli_epi16(q4bits1, 4), m15),
                            q4h_2,
                        ),
                        _mm256_or_si256(
                            _mm256_and_si256(_mm256_srli_epi16(q4bits2, 4), m15),
                            q4h_3,
                        ),
                    ];
                    for (t, q) in quants.into_iter().enumerate() {
                        let shuffle =
                            _mm_loadu_si128(Q6_SHUFFLE[4 * j + t].as_ptr() as *const __m128i);
                        let scale = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, shuffle));
                        for (sumi, y) in sumi.iter_mut().zip(a) {
                            let q8 = load_i8(y.qs.as_ptr().add(QK_K * i + 128 * j + 32 * t));
                            let p16 = _mm256_madd_epi16(scale, _mm256_maddubs_epi16(q, q8));
                            *sumi = _mm256_add_epi32(*sumi, p16);
                        }
                    }
                }
            }
            for ((acc, sumi), w) in acc.iter_mut().zip(sumi).zip(w) {
                let x = w.as_ptr().add(210 * i);
                let xd = f16_splat(x.add(208));
                let scales_16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(x.add(192) as *const __m128i));
                for ((acc, sumi), y) in acc.iter_mut().zip(sumi).zip(a) {
                    let q8sums = _mm256_loadu_si256(y.bsums.as_ptr().add(16 * i) as *const __m256i);
                    let q8sclsub = _mm256_slli_epi32(_mm256_madd_epi16(q8sums, scales_16), 5);
                    let sumi = _mm256_sub_epi32(sumi, q8sclsub);
                    let d = _mm256_mul_ps(_mm256_broadcast_ss(y.d.get_unchecked(i)), xd);
                    *acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sumi), *acc);
                }
            }
        }
        finish(acc, [[0.0; R]; C])
    }
}

/// Checks a float weight row of `n` values of `size` bytes against the activation rows.
fn float_len(w: &[u8], size: usize, a: &[&[f32]]) -> usize {
    let n = w.len() / size;
    assert_eq!(w.len(), n * size, "a weight row of whole values");
    for y in a {
        assert!(y.len() >= n, "activations for {n} values");
    }
    n
}

/// F32 × f32 (`ggml_vec_dot_f32`: four accumulators of eight, the rest in f32).
pub(super) fn f32_dot<const R: usize>(w: &[&[u8]; 1], a: &[&[f32]; R]) -> [[f32; R]; 1] {
    let w = w[0];
    let n = float_len(w, 4, a);
    let np = n & !31;
    // SAFETY: AVX2 and FMA are enabled for the build; the loads read values `i..i + 32` with
    // `i + 32 ≤ np ≤ n` of the weight row (4 bytes each) and of each activation row, inside
    // the lengths checked above.
    unsafe {
        let mut sum = [[_mm256_setzero_ps(); 4]; R];
        for i in (0..np).step_by(32) {
            ahead(w.as_ptr().add(4 * i), 128);
            for t in 0..4 {
                let x = _mm256_loadu_ps(w.as_ptr().add(4 * (i + 8 * t)) as *const f32);
                for (sum, y) in sum.iter_mut().zip(a) {
                    let y = _mm256_loadu_ps(y.as_ptr().add(i + 8 * t));
                    sum[t] = _mm256_fmadd_ps(x, y, sum[t]);
                }
            }
        }
        let mut out = [0f32; R];
        for ((o, sum), y) in out.iter_mut().zip(sum).zip(a) {
            let mut s = reduce4(sum);
            for (x, y) in w[4 * np..].chunks_exact(4).zip(&y[np..n]) {
                s += f32::from_le_bytes([x[0], x[1], x[2], x[3]]) * y;
            }
            *o = s;
        }
        [out]
    }
}

/// F16 × f16 (`ggml_vec_dot_f16` with F16C: weights converted to f32, four accumulators of
/// eight, the rest in f64). The activations are f16 values already in f32.
#[cfg(target_feature = "f16c")]
pub(super) fn f16_dot<const R: usize>(w: &[&[u8]; 1], a: &[&[f32]; R]) -> [[f32; R]; 1] {
    let w = w[0];
    let n = float_len(w, 2, a);
    let np = n & !31;
    // SAFETY: AVX2, FMA and F16C are enabled for the build; the loads read values
    // `i..i + 32` with `i + 32 ≤ np ≤ n` of the weight row (2 bytes each) and of each
    // activation row, inside the lengths checked above.
    unsafe {
        let mut sum = [[_mm256_setzero_ps(); 4]; R];
        for i in (0..np).step_by(32) {
            ahead(w.as_ptr().add(2 * i), 64);
            for t in 0..4 {
                let x = _mm256_cvtph_ps(_mm_loadu_si128(
                    w.as_ptr().add(2 * (i + 8 * t)) as *const __m128i
                ));
                for (sum, y) in sum.iter_mut().zip(a) {
                    let y = _mm256_loadu_ps(y.as_ptr().add(i + 8 * t));
                    sum[t] = _mm256_fmadd_ps(x, y, sum[t]);
                }
            }
        }
        let mut out = [0f32; R];
        for ((o, sum), y) in out.iter_mut().zip(sum).zip(a) {
            let mut s = reduce4(sum) as f64;
            for (x, y) in w[2 * np..].chunks_exact(2).zip(&y[np..n]) {
                s += (half::f16::from_le_bytes([x[0], x[1]]).to_f32() * y) as f64;
            }
            *o = s as f32;
        }
        [out]
    }
}

/// BF16 × bf16 (`ggml_vec_dot_bf16`, AVX2 branch: products added to four accumulators of
/// eight, the rest in f64). The activations are bf16 values already in f32.
pub(super) fn bf16_dot<const R: usize>(w: &[&[u8]; 1], a: &[&[f32]; R]) -> [[f32; R]; 1] {
    let w = w[0];
    let n = float_len(w, 2, a);
    let np = n & !31;
    // SAFETY: as in `f16_dot`, with AVX2 and FMA.
    unsafe {
        let mut c = [[_mm256_setzero_ps(); 4]; R];
        for i in (0..np).step_by(32) {
            ahead(w.as_ptr().add(2 * i), 64);
            for t in 0..4 {
                let raw = _mm_loadu_si128(w.as_ptr().add(2 * (i + 8 * t)) as *const __m128i);
                let x = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(raw), 16));
                for (c, y) in c.iter_mut().zip(a) {
                    let y = _mm256_loadu_ps(y.as_ptr().add(i + 8 * t));
                    c[t] = _mm256_add_ps(_mm256_mul_ps(x, y), c[t]);
                }
            }
        }
        let mut out = [0f32; R];
        for ((o, c), y) in out.iter_mut().zip(c).zip(a) {
            let c1 = _mm256_add_ps(_mm256_add_ps(c[0], c[2]), _mm256_add_ps(c[1], c[3]));
            let g = _mm_add_ps(_mm256_extractf128_ps(c1, 1), _mm256_castps256_ps128(c1));
            let g = _mm_add_ps(g, _mm_movehl_ps(g, g));
            let g = _mm_add_ss(g, _mm_movehdup_ps(g));
            let mut s = _mm_cvtss_f32(g) as f64;
            for (x, y) in w[2 * np..].chunks_exact(2).zip(&y[np..n]) {
                s += (half::bf16::from_le_bytes([x[0], x[1]]).to_f32() * y) as f64;
            }
            *o = s as f32;
        }
        [out]
    }
}

/// One row to Q8_0 quants, scales and Q8_1 sums: ggml-cpu's x86 `quantize_row_q8_0` and
/// `quantize_row_q8_1`, the same operations as `act::quantize_q8`.
pub(super) fn quantize_q8(
    x: &[f32],
    qs: &mut [i8],
    d: &mut [f32],
    s: &mut [f32],
    sums: &mut [i32],
) {
    let nb = x.len() / 32;
    assert!(qs.len() >= nb * 32 && d.len() >= nb && s.len() >= nb && sums.len() >= nb);
    // SAFETY: AVX2 is enabled for the build; block `b < nb` reads `x[32b..32b + 32]` and
    // writes `qs[32b..32b + 32]`, inside the lengths checked above.
    unsafe {
        let sign_bit = _mm256_set1_ps(-0.0);
        let perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        for b in 0..nb {
            let p = x.as_ptr().add(32 * b);
            let v = [
                _mm256_loadu_ps(p),
                _mm256_loadu_ps(p.add(8)),
                _mm256_loadu_ps(p.add(16)),
                _mm256_loadu_ps(p.add(24)),
            ];
            let mut max_abs = _mm256_andnot_ps(sign_bit, v[0]);
            for v in &v[1..] {
                max_abs = _mm256_max_ps(max_abs, _mm256_andnot_ps(sign_bit, *v));
            }
            let max4 = _mm_max_ps(
                _mm256_extractf128_ps(max_abs, 1),
                _mm256_castps256_ps128(max_abs),
            );
            let max4 = _mm_max_ps(max4, _mm_movehl_ps(max4, max4));
            let max4 = _mm_max_ss(max4, _mm_movehdup_ps(max4));
            let amax = _mm_cvtss_f32(max4);
            let scale = amax / 127.0;
            let id = _mm256_set1_ps(if amax != 0.0 { 127.0 / amax } else { 0.0 });
            let i = v.map(|v| {
                _mm256_cvtps_epi32(_mm256_round_ps(
                    _mm256_mul_ps(v, id),
                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC,
                ))
            });
            let sum = _mm256_add_epi32(_mm256_add_epi32(i[0], i[1]), _mm256_add_epi32(i[2], i[3]));
            let sum128 = _mm_add_epi32(
                _mm256_castsi256_si128(sum),
                _mm256_extracti128_si256(sum, 1),
            );
            let sum64 = _mm_add_epi32(_mm_unpackhi_epi64(sum128, sum128), sum128);
            let sum32 = _mm_add_epi32(sum64, _mm_shuffle_epi32(sum64, 0b10_11_00_01));
            let sum = _mm_cvtsi128_si32(sum32);
            let packed = _mm256_packs_epi16(
                _mm256_packs_epi32(i[0], i[1]),
                _mm256_packs_epi32(i[2], i[3]),
            );
            let packed = _mm256_permutevar8x32_epi32(packed, perm);
            _mm256_storeu_si256(qs.as_mut_ptr().add(32 * b) as *mut __m256i, packed);
            *d.get_unchecked_mut(b) = half::f16::from_f32(scale).to_f32();
            *s.get_unchecked_mut(b) = half::f16::from_f32(scale * sum as f32).to_f32();
            *sums.get_unchecked_mut(b) = sum;
        }
    }
}

/// One row to Q8_K, as `act::quantize_q8k` (ggml's `quantize_row_q8_K_ref`): the same
/// products, round-half-even and clamp, eight lanes at a time.
pub(super) fn quantize_q8k(x: &[f32], qs: &mut [i8], d: &mut [f32], bsums: &mut [i16]) {
    let nb = x.len() / QK_K;
    assert!(qs.len() >= nb * QK_K && d.len() >= nb && bsums.len() >= nb * 16);
    // SAFETY: AVX2 is enabled for the build; super-block `i < nb` reads `x[256i..256i + 256]`
    // and writes `qs[256i..256i + 256]`, inside the lengths checked above.
    unsafe {
        let sign_bit = _mm256_set1_ps(-0.0);
        let perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        for i in 0..nb {
            let block = &x[QK_K * i..QK_K * (i + 1)];
            let p = block.as_ptr();
            let mut max_abs = _mm256_setzero_ps();
            for j in (0..QK_K).step_by(8) {
                max_abs = _mm256_max_ps(
                    max_abs,
                    _mm256_andnot_ps(sign_bit, _mm256_loadu_ps(p.add(j))),
                );
            }
            let max4 = _mm_max_ps(
                _mm256_extractf128_ps(max_abs, 1),
                _mm256_castps256_ps128(max_abs),
            );
            let max4 = _mm_max_ps(max4, _mm_movehl_ps(max4, max4));
            let amax = _mm_cvtss_f32(_mm_max_ss(max4, _mm_movehdup_ps(max4)));
            let bsums = &mut bsums[16 * i..16 * i + 16];
            let qs = &mut qs[QK_K * i..QK_K * (i + 1)];
            if amax == 0.0 {
                d[i] = 0.0;
                qs.fill(0);
                bsums.fill(0);
                continue;
            }
            // The first value of that magnitude gives the sign.
            let max = *block.iter().find(|v| v.abs() == amax).unwrap_or(&amax);
            let iscale = -127.0 / max;
            let scale = _mm256_set1_ps(iscale);
            let top = _mm256_set1_epi8(127);
            for (j, sums) in bsums.chunks_exact_mut(2).enumerate() {
                let i = [0, 8, 16, 24].map(|o| {
                    _mm256_cvtps_epi32(_mm256_round_ps(
                        _mm256_mul_ps(_mm256_loadu_ps(p.add(32 * j + o)), scale),
                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC,
                    ))
                });
                let packed = _mm256_packs_epi16(
                    _mm256_packs_epi32(i[0], i[1]),
                    _mm256_packs_epi32(i[2], i[3]),
                );
                let packed = _mm256_min_epi8(_mm256_permutevar8x32_epi32(packed, perm), top);
                _mm256_storeu_si256(qs.as_mut_ptr().add(32 * j) as *mut __m256i, packed);
                // Sums of the two 16s: bytes to i16 pairs to i32 lanes, then each half.
                let pairs = _mm256_madd_epi16(
                    _mm256_maddubs_epi16(_mm256_set1_epi8(1), packed),
                    _mm256_set1_epi16(1),
                );
                let halves = _mm_hadd_epi32(
                    _mm256_castsi256_si128(pairs),
                    _mm256_extracti128_si256(pairs, 1),
                );
                let halves = _mm_hadd_epi32(halves, halves);
                sums[0] = _mm_cvtsi128_si32(halves) as i16;
                sums[1] = _mm_extract_epi32(halves, 1) as i16;
            }
            d[i] = 1.0 / iscale;
        }
    }
}
