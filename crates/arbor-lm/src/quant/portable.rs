//! Portable kernels: ggml's scalar code (`ggml_vec_dot_*_generic` of ggml-cpu's `quants.c`,
//! the scalar branches of `vec.cpp`, and `dequantize_row_*` of `ggml-quants.c`), on the raw
//! bytes of a weight row.

use super::act::{ActKind, Acts, Q8KRow, Q8Row};
use super::{QuantType, BLOCK, QK_K};
use half::{bf16, f16};

/// The f16 at `b[at..at + 2]`.
#[inline]
pub(super) fn f16_at(b: &[u8], at: usize) -> f32 {
    f16::from_le_bytes([b[at], b[at + 1]]).to_f32()
}

/// Q4_K/Q5_K scales and minimums of the 12 bytes `s`: `[scales[8], mins[8]]` as ggml unpacks
/// them (`utmp` in its kernels).
#[inline]
pub(super) fn k_scales(s: &[u8]) -> [u32; 4] {
    const KMASK1: u32 = 0x3f3f3f3f;
    const KMASK2: u32 = 0x0f0f0f0f;
    const KMASK3: u32 = 0x03030303;
    let word = |i: usize| u32::from_le_bytes([s[4 * i], s[4 * i + 1], s[4 * i + 2], s[4 * i + 3]]);
    let mut utmp = [word(0), word(1), word(2), 0];
    utmp[3] = ((utmp[2] >> 4) & KMASK2) | (((utmp[1] >> 6) & KMASK3) << 4);
    let uaux = utmp[1] & KMASK1;
    utmp[1] = (utmp[2] & KMASK2) | (((utmp[0] >> 6) & KMASK3) << 4);
    utmp[2] = uaux;
    utmp[0] &= KMASK1;
    utmp
}

/// [`k_scales`] as 16 bytes: scales 0..8, minimums 8..16.
fn k_scale_bytes(s: &[u8]) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    for (b, word) in bytes.chunks_exact_mut(4).zip(k_scales(s)) {
        b.copy_from_slice(&word.to_le_bytes());
    }
    bytes
}

/// ggml's `get_scale_min_k4`: scale and minimum `j` of a Q4_K/Q5_K super-block.
fn scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// The scales and mins of sub-blocks `2j` and `2j + 1` of a Q4_K / Q5_K super-block with
/// scale `d` and min `min`, as llama.cpp's dequantizers compute them.
#[inline]
fn k4_scales(j: usize, scales: &[u8], d: f32, min: f32) -> ((f32, f32), (f32, f32)) {
    let (sc, m) = scale_min_k4(2 * j, scales);
    let (sc2, m2) = scale_min_k4(2 * j + 1, scales);
    (
        (d * sc as f32, min * m as f32),
        (d * sc2 as f32, min * m2 as f32),
    )
}

/// The dot product of weight row `w` (`kind`) with activation row `r`.
pub(super) fn dot(kind: QuantType, w: &[u8], acts: &Acts, r: usize) -> f32 {
    match kind {
        QuantType::F32 => f32_dot(w, acts.float_row(ActKind::F32, r)),
        QuantType::F16 => f16_dot(w, acts.float_row(ActKind::F16, r)),
        QuantType::BF16 => bf16_dot(w, acts.float_row(ActKind::BF16, r)),
        QuantType::Q4_0 => q4_0(w, acts.q8_row(r)),
        QuantType::Q4_1 => q4_1(w, acts.q8_row(r)),
        QuantType::Q5_0 => q5_0(w, acts.q8_row(r)),
        QuantType::Q5_1 => q5_1(w, acts.q8_row(r)),
        QuantType::Q8_0 => q8_0(w, acts.q8_row(r)),
        QuantType::Q4_K => q4_k(w, acts.q8k_row(r)),
        QuantType::Q5_K => q5_k(w, acts.q8k_row(r)),
        QuantType::Q6_K => q6_k(w, acts.q8k_row(r)),
    }
}

/// F32 weights: products summed in f64 (ggml's scalar `ggml_vec_dot_f32`).
fn f32_dot(w: &[u8], y: &[f32]) -> f32 {
    let mut sum = 0f64;
    for (x, &y) in w.chunks_exact(4).zip(y) {
        sum += (f32::from_le_bytes([x[0], x[1], x[2], x[3]]) * y) as f64;
    }
    sum as f32
}

/// F16 weights and activations rounded to f16: products summed in f64.
pub(super) fn f16_dot(w: &[u8], y: &[f32]) -> f32 {
    let mut sum = 0f64;
    for (x, &y) in w.chunks_exact(2).zip(y) {
        sum += (f16::from_le_bytes([x[0], x[1]]).to_f32() * y) as f64;
    }
    sum as f32
}

/// BF16 weights and activations rounded to bf16: products summed in f64.
fn bf16_dot(w: &[u8], y: &[f32]) -> f32 {
    let mut sum = 0f64;
    for (x, &y) in w.chunks_exact(2).zip(y) {
        sum += (bf16::from_le_bytes([x[0], x[1]]).to_f32() * y) as f64;
    }
    sum as f32
}

/// `ggml_vec_dot_q4_0_q8_0_generic`.
fn q4_0(w: &[u8], y: Q8Row) -> f32 {
    let mut sumf = 0f32;
    for ((x, a), dy) in w.chunks_exact(18).zip(y.qs.chunks_exact(BLOCK)).zip(y.d) {
        let (mut s0, mut s1) = (0i32, 0i32);
        for j in 0..16 {
            let q = x[2 + j];
            s0 += ((q & 0x0F) as i32 - 8) * a[j] as i32;
            s1 += ((q >> 4) as i32 - 8) * a[j + 16] as i32;
        }
        sumf += (s0 + s1) as f32 * f16_at(x, 0) * dy;
    }
    sumf
}

/// `ggml_vec_dot_q4_1_q8_1_generic`.
fn q4_1(w: &[u8], y: Q8Row) -> f32 {
    let mut sumf = 0f32;
    for (((x, a), dy), sy) in w
        .chunks_exact(20)
        .zip(y.qs.chunks_exact(BLOCK))
        .zip(y.d)
        .zip(y.s)
    {
        let (mut s0, mut s1) = (0i32, 0i32);
        for j in 0..16 {
            let q = x[4 + j];
            s0 += (q & 0x0F) as i32 * a[j] as i32;
            s1 += (q >> 4) as i32 * a[j + 16] as i32;
        }
        sumf += (f16_at(x, 0) * dy) * (s0 + s1) as f32 + f16_at(x, 2) * sy;
    }
    sumf
}

/// `ggml_vec_dot_q5_0_q8_0_generic`.
fn q5_0(w: &[u8], y: Q8Row) -> f32 {
    let mut sumf = 0f32;
    for ((x, a), dy) in w.chunks_exact(22).zip(y.qs.chunks_exact(BLOCK)).zip(y.d) {
        let qh = u32::from_le_bytes([x[2], x[3], x[4], x[5]]);
        let (mut s0, mut s1) = (0i32, 0i32);
        for j in 0..16 {
            let q = x[6 + j];
            let h0 = ((qh >> j) << 4) & 0x10;
            let h1 = (qh >> (j + 12)) & 0x10;
            s0 += (((q & 0x0F) as u32 | h0) as i32 - 16) * a[j] as i32;
            s1 += (((q >> 4) as u32 | h1) as i32 - 16) * a[j + 16] as i32;
        }
        sumf += (f16_at(x, 0) * dy) * (s0 + s1) as f32;
    }
    sumf
}

/// `ggml_vec_dot_q5_1_q8_1_generic`.
fn q5_1(w: &[u8], y: Q8Row) -> f32 {
    let mut sumf = 0f32;
    for (((x, a), dy), sy) in w
        .chunks_exact(24)
        .zip(y.qs.chunks_exact(BLOCK))
        .zip(y.d)
        .zip(y.s)
    {
        let qh = u32::from_le_bytes([x[4], x[5], x[6], x[7]]);
        let (mut s0, mut s1) = (0i32, 0i32);
        for j in 0..16 {
            let q = x[8 + j];
            let h0 = ((qh >> j) << 4) & 0x10;
            let h1 = (qh >> (j + 12)) & 0x10;
            s0 += ((q & 0x0F) as u32 | h0) as i32 * a[j] as i32;
            s1 += ((q >> 4) as u32 | h1) as i32 * a[j + 16] as i32;
        }
        sumf += (f16_at(x, 0) * dy) * (s0 + s1) as f32 + f16_at(x, 2) * sy;
    }
    sumf
}

/// `ggml_vec_dot_q8_0_q8_0_generic`.
fn q8_0(w: &[u8], y: Q8Row) -> f32 {
    let mut sumf = 0f32;
    for ((x, a), dy) in w.chunks_exact(34).zip(y.qs.chunks_exact(BLOCK)).zip(y.d) {
        let sumi: i32 = x[2..]
            .iter()
            .zip(a)
            .map(|(&q, &a)| q as i8 as i32 * a as i32)
            .sum();
        sumf += sumi as f32 * (f16_at(x, 0) * dy);
    }
    sumf
}

/// The K types' common tail: 8 lanes of `Σ scale·q·a` per super-block (ggml's `aux32`), each
/// 32 (Q4_K, Q5_K) or 16 (Q6_K) quants `q` with one scale.
fn k_lanes(q: &[i8; QK_K], a: &[i8], scales: impl Fn(usize) -> i32, per_scale: usize) -> [i32; 8] {
    let mut aux32 = [0i32; 8];
    for (c, (q, a)) in q.chunks_exact(8).zip(a.chunks_exact(8)).enumerate() {
        let scale = scales(c * 8 / per_scale);
        for l in 0..8 {
            aux32[l] += scale * (q[l] as i32 * a[l] as i32);
        }
    }
    aux32
}

/// The common part of Q4_K's and Q5_K's super-block `i` (header `x`: `d`, `dmin`, 12 scale
/// bytes; its weights unpacked to `q`): adds `d·sc·Σq·a` to the eight lane sums and returns
/// the minimums' term `dmin · Σ m·bsum`, which ggml subtracts.
fn q45_k_super_block(x: &[u8], q: &[i8; QK_K], y: &Q8KRow, i: usize, sums: &mut [f32; 8]) -> f32 {
    let sm = k_scale_bytes(&x[4..16]);
    let bsums = &y.bsums[16 * i..16 * i + 16];
    let sumi: i32 = (0..16)
        .map(|j| bsums[j] as i32 * sm[8 + j / 2] as i32)
        .sum();
    let aux32 = k_lanes(q, &y.qs[QK_K * i..QK_K * (i + 1)], |s| sm[s] as i32, 32);
    let d = f16_at(x, 0) * y.d[i];
    for (sum, a) in sums.iter_mut().zip(aux32) {
        *sum += d * a as f32;
    }
    let dmin = f16_at(x, 2) * y.d[i];
    dmin * sumi as f32
}

/// `ggml_vec_dot_q4_K_q8_K_generic`.
fn q4_k(w: &[u8], y: Q8KRow) -> f32 {
    let mut sums = [0f32; 8];
    let mut sumf = 0f32;
    for (i, x) in w.chunks_exact(144).enumerate() {
        let mut q = [0i8; QK_K];
        for (j, bytes) in x[16..].chunks_exact(32).enumerate() {
            for (l, &b) in bytes.iter().enumerate() {
                q[64 * j + l] = (b & 0xF) as i8;
                q[64 * j + 32 + l] = (b >> 4) as i8;
            }
        }
        sumf -= q45_k_super_block(x, &q, &y, i, &mut sums);
    }
    sumf + sums.iter().sum::<f32>()
}

/// `ggml_vec_dot_q5_K_q8_K_generic`.
fn q5_k(w: &[u8], y: Q8KRow) -> f32 {
    let mut sums = [0f32; 8];
    let mut sumf = 0f32;
    for (i, x) in w.chunks_exact(176).enumerate() {
        let qh = &x[16..48];
        let mut q = [0i8; QK_K];
        for (j, bytes) in x[48..].chunks_exact(32).enumerate() {
            for (l, &b) in bytes.iter().enumerate() {
                let lo = (qh[l] >> (2 * j)) & 1;
                let hi = (qh[l] >> (2 * j + 1)) & 1;
                q[64 * j + l] = ((b & 0xF) | (lo << 4)) as i8;
                q[64 * j + 32 + l] = ((b >> 4) | (hi << 4)) as i8;
            }
        }
        sumf -= q45_k_super_block(x, &q, &y, i, &mut sums);
    }
    sumf + sums.iter().sum::<f32>()
}

/// `ggml_vec_dot_q6_K_q8_K_generic`.
fn q6_k(w: &[u8], y: Q8KRow) -> f32 {
    let mut sums = [0f32; 8];
    for (i, x) in w.chunks_exact(210).enumerate() {
        let q = q6_k_quants(x);
        let scales = &x[192..208];
        let aux32 = k_lanes(
            &q,
            &y.qs[QK_K * i..QK_K * (i + 1)],
            |s| scales[s] as i8 as i32,
            16,
        );
        let d = f16_at(x, 208) * y.d[i];
        for (sum, a) in sums.iter_mut().zip(aux32) {
            *sum += d * a as f32;
        }
    }
    sums.iter().sum::<f32>()
}

/// A Q6_K super-block's 256 quants, less 32.
fn q6_k_quants(x: &[u8]) -> [i8; QK_K] {
    let mut q = [0i8; QK_K];
    for half in 0..2 {
        let ql = &x[64 * half..64 * half + 64];
        let qh = &x[128 + 32 * half..128 + 32 * half + 32];
        let q = &mut q[128 * half..128 * half + 128];
        for l in 0..32 {
            q[l] = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) as i8 - 32;
            q[l + 32] = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) as i8 - 32;
            q[l + 64] = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i8 - 32;
            q[l + 96] = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i8 - 32;
        }
    }
    q
}

/// A weight row dequantized into `out` (its length), as ggml's `dequantize_row_*`.
pub(super) fn dequantize(kind: QuantType, w: &[u8], out: &mut [f32]) {
    match kind {
        QuantType::F32 => dequantize_f32(w, out),
        QuantType::F16 => dequantize_f16(w, out),
        QuantType::BF16 => dequantize_bf16(w, out),
        QuantType::Q4_0 => dequantize_q4_0(w, out),
        QuantType::Q4_1 => dequantize_q4_1(w, out),
        QuantType::Q5_0 => dequantize_q5_0(w, out),
        QuantType::Q5_1 => dequantize_q5_1(w, out),
        QuantType::Q8_0 => dequantize_q8_0(w, out),
        QuantType::Q4_K => dequantize_q4_k(w, out),
        QuantType::Q5_K => dequantize_q5_k(w, out),
        QuantType::Q6_K => dequantize_q6_k(w, out),
    }
}

/// Little-endian f32 values, as they are.
fn dequantize_f32(w: &[u8], out: &mut [f32]) {
    for (o, x) in out.iter_mut().zip(w.chunks_exact(4)) {
        *o = f32::from_le_bytes([x[0], x[1], x[2], x[3]]);
    }
}

/// `ggml_fp16_to_fp32_row`.
fn dequantize_f16(w: &[u8], out: &mut [f32]) {
    for (o, x) in out.iter_mut().zip(w.chunks_exact(2)) {
        *o = f16::from_le_bytes([x[0], x[1]]).to_f32();
    }
}

/// `ggml_bf16_to_fp32_row`.
fn dequantize_bf16(w: &[u8], out: &mut [f32]) {
    for (o, x) in out.iter_mut().zip(w.chunks_exact(2)) {
        *o = bf16::from_le_bytes([x[0], x[1]]).to_f32();
    }
}

/// `dequantize_row_q4_0`.
fn dequantize_q4_0(w: &[u8], out: &mut [f32]) {
    for (y, x) in out.chunks_exact_mut(BLOCK).zip(w.chunks_exact(18)) {
        let d = f16_at(x, 0);
        for j in 0..16 {
            y[j] = ((x[2 + j] & 0x0F) as i32 - 8) as f32 * d;
            y[j + 16] = ((x[2 + j] >> 4) as i32 - 8) as f32 * d;
        }
    }
}

/// `dequantize_row_q4_1`.
fn dequantize_q4_1(w: &[u8], out: &mut [f32]) {
    for (y, x) in out.chunks_exact_mut(BLOCK).zip(w.chunks_exact(20)) {
        let (d, m) = (f16_at(x, 0), f16_at(x, 2));
        for j in 0..16 {
            y[j] = (x[4 + j] & 0x0F) as f32 * d + m;
            y[j + 16] = (x[4 + j] >> 4) as f32 * d + m;
        }
    }
}

/// `dequantize_row_q5_0`.
fn dequantize_q5_0(w: &[u8], out: &mut [f32]) {
    for (y, x) in out.chunks_exact_mut(BLOCK).zip(w.chunks_exact(22)) {
        let d = f16_at(x, 0);
        let qh = u32::from_le_bytes([x[2], x[3], x[4], x[5]]);
        for j in 0..16 {
            let h0 = ((qh >> j) << 4) & 0x10;
            let h1 = (qh >> (j + 12)) & 0x10;
            y[j] = (((x[6 + j] & 0x0F) as u32 | h0) as i32 - 16) as f32 * d;
            y[j + 16] = (((x[6 + j] >> 4) as u32 | h1) as i32 - 16) as f32 * d;
        }
    }
}

/// `dequantize_row_q5_1`.
fn dequantize_q5_1(w: &[u8], out: &mut [f32]) {
    for (y, x) in out.chunks_exact_mut(BLOCK).zip(w.chunks_exact(24)) {
        let (d, m) = (f16_at(x, 0), f16_at(x, 2));
        let qh = u32::from_le_bytes([x[4], x[5], x[6], x[7]]);
        for j in 0..16 {
            let h0 = ((qh >> j) << 4) & 0x10;
            let h1 = (qh >> (j + 12)) & 0x10;
            y[j] = ((x[8 + j] & 0x0F) as u32 | h0) as f32 * d + m;
            y[j + 16] = ((x[8 + j] >> 4) as u32 | h1) as f32 * d + m;
        }
    }
}

/// `dequantize_row_q8_0`.
fn dequantize_q8_0(w: &[u8], out: &mut [f32]) {
    for (y, x) in out.chunks_exact_mut(BLOCK).zip(w.chunks_exact(34)) {
        let d = f16_at(x, 0);
        for (y, &q) in y.iter_mut().zip(&x[2..]) {
            *y = q as i8 as f32 * d;
        }
    }
}

/// `dequantize_row_q4_K`.
fn dequantize_q4_k(w: &[u8], out: &mut [f32]) {
    for (y, x) in out.chunks_exact_mut(QK_K).zip(w.chunks_exact(144)) {
        let (d, min) = (f16_at(x, 0), f16_at(x, 2));
        let scales = &x[4..16];
        for (j, (y, q)) in y
            .chunks_exact_mut(64)
            .zip(x[16..].chunks_exact(32))
            .enumerate()
        {
            let ((d1, m1), (d2, m2)) = k4_scales(j, scales, d, min);
            for (l, &q) in q.iter().enumerate() {
                y[l] = d1 * (q & 0xF) as f32 - m1;
                y[l + 32] = d2 * (q >> 4) as f32 - m2;
            }
        }
    }
}

/// `dequantize_row_q5_K`.
fn dequantize_q5_k(w: &[u8], out: &mut [f32]) {
    for (y, x) in out.chunks_exact_mut(QK_K).zip(w.chunks_exact(176)) {
        let (d, min) = (f16_at(x, 0), f16_at(x, 2));
        let scales = &x[4..16];
        let qh = &x[16..48];
        for (j, (y, q)) in y
            .chunks_exact_mut(64)
            .zip(x[48..].chunks_exact(32))
            .enumerate()
        {
            let ((d1, m1), (d2, m2)) = k4_scales(j, scales, d, min);
            let (u1, u2) = (1u8 << (2 * j), 2u8 << (2 * j));
            for (l, &q) in q.iter().enumerate() {
                let h1 = if qh[l] & u1 != 0 { 16 } else { 0 };
                let h2 = if qh[l] & u2 != 0 { 16 } else { 0 };
                y[l] = d1 * ((q & 0xF) as i32 + h1) as f32 - m1;
                y[l + 32] = d2 * ((q >> 4) as i32 + h2) as f32 - m2;
            }
        }
    }
}

/// `dequantize_row_q6_K`.
fn dequantize_q6_k(w: &[u8], out: &mut [f32]) {
    for (y, x) in out.chunks_exact_mut(QK_K).zip(w.chunks_exact(210)) {
        let d = f16_at(x, 208);
        let q = q6_k_quants(x);
        for (i, (y, q)) in y.iter_mut().zip(q).enumerate() {
            // Quant i has scale i/16 (ggml's `sc[is + …]` with `is = l/16`).
            *y = d * x[192 + i / 16] as i8 as f32 * q as f32;
        }
    }
}
