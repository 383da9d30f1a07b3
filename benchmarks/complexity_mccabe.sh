#!/usr/bin/env bash
# Agreement of `all/complexity` with `complexity-counting = "mccabe"` with the real mccabe
# (flake8's C901), per function and module-level block, on the Python standard library.
# mccabe is installed from PyPI into a virtual environment by this script.
#
#   benchmarks/complexity_mccabe.sh [MAX_FILES]     (default 400; 0 for every file)
#
# STDLIB=DIR picks another tree (default: the standard library of `python3`). Exit status 1
# when a graph differs in a file tree-sitter parses without error.
set -euo pipefail
cd "$(dirname "$0")/.."
max=${1:-400}
venv="${ARBOR_CACHE:-$HOME/.cache/arbor}/mccabe-venv"
if [ "$("$venv/bin/python" -c 'import mccabe; print(mccabe.__version__)' 2>/dev/null)" != "0.7.0" ]; then
    echo "installing mccabe 0.7.0 from PyPI into $venv..." >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "mccabe==0.7.0"
fi
cargo build -q -p arbor-cli
stdlib=${STDLIB:-$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')}
mapfile -t files < <(find "$stdlib" -name '*.py' -not -path '*/site-packages/*' -not -path '*/dist-packages/*' | LC_ALL=C sort)
if [ "$max" -gt 0 ]; then
    files=("${files[@]:0:$max}")
fi
echo "mccabe $("$venv/bin/python" -c 'import mccabe; print(mccabe.__version__)') on $stdlib (${#files[@]} files)"
"$venv/bin/python" benchmarks/complexity_mccabe.py target/debug/arbor "${files[@]}"
