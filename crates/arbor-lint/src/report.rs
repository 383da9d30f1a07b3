//! Reporters: text for people, JSON for machines, SARIF 2.1.0 for code-scanning tools, and
//! GitHub workflow commands for annotations in pull requests.

use std::io::{self, Write};

use serde_json::json;

use crate::rule::{Finding, RuleInfo, Severity};
use crate::LintReport;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `path:line:col: severity[rule] message`, then a summary line.
    Text,
    /// A JSON array of findings.
    Json,
    /// One SARIF 2.1.0 log with one run.
    Sarif,
    /// `::error file=…,line=…::message` lines.
    Github,
}

/// Counts of findings per severity: (errors, warnings, infos).
pub fn counts(findings: &[Finding]) -> (usize, usize, usize) {
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    )
}

/// Writes `report` in `format`. `rules` describes every rule that may appear (for SARIF).
pub fn write(
    format: Format,
    report: &LintReport,
    rules: &[RuleInfo],
    out: &mut impl Write,
) -> io::Result<()> {
    match format {
        Format::Text => {
            for f in &report.findings {
                writeln!(
                    out,
                    "{}:{}:{}: {}[{}] {}",
                    f.path, f.location.line, f.location.column, f.severity, f.rule, f.message
                )?;
            }
            Ok(())
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &report.findings)?;
            writeln!(out)
        }
        Format::Github => {
            for f in &report.findings {
                let level = match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Info => "notice",
                };
                writeln!(
                    out,
                    "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                    escape_property(&f.path),
                    f.location.line,
                    f.location.column,
                    f.location.end_line,
                    f.location.end_column,
                    escape_property(&f.rule),
                    escape_data(&f.message)
                )?;
            }
            Ok(())
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif(report, rules))?;
            writeln!(out)
        }
    }
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The report as a SARIF 2.1.0 log.
pub fn sarif(report: &LintReport, rules: &[RuleInfo]) -> serde_json::Value {
    let mut descriptors: Vec<serde_json::Value> = Vec::new();
    let mut ids: Vec<&str> = Vec::new();
    let pseudo = [
        (
            crate::SYNTAX_ERROR,
            "the file does not parse",
            Severity::Error,
        ),
        (
            crate::UNUSED_SUPPRESSION,
            "a suppression comment that suppresses nothing",
            Severity::Info,
        ),
    ];
    for rule in rules {
        ids.push(&rule.id);
        let mut descriptor = json!({
            "id": rule.id,
            "shortDescription": { "text": rule.message },
            "defaultConfiguration": { "level": sarif_level(rule.severity) },
        });
        if !rule.rationale.is_empty() {
            descriptor["fullDescription"] = json!({ "text": rule.rationale });
        }
        if !rule.example.is_empty() {
            descriptor["help"] = json!({ "text": format!("Example:\n{}", rule.example) });
        }
        descriptors.push(descriptor);
    }
    for (id, text, severity) in pseudo {
        ids.push(id);
        descriptors.push(json!({
            "id": id,
            "shortDescription": { "text": text },
            "defaultConfiguration": { "level": sarif_level(severity) },
        }));
    }
    let results: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut result = json!({
                "ruleId": f.rule,
                "level": sarif_level(f.severity),
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.path },
                        "region": {
                            "startLine": f.location.line,
                            "startColumn": f.location.column,
                            "endLine": f.location.end_line,
                            "endColumn": f.location.end_column,
                        }
                    }
                }],
            });
            if !f.fingerprint.is_empty() {
                result["partialFingerprints"] = json!({ "arbor/v1": f.fingerprint });
            }
            if let Some(index) = ids.iter().position(|id| *id == f.rule) {
                result["ruleIndex"] = json!(index);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "arbor",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": descriptors,
                }
            },
            "results": results,
        }]
    })
}
