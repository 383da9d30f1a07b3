#!/usr/bin/env bash
# `arbor serve --model` under load, against llama-cpp-python's OpenAI-compatible server on the
# same GGUF in the same invocation: 1, 4 and 16 concurrent streaming clients, each sending
# REQUESTS completions of MAX_TOKENS tokens at temperature 0 (prompts from a fixed list),
# then total generated tokens/s and p50/p95 time to first token per server, as ratios; and
# the search API's p50 over HTTP against the server's own (in-process) timing of the same
# searches. llama-cpp-python's server runs with --interrupt_requests False (its default cuts a
# stream short when another request arrives).
#
#   benchmarks/serve_load.sh                 # THREADS=2 REQUESTS=4 MAX_TOKENS=64 SLOTS=16
#
# Tokens are counted as the streamed content chunks (both servers send one per token: a
# multi-byte character split over tokens may make one chunk of two). Run with nothing else
# busy. The llama.cpp side: llama-cpp-python from scripts/llama-cpp-venv.sh, with its server's
# dependencies (FastAPI, uvicorn, sse-starlette, …) added from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
REQUESTS=${REQUESTS:-4}
MAX_TOKENS=${MAX_TOKENS:-64}
# Samples Arbor decodes at once (continuous batching): 16, so no client of the largest run waits.
SLOTS=${SLOTS:-16}
python=$(scripts/llama-cpp-venv.sh)
if ! "$python" -c "import llama_cpp.server.app" 2>/dev/null; then
    echo "adding llama-cpp-python's server dependencies from PyPI..." >&2
    "$python" -m pip install --quiet "uvicorn>=0.22.0" "fastapi>=0.100.0" \
        "pydantic-settings>=2.0.1" "sse-starlette>=1.6.1" "starlette-context>=0.3.6,<0.4" "PyYAML>=5.1"
fi
cargo build --release -q
arbor="${CARGO_TARGET_DIR:-target}/release/arbor"
model=$("$arbor" model fetch smollm2-135m 2>/dev/null | tail -1)
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
"$arbor" serve --port 0 --no-watch --repo . --index "$work/index" --model "$model" \
    --threads "$THREADS" --slots "$SLOTS" 2> "$work/arbor.log" &
pids+=($!)
port=$("$python" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
"$python" -m llama_cpp.server --model "$model" --host 127.0.0.1 --port "$port" \
    --n_threads "$THREADS" --n_ctx 2048 --model_alias smollm2 --interrupt_requests False \
    > "$work/llama.log" 2>&1 &
pids+=($!)
for _ in $(seq 600); do
    grep -q "serving on" "$work/arbor.log" 2>/dev/null && grep -q "Uvicorn running" "$work/llama.log" 2>/dev/null && break
    sleep 0.2
done
arbor_url=$(sed -n 's|^arbor: serving on \(http://[^ ]*\).*|\1|p' "$work/arbor.log")
[ -n "$arbor_url" ] || { cat "$work/arbor.log" >&2; exit 1; }
# The model loads after the server starts listening: /health answers 503 until it has.
for _ in $(seq 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$arbor_url/health")" = 200 ] && break
    sleep 0.2
done
grep -q "Uvicorn running" "$work/llama.log" || { cat "$work/llama.log" >&2; exit 1; }
# The index, up to date before the search is timed.
curl -s -X POST "$arbor_url/api/index" > /dev/null
python3 - "$arbor_url" "http://127.0.0.1:$port" "$REQUESTS" "$MAX_TOKENS" <<'PY'
import http.client, json, statistics, sys, threading, time, urllib.parse, urllib.request

arbor, llama, requests, max_tokens = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
PROMPTS = [
    "def fibonacci(n):\n    ", "def is_prime(n):\n    ", "def reverse_words(s):\n    ",
    "def flatten(xs):\n    ", "def gcd(a, b):\n    ", "def word_count(text):\n    ",
    "class Stack:\n    def __init__(self):\n        ", "def merge_sorted(a, b):\n    ",
]

def stream(base, prompt):
    """One streamed completion: (seconds to the first content chunk, chunks, seconds)."""
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    body = json.dumps({"model": "smollm2", "prompt": prompt, "max_tokens": max_tokens,
                       "temperature": 0, "stream": True})
    start = time.perf_counter()
    conn.request("POST", "/v1/completions", body, {"content-type": "application/json"})
    response = conn.getresponse()
    assert response.status == 200, response.read()
    first, chunks = None, 0
    for raw in response:
        line = raw.decode().strip()
        if not line.startswith("data:") or line.endswith("[DONE]"):
            continue
        text = json.loads(line[5:])["choices"][0].get("text") or ""
        if text:
            chunks += 1
            if first is None:
                first = time.perf_counter() - start
    conn.close()
    return first or 0.0, chunks, time.perf_counter() - start

def load(base, clients):
    results, lock = [], threading.Lock()
    def client(c):
        for r in range(requests):
            outcome = stream(base, PROMPTS[(c * requests + r) % len(PROMPTS)])
            with lock:
                results.append(outcome)
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    start = time.perf_counter()
    for t in threads: t.start()
    for t in threads: t.join()
    wall = time.perf_counter() - start
    ttft = sorted(r[0] for r in results)
    tokens = sum(r[1] for r in results)
    p95 = ttft[min(len(ttft) - 1, int(0.95 * len(ttft)))]
    return tokens / wall, statistics.median(ttft), p95

stream(arbor, "def warm():\n    "); stream(llama, "def warm():\n    ")
print(f"{'clients':>7} | {'arbor tok/s':>11} {'llama tok/s':>11} {'ratio':>6} | "
      f"{'arbor TTFT p50/p95 (s)':>22} {'llama TTFT p50/p95 (s)':>22}")
for clients in (1, 4, 16):
    a = load(arbor, clients)
    l = load(llama, clients)
    print(f"{clients:>7} | {a[0]:>11.1f} {l[0]:>11.1f} {a[0] / l[0]:>5.2f}x | "
          f"{a[1]:>10.3f} / {a[2]:<10.3f} {l[1]:>10.3f} / {l[2]:<10.3f}")
times, inside = [], []
for _ in range(50):
    t = time.perf_counter()
    answer = json.loads(urllib.request.urlopen(arbor + "/api/search?q=parse%20source%20file&limit=20").read())
    times.append(time.perf_counter() - t)
    inside.append(answer["elapsed_ms"])
http_p50, inside_p50 = statistics.median(times) * 1000, statistics.median(inside)
print(f"search 'parse source file' (20 hits): HTTP p50 {http_p50:.2f} ms (request to last byte), "
      f"in-process p50 {inside_p50:.2f} ms (the server's own timing of the same searches): "
      f"{http_p50 - inside_p50:+.2f} ms over HTTP")
PY
