//! End-to-end tests of `arbor index` and `arbor search`: output, errors, interrupted and
//! concurrent indexing.

use std::path::Path;

#[path = "support.rs"]
mod support;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{copy_dir, fixture_repo};

#[path = "cli_support.rs"]
mod cli_support;
use cli_support::arbor;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixture_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture_repo(), dir.path());
    dir
}

/// A repository big enough that indexing it takes a while.
fn big_repo(files: usize, marker: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_big_repo(dir.path(), files, marker);
    dir
}

fn write_big_repo(root: &Path, files: usize, marker: &str) {
    for i in 0..files {
        let sub = root.join(format!("pkg{}", i % 10));
        std::fs::create_dir_all(&sub).unwrap();
        let mut source = String::new();
        for j in 0..60 {
            source.push_str(&format!(
                "def {marker}_function_{i}_{j}(value):\n    \"\"\"Compute thing {j}.\"\"\"\n    total = value * {j}\n    return total + {i}\n\n\n"
            ));
        }
        std::fs::write(sub.join(format!("module_{i}.py")), source).unwrap();
    }
}

#[test]
fn search_builds_the_index_and_prints_hits() {
    let repo = fixture_copy();
    let out = arbor(
        repo.path(),
        &["search", "parse_http_request", "--limit", "2"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("indexed 4 files (4 added"),
        "{}",
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    let first = stdout.lines().next().unwrap();
    assert_eq!(
        first,
        "src/http.py:8:5  function parse_http_request  — Parse a raw HTTP request into method, path and headers."
    );
    assert!(
        stdout.contains("     8 │ def parse_http_request(raw):"),
        "{stdout}"
    );
    assert!(!stdout.contains('\x1b'), "no colour when not on a terminal");
    assert_eq!(
        stdout.matches(".py:").count()
            + stdout.matches(".rs:").count()
            + stdout.matches(".js:").count(),
        2
    );
    assert!(repo.path().join(".arbor/index/meta.json").exists());
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".arbor/.gitignore"))
            .unwrap()
            .lines()
            .last(),
        Some("*")
    );

    // The second search finds the index up to date: nothing re-indexed, nothing said.
    let out = arbor(repo.path(), &["search", "sym:Server", "--json"]);
    assert!(out.status.success());
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    let hits: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["path"], "src/http.py");
    assert_eq!(hits[0]["line"], 17);
    assert_eq!(hits[0]["column"], 7);
    assert_eq!(hits[0]["kind"], "class");
    assert_eq!(hits[0]["type"], "definition");
    assert_eq!(hits[0]["snippet"][0]["text"], "class Server:");
    assert_eq!(
        hits[0]["snippet"][0]["highlights"][0],
        serde_json::json!([6, 12])
    );

    let out = arbor(repo.path(), &["search", "serve", "--color", "always"]);
    assert!(
        text(&out.stdout).contains("\x1b[1;31mserve\x1b[0m"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn malformed_queries_fail_before_indexing() {
    let repo = fixture_copy();
    for (query, expected) in [
        (
            "\"open",
            "invalid query: unterminated phrase at column 1: `\"open`",
        ),
        ("x /(/", "invalid query: invalid regex"),
        ("lang:cobol", "unknown language `cobol`"),
        ("kind:widget", "unknown kind `widget`"),
    ] {
        let out = arbor(repo.path(), &["search", query]);
        assert_eq!(out.status.code(), Some(2), "{query}");
        let err = text(&out.stderr);
        assert!(err.contains(expected), "{query}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    assert!(
        !repo.path().join(".arbor").exists(),
        "no index was built for a bad query"
    );
}

#[test]
fn corrupt_index_gets_a_rebuild_hint_and_rebuild_fixes_it() {
    let repo = fixture_copy();
    assert!(arbor(repo.path(), &["index"]).status.success());
    std::fs::write(repo.path().join(".arbor/index/meta.json"), b"garbage").unwrap();
    let out = arbor(repo.path(), &["search", "route"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("corrupt or unreadable") && err.contains("arbor index --rebuild"),
        "{err}"
    );
    let out = arbor(repo.path(), &["index", "--rebuild", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["added"], 4);
    assert!(arbor(repo.path(), &["search", "route"]).status.success());
    let out = arbor(
        repo.path(),
        &[
            "search",
            "route",
            "--no-update",
            "--index",
            "/nonexistent/index",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no index at /nonexistent/index"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn killed_indexing_leaves_the_previous_commit_usable() {
    let repo = big_repo(150, "old");
    let out = arbor(repo.path(), &["index"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Change every file, then kill the update at several points of its run.
    write_big_repo(repo.path(), 150, "new");
    for delay_ms in [30, 150, 400] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_arbor"))
            .args(["index"])
            .current_dir(repo.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let out = arbor(
            repo.path(),
            &["search", "sym:old_function_7_7", "--no-update", "--json"],
        );
        assert!(
            out.status.success(),
            "after kill at {delay_ms} ms: {}",
            text(&out.stderr)
        );
        let old_hits = text(&out.stdout).lines().count();
        let out = arbor(
            repo.path(),
            &["search", "sym:new_function_7_7", "--no-update", "--json"],
        );
        let new_hits = text(&out.stdout).lines().count();
        // Either the old commit or the finished new one: never half of each, never broken.
        assert_eq!(old_hits + new_hits, 1, "after kill at {delay_ms} ms");
    }
    let out = arbor(repo.path(), &["index", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = arbor(
        repo.path(),
        &["search", "sym:new_function_7_7", "--no-update", "--json"],
    );
    assert_eq!(text(&out.stdout).lines().count(), 1);
    let out = arbor(
        repo.path(),
        &["search", "sym:old_function_7_7", "--no-update", "--json"],
    );
    assert_eq!(text(&out.stdout).lines().count(), 0);
}

#[test]
fn concurrent_indexing_waits_for_nobody_and_corrupts_nothing() {
    let repo = big_repo(120, "same");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_arbor"))
            .args(["index", "--rebuild"])
            .current_dir(repo.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Make sure the index exists, so both runs contend for the same writer lock.
    assert!(arbor(repo.path(), &["index"]).status.success());
    let first = spawn();
    let second = spawn();
    let mut refused = 0;
    for child in [first, second] {
        let out = child.wait_with_output().unwrap();
        if !out.status.success() {
            assert_eq!(out.status.code(), Some(2));
            let err = text(&out.stderr);
            assert!(err.contains("being updated by another process"), "{err}");
            refused += 1;
        }
    }
    assert!(refused <= 1, "at least one run must succeed");
    let out = arbor(repo.path(), &["search", "sym:same_function_3_3", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 1);
}
