//! Diff mode: keep only findings on lines changed since a git revision (and in untracked files).
//!
//! Runs the `git` command line (as reviewdog and pre-commit do) rather than linking libgit2:
//! it is on every machine that has a repository, and it honours the user's git configuration.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::LintError;
use crate::rule::Finding;

/// Lines changed per file (absolute, canonical paths); `None` means the whole file is new.
#[derive(Debug, Default)]
pub struct ChangedLines {
    files: HashMap<PathBuf, Option<Vec<(usize, usize)>>>,
}

fn git(dir: &Path, args: &[&str]) -> Result<String, LintError> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|source| LintError::Io {
            path: PathBuf::from("git"),
            source,
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(LintError::Config {
            path: PathBuf::from(format!("git {}", args.join(" "))),
            message: stderr.lines().next().unwrap_or("failed").trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

impl ChangedLines {
    /// The lines changed between `rev` and the working tree of the repository holding `dir`.
    pub fn since(dir: &Path, rev: &str) -> Result<ChangedLines, LintError> {
        let top = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?.trim());
        let diff = git(
            &top,
            &[
                "diff",
                "--no-color",
                "--no-ext-diff",
                "--unified=0",
                rev,
                "--",
            ],
        )?;
        let mut changed = ChangedLines::default();
        let mut current: Option<PathBuf> = None;
        for line in diff.lines() {
            if let Some(path) = line.strip_prefix("+++ ") {
                current = path.strip_prefix("b/").map(|p| canonical(&top.join(p)));
                if let Some(file) = &current {
                    changed
                        .files
                        .entry(file.clone())
                        .or_insert_with(|| Some(Vec::new()));
                }
            } else if let (Some(hunk), Some(file)) = (line.strip_prefix("@@ "), &current) {
                // @@ -a,b +c,d @@: lines c .. c+d-1 of the new file (d defaults to 1).
                let Some(new) = hunk.split_whitespace().find(|w| w.starts_with('+')) else {
                    continue;
                };
                let mut parts = new[1..].split(',');
                let start: usize = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                let count: usize = parts.next().and_then(|s| s.parse().ok()).unwrap_or(1);
                if count > 0 {
                    if let Some(Some(ranges)) = changed.files.get_mut(file) {
                        ranges.push((start, start + count - 1));
                    }
                }
            }
        }
        for path in git(&top, &["ls-files", "--others", "--exclude-standard"])?.lines() {
            changed.files.insert(canonical(&top.join(path)), None);
        }
        Ok(changed)
    }

    /// Whether the finding is on a changed line. Findings name paths relative to `cwd`.
    pub fn contains(&self, cwd: &Path, finding: &Finding) -> bool {
        let path = canonical(&cwd.join(&finding.path));
        match self.files.get(&path) {
            Some(None) => true,
            Some(Some(ranges)) => ranges
                .iter()
                .any(|&(a, b)| a <= finding.location.line && finding.location.line <= b),
            None => false,
        }
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}
