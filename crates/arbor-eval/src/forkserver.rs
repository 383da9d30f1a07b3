//! The fork server: one warm `python3` per worker that forks a fresh child for each sample
//! (see `forkserver.py`). A child starts in about a millisecond with the usual modules
//! already imported, where a new interpreter takes ten and `import typing` ten more.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command};
use std::sync::mpsc;
use std::time::Duration;

/// The server's source, run with `python3 -I -S -c`.
pub const SOURCE: &str = include_str!("forkserver.py");

/// How a child ended, as the server reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Exit status.
    Exit(i32),
    /// Killed by this signal.
    Signal(i32),
}

/// What became of a request.
#[derive(Debug)]
pub enum Reply {
    /// The child ended; the server is ready for the next request.
    Ended(Ended),
    /// No answer within the time limit.
    TimedOut,
    /// The server died (the sample killed it).
    Lost,
}

/// A running server.
pub struct ForkServer {
    child: Child,
    requests: ChildStdin,
    replies: mpsc::Receiver<String>,
    /// The process group of a child still running (0: none, or not visible from here).
    child_group: u32,
}

impl std::fmt::Debug for ForkServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForkServer")
            .field("pid", &self.child.id())
            .finish()
    }
}

impl ForkServer {
    /// Starts `command` (the sandbox's interpreter chain, ending in `python3 -I -S -c
    /// SOURCE`) and waits up to `startup` for it to be ready.
    pub fn start(mut command: Command, startup: Duration) -> std::io::Result<ForkServer> {
        let mut child = command.spawn()?;
        let requests = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, replies) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let server = ForkServer {
            child,
            requests,
            replies,
            child_group: 0,
        };
        match server.replies.recv_timeout(startup) {
            Ok(line) if line == "ready" => Ok(server),
            Ok(line) => Err(std::io::Error::other(format!(
                "the fork server said `{line}` instead of ready"
            ))),
            Err(_) => Err(std::io::Error::other("the fork server did not start")),
        }
    }

    /// Runs `source` in a child working in `dir`; waits up to `timeout` for it to end.
    pub fn run(&mut self, dir: &Path, source: &str, timeout: Duration) -> std::io::Result<Reply> {
        let dir = dir
            .to_str()
            .filter(|d| !d.contains('\n'))
            .ok_or_else(|| std::io::Error::other("a temporary directory with an odd name"))?;
        let request = format!("{dir}\n{}\n{source}", source.len());
        if self.requests.write_all(request.as_bytes()).is_err() || self.requests.flush().is_err() {
            return Ok(Reply::Lost);
        }
        let started = std::time::Instant::now();
        let child = match self.replies.recv_timeout(timeout) {
            Ok(line) => match line.strip_prefix("started ").map(str::parse::<u32>) {
                Some(Ok(pid)) => pid,
                _ => return Err(protocol(&line)),
            },
            Err(mpsc::RecvTimeoutError::Timeout) => return Ok(Reply::TimedOut),
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(Reply::Lost),
        };
        self.child_group = child;
        let left = timeout.saturating_sub(started.elapsed());
        let reply = match self.replies.recv_timeout(left) {
            Ok(line) => {
                let mut parts = line.split(' ');
                let ended = match (parts.next(), parts.next().map(str::parse::<i32>)) {
                    (Some("exit"), Some(Ok(code))) => Ended::Exit(code),
                    (Some("signal"), Some(Ok(signal))) => Ended::Signal(signal),
                    _ => return Err(protocol(&line)),
                };
                Reply::Ended(ended)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => Reply::TimedOut,
            Err(mpsc::RecvTimeoutError::Disconnected) => Reply::Lost,
        };
        if matches!(reply, Reply::Ended(_)) {
            self.child_group = 0;
        }
        Ok(reply)
    }
}

fn protocol(line: &str) -> std::io::Error {
    std::io::Error::other(format!("the fork server said `{line}`"))
}

impl Drop for ForkServer {
    /// Kills a child still running (its own process group), then the server with its
    /// process group; in a PID namespace the server's death takes every process of the
    /// namespace with it.
    fn drop(&mut self) {
        let pid = self.child.id();
        let mut targets = vec![format!("-{pid}"), pid.to_string()];
        if self.child_group != 0 {
            targets.insert(0, format!("-{}", self.child_group));
        }
        for target in targets {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &target])
                .stderr(std::process::Stdio::null())
                .status();
        }
        let _ = self.child.wait();
    }
}

/// The last `cap` bytes of the file a child wrote: not following a symbolic link, not
/// blocking on a FIFO, nothing but a regular file (the child could have replaced it).
pub fn read_tail(path: &Path, cap: usize) -> Vec<u8> {
    let Ok(mut file) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    else {
        return Vec::new();
    };
    let Ok(meta) = file.metadata() else {
        return Vec::new();
    };
    if !meta.is_file() {
        return Vec::new();
    }
    if meta.len() > cap as u64 && file.seek(SeekFrom::End(-(cap as i64))).is_err() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let _ = file.take(cap as u64).read_to_end(&mut out);
    out
}
