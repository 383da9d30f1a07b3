//! `arbor lsp` as an editor starts it: over stdio, where a malformed message gets a JSON-RPC
//! parse error and the server goes on, and shutdown then exit end it with status 0.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// The messages of `out`, in order.
fn messages(out: &[u8]) -> Vec<serde_json::Value> {
    let mut reader = BufReader::new(out);
    let mut found = Vec::new();
    loop {
        let mut length = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 {
                return found;
            }
            let line = line.trim();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = Some(n.parse::<usize>().unwrap());
            }
        }
        let mut body = vec![0; length.unwrap()];
        reader.read_exact(&mut body).unwrap();
        found.push(serde_json::from_slice(&body).unwrap());
    }
}

/// `arbor lsp` in a fresh folder, sent `bodies` (each framed) and then the end of its input;
/// what it wrote and how it ended.
fn session(bodies: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_arbor"))
        .arg("lsp")
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    for body in bodies {
        input.write_all(&frame(body)).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

#[test]
fn malformed_messages_get_parse_errors_and_the_server_goes_on() {
    let output = session(&[
        "{not json",
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
        r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
        r#"{"jsonrpc":"2.0","method":"no id, no params"}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"frobnicate","params":{}}"#,
        r#"{"jsonrpc":"2.0","id":3,"method":"shutdown"}"#,
        r#"{"jsonrpc":"2.0","method":"exit"}"#,
    ]);
    assert!(output.status.success(), "{:?}", output.status);
    let messages = messages(&output.stdout);
    assert_eq!(messages[0]["id"], serde_json::Value::Null);
    assert_eq!(messages[0]["error"]["code"], -32700);
    assert_eq!(messages[1]["id"], 1);
    assert!(messages[1]["result"]["capabilities"]["codeActionProvider"].is_object());
    let unknown = messages.iter().find(|m| m["id"] == 2).unwrap();
    assert_eq!(unknown["error"]["code"], -32601);
    let shutdown = messages.iter().find(|m| m["id"] == 3).unwrap();
    assert_eq!(shutdown["result"], serde_json::Value::Null);
}

#[test]
fn an_initialize_it_cannot_read_is_answered_before_the_server_stops() {
    let output =
        session(&[r#"{"jsonrpc":"2.0","id":7,"method":"initialize","params":{"capabilities":3}}"#]);
    assert_eq!(output.status.code(), Some(2), "an input error");
    let messages = messages(&output.stdout);
    assert_eq!(messages[0]["id"], 7);
    assert_eq!(messages[0]["error"]["code"], -32602);
    assert!(String::from_utf8_lossy(&output.stderr).contains("initialize"));
}
