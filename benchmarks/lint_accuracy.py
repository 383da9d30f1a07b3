"""Compares `arbor lint` with a reference linter, finding by finding (issue 16).

Both tools run on the same list of files; a finding is matched when the reference reports the
mapped rule on the same file and line (counted as multisets: two findings of one rule on one
line match two). Prints, per Arbor rule: Arbor's count, the reference's, matched, precision
(matched / Arbor's) and recall (matched / reference's), then samples of each disagreement with
the source line, so that every difference can be judged.

The reference is ruff for Python, ESLint for JavaScript, clippy for Rust. ESLint runs with a flat config written
here that enables exactly the mapped rules (ESLINT); each file is parsed as Node would load it
(`.mjs` and `.js` under a package.json of "type": "module" as a module, the rest as CommonJS),
falling back to the other kind when that fails; files ESLint cannot parse either way are left
out of both sides and counted.

Clippy runs with `cargo clippy --all-features --lib --bins --tests --examples` (benches need
nightly; every feature, as Arbor reads all code whatever the features) in each crate folder under
--root, with only the mapped lints warned and a clippy.toml that allows
unwrap/expect in tests (Arbor's rs/unwrap skips test code by design). A finding clippy reports
once per target (the library and its unit tests) counts once. Both sides are compared on the
files rustc compiled (the dep-info files under target/): a module cfg'd out for this platform
or these features is seen by neither.

    python3 lint_accuracy.py --arbor BIN (--ruff BIN | --eslint BIN) [--samples N] FILE_LIST
    python3 lint_accuracy.py --arbor BIN --clippy CARGO --root CRATES [--samples N] FILE_LIST
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import time

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

# Arbor rule -> the ESLint rules it corresponds to, with the options that say what Arbor means.
ESLINT = {
    "js/unused-variable": ["no-unused-vars"],
    "js/no-var": ["no-var"],
    "js/no-console": ["no-console"],
    "js/eqeqeq": ["eqeqeq"],
    "js/no-debugger": ["no-debugger"],
    "js/no-eval": ["no-eval"],
    "js/empty-catch": ["no-empty"],
}
ESLINT_OPTIONS = {
    # Declared names (var/let/const, functions, classes, imports) that are never read; parameters
    # and caught errors are not checked, nor globals of a script; `_name` is deliberate.
    "no-unused-vars": ["error", {"vars": "local", "args": "none", "caughtErrors": "none",
                                 "ignoreRestSiblings": True, "varsIgnorePattern": "^_"}],
    "no-var": ["error"],
    # Debug output only: error and warning reports (and the timing/grouping helpers) are allowed.
    "no-console": ["error", {"allow": ["error", "warn", "assert", "clear", "count", "countReset", "group",
                                       "groupCollapsed", "groupEnd", "profile", "profileEnd", "time",
                                       "timeEnd", "timeLog", "timeStamp"]}],
    # `== null` deliberately matches undefined too.
    "eqeqeq": ["error", "always", {"null": "ignore"}],
    "no-debugger": ["error"],
    "no-eval": ["error"],
    # no-empty reports every empty block; only those of a `catch` are kept (see catch_block).
    "no-empty": ["error"],
}

# Arbor rule -> the clippy lints it corresponds to.
CLIPPY = {
    "rs/unsafe-without-safety": ["clippy::undocumented_unsafe_blocks"],
    "rs/todo": ["clippy::todo", "clippy::unimplemented"],
    "rs/dbg": ["clippy::dbg_macro"],
    "rs/unwrap": ["clippy::unwrap_used", "clippy::expect_used"],
}
# The lines of the unsafe blocks and impls rustc compiled (its unsafe_code lint): an unsafe block
# cfg'd out for this target (`#[cfg(target_arch = "aarch64")]`) is seen by Arbor only.
COMPILED_UNSAFE = set()
CLIPPY_TOML = "allow-unwrap-in-tests = true\nallow-expect-in-tests = true\n"

CHUNK = 400


def chunks(items, size):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def run_json(command, cwd=None):
    out = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    if out.returncode not in (0, 1):
        sys.exit(f"{command[0]} failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout or "[]")


def arbor_findings(arbor, files, rules):
    found = collections.Counter()
    select = ",".join(rules)
    for part in chunks(files, CHUNK):
        for f in run_json([arbor, "lint", "--select", select, "--format", "json", "--fail-on", "never",
                                  "--max-file-size", str(1 << 26), *part]):
            found[(f["rule"], os.path.abspath(f["path"]), f["line"])] += 1
    return found


def ruff_findings(ruff, files):
    to_rule = {code: rule for rule, codes in RUFF.items() for code in codes}
    found = collections.Counter()
    select = ",".join(to_rule)
    for part in chunks(files, CHUNK):
        command = [ruff, "check", "--isolated", "--ignore-noqa", "--no-cache", "--exit-zero", "--select", select,
                   "--output-format", "json", *part]
        for f in run_json(command):
            rule = to_rule.get(f.get("code"))
            if rule:
                found[(rule, os.path.abspath(f["filename"]), f["location"]["row"])] += 1
    return found


def clippy_findings(cargo, root):
    """Clippy's findings mapped to Arbor's rules, and the source files rustc compiled."""
    to_rule = {lint: rule for rule, lints in CLIPPY.items() for lint in lints}
    # rustc's unsafe_code marks every unsafe block and impl it compiled (see COMPILED_UNSAFE).
    flags = ["-A", "clippy::all", "-W", "unsafe_code"]
    for lint in to_rule:
        flags += ["-W", lint]
    seen, compiled = set(), set()
    for name in sorted(os.listdir(root)):
        crate = os.path.join(root, name)
        if not os.path.isfile(os.path.join(crate, "Cargo.toml")):
            continue
        with open(os.path.join(crate, "clippy.toml"), "w") as f:
            f.write(CLIPPY_TOML)
        command = [cargo, "clippy", "--quiet", "--all-features", "--lib", "--bins", "--tests", "--examples",
                   "--message-format=json", "--", *flags]
        target = os.path.join(root, "target")
        env = dict(os.environ, CARGO_TARGET_DIR=target)
        since = time.time()
        out = subprocess.run(command, capture_output=True, text=True, cwd=crate, env=env)
        if out.returncode != 0:
            sys.exit(f"cargo clippy failed in {name} ({out.returncode}): {out.stderr[-2000:]}")
        for line in out.stdout.splitlines():
            message = json.loads(line)
            if message.get("reason") != "compiler-message":
                continue
            code = (message["message"].get("code") or {}).get("code")
            rule = to_rule.get(code)
            if code == "unsafe_code":
                for span in message["message"]["spans"]:
                    if span["is_primary"]:
                        path = os.path.abspath(os.path.join(crate, span["file_name"]))
                        COMPILED_UNSAFE.add((path, span["line_start"]))
            for span in message["message"]["spans"]:
                if rule and span["is_primary"]:
                    path = os.path.abspath(os.path.join(crate, span["file_name"]))
                    seen.add((rule, path, span["line_start"], span["column_start"], span["line_end"],
                              span["column_end"]))
        compiled |= dep_info_sources(target, crate, since)
    found = collections.Counter((rule, path, line) for rule, path, line, *_ in seen)
    return found, compiled


def dep_info_sources(target, crate, since):
    """The crate's own source files named in the dep-info (`.d`) files written under `target`
    since `since` (the targets share one folder; a crate's own paths are relative to it)."""
    sources = set()
    for folder, _, names in os.walk(target):
        for name in names:
            path = os.path.join(folder, name)
            if not name.endswith(".d") or os.path.getmtime(path) < since:
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    if ":" not in line or line.startswith("#"):
                        continue
                    for dep in line.split(":", 1)[1].split():
                        dep = os.path.abspath(os.path.join(crate, dep))
                        if dep.endswith(".rs") and dep.startswith(crate + os.sep):
                            sources.add(dep)
    return sources


def node_source_type(path):
    """How Node loads a file: "module" or "commonjs" (by extension, then the nearest package.json)."""
    if path.endswith(".mjs"):
        return "module"
    if path.endswith(".cjs"):
        return "commonjs"
    folder = os.path.dirname(path)
    while True:
        manifest = os.path.join(folder, "package.json")
        if os.path.isfile(manifest):
            try:
                with open(manifest, encoding="utf-8") as f:
                    kind = json.load(f).get("type")
            except (ValueError, AttributeError):
                kind = None
            if kind in ("module", "commonjs"):
                return kind
        parent = os.path.dirname(folder)
        if parent == folder:
            return "commonjs"
        folder = parent


def eslint_config(root, source_type):
    """Writes the flat config for one source type into `root` (ESLint ignores files outside it)."""
    config = {
        "files": ["**/*.js", "**/*.mjs", "**/*.cjs", "**/*.jsx"],
        "languageOptions": {"ecmaVersion": "latest", "sourceType": source_type,
                            "parserOptions": {"ecmaFeatures": {"jsx": True}}},
        "linterOptions": {"noInlineConfig": True, "reportUnusedDisableDirectives": "off"},
        "rules": {rule: ESLINT_OPTIONS[rule] for rules in ESLINT.values() for rule in rules},
    }
    path = os.path.join(root, f"eslint.{source_type}.config.mjs")
    with open(path, "w") as f:
        f.write(f"export default [{json.dumps(config)}];\n")
    return path


def catch_block(path, line, column):
    """Whether the block ESLint reports at (line, column) is the body of a `catch`."""
    lines = source_lines(path)
    before = "\n".join(lines[max(0, line - 4) : line - 1] + [lines[line - 1][: column - 1]])
    return re.search(r"\bcatch\s*(\([^()]*\))?\s*$", before) is not None


def eslint_run(eslint, root, files, source_type):
    """ESLint's messages per file, and the files it could not parse."""
    config = eslint_config(root, source_type)
    results, failed = {}, []
    for part in chunks(files, CHUNK):
        command = [eslint, "--config", config, "--format", "json", "--no-warn-ignored", *part]
        for result in run_json(command, cwd=root):
            path = os.path.abspath(result["filePath"])
            if any(m.get("fatal") for m in result["messages"]):
                failed.append(path)
            else:
                results[path] = result["messages"]
    return results, failed


def eslint_findings(eslint, root, files):
    """ESLint's findings mapped to Arbor's rules, and the files it could not parse."""
    by_type = collections.defaultdict(list)
    for path in files:
        by_type[node_source_type(path)].append(path)
    results, unparsed = {}, []
    for source_type, group in by_type.items():
        done, failed = eslint_run(eslint, root, group, source_type)
        results.update(done)
        fallback = "commonjs" if source_type == "module" else "module"
        done, failed = eslint_run(eslint, root, failed, fallback) if failed else ({}, [])
        results.update(done)
        unparsed += failed
    to_rule = {name: rule for rule, names in ESLINT.items() for name in names}
    found = collections.Counter()
    for path, messages in results.items():
        for m in messages:
            rule = to_rule.get(m.get("ruleId"))
            if rule == "js/empty-catch" and not catch_block(path, m["line"], m["column"]):
                continue
            if rule:
                found[(rule, path, m["line"])] += 1
    return found, unparsed


def source_lines(path, cache={}):
    if path not in cache:
        with open(path, encoding="utf-8", errors="replace") as f:
            cache[path] = f.read().splitlines()
    return cache[path]


def source_line(path, line):
    lines = source_lines(path)
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


# Files where an Arbor rule deliberately differs from its reference (documented with the rule):
# the rule gets a second row without them, and its disagreements are sampled from that row.
DELIBERATE = {
    "py/unused-import": ("__init__.py", lambda path, line: os.path.basename(path) == "__init__.py"),
    # rs/unwrap skips tests/, benches/ and examples/ whole; clippy's allow-unwrap-in-tests only
    # #[test] functions and #[cfg(test)] modules.
    "rs/unwrap": ("test folders",
                  lambda path, line: any(p in ("tests", "benches", "examples") for p in path.split(os.sep))),
    # The top-level names of a script are globals (documented with js/unused-variable); ESLint,
    # told the file is CommonJS, checks them.
    "js/unused-variable": ("scripts", lambda path, line: is_script(path)),
    # Arbor reads the code of every target; clippy sees what this host compiles.
    "rs/unsafe-without-safety": ("cfg'd-out code",
                                 lambda path, line: (path, line) not in COMPILED_UNSAFE),
}


def is_script(path, cache={}):
    """Whether Arbor reads a JavaScript file as a script, whose top-level names are globals
    other files may use: no `import`/`export` statement and no `require`, `module` or `exports`
    outside comments and strings (approximated by stripping them with regular expressions)."""
    if path not in cache:
        text = "\n".join(source_lines(path))
        code = re.sub(r"/\*.*?\*/|//[^\n]*|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"|`(?:\\.|[^`\\])*`",
                      " ", text, flags=re.S)
        module = re.search(r"^\s*(import|export)\b", code, re.M) or re.search(r"\b(require|module|exports)\b", code)
        cache[path] = not module
    return cache[path]


def row(label, codes, a, r):
    """Prints one table row; returns the keys only Arbor has, those only the reference has, and
    (precision, recall), each None where nothing was found."""
    matched = sum(min(v, r.get(k, 0)) for k, v in a.items())
    na, nr = sum(a.values()), sum(r.values())
    precision = f"{matched / na:.3f}" if na else "-"
    recall = f"{matched / nr:.3f}" if nr else "-"
    codes = "/".join(c.replace("clippy::", "") for c in codes)
    print(f"{label:28} {codes:26} {na:7} {nr:7} {matched:8} {precision:>10} {recall:>7}")
    extra = sorted(k for k, v in a.items() if v > r.get(k, 0))
    missed = sorted(k for k, v in r.items() if v > a.get(k, 0))
    return extra, missed, (matched / na if na else None, matched / nr if nr else None)


def report(mapping, ours, theirs, samples, root):
    """The table, then samples of each disagreement."""
    print(f"{'rule':28} {'reference':26} {'arbor':>7} {'ref':>7} {'matched':>8} {'precision':>10} {'recall':>7}")
    disagreements, scores = [], {}
    for rule, codes in mapping.items():
        a = {k: v for k, v in ours.items() if k[0] == rule}
        r = {k: v for k, v in theirs.items() if k[0] == rule}
        extra, missed, scores[rule] = row(rule, codes, a, r)
        if rule in DELIBERATE:
            skipped, left_out = DELIBERATE[rule]
            kept = lambda found: {k: v for k, v in found.items() if not left_out(k[1], k[2])}
            extra, missed, scores[rule] = row(f"  without {skipped}", codes, kept(a), kept(r))
        disagreements.append((rule, extra, missed))
    for rule, extra, missed in disagreements:
        for what, keys in (("arbor only", extra), ("reference only", missed)):
            if not keys or samples < 1:
                continue
            print(f"\n{rule}: {what} ({len(keys)} lines), first {min(len(keys), samples)}:")
            step = max(1, len(keys) // samples)
            for _, path, line in keys[::step][:samples]:
                shown = os.path.relpath(path, root)
                print(f"  {shown}:{line}: {source_line(path, line)[:100]}")
    return scores


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arbor", required=True)
    reference = parser.add_mutually_exclusive_group(required=True)
    reference.add_argument("--ruff", help="compare the Python rules with this ruff")
    reference.add_argument("--eslint", help="compare the JavaScript rules with this ESLint")
    reference.add_argument("--clippy", metavar="CARGO", help="compare the Rust rules with this cargo's clippy")
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--min", type=float, metavar="SHARE",
                        help="exit 1 when a rule's precision or recall (its row without the "
                             "deliberate differences, where it has one) is below SHARE")
    parser.add_argument("--root", default="/", help="paths in samples are shown relative to it")
    parser.add_argument("file_list")
    args = parser.parse_args()
    with open(args.file_list) as f:
        files = [os.path.abspath(line.strip()) for line in f if line.strip()]
    if args.ruff:
        mapping = RUFF
        theirs = ruff_findings(args.ruff, files)
    elif args.clippy:
        mapping = CLIPPY
        theirs, compiled = clippy_findings(args.clippy, os.path.abspath(args.root))
        print(f"files rustc did not compile (cfg'd out, benches), left out: {sum(f not in compiled for f in files)}")
        files = [f for f in files if f in compiled]
        theirs = collections.Counter({k: v for k, v in theirs.items() if k[1] in compiled})
    else:
        mapping = ESLINT
        theirs, unparsed = eslint_findings(args.eslint, os.path.abspath(args.root), files)
        skipped = set(unparsed)
        files = [f for f in files if f not in skipped]
        print(f"files ESLint cannot parse, left out: {len(skipped)}")
    ours = arbor_findings(args.arbor, files, mapping)
    print(f"files: {len(files)}")
    scores = report(mapping, ours, theirs, args.samples, args.root)
    if args.min is not None:
        low = [(rule, p, r) for rule, (p, r) in scores.items()
               if any(share is not None and share < args.min for share in (p, r))]
        for rule, p, r in low:
            print(f"below {args.min}: {rule} precision {p} recall {r}", file=sys.stderr)
        if low:
            sys.exit(1)


if __name__ == "__main__":
    main()
