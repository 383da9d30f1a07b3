"""Compares `arbor lint` with a reference linter, finding by finding (issue 16).

Both tools run on the same list of files; a finding is matched when the reference reports the
mapped rule on the same file and line (counted as multisets: two findings of one rule on one
line match two). Prints, per Arbor rule: Arbor's count, the reference's, matched, precision
(matched / Arbor's) and recall (matched / reference's), then samples of each disagreement with
the source line, so that every difference can be judged.

    python3 lint_accuracy.py --arbor BIN --ruff BIN [--samples N] FILE_LIST
"""

import argparse
import collections
import json
import os
import subprocess
import sys

# Arbor rule -> the ruff codes it corresponds to. Complexity is left out: Arbor and ruff's C901
# count differently by definition (see the README).
RUFF = {
    "py/fstring-no-placeholder": ["F541"],
    "py/bare-except": ["E722"],
    "py/redefined-builtin": ["A001", "A002"],
    "py/unused-import": ["F401"],
    "py/unused-variable": ["F841"],
    "py/except-pass": ["S110"],
    "py/none-comparison": ["E711"],
    "py/mutable-default": ["B006"],
    "py/assert-tuple": ["F631"],
    "py/eval-exec": ["S307", "S102"],
}

CHUNK = 400


def chunks(items, size):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def run_json(command):
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"{command[0]} failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout or "[]")


def arbor_findings(arbor, files):
    found = collections.Counter()
    select = ",".join(RUFF)
    for part in chunks(files, CHUNK):
        for f in run_json([arbor, "lint", "--select", select, "--format", "json", "--fail-on", "never", *part]):
            found[(f["rule"], os.path.abspath(f["path"]), f["line"])] += 1
    return found


def ruff_findings(ruff, files):
    to_rule = {code: rule for rule, codes in RUFF.items() for code in codes}
    found = collections.Counter()
    select = ",".join(to_rule)
    for part in chunks(files, CHUNK):
        command = [ruff, "check", "--isolated", "--no-cache", "--exit-zero", "--select", select,
                   "--output-format", "json", *part]
        for f in run_json(command):
            rule = to_rule.get(f.get("code"))
            if rule:
                found[(rule, os.path.abspath(f["filename"]), f["location"]["row"])] += 1
    return found


def source_line(path, line, cache={}):
    if path not in cache:
        with open(path, encoding="utf-8", errors="replace") as f:
            cache[path] = f.read().splitlines()
    lines = cache[path]
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arbor", required=True)
    parser.add_argument("--ruff", required=True)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--root", default="/", help="paths in samples are shown relative to it")
    parser.add_argument("file_list")
    args = parser.parse_args()
    with open(args.file_list) as f:
        files = [os.path.abspath(line.strip()) for line in f if line.strip()]
    ours = arbor_findings(args.arbor, files)
    theirs = ruff_findings(args.ruff, files)
    print(f"files: {len(files)}")
    print(f"{'rule':28} {'reference':12} {'arbor':>7} {'ref':>7} {'matched':>8} {'precision':>10} {'recall':>7}")
    disagreements = []
    for rule, codes in RUFF.items():
        a = {k: v for k, v in ours.items() if k[0] == rule}
        r = {k: v for k, v in theirs.items() if k[0] == rule}
        matched = sum(min(v, r.get(k, 0)) for k, v in a.items())
        na, nr = sum(a.values()), sum(r.values())
        precision = f"{matched / na:.3f}" if na else "-"
        recall = f"{matched / nr:.3f}" if nr else "-"
        print(f"{rule:28} {'/'.join(codes):12} {na:7} {nr:7} {matched:8} {precision:>10} {recall:>7}")
        extra = sorted(k for k, v in a.items() if v > r.get(k, 0))
        missed = sorted(k for k, v in r.items() if v > a.get(k, 0))
        disagreements.append((rule, extra, missed))
    for rule, extra, missed in disagreements:
        for what, keys in (("arbor only", extra), ("reference only", missed)):
            if not keys:
                continue
            print(f"\n{rule}: {what} ({len(keys)} lines), first {min(len(keys), args.samples)}:")
            step = max(1, len(keys) // args.samples)
            for _, path, line in keys[::step][: args.samples]:
                shown = os.path.relpath(path, args.root)
                print(f"  {shown}:{line}: {source_line(path, line)[:100]}")


if __name__ == "__main__":
    main()
