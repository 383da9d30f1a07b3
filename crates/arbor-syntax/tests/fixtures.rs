//! Fixture tests: every source file under `tests/fixtures/symbols/<lang>/` has an insta snapshot
//! in `tests/snapshots/` (`fixtures__symbols@<lang>__<file>.snap`) with the symbols, syntax
//! errors and chunks the syntax layer must find. After a deliberate change, review the
//! differences with `cargo insta review` (or accept them all with
//! `INSTA_UPDATE=always cargo test -p arbor-syntax --test fixtures`) and commit the `.snap` files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use arbor_syntax::{ChunkOptions, Language, ParsedFile, Span};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/symbols")
}

fn span(s: &Span) -> String {
    format!(
        "{}:{}-{}:{}",
        s.start.line, s.start.column, s.end.line, s.end.column
    )
}

/// The canonical text form of what the syntax layer finds in a file.
fn render(file: &ParsedFile) -> String {
    let mut out = String::new();
    let symbols = file.symbols().unwrap();
    for error in file.syntax_errors() {
        writeln!(out, "error {error}").unwrap();
    }
    for symbol in &symbols {
        write!(
            out,
            "{} {} {} name={}",
            span(&symbol.span),
            symbol.kind,
            symbol.qualified_name,
            span(&symbol.name_span)
        )
        .unwrap();
        if let Some(owner) = &symbol.owner {
            write!(out, " owner={owner}").unwrap();
        }
        if let Some(parent) = symbol.parent {
            write!(out, " parent={}", symbols[parent].qualified_name).unwrap();
        }
        writeln!(out).unwrap();
        writeln!(out, "    sig: {}", symbol.signature).unwrap();
        if let (Some(doc), Some(doc_span)) = (&symbol.doc, &symbol.doc_span) {
            writeln!(out, "    doc {}: {doc:?}", span(doc_span)).unwrap();
        }
    }
    let options = ChunkOptions {
        max_lines: 30,
        window_lines: 10,
    };
    for chunk in file.chunks(&symbols, options) {
        let owner = chunk
            .symbol
            .map_or(String::new(), |s| format!(" {}", symbols[s].qualified_name));
        writeln!(
            out,
            "chunk {:?} lines {}-{}{owner}",
            chunk.kind,
            chunk.span.start.line,
            chunk.span.last_line()
        )
        .unwrap();
    }
    out
}

fn fixture_files() -> Vec<(PathBuf, Language)> {
    let mut files = Vec::new();
    for language in Language::ALL {
        let dir = fixtures_root().join(language.name());
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some() {
                assert_eq!(
                    Language::from_path(&path),
                    Some(language),
                    "{}",
                    path.display()
                );
                files.push((path, language));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn symbols_match_expected_fixtures() {
    let files = fixture_files();
    assert!(files.len() >= 7, "fixtures missing: {files:?}");
    insta::glob!("../../../tests/fixtures/symbols", "*/*", |path| {
        let file = ParsedFile::from_file(path, None, 1 << 20).unwrap();
        let got = render(&file);
        // insta ignores trailing whitespace: the text always ends with one newline, so that the
        // snapshot holds it byte for byte.
        assert_eq!(format!("{}\n", got.trim_end()), got, "{}", path.display());
        insta::assert_snapshot!("symbols", got);
    });
}

#[test]
fn every_language_has_a_fixture_with_syntax_errors() {
    for language in Language::ALL {
        let path = fixture_files()
            .into_iter()
            .find(|(p, l)| *l == language && p.to_string_lossy().contains("syntax_errors"))
            .unwrap_or_else(|| panic!("no syntax_errors fixture for {language}"))
            .0;
        let file = ParsedFile::from_file(&path, None, 1 << 20).unwrap();
        assert!(file.has_errors());
        assert!(!file.syntax_errors().is_empty());
        let symbols = file.symbols().unwrap();
        // The definitions after the broken one are still found.
        let last = symbols.last().unwrap();
        assert!(
            ["method", "struct"].contains(&last.kind.name()),
            "{}: last symbol {last:?}",
            path.display()
        );
    }
}
