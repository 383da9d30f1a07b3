#!/usr/bin/env bash
# `arbor lsp` driven by a client nobody here wrote: Neovim's built-in LSP client, headless
# (Debian's `neovim`), runs tests/integrations/lsp_neovim.lua on a copy of
# tests/fixtures/lsp/app.py: diagnostics arrive, the fix-all action is applied and the file
# written, and the result must equal tests/fixtures/lsp/app.fixed.py byte for byte; then the
# default model (fetched with pip into the cache on first use) completes a line.
#
#   tests/integrations/lsp_neovim.sh
#
# Set CARGO_TARGET_DIR to share builds.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
command -v nvim > /dev/null || { echo "lsp_neovim: needs Neovim (Debian: apt-get install neovim)" >&2; exit 1; }
cargo build -q --release
arbor="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/arbor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp tests/fixtures/lsp/app.py "$work/app.py"
status=0
ARBOR="$arbor" FIXTURE="$work/app.py" RESULT="$work/result.txt" \
    timeout 120 nvim --headless -u NONE -i NONE -n -c "luafile tests/integrations/lsp_neovim.lua" \
    > "$work/nvim.log" 2>&1 || status=$?
cat "$work/result.txt" 2>/dev/null || true
if [ "$status" -ne 0 ]; then
    cat "$work/nvim.log" >&2
    echo "lsp_neovim: Neovim exited with $status" >&2
    exit 1
fi
if ! diff -u tests/fixtures/lsp/app.fixed.py "$work/app.py"; then
    echo "lsp_neovim: the fixed file differs from tests/fixtures/lsp/app.fixed.py" >&2
    exit 1
fi
echo "lsp_neovim: $(nvim --version | head -1): diagnostics, fix-all applied and written, clean, a completion from the model"
