//! Hostile states of an index directory (issue 13): what a killed writer leaves, corrupted
//! files, growth under partial updates. Each test builds the state an attack produced and checks
//! that Arbor recovers or says what is wrong, never panics and never answers wrongly.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use arbor_testkit::{copy_dir, fixture_repo};

use arbor_index::{CodeIndex, IndexError, IndexSettings, Query, SearchOptions, UpdateOptions};

/// A copy of the fixture repository and its index, in a temporary directory.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    /// The fixture repository and 30 more modules: a change to one file deletes a small share
    /// of the documents, so the update keeps the segment and writes a delete file.
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixture_repo(), &dir.path().join("repo"));
        for i in 0..30 {
            let source: String = (0..20)
                .map(|j| {
                    format!("def gen_{i}_{j}(x):\n    \"\"\"Doc {j}.\"\"\"\n    return x + {j}\n\n")
                })
                .collect();
            std::fs::write(dir.path().join(format!("repo/src/gen_{i}.py")), source).unwrap();
        }
        let fixture = Fixture { dir };
        let index = CodeIndex::create(&fixture.index_dir(), IndexSettings::default()).unwrap();
        fixture.update(&index);
        fixture
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn index_dir(&self) -> PathBuf {
        self.dir.path().join("index")
    }

    fn update(&self, index: &CodeIndex) -> arbor_index::UpdateStats {
        index
            .update(&self.root(), &UpdateOptions::default(), &|_| {})
            .unwrap()
    }

    fn open(&self) -> Result<CodeIndex, IndexError> {
        CodeIndex::open(&self.index_dir())
    }
}

fn search(index: &CodeIndex, query: &str) -> Result<Vec<String>, IndexError> {
    let query = Query::parse(query).unwrap();
    let hits = index.search(
        &query,
        &SearchOptions {
            limit: 50,
            ..SearchOptions::default()
        },
    )?;
    Ok(hits
        .iter()
        .map(|h| {
            format!(
                "{}:{}:{} {:?} {:?}",
                h.path, h.line, h.column, h.symbol, h.snippet
            )
        })
        .collect())
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

/// Adds `names` to tantivy's list of managed files, as tantivy does before it creates a file.
fn register_managed(dir: &Path, new: &[String]) {
    let path = dir.join(".managed.json");
    let mut managed: Vec<String> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    managed.extend(new.iter().cloned());
    std::fs::write(&path, serde_json::to_vec(&managed).unwrap()).unwrap();
}

/// The delete files an update of the repository as it is now writes: the update is made on a
/// copy of the index and repository.
fn delete_files_of_next_update(fixture: &Fixture) -> Vec<String> {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(fixture.dir.path(), copy.path());
    let before = names(&copy.path().join("index"));
    let index = CodeIndex::open(&copy.path().join("index")).unwrap();
    index
        .update(
            &copy.path().join("repo"),
            &UpdateOptions::default(),
            &|_| {},
        )
        .unwrap();
    let written: Vec<String> = names(&copy.path().join("index"))
        .difference(&before)
        .filter(|n| n.ends_with(".del"))
        .cloned()
        .collect();
    assert!(!written.is_empty(), "the update deletes documents");
    written
}

#[test]
fn an_update_killed_while_writing_delete_files_does_not_block_later_updates() {
    for registered in [true, false] {
        let fixture = Fixture::new();
        let lib = fixture.root().join("src/lib.rs");
        let text = std::fs::read_to_string(&lib).unwrap();
        std::fs::write(
            &lib,
            text.replace("pub fn route(", "pub fn dispatch_route("),
        )
        .unwrap();
        // What a kill -9 during the commit leaves: the delete file the next commit writes,
        // half written (tantivy registers it as managed before it creates it).
        let stray = delete_files_of_next_update(&fixture);
        for name in &stray {
            std::fs::write(fixture.index_dir().join(name), b"half").unwrap();
        }
        if registered {
            register_managed(&fixture.index_dir(), &stray);
        }
        let index = fixture.open().unwrap();
        let stats = fixture.update(&index);
        assert_eq!(stats.changed, 1, "{stats:?}");
        let hits = search(&index, "sym:dispatch_route").unwrap();
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert!(search(&index, "sym:route").unwrap().is_empty());
        drop(index);
        // The index is sound: it opens (checksums verified) and updates again.
        let index = fixture.open().unwrap();
        std::fs::write(&lib, &text).unwrap();
        assert_eq!(fixture.update(&index).changed, 1);
    }
}

#[test]
fn files_of_a_killed_writer_are_collected() {
    let fixture = Fixture::new();
    let dir = fixture.index_dir();
    // A segment written but never committed (managed), one tantivy no longer lists, and the
    // temporary file of an interrupted atomic write of meta.json.
    let ghosts = [
        "0123456789abcdef0123456789abcdef.idx".to_string(),
        "0123456789abcdef0123456789abcdef.store".to_string(),
    ];
    for name in &ghosts {
        std::fs::write(dir.join(name), b"partial").unwrap();
    }
    register_managed(&dir, &ghosts[..1]);
    std::fs::write(dir.join(".tmpAb12Cd"), b"{\"segments\":").unwrap();
    // Not the index's: kept.
    std::fs::write(dir.join("notes.txt"), b"mine").unwrap();

    let index = fixture.open().unwrap();
    assert!(!search(&index, "route").unwrap().is_empty());
    let lib = fixture.root().join("src/lib.rs");
    std::fs::write(&lib, "pub fn only_one() {}\n").unwrap();
    fixture.update(&index);
    let left = names(&dir);
    for name in ghosts.iter().chain([&".tmpAb12Cd".to_string()]) {
        assert!(!left.contains(name), "{name} left: {left:?}");
    }
    assert!(left.contains("notes.txt"));
    assert_eq!(search(&index, "sym:only_one").unwrap().len(), 1);
}

#[test]
fn a_first_build_killed_early_is_cleared_and_redone() {
    let dir = tempfile::tempdir().unwrap();
    // Left by a first build killed in its first milliseconds: tantivy's temporary meta.json
    // (older Arbor), or Arbor's settings and that file (this Arbor writes its settings first).
    for leftovers in [
        &[".tmpXy12Zw"][..],
        &["arbor.json", ".tmpXy12Zw", ".tantivy-writer.lock"][..],
        &["arbor.json.tmp"][..],
    ] {
        let index_dir = dir.path().join("index");
        let _ = std::fs::remove_dir_all(&index_dir);
        std::fs::create_dir_all(&index_dir).unwrap();
        for name in leftovers {
            std::fs::write(index_dir.join(name), b"{").unwrap();
        }
        // Without --rebuild: recovered.
        let index = CodeIndex::open_or_create(&index_dir, IndexSettings::default(), false).unwrap();
        assert_eq!(index.file_count(), 0);
        assert!(!index_dir.join(".tmpXy12Zw").exists());
        drop(index);
        assert!(CodeIndex::open(&index_dir).is_ok(), "{leftovers:?}");
        // And with it.
        std::fs::write(index_dir.join(".tmpQq11Rr"), b"").unwrap();
        assert!(CodeIndex::open_or_create(&index_dir, IndexSettings::default(), true).is_ok());
    }
}

#[test]
fn a_directory_with_other_files_is_never_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let index_dir = dir.path().join("index");
    std::fs::create_dir_all(&index_dir).unwrap();
    std::fs::write(index_dir.join(".tmpXy12Zw"), b"").unwrap();
    std::fs::write(index_dir.join("thesis.tex"), b"years of work").unwrap();
    for recreate in [false, true] {
        let err = CodeIndex::open_or_create(&index_dir, IndexSettings::default(), recreate)
            .err()
            .unwrap();
        assert!(matches!(err, IndexError::Foreign { .. }), "{err}");
        assert!(err.to_string().contains("thesis.tex"), "{err}");
        assert!(!err.to_string().contains("--rebuild"), "{err}");
        assert!(index_dir.join("thesis.tex").exists());
        assert!(index_dir.join(".tmpXy12Zw").exists());
    }
}

#[test]
fn rebuild_recreates_any_index_arbor_made() {
    // Whatever state an index of Arbor's is in, recreating it works and keeps other files.
    type Damage = fn(&Path);
    let damage: [(&str, Damage); 5] = [
        ("meta.json garbage", |d| {
            std::fs::write(d.join("meta.json"), b"{ not json").unwrap()
        }),
        ("meta.json removed", |d| {
            std::fs::remove_file(d.join("meta.json")).unwrap()
        }),
        (".managed.json garbage", |d| {
            std::fs::write(d.join(".managed.json"), b"[").unwrap()
        }),
        ("arbor.json removed", |d| {
            std::fs::remove_file(d.join("arbor.json")).unwrap()
        }),
        ("segments removed", |d| {
            for entry in std::fs::read_dir(d).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "idx") {
                    std::fs::remove_file(path).unwrap();
                }
            }
        }),
    ];
    for (what, damage) in damage {
        let fixture = Fixture::new();
        let dir = fixture.index_dir();
        damage(&dir);
        std::fs::write(dir.join("keep.txt"), b"").unwrap();
        let index = CodeIndex::open_or_create(&dir, IndexSettings::default(), true)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        fixture.update(&index);
        assert!(!search(&index, "route").unwrap().is_empty(), "{what}");
        assert!(dir.join("keep.txt").exists(), "{what}");
    }
}

/// Every file of the index, corrupted in several ways.
fn corruptions(dir: &Path) -> Vec<(String, String, Vec<u8>)> {
    let mut cases = Vec::new();
    for name in names(dir) {
        if name.ends_with(".lock") {
            continue;
        }
        let data = std::fs::read(dir.join(&name)).unwrap();
        let len = data.len();
        let mut push = |what: String, bytes: Vec<u8>| cases.push((name.clone(), what, bytes));
        push("emptied".into(), Vec::new());
        push("cut in half".into(), data[..len / 2].to_vec());
        push(
            "last byte cut".into(),
            data[..len.saturating_sub(1)].to_vec(),
        );
        for at in [
            0,
            1,
            len / 3,
            len / 2,
            len.saturating_sub(12),
            len.saturating_sub(1),
        ] {
            if at < len {
                let mut flipped = data.clone();
                flipped[at] ^= 0x5a;
                push(format!("byte {at} flipped"), flipped);
            }
        }
        let mut zeroed = data.clone();
        for b in zeroed.iter_mut().skip(len / 2).take(64) {
            *b = 0;
        }
        push("64 bytes zeroed".into(), zeroed);
    }
    cases
}

#[test]
fn every_corruption_is_an_error_with_the_rebuild_hint_or_changes_nothing() {
    let fixture = Fixture::new();
    // A second segment, and deletes in the first, so that delete files are corrupted too.
    let http = fixture.root().join("src/http.py");
    let mut text = std::fs::read_to_string(&http).unwrap();
    text.push_str("\ndef added_later():\n    return 1\n");
    std::fs::write(&http, text).unwrap();
    fixture.update(&fixture.open().unwrap());
    let queries = [
        "parse_http_request",
        "\"def parse\"",
        "route request",
        "/fn \\w+/",
        "sym:gen_3_7",
        "added_later",
    ];
    let index = fixture.open().unwrap();
    let expected: Vec<Vec<String>> = queries.iter().map(|q| search(&index, q).unwrap()).collect();
    drop(index);
    let names_now = names(&fixture.index_dir());
    assert!(
        names_now.iter().any(|n| n.ends_with(".del")),
        "{names_now:?}"
    );

    let mut errors = 0;
    let cases = corruptions(&fixture.index_dir());
    for (name, what, bytes) in &cases {
        let copy = tempfile::tempdir().unwrap();
        copy_dir(&fixture.index_dir(), copy.path());
        std::fs::write(copy.path().join(name), bytes).unwrap();
        let outcome = CodeIndex::open(copy.path()).and_then(|index| {
            queries
                .iter()
                .map(|q| search(&index, q))
                .collect::<Result<Vec<_>, _>>()
        });
        match outcome {
            Ok(results) => assert_eq!(results, expected, "{name} {what}: other results"),
            Err(err) => {
                errors += 1;
                let message = err.to_string();
                assert!(
                    matches!(
                        err,
                        IndexError::Corrupt { .. } | IndexError::VersionMismatch { .. }
                    ) && message.contains("arbor index --rebuild")
                        && !message.contains('\n'),
                    "{name} {what}: {message}"
                );
            }
        }
    }
    // Most damage is found (what is not changes nothing: a flipped byte in JSON whitespace…).
    assert!(errors * 10 > cases.len() * 8, "{errors} of {}", cases.len());
}

#[test]
fn a_file_altered_with_its_times_restored_is_still_caught() {
    let fixture = Fixture::new();
    drop(fixture.open().unwrap()); // verified once: recorded
    let dir = fixture.index_dir();
    let store = names(&dir)
        .into_iter()
        .find(|n| n.ends_with(".store"))
        .unwrap();
    let path = dir.join(&store);
    let reference = fixture.dir.path().join("reference");
    std::fs::copy(&path, &reference).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let touched = std::process::Command::new("touch")
        .arg("-r")
        .arg(&reference)
        .arg(&path)
        .status()
        .unwrap();
    assert!(touched.success());
    let err = fixture.open().err().unwrap();
    assert!(
        err.to_string()
            .contains(&format!("{store} fails its checksum")),
        "{err}"
    );
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum()
}

fn write_module(root: &Path, i: usize, version: usize) {
    let dir = root.join(format!("pkg{}", i % 10));
    std::fs::create_dir_all(&dir).unwrap();
    let mut source = String::new();
    for j in 0..60 {
        source.push_str(&format!(
            "def f_{i}_{j}_{version}(value):\n    \"\"\"Compute {j} of version {version}.\"\"\"\n    total = value * {j}\n    return total + {i}\n\n\n"
        ));
    }
    std::fs::write(dir.join(format!("module_{i}.py")), source).unwrap();
}

#[test]
fn partial_updates_do_not_grow_the_index() {
    // 400 files: the segment of the first build is large enough that tantivy's log merge policy
    // never merges it with the small segments of later updates, so only the deleted-documents
    // rule reclaims the space of the versions each update replaces.
    const FILES: usize = 400;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    for i in 0..FILES {
        write_module(&root, i, 0);
    }
    let index_dir = dir.path().join("index");
    let index = CodeIndex::create(&index_dir, IndexSettings::default()).unwrap();
    let update = || {
        index
            .update(&root, &UpdateOptions::default(), &|_| {})
            .unwrap()
    };
    update();
    let fresh = dir_size(&index_dir);
    let mut largest = fresh;
    for version in 1..=10 {
        // A tenth of the files, a different tenth each time.
        for i in (version % 10..FILES).step_by(10) {
            write_module(&root, i, version);
        }
        let stats = update();
        assert_eq!(stats.changed, FILES / 10);
        largest = largest.max(dir_size(&index_dir));
    }
    assert!(
        largest * 10 < fresh * 14,
        "the index grew from {fresh} to {largest} bytes"
    );
    let hits = search(&index, "sym:f_7_0_7").unwrap();
    assert_eq!(hits.len(), 1);
}
