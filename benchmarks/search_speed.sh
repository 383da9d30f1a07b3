#!/usr/bin/env bash
# Speed of `arbor index` and `arbor search` on a copy of the Python standard library: full
# build time and MB/s, index size / corpus size, re-index after changing one file, and median /
# p95 latency of 200 queries (symbol names and words from the corpus) next to `rg -F` for the
# same literal queries over the same tree, in the same run.
#
#   benchmarks/search_speed.sh [QUERIES]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v rg >/dev/null 2>&1; then
    echo "installing ripgrep from Debian's packages..." >&2
    (apt-get update -qq && apt-get install -y -qq ripgrep) >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=$(benchmarks/corpus.sh "$work")
cargo build --release -q -p arbor-cli
cargo build --release -q -p arbor-index --example search_bench
echo "# search_speed.sh, $(date -u +%Y-%m-%d), $(nproc) cores, corpus: Python $(python3 -c 'import sys; print(sys.version.split()[0])') stdlib ($(find "$corpus" -name '*.py' | wc -l) files), $(rg --version | sed -n 1p)"
target/release/examples/search_bench speed "$corpus" "$work" target/release/arbor "${1:-200}"
