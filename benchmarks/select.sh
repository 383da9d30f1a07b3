#!/usr/bin/env bash
# Sample, run, select (issue 17): a model on HumanEval with N samples per task at temperature
# 0.8, then n@k for every selection strategy next to pass@k, and the time spent running
# candidates (the selection's probes) against the time spent generating them.
#
#   benchmarks/select.sh                      # smollm2-135m, N=20, max 512 tokens
#   MODEL=gemma3-270m N=20 benchmarks/select.sh
#   STRATEGIES=all benchmarks/select.sh       # codet too (the model writes tests first)
#
# The run directory (target/bench-select/...) is resumable: a killed run picks up where it
# stopped. Prints the table of `arbor eval select` and one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-smollm2-135m}
N=${N:-20}
MAX_TOKENS=${MAX_TOKENS:-512}
TEMPERATURE=${TEMPERATURE:-0.8}
DIR=${DIR:-target/bench-select/humaneval-$MODEL-n$N-t$TEMPERATURE}
cargo build --release -q
arbor="${CARGO_TARGET_DIR:-target}/release/arbor"
mkdir -p "$DIR"
started=$(date +%s.%N)
"$arbor" eval run --dataset humaneval --model "$MODEL" -n "$N" --temperature "$TEMPERATURE" \
    --top-p 0.95 --max-tokens "$MAX_TOKENS" --out "$DIR" --json > "$DIR/run-summary.json"
generated=$(date +%s.%N)
"$arbor" eval select "$DIR" ${STRATEGIES:+--strategy "$STRATEGIES"}
selected=$(date +%s.%N)
cp "$DIR/selection.json" "$DIR/select-summary.json"
python3 - "$DIR" "$started" "$generated" "$selected" <<'PY'
import json, sys
d, started, generated, selected = sys.argv[1], *map(float, sys.argv[2:])
sel = json.load(open(f"{d}/select-summary.json"))
samples = [json.loads(l) for l in open(f"{d}/samples.jsonl")]
decode = sum(s.get("decode_secs", 0) for s in samples)
ks = sel["ks"]
best = max(((row["name"], row["n_at_k"]["1"][-1]) for row in sel["strategies"]), key=lambda r: r[1] or 0)
print(f"generation + scoring wall {generated - started:.0f}s (this invocation; a resumed run counts only the rest), "
      f"sum of per-sample decode {decode:.0f}s; selection wall {selected - generated:.0f}s, "
      f"probes {sel['probes']} in {sel['probe_secs']:.1f}s")
print(f"pass@1 {sel['pass_at_k'][0]:.4f} pass@{ks[-1]} {sel['pass_at_k'][-1]:.4f}; best 1@{ks[-1]}: {best[0]} {best[1]:.4f}")
PY
