//! Diff mode: keep only findings on lines changed since a git revision (and in untracked files).
//!
//! Runs the `git` command line (as reviewdog and pre-commit do) rather than linking libgit2:
//! it is on every machine that has a repository, and it honours the user's git configuration.
//!
//! The revision comes from the user, so it never reaches git where an option could: it is
//! resolved with `git rev-parse --verify --end-of-options REV^{commit}` first, and only the
//! commit id that comes back is handed to `git diff`. File names are read NUL-separated (`-z`),
//! and the names in the patch's `+++` headers, which git quotes C-style when they hold tabs,
//! quotes, backslashes or control characters (and ends with a tab when they hold a space), are
//! decoded and checked against that list, so no changed file is dropped silently.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::LintError;
use crate::rule::Finding;

/// Lines changed per file (absolute, canonical paths); `None` means the whole file is new.
#[derive(Debug, Default)]
pub struct ChangedLines {
    files: HashMap<PathBuf, Option<Vec<(usize, usize)>>>,
}

/// Runs git in `dir` with options that make its output independent of the user's configuration
/// where it matters for parsing (no colour, no external diff driver, no quoting of non-ASCII).
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, LintError> {
    let output = Command::new("git")
        .args(["-c", "core.quotepath=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|source| LintError::Io {
            path: PathBuf::from("git"),
            source,
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(LintError::Diff(format!(
            "git {}: {}",
            args.first().copied().unwrap_or_default(),
            stderr.lines().next().unwrap_or("failed").trim()
        )));
    }
    Ok(output.stdout)
}

/// A path from git's bytes (git stores names as bytes; on Unix they need not be UTF-8).
fn os_path(bytes: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        PathBuf::from(OsString::from_vec(bytes.to_vec()))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(OsString::from(String::from_utf8_lossy(bytes).into_owned()))
    }
}

/// The names in NUL-separated git output (`-z`).
fn nul_separated(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes.split(|&b| b == 0).filter(|name| !name.is_empty())
}

/// Resolves the user's revision to a commit id, refusing anything git would read as an option
/// or that does not name a commit.
pub fn resolve_commit(dir: &Path, rev: &str) -> Result<String, LintError> {
    let bad = || {
        LintError::Diff(format!(
            "`{}` is not a commit in this repository",
            rev.escape_debug()
        ))
    };
    if rev.is_empty() || rev.starts_with('-') || rev.contains('\0') {
        return Err(bad());
    }
    let spec = format!("{rev}^{{commit}}");
    let stdout = git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
    )
    .map_err(|e| match e {
        LintError::Diff(_) => bad(),
        other => other,
    })?;
    let id = String::from_utf8_lossy(&stdout).trim().to_string();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok(id)
}

/// Decodes a name from a patch header: `b/name`, `b/name<TAB>` (git ends names that hold a space
/// with a tab), or `"b/na\tme"` (C-style quoting). `None` for `/dev/null` or a malformed name.
fn header_name(raw: &[u8]) -> Option<Vec<u8>> {
    let name = if raw.first() == Some(&b'"') {
        unquote_c(raw)?
    } else {
        let end = raw.iter().position(|&b| b == b'\t').unwrap_or(raw.len());
        raw[..end].to_vec()
    };
    name.strip_prefix(b"b/").map(<[u8]>::to_vec)
}

/// Git's C-style quoted name (`quote_c_style`): `"…"` with `\a \b \t \n \v \f \r \" \\` and
/// three-digit octal escapes. `None` when it is not such a string.
fn unquote_c(raw: &[u8]) -> Option<Vec<u8>> {
    let inner = raw.strip_prefix(b"\"")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        match inner[i] {
            b'"' => return Some(out),
            b'\\' => {
                let c = *inner.get(i + 1)?;
                i += 2;
                out.push(match c {
                    b'a' => 0x07,
                    b'b' => 0x08,
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'v' => 0x0b,
                    b'f' => 0x0c,
                    b'r' => b'\r',
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'0'..=b'7' => {
                        let digits = inner.get(i - 1..i + 2)?;
                        if !digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
                            return None;
                        }
                        i += 2;
                        digits
                            .iter()
                            .fold(0u32, |n, d| n * 8 + u32::from(d - b'0'))
                            .try_into()
                            .ok()?
                    }
                    _ => return None,
                });
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    None
}

/// `-a,b +c,d` of a hunk header: (old count, new start, new count). Counts default to 1.
fn hunk_header(line: &[u8]) -> Option<(usize, usize, usize)> {
    let text = std::str::from_utf8(line.strip_prefix(b"@@ ")?).ok()?;
    let mut words = text.split_whitespace();
    let range = |word: &str, sign: char| -> Option<(usize, usize)> {
        let mut parts = word.strip_prefix(sign)?.split(',');
        let start = parts.next()?.parse().ok()?;
        let count = match parts.next() {
            Some(count) => count.parse().ok()?,
            None => 1,
        };
        Some((start, count))
    };
    let (_, old_count) = range(words.next()?, '-')?;
    let (new_start, new_count) = range(words.next()?, '+')?;
    Some((old_count, new_start, new_count))
}

impl ChangedLines {
    /// The lines changed between `rev` and the working tree of the repository holding `dir`.
    ///
    /// Errors when `rev` is not a commit (or looks like an option), or when git's output names
    /// a file that is not among the changed files it listed.
    pub fn since(dir: &Path, rev: &str) -> Result<ChangedLines, LintError> {
        let top = git(dir, &["rev-parse", "--show-toplevel"])?;
        let top = os_path(
            String::from_utf8_lossy(&top)
                .trim_end_matches('\n')
                .as_bytes(),
        );
        let commit = resolve_commit(&top, rev)?;
        let common = [
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--ignore-submodules",
        ];
        let mut names_args = vec!["diff", "-z", "--name-only"];
        names_args.extend(common);
        names_args.extend(["--end-of-options", &commit, "--"]);
        let listed: HashSet<Vec<u8>> = nul_separated(&git(&top, &names_args)?)
            .map(<[u8]>::to_vec)
            .collect();
        let mut patch_args = vec!["diff", "--unified=0", "--src-prefix=a/", "--dst-prefix=b/"];
        patch_args.extend(common);
        patch_args.extend(["--end-of-options", &commit, "--"]);
        let patch = git(&top, &patch_args)?;

        let mut changed = ChangedLines::default();
        for name in &listed {
            // Files without a `+++` header (binary, mode-only, deleted) have no changed lines.
            changed
                .files
                .insert(canonical(&top.join(os_path(name))), Some(Vec::new()));
        }
        let mut current: Option<PathBuf> = None;
        // Lines of the current hunk still to read (old, new): content lines may start with
        // `+++ ` or `@@ ` too, so they are counted, never parsed as headers.
        let mut remaining = (0usize, 0usize);
        for line in patch.split(|&b| b == b'\n') {
            if remaining != (0, 0) {
                match line.first() {
                    Some(b'-') => remaining.0 = remaining.0.saturating_sub(1),
                    Some(b'+') => remaining.1 = remaining.1.saturating_sub(1),
                    Some(b' ') => {
                        remaining.0 = remaining.0.saturating_sub(1);
                        remaining.1 = remaining.1.saturating_sub(1);
                    }
                    _ => {} // `\ No newline at end of file`
                }
                continue;
            }
            if line.starts_with(b"diff ") {
                current = None;
            } else if let Some(raw) = line.strip_prefix(b"+++ ") {
                if raw == b"/dev/null" {
                    current = None;
                    continue;
                }
                let name = header_name(raw).filter(|name| listed.contains(name));
                let Some(name) = name else {
                    return Err(LintError::Diff(format!(
                        "cannot read the file name `{}` in git's diff",
                        String::from_utf8_lossy(raw).escape_debug()
                    )));
                };
                current = Some(canonical(&top.join(os_path(&name))));
            } else if let Some((old, start, count)) = hunk_header(line) {
                remaining = (old, count);
                if let (Some(file), true) = (&current, count > 0) {
                    if let Some(Some(ranges)) = changed.files.get_mut(file) {
                        ranges.push((start, start + count - 1));
                    }
                }
            }
        }
        let untracked = git(&top, &["ls-files", "-z", "--others", "--exclude-standard"])?;
        for name in nul_separated(&untracked) {
            changed
                .files
                .insert(canonical(&top.join(os_path(name))), None);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_decoded() {
        assert_eq!(header_name(b"b/a.py").unwrap(), b"a.py");
        assert_eq!(header_name(b"b/a b.py\t").unwrap(), b"a b.py");
        assert_eq!(header_name(b"\"b/a\\tb.py\"").unwrap(), b"a\tb.py");
        assert_eq!(
            header_name(b"\"b/\\303\\251\\\"q\\\\.py\"").unwrap(),
            "é\"q\\.py".as_bytes()
        );
        assert_eq!(header_name(b"\"b/a\\q\""), None);
        assert_eq!(header_name(b"\"b/unterminated"), None);
        assert_eq!(header_name(b"\"b/\\777\""), None);
        assert_eq!(header_name(b"w/a.py"), None);
    }

    #[test]
    fn hunk_headers() {
        assert_eq!(hunk_header(b"@@ -3 +3,2 @@ def f():"), Some((1, 3, 2)));
        assert_eq!(hunk_header(b"@@ -0,0 +1 @@"), Some((0, 1, 1)));
        assert_eq!(hunk_header(b"@@ -5,2 +4,0 @@"), Some((2, 4, 0)));
        assert_eq!(hunk_header(b"+++ b/x"), None);
    }
}
