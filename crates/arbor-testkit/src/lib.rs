//! Helpers shared by the test suites of Arbor's crates (a dev-dependency only, never
//! published):
//!
//! - [`fixture_repo`] and [`copy_dir`]: the fixture repository in Rust, Python and JavaScript
//!   under `tests/fixtures/repo`, and copies of it to index or change;
//! - [`cli`]: running the `arbor` binary, for the CLI suites of `arbor-cli`.

pub mod cli;

use std::path::{Path, PathBuf};

/// The fixture repository in Rust, Python and JavaScript under `tests/fixtures/repo`.
pub fn fixture_repo() -> PathBuf {
    // This crate lives at crates/arbor-testkit, two levels below the repository root.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/repo")
}

/// Copies the directory tree `from` to `to` (created if missing).
///
/// # Panics
///
/// On any I/O error: this is for tests.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_repo_copies_whole() {
        let from = fixture_repo();
        assert!(from.is_dir(), "{}", from.display());
        let to = std::env::temp_dir().join(format!("arbor-testkit-{}", std::process::id()));
        copy_dir(&from, &to);
        let count = |dir: &Path| std::fs::read_dir(dir).unwrap().count();
        assert_eq!(count(&from), count(&to));
        std::fs::remove_dir_all(&to).unwrap();
    }
}
