#!/usr/bin/env bash
# `arbor serve`'s search page in a real browser: serves this repository, loads the page of a
# query in headless Chromium (Debian's `chromium`, installed with apt-get when missing) and
# checks the DOM it rendered (the result count, `path:line` links to the file view, marked
# matches, a malformed query's error with its column, the syntax-coloured file view), then
# keeps a screenshot of the results. The page's form submits with GET, so loading
# `/?q=QUERY` is what typing QUERY and pressing Enter does.
#
#   tests/integrations/serve_page.sh [OUT.png]     (default docs/serve-search.png)
#
# Set CARGO_TARGET_DIR to share builds.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
png=${1:-docs/serve-search.png}
if [ ! -x /usr/bin/chromium ]; then
    echo "installing Debian's chromium..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
cargo build -q
arbor="${CARGO_TARGET_DIR:-target}/debug/arbor"
source tests/integrations/serve_start.sh
start_serve 100 0.1 --port 0 --no-watch --repo "$root" --index "$work/index"
# The index, up to date before the page is loaded.
python3 - "$address" <<'PY'
import sys, urllib.request
request = urllib.request.Request(sys.argv[1] + "/api/index", data=b"", method="POST")
print(urllib.request.urlopen(request, timeout=600).read().decode()[:200], file=sys.stderr)
PY
chrome=(/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
        --disable-background-networking --disable-component-update --disable-sync
        --user-data-dir="$work/profile" --virtual-time-budget=5000)
"${chrome[@]}" --dump-dom "$address/?q=parse%20source%20file" > "$work/results.html" 2> /dev/null
"${chrome[@]}" --dump-dom "$address/?q=%2F%5B" > "$work/error.html" 2> /dev/null
"${chrome[@]}" --dump-dom "$address/file/crates/arbor-serve/src/lib.rs" > "$work/file.html" 2> /dev/null
python3 - "$work" <<'PY'
import re, sys
from pathlib import Path
work = Path(sys.argv[1])
results = (work / "results.html").read_text()
count = re.search(r'id="count">(\d+) results? in ([\d.]+) ms', results)
assert count and int(count.group(1)) > 0, results[:2000]
links = re.findall(r'<h2><a href="(/file/[^"#]+#L\d+)">([^<]+:\d+)</a>', results)
assert links, "no path:line links"
marks = re.findall(r"<mark>([^<]+)</mark>", results)
assert any(m.lower() in ("parse", "source", "file") for m in marks), marks[:10]
assert "<script" not in results
error = (work / "error.html").read_text()
assert re.search(r'id="error">[^<]*column \d+', error), error[:2000]
view = (work / "file.html").read_text()
assert '<tr id="L1">' in view and '<span class="k">pub</span>' in view, view[:2000]
print(f"page: {count.group(1)} results in {count.group(2)} ms, {len(links)} links, "
      f"{len(marks)} marked matches; error and file view checked")
PY
mkdir -p "$(dirname "$png")"
"${chrome[@]}" --window-size=1280,1000 --hide-scrollbars --screenshot="$png" \
    "$address/?q=parse%20source%20file" > /dev/null 2>&1
size=$(stat -c %s "$png")
[ "$size" -gt 20000 ] || { echo "the screenshot is almost empty ($size bytes)" >&2; exit 1; }
echo "screenshot: $png ($size bytes)"
