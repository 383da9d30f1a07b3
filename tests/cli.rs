//! End-to-end tests of the `arbor` binary: what users see on stdout, stderr and in exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `arbor ARGS…` in `dir`, killed (and the test failed) if still running after `seconds`.
fn arbor_within(dir: &Path, args: &[&str], seconds: u64) -> Output {
    arbor_testkit::cli::run_within(env!("CARGO_BIN_EXE_arbor"), dir, args, seconds)
}

fn arbor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arbor"))
        .args(args)
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .output()
        .expect("run arbor")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn symbols_text_lists_definitions_with_positions_and_docs() {
    let out = arbor(&["symbols", "tests/fixtures/symbols/rust/items.rs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.contains(&"    11:1  struct    Point  — A point in the plane."),
        "{text}"
    );
    assert!(
        lines.contains(&"    41:5  method      Point::new  — Makes a point."),
        "{text}"
    );
    assert!(
        lines.contains(&"    46:9  function      Point::load::helper"),
        "{text}"
    );
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn symbols_json_is_one_object_with_full_ranges() {
    let out = arbor(&[
        "symbols",
        "--json",
        "tests/fixtures/symbols/python/definitions.py",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["language"], "python");
    assert_eq!(value["syntax_errors"].as_array().unwrap().len(), 0);
    let symbols = value["symbols"].as_array().unwrap();
    let area = symbols
        .iter()
        .find(|s| s["qualified_name"] == "Shape.area")
        .expect("Shape.area");
    assert_eq!(area["kind"], "method");
    assert_eq!(area["owner"], "Shape");
    assert_eq!(area["doc"], "The area.");
    assert_eq!(
        area["span"]["start"]["line"], 46,
        "decorator line starts the method"
    );
    assert_eq!(area["name_span"]["start"]["line"], 47);
    assert_eq!(area["signature"], "def area(self) -> float");
    let parent = area["parent"].as_u64().unwrap() as usize;
    assert_eq!(symbols[parent]["name"], "Shape");
}

#[test]
fn symbols_of_a_file_with_syntax_errors_warn_and_succeed() {
    let out = arbor(&[
        "symbols",
        "tests/fixtures/symbols/javascript/syntax_errors.js",
    ]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("Survivor.method"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("1 syntax error(s), first at 5:1"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn symbols_of_a_directory_walk_it_and_report_skips() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.py"), "def alpha():\n    pass\n").unwrap();
    std::fs::write(dir.path().join("b.js"), "class Beta { gamma() {} }\n").unwrap();
    std::fs::write(dir.path().join("c.py"), b"\0binary").unwrap();
    std::fs::write(dir.path().join("d.rs"), b"fn \xff() {}").unwrap();
    let path = dir.path().to_str().unwrap();
    for threads in ["1", "2"] {
        let out = arbor(&["symbols", path, "--json", "-j", threads]);
        assert!(out.status.success(), "{}", stderr(&out));
        let files: Vec<serde_json::Value> = stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(files.len(), 2);
        assert!(files[0]["path"].as_str().unwrap().ends_with("a.py"));
        assert_eq!(files[0]["symbols"][0]["name"], "alpha");
        assert_eq!(files[1]["symbols"][1]["qualified_name"], "Beta.gamma");
        let err = stderr(&out);
        assert!(err.contains("c.py: binary file"), "{err}");
        assert!(err.contains("d.rs: not valid UTF-8"), "{err}");
        assert!(
            err.contains("2 files, 3 symbols, 0 with syntax errors, 2 skipped"),
            "{err}"
        );
    }
}

#[test]
fn parse_sexp_prints_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.py");
    std::fs::write(&file, "def f(a):\n    return (a\n").unwrap();
    let out = arbor(&["parse", "--sexp", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let sexp = stdout(&out);
    assert!(
        sexp.starts_with("(module (function_definition name: (identifier)"),
        "{sexp}"
    );
    assert!(
        sexp.contains("MISSING \")\"") || sexp.contains("ERROR"),
        "{sexp}"
    );

    let out = arbor(&["parse", file.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(text.contains("language:      python"), "{text}");
    assert!(!text.contains("syntax errors: 0"), "{text}");
}

#[test]
fn parse_handles_every_language_and_deep_nesting() {
    let dir = tempfile::tempdir().unwrap();
    for (name, source) in [
        (
            "deep.rs",
            format!(
                "fn main() {{ let x = {}1{}; }}\n",
                "(".repeat(50_000),
                ")".repeat(50_000)
            ),
        ),
        (
            "deep.py",
            format!("x = {}1{}\n", "(".repeat(50_000), ")".repeat(50_000)),
        ),
        (
            "deep.js",
            format!("let x = {}1{};\n", "[".repeat(50_000), "]".repeat(50_000)),
        ),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, source).unwrap();
        let out = arbor(&["parse", "--sexp", file.to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let sexp = stdout(&out);
        assert_eq!(
            sexp.matches('(').count(),
            sexp.matches(')').count(),
            "{name}"
        );
        let out = arbor(&["parse", "--json", file.to_str().unwrap()]);
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(value["max_depth"].as_u64().unwrap() > 50_000, "{name}");
        let out = arbor(&["symbols", file.to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
    }
}

#[test]
fn errors_are_one_line_on_stderr_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("x.py");
    std::fs::write(&binary, b"\x7fELF\0\0\0").unwrap();
    let latin1 = dir.path().join("y.js");
    std::fs::write(&latin1, b"var s = '\xe9';").unwrap();
    let empty = dir.path().join("empty.rs");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, b"hello").unwrap();
    let big = dir.path().join("big.py");
    std::fs::write(&big, "x = 1\n".repeat(1000)).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["symbols", binary.to_str().unwrap()],
            "x.py: binary file",
        ),
        (
            vec!["symbols", latin1.to_str().unwrap()],
            "y.js: not valid UTF-8",
        ),
        (
            vec!["parse", "--sexp", binary.to_str().unwrap()],
            "binary file",
        ),
        (vec!["symbols", "does/not/exist.py"], "does/not/exist.py"),
        (
            vec!["symbols", text.to_str().unwrap()],
            "cannot tell the language",
        ),
        (
            vec!["symbols", "--max-file-size", "100", big.to_str().unwrap()],
            "file too large (6000 bytes, limit 100)",
        ),
        (
            vec!["symbols", "--lang", "cobol", empty.to_str().unwrap()],
            "unknown language `cobol`",
        ),
        (
            vec!["parse", dir.path().to_str().unwrap()],
            "is a directory",
        ),
    ];
    for (args, expected) in cases {
        let out = arbor(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = arbor(&["symbols", empty.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(stdout(&out).is_empty());
    let out = arbor(&["symbols", "--lang", "python", text.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    // Far more output than a pipe buffers, so writing must fail once the reader is gone.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("many.py");
    let source: String = (0..20_000)
        .map(|i| format!("def function_{i}():\n    pass\n"))
        .collect();
    std::fs::write(&file, source).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_arbor"))
        .args(["symbols", file.to_str().unwrap()])
        .current_dir(repo_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before reading anything
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// `symbols` and `parse` on a named pipe opened it for reading, which waits for a writer
/// forever; devices are refused too, before they are opened.
#[cfg(unix)]
#[test]
fn symbols_and_parse_refuse_pipes_and_devices_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.py");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let fifo = fifo.to_str().unwrap();
    for args in [
        vec!["symbols", fifo],
        vec!["symbols", "--json", fifo],
        vec!["parse", fifo],
        vec!["parse", "--sexp", fifo],
        vec!["symbols", "--lang", "python", "/dev/null"],
        vec!["parse", "--lang", "python", "/dev/zero"],
    ] {
        let out = arbor_within(&repo_root(), &args, 20);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.starts_with("arbor: error: "), "{args:?}: {err}");
        assert!(
            err.trim_end().ends_with(", not a regular file"),
            "{args:?}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    let out = arbor_within(&repo_root(), &["parse", fifo], 20);
    assert_eq!(
        stderr(&out),
        format!("arbor: error: {fifo}: a named pipe (FIFO), not a regular file\n")
    );
}

/// `symbols -j 100000` tried to start 100,000 threads and failed after most of a minute.
/// Impossible thread counts are refused before any work.
#[test]
fn symbols_refuses_impossible_thread_counts_at_once() {
    for threads in ["100000", "0", "1025", "18446744073709551616", "many"] {
        let started = std::time::Instant::now();
        let out = arbor_within(
            &repo_root(),
            &["symbols", "tests/fixtures/repo", "-j", threads],
            20,
        );
        assert_eq!(out.status.code(), Some(2), "-j {threads}");
        assert!(out.stdout.is_empty());
        let err = stderr(&out);
        assert!(err.contains("'--threads <N>'"), "-j {threads}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
    let out = arbor(&["symbols", "tests/fixtures/repo", "-j", "1024", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
}
