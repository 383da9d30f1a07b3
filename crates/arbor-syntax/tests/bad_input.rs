//! Bad input never panics: empty, binary and non-UTF-8 files, deep nesting, syntax errors.

use arbor_syntax::{
    parse_files, read_source, walk, ChunkOptions, Language, ParsedFile, SkipReason, SyntaxError,
    WalkOptions,
};

/// `depth` levels of brackets around a literal, as a statement of `language`.
fn deeply_nested(language: Language, depth: usize) -> String {
    let (open, close) = match language {
        Language::JavaScript => ("[", "]"),
        _ => ("(", ")"),
    };
    let expr = format!("{}1{}", open.repeat(depth), close.repeat(depth));
    match language {
        Language::Rust => format!("fn main() {{\n    let x = {expr};\n}}\n"),
        Language::Python => format!("def f():\n    return {expr}\n"),
        Language::JavaScript => format!("function f() {{\n  return {expr};\n}}\n"),
    }
}

#[test]
fn fifty_thousand_deep_nesting_parses_without_overflow() {
    for language in Language::ALL {
        let source = deeply_nested(language, 50_000);
        let file = ParsedFile::parse("deep", language, source).unwrap();
        let stats = file.tree_stats();
        assert!(
            stats.max_depth > 50_000,
            "{language}: depth {}",
            stats.max_depth
        );
        assert!(file.syntax_errors().is_empty(), "{language}");
        let symbols = file.symbols().unwrap();
        assert_eq!(symbols.len(), 1, "{language}: {symbols:?}");
        assert_eq!(
            symbols[0].name,
            if language == Language::Rust {
                "main"
            } else {
                "f"
            }
        );
        let chunks = file.chunks(&symbols, ChunkOptions::default());
        assert_eq!(chunks.len(), 1);
        let sexp = file.to_sexp();
        assert_eq!(sexp.matches('(').count(), sexp.matches(')').count());
        assert!(sexp.len() > 100_000);
        drop(file); // dropping a deep tree must not overflow either
    }
}

/// `depth` definitions each inside the last, on one line (`fn f(){fn f(){…}}`).
fn nested_definitions(language: Language, depth: usize) -> String {
    match language {
        Language::Rust => format!("{}{}", "fn f(){".repeat(depth), "}".repeat(depth)),
        Language::JavaScript => format!("{}{}", "function f(){".repeat(depth), "}".repeat(depth)),
        Language::Python => (0..depth)
            .map(|i| format!("{}def f():\n", " ".repeat(i)))
            .chain([format!("{}pass\n", " ".repeat(depth))])
            .collect(),
    }
}

/// Symbols of deeply nested definitions in linear time and space: every definition's parent,
/// doc comment and signature were found by walks from the root or back to the line's start,
/// and qualified names grew with the square of the depth (20,000 nested JavaScript functions
/// took minutes and printed 400 MB).
#[test]
fn deeply_nested_definitions_are_linear() {
    for language in Language::ALL {
        // Python: the file grows with the square of the depth, and tree-sitter-python stops
        // nesting blocks at 1,024 levels (about 500 definitions).
        let (small, large) = match language {
            Language::Python => (120, 480),
            _ => (5_000, 20_000),
        };
        let time = |depth: usize| {
            let file =
                ParsedFile::parse("deep", language, nested_definitions(language, depth)).unwrap();
            let started = std::time::Instant::now();
            let symbols = file.symbols().unwrap();
            let took = started.elapsed();
            assert_eq!(symbols.len(), depth, "{language}");
            let longest = symbols
                .iter()
                .map(|s| s.qualified_name.len())
                .max()
                .unwrap();
            assert!(
                longest <= arbor_syntax::MAX_QUALIFIED_NAME + 8,
                "{language}: a qualified name of {longest} bytes"
            );
            assert_eq!(
                symbols[1].qualified_name,
                format!("f{}f", language.qualifier_separator())
            );
            let whole = depth + (depth - 1) * language.qualifier_separator().len();
            assert_eq!(
                symbols[depth - 1].qualified_name.starts_with('…'),
                whole > arbor_syntax::MAX_QUALIFIED_NAME,
                "{language}"
            );
            took
        };
        let (t_small, t_large) = (time(small), time(large));
        // Four times the depth: linear is about 4x (16x for Python, whose file grows with the
        // square of the depth); quadratic was 16x (and minutes).
        let bound = if language == Language::Python { 40 } else { 10 };
        assert!(
            t_large < t_small * bound + std::time::Duration::from_millis(500),
            "{language}: {t_small:?} for {small} levels, {t_large:?} for {large}"
        );
    }
}

#[test]
fn deep_nesting_with_an_unclosed_end_is_reported_not_fatal() {
    for language in Language::ALL {
        let mut source = deeply_nested(language, 50_000);
        source.truncate(source.len() / 2); // cut in the middle of the brackets
        let file = ParsedFile::parse("deep", language, source).unwrap();
        assert!(file.has_errors(), "{language}");
        assert!(!file.syntax_errors().is_empty());
        file.symbols().unwrap();
        let _ = file.to_sexp();
    }
}

#[test]
fn empty_file_has_no_symbols_no_errors_no_chunks() {
    for language in Language::ALL {
        let file = ParsedFile::parse("empty", language, String::new()).unwrap();
        assert!(file.symbols().unwrap().is_empty());
        assert!(file.syntax_errors().is_empty());
        assert!(file.chunks(&[], ChunkOptions::default()).is_empty());
        assert_eq!(file.tree_stats().nodes, 1);
    }
}

#[test]
fn binary_and_invalid_utf8_files_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("image.py");
    std::fs::write(&binary, [0x89, b'P', b'N', b'G', 0, 0, 0, 13]).unwrap();
    let latin1 = dir.path().join("latin1.rs");
    std::fs::write(&latin1, b"fn caf\xe9() {}\n").unwrap();

    let err = ParsedFile::from_file(&binary, None, 1 << 20).unwrap_err();
    assert!(matches!(
        err,
        SyntaxError::Skipped {
            reason: SkipReason::Binary,
            ..
        }
    ));
    assert!(err.to_string().ends_with("image.py: binary file"), "{err}");

    let err = ParsedFile::from_file(&latin1, None, 1 << 20).unwrap_err();
    assert!(
        err.to_string()
            .contains("not valid UTF-8 (first invalid byte at offset 6)"),
        "{err}"
    );

    let err = ParsedFile::from_file(&dir.path().join("nope.py"), None, 1 << 20).unwrap_err();
    assert!(matches!(err, SyntaxError::Io { .. }), "{err}");

    let unknown = dir.path().join("notes.txt");
    std::fs::write(&unknown, "hello").unwrap();
    let err = ParsedFile::from_file(&unknown, None, 1 << 20).unwrap_err();
    assert!(
        err.to_string().contains("cannot tell the language"),
        "{err}"
    );
    let file = ParsedFile::from_file(&unknown, Some(Language::Python), 1 << 20).unwrap();
    assert_eq!(file.language(), Language::Python);
}

#[test]
fn random_bytes_as_source_never_panic() {
    // A cheap deterministic fuzz: byte soup made of each language's punctuation and keywords.
    let pieces = [
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        "def ",
        "class ",
        "fn ",
        "impl ",
        "function ",
        "=>",
        ":",
        ";",
        "\n",
        "    ",
        "\"",
        "'",
        "\"\"\"",
        "/*",
        "*/",
        "//",
        "#",
        "@",
        "x",
        "1",
        "é",
        "\t",
        "async ",
        "export ",
        "`",
        "${",
        "r#\"",
        "\\",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for round in 0..300 {
        let mut source = String::new();
        for _ in 0..(round % 50) * 8 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            source.push_str(pieces[(state % pieces.len() as u64) as usize]);
        }
        for language in Language::ALL {
            let file = ParsedFile::parse("fuzz", language, source.clone()).unwrap();
            let symbols = file.symbols().unwrap();
            for symbol in &symbols {
                assert!(symbol.span.start_byte <= symbol.span.end_byte);
                assert!(
                    symbol.span.contains(&symbol.name_span)
                        || symbol.span.start_byte > symbol.name_span.start_byte
                );
            }
            let chunks = file.chunks(
                &symbols,
                ChunkOptions {
                    max_lines: 3,
                    window_lines: 2,
                },
            );
            for pair in chunks.windows(2) {
                assert!(
                    pair[0].span.end_byte <= pair[1].span.start_byte,
                    "chunks overlap"
                );
            }
            let _ = file.syntax_errors();
            let _ = file.to_sexp();
        }
    }
}

#[test]
fn walk_honours_ignore_files_and_reports_skips() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |name: &str, contents: &[u8]| {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    };
    write(".gitignore", b"build/\n*.generated.js\n");
    write("src/lib.rs", b"pub fn lib() {}\n");
    write("src/app.mjs", b"export function app() {}\n");
    write("src/gen.generated.js", b"function ignored() {}\n");
    write("build/out.py", b"def ignored(): pass\n");
    write(
        "scripts/tool",
        b"#!/usr/bin/env python3\ndef tool(): pass\n",
    );
    write("scripts/run.sh", b"#!/bin/sh\necho hi\n");
    write("README.md", b"# readme\n");
    write(".hidden/secret.py", b"def hidden(): pass\n");
    write("data/blob.py", b"\0\0\0binary");
    write("data/latin1.py", b"x = '\xe9'\n");
    write("data/huge.js", &vec![b'/'; 4096]);

    let options = WalkOptions {
        max_file_size: 1000,
        ..WalkOptions::default()
    };
    let walked = walk(root, &options).unwrap();
    let rel = |p: &std::path::Path| {
        p.strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/")
    };
    let files: Vec<_> = walked
        .files
        .iter()
        .map(|f| (rel(&f.path), f.language))
        .collect();
    assert_eq!(
        files,
        vec![
            ("data/blob.py".to_string(), Language::Python),
            ("data/latin1.py".to_string(), Language::Python),
            ("scripts/tool".to_string(), Language::Python),
            ("src/app.mjs".to_string(), Language::JavaScript),
            ("src/lib.rs".to_string(), Language::Rust),
        ]
    );
    assert_eq!(walked.skipped.len(), 1);
    assert_eq!(rel(&walked.skipped[0].path), "data/huge.js");
    assert_eq!(
        walked.skipped[0].reason,
        SkipReason::TooLarge {
            size: 4096,
            limit: 1000
        }
    );
    assert_eq!(
        walked.other_files, 2,
        "README.md and run.sh (.gitignore is hidden)"
    );

    let results = parse_files(&walked.files, options.max_file_size, |file| {
        file.symbols()
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect::<Vec<_>>()
    });
    let outcome: Vec<_> = results
        .into_iter()
        .map(|r| r.map_err(|skip| (rel(&skip.path), skip.reason)))
        .collect();
    assert_eq!(
        outcome,
        vec![
            Err(("data/blob.py".to_string(), SkipReason::Binary)),
            Err((
                "data/latin1.py".to_string(),
                SkipReason::NotUtf8 { offset: 5 }
            )),
            Ok(vec!["tool".to_string()]),
            Ok(vec!["app".to_string()]),
            Ok(vec!["lib".to_string()]),
        ]
    );

    let all = WalkOptions {
        respect_ignore_files: false,
        hidden: true,
        languages: vec![Language::Python],
        ..options
    };
    let walked = walk(root, &all).unwrap();
    let files: Vec<_> = walked.files.iter().map(|f| rel(&f.path)).collect();
    assert_eq!(
        files,
        [
            ".hidden/secret.py",
            "build/out.py",
            "data/blob.py",
            "data/latin1.py",
            "scripts/tool"
        ]
    );
    assert!(walk(&root.join("missing"), &WalkOptions::default()).is_err());
    // A single file is a walk of one.
    let single = walk(&root.join("src/lib.rs"), &WalkOptions::default()).unwrap();
    assert_eq!(single.files.len(), 1);
    assert!(read_source(&root.join("src/lib.rs"), 10).is_err());
}
