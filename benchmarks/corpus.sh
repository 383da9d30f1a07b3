#!/usr/bin/env bash
# Prints the path of a copy of the machine's Python standard library (.py files only, no
# site-packages), made once under $1 (default: a fresh temporary directory). A copy, so
# benchmarks may change files in it.
set -euo pipefail
work=${1:-$(mktemp -d)}
corpus="$work/python-stdlib"
if [ ! -d "$corpus" ]; then
    python3 - "$corpus" <<'PY'
import os, shutil, sys, sysconfig
src = sysconfig.get_paths()["stdlib"]
dst = sys.argv[1]
for root, dirs, files in os.walk(src):
    dirs[:] = [d for d in dirs if d not in ("site-packages", "__pycache__")]
    for name in files:
        if name.endswith(".py"):
            rel = os.path.relpath(os.path.join(root, name), src)
            os.makedirs(os.path.join(dst, os.path.dirname(rel)), exist_ok=True)
            shutil.copy2(os.path.join(root, name), os.path.join(dst, rel))
PY
fi
echo "$corpus"
