//! Prefill and decode speed of a GGUF model, as `benchmarks/lm_speed.sh` reports it.
//! `cargo run --release -p arbor-lm --example lm_bench -- MODEL.gguf [PROMPT_TOKENS] [DECODE_TOKENS] [RUNS] [SAMPLES]`
//!
//! Threads: `CANDLE_NUM_THREADS` (default: all cores). Prints one JSON line per run with
//! prefill and decode tokens per second; the prompt is a fixed Python text cut to PROMPT_TOKENS
//! tokens, and decoding is greedy without stop conditions, so every run does the same work.
//! With SAMPLES > 1 the samples decode as one batch (temperature 0.8) and the decode rate
//! counts the tokens of all of them. `peak_rss_mb` is the process's high-water mark, `kv_mb`
//! the size of the KV cache for the prompt and the decoded tokens. `ARBOR_KV_CACHE=f16` keeps
//! the cache in f16.

use std::time::Instant;

use arbor_lm::{GenerationParams, LlamaModel};

const TEXT: &str = include_str!("../src/generate.rs");

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: lm_bench MODEL.gguf [PROMPT_TOKENS] [DECODE_TOKENS] [RUNS] [SAMPLES]");
        std::process::exit(2);
    };
    let number = |i: usize, default: usize| {
        args.get(i)
            .map(|s| s.parse().expect("a number"))
            .unwrap_or(default)
    };
    let (prompt_tokens, decode_tokens, runs) = (number(1, 128), number(2, 128), number(3, 3));
    let samples = number(4, 1);
    let started = Instant::now();
    let mut model = LlamaModel::load(std::path::Path::new(path)).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let load_secs = started.elapsed().as_secs_f64();
    let kv_type: arbor_lm::transformer::KvType = std::env::var("ARBOR_KV_CACHE")
        .unwrap_or_else(|_| "f32".into())
        .parse()
        .unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(2)
        });
    model.set_kv_type(kv_type);
    let ids = model.tokenizer().encode(TEXT).expect("tokenize");
    let prompt = model
        .tokenizer()
        .decode(&ids[..prompt_tokens.min(ids.len())], false)
        .expect("decode");
    let params = GenerationParams {
        max_tokens: decode_tokens,
        ignore_eos: true,
        n: samples,
        temperature: if samples > 1 { 0.8 } else { 0.0 },
        ..GenerationParams::default()
    };
    for run in 0..runs {
        let all = model.generate(&prompt, &params).expect("generate");
        let c = &all[0];
        let tokens: usize = all.iter().map(|c| c.completion_tokens).sum();
        let secs = all.iter().map(|c| c.decode_secs).fold(0.0, f64::max);
        let config = model.config();
        let value_bytes = if kv_type == arbor_lm::transformer::KvType::F16 {
            2
        } else {
            4
        };
        let kv_mb = (config.layers
            * 2
            * config.kv_heads
            * config.head_dim
            * value_bytes
            * samples
            * (c.prompt_tokens + decode_tokens)) as f64
            / (1024.0 * 1024.0);
        println!(
            "{{\"run\":{run},\"load_s\":{load_secs:.3},\"prompt_tokens\":{},\"prefill_tok_s\":{:.1},\"samples\":{samples},\"decode_tokens\":{tokens},\"decode_tok_s\":{:.1},\"peak_rss_mb\":{:.1},\"kv_mb\":{kv_mb:.2}}}",
            c.prompt_tokens,
            c.prompt_tokens as f64 / c.prefill_secs,
            tokens as f64 / secs,
            peak_rss_mb(),
        );
    }
}

/// VmHWM of /proc/self/status in MB (0 where there is no /proc).
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
