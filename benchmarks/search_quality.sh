#!/usr/bin/env bash
# Retrieval quality of `arbor search`: over the Python standard library, every function or
# method with a docstring is looked for by the first sentence of its docstring, in an index of
# the code with docstrings blanked. Reports MRR@10 and Recall@10 for the code-aware tokenizer
# and, in the same run, for tantivy's default tokenizer as the baseline.
#
#   benchmarks/search_quality.sh [MAX_QUERIES]     (default 5000, an evenly spread sample)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=$(benchmarks/corpus.sh "$work")
cargo build --release -q -p arbor-index --example search_bench
echo "# search_quality.sh, $(date -u +%Y-%m-%d), corpus: Python $(python3 -c 'import sys; print(sys.version.split()[0])') stdlib ($(find "$corpus" -name '*.py' | wc -l) files)"
target/release/examples/search_bench quality "$corpus" "$work" "${1:-5000}"
