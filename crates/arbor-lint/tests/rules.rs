//! Fixture tests: `tests/fixtures/lint/<rule id with . for />.<ext>` holds cases that must fire,
//! each marked at the end of its line with `expect` (`expect 2` for two findings,
//! `expect-above` for a finding on the line above), and cases that must not, unmarked.
//!
//! Each fixture also has an insta snapshot in `tests/snapshots/` (`rules__fixture@<file>.snap`):
//! every finding as `line:col rule message` (byte columns, as the text output), then the text
//! after the safe fixes `--fix` would apply and what is left to report in it. After a deliberate
//! change, review the differences with `cargo insta review` (or accept them all with
//! `INSTA_UPDATE=always cargo test -p arbor-lint --test rules`) and commit the `.snap` files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use arbor_lint::{fix, Config, Finding, Language, Linter, Thresholds};

fn fixtures() -> Vec<(String, PathBuf, Language)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/lint");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let id = stem.replacen('.', "/", 1);
        let language = Language::from_path(&path).unwrap_or_else(|| panic!("{}", path.display()));
        out.push((id, path, language));
    }
    out.sort();
    out
}

/// The lines findings are expected on, with repetition.
fn expected_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (count, target) = match words.as_slice() {
            [.., "expect"] => (1, index + 1),
            [.., "expect", n] if n.parse::<usize>().is_ok() => (n.parse().unwrap(), index + 1),
            [.., "expect-above"] => (1, index),
            _ => continue,
        };
        lines.extend(std::iter::repeat_n(target, count));
    }
    lines
}

fn linter_for(id: &str) -> Linter {
    let config = Config {
        select: vec![id.to_string()],
        // Small limits so the metric fixtures stay short.
        thresholds: Thresholds {
            max_function_lines: 5,
            max_complexity: 3,
            max_nesting: 2,
            ..Thresholds::default()
        },
        ..Config::default()
    };
    Linter::new(config).unwrap()
}

#[test]
fn every_rule_fires_exactly_where_its_fixture_says() {
    let mut failures = Vec::new();
    for (id, path, language) in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = format!(
            "src/fixture.{}",
            path.extension().unwrap().to_string_lossy()
        );
        let findings = linter_for(&id).lint_source(&name, language, &text);
        let mut got: Vec<usize> = findings
            .iter()
            .filter(|f| f.rule == id)
            .map(|f| f.location.line)
            .collect();
        got.sort();
        let expected = expected_lines(&text);
        assert!(
            !expected.is_empty(),
            "{}: no `expect` marker",
            path.display()
        );
        if got != expected {
            failures.push(format!(
                "{} ({id}): expected lines {expected:?}, got {got:?}",
                path.display()
            ));
        }
        assert!(
            findings.iter().all(|f| f.rule == id),
            "{}: other rules ran: {findings:?}",
            path.display()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_builtin_rule_has_a_fixture() {
    let covered: BTreeSet<String> = fixtures().into_iter().map(|(id, _, _)| id).collect();
    let rules = Linter::builtin_rules().unwrap();
    assert!(rules.len() >= 25, "only {} rules", rules.len());
    for rule in rules {
        assert!(
            covered.contains(&rule.id),
            "{} has no fixture under tests/fixtures/lint",
            rule.id
        );
    }
}

/// The fixture's findings as `line:col rule message` lines.
fn finding_lines(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "{}:{} {} {}\n",
                f.location.line, f.location.column, f.rule, f.message
            )
        })
        .collect()
}

/// What a fixture's snapshot holds: its findings, then the text after the safe fixes and the
/// findings left in it.
fn fixture_snapshot(id: &str, path: &Path, language: Language) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let name = format!(
        "src/fixture.{}",
        path.extension().unwrap().to_string_lossy()
    );
    let linter = linter_for(id);
    let findings = linter.lint_source(&name, language, &text);
    let mut out = format!("findings of {id}:\n{}", finding_lines(&findings));
    let (fixed_text, fixed) = fix::apply(&text, &findings);
    if fixed == 0 {
        out.push_str("\nno safe fixes\n");
        return out;
    }
    let left = match finding_lines(&linter.lint_source(&name, language, &fixed_text)) {
        lines if lines.is_empty() => "(none)\n".to_string(),
        lines => lines,
    };
    out.push_str(&format!(
        "\n{fixed} fixed; left after the fixes:\n{left}\nthe text after the fixes:\n{fixed_text}"
    ));
    out
}

#[test]
fn fixture() {
    insta::glob!("../../../tests/fixtures/lint", "*.*", |path| {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let id = stem.replacen('.', "/", 1);
        let language = Language::from_path(path).unwrap();
        insta::assert_snapshot!(fixture_snapshot(&id, path, language));
    });
}
