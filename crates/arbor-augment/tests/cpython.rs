//! Python outputs checked with CPython's own compiler, not only with tree-sitter: the two
//! disagree on corners of the language (a form feed in the indentation resets the column for
//! CPython's tokenizer), and code that only tree-sitter accepts is not valid Python. Skipped,
//! with a message, where no `python3` is installed.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use arbor_augment::{augment, by_id, AugmentOptions, TRANSFORMS};
use arbor_syntax::Language;

/// Whether `python3` runs here.
fn python_available() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import ast"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipped: python3 is not installed, so outputs cannot be checked with CPython");
    }
    found
}

/// Fails the test, naming every case CPython rejects (see [`cpython_check`]).
fn assert_cpython_accepts(cases: &[(String, String, Option<String>)]) {
    let failures: Vec<String> = cases
        .iter()
        .zip(cpython_check(cases))
        .filter_map(|((what, ..), verdict)| verdict.map(|v| format!("{what}: {v}")))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// CPython's verdict on each case, in one interpreter run: `None` when the source compiles
/// (and, where an original is given, parses to the same AST as the original), else the error.
fn cpython_check(cases: &[(String, String, Option<String>)]) -> Vec<Option<String>> {
    let dir = tempfile::tempdir().unwrap();
    for (i, (_, source, original)) in cases.iter().enumerate() {
        std::fs::write(dir.path().join(format!("{i}.py")), source).unwrap();
        if let Some(original) = original {
            std::fs::write(dir.path().join(format!("{i}.orig")), original).unwrap();
        }
    }
    let script = r#"
import ast, os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    path = os.path.join(d, f"{i}.py")
    src = open(path, "rb").read()
    try:
        compile(src, path, "exec")
        orig = os.path.join(d, f"{i}.orig")
        if os.path.exists(orig):
            a = ast.dump(ast.parse(open(orig, "rb").read()))
            b = ast.dump(ast.parse(src))
            print("ok" if a == b else "the AST changed")
        else:
            print("ok")
    except Exception as e:
        print(f"{type(e).__name__}: {e}".replace("\n", " "))
"#;
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(dir.path())
        .arg(cases.len().to_string())
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verdicts: Vec<Option<String>> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| (line != "ok").then(|| line.to_string()))
        .collect();
    assert_eq!(verdicts.len(), cases.len());
    verdicts
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/augment/python")
}

/// Every Python fixture input of `tests/fixtures/augment/python` and expected output (kept as
/// snapshots, see `support`), each with what names it.
fn fixture_files() -> Vec<(String, String)> {
    let mut paths: Vec<PathBuf> = Some(fixtures().join("common.py"))
        .filter(|p| p.exists())
        .into_iter()
        .collect();
    for dir in std::fs::read_dir(fixtures()).unwrap() {
        let dir = dir.unwrap().path();
        if dir.is_dir() {
            for file in std::fs::read_dir(&dir).unwrap() {
                let file = file.unwrap().path();
                if file.extension().is_some_and(|e| e == "py") {
                    paths.push(file);
                }
            }
        }
    }
    paths.sort();
    let mut files: Vec<(String, String)> = paths
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    for output in support::expected_outputs("python") {
        files.push((output.path.display().to_string(), output.text));
    }
    files
}

/// Every Python transform, with three seeds, on every fixture (inputs and expected outputs):
/// whatever applies must be code CPython compiles.
#[test]
fn transform_outputs_on_the_python_fixtures_compile_with_cpython() {
    if !python_available() {
        return;
    }
    let mut cases = Vec::new();
    for (path, source) in fixture_files() {
        cases.push((path.clone(), source.clone(), None));
        for transform in TRANSFORMS.iter().filter(|t| t.supports(Language::Python)) {
            for seed in 1..=3 {
                let result = augment(
                    &source,
                    Language::Python,
                    &[transform],
                    &AugmentOptions {
                        seed,
                        ..Default::default()
                    },
                )
                .unwrap();
                if !result.applied.is_empty() {
                    let what = format!("{} on {path} (seed {seed})", transform.id);
                    cases.push((what, result.text, None));
                }
            }
        }
    }
    assert!(cases.len() > 100, "only {} cases", cases.len());
    assert_cpython_accepts(&cases);
}

/// A line whose indentation starts with a form feed: CPython counts only the spaces after it.
/// reindent used to take such a line for unindented and leave it while rescaling the others,
/// which CPython rejects ("unindent does not match any outer indentation level").
#[test]
fn reindent_keeps_form_feed_lines_valid_for_cpython() {
    let sources = [
        "def f(x):\n    y = x\n\x0c    return y\n",
        "\x0cimport os\n\nclass A:\n    def f(self):\n\x0c        return os\n\x0c\n    x = 1\n",
        "if True:\n    \x0c    pass\n    \x0c    x = 2\n",
    ];
    let reindent = by_id("reindent").unwrap();
    let mut cases = Vec::new();
    for source in sources {
        for seed in 0..6 {
            let result = augment(
                source,
                Language::Python,
                &[reindent],
                &AugmentOptions {
                    seed,
                    ..Default::default()
                },
            )
            .unwrap();
            assert_eq!(
                result.applied,
                ["reindent"],
                "{source:?}: {:?}",
                result.skipped
            );
            assert_ne!(result.text, source);
            assert_eq!(
                result.text.matches('\x0c').count(),
                source.matches('\x0c').count(),
                "form feeds are kept"
            );
            let what = format!("{source:?} (seed {seed}) → {:?}", result.text);
            cases.push((what, result.text, Some(source.to_string())));
        }
    }
    if !python_available() {
        return;
    }
    assert_cpython_accepts(&cases);
}
