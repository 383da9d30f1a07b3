//! The SARIF log: typed, with `columnKind: utf16CodeUnits` and columns counted in UTF-16 code
//! units on lines with non-ASCII text (the text and JSON reports keep byte columns).

use arbor_lint::report::{self, Format};
use arbor_lint::{Config, Language, LintReport, Linter};

/// `==` after `"é😀"`: 2 + 4 bytes, 1 + 2 UTF-16 units.
const SOURCE: &str = "let s = \"é😀\"; if (a == b) {}\n";

fn report() -> (LintReport, Linter) {
    let linter = Linter::new(Config {
        select: vec!["js/eqeqeq".into()],
        ..Config::default()
    })
    .unwrap();
    let findings = linter.lint_source("a.js", Language::JavaScript, SOURCE);
    let report = LintReport {
        findings,
        files: 1,
        ..LintReport::default()
    };
    (report, linter)
}

fn written(format: Format) -> String {
    let (report, linter) = report();
    let rules: Vec<_> = linter.rules().cloned().collect();
    let mut out = Vec::new();
    report::write(format, &report, &rules, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn sarif_columns_count_utf16_code_units() {
    let log: serde_json::Value = serde_json::from_str(&written(Format::Sarif)).unwrap();
    let run = &log["runs"][0];
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "js/eqeqeq");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    // `let s = "` (9) + `é` (1) + `😀` (2) + `"; if (a ` (9) code units before `==`.
    assert_eq!(region["startLine"], 1);
    assert_eq!(region["startColumn"], 22);
    assert_eq!(region["endColumn"], 24);
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(run["tool"]["driver"]["rules"][index]["id"], "js/eqeqeq");
}

#[test]
fn the_log_reads_back_into_the_typed_structures() {
    let (report, linter) = report();
    let rules: Vec<_> = linter.rules().cloned().collect();
    let log = report::sarif(&report, &rules);
    let text = serde_json::to_string(&log).unwrap();
    let back: arbor_lint::sarif::Log = serde_json::from_str(&text).unwrap();
    assert_eq!(back, log);
    assert_eq!(back.version, "2.1.0");
    assert_eq!(back.runs[0].results.len(), 1);
}

#[test]
fn text_and_json_keep_byte_columns() {
    assert!(
        written(Format::Text).starts_with("a.js:1:25: warning[js/eqeqeq]"),
        "{}",
        written(Format::Text)
    );
    let json: serde_json::Value = serde_json::from_str(&written(Format::Json)).unwrap();
    assert_eq!(json[0]["column"], 25);
    assert_eq!(json[0]["end_column"], 27);
}

#[test]
fn a_fix_is_a_sarif_fix_in_utf16_columns() {
    let (report, linter) = report();
    let rules: Vec<_> = linter.rules().cloned().collect();
    let log = report::sarif(&report, &rules);
    let fixes = &log.runs[0].results[0].fixes;
    assert_eq!(fixes.len(), 1);
    let change = &fixes[0].artifact_changes[0];
    assert_eq!(change.artifact_location.uri, "a.js");
    let replacement = &change.replacements[0];
    // The same columns as the result's region: `==` at UTF-16 columns 22..24 (bytes 25..27).
    assert_eq!(
        (
            replacement.deleted_region.start_column,
            replacement.deleted_region.end_column
        ),
        (22, 24)
    );
    assert_eq!(replacement.inserted_content.text, "===");
    // JSON: `fixes` only on results that have one.
    let text = serde_json::to_value(&log).unwrap();
    assert!(text["runs"][0]["results"][0]["fixes"].is_array());
}
