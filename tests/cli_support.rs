//! Running the `arbor` binary in the CLI test suites (included with `#[path]`).

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
