//! Running the `arbor` binary in the CLI test suites.
//!
//! Only the suites of the `arbor-cli` package know where cargo built the binary
//! (`env!("CARGO_BIN_EXE_arbor")` is set for that package's tests alone), so they pass its path:
//!
//! ```ignore
//! fn arbor(dir: &Path, args: &[&str]) -> Output {
//!     arbor_testkit::cli::run(env!("CARGO_BIN_EXE_arbor"), dir, args)
//! }
//! ```

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `BIN ARGS…` in `dir`, stdin closed, output captured.
///
/// # Panics
///
/// If the binary cannot be run.
pub fn run(bin: impl AsRef<OsStr>, dir: &Path, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run arbor")
}

/// `BIN ARGS…` in `dir` like [`run`], killed (and the test failed) if it has not finished
/// after `seconds`: for inputs that once made it hang.
///
/// # Panics
///
/// If the binary cannot be run or is still running after `seconds`.
pub fn run_within(bin: impl AsRef<OsStr>, dir: &Path, args: &[&str], seconds: u64) -> Output {
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run arbor");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while child.try_wait().expect("wait for arbor").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("arbor {args:?} still ran after {seconds} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("arbor's output")
}
