//! Generates the registry of query files: every `grammars/<lang>/**/*.scm` of the workspace,
//! embedded with `include_str!` (see `src/queries.rs`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The `Language` variant of a `grammars/<dir>` directory.
fn variant(dir: &str) -> &'static str {
    match dir {
        "rust" => "Rust",
        "python" => "Python",
        "javascript" => "JavaScript",
        other => panic!("grammars/{other}: no such language (add it to arbor-syntax's build.rs)"),
    }
}

/// The `.scm` files under `dir`, recursively.
fn scm_files(dir: &Path, out: &mut Vec<PathBuf>) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("readable directory entry").path();
        if path.is_dir() {
            scm_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "scm") {
            println!("cargo:rerun-if-changed={}", path.display());
            out.push(path);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let grammars = manifest.join("../../grammars");
    println!("cargo:rerun-if-changed={}", grammars.display());
    let mut languages: Vec<_> = std::fs::read_dir(&grammars)
        .unwrap_or_else(|e| panic!("{}: {e}", grammars.display()))
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    languages.sort();
    let mut code = String::from("/// Every query file under `grammars/`, sorted by path.\n");
    code.push_str("pub const FILES: &[QuerySource] = &[\n");
    for dir in languages {
        let lang = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 name");
        let mut files = Vec::new();
        scm_files(&dir, &mut files);
        files.sort();
        for path in files {
            let relative = path
                .strip_prefix(&dir)
                .expect("under its language directory");
            let relative = relative.to_str().expect("UTF-8 path").replace('\\', "/");
            let name = relative.strip_suffix(".scm").expect("a .scm file");
            let absolute = path.canonicalize().expect("an existing file");
            writeln!(
                code,
                "    QuerySource {{ language: Language::{}, name: {name:?}, file: {:?}, text: include_str!({:?}) }},",
                variant(lang),
                format!("grammars/{lang}/{relative}"),
                absolute.to_str().expect("UTF-8 path"),
            )
            .expect("writing to a string");
        }
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    std::fs::write(out.join("query_files.rs"), code).expect("OUT_DIR is writable");
}
