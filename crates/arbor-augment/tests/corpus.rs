//! Round-trip validity over a real corpus: every transform on a sample of the Python
//! standard library (every 4th module of the interpreter's own library folder) either
//! applies and gives code that parses without errors (the engine checks) or says why not —
//! never through a transform bug (overlapping edits, output that does not reparse); the
//! Python outputs must also compile with CPython.

use arbor_augment::{augment, AugmentOptions, TRANSFORMS};
use arbor_syntax::Language;

#[test]
fn transforms_on_the_standard_library_never_break_the_syntax() {
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import os, sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .output()
        .expect("python3");
    let stdlib = std::path::PathBuf::from(String::from_utf8(output.stdout).unwrap().trim());
    let mut files: Vec<_> = std::fs::read_dir(&stdlib)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    let sample: Vec<_> = files.into_iter().step_by(4).take(40).collect();
    assert!(
        sample.len() >= 20,
        "a standard library at {}",
        stdlib.display()
    );
    let outputs = check(&sample, Language::Python, 3);
    // tree-sitter accepting an output does not make it Python: CPython must compile it too.
    let dir = tempfile::tempdir().unwrap();
    for (i, (_, text)) in outputs.iter().enumerate() {
        std::fs::write(dir.path().join(format!("{i}.py")), text).unwrap();
    }
    let script = "import os, sys\n\
                  for i in range(int(sys.argv[2])):\n    \
                  p = os.path.join(sys.argv[1], f'{i}.py')\n    \
                  try: compile(open(p, 'rb').read(), p, 'exec'); print('ok')\n    \
                  except Exception as e: print(type(e).__name__, str(e).replace('\\n', ' '))\n";
    let output = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(dir.path())
        .arg(outputs.len().to_string())
        .output()
        .expect("python3");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verdicts = String::from_utf8(output.stdout).unwrap();
    let verdicts: Vec<&str> = verdicts.lines().collect();
    assert_eq!(verdicts.len(), outputs.len());
    let failures: Vec<String> = outputs
        .iter()
        .zip(verdicts)
        .filter(|(_, v)| *v != "ok")
        .map(|((what, _), v)| format!("{what}: {v}"))
        .collect();
    assert!(
        failures.is_empty(),
        "CPython rejects:\n{}",
        failures.join("\n")
    );
}

/// The same on this repository's own Rust sources (every crate's `src/*.rs`).
#[test]
fn transforms_on_this_repository_never_break_the_syntax() {
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in std::fs::read_dir(&crates).unwrap() {
        let src = krate.unwrap().path().join("src");
        if let Ok(entries) = std::fs::read_dir(&src) {
            files.extend(
                entries
                    .map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|e| e == "rs")),
            );
        }
    }
    files.sort();
    assert!(files.len() >= 20);
    check(&files, Language::Rust, 5);
}

/// Runs every transform of `language` on every file: no transform bug, and each applies to
/// at least one file. Returns the outputs of the transforms that applied, with what they are.
fn check(files: &[std::path::PathBuf], language: Language, seed: u64) -> Vec<(String, String)> {
    let mut outputs = Vec::new();
    let transforms: Vec<_> = TRANSFORMS.iter().filter(|t| t.supports(language)).collect();
    let mut applied = vec![0usize; transforms.len()];
    for path in files {
        let Ok(source) = std::fs::read_to_string(path) else {
            continue;
        };
        for (i, transform) in transforms.iter().enumerate() {
            let result = augment(
                &source,
                language,
                &[transform],
                &AugmentOptions {
                    seed,
                    ..Default::default()
                },
            )
            .unwrap();
            for (id, reason) in &result.skipped {
                assert!(
                    !reason.contains("bug") && !reason.contains("does not reparse"),
                    "{id} on {}: {reason}",
                    path.display()
                );
            }
            applied[i] += result.applied.len();
            if !result.applied.is_empty() {
                outputs.push((
                    format!("{} on {}", transform.id, path.display()),
                    result.text,
                ));
            }
        }
    }
    for (transform, n) in transforms.iter().zip(&applied) {
        eprintln!("{}: {n}/{}", transform.id, files.len());
        assert!(*n > 0, "{} applied to no file", transform.id);
    }
    outputs
}
