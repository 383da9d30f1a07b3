#!/usr/bin/env bash
# Wall time of `arbor lint` with all Python rules on the Python standard library, next to
# `ruff check --select ALL --no-cache`, `ruff check --no-cache` (default rules) and flake8, all
# installed from PyPI into a virtual environment by this script, in the same run. Each command
# runs 3 times after a warm-up; the median is reported with the number of rules it ran.
# Then the bigger corpus of lint_accuracy.sh (the standard library with requests, flask and
# django, ~4,700 files: benchmarks/python_corpus.sh) against ruff running the rules that map to
# Arbor's (the codes lint_accuracy.sh compares, and the nearest ones for the rest), and Arbor
# parsing alone (`--select arbor/syntax-error`: every file read and parsed, no rule run).
#
#   benchmarks/lint_speed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=$(benchmarks/corpus.sh "$work")
venv="${ARBOR_CACHE:-$HOME/.cache/arbor}/bench-venv"
if [ ! -x "$venv/bin/ruff" ] || [ ! -x "$venv/bin/flake8" ]; then
    echo "installing ruff and flake8 from PyPI into $venv..." >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade ruff flake8
fi
cargo build --release -q -p arbor-cli
arbor=target/release/arbor

median() { # command... → median seconds of 3 runs (after one warm-up run)
    "$@" >/dev/null 2>&1 || true
    local times=()
    for _ in 1 2 3; do
        local t0 t1
        t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s.%N)
        times+=("$(echo "$t1 - $t0" | bc)")
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n 2p
}

arbor_rules=$("$arbor" lint --list-rules --select py,all | wc -l)
# `--select ALL` runs the stable rules; the defaults are the stable E4, E7, E9 and F rules.
stable='import json, sys; rules = [r for r in json.load(sys.stdin) if r.get("code") and "Stable" in r.get("status", {})]'
ruff_all=$("$venv/bin/ruff" rule --all --output-format json | python3 -c "$stable; print(len(rules))")
ruff_default=$("$venv/bin/ruff" rule --all --output-format json | python3 -c "$stable
print(sum(1 for r in rules if r['code'].startswith(('E4', 'E7', 'E9', 'F'))))")
flake8_rules=$(python3 - "$venv" <<'PY'
import glob, re, sys
# Codes pycodestyle and pyflakes can report: E/W codes in pycodestyle, message classes in pyflakes.
site = glob.glob(sys.argv[1] + "/lib/python3*/site-packages")[0]
codes = set(re.findall(r'"([EW]\d{3})', open(site + "/pycodestyle.py").read()))
pyflakes = len(re.findall(r"^class \w+\(Message\)", open(site + "/pyflakes/messages.py").read(), re.M))
mccabe = 1
print(len(codes) + pyflakes + mccabe)
PY
)

echo "# lint_speed.sh, $(date -u +%Y-%m-%d), $(nproc) cores, corpus: Python $(python3 -c 'import sys; print(sys.version.split()[0])') stdlib ($(find "$corpus" -name '*.py' | wc -l) files, $(du -sm "$corpus" | cut -f1) MB)"
echo "# $("$venv/bin/ruff" --version), flake8 $("$venv/bin/flake8" --version | head -1 | cut -d' ' -f1)"
t_arbor=$(median "$arbor" lint "$corpus" --select py,all --fail-on never)
t_ruff_all=$(median "$venv/bin/ruff" check --select ALL --no-cache --exit-zero --quiet "$corpus")
t_ruff=$(median "$venv/bin/ruff" check --no-cache --exit-zero --quiet "$corpus")
t_flake8=$(median "$venv/bin/flake8" --exit-zero -j auto "$corpus")
printf '%-44s %8s %8s %14s\n' tool seconds rules "arbor / tool"
row() { printf '%-44s %8.2f %8s %14.2f\n' "$1" "$2" "$3" "$(echo "$t_arbor / $2" | bc -l)"; }
row "arbor lint (py + all rules)" "$t_arbor" "$arbor_rules"
row "ruff check --select ALL --no-cache" "$t_ruff_all" "$ruff_all"
row "ruff check --no-cache (defaults)" "$t_ruff" "$ruff_default"
row "flake8 -j auto (pycodestyle+pyflakes+mccabe)" "$t_flake8" "~$flake8_rules"

# Arbor's Python and all-language rules and their ruff counterparts: py/bare-except E722,
# py/none-comparison E711, py/eval-exec S307+S102, py/assert-tuple F631, py/mutable-default B006,
# py/except-pass S110, py/fstring-no-placeholder F541, py/redefined-builtin A001+A002,
# py/unused-import F401, py/unused-variable F841, all/complexity C901, all/todo-comment
# FIX001+FIX002, all/function-too-long PLR0915 (statements, not lines); all/nesting-too-deep has
# no stable counterpart.
mapped=E722,E711,S307,S102,F631,B006,S110,F541,A001,A002,F401,F841,C901,FIX001,FIX002,PLR0915
big=$(benchmarks/python_corpus.sh "$work")
echo
echo "# the bigger corpus: $(find "$big" -name '*.py' | wc -l) files ($(du -sm "$big" | cut -f1) MB): stdlib, requests, flask, django; ruff with the mapped rules"
t_arbor=$(median "$arbor" lint "$big" --select py,all --fail-on never)
t_parse=$(median "$arbor" lint "$big" --select arbor/syntax-error --fail-on never)
t_mapped=$(median "$venv/bin/ruff" check --select "$mapped" --no-cache --exit-zero --quiet "$big")
t_ruff=$(median "$venv/bin/ruff" check --no-cache --exit-zero --quiet "$big")
printf '%-44s %8s %8s %14s\n' tool seconds rules "arbor / tool"
row "arbor lint (py + all rules)" "$t_arbor" "$arbor_rules"
row "arbor lint, parsing only (arbor/syntax-error)" "$t_parse" 1
row "ruff check --no-cache, the mapped rules" "$t_mapped" "$(echo "$mapped" | tr ',' '\n' | wc -l)"
row "ruff check --no-cache (defaults)" "$t_ruff" "$ruff_default"
