#!/usr/bin/env bash
# The pre-commit hooks (.pre-commit-hooks.yaml) as a user runs them: pre-commit from PyPI (pinned,
# into a venv in the cache), a git repository made from tests/fixtures/ci-repo whose
# .pre-commit-config.yaml points at this checkout, `pre-commit run`. pre-commit builds Arbor with
# `cargo install --path .` (`language: rust`) into a temporary PRE_COMMIT_HOME; set
# CARGO_TARGET_DIR to share compiled dependencies with other builds. Checks: the lint hook fails
# and names each finding, skips the configured `exclude` even for files passed by name; the fix
# hook rewrites the file to tests/integrations/app.fixed.py; once clean, both hooks pass; a
# binary file named .py (identify tags files by extension) fails with arbor's input error.
#
#   tests/integrations/pre-commit.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache="${ARBOR_CACHE:-$HOME/.cache/arbor}"
version=4.7.0
venv="$cache/pre-commit-venv"
if [ "$("$venv/bin/pre-commit" --version 2>/dev/null)" != "pre-commit $version" ]; then
    echo "installing pre-commit $version from PyPI into $venv..." >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "pre-commit==$version"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME="$work/pre-commit-home"
# The checkout as committed, plus uncommitted changes to tracked files (git stash create), or
# ARBOR_PRE_COMMIT_REV.
rev=${ARBOR_PRE_COMMIT_REV:-$(git -C "$root" stash create)}
rev=${rev:-$(git -C "$root" rev-parse HEAD)}

repo="$work/repo"
cp -r "$root/tests/fixtures/ci-repo" "$repo"
cat > "$repo/.pre-commit-config.yaml" <<YAML
repos:
  - repo: $root
    rev: $rev
    hooks:
      - id: arbor-lint
      - id: arbor-lint-fix
        stages: [manual]
YAML
cd "$repo"
git init -q
git -c user.name=ci -c user.email=ci@localhost add -A
git -c user.name=ci -c user.email=ci@localhost commit -qm fixture
pre_commit() { "$venv/bin/pre-commit" "$@" --color never; }

fail() { echo "pre-commit.sh: $*" >&2; exit 1; }
echo "== pre-commit run arbor-lint (builds Arbor with cargo install: minutes)" >&2
status=0
pre_commit run arbor-lint --all-files > "$work/lint.out" 2>&1 || status=$?
cat "$work/lint.out"
[ "$status" -eq 1 ] || fail "arbor-lint hook: exit $status, expected 1"
for want in "src/app.py:2:8: warning[py/unused-import]" "src/app.py:8:8: warning[py/none-comparison]" \
    "web/app.js:2:3: warning[js/no-console]"; do
    grep -qF "$want" "$work/lint.out" || fail "arbor-lint hook: no '$want'"
done
if grep -q "vendor/" "$work/lint.out"; then fail "arbor-lint hook: reported an excluded file"; fi

echo "== pre-commit run arbor-lint-fix" >&2
status=0
pre_commit run arbor-lint-fix --hook-stage manual --all-files > "$work/fix.out" 2>&1 || status=$?
cat "$work/fix.out"
[ "$status" -eq 1 ] || fail "arbor-lint-fix hook: exit $status, expected 1 (files modified)"
grep -q "files were modified by this hook" "$work/fix.out" || fail "arbor-lint-fix hook: no file modified"
diff -u "$root/tests/integrations/app.fixed.py" src/app.py || fail "arbor-lint-fix hook: unexpected fix"

echo "== once clean, the hooks pass" >&2
sed -i '/console.log/d' web/app.js
git -c user.name=ci -c user.email=ci@localhost commit -qam "fixed"
pre_commit run --all-files
pre_commit run arbor-lint-fix --hook-stage manual --all-files
echo "== a binary file named .py fails the hook with arbor's input error (exit 2), naming it" >&2
status=0
pre_commit run arbor-lint --files src/blob.py > "$work/binary.out" 2>&1 || status=$?
cat "$work/binary.out"
[ "$status" -eq 1 ] || fail "binary file: pre-commit exit $status, expected 1"
grep -q "exit code: 2" "$work/binary.out" || fail "binary file: arbor did not exit 2"
grep -q "src/blob.py: binary file" "$work/binary.out" || fail "binary file: not named"
echo "pre-commit hooks: ok"
