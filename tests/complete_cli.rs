//! End-to-end tests of `arbor complete` on a small repository, with the tiny test model.

use std::path::Path;
use std::process::Output;

#[path = "cli_support.rs"]
mod cli_support;
use cli_support::arbor;

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
