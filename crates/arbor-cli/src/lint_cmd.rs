//! `arbor lint [PATHS…]`: the review linter.

use std::io::Write;
use std::path::PathBuf;

use arbor_lint::baseline::Baseline;
use arbor_lint::diff::ChangedLines;
use arbor_lint::report::{self, Format};
use arbor_lint::{Config, LintOptions, Linter, Severity};
use clap::{Args, ValueEnum};

use crate::Outcome;

/// Arguments of `arbor lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files and directories to lint (directories are walked honouring .gitignore).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// The configuration file (default: the nearest arbor.toml, or pyproject.toml with [tool.arbor]).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// Exit with 1 when a finding of this severity or worse is reported.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    fail_on: FailOn,
    /// Run only these rules (ids or prefixes, comma-separated), replacing the configuration's `select`.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,
    /// Also skip these rules (ids or prefixes, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// Report suppression comments that suppress nothing.
    #[arg(long)]
    report_unused_suppressions: bool,
    /// List the selected rules and exit.
    #[arg(long)]
    list_rules: bool,
    /// Apply the safe fixes (files stay parseable), then report what is left.
    #[arg(long)]
    fix: bool,
    /// Report only findings not in this baseline file (matched by rule, path and code, not line).
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    baseline: Option<PathBuf>,
    /// Write the current findings to this baseline file and exit 0.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Report only findings on lines changed since this git revision (and in untracked files).
    #[arg(long, value_name = "GIT_REV")]
    diff: Option<String>,
    /// Skip files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = arbor_syntax::DEFAULT_MAX_FILE_SIZE)]
    max_file_size: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

pub fn run(args: LintArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let mut config = match &args.config {
        Some(path) => Config::from_file(path)?,
        None => Config::discover(
            args.paths
                .first()
                .map_or(std::path::Path::new("."), |p| p.as_path()),
        )?,
    };
    if !args.select.is_empty() {
        config.select = args.select.clone();
    }
    config.ignore.extend(args.ignore.iter().cloned());
    let linter = Linter::new(config)?;
    if args.list_rules {
        for rule in linter.rules().filter(|r| linter.selected(&r.id)) {
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
        return Ok(Outcome::Ok);
    }
    for path in &args.paths {
        if !path.exists() {
            anyhow::bail!("{}: no such file or directory", path.display());
        }
    }
    let options = LintOptions {
        report_unused_suppressions: args.report_unused_suppressions,
        max_file_size: args.max_file_size,
        fix: args.fix,
    };
    // Read the baseline and the diff first: a bad one fails before any work.
    let baseline = args.baseline.as_deref().map(Baseline::read).transpose()?;
    let cwd = std::env::current_dir()?;
    let changed = args
        .diff
        .as_deref()
        .map(|rev| ChangedLines::since(&cwd, rev))
        .transpose()?;
    let mut report = linter.lint_paths(&args.paths, &options)?;
    // Files named one by one that could not be linted at all (binary, not UTF-8, a pipe…) are
    // an input error, as for `arbor symbols`, not a clean result.
    if report.files == 0 && args.paths.iter().all(|p| !p.is_dir()) {
        if let Some(first) = report.skipped.first() {
            let more = match report.skipped.len() - 1 {
                0 => String::new(),
                n => format!(" (and {n} more skipped)"),
            };
            anyhow::bail!(
                "{}: {}{more}; nothing was linted",
                first.path.display(),
                first.reason
            );
        }
    }
    for skip in &report.skipped {
        eprintln!("arbor: skipped {}: {}", skip.path.display(), skip.reason);
    }
    for (path, reason) in &report.unfixable {
        eprintln!("arbor: not fixed {}: {reason}", path.display());
    }
    if let Some(path) = &args.write_baseline {
        Baseline::of(&report.findings).write(path)?;
        eprintln!(
            "arbor: wrote {} findings to the baseline {}",
            report.findings.len(),
            path.display()
        );
        return Ok(Outcome::Ok);
    }
    let mut hidden = Vec::new();
    if let Some(baseline) = &baseline {
        hidden.push(format!(
            "{} in the baseline",
            baseline.filter(&mut report.findings)
        ));
    }
    if let Some(changed) = &changed {
        let before = report.findings.len();
        report.findings.retain(|f| changed.contains(&cwd, f));
        hidden.push(format!(
            "{} on unchanged lines",
            before - report.findings.len()
        ));
    }
    let format = match args.format {
        FormatArg::Text => Format::Text,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Github => Format::Github,
    };
    let rules: Vec<_> = linter.rules().cloned().collect();
    report::write(format, &report, &rules, out)?;
    let (errors, warnings, infos) = report::counts(&report.findings);
    {
        // The summary goes to stderr in every format, so stdout stays machine-readable.
        out.flush()?;
        let fixed = if args.fix {
            format!("; {} fixed", report.fixed)
        } else {
            String::new()
        };
        let hidden = hidden.iter().map(|h| format!("; {h}")).collect::<String>();
        eprintln!(
            "arbor: {} findings ({errors} errors, {warnings} warnings, {infos} info) in {} files; {} suppressed{fixed}{hidden}",
            report.findings.len(),
            report.files,
            report.suppressed
        );
    }
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    let failing = threshold.is_some_and(|t| report.findings.iter().any(|f| f.severity >= t));
    Ok(if failing {
        Outcome::Findings
    } else {
        Outcome::Ok
    })
}
