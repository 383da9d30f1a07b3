//! What a lint run amounts to, shared by every front end (the `arbor` CLI, a server): the
//! selected rules as a list, the summary line, whether anything was linted at all, and
//! whether the findings fail the run.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::LintError;
use crate::linter::Linter;
use crate::registry::BUILTIN_RULES;
use crate::report::{counts, Format};
use crate::rule::{Finding, Severity};
use crate::selection::names_a_rule;
use crate::LintReport;

/// The configuration of a run: the file `config` (else the one nearest the first of `paths`,
/// else the current directory), its `select` replaced by `select` unless that is empty, and
/// `ignore` added to its own. A selector of `select` or `ignore` that names no built-in rule, no
/// rule of the configuration and no pseudo-rule is an error that names the option.
pub fn load_config(
    config: Option<&Path>,
    paths: &[PathBuf],
    select: &[String],
    ignore: &[String],
) -> Result<Config, LintError> {
    let mut config = match config {
        Some(path) => Config::from_file(path)?,
        None => Config::discover(paths.first().map_or(Path::new("."), |p| p.as_path()))?,
    };
    let known = |selector: &str| {
        let builtin = BUILTIN_RULES.iter().map(|entry| entry.id);
        names_a_rule(
            selector,
            builtin.chain(config.rules.iter().map(|r| r.id.as_str())),
        )
    };
    for (option, list) in [("--select", select), ("--ignore", ignore)] {
        if let Some(unknown) = list.iter().find(|selector| !known(selector)) {
            return Err(LintError::Selector {
                option,
                selector: unknown.clone(),
            });
        }
    }
    if !select.is_empty() {
        config.select = select.to_vec();
    }
    config.ignore.extend(ignore.iter().cloned());
    Ok(config)
}

/// The names of the output formats, as [`format_named`] takes them.
pub const FORMATS: [&str; 4] = ["text", "json", "sarif", "github"];

/// The output format of one of [`FORMATS`].
pub fn format_named(name: &str) -> Option<Format> {
    match name {
        "text" => Some(Format::Text),
        "json" => Some(Format::Json),
        "sarif" => Some(Format::Sarif),
        "github" => Some(Format::Github),
        _ => None,
    }
}

/// The selected rules. Text: one a line, id, language, severity, message and `(fixable)`.
/// JSON: an array of the rules' descriptions, with the rationale (where each rule's deliberate
/// differences from ruff, ESLint or clippy are written) and the example.
pub fn write_rule_list(
    linter: &Linter,
    format: Format,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let selected = linter.rules().filter(|r| linter.selected(&r.id));
    if format == Format::Json {
        let rules: Vec<&crate::RuleInfo> = selected.collect();
        serde_json::to_writer_pretty(&mut *out, &rules)?;
        return writeln!(out);
    }
    for rule in selected {
        let language = rule.language.map_or("all", |l| l.name());
        let fix = if rule.fixable { " (fixable)" } else { "" };
        writeln!(
            out,
            "{:<28} {:<10} {:<8} {}{fix}",
            rule.id,
            language,
            rule.severity.name(),
            rule.message
        )?;
    }
    Ok(())
}

/// When files named one by one (no directory among `paths`) could none of them be linted
/// (binary, not UTF-8, a pipe…): why, for an input error rather than a clean result.
pub fn nothing_linted(paths: &[PathBuf], report: &LintReport) -> Option<String> {
    if report.files > 0 || paths.iter().any(|p| p.is_dir()) {
        return None;
    }
    let first = report.skipped.first()?;
    let more = match report.skipped.len() - 1 {
        0 => String::new(),
        n => format!(" (and {n} more skipped)"),
    };
    Some(format!(
        "{}: {}{more}; nothing was linted",
        first.path.display(),
        first.reason
    ))
}

/// Notes on the files not linted (`skipped PATH: REASON`) and not fixed (`not fixed PATH:
/// REASON`).
pub fn notes(report: &LintReport) -> Vec<String> {
    let skipped = report
        .skipped
        .iter()
        .map(|s| format!("skipped {}: {}", s.path.display(), s.reason));
    let unfixed = report
        .unfixable
        .iter()
        .map(|(path, reason)| format!("not fixed {}: {reason}", path.display()));
    skipped.chain(unfixed).collect()
}

/// The summary line: findings per severity, files, suppressed, fixed (when `fix`) and hidden.
pub fn summary_line(report: &LintReport, fix: bool) -> String {
    let (errors, warnings, infos) = counts(&report.findings);
    let fixed = if fix {
        format!("; {} fixed", report.fixed)
    } else {
        String::new()
    };
    format!(
        "{} ({}, {}, {infos} info) in {}; {} suppressed{fixed}{}",
        counted(report.findings.len(), "finding"),
        counted(errors, "error"),
        counted(warnings, "warning"),
        counted(report.files, "file"),
        report.suppressed,
        report.hidden
    )
}

/// `1 file`, `2 files`.
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Whether a finding at `threshold` or worse is among `findings` (never, for `None`).
pub fn fails(findings: &[Finding], threshold: Option<Severity>) -> bool {
    threshold.is_some_and(|t| findings.iter().any(|f| f.severity >= t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_override_the_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("arbor.toml");
        std::fs::write(&file, "select = [\"py\"]\nignore = [\"py/eval-exec\"]\n").unwrap();
        let ignore = ["py/bare-except".to_string()];
        let config = load_config(Some(&file), &[], &[], &ignore).unwrap();
        assert_eq!(
            (config.select, config.ignore),
            (
                vec!["py".to_string()],
                vec!["py/eval-exec".to_string(), "py/bare-except".to_string()]
            )
        );
        let config = load_config(Some(&file), &[], &["rs".into()], &[]).unwrap();
        assert_eq!(config.select, ["rs"]);
    }

    #[test]
    fn an_unknown_selector_on_the_command_line_names_the_option() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("arbor.toml");
        let user_rule = "[[rules]]\nid = \"custom/no-print\"\nlanguage = \"python\"\n\
                         query = '(call) @finding'\nmessage = \"m\"\n";
        std::fs::write(&file, user_rule).unwrap();
        let error = load_config(Some(&file), &[], &["rust".into()], &[]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--select: unknown rule or prefix `rust` (`arbor lint --list-rules` lists the rules)"
        );
        let error = load_config(Some(&file), &[], &[], &["py/bare".into()]).unwrap_err();
        assert!(error
            .to_string()
            .starts_with("--ignore: unknown rule or prefix `py/bare`"));
        // Prefixes, pseudo-rules and the configuration's own rules are known.
        let known = [
            "py".into(),
            "all/".into(),
            "arbor/syntax-error".into(),
            "custom".into(),
        ];
        assert!(load_config(Some(&file), &[], &known, &["custom/no-print".into()]).is_ok());
    }

    #[test]
    fn an_empty_report_passes_and_says_so() {
        let report = LintReport {
            files: 2,
            ..LintReport::default()
        };
        assert!(!fails(&report.findings, Some(Severity::Info)));
        assert!(nothing_linted(&[], &report).is_none());
        assert!(notes(&report).is_empty());
        let line = summary_line(&report, true);
        assert!(
            line.starts_with(
                "0 findings (0 errors, 0 warnings, 0 info) in 2 files; 0 suppressed; 0 fixed"
            ),
            "{line}"
        );
        let none = LintReport::default();
        assert!(nothing_linted(&[PathBuf::from("x.bin")], &none).is_none());
        assert!(FORMATS.iter().all(|f| format_named(f).is_some()));
        assert_eq!(format_named("sarif"), Some(Format::Sarif));
    }
}
