//! End-to-end tests of `arbor complete` on a small repository, with the tiny test model.

use std::path::Path;
use std::process::Output;

/// `arbor ARGS…` in `dir`, stdin closed, output captured.
fn arbor(dir: &Path, args: &[&str]) -> Output {
    arbor_testkit::cli::run(env!("CARGO_BIN_EXE_arbor"), dir, args)
}

/// `arbor complete` at the blank line of main.py (line 7, column 5), with `extra` options.
fn complete(dir: &Path, model: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "complete", "main.py", "--line", "7", "--col", "5", "--model", model,
    ];
    args.extend_from_slice(extra);
    arbor(dir, &args)
}

/// A repository with a helper in one file and a use of it in another; the tiny model.
fn repo() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join(".git")).unwrap();
    std::fs::write(
        root.join("util.py"),
        "def helper_fn(x):\n    \"\"\"Double x.\"\"\"\n    return 2 * x\n\n\ndef unused():\n    pass\n",
    )
    .unwrap();
    std::fs::write(
        root.join("main.py"),
        "from util import helper_fn\n\n\ndef run(items):\n    # helper_fn in a comment\n    total = helper_fn(len(items))\n    \n",
    )
    .unwrap();
    let model = root.join("tiny.gguf");
    arbor_lm::testing::write_tiny_model(&model, 3).unwrap();
    (dir, model.to_str().unwrap().to_string())
}

#[test]
fn the_prompt_holds_the_definitions_the_code_uses() {
    let (dir, model) = repo();
    let out = complete(dir.path(), &model, &["--show-prompt"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prompt = String::from_utf8(out.stdout).unwrap();
    // The tiny vocabulary has no <file_sep>: comment headers.
    assert!(
        prompt.starts_with("# util.py:1 (definition)\ndef helper_fn(x):\n"),
        "{prompt}"
    );
    assert!(!prompt.contains("def unused"), "{prompt}");
    // The file last, healed: the blank cursor line is left to the model.
    assert!(
        prompt.ends_with("# main.py\nfrom util import helper_fn\n\n\ndef run(items):\n    # helper_fn in a comment\n    total = helper_fn(len(items))"),
        "{prompt}"
    );
    // A budget too small for the context keeps the lines before the cursor.
    let small = complete(dir.path(), &model, &["--show-prompt", "--budget", "60"]);
    let small = String::from_utf8(small.stdout).unwrap();
    assert!(!small.contains("def helper_fn"), "{small}");
    assert!(small.ends_with("total = helper_fn(len(items))"), "{small}");
}

#[test]
fn definitions_come_from_the_index_when_there_is_one() {
    let (dir, model) = repo();
    let indexed = arbor(dir.path(), &["index", "."]);
    assert!(
        indexed.status.success(),
        "{}",
        String::from_utf8_lossy(&indexed.stderr)
    );
    // The index finds the definition; its text is re-read from the file on disk.
    let out = complete(dir.path(), &model, &["--show-prompt"]);
    let prompt = String::from_utf8(out.stdout).unwrap();
    assert!(
        prompt.contains("# util.py:1 (definition)\ndef helper_fn(x):\n"),
        "{prompt}"
    );
}

#[test]
fn completes_with_the_model_and_reports_json() {
    let (dir, model) = repo();
    let out = complete(dir.path(), &model, &["--json", "--max-tokens", "12"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(value["text"].is_string());
    assert!(value["completion_tokens"].as_u64().unwrap() <= 12);
    assert_eq!(value["context"][0]["path"], "util.py");
    assert_eq!(value["context"][0]["name"], "helper_fn");
    // Greedy: the same again.
    let again = complete(dir.path(), &model, &["--json", "--max-tokens", "12"]);
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(value["text"], again["text"]);
}

#[test]
fn bad_cursors_and_files_are_one_line_errors() {
    let (dir, model) = repo();
    std::fs::write(dir.path().join("blob.py"), [0u8, 159, 146, 150]).unwrap();
    for (args, expected) in [
        (
            vec!["main.py", "--line", "99", "--col", "1"],
            "past the end of the file",
        ),
        (
            vec!["main.py", "--line", "1", "--col", "80"],
            "past the end of line 1",
        ),
        (vec!["blob.py", "--line", "1", "--col", "1"], "blob.py"),
        (
            vec!["missing.py", "--line", "1", "--col", "1"],
            "missing.py",
        ),
    ] {
        let mut all = vec!["complete"];
        all.extend(args);
        all.extend(["--model", &model]);
        let out = arbor(dir.path(), &all);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn fill_in_the_middle_uses_the_vocabularys_own_tokens() {
    let (dir, _) = repo();
    // Qwen2.5-Coder's spelling of the fill-in-the-middle and repository tokens.
    let qwen = dir.path().join("qwen-vocab.gguf");
    arbor_lm::testing::write_tiny_gguf_with_specials(
        &qwen,
        &[
            "<|fim_prefix|>",
            "<|fim_middle|>",
            "<|fim_suffix|>",
            "<|fim_pad|>",
            "<|repo_name|>",
            "<|file_sep|>",
        ],
        &[],
    )
    .unwrap();
    let qwen = qwen.to_str().unwrap();
    // Line 6, after `total = `: the rest of the line and the next follow the cursor.
    let at = |extra: &[&str]| {
        let mut args = vec![
            "complete", "main.py", "--line", "6", "--col", "13", "--model", qwen,
        ];
        args.extend_from_slice(extra);
        arbor(dir.path(), &args)
    };
    for extra in [&["--show-prompt"][..], &["--show-prompt", "--fim", "on"]] {
        let out = at(extra);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let prompt = String::from_utf8(out.stdout).unwrap();
        assert!(prompt.contains("<|file_sep|>util.py\n"), "{prompt}");
        assert!(
            prompt.ends_with("<|file_sep|>main.py\n<|fim_prefix|>from util import helper_fn\n\n\ndef run(items):\n    # helper_fn in a comment\n    total = <|fim_suffix|>helper_fn(len(items))\n    \n<|fim_middle|>"),
            "{prompt}"
        );
    }
    let out = at(&["--show-prompt", "--fim", "off"]);
    let prompt = String::from_utf8(out.stdout).unwrap();
    assert!(!prompt.contains("<|fim_"), "{prompt}");
    assert!(prompt.ends_with("    total = "), "{prompt}");
}

#[test]
fn fim_on_without_fim_tokens_is_a_one_line_error() {
    let (dir, model) = repo();
    // The tiny model's vocabulary has no fill-in-the-middle tokens.
    for extra in [&["--show-prompt"][..], &[]] {
        let mut args = vec!["--fim", "on"];
        args.extend_from_slice(extra);
        let out = complete(dir.path(), &model, &args);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--fim on:"), "{err}");
        assert!(err.contains("no fill-in-the-middle tokens"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let out = complete(dir.path(), &model, &["--fim", "sometimes"]);
    assert_eq!(out.status.code(), Some(2));
    // auto: no suffix in the prompt, no error.
    let out = complete(dir.path(), &model, &["--show-prompt", "--fim", "auto"]);
    assert!(out.status.success());
}
