//! Running the `arbor` binary in the CLI test suites (included with `#[path]`).

// Not every suite that includes this file uses every helper.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// `arbor ARGS…` in `dir`, stdin closed, output captured.
pub fn arbor(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arbor"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run arbor")
}

/// `arbor ARGS…` in `dir` like [`arbor`], killed (and the test failed) if it has not finished
/// after `seconds`: for inputs that once made it hang.
pub fn arbor_within(dir: &Path, args: &[&str], seconds: u64) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_arbor"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run arbor");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while child.try_wait().expect("wait for arbor").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("arbor {args:?} still ran after {seconds} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("arbor's output")
}
