#!/usr/bin/env bash
# Accuracy of Arbor's lint rules against the linters people trust, on code nobody here wrote
# (issue 16). Python: ruff (pinned, from PyPI into a virtual environment made by this script) on
# the Python standard library (benchmarks/corpus.sh) and the sdists of requests, flask and django
# (pip download, pinned versions). JavaScript: ESLint (pinned, installed with npm into the cache)
# on the published files of well-known npm packages (npm pack, pinned versions). Per rule:
# counts, matched findings (same file, same line), precision and recall, and samples of each
# disagreement (benchmarks/lint_accuracy.py). Rust: the toolchain's clippy (`cargo clippy`, only the
# mapped lints) on copies of five crates of the cargo registry (pinned versions, fetched with
# `cargo fetch` into the registry when missing).
#
#   benchmarks/lint_accuracy.sh [SAMPLES] [python|javascript|rust]
#       SAMPLES: disagreements shown per rule and side (default 5); all languages by default
#   MIN_AGREEMENT=0.95 benchmarks/lint_accuracy.sh …
#       exit 1 when a rule's precision or recall (without its documented deliberate differences)
#       is below that share (.ci/run does this for Python and Rust)
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${ARBOR_CACHE:-$HOME/.cache/arbor}"
samples="${1:-5}"
check=()
if [ -n "${MIN_AGREEMENT:-}" ]; then check=(--min "$MIN_AGREEMENT"); fi
languages="${2:-python javascript rust}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release -q -p arbor-cli
arbor="${CARGO_TARGET_DIR:-target}/release/arbor"

python_accuracy() {
    local ruff_version=0.17.6
    local venv="$cache/bench-venv-accuracy"
    if [ "$("$venv/bin/ruff" --version 2>/dev/null)" != "ruff $ruff_version" ]; then
        echo "installing ruff $ruff_version from PyPI into $venv..." >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet "ruff==$ruff_version"
    fi
    local corpus
    corpus=$(benchmarks/python_corpus.sh "$work")
    find "$corpus" -name '*.py' | sort > "$work/python.files"
    echo "# lint_accuracy.sh, $(date -u +%Y-%m-%d): $("$venv/bin/ruff" --version) on Python $(python3 -c 'import sys; print(sys.version.split()[0])') stdlib, $(cat "$corpus/.packages")"
    python3 benchmarks/lint_accuracy.py "${check[@]}" --arbor "$arbor" --ruff "$venv/bin/ruff" \
        --root "$corpus" --samples "$samples" "$work/python.files"
}

javascript_accuracy() {
    local eslint_version=10.15.0
    local prefix="$cache/bench-eslint"
    local eslint="$prefix/node_modules/.bin/eslint"
    if [ "$("$eslint" --version 2>/dev/null)" != "v$eslint_version" ]; then
        echo "installing eslint $eslint_version with npm into $prefix..." >&2
        npm install --silent --no-audit --no-fund --prefix "$prefix" "eslint@$eslint_version"
    fi
    local tarballs="$cache/lint-corpora-js"
    local packages=(lodash@4.18.1 express@5.3.0 react-dom@19.3.1 moment@2.31.0 jquery@4.0.0
        axios@1.21.1 chalk@6.0.1 commander@15.1.0 underscore@1.13.8 async@3.2.6 debug@4.4.3
        ws@8.23.0 three@0.187.0 handlebars@4.7.8 uglify-js@3.19.3)
    mkdir -p "$tarballs"
    local corpus="$work/javascript"
    for package in "${packages[@]}"; do
        local name=${package%@*} version=${package##*@}
        local archive="$tarballs/$name-$version.tgz"
        [ -f "$archive" ] || (cd "$tarballs" && npm pack --silent "$package" >/dev/null)
        mkdir -p "$corpus/$name"
        tar -xzf "$archive" -C "$corpus/$name" --strip-components=1
    done
    find "$corpus" \( -name '*.js' -o -name '*.mjs' -o -name '*.cjs' \) | sort > "$work/javascript.files"
    echo "# lint_accuracy.sh, $(date -u +%Y-%m-%d): ESLint $("$eslint" --version) on Node $(node --version), ${packages[*]}"
    python3 benchmarks/lint_accuracy.py "${check[@]}" --arbor "$arbor" --eslint "$eslint" \
        --root "$corpus" --samples "$samples" "$work/javascript.files"
}

rust_accuracy() {
    local crates=(aho-corasick-1.1.5 ignore-0.4.35 memchr-2.8.3 regex-syntax-0.8.12 serde_json-1.0.154)
    local corpus="$work/rust"
    benchmarks/crates.sh "$corpus" "${crates[@]}"
    rm -f "$corpus"/*/clippy.toml "$corpus"/*/.clippy.toml
    find "$corpus" -path "$corpus/target" -prune -o -name '*.rs' -print | sort > "$work/rust.files"
    echo "# lint_accuracy.sh, $(date -u +%Y-%m-%d): $(cargo clippy --version) on ${crates[*]}"
    python3 benchmarks/lint_accuracy.py "${check[@]}" --arbor "$arbor" --clippy cargo \
        --root "$corpus" --samples "$samples" "$work/rust.files"
}

for language in $languages; do
    "${language}_accuracy"
done
