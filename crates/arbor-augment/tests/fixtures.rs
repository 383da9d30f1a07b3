//! Fixtures of `tests/fixtures/augment/<language>/<transform>/`: each input `<case>.<ext>`
//! transformed with seed 1 must give its insta snapshot in `tests/snapshots/`
//! (`fixtures__augment@<language>__<transform>__<case>.<ext>.snap`), or, where `<case>.skip`
//! exists, be left unchanged with a reason containing that file's text. A language folder's
//! `common.<ext>` is an input of every transform that has a snapshot of it
//! (`…__<transform>__common.<ext>.snap`) or that applies to it.
//!
//! After a deliberate change, review the differences with `cargo insta review` (or accept them
//! all with `INSTA_UPDATE=always cargo test -p arbor-augment --test fixtures`) and commit the
//! `.snap` files. The snapshots are the only copy of the expected outputs: the tests below that
//! compile or run them read them from there (`support`).

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use arbor_augment::{augment, by_id, AugmentOptions, Augmented, Naming, Transform, TRANSFORMS};
use arbor_syntax::{Language, ParsedFile};
use support::{expected_outputs, snapshot_path, SNAPSHOT_NAME};

/// Each language's fixture folder and file extension.
const LANGUAGES: [(&str, Language, &str); 3] = [
    ("python", Language::Python, "py"),
    ("javascript", Language::JavaScript, "js"),
    ("rust", Language::Rust, "rs"),
];

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/augment")
}

/// `transform` alone, with seed 1.
fn run(source: &str, language: Language, transform: &Transform) -> Augmented {
    let options = AugmentOptions {
        seed: 1,
        ..Default::default()
    };
    augment(source, language, &[transform], &options).unwrap()
}

/// The transforms with fixtures in `dir`: its folders, and every transform of `language`
/// (whose only case may be the shared input, kept as a snapshot alone).
fn transform_ids(dir: &str, language: Language) -> BTreeSet<String> {
    let mut ids: BTreeSet<String> = TRANSFORMS
        .iter()
        .filter(|t| t.supports(language))
        .map(|t| t.id.to_string())
        .collect();
    for entry in std::fs::read_dir(fixtures_root().join(dir)).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            ids.insert(path.file_name().unwrap().to_str().unwrap().to_string());
        }
    }
    ids
}

/// The inputs of `transform` in `dir`: the files of its folder, sorted, then the shared input
/// (as a path in that folder) where it has a snapshot or the transform applies to it.
fn case_inputs(dir: &str, language: Language, ext: &str, transform: &Transform) -> Vec<PathBuf> {
    let transform_dir = fixtures_root().join(dir).join(transform.id);
    let mut inputs: Vec<PathBuf> = match std::fs::read_dir(&transform_dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .filter(|p| !p.to_str().unwrap().ends_with(".skip"))
            .collect(),
        Err(_) => Vec::new(),
    };
    inputs.sort();
    let common = fixtures_root().join(dir).join(format!("common.{ext}"));
    let name = format!("common.{ext}");
    let applies = || {
        let source = std::fs::read_to_string(&common).unwrap();
        !run(&source, language, transform).applied.is_empty()
    };
    if snapshot_path(dir, transform.id, &name).exists() || (common.exists() && applies()) {
        inputs.push(transform_dir.join(name));
    }
    inputs
}

/// Transforms `input` (a file of the transform's folder, or the shared input) and checks the
/// output against its snapshot, or the skip against its reason.
fn check_case(dir: &str, language: Language, transform: &Transform, input: &Path) {
    let name = input.file_name().unwrap().to_str().unwrap();
    let source_path = if input.exists() {
        input.to_path_buf()
    } else {
        fixtures_root().join(dir).join(name)
    };
    let source = std::fs::read_to_string(&source_path).unwrap();
    let result = run(&source, language, transform);
    let skip = input.with_extension("skip");
    let what = input.display();
    if skip.exists() {
        let reason = std::fs::read_to_string(&skip).unwrap();
        assert!(result.applied.is_empty(), "{what}: applied");
        assert_eq!(result.text, source, "{what}: changed");
        assert!(
            result.skipped[0].1.contains(reason.trim()),
            "{what}: skipped because {:?}",
            result.skipped
        );
        return;
    }
    assert_eq!(
        result.applied,
        [transform.id],
        "{what}: {:?}",
        result.skipped
    );
    let parsed = ParsedFile::parse("x", language, result.text.clone()).unwrap();
    assert!(!parsed.has_errors(), "{what}: output does not parse");
    // insta ignores trailing whitespace: outputs always end with one newline, so that the
    // snapshot holds them byte for byte.
    assert!(
        format!("{}\n", result.text.trim_end()) == result.text && !result.text.contains("\r\n"),
        "{what}: the output does not end with exactly one newline, or has CRLF"
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_input_file(&source_path);
    settings.set_snapshot_suffix(format!("{dir}/{}/{name}", transform.id));
    settings.bind(|| insta::assert_snapshot!(SNAPSHOT_NAME, result.text));
}

#[test]
fn transforms_match_their_fixtures() {
    let mut checked = 0;
    for (dir, language, ext) in LANGUAGES {
        if !fixtures_root().join(dir).is_dir() {
            continue;
        }
        for id in transform_ids(dir, language) {
            let transform = by_id(&id).unwrap_or_else(|| panic!("no transform {id}"));
            for input in case_inputs(dir, language, ext, transform) {
                check_case(dir, language, transform, &input);
                checked += 1;
            }
        }
    }
    assert!(checked >= TRANSFORMS.len(), "only {checked} fixtures");
}

#[test]
fn every_supported_transform_and_language_has_a_fixture() {
    let mut missing = Vec::new();
    for transform in TRANSFORMS {
        for language in transform.languages() {
            let (dir, _, ext) = LANGUAGES.into_iter().find(|l| l.1 == language).unwrap();
            let folder = fixtures_root().join(dir).join(transform.id);
            // A case of its own (an input, with its snapshot or a skip reason), or a snapshot
            // of the language's shared input.
            let has_case = std::fs::read_dir(&folder).is_ok_and(|entries| {
                entries.filter_map(Result::ok).any(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.ends_with(&format!(".{ext}")) || name.ends_with(".skip")
                })
            }) || snapshot_path(dir, transform.id, &format!("common.{ext}"))
                .exists();
            if !has_case {
                missing.push(format!(
                    "{} for {}: no fixture in {} and no snapshot of common.{ext}",
                    transform.id,
                    language.name(),
                    folder.display()
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "transforms the registry supports without a fixture:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_same_seed_gives_the_same_output_and_another_seed_may_differ() {
    let source = "def f(a, b):\n    total = a + b\n    count = a * b\n    return total, count\n";
    let transform = by_id("rename-variables").unwrap();
    let run = |seed| {
        augment(
            source,
            Language::Python,
            &[transform],
            &AugmentOptions {
                seed,
                ..Default::default()
            },
        )
        .unwrap()
        .text
    };
    assert_eq!(run(5), run(5));
    let outputs: std::collections::HashSet<String> = (0..8).map(run).collect();
    assert!(outputs.len() > 1, "seeds change the names");
    let indexed = augment(
        source,
        Language::Python,
        &[transform],
        &AugmentOptions {
            naming: Naming::Indexed,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        indexed.text,
        "def f(var_0, var_1):\n    var_2 = var_0 + var_1\n    var_3 = var_0 * var_1\n    return var_2, var_3\n"
    );
}

#[test]
fn kept_names_and_invalid_input_are_respected() {
    let transform = by_id("rename-function").unwrap();
    let source = "def f():\n    return 1\n\n\ndef g():\n    return f()\n";
    let keep = vec!["f".to_string(), "g".to_string()];
    let result = augment(
        source,
        Language::Python,
        &[transform],
        &AugmentOptions {
            keep: &keep,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(result.applied.is_empty());
    let broken = "def f(:\n    return\n";
    let result = augment(
        broken,
        Language::Python,
        &[transform],
        &AugmentOptions::default(),
    )
    .unwrap();
    assert_eq!(result.text, broken);
    assert_eq!(result.skipped[0].1, "the input has syntax errors");
}

#[test]
fn deeply_nested_input_never_overflows_the_stack() {
    let n = 20_000;
    let (open, close) = ("(".repeat(n), ")".repeat(n));
    let inputs = [
        (
            Language::Python,
            format!(
                "def f(a):\n    x = {open}a{close}\n    y = {}a\n    return x, y\n",
                "not ".repeat(n)
            ),
        ),
        (
            Language::JavaScript,
            format!("function f(a) {{\n  let x = {open}a{close};\n  return x;\n}}\n"),
        ),
        (
            Language::Rust,
            format!("fn f(a: i32) -> i32 {{\n    let x = {open}a{close};\n    x\n}}\n"),
        ),
    ];
    for (language, source) in inputs {
        let all: Vec<_> = TRANSFORMS.iter().filter(|t| t.supports(language)).collect();
        for transform in all {
            // Any outcome but a crash.
            augment(&source, language, &[transform], &AugmentOptions::default()).unwrap();
        }
    }
}

/// The `rustc` that builds these tests (`RUSTC` under cargo), else the one on `PATH`.
fn rustc() -> String {
    std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string())
}

/// Compiles `file` (a binary when it has `main`, run then, else a library) and returns what
/// the binary printed, or `None` for a library; `what` names it in failures.
fn compile_rust(file: &Path, out_dir: &Path, what: &Path) -> Option<String> {
    let source = std::fs::read_to_string(file).unwrap();
    let bin = source.contains("fn main()");
    let output = out_dir.join("out");
    let status = std::process::Command::new(rustc())
        .args([
            "--edition",
            "2021",
            "--crate-name",
            "fixture",
            "--crate-type",
        ])
        .arg(if bin { "bin" } else { "lib" })
        .arg("-o")
        .arg(&output)
        .arg(file)
        .arg("-Awarnings")
        .status()
        .unwrap();
    assert!(status.success(), "{}: rustc failed", what.display());
    bin.then(|| {
        let run = std::process::Command::new(&output).output().unwrap();
        assert!(
            run.status.success(),
            "{}: the program failed",
            what.display()
        );
        String::from_utf8(run.stdout).unwrap()
    })
}

#[test]
fn rust_outputs_compile_and_the_shared_program_prints_the_same() {
    let common = fixtures_root().join("rust/common.rs");
    let tmp = tempfile::tempdir().unwrap();
    let expected = compile_rust(&common, tmp.path(), &common).expect("common.rs has main");
    let mut compiled = 0;
    let file = tmp.path().join("fixture.rs");
    for output in expected_outputs("rust") {
        std::fs::write(&file, &output.text).unwrap();
        let printed = compile_rust(&file, tmp.path(), &output.path);
        if output.input == "common.rs" {
            assert_eq!(
                printed.as_deref(),
                Some(expected.as_str()),
                "{}",
                output.path.display()
            );
        }
        compiled += 1;
    }
    assert!(compiled >= 20, "only {compiled} Rust outputs");
}

#[test]
fn javascript_outputs_run_like_the_shared_program_where_node_is_installed() {
    let root = fixtures_root().join("javascript");
    let node = |file: &Path| std::process::Command::new("node").arg(file).output();
    let Ok(expected) = node(&root.join("common.js")) else {
        eprintln!("node is not installed: the JavaScript outputs were only parsed");
        return;
    };
    assert!(expected.status.success());
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("common.expected.js");
    let mut ran = 0;
    for output in expected_outputs("javascript") {
        if output.input == "common.js" {
            std::fs::write(&file, &output.text).unwrap();
            let out = node(&file).unwrap();
            assert!(out.status.success(), "{}", output.path.display());
            assert_eq!(out.stdout, expected.stdout, "{}", output.path.display());
            ran += 1;
        }
    }
    assert!(ran >= 10, "only {ran} JavaScript outputs");
}
