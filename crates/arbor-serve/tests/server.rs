//! The server over real HTTP on a loopback port, driven by ureq: search and lint as JSON,
//! the search page and the file view, the API key, the index following file changes, and
//! bad requests answered with 4xx errors while the server keeps serving.

use std::path::Path;
use std::time::{Duration, Instant};

use arbor_serve::{RunningServer, ServeOptions};

mod common;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A repository of two small files.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("src/config.py"),
        "import os\n\n\ndef load_config(path):\n    \"\"\"Read a config file and merge defaults.\"\"\"\n    with open(path) as f:\n        return f.read()\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/lib.rs"),
        "/// Parses a <header>.\npub fn parse_header(s: &str) -> usize {\n    s.len()\n}\n",
    )
    .unwrap();
    dir
}

fn start(repo: &Path, key: Option<&str>, watch: bool) -> RunningServer {
    let options = ServeOptions {
        api_key: key.map(String::from),
        watch,
        ..common::options(repo)
    };
    arbor_serve::start(options, None).expect("the server starts")
}

/// `(status, body)` of a GET.
fn get(server: &RunningServer, path: &str) -> (u16, String) {
    let url = format!("http://{}{path}", server.address());
    let mut response = agent().get(&url).call().expect("a response");
    let status = response.status().as_u16();
    (
        status,
        response.body_mut().read_to_string().unwrap_or_default(),
    )
}

/// `(status, JSON body)` of a POST of `body` as JSON.
fn post(server: &RunningServer, path: &str, body: &str) -> (u16, serde_json::Value) {
    let url = format!("http://{}{path}", server.address());
    let mut response = agent()
        .post(&url)
        .header("content-type", "application/json")
        .send(body)
        .expect("a response");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Polls `check` until it holds (at most 20 s).
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn search_answers_as_the_cli_does_and_bad_queries_get_400() {
    let repo = repo();
    let server = start(repo.path(), None, false);
    let (status, summary) = post(&server, "/api/index", "");
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["files"], 2);
    let (status, body) = get(&server, "/api/search?q=load_config&limit=5");
    assert_eq!(status, 200, "{body}");
    let found = json(&body);
    assert_eq!(found["query"], "load_config");
    assert!(found["elapsed_ms"].as_f64().unwrap() >= 0.0);
    let hit = &found["hits"][0];
    assert_eq!(hit["path"], "src/config.py");
    assert_eq!(hit["line"], 4);
    assert_eq!(hit["type"], "definition");
    assert_eq!(hit["kind"], "function");
    assert_eq!(found["count"], found["hits"].as_array().unwrap().len());
    // The full query language, filters included.
    let (_, body) = get(&server, "/api/search?q=parse_header%20lang:rust");
    assert_eq!(json(&body)["hits"][0]["path"], "src/lib.rs");
    let (_, body) = get(&server, "/api/search?q=parse_header%20lang:python");
    assert_eq!(json(&body)["count"], 0);
    // Malformed: a bad regex (with its column), a limit out of range, an unknown parameter.
    let (status, body) = get(&server, "/api/search?q=x%20/%5B/");
    assert_eq!(status, 400, "{body}");
    let error = &json(&body)["error"];
    assert_eq!(error["type"], "invalid_request_error");
    assert_eq!(error["code"], "invalid_query");
    assert_eq!(error["param"], "q");
    assert_eq!(error["column"], 3);
    let (status, body) = get(&server, "/api/search?q=x&limit=0");
    assert_eq!(
        (status, json(&body)["error"]["param"].clone()),
        (400, "limit".into())
    );
    let (status, _) = get(&server, "/api/search?q=x&colour=red");
    assert_eq!(status, 400);
    let (status, _) = get(&server, "/api/search");
    assert_eq!(status, 400);
    let (status, body) = get(&server, "/nowhere");
    assert_eq!(
        (status, json(&body)["error"]["type"].clone()),
        (404, "not_found_error".into())
    );
    let (status, body) = get(&server, "/health");
    assert_eq!((status, json(&body)["status"].clone()), (200, "ok".into()));
    server.shutdown().unwrap();
}

#[test]
fn lint_takes_unsaved_text_and_refuses_what_it_cannot_read() {
    let repo = repo();
    let server = start(repo.path(), None, false);
    let request = serde_json::json!({"path": "src/new.py", "text": "import sys\n\n\ndef f():\n    return 1\n"});
    let (status, findings) = post(&server, "/api/lint", &request.to_string());
    assert_eq!(status, 200, "{findings}");
    let finding = &findings[0];
    assert_eq!(finding["rule"], "py/unused-import");
    assert_eq!(finding["path"], "src/new.py");
    assert_eq!(
        (finding["line"].clone(), finding["column"].clone()),
        (1.into(), 8.into())
    );
    assert!(finding["fix"].is_array(), "{finding}");
    // A suppression comment is honoured.
    let quiet = serde_json::json!({"path": "a.py", "text": "import sys  # arbor: ignore[py/unused-import]\n"});
    assert_eq!(
        post(&server, "/api/lint", &quiet.to_string()).1,
        serde_json::json!([])
    );
    for (body, status) in [
        (r#"{"path": "notes.txt", "text": "x"}"#.to_string(), 400),
        ("{not json".to_string(), 400),
        (r#"{"path": "a.py"}"#.to_string(), 400),
        (
            r#"{"path": "a.py", "text": "", "colour": 1}"#.to_string(),
            400,
        ),
    ] {
        let (got, error) = post(&server, "/api/lint", &body);
        assert_eq!(got, status, "{error}");
        assert_eq!(error["error"]["type"], "invalid_request_error", "{error}");
    }
    // A 10 MB body is refused from its Content-Length, before it is read (so a client that
    // keeps writing sees the 413 and a closed connection).
    let head = format!(
        "POST /api/lint HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{{\"path\": \"a.py\", \"text\": \"",
        10 << 20
    );
    let mut stream = std::net::TcpStream::connect(server.address()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    std::io::Write::write_all(&mut stream, head.as_bytes()).unwrap();
    // The answer, without waiting for the connection to close.
    let mut reply = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&reply).contains("invalid_request_error") {
        match std::io::Read::read(&mut stream, &mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => reply.extend_from_slice(&buffer[..n]),
        }
    }
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains("invalid_request_error"), "{reply}");
    // Still serving.
    assert_eq!(get(&server, "/health").0, 200);
    server.shutdown().unwrap();
}

#[test]
fn the_page_and_the_file_view_render_on_the_server() {
    let repo = repo();
    let server = start(repo.path(), None, false);
    post(&server, "/api/index", "");
    let (status, page) = get(&server, "/?q=parse_header");
    assert_eq!(status, 200);
    assert!(page.contains("1 result in"), "{page}");
    assert!(page.contains("href=\"/file/src/lib.rs#L2\""), "{page}");
    assert!(page.contains("<mark>parse_header</mark>"), "{page}");
    assert!(
        page.contains("Parses a &lt;header&gt;."),
        "escaped doc: {page}"
    );
    assert!(
        page.contains("href=\"/?q=parse_header%20lang%3Arust\""),
        "{page}"
    );
    assert!(!page.contains("<script"));
    let (status, page) = get(&server, "/?q=%22unclosed");
    assert_eq!(status, 400);
    assert!(
        page.contains("id=\"error\"") && page.contains("column 1"),
        "{page}"
    );
    let (status, view) = get(&server, "/file/src/lib.rs");
    assert_eq!(status, 200);
    assert!(view.contains("<tr id=\"L2\">"), "{view}");
    assert!(
        view.contains("<span class=\"f\">parse_header</span>"),
        "{view}"
    );
    assert!(
        view.contains("<span class=\"c\">/// Parses a &lt;header&gt;.</span>"),
        "{view}"
    );
    for outside in [
        "/file/../../etc/passwd",
        "/file/%2E%2E/%2E%2E/etc/passwd",
        "/file/.arbor/index/meta.json",
        "/file/src",
    ] {
        assert_eq!(get(&server, outside).0, 404, "{outside}");
    }
    server.shutdown().unwrap();
}

#[test]
fn an_api_key_guards_everything_but_health() {
    let repo = repo();
    let server = start(repo.path(), Some("s3cret"), false);
    assert_eq!(get(&server, "/health").0, 200);
    let (status, body) = get(&server, "/api/search?q=x");
    assert_eq!(
        (status, json(&body)["error"]["code"].clone()),
        (401, "invalid_api_key".into())
    );
    assert_eq!(get(&server, "/?q=x").0, 401);
    assert_eq!(get(&server, "/api/search?q=x&key=wrong").0, 401);
    assert_eq!(get(&server, "/api/search?q=x&key=s3cret").0, 200);
    let url = format!("http://{}/api/search?q=x", server.address());
    let response = agent()
        .get(&url)
        .header("authorization", "Bearer s3cret")
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    // The page keeps the key in its links.
    assert_eq!(post(&server, "/api/index?key=s3cret", "").0, 200);
    let (_, page) = get(&server, "/?q=parse_header&key=s3cret");
    assert!(page.contains("/file/src/lib.rs?key=s3cret#L"), "{page}");
    server.shutdown().unwrap();
}

#[test]
fn the_index_follows_the_files() {
    let repo = repo();
    let server = start(repo.path(), None, true);
    let hits = |q: &str| json(&get(&server, &format!("/api/search?q={q}")).1)["count"].clone();
    eventually("the first update", || hits("load_config") == 1);
    std::fs::write(
        repo.path().join("src/merge.py"),
        "def merge_defaults(a, b):\n    return {**b, **a}\n",
    )
    .unwrap();
    eventually("the new file", || hits("merge_defaults") == 1);
    std::fs::remove_file(repo.path().join("src/config.py")).unwrap();
    eventually("the removal", || hits("load_config") == 0);
    server.shutdown().unwrap();
}

#[test]
fn health_says_when_an_update_of_the_index_failed_until_one_succeeds() {
    let repo = repo();
    let server = start(repo.path(), None, false);
    let health = || json(&get(&server, "/health").1);
    eventually("the first update", || health()["index"] == "ready");
    assert_eq!(health()["update_error"], serde_json::Value::Null);
    // Another process (`arbor index`, say) holds the index's writer lock (tantivy's is a
    // `flock` on this file, as util-linux's `flock` takes it).
    let lock = repo.path().join(".arbor/index/.tantivy-writer.lock");
    let mut holder = std::process::Command::new("flock")
        .arg("-x")
        .arg(&lock)
        .args(["-c", "echo held; read done"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux's flock");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line, "held\n");
    let (status, body) = post(&server, "/api/index", "{}");
    assert!(status >= 400, "{status} {body}");
    let error = health()["update_error"].clone();
    assert!(
        error
            .as_str()
            .is_some_and(|e| e.contains("another process")),
        "{error}"
    );
    // The other process finishes (its stdin closes).
    drop(holder.stdin.take());
    holder.wait().unwrap();
    let (status, body) = post(&server, "/api/index", "{}");
    assert_eq!(status, 200, "{body}");
    assert_eq!(health()["update_error"], serde_json::Value::Null);
}
