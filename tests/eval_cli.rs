//! End-to-end tests of `arbor eval score` with a problems file written by the test.

use std::path::Path;
use std::process::Output;

#[path = "cli_support.rs"]
mod cli_support;
use cli_support::arbor;

const PROBLEMS: &str = r#"{"task_id": "T/0", "prompt": "def inc(x):\n", "canonical_solution": "    return x + 1\n", "test": "def check(f):\n    assert f(1) == 2\n", "entry_point": "inc"}
{"task_id": "T/1", "prompt": "def neg(x):\n", "canonical_solution": "    return -x\n", "test": "def check(f):\n    assert f(3) == -3\n", "entry_point": "neg"}
"#;

/// `arbor eval score SAMPLES --dataset problems.jsonl EXTRA…`.
fn score(dir: &Path, samples: &str, extra: &[&str]) -> Output {
    let mut args = vec!["eval", "score", samples, "--dataset", "problems.jsonl"];
    args.extend_from_slice(extra);
    arbor(dir, &args)
}

#[test]
fn scores_samples_and_writes_results_beside_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("problems.jsonl"), PROBLEMS).unwrap();
    let samples = [
        r#"{"task_id": "T/0", "completion": "    return x + 1\n", "model": "m"}"#,
        r#"{"task_id": "T/0", "completion": "    return x\n"}"#,
        r#"{"task_id": "T/1", "completion": "    return -x\n"}"#,
    ];
    std::fs::write(dir.path().join("s.jsonl"), samples.join("\n")).unwrap();
    let out = score(dir.path(), "s.jsonl", &["-k", "1,2", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["samples"], 3);
    assert_eq!(summary["passed"], 2);
    assert!((summary["pass_at"]["1"].as_f64().unwrap() - 0.75).abs() < 1e-12);
    assert!((summary["pass_at"]["2"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    assert_eq!(summary["tasks_short"]["2"], 1);
    let results = std::fs::read_to_string(dir.path().join("s.jsonl_results.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = results
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let verdicts: Vec<(bool, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["passed"].as_bool().unwrap(),
                r["result"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(verdicts[0], (true, "passed"));
    assert!(!verdicts[1].0 && verdicts[1].1.starts_with("failed: AssertionError"));
    assert_eq!(verdicts[2], (true, "passed"));
    assert_eq!(rows[0]["model"], "m", "other fields are kept");
    // The text summary.
    let text = score(dir.path(), "s.jsonl", &["-k", "1"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("pass@1     0.7500"), "{text}");
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("problems.jsonl"), PROBLEMS).unwrap();
    std::fs::write(
        dir.path().join("unknown.jsonl"),
        r#"{"task_id": "X/9", "completion": ""}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("broken.jsonl"),
        "{\"task_id\": \"T/0\", \"completion\": \"\"}\n{oops\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("empty.jsonl"), "").unwrap();
    for (samples, expected) in [
        ("unknown.jsonl", "X/9"),
        ("broken.jsonl", "broken.jsonl:2"),
        ("empty.jsonl", "no samples"),
        ("missing.jsonl", "missing.jsonl"),
    ] {
        let out = arbor(
            dir.path(),
            &["eval", "score", samples, "--dataset", "problems.jsonl"],
        );
        assert_eq!(out.status.code(), Some(2), "{samples}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let out = arbor(
        dir.path(),
        &["eval", "score", "unknown.jsonl", "--dataset", "nope"],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither a dataset"));
}
