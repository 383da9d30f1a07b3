#!/usr/bin/env python3
"""Runs action.yml as GitHub's runner runs a composite action, on tests/fixtures/ci-repo.

    python3 tests/integrations/action.py      (needs PyYAML; tests/integrations/action.sh has it)

What the runner does and this script repeats: `${{ }}` expressions in `if:`, `env:` and `with:`
evaluated against the `inputs`, `steps` and `github` contexts; each `run:` step as a bash script
(`bash --noprofile --norc -eo pipefail`) with GITHUB_OUTPUT, GITHUB_PATH, GITHUB_ACTION_PATH and
RUNNER_TEMP set; outputs and PATH additions read back after the step; the job stops at the first
failing step. The one `uses:` step, github/codeql-action/upload-sarif, is replaced by what it
needs to accept the file: the SARIF validates against the official schema
(tests/sarif/validate.py). Statically: every input an expression names is declared, every `run:`
step names its shell, and no `run:` text contains an expression (inputs reach scripts through
`env:` only: no script injection).

Scenarios: the defaults (findings: SARIF uploaded, then the job fails), `fail: false` with a
selection that finds nothing (job passes, empty results), and an unknown rule (arbor exits 2:
no upload, the job fails at the lint step).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
TOKEN = re.compile(r"\s*('[^']*'|&&|\|\||==|!=|[A-Za-z_][\w.-]*)")


def fail(message):
    print(f"action.py: {message}", file=sys.stderr)
    sys.exit(1)


def tokens(text):
    """The tokens of an expression in the subset action.yml uses; anything else is an error."""
    out, position = [], 0
    while position < len(text.rstrip()):
        match = TOKEN.match(text, position)
        if not match:
            fail(f"unsupported expression syntax: {text!r}")
        out.append(match.group(1))
        position = match.end()
    return out


def value(token, context):
    if token.startswith("'"):
        return token[1:-1]
    if token in ("true", "false"):
        return token == "true"
    node = context
    for part in token.split("."):
        if not isinstance(node, dict):
            fail(f"unknown context path {token!r}")
        node = node.get(part, "")
    return node


def evaluate(expression, context):
    """`a == 'b' && c != 'd' || e`, GitHub's precedence (== != over && over ||)."""
    def comparison(parts):
        if len(parts) == 1:
            return value(parts[0], context)
        if len(parts) == 3 and parts[1] in ("==", "!="):
            left, right = str(value(parts[0], context)), str(value(parts[2], context))
            return (left == right) == (parts[1] == "==")
        fail(f"unsupported comparison {' '.join(parts)!r}")

    def split(parts, operator):
        groups, current = [], []
        for part in parts:
            if part == operator:
                groups.append(current)
                current = []
            else:
                current.append(part)
        return groups + [current]

    return any(
        all(bool(comparison(term)) for term in split(conjunction, "&&"))
        for conjunction in split(tokens(expression), "||")
    )


def substitute(text, context):
    return EXPRESSION.sub(lambda m: str(value_of(m.group(1), context)), str(text))


def value_of(expression, context):
    parts = tokens(expression)
    return value(parts[0], context) if len(parts) == 1 else evaluate(expression, context)


def check_statically(action):
    declared = set(action.get("inputs", {}))
    text = yaml.safe_dump(action)
    for name in re.findall(r"inputs\.([\w-]+)", text):
        if name not in declared:
            fail(f"expression names undeclared input {name!r}")
    if action["runs"]["using"] != "composite":
        fail("not a composite action")
    for step in action["runs"]["steps"]:
        if "run" in step:
            if "shell" not in step:
                fail(f"run step {step.get('name')!r} names no shell")
            if EXPRESSION.search(step["run"]):
                fail(f"run step {step.get('name')!r} has an expression in its script")


def upload_sarif(step_with, workspace):
    sarif = os.path.join(workspace, step_with["sarif_file"])
    if not step_with.get("category"):
        fail("upload-sarif without a category")
    done = subprocess.run([sys.executable, os.path.join(ROOT, "tests/sarif/validate.py"), sarif])
    return done.returncode == 0


def run_step(step, context, workspace, runner_temp, path):
    env = dict(os.environ, RUNNER_TEMP=runner_temp, GITHUB_ACTION_PATH=ROOT, GITHUB_WORKSPACE=workspace)
    env["PATH"] = os.pathsep.join(path + [os.environ["PATH"]])
    for name, raw in (step.get("env") or {}).items():
        env[name] = substitute(raw, context)
    outputs_file = os.path.join(runner_temp, "output")
    path_file = os.path.join(runner_temp, "path")
    for file in (outputs_file, path_file):
        open(file, "w").close()
    env.update(GITHUB_OUTPUT=outputs_file, GITHUB_PATH=path_file)
    script = os.path.join(runner_temp, "step.sh")
    with open(script, "w") as handle:
        handle.write(step["run"])
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script], cwd=workspace, env=env)
    outputs = dict(line.split("=", 1) for line in open(outputs_file).read().splitlines() if "=" in line)
    path[:0] = [line for line in open(path_file).read().splitlines() if line][::-1]
    return done.returncode == 0, outputs


def run_action(action, inputs, workspace):
    """Runs the steps; returns (job succeeded, steps context, names of the steps that ran)."""
    given = {name: str(spec.get("default", "")) for name, spec in action.get("inputs", {}).items()}
    given.update(inputs)
    context = {"inputs": given, "steps": {}, "github": {"action_path": ROOT, "workspace": workspace}}
    runner_temp = tempfile.mkdtemp(prefix="runner-temp-")
    path, ran = [], []
    try:
        for step in action["runs"]["steps"]:
            if "if" in step and not evaluate(EXPRESSION.sub(r"\1", str(step["if"])), context):
                continue
            ran.append(step["name"])
            if "uses" in step:
                if not step["uses"].startswith("github/codeql-action/upload-sarif@"):
                    fail(f"no stand-in for {step['uses']}")
                ok, outputs = upload_sarif({k: substitute(v, context) for k, v in step["with"].items()}, workspace), {}
            else:
                ok, outputs = run_step(step, context, workspace, runner_temp, path)
            if "id" in step:
                context["steps"][step["id"]] = {"outputs": outputs}
            if not ok:
                return False, context["steps"], ran
        return True, context["steps"], ran
    finally:
        shutil.rmtree(runner_temp, ignore_errors=True)


def sarif_results(workspace, name="arbor.sarif"):
    with open(os.path.join(workspace, name)) as handle:
        log = json.load(handle)
    return [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in log["runs"][0]["results"]]


def scenario(action, title, inputs, expect_ok, expect_exit, expect_ran):
    workspace = tempfile.mkdtemp(prefix="ci-repo-")
    shutil.copytree(os.path.join(ROOT, "tests/fixtures/ci-repo"), workspace, dirs_exist_ok=True)
    os.makedirs(os.path.join(workspace, "out"))
    print(f"== {title}", file=sys.stderr)
    ok, steps, ran = run_action(action, inputs, workspace)
    if ok != expect_ok:
        fail(f"{title}: job {'passed' if ok else 'failed'}, steps run: {ran}")
    exit_code = steps.get("lint", {}).get("outputs", {}).get("exit-code")
    if exit_code != expect_exit:
        fail(f"{title}: lint exit-code {exit_code!r}, expected {expect_exit!r}")
    if ran != expect_ran:
        fail(f"{title}: steps run {ran}, expected {expect_ran}")
    return workspace


def main():
    with open(os.path.join(ROOT, "action.yml")) as handle:
        action = yaml.safe_load(handle)
    check_statically(action)
    steps = [step["name"] for step in action["runs"]["steps"]]

    workspace = scenario(action, "defaults: findings are uploaded, then the job fails", {}, False, "1", steps)
    found = sorted(sarif_results(workspace))
    want = [("js/no-console", "web/app.js"), ("py/none-comparison", "src/app.py"), ("py/unused-import", "src/app.py")]
    if found != want:
        fail(f"SARIF results {found}, expected {want}")

    inputs = {"fail": "false", "args": "--select py/bare-except", "sarif-file": "out/review.sarif"}
    workspace = scenario(action, "fail: false, a selection with no findings: the job passes", inputs, True, "0", steps[:3])
    if sarif_results(workspace, "out/review.sarif"):
        fail("no findings: SARIF has results")

    inputs = {"args": "--select nope/none"}
    scenario(action, "an unknown rule: arbor exits 2, nothing is uploaded", inputs, False, "2", steps[:2])
    print("action.yml: ok")


if __name__ == "__main__":
    main()
