//! Property tests of the query language: whatever the text, parsing and searching answer with
//! hits or a one-line error, never a panic (issue 13; `fuzz/` runs the same for longer).

use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;

use arbor_testkit::{copy_dir, fixture_repo};

use arbor_index::{CodeIndex, IndexError, IndexSettings, Query, SearchOptions, UpdateOptions};

/// The fixture repository's index, built once for all cases.
fn index() -> &'static CodeIndex {
    static INDEX: OnceLock<(tempfile::TempDir, CodeIndex)> = OnceLock::new();
    &INDEX
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let root: PathBuf = dir.path().join("repo");
            copy_dir(&fixture_repo(), &root);
            std::fs::write(
                root.join("src/odd.py"),
                "PRICE = '$5' # 🎉 ()\nx = a::b -> c!!!\n",
            )
            .unwrap();
            let index =
                CodeIndex::create(&dir.path().join("index"), IndexSettings::default()).unwrap();
            index
                .update(&root, &UpdateOptions::default(), &|_| {})
                .unwrap();
            (dir, index)
        })
        .1
}

/// Pieces of queries, valid and not: words, filters, phrases, regexes, punctuation, emoji,
/// control characters, long tokens.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z_][a-zA-Z0-9_]{0,12}",
        "[-!$()_:;.,/\\\\\"'*?{}\\[\\]]{1,4}",
        "(lang|path|kind|sym|lnag):[a-z*/.{}\\[\\]\"]{0,8}",
        "-?\"[^\"]{0,20}\"?",
        "-?/[a-z\\\\.*+?()\\[\\]{}|^$0-9,]{0,16}/?",
        "[🎉é变\u{202e}\u{1b}\u{7}\n\t ]{1,3}",
        "a{60,70}",
        any::<String>(),
    ]
}

fn query_text() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..10).prop_map(|parts| parts.join(" "))
}

fn check_error(err: &dyn std::fmt::Display) {
    let message = err.to_string();
    assert!(
        !message.chars().any(|c| c.is_control()),
        "control character in {message:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn parsing_never_panics_and_errors_are_one_clean_line(text in query_text()) {
        if let Err(err) = Query::parse(&text) {
            check_error(&err);
            prop_assert!(err.column >= 1);
            prop_assert!(err.to_string().chars().count() < 400);
        }
    }

    #[test]
    fn searching_never_panics(text in query_text(), limit in 0usize..50) {
        let Ok(query) = Query::parse(&text) else {
            return Ok(());
        };
        match index().search(&query, &SearchOptions { limit, snippet_lines: 3 }) {
            Ok(hits) => {
                prop_assert!(hits.len() <= limit.max(1));
                for hit in &hits {
                    prop_assert!(!hit.snippet.is_empty());
                    for line in &hit.snippet {
                        for &(start, end) in &line.highlights {
                            prop_assert!(start < end && line.text.get(start..end).is_some());
                        }
                    }
                }
            }
            Err(err) => {
                prop_assert!(matches!(err, IndexError::Query(_)), "{err}");
                check_error(&err);
            }
        }
    }

    #[test]
    fn any_string_parses_or_fails_cleanly(text in any::<String>()) {
        if let Err(err) = Query::parse(&text) {
            check_error(&err);
        }
    }
}

#[test]
fn huge_limits_are_capped() {
    let query = Query::parse("route").unwrap();
    for limit in [usize::MAX, usize::MAX / 2, 1 << 40] {
        let hits = index()
            .search(
                &query,
                &SearchOptions {
                    limit,
                    snippet_lines: usize::MAX,
                },
            )
            .unwrap();
        assert!(!hits.is_empty() && hits.len() <= arbor_index::search::MAX_LIMIT);
    }
}

#[test]
fn excluded_identifiers_of_several_parts_are_searched_in_every_field() {
    // Found by fuzzing: `-fooBar` made a phrase query on fields without positions, which
    // tantivy refuses.
    let describe = |query: &str| -> Vec<String> {
        let query = Query::parse(query).unwrap();
        index()
            .search(&query, &SearchOptions::default())
            .unwrap()
            .iter()
            .map(|h| format!("{}:{}", h.path, h.line))
            .collect()
    };
    assert_eq!(describe("route -fooBar"), describe("route"));
    assert_eq!(describe("route -path7 -foo-bar"), describe("route"));
    let without = describe("request -HttpRequest");
    assert!(!without.is_empty());
    assert!(without.len() < describe("request").len());
}

#[test]
fn excluded_phrases_work_in_every_build() {
    // Found by fuzzing: tantivy's phrase scorer asserted (debug builds) inside an exclusion.
    for text in [
        "route -\"pub fn\"",
        "a -x1",
        "$ () ()1!\" -x1!\" -xk\"p_",
        "x -\"x = a\"",
    ] {
        let query = Query::parse(text).unwrap();
        let hits = index()
            .search(&query, &SearchOptions::default())
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        if text.starts_with("route") {
            assert!(!hits.is_empty());
            for hit in &hits {
                assert!(
                    hit.snippet.iter().all(|l| !l.text.contains("pub fn")),
                    "{text}: {hit:?}"
                );
            }
        }
    }
}
