//! JavaScript samples, run by node.
//!
//! A program is the harness (`harness.js`: what the checks use, taken before the sample can
//! replace it), the sample's code, its test and a last line that prints the sandbox's nonce.
//! node reads it from stdin (no file holds it) under its permission model (no file system,
//! no child processes, no workers, no native addons) inside the same isolation as a Python
//! sample, with the same resource limits through `prlimit`. The sample passes when node
//! exits 0 after printing the nonce: a sample that exits early, or throws, fails.
//!
//! What differs from running the file with `node FILE`: the program is a script after the
//! harness, so a `"use strict"` directive at the top of the sample is an expression (the
//! code runs sloppy unless its functions say otherwise), and a `#!` line is made a comment.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{Sandbox, Verdict, View, NOBODY};

/// The harness, put before the sample's code.
pub const HARNESS: &str = include_str!("../harness.js");

/// The node that runs JavaScript samples.
#[derive(Debug, Clone)]
pub(super) struct Node {
    /// The executable (links resolved).
    program: PathBuf,
    /// The permission model's flag this node takes (`--permission` from node 22 on,
    /// `--experimental-permission` in node 20), if any.
    permission: Option<&'static str>,
    /// Its installation prefix, when bubblewrap does not show it anyway.
    prefix: Option<PathBuf>,
}

/// Finds node: `explicit`, else `node` on PATH. The error says what is missing.
pub(super) fn find_node(explicit: Option<&Path>) -> Result<Node, String> {
    let program = match explicit {
        Some(path) => path.to_path_buf(),
        None => super::find_program("node").ok_or_else(|| {
            "no node on PATH for JavaScript problems (install Node.js)".to_string()
        })?,
    };
    let program = std::fs::canonicalize(&program)
        .map_err(|e| format!("no node at {}: {e}", program.display()))?;
    let runs = |flag: &str| {
        let mut command = Command::new(&program);
        if !flag.is_empty() {
            command.arg(flag);
        }
        command
            .args(["--no-warnings", "-e", ""])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !runs("") {
        return Err(format!(
            "{} does not run JavaScript (`node -e ''` failed)",
            program.display()
        ));
    }
    let permission = ["--permission", "--experimental-permission"]
        .into_iter()
        .find(|flag| runs(flag));
    // .../bin/node: the prefix holds its libraries too.
    let prefix = program
        .parent()
        .and_then(Path::parent)
        .filter(|p| !super::shown_by_default(p) && *p != Path::new("/"))
        .map(Path::to_path_buf);
    Ok(Node {
        program,
        permission,
        prefix,
    })
}

/// The program node runs: the harness, `code` (a leading `#!` line made a comment), `test`,
/// and the line that prints `nonce`.
pub(super) fn program(code: &str, test: &str, nonce: &str) -> String {
    let code = match code.strip_prefix("#!") {
        Some(rest) => format!("//#!{rest}"),
        None => code.to_string(),
    };
    format!("{HARNESS}\n{code}\n;\n{test}\n;\n__arbor.done({nonce:?});\n")
}

/// Why a JavaScript program failed, from what node printed: the uncaught error's line
/// (`TypeError: x is not a function`, `Error: line 4: add(1, 2) // 3: got 4`), else the
/// exit status.
pub(super) fn failure_reason(stderr: &str, _stdout: &str, code: Option<i32>) -> String {
    let error = stderr.lines().map(str::trim).find(|line| {
        let head = line.split([':', ' ']).next().unwrap_or("");
        (head.ends_with("Error") || head == "Uncaught")
            && head.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && line.len() > head.len()
    });
    if let Some(line) = error {
        return line.chars().take(300).collect();
    }
    match code {
        Some(0) => "the program ended before its last line ran".into(),
        Some(c) => format!("exit status {c}"),
        None => "no exit status".into(),
    }
}

impl Sandbox {
    /// node, found on first use.
    pub(super) fn node(&self) -> Result<Node, String> {
        self.node
            .get_or_init(|| find_node(self.options.node.as_deref()))
            .clone()
    }

    /// Runs `code` then `test` as one JavaScript program: the verdict and the tail of its
    /// stdout (the harness's and nonce lines included).
    pub(super) fn execute_javascript(
        &self,
        code: &str,
        test: &str,
    ) -> std::io::Result<(Verdict, Vec<u8>)> {
        let node = self.node().map_err(std::io::Error::other)?;
        let dir = tempfile::Builder::new().prefix("arbor-eval-").tempdir()?;
        if self.isolation.as_nobody {
            std::os::unix::fs::chown(dir.path(), Some(NOBODY), Some(NOBODY))?;
        }
        let home = self.home(dir.path())?;
        let program_path = node.program.to_string_lossy();
        let mut args: Vec<&str> = vec![&program_path];
        args.extend(node.permission);
        args.extend(["--no-warnings", "-"]);
        let view = View {
            read_only: node.prefix.iter().map(PathBuf::as_path).collect(),
            work: Some(dir.path()),
            ..View::default()
        };
        let env = [("HOME", home), ("TMPDIR", home)];
        let source = program(code, test, &self.nonce);
        self.run_limited(&args, &view, &env, Some(source.as_bytes()), failure_reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shebang_becomes_a_comment_and_the_nonce_line_comes_last() {
        let source = program("#!/usr/bin/env node\nconst x = 1;", "check();", "n-1");
        assert!(source.starts_with(HARNESS));
        assert!(source.contains("\n//#!/usr/bin/env node\nconst x = 1;\n"));
        assert!(source.ends_with("__arbor.done(\"n-1\");\n"));
    }

    #[test]
    fn the_reason_is_the_uncaught_error() {
        let stderr = "[stdin]:120\n    throw new ErrorClass(first);\n    ^\n\nError: line 4: add(1, 2) // 3: got 4\n    at examples ([stdin]:120:11)\n";
        assert_eq!(
            failure_reason(stderr, "", Some(1)),
            "Error: line 4: add(1, 2) // 3: got 4"
        );
        let stderr = "[stdin]:3\nfoo(;\n    ^\n\nSyntaxError: Unexpected token ';'\n";
        assert_eq!(
            failure_reason(stderr, "", Some(1)),
            "SyntaxError: Unexpected token ';'"
        );
        assert_eq!(
            failure_reason("", "", Some(0)),
            "the program ended before its last line ran"
        );
        assert_eq!(failure_reason("x\n", "", Some(3)), "exit status 3");
    }
}
