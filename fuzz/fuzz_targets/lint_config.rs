//! Fuzzes the lint configuration loader: any bytes are written as `arbor.toml` (or, when they
//! mention a `[tool` table, as `pyproject.toml`), loaded, and a configuration that loads builds a
//! linter (globs, selectors, user rules compiled) that lints a small file. Each step must
//! answer with a value or an error, never panic.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use arbor_lint::{Config, Language, Linter};
use libfuzzer_sys::fuzz_target;

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temporary directory"))
}

const SAMPLE: &str =
    "import os\n\ndef f(x):\n    if x == None:\n        print(x)\n    return eval(x)\n";

fuzz_target!(|data: &[u8]| {
    let name = if data.windows(5).any(|w| w == b"[tool") {
        "pyproject.toml"
    } else {
        "arbor.toml"
    };
    let path: PathBuf = dir().path().join(name);
    std::fs::write(&path, data).expect("write the configuration");
    let Ok(config) = Config::from_file(&path) else {
        return;
    };
    let _ = config.exclude_set();
    if let Ok(linter) = Linter::new(config) {
        let _ = linter.lint_source("sample.py", Language::Python, SAMPLE);
    }
});
