#!/usr/bin/env bash
# Prints the path of the bigger Python corpus, made once under $1 (default: a fresh temporary
# directory): the machine's standard library (benchmarks/corpus.sh) and the sdists of requests,
# flask and django at pinned versions (pip download into $ARBOR_CACHE/lint-corpora), about 4,700
# .py files; the pinned packages are listed in its .packages file. Used by lint_accuracy.sh and
# lint_speed.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
corpus="$work/python"
if [ ! -d "$corpus" ]; then
    cache="${ARBOR_CACHE:-$HOME/.cache/arbor}"
    sdists="$cache/lint-corpora"
    packages=(requests==2.32.3 flask==3.1.0 django==5.1.4)
    mkdir -p "$sdists" "$corpus"
    python3 -m pip download --quiet --no-deps --no-binary :all: -d "$sdists" "${packages[@]}" >&2
    benchmarks/corpus.sh "$corpus/stdlib" >/dev/null
    for package in "${packages[@]}"; do
        name=${package%%==*} version=${package##*==}
        archive=$(find "$sdists" -maxdepth 1 -iname "$name-$version.tar.gz" | head -1)
        mkdir -p "$corpus/$name"
        tar -xzf "$archive" -C "$corpus/$name" --strip-components=1
    done
    echo "${packages[*]}" > "$corpus/.packages"  # what it holds, for the scripts' headers
fi
echo "$corpus"
