//! The forward pass against itself (chunked prefill, the KV cache, batch rows) and its
//! quantized matrix paths (every block type in its own format) against the same weights in
//! f32 and against candle-transformers' quantized llama.

use arbor_lm::testing::{write_tiny_model, write_tiny_model_as};
use arbor_lm::transformer::Transformer as Llama;
use candle_core::quantized::{gguf_file, GgmlDType};
use candle_core::{Device, Tensor};

fn load(path: &std::path::Path) -> Llama {
    let mut file = std::fs::File::open(path).unwrap();
    let content = gguf_file::Content::read(&mut file).unwrap();
    Llama::load(&content, &mut file, &Device::Cpu).unwrap()
}

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

const TOKENS: [u32; 12] = [5, 17, 3, 99, 42, 7, 7, 120, 64, 1, 250, 33];

#[test]
fn chunked_and_token_by_token_prefill_agree() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_tiny_model(&path, 5).unwrap();
    let model = load(&path);
    let mut whole = model.new_cache(1, 32).unwrap();
    let all = model.forward(&TOKENS, 1, &mut whole).unwrap();
    assert_eq!(all.dims(), [1, model.config().vocab]);
    assert_eq!(whole.len(), TOKENS.len());
    let mut chunked = model.new_cache(1, 32).unwrap();
    model.forward(&TOKENS[..5], 1, &mut chunked).unwrap();
    let last = model.forward(&TOKENS[5..], 1, &mut chunked).unwrap();
    assert!(max_diff(&all, &last) < 1e-4, "{}", max_diff(&all, &last));
    let mut single = model.new_cache(1, 32).unwrap();
    let mut out = None;
    for t in TOKENS {
        out = Some(model.forward(&[t], 1, &mut single).unwrap());
    }
    assert!(max_diff(&all, out.as_ref().unwrap()) < 1e-4);
    // A different prefix changes the last logits (the cache is really read).
    let mut other = model.new_cache(1, 32).unwrap();
    let mut changed = TOKENS;
    changed[0] = 6;
    let diff = model.forward(&changed, 1, &mut other).unwrap();
    assert!(max_diff(&all, &diff) > 1e-3);
}

#[test]
fn expanded_rows_decode_like_one_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_tiny_model(&path, 6).unwrap();
    let model = load(&path);
    let mut one = model.new_cache(1, 32).unwrap();
    model.forward(&TOKENS[..8], 1, &mut one).unwrap();
    let mut three = one.expand(3).unwrap();
    assert_eq!((three.batch(), three.len()), (3, 8));
    let batch = model.forward(&[9, 10, 11], 3, &mut three).unwrap();
    assert_eq!(batch.dims(), [3, model.config().vocab]);
    for (row, token) in [9u32, 10, 11].into_iter().enumerate() {
        let mut alone = model.new_cache(1, 32).unwrap();
        model.forward(&TOKENS[..8], 1, &mut alone).unwrap();
        let expected = model.forward(&[token], 1, &mut alone).unwrap();
        let got = batch.get(row).unwrap().unsqueeze(0).unwrap();
        assert!(max_diff(&expected, &got) < 1e-4, "row {row}");
    }
    // Dropping row 1 keeps rows 0 and 2 in place.
    three.retain(&[0, 2]).unwrap();
    let next = model.forward(&[1, 2], 2, &mut three).unwrap();
    let mut alone = model.new_cache(1, 32).unwrap();
    model.forward(&TOKENS[..8], 1, &mut alone).unwrap();
    model.forward(&[11], 1, &mut alone).unwrap();
    let expected = model.forward(&[2], 1, &mut alone).unwrap();
    let got = next.get(1).unwrap().unsqueeze(0).unwrap();
    assert!(max_diff(&expected, &got) < 1e-4);
}

/// The logits of row `row` of a ragged batch computed alone: `prompt`, then the row's token
/// of each step up to `step` (steps feed 40 + row, then 50 + row).
fn alone(
    model: &Llama,
    kind: arbor_lm::transformer::KvType,
    prompt: &[u32],
    step: &[u32; 3],
    row: usize,
) -> Tensor {
    let mut cache = model.new_cache_of(1, 32, kind);
    model.forward(prompt, 1, &mut cache).unwrap();
    let mut logits = model.forward(&[40 + row as u32], 1, &mut cache).unwrap();
    if step[0] == 50 {
        logits = model.forward(&[50 + row as u32], 1, &mut cache).unwrap();
    }
    logits
}

#[test]
fn rows_at_their_own_positions_decode_as_they_would_alone() {
    let dir = tempfile::tempdir().unwrap();
    for arch in ["llama", "gemma3"] {
        let path = dir.path().join(format!("{arch}.gguf"));
        arbor_lm::testing::write_tiny_architecture(&path, arch, 13, 64, GgmlDType::F32).unwrap();
        let model = load(&path);
        for kind in [
            arbor_lm::transformer::KvType::F32,
            arbor_lm::transformer::KvType::F16,
        ] {
            // Three sequences of 9, 2 and 6 tokens, prefilled apart (caches of different
            // capacities, one of them two rows), then appended into one batch.
            let lengths = [9usize, 2, 6];
            let mut batch = model.new_cache_of(0, 1, kind);
            for (i, &n) in lengths.iter().enumerate() {
                let mut one = model.new_cache_of(1, 12 + 4 * i, kind);
                model.forward(&TOKENS[..n], 1, &mut one).unwrap();
                batch.append(one).unwrap();
            }
            assert_eq!(batch.batch(), 3);
            assert_eq!(
                (0..3).map(|r| batch.row_len(r)).collect::<Vec<_>>(),
                lengths
            );
            // Two steps of one token per row, each row at its own position (past the
            // gemma3 layers' sliding window of 4 for two of them).
            for step in [[40u32, 41, 42], [50, 51, 52]] {
                let logits = model.forward(&step, 3, &mut batch).unwrap();
                for (row, &n) in lengths.iter().enumerate() {
                    let expected = alone(&model, kind, &TOKENS[..n], &step, row);
                    let got = logits.get(row).unwrap().unsqueeze(0).unwrap();
                    let diff = max_diff(&expected, &got);
                    assert!(diff < 1e-4, "{arch} {kind:?} row {row}: {diff}");
                }
            }
            // A row leaves; the others go on at their positions.
            batch.retain(&[0, 2]).unwrap();
            assert_eq!((batch.row_len(0), batch.row_len(1)), (11, 8));
        }
    }
}

#[test]
fn a_full_cache_and_bad_batches_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_tiny_model(&path, 7).unwrap();
    let model = load(&path);
    let mut cache = model.new_cache(1, 4).unwrap();
    assert!(model.forward(&TOKENS[..5], 1, &mut cache).is_err());
    assert!(model.forward(&TOKENS[..3], 2, &mut cache).is_err());
    assert!(model.forward(&[100_000], 1, &mut cache).is_err());
}

/// Logits of a model stored as `dtype`, the same weights in f32, and candle-transformers'
/// quantized llama on the `dtype` file, in that order.
fn three_ways(dtype: GgmlDType) -> (Tensor, Tensor, Tensor) {
    let dir = tempfile::tempdir().unwrap();
    let q4 = dir.path().join("quantized.gguf");
    write_tiny_model_as(
        &q4,
        8,
        if dtype.block_size() == 256 { 256 } else { 64 },
        dtype,
    )
    .unwrap();
    // The same weights, dequantized, in f32: the reference.
    let f32_path = dir.path().join("f32.gguf");
    {
        let mut file = std::fs::File::open(&q4).unwrap();
        let content = gguf_file::Content::read(&mut file).unwrap();
        let mut tensors = Vec::new();
        for name in content.tensor_infos.keys() {
            let t = content.tensor(&mut file, name, &Device::Cpu).unwrap();
            let f = t.dequantize(&Device::Cpu).unwrap();
            tensors.push((
                name.clone(),
                candle_core::quantized::QTensor::quantize(&f, GgmlDType::F32).unwrap(),
            ));
        }
        let metadata: Vec<(&str, &gguf_file::Value)> = content
            .metadata
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .collect();
        let refs: Vec<(&str, &candle_core::quantized::QTensor)> =
            tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let mut out = std::fs::File::create(&f32_path).unwrap();
        gguf_file::write(&mut out, &metadata, &refs).unwrap();
    }
    let (converted, reference) = (load(&q4), load(&f32_path));
    let mut a = converted.new_cache(1, 32).unwrap();
    let mut b = reference.new_cache(1, 32).unwrap();
    let la = converted.forward(&TOKENS, 1, &mut a).unwrap();
    let lb = reference.forward(&TOKENS, 1, &mut b).unwrap();
    let mut file = std::fs::File::open(&q4).unwrap();
    let content = gguf_file::Content::read(&mut file).unwrap();
    let mut candle_q4 = candle_transformers::models::quantized_llama::ModelWeights::from_gguf(
        content,
        &mut file,
        &Device::Cpu,
    )
    .unwrap();
    let input = Tensor::new(&TOKENS, &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let lc = candle_q4.forward(&input, 0).unwrap();
    (la, lb, lc)
}

fn largest(t: &Tensor) -> f32 {
    t.abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

#[test]
fn q4_1_matrices_match_candles_q4_1_path() {
    // Arbor's Q4_1 kernel quantizes activations to 8 bits per block of 32, as candle's does
    // (candle also rounds the activation scales to f16): both are about as far from the f32
    // weights, and close to each other. (Random weights make these errors large.)
    let (ours, exact, candle) = three_ways(GgmlDType::Q4_1);
    let scale = largest(&exact);
    let (mine, theirs) = (max_diff(&ours, &exact), max_diff(&candle, &exact));
    assert!(
        mine < 2.0 * theirs + 1e-3 * scale && mine < 0.05 * scale,
        "Arbor: {mine}, candle: {theirs} (largest logit {scale})"
    );
    assert!(max_diff(&ours, &candle) < 0.05 * scale);
}

#[test]
fn every_block_type_runs_in_its_own_format_as_close_as_candles() {
    // Each type is multiplied in its own format (no conversion at load): Arbor's logits are
    // no further from the f32 weights than candle's own quantized path on the same file.
    for dtype in [
        GgmlDType::Q4_0,
        GgmlDType::Q5_0,
        GgmlDType::Q5_1,
        GgmlDType::Q8_0,
        GgmlDType::Q4K,
        GgmlDType::Q5K,
        GgmlDType::Q6K,
        GgmlDType::F16,
    ] {
        let (ours, exact, candle) = three_ways(dtype);
        let scale = largest(&exact);
        let (mine, theirs) = (max_diff(&ours, &exact), max_diff(&candle, &exact));
        assert!(
            mine < 1.5 * theirs + 2e-3 * scale,
            "{dtype:?}: Arbor {mine}, candle {theirs} (largest logit {scale})"
        );
    }
}

const ARCHITECTURES: [&str; 5] = ["llama", "qwen2", "qwen3", "gemma3", "starcoder2"];

#[test]
fn every_architecture_prefills_in_chunks_as_token_by_token() {
    // Gemma 3's tiny model has a window of 4 on five of its six layers: twelve tokens run
    // past it, whichever way the prompt is split.
    for arch in ARCHITECTURES {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        arbor_lm::testing::write_tiny_architecture(&path, arch, 11, 64, GgmlDType::F32).unwrap();
        let model = load(&path);
        assert_eq!(model.config().architecture.name(), arch);
        let mut whole = model.new_cache(1, 32).unwrap();
        let all = model.forward(&TOKENS, 1, &mut whole).unwrap();
        let scale = largest(&all);
        assert!(scale > 0.1 && scale.is_finite(), "{arch}: {scale}");
        let mut chunked = model.new_cache(1, 32).unwrap();
        model.forward(&TOKENS[..7], 1, &mut chunked).unwrap();
        let last = model.forward(&TOKENS[7..], 1, &mut chunked).unwrap();
        assert!(max_diff(&all, &last) < 1e-4 * scale, "{arch}: chunked");
        let mut single = model.new_cache(1, 32).unwrap();
        let mut out = None;
        for t in TOKENS {
            out = Some(model.forward(&[t], 1, &mut single).unwrap());
        }
        assert!(
            max_diff(&all, out.as_ref().unwrap()) < 1e-4 * scale,
            "{arch}: one by one"
        );
        // Every position's logits: the last row is the last position's.
        let mut cache = model.new_cache(1, 32).unwrap();
        let every = model.forward_all(&TOKENS, 1, &mut cache).unwrap();
        let vocab = model.config().vocab;
        assert_eq!(every.len(), TOKENS.len() * vocab);
        let tail = Tensor::from_vec(
            every[every.len() - vocab..].to_vec(),
            (1, vocab),
            &Device::Cpu,
        )
        .unwrap();
        assert!(max_diff(&all, &tail) < 1e-5 * scale, "{arch}: forward_all");
        // An f16 cache stays close to the f32 one.
        let mut half = model.new_cache_of(1, 32, arbor_lm::transformer::KvType::F16);
        let h = model.forward(&TOKENS, 1, &mut half).unwrap();
        assert!(
            max_diff(&all, &h) < 2e-2 * scale,
            "{arch}: f16 cache {}",
            max_diff(&all, &h)
        );
        assert_eq!(half.bytes() * 2, whole.bytes());
    }
}

#[test]
fn the_sliding_window_hides_what_lies_beyond_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gemma.gguf");
    arbor_lm::testing::write_tiny_architecture(&path, "gemma3", 12, 64, GgmlDType::F32).unwrap();
    let model = load(&path);
    let c = model.config();
    assert_eq!(c.sliding_window, Some(4));
    let sliding: Vec<bool> = (0..c.layers).map(|il| c.is_sliding(il)).collect();
    assert_eq!(sliding, [true, true, true, true, true, false]);
    // The same model cut to its first five layers, all local: the last position sees only
    // the last four tokens.
    let local = dir.path().join("local.gguf");
    {
        let mut file = std::fs::File::open(&path).unwrap();
        let content = gguf_file::Content::read(&mut file).unwrap();
        let mut metadata = content.metadata.clone();
        metadata.insert("gemma3.block_count".into(), gguf_file::Value::U32(5));
        let tensors: Vec<(String, candle_core::quantized::QTensor)> = content
            .tensor_infos
            .keys()
            .filter(|name| !name.starts_with("blk.5."))
            .map(|name| {
                (
                    name.clone(),
                    content.tensor(&mut file, name, &Device::Cpu).unwrap(),
                )
            })
            .collect();
        let meta: Vec<(&str, &gguf_file::Value)> =
            metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let refs: Vec<(&str, &candle_core::quantized::QTensor)> =
            tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
        gguf_file::write(&mut std::fs::File::create(&local).unwrap(), &meta, &refs).unwrap();
    }
    let last_logits = |model: &Llama, tokens: &[u32]| {
        let mut cache = model.new_cache(1, 32).unwrap();
        model.forward(tokens, 1, &mut cache).unwrap()
    };
    let (global, local) = (model, load(&local));
    // Each local layer reaches 3 positions further back: five reach 15, and 24 tokens are
    // more than that.
    let tokens: Vec<u32> = (0..24)
        .map(|i| TOKENS[i % TOKENS.len()] + i as u32)
        .collect();
    let mut far = tokens.clone();
    far[0] = 200;
    let mut near = tokens.clone();
    near[tokens.len() - 3] = 200;
    for (name, m, far_changes) in [
        ("6 layers", &global, true),
        ("5 local layers", &local, false),
    ] {
        let base = last_logits(m, &tokens);
        let far_diff = max_diff(&base, &last_logits(m, &far));
        assert_eq!(
            far_diff > 1e-4,
            far_changes,
            "{name}: a token beyond the window: {far_diff}"
        );
        assert!(
            max_diff(&base, &last_logits(m, &near)) > 1e-4,
            "{name}: a token inside it"
        );
    }
}

#[test]
fn unsupported_types_and_truncated_k_quant_files_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let error = |path: &std::path::Path| match arbor_lm::LlamaModel::load(path) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e.to_string(),
    };
    let q2 = dir.path().join("q2k.gguf");
    write_tiny_model_as(&q2, 1, 256, GgmlDType::Q2K).unwrap();
    let message = error(&q2);
    assert!(
        message.contains("is Q2K, a type Arbor cannot run"),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1);
    let q4 = dir.path().join("q4k.gguf");
    write_tiny_model_as(&q4, 1, 256, GgmlDType::Q4K).unwrap();
    let bytes = std::fs::read(&q4).unwrap();
    let cut = dir.path().join("cut.gguf");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    let message = error(&cut);
    assert!(message.contains("truncated: tensor"), "{message}");
    assert_eq!(message.lines().count(), 1);
}
