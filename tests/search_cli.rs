//! End-to-end tests of `arbor index` and `arbor search`: output, errors, interrupted and
//! concurrent indexing.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use arbor_testkit::{copy_dir, fixture_repo};

/// `arbor ARGS…` in `dir`, stdin closed, output captured.
fn arbor(dir: &Path, args: &[&str]) -> std::process::Output {
    arbor_testkit::cli::run(env!("CARGO_BIN_EXE_arbor"), dir, args)
}

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

// Hostile inputs (issue 13): each test reproduces an attack that used to panic, answer wrongly
// or leave the index unusable.

/// Runs `arbor ARGS` and checks that it did not panic; returns (exit code, stdout, stderr).
fn run_clean(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = arbor(dir, args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        !stderr.contains("panicked") && out.status.code().is_some_and(|c| c == 0 || c == 2),
        "{args:?}: {:?} {stderr}",
        out.status
    );
    (out.status.code().unwrap(), stdout, stderr)
}

/// Asserts a one-line error (exit 2) that contains `expected`.
fn assert_error(dir: &Path, args: &[&str], expected: &str) {
    let (code, _, stderr) = run_clean(dir, args);
    assert_eq!(code, 2, "{args:?}");
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
}

#[test]
fn phrases_without_two_indexable_terms_do_not_panic() {
    let repo = fixture_copy();
    std::fs::write(
        repo.path().join("src/party.py"),
        "# 🎉 done!!! a::b\nCELEBRATE = \"🎉\"\nWARNING = 'stop!!!'\n",
    )
    .unwrap();
    let long = "a".repeat(65);
    std::fs::write(repo.path().join("src/blob.py"), format!("KEY = '{long}'\n")).unwrap();
    for (query, literal) in [
        ("\"()\"", "()"),
        ("\"!!!\"", "!!!"),
        ("\"::\"", "::"),
        ("\"🎉\"", "🎉"),
        (format!("\"{long}\"").as_str(), long.as_str()),
    ] {
        let (code, stdout, stderr) = run_clean(repo.path(), &["search", query, "--json"]);
        assert_eq!(code, 0, "{query}: {stderr}");
        let hits: Vec<serde_json::Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(!hits.is_empty(), "{query} is in the repository");
        for hit in &hits {
            let lines = hit["snippet"].as_array().unwrap();
            assert!(
                lines
                    .iter()
                    .any(|l| l["text"].as_str().unwrap().contains(literal)),
                "{query}: {hit}"
            );
        }
    }
}

#[test]
fn words_without_indexable_tokens_match_literally() {
    let repo = fixture_copy();
    std::fs::write(
        repo.path().join("web/price.js"),
        "function price(amount) {\n  return `$${amount}`;\n}\nconst party = '🎉';\n",
    )
    .unwrap();
    for (word, expected) in [("$", "$"), ("🎉", "🎉"), ("()", "()"), ("_", "_")] {
        let (code, stdout, _) = run_clean(repo.path(), &["search", word, "--json", "-n", "100"]);
        assert_eq!(code, 0, "{word}");
        let hits: Vec<serde_json::Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(!hits.is_empty(), "{word}");
        for hit in &hits {
            assert_eq!(hit["type"], "code", "{word}: {hit}");
            let shown = hit["snippet"][0]["text"].as_str().unwrap();
            assert!(shown.contains(expected), "{word}: {hit}");
        }
    }
    // Only the file with a dollar sign has one.
    let (_, stdout, _) = run_clean(repo.path(), &["search", "$", "--json"]);
    assert!(
        stdout.lines().all(|l| l.contains("\"web/price.js\"")),
        "{stdout}"
    );
    // Absent punctuation matches nothing, rather than whatever a filter lists.
    let (code, stdout, stderr) = run_clean(repo.path(), &["search", "§"]);
    assert_eq!((code, stdout.as_str()), (0, ""));
    assert!(stderr.contains("no matches"), "{stderr}");
}

#[test]
fn query_resources_are_bounded_with_one_line_errors() {
    let repo = fixture_copy();
    let phrase = format!("\"{}\"", vec!["word"; 20_000].join(" "));
    let regexes = vec![r"/\w{50}/"; 500].join(" ");
    let seventeen = vec![r"/\w{5}/"; 17].join(" ");
    let words = vec!["w"; 65].join(" ");
    for (args, expected) in [
        (
            vec!["search", "x", "-n", "18446744073709551615"],
            "not in 1..=10000",
        ),
        (
            vec!["search", "x", "-n", "1000000000000"],
            "not in 1..=10000",
        ),
        (vec!["search", "x", "-n", "0"], "not in 1..=10000"),
        (
            vec!["search", phrase.as_str()],
            "query too long (100001 bytes, at most 4096)",
        ),
        (vec!["search", regexes.as_str()], "query too long"),
        (
            vec!["search", seventeen.as_str()],
            "too many phrases and regexes (at most 16)",
        ),
        (
            vec!["search", words.as_str()],
            "too many terms (at most 64)",
        ),
        (vec!["search", r"/\w{200}/"], "regex too big"),
    ] {
        assert_error(repo.path(), &args, expected);
    }
    assert!(
        !repo.path().join(".arbor").exists(),
        "rejected before indexing"
    );
    // The limits themselves are accepted.
    let sixteen = vec![r"/\w{50}/"; 16].join(" ");
    assert_eq!(run_clean(repo.path(), &["search", &sixteen]).0, 0);
    assert_eq!(
        run_clean(repo.path(), &["search", "route", "-n", "10000"]).0,
        0
    );
}

#[test]
fn query_errors_escape_control_characters() {
    let repo = fixture_copy();
    let (code, _, stderr) = run_clean(repo.path(), &["search", "lang:\x1b[31mred\x07\u{202e}"]);
    assert_eq!(code, 2);
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\x07'),
        "{stderr:?}"
    );
    assert!(!stderr.contains('\u{202e}'), "{stderr:?}");
    assert!(
        stderr.contains(r"unknown language `\u{1b}[31mred\u{7}\u{202e}`"),
        "{stderr}"
    );
    let (code, _, stderr) = run_clean(repo.path(), &["search", "\"open\nclose\x1b]0;title\x07"]);
    assert_eq!(code, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(
        stderr.contains(r"open\nclose\u{1b}]0;title\u{7}"),
        "{stderr}"
    );
}

/// Copies `from` (a repository with its index) to a new temporary directory.
fn copy_of(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(from, dir.path());
    dir
}

fn index_names(repo: &Path) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(repo.join(".arbor/index"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

#[test]
fn an_update_killed_while_tantivy_writes_delete_files_recovers() {
    let repo = big_repo(40, "kept");
    assert_eq!(run_clean(repo.path(), &["index"]).0, 0);
    let module = repo.path().join("pkg3/module_3.py");
    let source = std::fs::read_to_string(&module).unwrap();
    std::fs::write(
        &module,
        source.replace("kept_function_3_5(", "renamed_function("),
    )
    .unwrap();
    // The delete files the update writes: learnt from the same update made on a copy.
    let copy = copy_of(repo.path());
    let before = index_names(copy.path());
    assert_eq!(run_clean(copy.path(), &["index"]).0, 0);
    let dels: Vec<String> = index_names(copy.path())
        .difference(&before)
        .filter(|n| n.ends_with(".del"))
        .cloned()
        .collect();
    assert!(!dels.is_empty());
    // What kill -9 during the commit leaves: those files, half written and listed as managed.
    let index = repo.path().join(".arbor/index");
    for name in &dels {
        std::fs::write(index.join(name), b"\0\0").unwrap();
    }
    let managed_path = index.join(".managed.json");
    let mut managed: Vec<String> =
        serde_json::from_slice(&std::fs::read(&managed_path).unwrap()).unwrap();
    managed.extend(dels.iter().cloned());
    std::fs::write(&managed_path, serde_json::to_vec(&managed).unwrap()).unwrap();

    let (code, stdout, stderr) = run_clean(repo.path(), &["search", "sym:renamed_function"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("pkg3/module_3.py"), "{stdout}");
    assert!(stderr.contains("1 changed"), "{stderr}");
    assert_eq!(run_clean(repo.path(), &["index"]).0, 0);
    let (_, stdout, _) = run_clean(repo.path(), &["search", "sym:kept_function_3_5", "--json"]);
    assert_eq!(stdout.lines().count(), 0);
}

#[test]
fn a_first_build_killed_early_is_redone_and_rebuild_always_works() {
    let repo = fixture_copy();
    let index = repo.path().join(".arbor/index");
    // A first build killed in its first milliseconds leaves tantivy's temporary meta.json.
    std::fs::create_dir_all(&index).unwrap();
    std::fs::write(index.join(".tmpK1ll3d"), b"{\"index_settings\"").unwrap();
    let (code, stdout, stderr) = run_clean(repo.path(), &["search", "sym:route"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("src/lib.rs"), "{stdout}");
    assert!(!index.join(".tmpK1ll3d").exists());

    std::fs::remove_dir_all(&index).unwrap();
    std::fs::create_dir_all(&index).unwrap();
    std::fs::write(index.join(".tmpK1ll3d"), b"").unwrap();
    let (code, stdout, stderr) = run_clean(repo.path(), &["index", "--rebuild", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\"added\":4"), "{stdout}");

    // A directory holding someone else's files is left alone, with a message that says so.
    let elsewhere = repo.path().join("docs");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("notes.md"), "mine").unwrap();
    for args in [
        &["index", "--index", "docs"][..],
        &["index", "--rebuild", "--index", "docs"][..],
        &["search", "route", "--index", "docs"][..],
    ] {
        assert_error(repo.path(), args, "holds other files (such as `notes.md`)");
    }
    assert!(elsewhere.join("notes.md").exists());
}

#[test]
fn every_kind_of_corrupt_index_file_gets_the_rebuild_hint() {
    let repo = big_repo(20, "orig");
    assert_eq!(run_clean(repo.path(), &["index"]).0, 0);
    // A partial update: the first segment gets a delete file.
    std::fs::write(
        repo.path().join("pkg0/module_0.py"),
        "def changed():\n    pass\n",
    )
    .unwrap();
    assert_eq!(run_clean(repo.path(), &["index"]).0, 0);
    let query = [
        "search",
        "compute thing",
        "--json",
        "-n",
        "30",
        "--no-update",
    ];
    let (_, expected, _) = run_clean(repo.path(), &query);
    let names = index_names(repo.path());
    let mut kinds = std::collections::BTreeSet::new();
    let mut errors = 0;
    for name in names.iter().filter(|n| !n.ends_with(".lock")) {
        let kind = name.rsplit('.').next().unwrap().to_string();
        kinds.insert(kind);
        let path = repo.path().join(".arbor/index").join(name);
        let data = std::fs::read(&path).unwrap();
        let mut flipped = data.clone();
        let middle = data.len() / 2;
        if let Some(b) = flipped.get_mut(middle) {
            *b ^= 0x5a;
        }
        let mut zeroed = data.clone();
        for b in zeroed.iter_mut().skip(middle).take(64) {
            *b = 0;
        }
        for (what, bytes) in [
            ("truncated", data[..middle].to_vec()),
            ("flipped", flipped),
            ("zeroed", zeroed),
        ] {
            std::fs::write(&path, &bytes).unwrap();
            for args in [&query[..], &query[..query.len() - 1]] {
                let (code, stdout, stderr) = run_clean(repo.path(), args);
                if code == 0 {
                    assert_eq!(stdout, expected, "{name} {what}: other results");
                } else {
                    errors += 1;
                    assert!(
                        stderr.contains("arbor index --rebuild") && stderr.lines().count() == 1,
                        "{name} {what}: {stderr}"
                    );
                }
            }
            std::fs::write(&path, &data).unwrap();
        }
    }
    for kind in [
        "idx",
        "term",
        "pos",
        "store",
        "fast",
        "fieldnorm",
        "del",
        "json",
    ] {
        assert!(kinds.contains(kind), "no .{kind} file in {names:?}");
    }
    assert!(errors > 0);
    // The hint works.
    std::fs::write(repo.path().join(".arbor/index/meta.json"), b"[]").unwrap();
    assert_eq!(run_clean(repo.path(), &["index", "--rebuild"]).0, 0);
    let (code, stdout, _) = run_clean(repo.path(), &query);
    // The same hits (scores differ: the rebuilt index has no deleted documents).
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), expected.lines().count());
}

/// Runs `script` with `dir` mounted read-only in a private mount namespace; `None` where
/// mount namespaces are not available (not root, no unshare).
fn with_read_only(dir: &Path, script: &str) -> Option<std::process::Output> {
    let probe = Command::new("unshare")
        .args([
            "-m",
            "sh",
            "-c",
            "mount --bind -o ro / /mnt 2>/dev/null || exit 3; exit 0",
        ])
        .output()
        .ok()?;
    if !probe.status.success() {
        eprintln!("skipped: no mount namespace (unshare -m) here");
        return None;
    }
    let script = format!("mount --bind -o ro '{0}' '{0}' && {script}", dir.display());
    Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .env("ARBOR", env!("CARGO_BIN_EXE_arbor"))
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .ok()
}

#[test]
fn a_read_only_index_is_searched_as_it_is() {
    let repo = fixture_copy();
    assert_eq!(run_clean(repo.path(), &["index"]).0, 0);
    let (_, expected, _) = run_clean(repo.path(), &["search", "route", "--json"]);
    std::fs::write(
        repo.path().join("src/new.py"),
        "def brand_new():\n    pass\n",
    )
    .unwrap();
    let Some(out) = with_read_only(
        &repo.path().join(".arbor"),
        "cd ../ && \"$ARBOR\" search route --json --no-update && echo '--' && \
         \"$ARBOR\" search route --json && echo '--' && \"$ARBOR\" index; echo \"exit $?\"",
    ) else {
        return;
    };
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    let parts: Vec<&str> = stdout.split("--\n").collect();
    assert_eq!(parts.len(), 3, "{stdout} {stderr}");
    assert_eq!(parts[0], expected, "{stderr}");
    assert_eq!(parts[1], expected, "{stderr}");
    assert!(parts[2].contains("exit 2"), "{stdout}");
    assert!(
        stderr.contains("is read-only; searching it as last built, without updating it"),
        "{stderr}"
    );
    assert!(
        stderr.contains("is read-only (Read-only file system") && stderr.contains("not updated"),
        "{stderr}"
    );
    assert!(!stderr.contains("corrupt"), "{stderr}");
}

#[test]
fn serve_answers_searches_over_http_until_interrupted() {
    use std::io::{BufRead, Read, Write};
    let repo = fixture_copy();
    let mut server = Command::new(env!("CARGO_BIN_EXE_arbor"))
        .args(["serve", "--port", "0", "--no-watch", "--repo"])
        .arg(repo.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let address = line
        .trim()
        .strip_prefix("arbor: serving on http://")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    let request = |path: &str| {
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )
        .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        reply
    };
    let updated = request("/api/index");
    assert!(updated.starts_with("HTTP/1.1 200"), "{updated}");
    // A GET of the search API (sent by hand: the test needs no HTTP client).
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "GET /api/search?q=kind:function HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let body = &reply[reply.find("\r\n\r\n").unwrap() + 4..];
    let found: serde_json::Value = serde_json::from_str(body).unwrap();
    assert!(found["count"].as_u64().unwrap() > 0, "{found}");
    // Ctrl-C stops it cleanly.
    let pid = server.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let until = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < until,
            "still serving after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

/// The hits of `arbor ARGS…` (with `--json`), which must succeed.
fn json_hits(dir: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let out = arbor(dir, args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `out` is a usage error (exit 2) whose message holds `needle`.
fn fails_with(out: &std::process::Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(needle), "{}", text(&out.stderr));
}

/// A repository and a tiny sentence-transformers model made here (issue 20): the CLI runs the
/// whole semantic path with it (the real model's numbers are in benchmarks/).
fn semantic_fixture() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = fixture_copy();
    let model = dir.path().join(".model");
    arbor_embed::testing::write_tiny_model(&model, &["def", "return", "area", "circle"], 3)
        .unwrap();
    let flag = model.to_string_lossy().into_owned();
    (dir, model, flag)
}

#[test]
fn index_semantic_then_search_hybrid_semantic_and_keyword() {
    let (dir, _model, model_dir) = semantic_fixture();
    let out = arbor(
        dir.path(),
        &["index", "--semantic", "--embed-model", &model_dir, "--json"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let vectors = dir.path().join(".arbor/index/vectors.arbor");
    assert!(vectors.is_file());
    // Hybrid by default now: the hits carry both sides' scores.
    let hits = json_hits(
        dir.path(),
        &[
            "search",
            "--embed-model",
            &model_dir,
            "--json",
            "compute the area",
        ],
    );
    assert!(!hits.is_empty());
    assert!(
        hits.iter()
            .all(|h| h.get("score_keyword").is_some() && h.get("score_semantic").is_some()),
        "{hits:?}"
    );
    assert!(
        hits.iter().any(|h| h["score_semantic"].is_f64()),
        "{hits:?}"
    );
    // Semantic alone: every hit has a cosine; keyword alone: no side scores.
    let lines = json_hits(
        dir.path(),
        &[
            "search",
            "--embed-model",
            &model_dir,
            "--mode",
            "semantic",
            "--json",
            "-n",
            "3",
            "compute the area",
        ],
    );
    assert_eq!(lines.len(), 3);
    assert!(lines
        .iter()
        .all(|h| h["score_semantic"].is_f64() && h["score_keyword"].is_null()));
    let out = arbor(
        dir.path(),
        &["search", "--mode", "keyword", "--json", "area"],
    );
    assert!(out.status.success());
    assert!(!text(&out.stdout).contains("score_semantic"));
    // A phrase is matched exactly: semantic mode refuses it, with what to do instead.
    let out = arbor(
        dir.path(),
        &[
            "search",
            "--embed-model",
            &model_dir,
            "--mode",
            "semantic",
            "\"def area\"",
        ],
    );
    fails_with(&out, "--mode keyword");
    // Another model's vectors are refused, with the way out.
    let (_other_dir, other, _) = semantic_fixture();
    arbor_embed::testing::write_tiny_model(&other, &["def"], 4).unwrap();
    let out = arbor(
        dir.path(),
        &["search", "--embed-model", &other.to_string_lossy(), "area"],
    );
    fails_with(&out, "--rebuild");
}

#[test]
fn a_corrupt_vector_file_gets_the_rebuild_hint_and_rebuild_mends_it() {
    let (dir, _model, model_dir) = semantic_fixture();
    let out = arbor(
        dir.path(),
        &["index", "--semantic", "--embed-model", &model_dir],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let vectors = dir.path().join(".arbor/index/vectors.arbor");
    let mut bytes = std::fs::read(&vectors).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&vectors, &bytes).unwrap();
    let out = arbor(
        dir.path(),
        &["search", "--no-update", "--embed-model", &model_dir, "area"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("vectors.arbor") && err.contains("arbor index --rebuild"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // Keyword search still answers; --rebuild writes the vectors anew.
    assert!(arbor(
        dir.path(),
        &["search", "--no-update", "--mode", "keyword", "area"]
    )
    .status
    .success());
    let out = arbor(
        dir.path(),
        &["index", "--rebuild", "--embed-model", &model_dir],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = arbor(
        dir.path(),
        &["search", "--no-update", "--embed-model", &model_dir, "area"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A missing model folder is a clear error too.
    let out = arbor(
        dir.path(),
        &["search", "--embed-model", "/nonexistent/model", "area"],
    );
    fails_with(&out, "/nonexistent/model");
}
