#!/usr/bin/env bash
# Prefill and decode speed of the default model (SmolLM2-135M-Instruct Q4_1), Arbor next to
# llama.cpp on the same GGUF file and thread count, in the same run; peak RSS of each process.
# llama.cpp comes from PyPI (llama-cpp-python, built for this CPU by pip) in a virtual
# environment under $ARBOR_CACHE. Each figure is the median of RUNS runs after a warm-up run.
#
#   benchmarks/lm_speed.sh [PROMPT_TOKENS] [DECODE_TOKENS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
prompt=${1:-128}
decode=${2:-128}
runs=${3:-3}
cache="${ARBOR_CACHE:-$HOME/.cache/arbor}"
venv="$cache/bench-venv-llama"
if ! "$venv/bin/python" -c "import llama_cpp" 2>/dev/null; then
    echo "building llama-cpp-python from PyPI into $venv (several minutes)..." >&2
    python3 -m venv "$venv"
    CMAKE_ARGS="-DGGML_NATIVE=ON" "$venv/bin/pip" install --quiet llama-cpp-python==0.3.36 numpy
fi
cargo build --release -q -p arbor-cli -p arbor-lm --example lm_bench
model=$(target/release/arbor model fetch smollm2-135m)
text=crates/arbor-lm/src/generate.rs
size_mb=$(du -m "$model" | cut -f1)
llama_version=$("$venv/bin/python" -c "import llama_cpp; print(llama_cpp.__version__)")

median() { # field → median of the runs' values (JSON lines on stdin, first line dropped)
    python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.startswith("{")][1:]
print(statistics.median(r[sys.argv[1]] for r in rows))' "$1"
}

echo "model: $model (${size_mb} MB), prompt $prompt tokens, decode $decode tokens, median of $runs runs"
echo "llama-cpp-python $llama_version"
printf '%-8s %-10s %14s %14s %12s\n' threads engine "prefill tok/s" "decode tok/s" "peak RSS MB"
for threads in 1 2; do
    arbor_out=$(CANDLE_NUM_THREADS=$threads RAYON_NUM_THREADS=$threads \
        target/release/examples/lm_bench "$model" "$prompt" "$decode" $((runs + 1)))
    llama_out=$("$venv/bin/python" benchmarks/llama_cpp_bench.py "$model" "$threads" "$prompt" \
        "$decode" $((runs + 1)) "$text" 2>/dev/null)
    ap=$(median prefill_tok_s <<<"$arbor_out"); ad=$(median decode_tok_s <<<"$arbor_out")
    lp=$(median prefill_tok_s <<<"$llama_out"); ld=$(median decode_tok_s <<<"$llama_out")
    ar=$(median peak_rss_mb <<<"$arbor_out"); lr=$(median peak_rss_mb <<<"$llama_out")
    printf '%-8s %-10s %14s %14s %12s\n' "$threads" arbor "$ap" "$ad" "$ar"
    printf '%-8s %-10s %14s %14s %12s\n' "$threads" llama.cpp "$lp" "$ld" "$lr"
    python3 -c "
ap, ad, lp, ld, ar = $ap, $ad, $lp, $ld, $ar
print(f'{\"\":8} ratio      prefill {ap / lp:.2f}x (target >= 0.50), decode {ad / ld:.2f}x (target >= 1.00), '
      f'RSS {ar / $size_mb:.2f}x the file (target < 2)')"
done
