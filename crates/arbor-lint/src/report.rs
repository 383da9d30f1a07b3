//! Reporters: text for people, JSON for machines, SARIF 2.1.0 for code-scanning tools, and
//! GitHub workflow commands for annotations in pull requests.

use std::io::{self, Write};

use crate::rule::{Finding, RuleInfo, Severity};
use crate::LintReport;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `path:line:col: severity[rule] message` (byte columns, as in JSON).
    Text,
    /// A JSON array of findings.
    Json,
    /// One SARIF 2.1.0 log with one run (UTF-16 columns).
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

/// The report as a SARIF 2.1.0 log (see [`crate::sarif`]).
pub fn sarif(report: &LintReport, rules: &[RuleInfo]) -> crate::sarif::Log {
    crate::sarif::log(report, rules)
}
