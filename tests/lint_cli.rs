//! End-to-end tests of `arbor lint`: exit codes, configuration, suppressions, formats, bad input.

use std::path::Path;
use std::process::{Command, Output, Stdio};

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
    assert!(text(&out.stderr).contains("1 findings (0 errors, 1 warnings, 0 info) in 1 files"));
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
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "broken.py",
        "import os  # arbor: ignore[js]\ndef f(:\n",
    );
    let fixtures = root.join("tests/fixtures/lint");
    let out = lint(
        &root,
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
    assert!(results["runs"][0]["results"].as_array().unwrap().len() > 50);
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
    assert!(
        text(&out.stderr).contains("git diff"),
        "{}",
        text(&out.stderr)
    );
}
