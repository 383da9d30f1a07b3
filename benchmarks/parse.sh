#!/usr/bin/env bash
# Syntax-layer throughput: walk + read + parse + symbols with 1 and 2 threads, next to raw
# single-pass tree-sitter parsing (files preloaded, one thread) and ripgrep over the same trees
# as the I/O baseline, all in one run. Corpora: the machine's Python standard library and the
# Rust sources under ~/.cargo/registry/src.
#
#   benchmarks/parse.sh [EXTRA_DIR...]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v rg >/dev/null 2>&1; then
    echo "installing ripgrep from Debian's packages..." >&2
    (apt-get update -qq && apt-get install -y -qq ripgrep) >/dev/null
fi

cargo build --release -q -p arbor-syntax --example parse_bench
bench=target/release/examples/parse_bench

corpora=("$(python3 -c "import sysconfig; print(sysconfig.get_paths()['stdlib'])")")
[ -d "$HOME/.cargo/registry/src" ] && corpora+=("$HOME/.cargo/registry/src")
corpora+=("$@")

now() { date +%s.%N; }
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p"; }

echo "# parse.sh on $(nproc) cores, $(date -u +%Y-%m-%d), $(rg --version | sed -n 1p)"
printf '%-48s %-22s %8s %9s %10s %9s\n' corpus run secs MB/s files/s ratio
for corpus in "${corpora[@]}"; do
    name=$corpus
    [ ${#name} -gt 48 ] && name="…${name: -47}"
    # Warm the page cache so every run reads from memory.
    rg --files -t py -t rust -t js "$corpus" | head -c 0 || true
    rg -c -t py -t rust -t js . "$corpus" >/dev/null || true

    raw=$("$bench" raw "$corpus")
    raw_mb=$(echo "$raw" | field mb_per_s)
    bytes=$(echo "$raw" | field bytes)
    files=$(echo "$raw" | field files)
    printf '%-48s %-22s %8s %9s %10s %9s\n' "$name" "tree-sitter parse 1T" \
        "$(echo "$raw" | field secs)" "$raw_mb" "$(echo "$raw" | field files_per_s)" "1.00"

    p1_mb=""
    for threads in 1 2; do
        run=$("$bench" pipeline "$threads" "$corpus")
        mb=$(echo "$run" | field mb_per_s)
        [ "$threads" = 1 ] && p1_mb=$mb
        printf '%-48s %-22s %8s %9s %10s %9s\n' "" "walk+parse+symbols ${threads}T" \
            "$(echo "$run" | field secs)" "$mb" "$(echo "$run" | field files_per_s)" \
            "$(printf '%.2f' "$(echo "$mb / $raw_mb" | bc -l)")"
    done
    printf '%-48s 2T/1T scaling: %.2fx; symbols: %s\n' "" "$(echo "$mb / $p1_mb" | bc -l)" "$(echo "$run" | field symbols)"

    for threads in 1 2; do
        t0=$(now); rg -j"$threads" --files -t py -t rust -t js "$corpus" >/dev/null; t1=$(now)
        secs=$(echo "$t1 - $t0" | bc)
        printf '%-48s %-22s %8.3f %9s %10.1f %9s\n' "" "rg --files ${threads}T" "$secs" "-" \
            "$(echo "$files / $secs" | bc -l)" "-"
        t0=$(now); rg -j"$threads" -c -t py -t rust -t js . "$corpus" >/dev/null || true; t1=$(now)
        secs=$(echo "$t1 - $t0" | bc)
        printf '%-48s %-22s %8.3f %9.2f %10.1f %9s\n' "" "rg -c . ${threads}T" "$secs" \
            "$(echo "$bytes / $secs / 1000000" | bc -l)" "$(echo "$files / $secs" | bc -l)" \
            "$(printf '%.2f' "$(echo "$bytes / $secs / 1000000 / $raw_mb" | bc -l)")"
    done
done
echo "ratio: MB/s relative to raw tree-sitter parsing (1T) of the same files (target for walk+parse+symbols 1T: >= 0.33)."
