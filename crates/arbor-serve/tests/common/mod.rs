//! What the server's integration tests share: starting a server on a folder, and plain HTTP
//! calls to it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use arbor_serve::{RunningServer, ServeOptions};

/// The tests' options for a server on `repo`: loopback, any free port, the index in
/// `.arbor/index`, no key, no watching, 4 slots.
pub fn options(repo: &std::path::Path) -> ServeOptions {
    ServeOptions {
        repo: repo.to_path_buf(),
        index_dir: repo.join(".arbor/index"),
        host: "127.0.0.1".into(),
        port: 0,
        api_key: None,
        watch: false,
        slots: 4,
    }
}

/// Starts a server on `repo` ([`options`]) with `loader`'s model.
pub fn serve(repo: &std::path::Path, loader: Option<arbor_serve::ModelLoader>) -> RunningServer {
    arbor_serve::start(options(repo), loader).unwrap()
}

/// `(status, JSON body)` of a GET.
pub fn get(server: &RunningServer, path: &str) -> (u16, serde_json::Value) {
    let url = format!("http://{}{path}", server.address());
    let mut response = agent().get(&url).call().unwrap();
    let status = response.status().as_u16();
    (status, json(&response.body_mut().read_to_string().unwrap()))
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// `(status, body text)` of a POST of `body`.
pub fn post(server: &RunningServer, path: &str, body: &serde_json::Value) -> (u16, String) {
    let url = format!("http://{}{path}", server.address());
    let mut response = agent()
        .post(&url)
        .header("content-type", "application/json")
        .send(body.to_string())
        .unwrap();
    (
        response.status().as_u16(),
        response.body_mut().read_to_string().unwrap(),
    )
}

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Waits (at most 20 s) until `/health` says the model is loaded and counts no generation
/// queued or running.
pub fn wait_until_idle(server: &RunningServer) {
    let health = || get(server, "/health").1;
    let until = Instant::now() + Duration::from_secs(20);
    while health()["generating"] != 0 {
        assert!(Instant::now() < until, "generations went on: {}", health());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The `data:` payloads of an event stream.
pub fn events(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
        .map(|d| d.trim().to_string())
        .collect()
}

/// A connection that has asked for a long streamed completion (2,000 pieces).
pub fn long_stream(server: &RunningServer) -> std::net::TcpStream {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(server.address()).unwrap();
    let body = r#"{"prompt": "x", "stream": true, "max_tokens": 2000}"#;
    write!(
        stream,
        "POST /v1/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    stream
}
