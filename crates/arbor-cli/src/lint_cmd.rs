//! `arbor lint [PATHS…]`: the review linter.

use std::io::Write;
use std::path::PathBuf;

use arbor_lint::baseline::Baseline;
use arbor_lint::report::{self, Format};
use arbor_lint::{outcome, LintOptions, Linter, Review, Severity};
use clap::Args;

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
    #[arg(long, default_value = "text", value_parser = outcome::FORMATS)]
    format: String,
    /// Exit with 1 when a finding of this severity or worse is reported.
    #[arg(long, default_value = "warning", value_parser = ["error", "warning", "info", "never"])]
    fail_on: String,
    /// Run only these rules (ids or prefixes, comma-separated), replacing the configuration's `select`.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,
    /// Also skip these rules (ids or prefixes, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// Report suppression comments that suppress nothing.
    #[arg(long)]
    report_unused_suppressions: bool,
    /// List the selected rules and exit (`--format json`: with why each exists and how it differs from ruff, ESLint or clippy).
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

/// Runs `arbor lint`: parses the arguments into a configuration and a [`Review`], lints, prints.
pub fn run(args: LintArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let (select, ignore) = (&args.select, &args.ignore);
    let config = outcome::load_config(args.config.as_deref(), &args.paths, select, ignore)?;
    let linter = Linter::new(config)?;
    if args.list_rules {
        let format = outcome::format_named(&args.format).unwrap_or(Format::Text);
        outcome::write_rule_list(&linter, format, out)?;
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
    let cwd = std::env::current_dir()?;
    let review = Review::new(args.baseline.as_deref(), args.diff.as_deref(), &cwd)?;
    let report = match &args.write_baseline {
        Some(_) => linter.lint_paths(&args.paths, &options)?,
        None => linter.review(&args.paths, &options, &review)?,
    };
    if let Some(why) = outcome::nothing_linted(&args.paths, &report) {
        anyhow::bail!(why);
    }
    for note in outcome::notes(&report) {
        eprintln!("arbor: {note}");
    }
    if let Some(path) = &args.write_baseline {
        Baseline::of(&report.findings).write(path)?;
        let n = report.findings.len();
        eprintln!(
            "arbor: wrote {n} findings to the baseline {}",
            path.display()
        );
        return Ok(Outcome::Ok);
    }
    let rules: Vec<_> = linter.rules().cloned().collect();
    let format = outcome::format_named(&args.format).unwrap_or(Format::Text);
    report::write(format, &report, &rules, out)?;
    out.flush()?;
    eprintln!("arbor: {}", outcome::summary_line(&report, args.fix));
    let threshold = args.fail_on.parse::<Severity>().ok();
    Ok(Outcome::findings_if(outcome::fails(
        &report.findings,
        threshold,
    )))
}
