//! `arbor lint [PATHS…]`: the review linter.

use std::io::Write;
use std::path::{Path, PathBuf};

use arbor_lint::baseline::Baseline;
use arbor_lint::report::{self, Format};
use arbor_lint::{Config, Finding, LintOptions, LintReport, Linter, Review, Severity};
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

/// The configuration the arguments name (or the nearest one), with `--select` and `--ignore`.
fn load_config(args: &LintArgs) -> anyhow::Result<Config> {
    let mut config = match &args.config {
        Some(path) => Config::from_file(path)?,
        None => Config::discover(args.paths.first().map_or(Path::new("."), |p| p.as_path()))?,
    };
    if !args.select.is_empty() {
        config.select = args.select.clone();
    }
    config.ignore.extend(args.ignore.iter().cloned());
    Ok(config)
}

/// `--list-rules`: the selected rules, one a line.
fn list_rules(linter: &Linter, out: &mut impl Write) -> anyhow::Result<()> {
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
    Ok(())
}

/// Files named one by one that could not be linted at all (binary, not UTF-8, a pipe…) are an
/// input error, as for `arbor symbols`, not a clean result.
fn check_something_linted(paths: &[PathBuf], report: &LintReport) -> anyhow::Result<()> {
    if report.files > 0 || paths.iter().any(|p| p.is_dir()) {
        return Ok(());
    }
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
    Ok(())
}

/// The summary line, on stderr in every format so stdout stays machine-readable.
fn summarize(report: &LintReport, fix: bool) {
    let (errors, warnings, infos) = report::counts(&report.findings);
    let fixed = if fix {
        format!("; {} fixed", report.fixed)
    } else {
        String::new()
    };
    eprintln!(
        "arbor: {} findings ({errors} errors, {warnings} warnings, {infos} info) in {} files; {} suppressed{fixed}{}",
        report.findings.len(),
        report.files,
        report.suppressed,
        report.hidden
    );
}

impl FormatArg {
    fn format(self) -> Format {
        match self {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Github => Format::Github,
        }
    }
}

impl FailOn {
    /// Whether the findings fail the run.
    fn fails(self, findings: &[Finding]) -> bool {
        let threshold = match self {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
            FailOn::Never => return false,
        };
        findings.iter().any(|f| f.severity >= threshold)
    }
}

/// Runs `arbor lint`: parses the arguments into a configuration and a [`Review`], lints, prints.
pub fn run(args: LintArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let linter = Linter::new(load_config(&args)?)?;
    if args.list_rules {
        list_rules(&linter, out)?;
        return Ok(Outcome::Ok);
    }
    if let Some(path) = args.paths.iter().find(|p| !p.exists()) {
        anyhow::bail!("{}: no such file or directory", path.display());
    }
    let options = LintOptions {
        report_unused_suppressions: args.report_unused_suppressions,
        max_file_size: args.max_file_size,
        fix: args.fix,
    };
    // Reads the baseline and the diff first: a bad one fails before any work.
    let review = Review::new(
        args.baseline.as_deref(),
        args.diff.as_deref(),
        &std::env::current_dir()?,
    )?;
    let report = match &args.write_baseline {
        Some(_) => linter.lint_paths(&args.paths, &options)?,
        None => linter.review(&args.paths, &options, &review)?,
    };
    check_something_linted(&args.paths, &report)?;
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
    let rules: Vec<_> = linter.rules().cloned().collect();
    report::write(args.format.format(), &report, &rules, out)?;
    out.flush()?;
    summarize(&report, args.fix);
    Ok(match args.fail_on.fails(&report.findings) {
        true => Outcome::Findings,
        false => Outcome::Ok,
    })
}
