#!/usr/bin/env bash
# `arbor eval report` in a real browser: builds a report on two synthetic run directories
# (164 HumanEval-like tasks × 20 samples each; the first with three robustness runs, one of
# them in two versions, and a selection.json) and takes a screenshot with headless Chromium
# (Debian's `chromium`, installed with apt-get when missing). Fails when the page gives no
# screenshot or an almost empty one.
#
#   benchmarks/report_screenshot.sh [OUT.png]     (default docs/eval-report.png)
#   RUNS=dir1:dir2 benchmarks/report_screenshot.sh   (real `eval run` directories instead)
#
# The report comes from `$ARBOR eval report DIR... -o FILE` (ARBOR defaults to
# target/debug/arbor, built first) when that binary has the command, else from arbor-eval's
# ignored test `write_sample_report` (ARBOR_REPORT_DIRS, ARBOR_REPORT_OUT). KEEP=1 keeps the
# work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
png=${1:-docs/eval-report.png}
if [ ! -x /usr/bin/chromium ]; then
    echo "installing Debian's chromium..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
work=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then
    echo "work folder: $work" >&2
else
    trap 'rm -rf "$work"' EXIT
fi

# Two run directories as `arbor eval run` writes them, with made-up but consistent numbers:
# each task has a difficulty, each sample passes with the model's chance on it.
if [ -n "${RUNS:-}" ]; then
    IFS=: read -ra runs <<< "$RUNS"
else
python3 - "$work" <<'PY'
import json, math, random, sys
from pathlib import Path

root = Path(sys.argv[1])
rng = random.Random(20240611)
TASKS = [f"HumanEval/{i}" for i in range(164)]
N = 20
difficulty = {t: rng.random() ** 0.6 for t in TASKS}


def settings(model, temperature, perturb=None):
    s = {
        "dataset": "humaneval", "model": model, "prompt_format": "chatml",
        "temperature": temperature, "top_p": 0.95, "top_k": 0, "repeat_penalty": 1.0,
        "max_tokens": 384, "seed": 1234, "partial_code": False,
    }
    if perturb:
        s["perturb"] = perturb
    return s


def write_run(d, s, outcomes):
    """outcomes: task -> list of bools."""
    d.mkdir(parents=True)
    (d / "run.json").write_text(json.dumps(s, indent=2) + "\n")
    with open(d / "samples.jsonl", "w") as samples, \
            open(d / "samples.jsonl_results.jsonl", "w") as results:
        for t, passes in outcomes.items():
            for i, ok in enumerate(passes):
                line = {"task_id": t, "completion": "    return None\n", "sample": i,
                        "seed": 1234 + i, "prompt_format": "chatml",
                        "decode_secs": round(rng.uniform(0.8, 3.5), 3)}
                samples.write(json.dumps(line) + "\n")
                line["result"] = "passed" if ok else "failed: AssertionError"
                line["passed"] = ok
                results.write(json.dumps(line) + "\n")


def sample(skill, tasks=TASKS, n=N):
    out = {}
    for t in tasks:
        p = max(0.0, min(1.0, 1.2 * skill - difficulty[t])) ** 1.5
        out[t] = [rng.random() < p for _ in range(n)]
    return out


def pass_at_k(n, c, k):
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


a = root / "humaneval-smollm2-135m"
nominal = sample(0.75)
write_run(a, settings("smollm2-135m", 0.8), nominal)
write_run(root / "humaneval-gemma3-270m", settings("gemma3-270m", 0.8), sample(0.95))

# Robustness runs: each transform changes some tasks; perturbed samples fail more often.
for transform, share, harm, versions in [("rename-variables", 0.9, 0.25, 2),
                                          ("rename-function", 1.0, 0.15, 1),
                                          ("remove-docstrings", 1.0, 0.6, 1),
                                          ("for-to-while", 0.3, 0.1, 1)]:
    changed = [t for t in TASKS if rng.random() < share]
    for v in range(versions):
        name = f"perturb-{transform}" + (f"-{v}" if v else "")
        tag = transform + (f" variant {v}" if v else "")
        outcomes = {t: [ok and rng.random() > harm for ok in nominal[t]] for t in changed}
        write_run(a / name, settings("smollm2-135m", 0.8, tag), outcomes)

# n@k of two selection strategies (made up, between pass@n and pass@k).
ks = [1, 2, 5, 10, 20]
counts = [(len(p), sum(p)) for p in nominal.values()]
passk = [sum(pass_at_k(n, c, k) for n, c in counts) / len(counts) for k in ks]
def n_at_k(n, gain):
    base = passk[ks.index(n)] if n in ks else None
    return [None if k < n else round(base + gain * (passk[i] - base), 4)
            for i, k in enumerate(ks)]
selection = {
    "samples_per_task": N, "tasks": len(TASKS), "ks": ks,
    "pass_at_k": [round(v, 4) for v in passk],
    "strategies": [
        {"name": "random", "n_at_k": {"1": n_at_k(1, 0.0), "10": n_at_k(10, 0.0)}},
        {"name": "examples", "n_at_k": {"1": n_at_k(1, 0.55), "10": n_at_k(10, 0.7)}},
    ],
}
(a / "selection.json").write_text(json.dumps(selection, indent=2) + "\n")
PY
runs=("$work/humaneval-smollm2-135m" "$work/humaneval-gemma3-270m")
fi
report="$work/report.html"
# The `arbor` binary: $ARBOR as it is, else target/debug/arbor built now.
arbor=${ARBOR:-}
if [ -z "$arbor" ] && cargo build -q -p arbor-cli; then
    arbor=target/debug/arbor
fi
if [ -n "$arbor" ] && "$arbor" eval report --help >/dev/null 2>&1; then
    "$arbor" eval report "${runs[@]}" -o "$report"
else
    echo "no \`arbor eval report\`: writing the report through arbor-eval's test" >&2
    ARBOR_REPORT_DIRS=$(IFS=:; echo "${runs[*]}") ARBOR_REPORT_OUT="$report" \
        cargo test -q -p arbor-eval --test html_report -- --ignored --exact write_sample_report
fi
[ -s "$report" ] || { echo "no report written" >&2; exit 1; }

shot="$work/report.png"
# Nothing but the file: no network, no sync, no component updates, a throwaway profile.
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$(mktemp -d -p "$work")" \
    --screenshot="$shot" --window-size=1400,2400 "file://$report" 2>"$work/chromium.log" ||
    { tail -20 "$work/chromium.log" >&2; exit 1; }
size=$(stat -c %s "$shot" 2>/dev/null || echo 0)
if [ "$size" -lt 30000 ]; then
    echo "screenshot missing or tiny ($size bytes): the page did not render" >&2
    exit 1
fi
mkdir -p "$(dirname "$png")"
cp "$shot" "$png"
echo "report $(stat -c %s "$report") bytes; screenshot $png ($size bytes)"
