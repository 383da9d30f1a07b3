//! The registry of the project's tree-sitter query files: every `grammars/<lang>/**/*.scm`,
//! embedded at build time (by `build.rs`) and compiled once, on first use.
//!
//! A file is named by its language and its path under `grammars/<lang>/` without `.scm`:
//! `(Language::Python, "branches")` is `grammars/python/branches.scm`,
//! `(Language::Rust, "lint/unwrap")` is `grammars/rust/lint/unwrap.scm`. No other crate embeds
//! query files: they ask this module for the text ([`file`]) or the compiled query ([`query`]).
//!
//! ```
//! use arbor_syntax::{queries, Language};
//!
//! let branches = queries::query(Language::Python, "branches")?;
//! assert!(branches.capture_index_for_name("branch").is_some());
//! assert_eq!(queries::file(Language::Python, "branches").file, "grammars/python/branches.scm");
//! # Ok::<(), arbor_syntax::SyntaxError>(())
//! ```

use std::sync::OnceLock;

use tree_sitter::Query;

use crate::error::SyntaxError;
use crate::language::Language;
pub use crate::query::QuerySource;

include!(concat!(env!("OUT_DIR"), "/query_files.rs"));

/// Whether two strings are equal, in a `const` context.
const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The index in [`FILES`] of `language`'s query `name`.
const fn position(language: Language, name: &str) -> Option<usize> {
    let mut i = 0;
    while i < FILES.len() {
        if FILES[i].language as u8 == language as u8 && str_eq(FILES[i].name, name) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// `language`'s query file `name` (its path under `grammars/<lang>/` without `.scm`), if any.
pub fn get(language: Language, name: &str) -> Option<&'static QuerySource> {
    position(language, name).map(|i| &FILES[i])
}

/// `language`'s query file `name`. Usable in `const` items, where a missing file is a compile
/// error.
///
/// # Panics
///
/// If there is no such file.
pub const fn file(language: Language, name: &str) -> &'static QuerySource {
    match position(language, name) {
        Some(i) => &FILES[i],
        None => panic!("no such query file under grammars/"),
    }
}

/// The query file at `path`, relative to the repository root (`grammars/rust/tags.scm`).
/// Usable in `const` items, where a missing file is a compile error.
///
/// # Panics
///
/// If there is no such file.
pub const fn by_path(path: &str) -> &'static QuerySource {
    let mut i = 0;
    while i < FILES.len() {
        if str_eq(FILES[i].file, path) {
            return &FILES[i];
        }
        i += 1;
    }
    panic!("no such query file under grammars/")
}

/// `language`'s query `name` compiled against its grammar: compiled on first use and shared
/// by all threads. Errors name the file and the position of the offending text.
pub fn query(language: Language, name: &str) -> Result<&'static Query, SyntaxError> {
    let index = position(language, name).ok_or_else(|| {
        SyntaxError::BuiltinQuery(format!(
            "no query file grammars/{}/{name}.scm",
            language.name()
        ))
    })?;
    static CELLS: OnceLock<Vec<OnceLock<Result<Query, String>>>> = OnceLock::new();
    let cells = CELLS.get_or_init(|| FILES.iter().map(|_| OnceLock::new()).collect());
    cells[index]
        .get_or_init(|| FILES[index].compile().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|message| SyntaxError::BuiltinQuery(message.clone()))
}

/// Every query file of `language`.
pub fn of_language(language: Language) -> impl Iterator<Item = &'static QuerySource> {
    FILES.iter().filter(move |f| f.language == language)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The query files under `grammars/` on disk, as repository-relative paths.
    fn files_on_disk() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut found = Vec::new();
        let mut stack = vec![root.join("grammars")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "scm") {
                    let relative = path.strip_prefix(&root).unwrap();
                    found.push(relative.to_str().unwrap().replace('\\', "/"));
                }
            }
        }
        found.sort();
        found
    }

    #[test]
    fn every_scm_file_under_grammars_is_registered_and_compiles() {
        let registered: Vec<String> = FILES.iter().map(|f| f.file.to_string()).collect();
        assert_eq!(registered, files_on_disk());
        for source in FILES {
            let path = format!("grammars/{}/{}.scm", source.language.name(), source.name);
            assert_eq!(source.file, path);
            let on_disk = std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../..")
                    .join(&path),
            )
            .unwrap();
            assert_eq!(source.text, on_disk, "{path} is stale");
            let compiled = query(source.language, source.name).unwrap_or_else(|e| panic!("{e}"));
            assert!(compiled.pattern_count() > 0, "{path} has no patterns");
            assert!(std::ptr::eq(
                compiled,
                query(source.language, source.name).unwrap()
            ));
        }
        assert!(FILES.len() >= 3 * Language::ALL.len());
    }

    #[test]
    fn lookups_by_name_and_path_agree() {
        for language in Language::ALL {
            let tags = file(language, "tags");
            assert_eq!(tags.language, language);
            assert_eq!(tags.file, format!("grammars/{}/tags.scm", language.name()));
            assert_eq!(by_path(tags.file).name, "tags");
            assert_eq!(get(language, "tags").unwrap().file, tags.file);
            assert!(of_language(language).any(|f| f.name == "branches"));
        }
        assert!(get(Language::Rust, "no-such-query").is_none());
        let err = query(Language::Rust, "no-such-query")
            .unwrap_err()
            .to_string();
        assert!(err.contains("grammars/rust/no-such-query.scm"), "{err}");
    }
}
