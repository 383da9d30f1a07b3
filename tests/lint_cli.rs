//! End-to-end tests of `arbor lint`: exit codes, configuration, suppressions, formats, bad input.

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// `arbor ARGS…` in `dir`, killed (and the test failed) if still running after `seconds`.
fn arbor_within(dir: &Path, args: &[&str], seconds: u64) -> Output {
    arbor_testkit::cli::run_within(env!("CARGO_BIN_EXE_arbor"), dir, args, seconds)
}

fn lint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arbor"))
        .arg("lint")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run arbor")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(dir: &Path, name: &str, contents: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

fn rules_of(out: &Output) -> Vec<String> {
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{}:{}", f["rule"].as_str().unwrap(), f["line"]))
        .collect()
}

#[test]
fn exit_codes_follow_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.py", "import os\n");
    write(dir.path(), "clean.py", "def f(x):\n    return x\n");
    let out = lint(dir.path(), &["a.py"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "a.py:1:8: warning[py/unused-import] `os` imported but unused\n"
    );
    assert!(text(&out.stderr).contains("1 finding (0 errors, 1 warning, 0 info) in 1 file;"));
    assert_eq!(
        lint(dir.path(), &["a.py", "--fail-on", "error"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        lint(dir.path(), &["a.py", "--fail-on", "never"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(lint(dir.path(), &["clean.py"]).status.code(), Some(0));
    let out = lint(dir.path(), &["missing.py"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("missing.py: no such file or directory"));
}

#[test]
fn suppressions_on_the_line_above_and_file_wide() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "s.py",
        "import os  # arbor: ignore[py/unused-import]\n\
         # arbor: ignore[py]\n\
         import sys\n\
         import json  # arbor: ignore[py/bare-except]\n\
         x = \"# arbor: ignore\"; import re\n\
         # arbor: ignore[all/todo-comment]\n\
         y = 1\n",
    );
    let out = lint(
        dir.path(),
        &["s.py", "--format", "json", "--report-unused-suppressions"],
    );
    assert_eq!(
        rules_of(&out),
        [
            "py/unused-import:4",
            "arbor/unused-suppression:4",
            "py/unused-import:5",
            "arbor/unused-suppression:6"
        ]
    );
    write(
        dir.path(),
        "f.js",
        "// arbor: ignore-file[js/no-var]\nvar a = 1;\nvar b = a == 2;\n",
    );
    let out = lint(dir.path(), &["f.js", "--format", "json"]);
    assert_eq!(rules_of(&out), ["js/eqeqeq:3"]);
}

#[test]
fn configuration_selects_and_tunes_rules() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "arbor.toml",
        r#"
select = ["py", "all/todo-comment", "custom"]
ignore = ["py/eval-exec"]
exclude = ["vendor/**"]

[severity]
"py/unused-import" = "error"

[thresholds]
max-function-lines = 3

[[overrides]]
paths = ["tests/**"]
ignore = ["py/unused-import"]

[[rules]]
id = "custom/no-print"
language = "python"
query = '(call function: (identifier) @f (#eq? @f "print")) @finding'
message = "use logging, not print"
severity = "info"
"#,
    );
    write(
        dir.path(),
        "src/a.py",
        "import os\neval('1')\nprint(1)  # TODO\n",
    );
    write(dir.path(), "tests/t.py", "import os\n");
    write(dir.path(), "vendor/v.py", "import os\n");
    write(dir.path(), "web/w.js", "var x = 1;\n");
    write(
        dir.path(),
        "src/long.py",
        "def f():\n    a = 1\n    b = 2\n    return a + b\n",
    );
    let out = lint(dir.path(), &["--format", "json"]);
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<String> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f["path"].as_str().unwrap(),
                f["rule"].as_str().unwrap(),
                f["severity"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "src/a.py py/unused-import error",
            "src/a.py custom/no-print info",
            "src/a.py all/todo-comment info",
        ],
        "all/function-too-long is not selected, tests/ ignores unused imports, vendor/ is excluded"
    );
    // The command line replaces the selection.
    let out = lint(
        dir.path(),
        &["--format", "json", "--select", "all/function-too-long"],
    );
    assert_eq!(rules_of(&out), ["all/function-too-long:1"]);
}

#[test]
fn configuration_errors_are_one_line_with_the_place() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.py", "x = 1\n");
    for (config, expected) in [
        ("selcet = [\"py\"]\n", "arbor.toml: line 1, column 1: unknown field `selcet`"),
        ("select = [\"py/no-such-rule\"]\n", "arbor.toml: select: unknown rule or prefix `py/no-such-rule`"),
        ("[thresholds]\nmax-lines = 3\n", "arbor.toml: line 2, column 1: unknown field `max-lines`"),
        ("[severity]\n\"py\" = \"fatal\"\n", "arbor.toml: line 2, column 8: unknown variant `fatal`"),
        (
            "[[rules]]\nid = \"custom/x\"\nlanguage = \"python\"\nmessage = \"m\"\nquery = \"(call) @finding (nope) @finding\"\n",
            "arbor.toml: rule custom/x:1: invalid query at column 18: NodeType: nope",
        ),
    ] {
        write(dir.path(), "arbor.toml", config);
        let out = lint(dir.path(), &["a.py"]);
        assert_eq!(out.status.code(), Some(2), "{config}");
        let err = text(&out.stderr);
        assert!(err.contains(expected), "{config}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    std::fs::remove_file(dir.path().join("arbor.toml")).unwrap();
    write(
        dir.path(),
        "pyproject.toml",
        "[project]\nname = \"x\"\n[tool.arbor]\nignore = [\"py\"]\nbogus = 1\n",
    );
    let out = lint(dir.path(), &["a.py"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("pyproject.toml: [tool.arbor]: unknown field `bogus`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn sarif_github_and_json_formats() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.js", "if (a == b) { debugger; }\n");
    let out = lint(dir.path(), &["a.js", "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let unique: std::collections::BTreeSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "rule ids are unique");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region["startLine"], 1);
        assert!(region["startColumn"].as_u64().unwrap() >= 1);
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "a.js"
        );
    }
    assert_eq!(results[0]["level"], "warning");
    assert_eq!(results[1]["level"], "error");
    assert_eq!(run["columnKind"], "utf16CodeUnits");

    // On a non-ASCII line SARIF counts UTF-16 code units; the text report counts bytes.
    write(dir.path(), "u.js", "let s = \"é😀\"; if (a == b) {}\n");
    let out = lint(
        dir.path(),
        &["u.js", "--format", "sarif", "--select", "js/eqeqeq"],
    );
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let region = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (&region["startColumn"], &region["endColumn"]),
        (&22.into(), &24.into())
    );
    let out = lint(dir.path(), &["u.js", "--select", "js/eqeqeq"]);
    assert!(
        text(&out.stdout).starts_with("u.js:1:25: "),
        "{}",
        text(&out.stdout)
    );

    let out = lint(dir.path(), &["a.js", "--format", "github"]);
    assert_eq!(
        text(&out.stdout).lines().next().unwrap(),
        "::warning file=a.js,line=1,col=7,endLine=1,endColumn=9,title=js/eqeqeq::use `===` / `!==`: `==` and `!=` convert types before comparing"
    );
    let out = lint(dir.path(), &["a.js", "--format", "json"]);
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(findings[0]["fix"][0]["replacement"], "===");
    assert_eq!(findings[0]["end_column"], 9);
}

#[test]
fn bad_input_is_skipped_or_reported_never_fatal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("binary.py"), b"\x00\x01\x02import os").unwrap();
    std::fs::write(dir.path().join("latin1.py"), b"x = '\xe9'\n").unwrap();
    write(
        dir.path(),
        "broken.py",
        "import os\ndef f(:\n    pass\n\ndef g():\n    return eval('1')\n",
    );
    let out = lint(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("binary.py: binary file"), "{err}");
    assert!(err.contains("latin1.py: not valid UTF-8"), "{err}");
    let rules = rules_of(&out);
    assert!(
        rules.contains(&"arbor/syntax-error:2".to_string()),
        "{rules:?}"
    );
    assert!(
        rules.contains(&"py/eval-exec:6".to_string()),
        "what parses is still linted: {rules:?}"
    );
}

#[test]
fn sarif_validates_against_the_official_schema() {
    // Every rule's fixture, findings with fixes and without, syntax errors, and suppressions.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "broken.py",
        "import os  # arbor: ignore[js]\ndef f(:\n",
    );
    write(
        dir.path(),
        "fixes.py",
        "import os, sys\nu = \"é😀\" == None; v = 1 != None\n",
    );
    let fixtures = root.join("tests/fixtures/lint");
    let out = lint(
        root,
        &[
            fixtures.to_str().unwrap(),
            dir.path().to_str().unwrap(),
            "--format",
            "sarif",
            "--report-unused-suppressions",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let log = dir.path().join("log.sarif");
    std::fs::write(&log, &out.stdout).unwrap();
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = results["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() > 50);
    // Findings with a safe fix carry it as `fixes`, and the log still validates.
    let fixes = results.iter().filter(|r| r["fixes"].is_array()).count();
    assert!(fixes >= 10, "{fixes} results with fixes");
    let check = Command::new("python3")
        .arg(root.join("tests/sarif/validate.py"))
        .arg(&log)
        .output()
        .expect("python3");
    assert!(
        check.status.success(),
        "SARIF does not validate:\n{}{}",
        text(&check.stdout),
        text(&check.stderr)
    );
}

/// `text` with the SARIF `fixes` for `uri` applied as a SARIF consumer would: regions in
/// lines and UTF-16 columns (the run's `columnKind`), one fix at a time in result order, a fix
/// whose replacements were all applied already (one edit fixing two findings) or that overlaps
/// one applied (left for a later run, as `--fix` does) skipped.
fn apply_sarif_fixes(log: &serde_json::Value, uri: &str, text: &str) -> String {
    assert_eq!(log["runs"][0]["columnKind"], "utf16CodeUnits");
    let offset = |line: u64, column: u64| -> usize {
        let start: usize = text
            .split_inclusive('\n')
            .take(line as usize - 1)
            .map(str::len)
            .sum();
        let (mut units, mut at) = (0, start);
        for c in text[start..].chars().take_while(|&c| c != '\n') {
            if units >= column - 1 {
                break;
            }
            units += c.len_utf16() as u64;
            at += c.len_utf8();
        }
        at
    };
    let mut taken: Vec<(usize, usize, String)> = Vec::new();
    let results = log["runs"][0]["results"].as_array().unwrap();
    for fix in results
        .iter()
        .flat_map(|r| r["fixes"].as_array().into_iter().flatten())
    {
        let changes = fix["artifactChanges"].as_array().unwrap();
        for change in changes
            .iter()
            .filter(|c| c["artifactLocation"]["uri"] == uri)
        {
            let edits: Vec<(usize, usize, String)> = change["replacements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let n = |key: &str| r["deletedRegion"][key].as_u64().unwrap();
                    (
                        offset(n("startLine"), n("startColumn")),
                        offset(n("endLine"), n("endColumn")),
                        r["insertedContent"]["text"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            let overlaps = |(s, e, _): &(usize, usize, String)| {
                taken
                    .iter()
                    .any(|(ts, te, _)| s < te.max(&(ts + 1)) && ts < e.max(&(s + 1)))
            };
            if !edits.iter().all(|e| taken.contains(e)) && !edits.iter().any(overlaps) {
                taken.extend(edits);
            }
        }
    }
    taken.sort_by_key(|(s, ..)| std::cmp::Reverse(*s));
    let mut out = text.to_string();
    for (s, e, replacement) in taken {
        out.replace_range(s..e, &replacement);
    }
    out
}

#[test]
fn sarif_fixes_applied_give_what_fix_writes() {
    let sources = [
        (
            "a.py",
            "import os, sys\nimport json  # é😀\nfrom typing import List, Optional\ns = \"é😀\"; t = f\"😀 none\"; u = s == None\nprint(s, t, u, List)\n",
        ),
        (
            "b.js",
            "let s = \"é😀\"; if (s == b) { console.log(s != 1); }\nfunction f(a) { return a == \"中\"; }\nf(1);\n",
        ),
    ];
    let (linted, fixed) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (name, text) in sources {
        write(linted.path(), name, text);
        write(fixed.path(), name, text);
    }
    let out = lint(linted.path(), &["--format", "sarif", "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = lint(fixed.path(), &["--fix", "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for (name, original) in sources {
        let after_fix = std::fs::read_to_string(fixed.path().join(name)).unwrap();
        assert_ne!(after_fix, original, "{name}: --fix changed nothing");
        assert_eq!(apply_sarif_fixes(&log, name, original), after_fix, "{name}");
    }
    // On the non-ASCII line, the fix's region counts UTF-16 code units like the result's.
    let results = log["runs"][0]["results"].as_array().unwrap();
    let eqeqeq = results.iter().find(|r| r["ruleId"] == "js/eqeqeq").unwrap();
    let fix = &eqeqeq["fixes"][0];
    assert!(fix["description"]["text"].as_str().unwrap().contains("==="));
    let change = &fix["artifactChanges"][0];
    assert_eq!(change["artifactLocation"]["uri"], "b.js");
    let replacement = &change["replacements"][0];
    assert_eq!(
        replacement["deletedRegion"],
        serde_json::json!({"startLine": 1, "startColumn": 22, "endLine": 1, "endColumn": 24})
    );
    assert_eq!(replacement["insertedContent"]["text"], "===");
    assert_eq!(
        eqeqeq["locations"][0]["physicalLocation"]["region"]["startColumn"],
        22
    );
}

#[test]
fn fix_applies_safe_fixes_and_keeps_files_parseable() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.py", "import os\nimport sys\nfrom typing import List, Optional\n\nif sys.argv == None or sys.argv != None:\n    print(List)\n");
    write(
        dir.path(),
        "b.js",
        "function f(a, b) {\n  return a == b || a != 1;\n}\nf(1, 2);\n",
    );
    let out = lint(dir.path(), &["--fix", "--format", "json"]);
    assert!(
        text(&out.stderr).contains("; 5 fixed"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.py")).unwrap(),
        "import sys\nfrom typing import List, Optional\n\nif sys.argv is None or sys.argv is not None:\n    print(List)\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("b.js")).unwrap(),
        "function f(a, b) {\n  return a === b || a !== 1;\n}\nf(1, 2);\n"
    );
    // What is left is reported against the fixed files: `Optional` has no safe fix.
    assert_eq!(rules_of(&out), ["py/unused-import:2"]);
    let again = lint(dir.path(), &["--fix", "--format", "json"]);
    assert!(
        text(&again.stderr).contains("; 0 fixed"),
        "{}",
        text(&again.stderr)
    );
}

#[test]
fn baseline_hides_known_findings_across_line_shifts() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.py",
        "x = eval(s)\ny = eval(s)\nx = eval(s)\n",
    );
    let out = lint(dir.path(), &["--write-baseline", "baseline.json"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("wrote 3 findings"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        lint(dir.path(), &["--baseline", "baseline.json"])
            .status
            .code(),
        Some(0)
    );
    // Lines move, one known finding is repeated once more, one new kind appears.
    write(
        dir.path(),
        "a.py",
        "import os\n\n\nx = eval(s)\ny = eval(s)\nx = eval(s)\nx = eval(s)\nexec(s)\n",
    );
    let out = lint(
        dir.path(),
        &["--baseline", "baseline.json", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        rules_of(&out),
        ["py/unused-import:1", "py/eval-exec:7", "py/eval-exec:8"]
    );
    std::fs::write(dir.path().join("bad.json"), "{\"version\": 1}").unwrap();
    let out = lint(dir.path(), &["--baseline", "bad.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("bad.json: not a baseline file"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn diff_mode_reports_only_changed_lines() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.invalid",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    write(dir.path(), "old.py", "x = eval(a)\n\ny = 1\n");
    write(dir.path(), "same.py", "z = eval(b)\n");
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "first"]);
    write(dir.path(), "old.py", "x = eval(a)\n\ny = eval(c)\n");
    write(dir.path(), "new.py", "exec(d)\n");
    let out = lint(dir.path(), &["--diff", "HEAD", "--format", "json"]);
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<String> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{}:{}", f["path"].as_str().unwrap(), f["line"]))
        .collect();
    assert_eq!(got, ["new.py:1", "old.py:3"]);
    let out = lint(dir.path(), &["--diff", "no-such-rev"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "arbor: error: --diff: `no-such-rev` is not a commit in this repository\n"
    );
}

/// Runs git in `dir` with a fixed identity; panics when git fails.
fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// `--diff=--output=FILE` reached git as an option and overwrote FILE with the patch;
/// `--diff=-p` turned the diff into a patch with no file names and every finding vanished.
/// Revisions are resolved as commits first and never handed to git where an option can go.
#[test]
fn diff_revisions_are_never_taken_for_git_options() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), "a.py", "x = 1\n");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "first"]);
    write(dir.path(), "a.py", "x = 1\ny = eval(s)\n");
    write(dir.path(), "FILE", "precious\n");
    for rev in [
        "--output=FILE",
        "-p",
        "--no-index",
        "-R",
        "HEAD --output=FILE",
        "",
        "HEAD~5",
        "HEAD:a.py",
    ] {
        let out = lint(dir.path(), &[&format!("--diff={rev}"), "--format", "json"]);
        assert_eq!(out.status.code(), Some(2), "{rev}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains("is not a commit in this repository"),
            "{rev}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty(), "{rev}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("FILE")).unwrap(),
            "precious\n",
            "{rev} wrote to FILE"
        );
    }
    // A real revision, in any spelling git knows, still works.
    for rev in ["HEAD", "main", "HEAD~0", "@"] {
        let out = lint(dir.path(), &["--diff", rev, "--format", "json"]);
        assert_eq!(
            rules_of(&out),
            ["py/eval-exec:2"],
            "{rev}: {}",
            text(&out.stderr)
        );
    }
}

/// git quotes names with tabs, quotes and non-ASCII letters (`"b/t\tab.py"`) and ends names
/// holding a space with a tab: such changed files were dropped from the diff, and their new
/// findings passed CI.
#[test]
fn diff_sees_changed_files_whatever_their_names() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    let names = [
        "with space.py",
        "with\ttab.py",
        "é-accent.py",
        "日本.py",
        "quote\"d.py",
        "back\\slash.py",
        "trailing space .py",
        "sub dir/inner é.py",
        "plain.py",
    ];
    for name in names {
        write(dir.path(), name, "x = 1\n");
    }
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "first"]);
    for name in names {
        write(dir.path(), name, "x = 1\ny = eval(s)\n");
    }
    write(dir.path(), "new ü\tfile.py", "exec(t)\n");
    let out = lint(dir.path(), &["--diff", "HEAD", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let paths = |out: &Output| {
        let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut got: Vec<String> = findings
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{}:{}", f["path"].as_str().unwrap(), f["line"]))
            .collect();
        got.sort();
        got
    };
    let mut expected: Vec<String> = names
        .iter()
        .map(|n| format!("{n}:2"))
        .chain(["new ü\tfile.py:1".to_string()])
        .collect();
    expected.sort();
    assert_eq!(paths(&out), expected);
    // The user's git settings do not change what is read.
    for (key, value) in [
        ("core.quotepath", "true"),
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("color.ui", "always"),
        ("diff.relative", "true"),
        ("diff.external", "false"),
    ] {
        git(dir.path(), &["config", key, value]);
    }
    let again = lint(dir.path(), &["--diff", "HEAD", "--format", "json"]);
    assert_eq!(paths(&again), expected, "{}", text(&again.stderr));
}

/// `--fix` renamed a fixed copy over each file: a symbolic link became a regular file (and its
/// target stayed unfixed), a hard link stopped sharing the content, and a read-only file was
/// rewritten (as root, too). Fixes now go to the content where it lives.
#[cfg(unix)]
#[test]
fn fix_writes_through_links_and_leaves_read_only_files_alone() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    write(dir.path(), "real/target.py", "import os\nx = 1\n");
    std::os::unix::fs::symlink("real/target.py", p("link.py")).unwrap();
    write(dir.path(), "one.py", "import os\nx = 2\n");
    std::fs::hard_link(p("one.py"), p("two.py")).unwrap();
    write(dir.path(), "ro.py", "import os\nx = 3\n");
    std::fs::set_permissions(p("ro.py"), std::fs::Permissions::from_mode(0o444)).unwrap();
    let inode = std::fs::metadata(p("one.py")).unwrap().ino();
    let out = lint(dir.path(), &["--fix", "link.py", "one.py", "ro.py"]);
    let err = text(&out.stderr);
    assert!(err.contains("; 2 fixed"), "{err}");
    assert!(
        err.contains("arbor: not fixed ro.py: the file is read-only; nothing was written"),
        "{err}"
    );
    // The link is still a link, and its target is fixed.
    let link = std::fs::symlink_metadata(p("link.py")).unwrap();
    assert!(link.file_type().is_symlink());
    assert_eq!(
        std::fs::read_link(p("link.py")).unwrap(),
        Path::new("real/target.py")
    );
    assert_eq!(
        std::fs::read_to_string(p("real/target.py")).unwrap(),
        "x = 1\n"
    );
    // Both names of the hard-linked file see the fix, on the same inode.
    assert_eq!(std::fs::read_to_string(p("one.py")).unwrap(), "x = 2\n");
    assert_eq!(std::fs::read_to_string(p("two.py")).unwrap(), "x = 2\n");
    let meta = std::fs::metadata(p("two.py")).unwrap();
    assert_eq!((meta.ino(), meta.nlink()), (inode, 2));
    // The read-only file is untouched, permissions included, and its finding reported.
    assert_eq!(
        std::fs::read_to_string(p("ro.py")).unwrap(),
        "import os\nx = 3\n"
    );
    let mode = std::fs::metadata(p("ro.py")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o444);
    assert_eq!(
        text(&out.stdout),
        "ro.py:1:8: warning[py/unused-import] `os` imported but unused\n"
    );
    // No temporary file is left behind.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["link.py", "one.py", "real", "ro.py", "two.py"]);
}

/// tree-sitter keeps a predicate it does not know for the caller to test: `#eq` (for `#eq?`)
/// or `#frobnicate?` made a user rule match every node of its pattern.
#[test]
fn unknown_predicates_in_user_rules_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.py", "print(1)\nlen(x)\n");
    let config = |predicate: &str| {
        format!(
            "[[rules]]\nid = \"custom/no-print\"\nlanguage = \"python\"\nmessage = \"no print\"\n\
             query = '''\n(call\n  function: (identifier) @_f\n  ({predicate} @_f \"print\")) @finding\n'''\n"
        )
    };
    for predicate in ["#eq", "#frobnicate?", "#is?", "#set!", "#match"] {
        write(dir.path(), "arbor.toml", &config(predicate));
        let out = lint(dir.path(), &["a.py"]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{predicate}: {}",
            text(&out.stdout)
        );
        let err = text(&out.stderr);
        let expected = format!(
            "arbor: error: arbor.toml: rule custom/no-print:3: unknown predicate `{predicate}` (lint queries support #eq?, "
        );
        assert!(err.starts_with(&expected), "{predicate}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
    }
    write(dir.path(), "arbor.toml", &config("#eq?"));
    let out = lint(dir.path(), &["a.py", "--format", "json"]);
    assert_eq!(
        rules_of(&out),
        ["custom/no-print:1"],
        "{}",
        text(&out.stderr)
    );
}

/// `[tool] arbor = { … }` is the same TOML as `[tool.arbor]`, but only the latter was found
/// (the file was searched for the text `[tool.arbor`).
#[test]
fn pyproject_configuration_is_found_in_every_toml_spelling() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a.py", "import os\neval(x)\n");
    for pyproject in [
        "[tool.arbor]\nselect = [\"py/eval-exec\"]\n",
        "[project]\nname = \"x\"\n\n[tool]\narbor = { select = [\"py/eval-exec\"] }\n",
        "tool = { arbor = { select = [\"py/eval-exec\"] } }\n",
        "[tool]\narbor.select = [\"py/eval-exec\"]\n",
        "tool.arbor.select = [\"py/eval-exec\"]\n",
    ] {
        write(dir.path(), "pyproject.toml", pyproject);
        let out = lint(dir.path(), &["src", "--format", "json"]);
        assert_eq!(
            rules_of(&out),
            ["py/eval-exec:2"],
            "{pyproject}: {}",
            text(&out.stderr)
        );
    }
    // A pyproject.toml without Arbor settings (even broken TOML of other tools) is not ours.
    for pyproject in ["[tool.black]\nline-length = 100\n", "[project\nname = "] {
        write(dir.path(), "pyproject.toml", pyproject);
        let out = lint(dir.path(), &["src", "--format", "json"]);
        assert_eq!(
            rules_of(&out),
            ["py/unused-import:1", "py/eval-exec:2"],
            "{pyproject}"
        );
    }
    // Broken TOML that mentions Arbor is an error, not silently the defaults.
    write(
        dir.path(),
        "pyproject.toml",
        "[tool]\narbor = { select = [\"py\" }\n",
    );
    let out = lint(dir.path(), &["src"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("pyproject.toml: line 2"),
        "{}",
        text(&out.stderr)
    );
}

/// `arbor lint FILE` exited 0 ("0 findings") when every file it was given was skipped (a
/// binary file, bytes that are not UTF-8): CI passed without linting anything. `arbor symbols`
/// refuses the same file with exit 2; so does lint now.
#[test]
fn linting_only_files_that_are_skipped_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bin.py"), b"x = 1\n\0\0\0").unwrap();
    std::fs::write(dir.path().join("latin1.py"), b"x = '\xe9'\n").unwrap();
    write(dir.path(), "ok.py", "x = 1\n");
    let out = lint(dir.path(), &["bin.py"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "arbor: error: bin.py: binary file; nothing was linted\n"
    );
    let symbols = Command::new(env!("CARGO_BIN_EXE_arbor"))
        .args(["symbols", "bin.py"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(symbols.status.code(), Some(2));
    let out = lint(dir.path(), &["bin.py", "latin1.py"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("(and 1 more skipped); nothing was linted"),
        "{}",
        text(&out.stderr)
    );
    // One good file among them: lint it, report the skip, exit on the findings.
    let out = lint(dir.path(), &["bin.py", "ok.py"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("arbor: skipped bin.py: binary file"));
    // A directory with nothing to lint in it is not an error.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    assert_eq!(lint(dir.path(), &["empty"]).status.code(), Some(0));
}

/// A named pipe given as the configuration, the baseline or the file to lint: opening it for
/// reading waited for a writer forever.
#[cfg(unix)]
#[test]
fn named_pipes_on_the_command_line_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.py", "x = 1\n");
    let made = Command::new("mkfifo")
        .arg(dir.path().join("pipe.toml"))
        .arg(dir.path().join("pipe.py"))
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let refused = "a named pipe (FIFO), not a regular file";
    for (args, expected) in [
        (
            &["--config", "pipe.toml", "a.py"][..],
            format!("arbor: error: pipe.toml: {refused}\n"),
        ),
        (
            &["--baseline", "pipe.toml", "a.py"][..],
            format!("arbor: error: pipe.toml: {refused}\n"),
        ),
        (
            &["pipe.py"][..],
            format!("arbor: error: pipe.py: {refused}; nothing was linted\n"),
        ),
    ] {
        let mut all = vec!["lint"];
        all.extend(args);
        let out = arbor_within(dir.path(), &all, 20);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(text(&out.stderr), expected, "{args:?}");
    }
}

#[test]
fn list_rules_gives_each_rule_and_in_json_its_documented_differences() {
    let dir = tempfile::tempdir().unwrap();
    let out = lint(
        dir.path(),
        &["--list-rules", "--select", "py/unused-import,rs"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 6, "{lines:?}");
    assert!(lines[0].starts_with("py/unused-import") && lines[0].ends_with("(fixable)"));
    let out = lint(
        dir.path(),
        &[
            "--list-rules",
            "--format",
            "json",
            "--select",
            "py/unused-import,rs/todo",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["py/unused-import", "rs/todo"]);
    // The deliberate differences from the reference linters are part of each description.
    assert!(rules[0]["rationale"]
        .as_str()
        .unwrap()
        .contains("__init__.py"));
    assert!(rules[1]["rationale"].as_str().unwrap().contains("clippy"));
    assert_eq!(rules[0]["fixable"], true);
}
