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
