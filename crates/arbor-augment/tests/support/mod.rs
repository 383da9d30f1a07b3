//! The expected outputs of the augment fixtures (`tests/fixtures/augment`): insta snapshots in
//! `tests/snapshots/`, one per case, named `fixtures__augment@<language>__<transform>__<input>.snap`
//! (`<input>` is the case's input file name, `common.<ext>` for the language's shared input).
//! They are the single copy of each expected output: the tests that compile or run the outputs
//! read them from there.

// Each test file that includes this module uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The snapshot name of the fixtures test, before insta's `@<suffix>`.
pub const SNAPSHOT_NAME: &str = "augment";

/// `crates/arbor-augment/tests/snapshots`.
pub fn snapshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// The snapshot file of the case `input` (a file name) of `transform` in `language_dir`.
pub fn snapshot_path(language_dir: &str, transform: &str, input: &str) -> PathBuf {
    snapshots_dir().join(format!(
        "fixtures__{SNAPSHOT_NAME}@{language_dir}__{transform}__{input}.snap"
    ))
}

/// The text of a snapshot: what follows its YAML header (between the first two `---` lines).
pub fn snapshot_body(snapshot: &str) -> &str {
    let header = snapshot
        .strip_prefix("---\n")
        .expect("a snapshot starts with its `---` header");
    let end = header
        .find("\n---\n")
        .expect("a snapshot's header ends with `---`");
    &header[end + "\n---\n".len()..]
}

/// An expected output of a fixture.
pub struct Expected {
    /// The snapshot file it is kept in.
    pub path: PathBuf,
    /// The case's input file name (`common.<ext>` for the shared input).
    pub input: String,
    /// The output.
    pub text: String,
}

/// Every expected output of the fixtures of `language_dir` (`python`, `javascript`, `rust`),
/// sorted by snapshot file.
pub fn expected_outputs(language_dir: &str) -> Vec<Expected> {
    let prefix = format!("fixtures__{SNAPSHOT_NAME}@{language_dir}__");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(snapshots_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap();
        let Some(case) = name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".snap"))
        else {
            continue;
        };
        let input = case.rsplit("__").next().unwrap().to_string();
        let snapshot = std::fs::read_to_string(&path).unwrap();
        let text = snapshot_body(&snapshot).to_string();
        out.push(Expected { path, input, text });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}
