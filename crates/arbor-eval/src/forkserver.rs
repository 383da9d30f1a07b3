//! The sample server: a `python3` inside the sandbox that forks a fresh child for each sample
//! (see `forkserver.py`). Kept warm (`serve`), a child starts in about a millisecond with the
//! usual modules already imported, where a new interpreter takes ten and `import typing` ten
//! more; started per sample (`once`), it is a new interpreter for every sample.
//!
//! The server, not the sample, says whether the tests ran to the end: its child's runner
//! connects back to it only after every unit returned (see the module comment of
//! `forkserver.py` for why a sample cannot fake that).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command};
use std::sync::{mpsc, Mutex, OnceLock};
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

/// A finished child.
#[derive(Debug)]
pub struct Finished {
    /// How it ended.
    pub ended: Ended,
    /// Whether its runner reported that every unit returned.
    pub done: bool,
    /// The tail of its stderr.
    pub stderr: Vec<u8>,
    /// The tail of its stdout, when the request asked for it (else empty).
    pub stdout: Vec<u8>,
}

/// What became of a request.
#[derive(Debug)]
pub enum Reply {
    /// The child ended; the server is ready for the next request.
    Ended(Finished),
    /// No answer within the time limit.
    TimedOut,
    /// The server died (the sample killed it) or broke the protocol.
    Lost,
    /// The server was gone before it started a child: the sample never ran (a server that
    /// died while idle), so it may run on another.
    NotStarted,
}

/// One sample for the server.
#[derive(Debug)]
pub struct Request<'a> {
    /// Python source run one after the other in one module: the sample's code, then the tests.
    pub units: &'a [&'a str],
    /// `--strict`: the reference solution's source and the entry point whose return types
    /// are checked against it.
    pub reference: Option<(&'a str, &'a str)>,
    /// Whether the reply carries the tail of the child's stdout.
    pub want_stdout: bool,
}

/// Messages of the server, read on a thread.
enum Message {
    Ready(bool),
    Started(u32),
    End(Finished),
    Broken(String),
}

/// A running server.
pub struct ForkServer {
    child: Child,
    requests: ChildStdin,
    replies: mpsc::Receiver<Message>,
    /// The process group of a child still running (0: none, or not visible from here).
    child_group: u32,
    /// Whether the server made itself non-dumpable (its memory and pipes out of the samples'
    /// reach through /proc).
    pub undumpable: bool,
}

impl std::fmt::Debug for ForkServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForkServer")
            .field("pid", &self.pid())
            .finish()
    }
}

/// Reads the server's messages: lines, and after an `end` line the child's stderr.
fn read_messages(stdout: impl Read, cap: usize, tx: mpsc::Sender<Message>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&line).trim_end().to_string();
        let words: Vec<&str> = line.split(' ').collect();
        let message = match words.as_slice() {
            ["ready", flag] => Message::Ready(*flag == "undumpable"),
            ["started", pid] => match pid.parse() {
                Ok(pid) => Message::Started(pid),
                Err(_) => Message::Broken(line.clone()),
            },
            ["end", kind, value, done, err, out @ ..] if out.len() <= 1 => {
                let out = out.first().map_or(Ok(0), |n| n.parse::<usize>());
                let (Ok(value), Ok(err), Ok(out)) =
                    (value.parse::<i32>(), err.parse::<usize>(), out)
                else {
                    let _ = tx.send(Message::Broken(line.clone()));
                    return;
                };
                if err > cap || out > cap {
                    let _ = tx.send(Message::Broken(line.clone()));
                    return;
                }
                let ended = match *kind {
                    "signal" => Ended::Signal(value),
                    _ => Ended::Exit(value),
                };
                let mut stderr = vec![0; err];
                let mut stdout = vec![0; out];
                if reader.read_exact(&mut stderr).is_err()
                    || reader.read_exact(&mut stdout).is_err()
                {
                    return;
                }
                Message::End(Finished {
                    ended,
                    done: *done == "1",
                    stderr,
                    stdout,
                })
            }
            _ => Message::Broken(line.clone()),
        };
        if tx.send(message).is_err() {
            return;
        }
    }
}

/// A request to the spawner thread: the command, and where its child goes.
type Spawn = (Command, mpsc::Sender<std::io::Result<Child>>);

/// Spawns `command` from one thread that lives as long as the process.
///
/// bubblewrap's `--die-with-parent` (`PR_SET_PDEATHSIG`) fires when the *thread* that
/// spawned it ends, not the process: a warm server started by a worker of a thread pool that
/// is dropped afterwards would be killed while idle, or, worse, just after it took the next
/// sample, which would then fail for nothing it did. Started from this thread, a server dies
/// with the process and only with it.
fn spawn_on_a_lasting_thread(mut command: Command) -> std::io::Result<Child> {
    static SPAWNER: OnceLock<Option<Mutex<mpsc::Sender<Spawn>>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Spawn>();
        std::thread::Builder::new()
            .name("arbor-sandbox-spawner".into())
            .spawn(move || {
                for (mut command, reply) in rx {
                    let _ = reply.send(command.spawn());
                }
            })
            .ok()
            .map(|_| Mutex::new(tx))
    });
    let Some(spawner) = spawner else {
        // No thread could be made: a server that dies with this thread is still a server.
        return command.spawn();
    };
    let (reply, child) = mpsc::channel();
    let sent = spawner
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((command, reply));
    match sent {
        Ok(()) => child
            .recv()
            .unwrap_or_else(|_| Err(std::io::Error::other("the spawner thread is gone"))),
        Err(mpsc::SendError((mut command, _))) => command.spawn(),
    }
}

impl ForkServer {
    /// Starts `command` (the sandbox's interpreter chain, ending in `python3 -I -S -c
    /// SOURCE …`) and waits up to `startup` for it to be ready; `cap` is the most bytes of
    /// stderr it may send.
    pub fn start(command: Command, startup: Duration, cap: usize) -> std::io::Result<Self> {
        let mut child = spawn_on_a_lasting_thread(command)?;
        let requests = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, replies) = mpsc::channel();
        std::thread::spawn(move || read_messages(stdout, cap, tx));
        let mut server = ForkServer {
            child,
            requests,
            replies,
            child_group: 0,
            undumpable: false,
        };
        match server.replies.recv_timeout(startup) {
            Ok(Message::Ready(undumpable)) => {
                server.undumpable = undumpable;
                Ok(server)
            }
            Ok(Message::Broken(line)) => Err(protocol(&line)),
            Ok(_) => Err(std::io::Error::other("the sample server did not say ready")),
            Err(_) => Err(std::io::Error::other("the sample server did not start")),
        }
    }

    /// Whether the server process is still running.
    #[cfg(test)]
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The server's process id (outside any namespace).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Runs `request` in a fresh child; waits up to `timeout` for it to end.
    pub fn run(&mut self, request: &Request<'_>, timeout: Duration) -> std::io::Result<Reply> {
        let (reference, entry) = request.reference.unwrap_or(("", "-"));
        if request.units.is_empty() || request.units.len() > 2 || entry.is_empty() {
            return Err(std::io::Error::other("a request needs one or two units"));
        }
        if entry.chars().any(char::is_whitespace) {
            return Err(std::io::Error::other("an entry point with spaces"));
        }
        let second = request.units.get(1).copied().unwrap_or("");
        let mut bytes = format!(
            "run {} {} {} {entry}{}\n",
            request.units[0].len(),
            second.len(),
            reference.len(),
            if request.want_stdout { " out" } else { "" }
        )
        .into_bytes();
        for part in [request.units[0], second, reference] {
            bytes.extend_from_slice(part.as_bytes());
        }
        if self.requests.write_all(&bytes).is_err() || self.requests.flush().is_err() {
            return Ok(Reply::NotStarted);
        }
        let started = std::time::Instant::now();
        match self.replies.recv_timeout(timeout) {
            Ok(Message::Started(pid)) => self.child_group = pid,
            Ok(Message::Broken(line)) => return Err(protocol(&line)),
            Ok(_) => return Ok(Reply::Lost),
            Err(mpsc::RecvTimeoutError::Timeout) => return Ok(Reply::TimedOut),
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(Reply::NotStarted),
        }
        let left = timeout.saturating_sub(started.elapsed());
        let reply = match self.replies.recv_timeout(left) {
            Ok(Message::End(finished)) => Reply::Ended(finished),
            Ok(Message::Broken(line)) => return Err(protocol(&line)),
            Ok(_) => Reply::Lost,
            Err(mpsc::RecvTimeoutError::Timeout) => Reply::TimedOut,
            Err(mpsc::RecvTimeoutError::Disconnected) => Reply::Lost,
        };
        if matches!(reply, Reply::Ended(_)) {
            self.child_group = 0;
        }
        Ok(reply)
    }
}

impl ForkServer {
    /// Closes a server that serves one request (`once`) and has answered it: waits a moment
    /// for it to exit on its own before dropping (and so killing) it.
    pub fn close(mut self) {
        let until = std::time::Instant::now() + Duration::from_secs(1);
        while std::time::Instant::now() < until {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

fn protocol(line: &str) -> std::io::Error {
    let line: String = line.chars().take(200).collect();
    std::io::Error::other(format!("the sample server said `{}`", line.escape_debug()))
}

impl Drop for ForkServer {
    /// Kills a child still running (its own process group), then the server with its
    /// process group; in a PID namespace the server's death takes every process of the
    /// namespace with it.
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
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
