//! Helpers shared by the test suites of several crates (included with `#[path]`).

use std::path::{Path, PathBuf};

/// The fixture repository in Rust, Python and JavaScript under `tests/fixtures/repo`.
pub fn fixture_repo() -> PathBuf {
    // Every crate lives at crates/<name>, two levels below the repository root.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/repo")
}

/// Copies the directory tree `from` to `to`.
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
