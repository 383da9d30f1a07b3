//! The stdio transport: JSON-RPC messages framed by `Content-Length` headers. Unlike
//! lsp-server's own, a malformed message does not end the connection: the client gets a
//! JSON-RPC parse error (`-32700`, id `null`) and the next message is read.

use std::io::{self, BufRead, Write};
use std::sync::{Arc, Mutex};
use std::thread;

use crossbeam_channel::{bounded, Receiver, Sender};
use lsp_server::{Connection, Message};

/// The transport's threads, to wait for once the server is done.
pub struct IoThreads {
    reader: thread::JoinHandle<io::Result<()>>,
    writer: thread::JoinHandle<io::Result<()>>,
}

impl IoThreads {
    /// Waits for the writer to flush what the server sent; the reader is left to end with
    /// stdin (it may be blocked reading it).
    pub fn join(self) -> io::Result<()> {
        drop(self.reader);
        self.writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")))
    }
}

/// One framed message's body, or why it could not be read.
enum Frame {
    Body(Vec<u8>),
    Malformed(String),
}

/// Reads the next frame; `None` at the end of the input.
fn read_frame(input: &mut impl BufRead) -> io::Result<Option<Frame>> {
    let mut length = None;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            if length.is_some() {
                break;
            }
            continue; // blank lines between messages
        }
        match header.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(_) => {
                        return Ok(Some(Frame::Malformed(format!(
                            "bad Content-Length header: {header:?}"
                        ))))
                    }
                }
            }
            Some(_) => {} // Content-Type and the like
            None => return Ok(Some(Frame::Malformed(format!("not a header: {header:?}")))),
        }
    }
    let mut body = vec![0; length.unwrap_or(0)];
    input.read_exact(&mut body)?;
    Ok(Some(Frame::Body(body)))
}

fn write_frame(out: &Mutex<io::Stdout>, text: &str) -> io::Result<()> {
    let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
    write!(out, "Content-Length: {}\r\n\r\n{text}", text.len())?;
    out.flush()
}

/// A parse error response (JSON-RPC: id `null`).
fn parse_error(why: &str) -> String {
    serde_json::json!({
        "jsonrpc": "2.0", "id": null,
        "error": {"code": -32700, "message": format!("arbor lsp: malformed message: {why}")},
    })
    .to_string()
}

/// A connection over stdin and stdout.
pub fn stdio() -> io::Result<(Connection, IoThreads)> {
    let stdout = Arc::new(Mutex::new(io::stdout()));
    let (to_client, outgoing): (Sender<Message>, Receiver<Message>) = bounded(0);
    let out = stdout.clone();
    let writer = thread::Builder::new()
        .name("arbor-lsp-writer".into())
        .spawn(move || {
            for message in outgoing {
                let text = serde_json::to_value(&message)
                    .map(|mut v| {
                        v["jsonrpc"] = "2.0".into();
                        v.to_string()
                    })
                    .map_err(io::Error::other)?;
                write_frame(&out, &text)?;
            }
            Ok(())
        })?;
    let (incoming, from_client) = bounded::<Message>(0);
    let reader = thread::Builder::new()
        .name("arbor-lsp-reader".into())
        .spawn(move || {
            let stdin = io::stdin();
            let mut input = stdin.lock();
            while let Some(frame) = read_frame(&mut input)? {
                let message = match frame {
                    Frame::Malformed(why) => Err(why),
                    Frame::Body(body) => {
                        serde_json::from_slice::<Message>(&body).map_err(|e| e.to_string())
                    }
                };
                match message {
                    Ok(message) => {
                        let exit =
                            matches!(&message, Message::Notification(n) if n.method == "exit");
                        if incoming.send(message).is_err() || exit {
                            break;
                        }
                    }
                    Err(why) => write_frame(&stdout, &parse_error(&why))?,
                }
            }
            Ok(())
        })?;
    Ok((
        Connection {
            sender: to_client,
            receiver: from_client,
        },
        IoThreads { reader, writer },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_and_a_bad_header_is_reported_not_fatal() {
        let input = "Content-Length: 2\r\n\r\n{}\r\nbogus line\r\n\r\nContent-Length: 3\r\nContent-Type: x\r\n\r\n[1]";
        let mut reader = io::BufReader::new(input.as_bytes());
        assert!(matches!(read_frame(&mut reader).unwrap(), Some(Frame::Body(b)) if b == b"{}"));
        assert!(matches!(
            read_frame(&mut reader).unwrap(),
            Some(Frame::Malformed(_))
        ));
        assert!(matches!(read_frame(&mut reader).unwrap(), Some(Frame::Body(b)) if b == b"[1]"));
        assert!(read_frame(&mut reader).unwrap().is_none());
    }
}
