#!/usr/bin/env bash
# Transforms per second over the Python standard library: `arbor augment` applies every
# transform to every module of the interpreter's stdlib folder (each transform touches every
# function it can in a module; JSONL records to /dev/null), with 1 and 2 threads. Baseline in
# the same run: Python's own `ast` module parsing and unparsing every function of the same
# files (the least an ast-based augmenter does per function, no transform at all).
#
#   benchmarks/augment_speed.sh   (whole modules, then --units function)
set -euo pipefail
cd "$(dirname "$0")/.."
stdlib=$(python3 -c "import sysconfig; print(sysconfig.get_paths()['stdlib'])")
cargo build --release -q -p arbor-cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The corpus: the stdlib's .py files (not its test suite, which holds deliberately broken
# files), copied so the walk sees exactly these.
(cd "$stdlib" && find . -name '*.py' -not -path './test/*' -not -path './*/test/*' \
    -not -path './*/tests/*' -not -path './site-packages/*' -not -path './dist-packages/*' \
    -not -path './lib2to3/*' -size -1000k) > "$work/list"
mkdir -p "$work/corpus"
(cd "$stdlib" && tar -cf - -T "$work/list") | tar -xf - -C "$work/corpus"
files=$(wc -l < "$work/list")
functions=$(python3 - "$work/corpus" <<'PY'
import ast, pathlib, sys
n = 0
for p in pathlib.Path(sys.argv[1]).rglob("*.py"):
    try:
        tree = ast.parse(p.read_text(encoding="utf-8"))
    except Exception:
        continue
    n += sum(isinstance(x, (ast.FunctionDef, ast.AsyncFunctionDef)) for x in ast.walk(tree))
print(n)
PY
)
transforms=$(target/release/arbor augment --list | wc -l)
echo "corpus: $files modules, $functions functions (Python $(python3 -c 'import sys; print(sys.version.split()[0])') stdlib); $transforms transforms"
seconds() { local t0 t1; t0=$(date +%s.%N); "$@"; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
py=$(seconds python3 - "$work/corpus" <<'PY'
import ast, pathlib, sys
for p in pathlib.Path(sys.argv[1]).rglob("*.py"):
    try:
        tree = ast.parse(p.read_text(encoding="utf-8"))
    except Exception:
        continue
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            ast.unparse(node)
PY
)
printf '%-34s %9s %16s\n' run seconds functions/s
printf '%-34s %9.2f %16.0f\n' "python ast parse+unparse (1 thread)" "$py" "$(echo "$functions / $py" | bc -l)"
for threads in 1 2; do
    TIMEFORMAT=%R
    t=$( { time env RAYON_NUM_THREADS=$threads target/release/arbor augment "$work/corpus" \
        > /dev/null 2> "$work/err-$threads"; } 2>&1 )
    applied=$(grep -o ': [0-9]* applied' "$work/err-$threads" | awk '{s += $2} END {print s}')
    per_function=$(echo "$functions * $transforms / $t" | bc -l)
    printf '%-34s %9.2f %16.0f   (%d module transforms applied, %.0f/s; %.2fx python ast)\n' \
        "arbor augment, all transforms ($threads thr)" "$t" "$per_function" "$applied" \
        "$(echo "$applied / $t" | bc -l)" "$(echo "$per_function / ($functions / $py)" | bc -l)"
done
# The issue's measure taken literally: every function (and method) its own input
# (`--units function`), each transform once on each.
for threads in 1 2; do
    TIMEFORMAT=%R
    t=$( { time env RAYON_NUM_THREADS=$threads target/release/arbor augment "$work/corpus" \
        --units function > /dev/null 2> "$work/errf-$threads"; } 2>&1 )
    units=$(grep -m1 -o ': [0-9]* applied, [0-9]* left unchanged' "$work/errf-$threads" \
        | awk '{print $2 + $4}')
    applied=$(grep -o ': [0-9]* applied' "$work/errf-$threads" | awk '{s += $2} END {print s}')
    per_unit=$(echo "$units * $transforms / $t" | bc -l)
    printf '%-34s %9.2f %16.0f   (%d function units, %d function transforms applied; %.2fx python ast)\n' \
        "arbor augment --units function ($threads thr)" "$t" "$per_unit" "$units" "$applied" \
        "$(echo "$per_unit / ($functions / $py)" | bc -l)"
done
