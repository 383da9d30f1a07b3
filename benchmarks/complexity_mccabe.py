#!/usr/bin/env python3
"""Compare `all/complexity` with `complexity-counting = "mccabe"` against the real mccabe.

    python complexity_mccabe.py ARBOR FILE...      (run with the Python that has mccabe)

For each file mccabe can compile, the graphs mccabe reports (PathGraphingAstVisitor, as
`python -m mccabe --min 1` and flake8's C901 see them) are matched with Arbor's findings at
`max-complexity = 0` by line and name; prints the agreement and every difference.
"""

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict

import mccabe

KINDS = {"If": ("if",), "Loop": ("for", "while"), "TryExcept": ("try",)}
FUNCTION = re.compile(r"^`(?P<name>.+)` has cyclomatic complexity (?P<n>\d+) \(limit 0\)$")
BLOCK = re.compile(r"^module-level `(?P<kw>\w+)` statement has cyclomatic complexity (?P<n>\d+) \(limit 0\)$")


def mccabe_graphs(path):
    """{(line, name): complexity} as mccabe reports them; None when it cannot compile, or the
    file is not UTF-8 (mccabe decodes by the coding declaration; Arbor skips such files)."""
    with open(path, "rb") as f:
        source = f.read()
    try:
        source.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        tree = compile(source, path, "exec", ast.PyCF_ONLY_AST)
    except (SyntaxError, ValueError):
        return None
    visitor = mccabe.PathGraphingAstVisitor()
    visitor.preorder(tree, visitor)
    out = {}
    for graph in visitor.graphs.values():
        words = graph.entity.rsplit(".", 1)[-1].split(" ")
        if len(words) == 2 and words[0] in KINDS and words[1].isdigit():
            key = (graph.lineno, "block:" + words[0])
        else:
            key = (graph.lineno, graph.entity)
        out[key] = graph.complexity()
    return out


def arbor_findings(arbor, files):
    """{path: [(line, name, complexity)]} from `arbor lint` in mccabe mode."""
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "arbor.toml")
        with open(config, "w") as f:
            f.write('[thresholds]\nmax-complexity = 0\ncomplexity-counting = "mccabe"\n')
        out = subprocess.run(
            [arbor, "lint", "--config", config, "--select", "all/complexity,arbor/syntax-error", "--format", "json",
             "--fail-on", "never", "--max-file-size", "100000000", *files],
            capture_output=True, text=True, check=True).stdout
    found = defaultdict(list)
    for f in json.loads(out):
        if f["rule"] == "arbor/syntax-error":
            found[os.path.abspath(f["path"])].append((0, "syntax-error", 0))
            continue
        m = FUNCTION.match(f["message"])
        if m:
            found[os.path.abspath(f["path"])].append((f["line"], m["name"], int(m["n"])))
            continue
        m = BLOCK.match(f["message"])
        kind = next(k for k, kws in KINDS.items() if m["kw"] in kws)
        found[os.path.abspath(f["path"])].append((f["line"], "block:" + kind, int(m["n"])))
    return found


def last_of_each_name(findings):
    """Arbor's graphs of one file as mccabe keys them: one per name, the last definition (mccabe
    stores graphs in a dict by name); and how many earlier definitions that drops."""
    got, last, dropped = {}, {}, 0
    for line, name, n in sorted(findings):
        if not name.startswith("block:") and name in last:
            dropped += 1
            del got[last[name]]
        got[(line, name)] = n
        if not name.startswith("block:"):
            last[name] = (line, name)
    return got, dropped


def main(arbor, files):
    files = [os.path.abspath(p) for p in files]
    expected = {p: mccabe_graphs(p) for p in files}
    linted = [p for p in files if expected[p] is not None]
    found = arbor_findings(arbor, linted)
    agree, differ = defaultdict(int), defaultdict(int)
    redefined = 0
    recovered = {p for p in linted if any(name == "syntax-error" for _, name, _ in found.get(p, []))}
    for path in linted:
        want = expected[path]
        got, dropped = last_of_each_name(f for f in found.get(path, []) if f[1] != "syntax-error")
        redefined += dropped
        parsed = "recovered" if path in recovered else "clean"
        for key in sorted(set(want) | set(got), key=str):
            same = want.get(key) == got.get(key)
            (agree if same else differ)[parsed] += 1
            if not same:
                print(f"DIFF {path}:{key[0]} {key[1]}: mccabe {want.get(key, '-')}, arbor {got.get(key, '-')}")
    total_lines = sum(sum(1 for _ in open(p, "rb")) for p in linted)
    print(f"files: {len(linted)} compared ({total_lines} lines; {len(recovered)} where tree-sitter "
          f"recovered from a syntax error), {len(files) - len(linted)} skipped (mccabe cannot "
          "compile them or they are not UTF-8)")
    for parsed in ("clean", "recovered"):
        n = agree[parsed] + differ[parsed]
        print(f"graphs (functions and module-level blocks) in {parsed} files: {n}; agree "
              f"{agree[parsed]}, differ {differ[parsed]}")
    print(f"redefinitions mccabe drops (it keeps the last graph of a name), reported by Arbor: {redefined}")
    return 1 if differ["clean"] else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
