"""Time from `textDocument/didChange` to the diagnostics it causes, for language servers on
stdio: one edit at a time (alternately inserting and deleting a line near the top), each
edit's time measured from sending it to the `publishDiagnostics` that follows it. Prints one
JSON line per (server, file): p50 and p95 in milliseconds over the edits, and the number of
diagnostics published.

    python3 lsp_latency.py NAME=COMMAND… -- FILE… [--edits 50]
"""

import json
import os
import shlex
import statistics
import subprocess
import sys
import threading
import time
import queue
import pathlib


class Server:
    def __init__(self, command, root):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, cwd=root)
        self.messages = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        out = self.process.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            self.messages.put((time.perf_counter(), json.loads(out.read(length))))

    def send(self, message):
        message["jsonrpc"] = "2.0"
        body = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def request(self, method, params):
        self.next_id += 1
        wanted = self.next_id
        self.send({"id": wanted, "method": method, "params": params})
        while True:
            _, message = self.messages.get(timeout=120)
            if message.get("id") == wanted and "method" not in message:
                return message

    def notify(self, method, params):
        self.send({"method": method, "params": params})

    def diagnostics(self, uri):
        """The next diagnostics published for `uri`: (arrival time, count)."""
        while True:
            at, message = self.messages.get(timeout=120)
            if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri:
                return at, len(message["params"]["diagnostics"])
            if "method" in message and "id" in message:  # a request from the server
                self.send({"id": message["id"], "result": None})

    def close(self):
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()


def measure(command, path, edits):
    path = pathlib.Path(path).resolve()
    root = path.parent
    uri = path.as_uri()
    text = path.read_text()
    server = Server(command, root)
    server.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(),
                                  "capabilities": {"textDocument": {"publishDiagnostics": {}}},
                                  "workspaceFolders": [{"uri": root.as_uri(), "name": "bench"}]})
    server.notify("initialized", {})
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": text}})
    _, found = server.diagnostics(uri)
    times = []
    line = "value = 1\n"
    for i in range(edits):
        start = {"line": 3, "character": 0}
        if i % 2 == 0:
            change = {"range": {"start": start, "end": start}, "text": line}
        else:
            change = {"range": {"start": start, "end": {"line": 4, "character": 0}}, "text": ""}
        sent = time.perf_counter()
        server.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": i + 2}, "contentChanges": [change]})
        at, found = server.diagnostics(uri)
        times.append((at - sent) * 1000)
    server.close()
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 2),
            "diagnostics": found, "lines": text.count("\n"), "edits": edits}


def main(argv):
    edits = 50
    if "--edits" in argv:
        i = argv.index("--edits")
        edits = int(argv[i + 1])
        del argv[i:i + 2]
    split = argv.index("--")
    servers = [a.split("=", 1) for a in argv[:split]]
    for path in argv[split + 1:]:
        for name, command in servers:
            result = measure(shlex.split(command), path, edits)
            print(json.dumps({"server": name, "file": os.path.basename(path), **result}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
