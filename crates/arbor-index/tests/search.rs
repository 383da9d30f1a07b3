//! The index and search over a fixture repository in Rust, Python and JavaScript.

use std::path::PathBuf;

use arbor_testkit::{copy_dir, fixture_repo};

use arbor_index::{
    CodeIndex, Hit, IndexError, IndexSettings, Query, SearchOptions, TokenizerKind, UpdateOptions,
};

/// A copy of the fixture repository in a temporary directory, with its index.
struct Repo {
    dir: tempfile::TempDir,
    index: CodeIndex,
}

impl Repo {
    fn new() -> Repo {
        Self::with_settings(IndexSettings::default())
    }

    fn with_settings(settings: IndexSettings) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixture_repo(), &dir.path().join("repo"));
        let index = CodeIndex::create(&dir.path().join("index"), settings).unwrap();
        let repo = Repo { dir, index };
        let stats = repo.update();
        assert_eq!(stats.added, 4, "{stats:?}");
        repo
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn update(&self) -> arbor_index::UpdateStats {
        self.index
            .update(&self.root(), &UpdateOptions::default(), &|_| {})
            .unwrap()
    }

    fn search(&self, query: &str) -> Vec<Hit> {
        let query = Query::parse(query).unwrap();
        self.index
            .search(&query, &SearchOptions::default())
            .unwrap()
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.root().join(rel), text).unwrap();
    }
}

fn describe(hit: &Hit) -> String {
    format!(
        "{}:{} {} {}",
        hit.path,
        hit.line,
        hit.hit_type,
        hit.symbol.as_deref().unwrap_or("-")
    )
}

fn described(hits: &[Hit]) -> Vec<String> {
    hits.iter().map(describe).collect()
}

#[test]
fn exact_definition_comes_first() {
    let repo = Repo::new();
    let hits = repo.search("parse_http_request");
    assert_eq!(
        describe(&hits[0]),
        "src/http.py:8 definition parse_http_request"
    );
    assert_eq!(hits[0].kind.as_deref(), Some("function"));
    assert_eq!(
        hits[0].doc.as_deref(),
        Some("Parse a raw HTTP request into method, path and headers.")
    );
    assert_eq!(hits[0].column, 5);
    // Its call sites follow; the definition's own chunk is merged into the definition.
    let rest = described(&hits[1..]);
    assert!(
        rest.contains(&"src/http.py:32 code Server.handle".to_string()),
        "{rest:?}"
    );
    assert!(
        rest.iter()
            .any(|h| h.starts_with("tests/test_http.py:1 code")),
        "{rest:?}"
    );
    assert!(
        !rest.iter().any(|h| h.starts_with("src/http.py:8")),
        "{rest:?}"
    );
    assert!(
        !rest.iter().any(|h| h.starts_with("README")),
        "only source files are indexed"
    );
}

#[test]
fn naming_styles_meet_in_both_directions() {
    let repo = Repo::new();
    let hits = described(&repo.search("http request"));
    for expected in [
        "src/http.py:8 definition parse_http_request",
        "src/lib.rs:4 definition HttpRequest",
    ] {
        assert!(
            hits.contains(&expected.to_string()),
            "{expected} not in {hits:?}"
        );
    }
    let hits = described(&repo.search("ParseHttpResponse"));
    assert_eq!(hits[0], "web/client.js:4 definition parseHttpResponse");
    let hits = described(&repo.search("retry_delay_ms"));
    assert_eq!(hits[0], "web/client.js:21 definition retryDelayMs");
}

#[test]
fn snippets_show_matching_lines_with_highlights() {
    let repo = Repo::new();
    let hits = repo.search("sock accept");
    let line = hits
        .iter()
        .flat_map(|h| &h.snippet)
        .find(|l| l.line == 28)
        .expect("line 28, with both words, in a snippet");
    assert_eq!(line.text, "            conn, _ = sock.accept()");
    let marked: Vec<&str> = line
        .highlights
        .iter()
        .map(|&(a, b)| &line.text[a..b])
        .collect();
    assert_eq!(marked, ["sock", "accept"]);
}

#[test]
fn filters_restrict_results() {
    let repo = Repo::new();
    let all_langs =
        |q: &str| -> Vec<String> { repo.search(q).iter().map(|h| h.language.clone()).collect() };
    assert!(all_langs("parse lang:rust").iter().all(|l| l == "rust"));
    assert!(!all_langs("parse lang:rust").is_empty());
    assert!(all_langs("parse -lang:python")
        .iter()
        .all(|l| l != "python"));
    let paths: Vec<String> = repo
        .search("parse path:tests/**")
        .iter()
        .map(|h| h.path.clone())
        .collect();
    assert!(
        !paths.is_empty() && paths.iter().all(|p| p == "tests/test_http.py"),
        "{paths:?}"
    );
    let paths: Vec<String> = repo
        .search("parse path:*.js")
        .iter()
        .map(|h| h.path.clone())
        .collect();
    assert!(
        !paths.is_empty() && paths.iter().all(|p| p == "web/client.js"),
        "{paths:?}"
    );
    assert!(repo.search("parse path:nowhere/**").is_empty());

    let kinds = described(&repo.search("kind:method lang:javascript"));
    assert_eq!(
        kinds,
        [
            "web/client.js:10 definition HttpClient.constructor",
            "web/client.js:15 definition HttpClient.fetchJson"
        ]
    );
    let structs = described(&repo.search("kind:struct"));
    assert_eq!(structs, ["src/lib.rs:4 definition HttpRequest"]);

    let syms = described(&repo.search("sym:handle"));
    assert_eq!(
        syms,
        [
            "src/http.py:31 definition Server.handle",
            "src/lib.rs:29 definition Handler::handle"
        ]
    );
    let syms = described(&repo.search("sym:Server.handle"));
    assert_eq!(syms, ["src/http.py:31 definition Server.handle"]);

    // Excluding a word drops code that holds it, definitions whose code holds it included.
    let with = described(&repo.search("parse_http_request"));
    assert!(with.contains(&"tests/test_http.py:4 definition test_parse_http_request".to_string()));
    let without = described(&repo.search("parse_http_request -assert"));
    assert!(
        !without
            .iter()
            .any(|h| h.starts_with("tests/test_http.py:4")),
        "{without:?}"
    );
    assert!(
        without.contains(&"tests/test_http.py:1 code -".to_string()),
        "{without:?}"
    );
}

#[test]
fn phrases_and_regexes_check_the_text() {
    let repo = Repo::new();
    let hits = repo.search("\"self.port = port\"");
    assert_eq!(described(&hits), ["src/http.py:21 code Server.__init__"]);
    assert!(
        repo.search("\"port = self.port\"").is_empty(),
        "words in another order"
    );
    // Smart case: a capital makes the phrase case-sensitive.
    assert_eq!(repo.search("\"HTTP/1.1 200\"").len(), 1);
    assert!(repo.search("\"http/1.1 200 ok\"").len() == 1);
    assert!(repo.search("\"Http/1.1 200\"").is_empty());

    let hits = repo.search(r"/\d{5}/");
    assert_eq!(described(&hits), ["src/http.py:32 code Server.handle"]);
    let line = &hits[0].snippet[0];
    assert_eq!(
        &line.text[line.highlights[0].0..line.highlights[0].1],
        "65536"
    );
    let hits = repo.search(r"/fetch\(/ lang:javascript");
    assert_eq!(
        described(&hits),
        ["web/client.js:16 code HttpClient.fetchJson"]
    );
    assert!(repo.search(r"/fetch\(/ lang:rust").is_empty());
    let hits = repo.search(r"/split/ -/split_whitespace/");
    assert!(
        hits.iter().all(|h| h.path != "src/lib.rs"),
        "{:?}",
        described(&hits)
    );
}

#[test]
fn incremental_updates_touch_only_changed_files() {
    let repo = Repo::new();
    let again = repo.update();
    assert_eq!(
        (again.added, again.changed, again.removed, again.unchanged),
        (0, 0, 0, 4)
    );
    assert!(!again.committed, "nothing changed, nothing committed");

    // Edit: the new name is found, the old one is gone.
    let text = std::fs::read_to_string(repo.root().join("src/lib.rs")).unwrap();
    repo.write(
        "src/lib.rs",
        &text.replace("pub fn route(", "pub fn dispatch_request("),
    );
    let stats = repo.update();
    assert_eq!(
        (stats.added, stats.changed, stats.removed, stats.unchanged),
        (0, 1, 0, 3)
    );
    assert!(described(&repo.search("sym:route")).is_empty());
    assert_eq!(
        described(&repo.search("dispatch_request"))[0],
        "src/lib.rs:20 definition dispatch_request"
    );

    // Delete.
    std::fs::remove_file(repo.root().join("tests/test_http.py")).unwrap();
    let stats = repo.update();
    assert_eq!((stats.removed, stats.unchanged), (1, 3));
    assert!(repo
        .search("test_parse_http_request")
        .iter()
        .all(|h| !h.path.starts_with("tests/")));

    // Rename: one removed, one added.
    std::fs::rename(
        repo.root().join("web/client.js"),
        repo.root().join("web/api.mjs"),
    )
    .unwrap();
    let stats = repo.update();
    assert_eq!((stats.added, stats.removed), (1, 1));
    assert_eq!(
        described(&repo.search("sym:HttpClient")),
        ["web/api.mjs:9 definition HttpClient"]
    );

    // A file that turns binary leaves the index, with the reason.
    repo.write("src/http.py", "\0\0binary");
    let stats = repo.update();
    assert_eq!(stats.removed, 1);
    assert_eq!(stats.skipped.len(), 1);
    assert!(repo.search("sym:parse_http_request").is_empty());
    assert_eq!(repo.index.file_count(), 2);

    // A rebuild re-indexes everything in one commit.
    let stats = repo
        .index
        .update(
            &repo.root(),
            &UpdateOptions {
                rebuild: true,
                ..UpdateOptions::default()
            },
            &|_| {},
        )
        .unwrap();
    assert_eq!((stats.added, stats.unchanged), (2, 0));
    assert_eq!(repo.index.file_count(), 2);
}

#[test]
fn a_second_writer_is_refused_with_a_clear_error() {
    let repo = Repo::new();
    let raw = tantivy::Index::open_in_dir(repo.dir.path().join("index")).unwrap();
    let _writer: tantivy::IndexWriter = raw.writer(15_000_000).unwrap();
    let err = repo
        .index
        .update(&repo.root(), &UpdateOptions::default(), &|_| {})
        .unwrap_err();
    assert!(matches!(err, IndexError::Locked(_)), "{err}");
    assert!(
        err.to_string().contains("being updated by another process"),
        "{err}"
    );
    // Searching still works while another process writes.
    assert!(!repo.search("parse_http_request").is_empty());
}

#[test]
fn corrupt_and_foreign_indexes_give_a_rebuild_hint() {
    let repo = Repo::new();
    let dir = repo.dir.path().join("index");
    drop(repo.index);

    let settings = dir.join("arbor.json");
    let original = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        original.replace(
            &format!("\"format\": {}", arbor_index::schema::FORMAT_VERSION),
            "\"format\": 999",
        ),
    )
    .unwrap();
    let err = CodeIndex::open(&dir).err().unwrap();
    assert!(matches!(err, IndexError::VersionMismatch { .. }), "{err}");
    assert!(
        err.to_string().contains("format 999") && err.to_string().contains("--rebuild"),
        "{err}"
    );
    std::fs::write(&settings, &original).unwrap();

    std::fs::write(dir.join("meta.json"), b"{ not json").unwrap();
    let err = CodeIndex::open(&dir).err().unwrap();
    assert!(matches!(err, IndexError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("arbor index --rebuild"), "{err}");
    assert!(CodeIndex::open_or_create(&dir, IndexSettings::default(), false).is_err());

    // Recreating works and refuses to wipe a folder that is not an index.
    let index = CodeIndex::open_or_create(&dir, IndexSettings::default(), true).unwrap();
    assert_eq!(index.file_count(), 0);
    let foreign = repo.dir.path().join("repo");
    let err = CodeIndex::open_or_create(&foreign, IndexSettings::default(), true)
        .err()
        .unwrap();
    assert!(err.to_string().contains("not an Arbor index"), "{err}");
    assert!(foreign.join("src/lib.rs").exists());

    let err = CodeIndex::open(&repo.dir.path().join("nothing"))
        .err()
        .unwrap();
    assert!(matches!(err, IndexError::Missing(_)));
}

#[test]
fn default_tokenizer_index_works_as_a_baseline() {
    let repo = Repo::with_settings(IndexSettings {
        tokenizer: TokenizerKind::Default,
        ..IndexSettings::default()
    });
    // snake_case splits on `_` even there; camelCase does not.
    assert!(!repo.search("http request").is_empty());
    // `delay` only occurs inside the identifier retryDelayMs.
    assert!(repo.search("delay").is_empty());
    assert!(!Repo::new().search("delay").is_empty());
}

#[test]
fn stripped_docs_are_not_searchable() {
    let repo = Repo::with_settings(IndexSettings {
        strip_docs: true,
        ..IndexSettings::default()
    });
    assert!(repo.search("\"Loop over incoming connections\"").is_empty());
    assert!(repo.search("incoming").is_empty());
    let full = Repo::new();
    assert!(!full.search("incoming").is_empty());
    let hits = described(&repo.search("serve_forever"));
    assert_eq!(
        hits[0], "src/http.py:23 definition Server.serve_forever",
        "line numbers are kept"
    );
}
