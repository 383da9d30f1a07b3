use super::act::{quantize_q8, quantize_q8k};
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

/// Weights with some spread between rows and blocks, as real layers have.
fn weights(n: usize, k: usize, seed: u64) -> Vec<f32> {
    let mut w = values(n * k, seed);
    for (i, v) in w.iter_mut().enumerate() {
        let (row, col) = (i / k, i % k);
        *v *= 0.05 + 0.5 * ((row * 7 + col / 32 * 3) % 11) as f32 / 10.0;
    }
    w
}

fn ggml_dtype(kind: QuantType) -> GgmlDType {
    match kind {
        QuantType::F32 => GgmlDType::F32,
        QuantType::F16 => GgmlDType::F16,
        QuantType::BF16 => GgmlDType::BF16,
        QuantType::Q4_0 => GgmlDType::Q4_0,
        QuantType::Q4_1 => GgmlDType::Q4_1,
        QuantType::Q5_0 => GgmlDType::Q5_0,
        QuantType::Q5_1 => GgmlDType::Q5_1,
        QuantType::Q8_0 => GgmlDType::Q8_0,
        QuantType::Q4_K => GgmlDType::Q4K,
        QuantType::Q5_K => GgmlDType::Q5K,
        QuantType::Q6_K => GgmlDType::Q6K,
    }
}

/// A random n × k matrix quantized by candle, and candle's dequantization of it.
fn matrix(kind: QuantType, n: usize, k: usize, seed: u64) -> (QuantMatrix, Vec<f32>) {
    let w = Tensor::from_vec(weights(n, k, seed), (n, k), &Device::Cpu).unwrap();
    let q = QTensor::quantize(&w, ggml_dtype(kind)).unwrap();
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

/// The largest error the activations' conversion allows in `Σ w·x` over one row: per value,
/// half a quantization step of its block (and the f16 rounding of the block's scale), or the
/// f16/bf16 rounding; for Q4_1/Q5_1 the f16 rounding of each block's `s`; and float sums.
fn tolerance(kind: QuantType, w: &[f32], x: &[f32]) -> f32 {
    let block = match kind.act_kind() {
        ActKind::Q8 => BLOCK,
        ActKind::Q8K => QK_K,
        _ => 1,
    };
    let mut bound = 0f64;
    for (w, x) in w.chunks(block).zip(x.chunks(block)) {
        let amax = x.iter().fold(0f32, |m, v| m.max(v.abs())) as f64;
        let abs_w: f64 = w.iter().map(|v| v.abs() as f64).sum();
        let abs_wx: f64 = w.iter().zip(x).map(|(a, b)| (a * b).abs() as f64).sum();
        bound += match kind.act_kind() {
            ActKind::F32 => 0.0,
            ActKind::F16 => abs_wx / 2048.0,
            ActKind::BF16 => abs_wx / 256.0,
            ActKind::Q8 => {
                let min = w.iter().fold(f32::MAX, |m, v| m.min(v.abs())) as f64;
                let sum_x: f64 = x.iter().map(|v| v.abs() as f64).sum();
                abs_w * amax * (0.5 / 127.0 + 1.0 / 2048.0) + min * sum_x / 1024.0
            }
            _ => abs_w * amax * (0.5 / 127.0),
        };
        bound += abs_wx * 1e-5;
    }
    bound as f32 + 1e-6
}

fn exact_product(w: &[f32], x: &[f32], n: usize, k: usize) -> Vec<f32> {
    let rows = x.len() / k;
    let mut out = vec![0f32; rows * n];
    for r in 0..rows {
        for j in 0..n {
            out[r * n + j] = (0..k)
                .map(|i| x[r * k + i] as f64 * w[j * k + i] as f64)
                .sum::<f64>() as f32;
        }
    }
    out
}

/// SIMD and portable results agree, and both are within the activations' rounding of the
/// product with candle's dequantized weights.
fn check_products(kind: QuantType, m: &QuantMatrix, w: &[f32], x: &[f32]) {
    let (n, k) = (m.rows(), m.cols());
    let rows = x.len() / k;
    let fast = m.matmul(x);
    let portable = m.matmul_portable(x);
    let exact = exact_product(w, x, n, k);
    assert_eq!(fast.len(), rows * n);
    assert_eq!(portable.len(), rows * n);
    for r in 0..rows {
        for j in 0..n {
            let (wr, xr) = (&w[j * k..(j + 1) * k], &x[r * k..(r + 1) * k]);
            let (f, p, e) = (fast[r * n + j], portable[r * n + j], exact[r * n + j]);
            let scale: f32 = wr.iter().zip(xr).map(|(a, b)| (a * b).abs()).sum();
            assert!(
                (f - p).abs() <= 1e-4 * scale + 1e-6,
                "{kind:?} row {r} col {j}: SIMD {f} vs portable {p}"
            );
            let tol = tolerance(kind, wr, xr);
            assert!(
                (f - e).abs() <= tol && (p - e).abs() <= tol,
                "{kind:?} row {r} col {j}: {f} / {p} vs exact {e} (tolerance {tol})"
            );
        }
    }
}

#[test]
fn types_match_ggml_and_candle() {
    for kind in QuantType::ALL {
        let dtype = ggml_dtype(kind);
        assert_eq!(QuantType::from_ggml(dtype), Some(kind));
        assert_eq!(kind.block_weights(), dtype.block_size(), "{kind:?}");
        assert_eq!(kind.block_bytes(), dtype.type_size(), "{kind:?}");
        assert_eq!(format!("{kind:?}"), kind.name());
        assert_eq!(kind.to_string(), kind.name());
    }
    for dtype in [
        GgmlDType::Q2K,
        GgmlDType::Q3K,
        GgmlDType::Q8K,
        GgmlDType::Q8_1,
    ] {
        assert_eq!(QuantType::from_ggml(dtype), None);
    }
}

#[test]
fn rows_dequantize_exactly_as_candle_does() {
    for kind in QuantType::ALL {
        let (n, k) = (5, 512);
        let (m, w) = matrix(kind, n, k, 3);
        assert_eq!((m.rows(), m.cols(), m.kinds()), (n, k, vec![kind]));
        assert_eq!(m.bytes(), n * k / kind.block_weights() * kind.block_bytes());
        let mut row = vec![f32::NAN; k + 3];
        for j in 0..n {
            m.dequantize_row(j, &mut row);
            assert_eq!(row[..k], w[j * k..(j + 1) * k], "{kind:?} row {j}");
        }
        assert!(row[k..].iter().all(|v| v.is_nan()), "only k values written");
    }
}

#[test]
fn simd_portable_and_f32_products_agree() {
    let (n, k) = (40, 512);
    for kind in QuantType::ALL {
        let (m, w) = matrix(kind, n, k, 11);
        for rows in [1, 3, 9, 70] {
            let x = values(rows * k, rows as u64 + 7);
            check_products(kind, &m, &w, &x);
        }
    }
}

#[test]
fn float_rows_of_any_length() {
    // The float types have blocks of one: rows that are not whole groups of 32.
    for kind in [QuantType::F32, QuantType::F16, QuantType::BF16] {
        let (n, k) = (7, 77);
        let (m, w) = matrix(kind, n, k, 5);
        for rows in [1, 2, 5] {
            check_products(kind, &m, &w, &values(rows * k, 9));
        }
    }
}

#[test]
fn activations_of_every_scale() {
    // Zero blocks, one-hot blocks, large and tiny values, negative maxima.
    let (n, k) = (9, 512);
    let mut x = values(4 * k, 21);
    x[..256].fill(0.0);
    x[256..512].iter_mut().for_each(|v| *v *= 1e-4);
    x[k..k + 40].fill(0.0);
    x[k + 3] = -7.5;
    x[2 * k..3 * k].iter_mut().for_each(|v| *v *= 300.0);
    x[3 * k + 100] = -1000.0;
    for kind in QuantType::ALL {
        let (m, w) = matrix(kind, n, k, 17);
        check_products(kind, &m, &w, &x);
    }
}

#[test]
fn stacked_parts_of_mixed_types_equal_their_own_products() {
    let k = 512;
    let kinds = [
        QuantType::Q5_0,
        QuantType::Q8_0,
        QuantType::Q4_K,
        QuantType::F16,
        QuantType::Q6_K,
        QuantType::Q4_1,
        QuantType::BF16,
        QuantType::Q5_K,
        QuantType::Q5_1,
        QuantType::F32,
        QuantType::Q4_0,
    ];
    let parts: Vec<QuantMatrix> = kinds
        .iter()
        .enumerate()
        .map(|(i, &kind)| matrix(kind, 3 + 5 * (i % 3), k, i as u64).0)
        .collect();
    // Nested: a stack of a stack.
    let (head, tail) = parts.split_at(4);
    let stacked = QuantMatrix::stack(vec![
        QuantMatrix::stack(head.to_vec()).unwrap(),
        QuantMatrix::stack(tail.to_vec()).unwrap(),
    ])
    .unwrap();
    let n: usize = parts.iter().map(|p| p.rows()).sum();
    assert_eq!((stacked.rows(), stacked.cols()), (n, k));
    assert_eq!(stacked.kinds(), kinds);
    let mut row = vec![0f32; k];
    let mut own = vec![0f32; k];
    let mut j = 0;
    for part in &parts {
        for i in 0..part.rows() {
            stacked.dequantize_row(j, &mut row);
            part.dequantize_row(i, &mut own);
            assert_eq!(row, own);
            j += 1;
        }
    }
    for rows in [1, 3, 9, 70] {
        let x = values(rows * k, 40 + rows as u64);
        for portable in [false, true] {
            let all = stacked.product(&x, portable);
            let mut first = 0;
            for part in &parts {
                let own = part.product(&x, portable);
                for r in 0..rows {
                    let got = &all[r * n + first..r * n + first + part.rows()];
                    let want = &own[r * part.rows()..(r + 1) * part.rows()];
                    assert_eq!(got, want, "{:?} rows {rows}", part.kinds());
                }
                first += part.rows();
            }
        }
    }
}

#[test]
fn results_do_not_depend_on_threads_or_grouping() {
    // Each output is one kernel's dot product of one weight row and one activation row, the
    // same whatever the tasks, bands, tiles and groups of rows around it.
    let (n, k) = (11 * 27, 256);
    let parts: Vec<QuantMatrix> = QuantType::ALL
        .into_iter()
        .map(|kind| matrix(kind, n / 11, k, 2).0)
        .collect();
    let m = QuantMatrix::stack(parts).unwrap();
    for rows in [1, 3, 9, 70, 130] {
        let x = values(rows * k, rows as u64);
        let pool = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
        };
        let one = pool(1).install(|| m.matmul(&x));
        assert_eq!(pool(3).install(|| m.matmul(&x)), one, "rows {rows}");
        assert_eq!(pool(2).install(|| m.matmul(&x)), one, "rows {rows}");
        assert_eq!(m.matmul(&x), one, "rows {rows}");
        // Row by row (groups of one): the same up to SMALL_BATCH rows (one-row kernels), and
        // to the last bits above (panels add per block).
        for r in 0..rows {
            let single = m.matmul(&x[r * k..(r + 1) * k]);
            if rows <= SMALL_BATCH {
                assert_eq!(single, one[r * n..(r + 1) * n], "rows {rows}, row {r}");
            } else {
                for (j, (a, b)) in single.iter().zip(&one[r * n..(r + 1) * n]).enumerate() {
                    let mut w = vec![0f32; k];
                    m.dequantize_row(j, &mut w);
                    let scale: f32 = w.iter().zip(&x[r * k..]).map(|(a, b)| (a * b).abs()).sum();
                    assert!(
                        (a - b).abs() <= 1e-5 * scale,
                        "rows {rows}, row {r}, col {j}"
                    );
                }
            }
        }
        let portable = pool(1).install(|| m.matmul_portable(&x));
        assert_eq!(pool(3).install(|| m.matmul_portable(&x)), portable);
    }
}

#[test]
fn activations_are_quantized_as_ggml_does() {
    // Q8_0/Q8_1: d = amax/127 as f16, q = round-half-even(x·127/amax), s = f16(d·Σq).
    let mut x = vec![0f32; 64];
    for (i, v) in x[..32].iter_mut().enumerate() {
        *v = i as f32 - 12.0;
    }
    x[5] = 0.5 * 19.0 / 127.0; // 0.5 after scaling: rounds to even (0)
    x[6] = 1.5 * 19.0 / 127.0; // 1.5: rounds to 2
    let (mut qs, mut d, mut s) = (vec![0i8; 64], vec![0f32; 2], vec![0f32; 2]);
    let mut sums = vec![0i32; 2];
    quantize_q8(&x, &mut qs, &mut d, &mut s, &mut sums);
    assert_eq!(d[0], half::f16::from_f32(19.0 / 127.0).to_f32());
    assert_eq!(qs[31], 127);
    assert_eq!(qs[0], (-12.0f32 * 127.0 / 19.0).round_ties_even() as i8);
    let sum: i32 = qs[..32].iter().map(|&q| q as i32).sum();
    assert_eq!(sums, [sum, 0]);
    assert_eq!(
        s[0],
        half::f16::from_f32(19.0 / 127.0 * sum as f32).to_f32()
    );
    assert_eq!((d[1], s[1]), (0.0, 0.0));
    assert!(qs[32..].iter().all(|&q| q == 0));

    // Q8_K: iscale = -127/max with max the value of largest magnitude, d = 1/iscale.
    let mut x = values(512, 3);
    x[17] = -2.0;
    x[256..].fill(0.0);
    x[300] = 0.25;
    let (mut qs, mut d, mut bsums) = (vec![0i8; 512], vec![0f32; 2], vec![0i16; 32]);
    quantize_q8k(&x, &mut qs, &mut d, &mut bsums);
    let iscale = -127.0f32 / -2.0;
    assert_eq!(d[0], 1.0 / iscale);
    assert_eq!(qs[17], -127);
    for i in 0..256 {
        assert_eq!(
            qs[i],
            ((iscale * x[i]).round_ties_even() as i32).min(127) as i8
        );
    }
    let iscale = -127.0f32 / 0.25;
    assert_eq!(d[1], 1.0 / iscale);
    assert_eq!(qs[300], -127);
    for (j, sum) in bsums.iter().enumerate() {
        let want: i32 = qs[16 * j..16 * j + 16].iter().map(|&q| q as i32).sum();
        assert_eq!(*sum as i32, want);
    }
}

#[test]
fn malformed_tensors_are_errors() {
    use QuantType::*;
    assert!(QuantMatrix::from_ggml(Q4_1, &[0; 20], 1, 16).is_err());
    assert!(QuantMatrix::from_ggml(Q4_1, &[0; 39], 1, 64).is_err());
    assert!(QuantMatrix::from_ggml(Q4_1, &[0; 40], 1, 64).is_ok());
    assert!(QuantMatrix::from_ggml(Q8_0, &[0; 40], 1, 64).is_err());
    assert!(QuantMatrix::from_ggml(Q8_0, &[0; 68], 1, 64).is_ok());
    assert!(QuantMatrix::from_ggml(Q4_0, &[0; 36], 1, 64).is_ok());
    assert!(QuantMatrix::from_ggml(Q4_K, &[0; 144], 1, 128).is_err());
    assert!(QuantMatrix::from_ggml(Q4_K, &[0; 144], 1, 256).is_ok());
    assert!(QuantMatrix::from_ggml(Q5_K, &[0; 176 * 3], 3, 256).is_ok());
    assert!(QuantMatrix::from_ggml(Q6_K, &[0; 420], 1, 256).is_err());
    assert!(QuantMatrix::from_ggml(F16, &[0; 10], 1, 5).is_ok());
    assert!(QuantMatrix::from_ggml(BF16, &[0; 10], 2, 5).is_err());
    assert!(QuantMatrix::from_ggml(F32, &[0; 12], 1, 3).is_ok());
    assert!(QuantMatrix::from_ggml(F32, &[], 1, 0).is_err());
    assert!(QuantMatrix::from_ggml(Q5_0, &[0; 22], usize::MAX, 32).is_err());
    assert!(QuantMatrix::stack(Vec::new()).is_err());
    let a = QuantMatrix::from_ggml(Q8_0, &[0; 68], 1, 64).unwrap();
    let b = QuantMatrix::from_ggml(Q8_0, &[0; 34], 1, 32).unwrap();
    assert!(QuantMatrix::stack(vec![a.clone(), b]).is_err());
    assert!(QuantMatrix::stack(vec![a.clone(), a]).is_ok());
}

#[test]
#[should_panic(expected = "not rows of")]
fn inputs_must_be_whole_rows() {
    let m = QuantMatrix::from_ggml(QuantType::Q8_0, &[0; 68], 1, 64).unwrap();
    m.matmul(&[0.0; 65]);
}

/// `cargo test --release -p arbor-lm --lib quant::tests::bench -- --ignored --nocapture`:
/// decode (one row) and prefill (128 rows) on 1 and 2 threads, the best of several trials
/// (`ARBOR_QUANT_BENCH=Q4_K` for one type).
#[test]
#[ignore]
fn bench() {
    use std::time::Instant;
    let only = std::env::var("ARBOR_QUANT_BENCH").ok();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for (n, k) in [(1024, 1024), (2048, 1536)] {
            for kind in QuantType::ALL {
                if only.as_deref().is_some_and(|o| o != kind.name()) {
                    continue;
                }
                let (m, _) = matrix(kind, n, k, 1);
                let time = |rows: usize, reps: usize, trials: usize| {
                    let x = values(rows * k, 5);
                    pool.install(|| {
                        m.matmul(&x);
                        (0..trials)
                            .map(|_| {
                                let start = Instant::now();
                                for _ in 0..reps {
                                    std::hint::black_box(m.matmul(std::hint::black_box(&x)));
                                }
                                start.elapsed().as_secs_f64() / reps as f64
                            })
                            .fold(f64::MAX, f64::min)
                    })
                };
                let decode = time(1, 20, 15);
                let prefill = time(128, 1, 5);
                println!(
                    "arbor {threads} thr {n}x{k} {:5} decode {:8.1} us {:6.1} GMAC/s | prefill128 {:7.2} ms {:6.1} GMAC/s",
                    kind.name(),
                    decode * 1e6,
                    (n * k) as f64 / decode / 1e9,
                    prefill * 1e3,
                    (128 * n * k) as f64 / prefill / 1e9,
                );
            }
        }
    }
}

/// `ARBOR_QUANT_DUMP=DIR cargo test --release -p arbor-lm --lib quant::tests::dump -- --ignored`:
/// writes each type's weights, inputs and `matmul` results (`TYPE.w`, `.x`, `.out`, `.meta`)
/// for comparing with ggml's own kernels.
#[test]
#[ignore]
fn dump() {
    let Ok(dir) = std::env::var("ARBOR_QUANT_DUMP") else {
        return;
    };
    let rows = std::env::var("ARBOR_QUANT_DUMP_ROWS").map_or(6, |r| r.parse().unwrap());
    let (n, k) = (64, 1024);
    let mut x = values(rows * k, 77);
    x[..64].fill(0.0);
    x[k / 2 + 5] = 40.0;
    for kind in QuantType::ALL {
        let (m, _) = matrix(kind, n, k, 8);
        let out = m.matmul(&x);
        let path = |ext: &str| format!("{dir}/{}.{ext}", kind.name());
        std::fs::write(path("meta"), format!("{n} {k} {rows}\n")).unwrap();
        std::fs::write(path("w"), &m.parts[0].data).unwrap();
        let bytes = |v: &[f32]| v.iter().flat_map(|f| f.to_le_bytes()).collect::<Vec<u8>>();
        std::fs::write(path("x"), bytes(&x)).unwrap();
        std::fs::write(path("out"), bytes(&out)).unwrap();
    }
}

/// `ARBOR_QUANT_BENCH=Q8_0 cargo test --release … quant::tests::decode_loop -- --ignored`: one
/// thread decoding for a few seconds (for a profiler).
#[test]
#[ignore]
fn decode_loop() {
    let kind = std::env::var("ARBOR_QUANT_BENCH")
        .ok()
        .and_then(|t| QuantType::ALL.into_iter().find(|k| k.name() == t))
        .unwrap_or(QuantType::Q4_K);
    let (m, _) = matrix(kind, 1024, 1024, 1);
    let x = values(1024, 5);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| {
        for _ in 0..30000 {
            std::hint::black_box(m.matmul(std::hint::black_box(&x)));
        }
    });
}

#[test]
fn simd_quantizers_equal_the_portable_ones() {
    // Random rows, zero blocks, ties after scaling, a largest magnitude of both signs.
    let mut x = values(8 * QK_K, 31);
    x[..32].fill(0.0);
    x[256..512].fill(0.0);
    x[600] = 3.0;
    x[601] = -3.0;
    x[1024 + 7] = -5.0;
    x[1024 + 100] = 5.0;
    for (i, v) in x[1280..1312].iter_mut().enumerate() {
        *v = (i as f32 - 16.0) * 0.5;
    }
    let nb = x.len() / BLOCK;
    let (mut q1, mut d1, mut s1) = (vec![0i8; x.len()], vec![0f32; nb], vec![0f32; nb]);
    let mut sum1 = vec![0i32; nb];
    let (mut q2, mut d2, mut s2, mut sum2) = (q1.clone(), d1.clone(), s1.clone(), sum1.clone());
    quantize_q8(&x, &mut q1, &mut d1, &mut s1, &mut sum1);
    act::quantize_q8_row(&x, &mut q2, &mut d2, &mut s2, &mut sum2);
    assert_eq!((q1, d1, s1, sum1), (q2, d2, s2, sum2));
    let nb = x.len() / QK_K;
    let (mut q1, mut d1, mut b1) = (vec![0i8; x.len()], vec![0f32; nb], vec![0i16; 16 * nb]);
    let (mut q2, mut d2, mut b2) = (q1.clone(), d1.clone(), b1.clone());
    quantize_q8k(&x, &mut q1, &mut d1, &mut b1);
    act::quantize_q8k_row(&x, &mut q2, &mut d2, &mut b2);
    assert_eq!((q1, d1, b1), (q2, d2, b2));
}
