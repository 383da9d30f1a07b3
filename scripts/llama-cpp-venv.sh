#!/usr/bin/env bash
# The llama.cpp reference: llama-cpp-python (built by pip for this CPU), numpy and gguf in a
# virtual environment under $ARBOR_CACHE (default ~/.cache/arbor), made when missing.
# Prints the environment's python. Used by benchmarks/lm_speed.sh and by the llama.cpp
# reference tests (crates/arbor-lm/tests/llama_cpp_reference.rs, run by .ci/run).
#
#   scripts/llama-cpp-venv.sh        # → /root/.cache/arbor/bench-venv-llama/bin/python
set -euo pipefail
cache="${ARBOR_CACHE:-$HOME/.cache/arbor}"
venv="$cache/bench-venv-llama"
python="$venv/bin/python"
if ! "$python" -c "import llama_cpp, numpy, gguf" 2>/dev/null; then
    echo "building llama-cpp-python from the package registry into $venv (several minutes)..." >&2
    mkdir -p "$cache"
    [ -x "$python" ] || python3 -m venv "$venv"
    CMAKE_ARGS="-DGGML_NATIVE=ON" "$venv/bin/pip" install --quiet \
        llama-cpp-python==0.3.36 numpy gguf==0.19.0 >&2
fi
echo "$python"
