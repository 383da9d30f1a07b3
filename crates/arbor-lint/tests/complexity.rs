//! `all/complexity` in its two counts on Python: Arbor's definition (the default) and
//! `complexity-counting = "mccabe"` (the `mccabe` package, flake8's C901).
//!
//! `tests/fixtures/complexity/mccabe.py` marks each function and module-level statement with
//! `# mccabe N ruff N arbor N`, the numbers the real tools report (`-`: not reported); mccabe's
//! were taken from `python -m mccabe --min 1` (mccabe 0.7.0), ruff's from ruff 0.17.6 C901 at
//! `max-complexity = 0`; `arbor-mccabe N` marks where Arbor's mccabe count deliberately
//! reports what mccabe drops (a name defined again later). The findings of the mccabe count are also an insta snapshot.

use std::path::Path;

use arbor_lint::{ComplexityCounting, Config, Finding, Language, Linter, Thresholds};

fn fixture() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/complexity/mccabe.py");
    std::fs::read_to_string(path).unwrap()
}

/// A linter running only `all/complexity` in the `counting` mode, threshold 0 (every function
/// is reported).
fn complexity_linter(counting: ComplexityCounting) -> Linter {
    Linter::new(Config {
        select: vec!["all/complexity".into()],
        thresholds: Thresholds {
            max_complexity: 0,
            complexity_counting: counting,
            ..Thresholds::default()
        },
        ..Config::default()
    })
    .unwrap()
}

/// Every function's complexity in the `counting` mode.
fn findings(counting: ComplexityCounting, text: &str) -> Vec<Finding> {
    complexity_linter(counting).lint_source("mccabe.py", Language::Python, text)
}

/// The number in a finding's message (`… has cyclomatic complexity N (limit 0)`).
fn number(f: &Finding) -> String {
    let rest = f.message.split("complexity ").nth(1).unwrap();
    rest.split(' ').next().unwrap().to_string()
}

/// `(line, number)` of each finding; `-` where a marked line has none.
fn numbers_on_marked_lines(
    text: &str,
    tool: &str,
    found: &[Finding],
) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let Some(marks) = line.split("# mccabe ").nth(1) else {
            continue;
        };
        let marks = format!("mccabe {marks}");
        let words: Vec<&str> = marks.split_whitespace().collect();
        // `arbor-mccabe N`: a deliberate difference (mccabe keeps only the last definition
        // of a name; Arbor reports each).
        let mark = |name: &str| {
            words
                .windows(2)
                .find(|w| w[0] == name)
                .map(|w| w[1].to_string())
        };
        let expected = match tool {
            "mccabe" => mark("arbor-mccabe").or_else(|| mark("mccabe")),
            _ => mark(tool),
        }
        .unwrap();
        let got: Vec<String> = found
            .iter()
            .filter(|f| f.location.line == index + 1)
            .map(number)
            .collect();
        let got = match got.as_slice() {
            [] => "-".to_string(),
            [one] => one.clone(),
            many => many.join("+"),
        };
        out.push((index + 1, expected, got));
    }
    out
}

fn check(tool: &str, counting: ComplexityCounting) {
    let text = fixture();
    let found = findings(counting, &text);
    let rows = numbers_on_marked_lines(&text, tool, &found);
    assert!(rows.len() >= 25, "{} marked lines", rows.len());
    let wrong: Vec<String> = rows
        .iter()
        .filter(|(_, want, got)| want != got)
        .map(|(line, want, got)| format!("line {line}: {tool} {want}, Arbor {got}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let marked: Vec<usize> = rows.iter().map(|(line, ..)| *line).collect();
    let unmarked: Vec<&Finding> = found
        .iter()
        .filter(|f| !marked.contains(&f.location.line))
        .collect();
    assert!(
        unmarked.is_empty(),
        "findings on unmarked lines: {unmarked:?}"
    );
}

#[test]
fn mccabe_counting_matches_the_mccabe_package() {
    check("mccabe", ComplexityCounting::Mccabe);
}

#[test]
fn arbor_counting_is_the_default_and_unchanged() {
    assert_eq!(
        Thresholds::default().complexity_counting,
        ComplexityCounting::Arbor
    );
    check("arbor", ComplexityCounting::Arbor);
}

#[test]
fn mccabe_counting_snapshot() {
    let text = fixture();
    let lines: String = findings(ComplexityCounting::Mccabe, &text)
        .iter()
        .map(|f| format!("{}:{} {}\n", f.location.line, f.location.column, f.message))
        .collect();
    insta::assert_snapshot!("mccabe", lines);
}

#[test]
fn mccabe_counting_is_python_only_and_configurable() {
    // Other languages keep Arbor's definition.
    let js = "function f(a, b) {\n  return a && b ? 1 : 2;\n}\n";
    let linter = complexity_linter;
    let arbor = linter(ComplexityCounting::Arbor).lint_source("a.js", Language::JavaScript, js);
    let mccabe = linter(ComplexityCounting::Mccabe).lint_source("a.js", Language::JavaScript, js);
    assert_eq!(arbor, mccabe);
    // The TOML spelling, in `[thresholds]` and in an override.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("arbor.toml");
    std::fs::write(
        &path,
        "[thresholds]\nmax-complexity = 12\ncomplexity-counting = \"mccabe\"\n\n[[overrides]]\npaths = [\"legacy/**\"]\nthresholds = { complexity-counting = \"arbor\" }\n",
    )
    .unwrap();
    let config = Config::from_file(&path).unwrap();
    assert_eq!(
        config.thresholds.complexity_counting,
        ComplexityCounting::Mccabe
    );
    assert_eq!(config.thresholds.max_complexity, 12);
    let over = config.overrides[0].thresholds.unwrap();
    assert_eq!(over.complexity_counting, ComplexityCounting::Arbor);
    std::fs::write(&path, "[thresholds]\ncomplexity-counting = \"flake8\"\n").unwrap();
    let err = Config::from_file(&path).unwrap_err().to_string();
    assert!(err.contains("unknown variant `flake8`"), "{err}");
}
