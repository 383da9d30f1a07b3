#!/usr/bin/env bash
# Accuracy of Arbor's lint rules against the linters people trust, on code nobody here wrote
# (issue 16): ruff (pinned, from PyPI into a virtual environment made by this script) on the
# Python standard library (benchmarks/corpus.sh) and the sdists of requests, flask and django
# (pip download, pinned versions). Per rule: counts, matched findings (same file, same line),
# precision and recall, and samples of each disagreement (benchmarks/lint_accuracy.py).
#
#   benchmarks/lint_accuracy.sh [SAMPLES]     (disagreements shown per rule and side; default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${ARBOR_CACHE:-$HOME/.cache/arbor}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ruff_version=0.17.6
venv="$cache/bench-venv-accuracy"
if [ "$("$venv/bin/ruff" --version 2>/dev/null)" != "ruff $ruff_version" ]; then
    echo "installing ruff $ruff_version from PyPI into $venv..." >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "ruff==$ruff_version"
fi
sdists="$cache/lint-corpora"
packages=(requests==2.32.3 flask==3.1.0 django==5.1.4)
mkdir -p "$sdists"
python3 -m pip download --quiet --no-deps --no-binary :all: -d "$sdists" "${packages[@]}"
corpus="$work/corpus"
mkdir -p "$corpus"
benchmarks/corpus.sh "$corpus/stdlib" >/dev/null
for package in "${packages[@]}"; do
    name=${package%%==*}
    version=${package##*==}
    archive=$(find "$sdists" -maxdepth 1 -iname "$name-$version.tar.gz" | head -1)
    mkdir -p "$corpus/$name"
    tar -xzf "$archive" -C "$corpus/$name" --strip-components=1
done
find "$corpus" -name '*.py' | sort > "$work/files"
cargo build --release -q -p arbor-cli
echo "# lint_accuracy.sh, $(date -u +%Y-%m-%d): $("$venv/bin/ruff" --version) on Python $(python3 -c 'import sys; print(sys.version.split()[0])') stdlib, ${packages[*]}"
python3 benchmarks/lint_accuracy.py --arbor target/release/arbor --ruff "$venv/bin/ruff" \
    --root "$corpus" --samples "${1:-5}" "$work/files"
