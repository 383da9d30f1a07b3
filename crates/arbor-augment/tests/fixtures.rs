//! Fixtures of `tests/fixtures/augment/<language>/<transform>/`: each input `<case>.<ext>`
//! transformed with seed 1 must give `<case>.expected.<ext>`, or, where `<case>.skip`
//! exists, be left unchanged with a reason containing that file's text. A language folder's
//! `common.<ext>` is an input of every transform folder that has a `common.expected.<ext>`.
//! Run with `ARBOR_BLESS=1` to write missing expected files (then review them).

use std::path::Path;

use arbor_augment::{augment, by_id, AugmentOptions, Naming, TRANSFORMS};
use arbor_syntax::{Language, ParsedFile};

#[test]
fn transforms_match_their_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/augment");
    let bless = std::env::var_os("ARBOR_BLESS").is_some();
    let mut checked = 0;
    let mut missing = Vec::new();
    for (dir, language) in [
        ("python", Language::Python),
        ("javascript", Language::JavaScript),
        ("rust", Language::Rust),
    ] {
        let Ok(transform_dirs) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut transform_dirs: Vec<_> = transform_dirs.map(|e| e.unwrap().path()).collect();
        transform_dirs.sort();
        for transform_dir in transform_dirs {
            let id = transform_dir
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            if !transform_dir.is_dir() {
                continue;
            }
            let transform = by_id(&id).unwrap_or_else(|| panic!("no transform {id}"));
            let mut inputs: Vec<_> = std::fs::read_dir(&transform_dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    let name = p.file_name().unwrap().to_str().unwrap();
                    !name.contains(".expected.") && !name.ends_with(".skip")
                })
                .collect();
            inputs.sort();
            // The shared input, for the transforms that have an expected output of it.
            let ext = match language {
                Language::Python => "py",
                Language::JavaScript => "js",
                Language::Rust => "rs",
            };
            let shared = transform_dir.join(format!("common.expected.{ext}"));
            let common = root.join(dir).join(format!("common.{ext}"));
            // Blessing: the shared input becomes a case of the transforms that apply to it.
            let run = |source: &str| {
                let options = AugmentOptions {
                    seed: 1,
                    ..Default::default()
                };
                augment(source, language, &[transform], &options).unwrap()
            };
            let blessable = || {
                let source = std::fs::read_to_string(&common).unwrap();
                !run(&source).applied.is_empty()
            };
            if shared.exists() || (bless && common.exists() && blessable()) {
                inputs.push(transform_dir.join(format!("common.{ext}")));
            }
            for input in inputs {
                let source_path = if input.exists() {
                    input.clone()
                } else {
                    root.join(dir).join(input.file_name().unwrap())
                };
                let source = std::fs::read_to_string(&source_path).unwrap();
                let result = run(&source);
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
                } else {
                    assert_eq!(
                        result.applied,
                        [transform.id],
                        "{what}: {:?}",
                        result.skipped
                    );
                    let parsed = ParsedFile::parse("x", language, result.text.clone()).unwrap();
                    assert!(!parsed.has_errors(), "{what}: output does not parse");
                    let ext = input.extension().unwrap().to_str().unwrap();
                    let expected = input.with_extension(format!("expected.{ext}"));
                    match std::fs::read_to_string(&expected) {
                        Ok(text) => assert_eq!(result.text, text, "{what}"),
                        Err(_) if bless => std::fs::write(&expected, &result.text).unwrap(),
                        Err(_) => missing.push(expected.display().to_string()),
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(missing.is_empty(), "missing expected files: {missing:#?}");
    assert!(checked >= TRANSFORMS.len(), "only {checked} fixtures");
}

#[test]
fn every_supported_transform_and_language_has_a_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/augment");
    let mut missing = Vec::new();
    for transform in TRANSFORMS {
        for language in transform.languages() {
            let (dir, ext) = match language {
                Language::Python => ("python", "py"),
                Language::JavaScript => ("javascript", "js"),
                Language::Rust => ("rust", "rs"),
            };
            let folder = root.join(dir).join(transform.id);
            // A case of its own (an input, with its expected output or a skip reason), or an
            // expected output of the language's shared input.
            let has_case = std::fs::read_dir(&folder).is_ok_and(|entries| {
                entries.filter_map(Result::ok).any(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.ends_with(&format!(".{ext}")) || name.ends_with(".skip")
                })
            });
            if !has_case {
                missing.push(format!(
                    "{} for {}: no fixture in {}",
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
/// the binary printed, or `None` for a library.
fn compile_rust(file: &Path, out_dir: &Path) -> Option<String> {
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
    assert!(status.success(), "{}: rustc failed", file.display());
    bin.then(|| {
        let run = std::process::Command::new(&output).output().unwrap();
        assert!(
            run.status.success(),
            "{}: the program failed",
            file.display()
        );
        String::from_utf8(run.stdout).unwrap()
    })
}

#[test]
fn rust_outputs_compile_and_the_shared_program_prints_the_same() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/augment/rust");
    let tmp = tempfile::tempdir().unwrap();
    let expected = compile_rust(&root.join("common.rs"), tmp.path()).expect("common.rs has main");
    let mut compiled = 0;
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if !file.to_str().unwrap().ends_with(".expected.rs") {
                continue;
            }
            let printed = compile_rust(&file, tmp.path());
            if file.file_name().unwrap() == "common.expected.rs" {
                assert_eq!(
                    printed.as_deref(),
                    Some(expected.as_str()),
                    "{}",
                    file.display()
                );
            }
            compiled += 1;
        }
    }
    assert!(compiled >= 20, "only {compiled} Rust outputs");
}

#[test]
fn javascript_outputs_run_like_the_shared_program_where_node_is_installed() {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/augment/javascript");
    let node = |file: &Path| std::process::Command::new("node").arg(file).output();
    let Ok(expected) = node(&root.join("common.js")) else {
        eprintln!("node is not installed: the JavaScript outputs were only parsed");
        return;
    };
    assert!(expected.status.success());
    let mut ran = 0;
    for dir in std::fs::read_dir(&root).unwrap() {
        let shared = dir.unwrap().path().join("common.expected.js");
        if shared.exists() {
            let out = node(&shared).unwrap();
            assert!(out.status.success(), "{}", shared.display());
            assert_eq!(out.stdout, expected.stdout, "{}", shared.display());
            ran += 1;
        }
    }
    assert!(ran >= 10, "only {ran} JavaScript outputs");
}
