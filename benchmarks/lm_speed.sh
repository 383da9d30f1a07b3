#!/usr/bin/env bash
# Prefill and decode speed and peak RSS of Arbor next to llama.cpp, on the same GGUF file and
# thread count, in the same run, for three models:
#   - SmolLM2-135M-Instruct Q4_1 (the default model),
#   - Gemma 3 270M Q4_K_M (catalog `gemma3-270m`; Q4_K, Q5_0, Q6_K, Q8_0 mixed),
#   - a random-weight model with Qwen2.5-Coder-0.5B's shapes quantized to Q4_K_M by llama.cpp's
#     own quantizer (benchmarks/random_model.py; speed does not depend on the weights' values).
# llama.cpp comes from the package registry (llama-cpp-python, built for this CPU by pip) in a
# virtual environment under $ARBOR_CACHE (scripts/llama-cpp-venv.sh). Each figure is the
# median of RUNS runs after a warm-up run.
#
#   benchmarks/lm_speed.sh [PROMPT_TOKENS] [DECODE_TOKENS] [RUNS] [MODELS]
#
# MODELS: a space-separated subset of "smollm2 gemma3 qwen-shape" (default: all three).
set -euo pipefail
cd "$(dirname "$0")/.."
prompt=${1:-128}
decode=${2:-128}
runs=${3:-3}
models=${4:-smollm2 gemma3 qwen-shape}
cache="${ARBOR_CACHE:-$HOME/.cache/arbor}"
python=$(scripts/llama-cpp-venv.sh)
cargo build --release -q -p arbor-cli -p arbor-lm --example lm_bench
text=crates/arbor-lm/src/generate.rs
llama_version=$("$python" -c "import llama_cpp; print(llama_cpp.__version__)")

median() { # field → median of the runs' values (JSON lines on stdin, first line dropped)
    python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.startswith("{")][1:]
print(statistics.median(r[sys.argv[1]] for r in rows))' "$1"
}

model_path() {
    case "$1" in
    smollm2) target/release/arbor model fetch smollm2-135m ;;
    gemma3) target/release/arbor model fetch gemma3-270m ;;
    qwen-shape)
        local out="$cache/bench/qwen2.5-coder-0.5b-shape-q4_k_m.gguf"
        if [ ! -f "$out" ]; then
            mkdir -p "$cache/bench"
            echo "writing a random model with Qwen2.5-Coder-0.5B's shapes, Q4_K_M ($out)" >&2
            "$python" benchmarks/random_model.py qwen2.5-coder-0.5b "$out" 15 >&2
        fi
        echo "$out" ;;
    *) echo "unknown model $1" >&2; exit 2 ;;
    esac
}

echo "prompt $prompt tokens, decode $decode tokens, median of $runs runs; llama-cpp-python $llama_version"
for name in $models; do
    model=$(model_path "$name")
    size_mb=$(du -m "$model" | cut -f1)
    echo
    echo "model: $name — $model (${size_mb} MB)"
    printf '%-8s %-10s %14s %14s %12s\n' threads engine "prefill tok/s" "decode tok/s" "peak RSS MB"
    for threads in 1 2; do
        arbor_out=$(CANDLE_NUM_THREADS=$threads RAYON_NUM_THREADS=$threads \
            target/release/examples/lm_bench "$model" "$prompt" "$decode" $((runs + 1)))
        llama_out=$("$python" benchmarks/llama_cpp_bench.py "$model" "$threads" "$prompt" \
            "$decode" $((runs + 1)) "$text" 2>/dev/null)
        ap=$(median prefill_tok_s <<<"$arbor_out"); ad=$(median decode_tok_s <<<"$arbor_out")
        lp=$(median prefill_tok_s <<<"$llama_out"); ld=$(median decode_tok_s <<<"$llama_out")
        ar=$(median peak_rss_mb <<<"$arbor_out"); lr=$(median peak_rss_mb <<<"$llama_out")
        kv=$(median kv_mb <<<"$arbor_out")
        printf '%-8s %-10s %14s %14s %12s\n' "$threads" arbor "$ap" "$ad" "$ar"
        printf '%-8s %-10s %14s %14s %12s\n' "$threads" llama.cpp "$lp" "$ld" "$lr"
        python3 -c "
ap, ad, lp, ld, ar, kv = $ap, $ad, $lp, $ld, $ar, $kv
print(f'{\"\":8} ratio      prefill {ap / lp:.2f}x (target >= 0.90), decode {ad / ld:.2f}x (target >= 1.00), '
      f'RSS {ar / ($size_mb + kv):.2f}x the file + KV cache of {kv:.1f} MB (target < 1.3)')"
    done
done
