#!/usr/bin/env bash
# The GitHub Action (action.yml) run as the runner runs a composite action, on a fixture
# repository (tests/integrations/action.py). Needs PyYAML: uses the venv of pre-commit.sh
# (pre-commit depends on it), made here when missing. Set CARGO_TARGET_DIR to share builds.
#
#   tests/integrations/action.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache="${ARBOR_CACHE:-$HOME/.cache/arbor}"
venv="$cache/pre-commit-venv"
if ! "$venv/bin/python" -c "import yaml" 2>/dev/null; then
    echo "installing pre-commit 4.7.0 (and PyYAML) from PyPI into $venv..." >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "pre-commit==4.7.0"
fi
exec "$venv/bin/python" "$root/tests/integrations/action.py"
