//! Fuzzes the query language: any text is parsed, and a query that parses is searched in a
//! small index of the fixture repository. Parsing and searching must answer with hits or a
//! one-line error, never panic; a search that reports a corrupt index (how Arbor reports a
//! panic inside tantivy) is a failure too, since this index is sound.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use arbor_index::{CodeIndex, IndexError, IndexSettings, Query, SearchOptions, UpdateOptions};
use libfuzzer_sys::fuzz_target;

const FILES: [(&str, &str); 5] = [
    ("src/lib.rs", include_str!("../../tests/fixtures/repo/src/lib.rs")),
    ("src/http.py", include_str!("../../tests/fixtures/repo/src/http.py")),
    ("web/client.js", include_str!("../../tests/fixtures/repo/web/client.js")),
    (
        "tests/test_http.py",
        include_str!("../../tests/fixtures/repo/tests/test_http.py"),
    ),
    ("src/odd.py", "PRICE = '$5'  # 🎉 ()\nx = a::b -> c!!!\nKEY = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'\n"),
];

fn index() -> &'static CodeIndex {
    static INDEX: OnceLock<(tempfile::TempDir, CodeIndex)> = OnceLock::new();
    &INDEX
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temporary directory");
            let root = dir.path().join("repo");
            for (path, text) in FILES {
                let path = root.join(path);
                std::fs::create_dir_all(path.parent().unwrap_or(Path::new("."))).unwrap();
                std::fs::write(path, text).unwrap();
            }
            let index = CodeIndex::create(&dir.path().join("index"), IndexSettings::default())
                .expect("create the index");
            index
                .update(&root, &UpdateOptions::default(), &|_| {})
                .expect("index the fixture");
            (dir, index)
        })
        .1
}

fn check_message(message: &str) {
    assert!(
        !message.chars().any(char::is_control),
        "control character in an error: {message:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let query = match Query::parse(text) {
        Ok(query) => query,
        Err(err) => {
            check_message(&err.to_string());
            return;
        }
    };
    let options = SearchOptions {
        limit: 1 + data.len() % 50,
        snippet_lines: 3,
    };
    match index().search(&query, &options) {
        Ok(hits) => assert!(hits.len() <= options.limit),
        Err(IndexError::Query(err)) => check_message(&err.to_string()),
        Err(err) => panic!("search failed on a sound index: {err}"),
    }
});
