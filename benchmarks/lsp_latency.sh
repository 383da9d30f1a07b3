#!/usr/bin/env bash
# `arbor lsp` against `ruff server` (ruff from PyPI, the same venv as lint_speed.sh) in the
# same run: time from `didChange` to the diagnostics it causes, p50 / p95 over EDITS edits
# (one at a time: a line inserted near the top, then deleted), on two files copied into a
# fresh folder: the Python standard library's file nearest 2,000 lines, and its largest file.
# Both servers push diagnostics (the driver does not offer to pull); each runs its default
# rules. Prints a table and the ratios (arbor ÷ ruff; lower is faster).
#
#   benchmarks/lsp_latency.sh            # EDITS=50
set -euo pipefail
cd "$(dirname "$0")/.."
EDITS=${EDITS:-50}
venv="${ARBOR_CACHE:-$HOME/.cache/arbor}/bench-venv"
if [ ! -x "$venv/bin/ruff" ]; then
    echo "installing ruff from PyPI into $venv..." >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade ruff
fi
cargo build --release -q -p arbor-cli
arbor="$(pwd)/${CARGO_TARGET_DIR:-target}/release/arbor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import os, shutil, sys, sysconfig
stdlib = sysconfig.get_paths()["stdlib"]
files = [os.path.join(r, f) for r, _, fs in os.walk(stdlib) if "site-packages" not in r
         for f in fs if f.endswith(".py")]
lines = {f: sum(1 for _ in open(f, encoding="utf-8", errors="replace")) for f in files}
near = min(files, key=lambda f: (abs(lines[f] - 2000), f))
largest = max(files, key=lambda f: (os.path.getsize(f), f))
for name, f in (("near2000", near), ("largest", largest)):
    shutil.copy(f, os.path.join(sys.argv[1], name + "_" + os.path.basename(f)))
    print(f"{name}: {os.path.relpath(f, stdlib)} ({lines[f]} lines, {os.path.getsize(f)} bytes)", file=sys.stderr)
PY
ruff_version=$("$venv/bin/ruff" --version)
echo "arbor lsp against $ruff_version server; $EDITS edits per file"
python3 benchmarks/lsp_latency.py "arbor=$arbor lsp" "ruff=$venv/bin/ruff server" -- "$work"/near2000_*.py "$work"/largest_*.py --edits "$EDITS" > "$work/results.jsonl"
python3 - "$work/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"{'file':<28} {'lines':>6} | {'arbor p50/p95 ms':>18} {'ruff p50/p95 ms':>18} | {'p50 ratio':>9} | diagnostics arbor / ruff")
for f in dict.fromkeys(r["file"] for r in rows):
    a = next(r for r in rows if r["file"] == f and r["server"] == "arbor")
    b = next(r for r in rows if r["file"] == f and r["server"] == "ruff")
    print(f"{f:<28} {a['lines']:>6} | {a['p50_ms']:>8.2f} / {a['p95_ms']:<8.2f} {b['p50_ms']:>8.2f} / {b['p95_ms']:<8.2f} | "
          f"{a['p50_ms'] / b['p50_ms']:>8.2f}x | {a['diagnostics']} / {b['diagnostics']}")
PY
