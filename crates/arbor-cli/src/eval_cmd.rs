//! `arbor eval score SAMPLES.jsonl`: run samples in the sandbox and report pass@k;
//! `arbor eval run`: generate the samples with a local model first.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use arbor_eval::candidates::{SelectOptions, SelectionReport};
use arbor_eval::report::{self, EvalEvent, EvalReport, Evaluation, RunInfo};
use arbor_eval::robust::{RobustnessEvent, RobustnessRow};
use arbor_eval::select::Strategy;
use arbor_eval::{RunOptions, SampleResult, Sandbox, SandboxOptions};
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
    /// Compare ways of choosing which samples of a run to submit (AlphaCode's n@k): run them
    /// on the examples of their prompts, cluster by behaviour, rank by log-probability; no new
    /// generation. The table goes to stdout and DIR/selection.json.
    Select(SelectArgs),
    /// One self-contained HTML page (inline SVG charts) for one or more run directories:
    /// settings, pass@k and n@k against k, a per-task heat map, robustness bars.
    Report(ReportArgs),
}

/// The dataset, the k of pass@k, the sandbox and the output format: shared by both commands.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// `arbor-python` (built in, the default), `humaneval` (fetched on first use) or a
    /// problems file in human-eval's format (`select`: the run's own, from its run.json).
    #[arg(long, value_name = "NAME|FILE")]
    dataset: Option<String>,
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
        if let Some(warning) = report::isolation_warning(&sandbox) {
            eprintln!("arbor: warning: {warning}");
        }
        Ok(sandbox)
    }

    fn workers(&self) -> usize {
        report::default_workers(self.workers)
    }

    /// The dataset's problems, with ReCode's partial code when `partial_code`.
    fn problems(&self, partial_code: bool) -> anyhow::Result<Vec<arbor_eval::Problem>> {
        let note = |m: &str| eprintln!("arbor: {m}");
        let problems = report::load_dataset_for_run(self.dataset(), partial_code, &note)?;
        Ok(problems)
    }

    /// The dataset's name or path.
    fn dataset(&self) -> &str {
        self.dataset
            .as_deref()
            .unwrap_or(arbor_eval::datasets::BUILT_IN)
    }

    /// Writes the report: the summary (and robustness table) as text or JSON.
    fn write(&self, out: &mut impl Write, report: EvalReport<'_>) -> anyhow::Result<Outcome> {
        report.write(out, self.k.as_deref(), self.json)?;
        Ok(Outcome::Ok)
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
    #[command(flatten)]
    decode: crate::args::DecodeArgs,
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
    /// Also compare these selection strategies on the run (as `arbor eval select`), or `all`.
    #[arg(long, value_delimiter = ',', value_name = "STRATEGIES", value_parser = Strategy::parse_or_all)]
    select: Vec<Option<Strategy>>,
}

/// Arguments of `arbor eval select`.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// An `arbor eval run` directory.
    dir: PathBuf,
    /// Strategies, comma-separated: random, examples, examples+cluster, logprob,
    /// examples+logprob, codet, or all. Default: all but codet, which first has the run's
    /// model write tests for each task (kept in DIR/codet-tests.jsonl).
    #[arg(long = "strategy", value_delimiter = ',', value_parser = Strategy::parse_or_all)]
    strategies: Vec<Option<Strategy>>,
    /// The n of n@k: how many samples may be submitted, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,10", value_parser = at_least_one)]
    submit: Vec<usize>,
    #[command(flatten)]
    common: CommonArgs,
}

/// Arguments of `arbor eval report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// `arbor eval run` directories, side by side.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// The HTML file (default: report.html in the first directory).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// `arbor eval score`: scores the samples, writes the results beside them, reports.
pub fn score(args: ScoreArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let common = &args.common;
    let problems = common.problems(false)?;
    let samples = report::load_samples(&args.samples)?;
    let sandbox = common.sandbox()?;
    let template = "{spinner} scoring {pos}/{len} samples [{bar:30}] {eta} {msg}";
    let bar = crate::progress_bar(samples.len() as u64, template);
    let on_result = |_: &SampleResult, passed: usize| {
        if let Some(bar) = &bar {
            bar.inc(1);
            bar.set_message(format!("{passed} passed"));
        }
    };
    let (path, workers) = (&args.samples, common.workers());
    let (results, results_path) =
        report::score_and_write(&sandbox, &problems, &samples, path, workers, &on_result)?;
    crate::finish(bar);
    let (dataset, timeout) = (common.dataset(), common.timeout);
    let n = problems.len();
    let report = EvalReport::new(dataset, n, &results, &results_path, &sandbox, timeout);
    common.write(out, report)
}

/// `arbor eval run`: generates the samples, scores them (and their perturbations), reports.
pub fn generate_and_score(args: RunArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    args.model.apply_threads()?;
    let common = &args.common;
    let problems = common.problems(args.partial_code)?;
    // Unknown transform names fail before any generation.
    let transforms = arbor_eval::robust::transforms_named(&args.perturb, problems[0].language())?;
    let sandbox = common.sandbox()?;
    let mut model = args.model.load()?;
    let dir = args.out.clone().unwrap_or_else(|| {
        arbor_eval::run::default_dir(common.dataset(), &args.model.model, args.partial_code)
    });
    let options = run_options(&args, &model);
    eprintln!(
        "arbor: {} tasks × {} samples with {} ({} prompts, temperature {}) into {}",
        problems.len(),
        args.samples,
        args.model.model,
        options.format,
        options.settings.temperature,
        dir.display()
    );
    let ks = report::default_ks(common.k.as_deref(), Some(args.samples));
    let evaluation = Evaluation {
        problems: &problems,
        dir: &dir,
        options: &options,
        transforms: &transforms,
        versions: args.perturb_seeds,
        ks: &ks,
        sandbox: &sandbox,
    };
    let (output, rows) = evaluate(&mut model, &evaluation)?;
    let report = EvalReport {
        dataset: common.dataset(),
        problems: problems.len(),
        results: &output.results,
        results_path: &output.results_file,
        sandbox: &sandbox,
        timeout_secs: common.timeout,
        run: Some(RunInfo {
            settings: &options.settings,
            progress: &output.progress,
            n: args.samples,
        }),
        robustness: &rows,
    };
    if args.select.is_empty() {
        return common.write(out, report);
    }
    let strategies = Strategy::chosen(&args.select);
    if strategies.contains(&Strategy::Codet) {
        ensure_tests(&dir, &problems, &options.settings, &mut model)?;
    }
    let selection = select(common, &dir, &problems, &sandbox, strategies, &[1, 10])?;
    write_with_selection(common, out, report, &ks, &selection)
}

/// The run's report followed by its selection table (or both in one JSON object).
fn write_with_selection(
    common: &CommonArgs,
    out: &mut impl Write,
    report: EvalReport<'_>,
    ks: &[usize],
    selection: &SelectionReport,
) -> anyhow::Result<Outcome> {
    if common.json {
        let mut value = report.to_json(ks);
        value["selection"] = selection.to_json();
        writeln!(out, "{value}")?;
    } else {
        common.write(out, report)?;
        writeln!(out)?;
        selection.write_text(out)?;
    }
    Ok(Outcome::Ok)
}

/// `arbor eval select`: probes the run's samples and prints n@k for each strategy.
pub fn select_samples(args: SelectArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let common = &args.common;
    let settings = arbor_eval::candidates::run_settings(&args.dir)?;
    let note = |m: &str| eprintln!("arbor: {m}");
    let dataset = common.dataset.as_deref().unwrap_or(&settings.dataset);
    let problems = report::load_dataset_for_run(dataset, settings.partial_code, &note)?;
    let sandbox = common.sandbox()?;
    let strategies = Strategy::chosen(&args.strategies);
    let kept = args.dir.join(arbor_eval::codet::TESTS_FILE).is_file();
    if strategies.contains(&Strategy::Codet) && !kept {
        let mut model = ModelArgs::for_run(&settings.model).load()?;
        ensure_tests(&args.dir, &problems, &settings, &mut model)?;
    }
    let selection = select(
        common,
        &args.dir,
        &problems,
        &sandbox,
        strategies,
        &args.submit,
    )?;
    if common.json {
        writeln!(out, "{}", selection.to_json())?;
    } else {
        selection.write_text(out)?;
    }
    Ok(Outcome::Ok)
}

/// CodeT's tests for the run in `dir` (settings `settings`), drawn from `model` unless the
/// directory keeps them already ([`arbor_eval::codet::TestOptions::for_run`]).
fn ensure_tests(
    dir: &std::path::Path,
    problems: &[arbor_eval::Problem],
    settings: &arbor_eval::RunSettings,
    model: &mut arbor_lm::LlamaModel,
) -> anyhow::Result<()> {
    if dir.join(arbor_eval::codet::TESTS_FILE).is_file() {
        return Ok(());
    }
    let options = arbor_eval::codet::TestOptions::for_run(settings)?;
    let bar = crate::progress_bar(
        problems.len() as u64,
        "{spinner} tests {pos}/{len} tasks [{bar:30}] {eta}",
    );
    let mut progress = |done: usize, _: usize| bar.iter().for_each(|b| b.set_position(done as u64));
    let drawn =
        arbor_eval::codet::generate_tests_into(dir, model, problems, &options, &mut progress);
    crate::finish(bar);
    Ok(drawn?)
}

/// Runs the selection with a progress bar.
fn select(
    common: &CommonArgs,
    dir: &std::path::Path,
    problems: &[arbor_eval::Problem],
    sandbox: &Sandbox,
    strategies: Vec<Strategy>,
    ns: &[usize],
) -> anyhow::Result<SelectionReport> {
    let options = SelectOptions {
        strategies,
        ns: ns.to_vec(),
        ks: common.k.clone(),
        workers: common.workers(),
    };
    let bar = crate::progress_bar(0, "{spinner} probing {pos}/{len} samples [{bar:30}] {eta}");
    let progress = |done: usize, planned: usize| {
        if let Some(bar) = &bar {
            bar.set_length(planned as u64);
            bar.set_position(done as u64);
        }
    };
    let selection = arbor_eval::candidates::select_run(dir, problems, sandbox, &options, &progress);
    crate::finish(bar);
    Ok(selection?)
}

/// `arbor eval report`: writes the HTML page and says where.
pub fn write_report(args: ReportArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let path = args
        .output
        .unwrap_or_else(|| args.dirs[0].join("report.html"));
    let summary = arbor_eval::html::write_report(&args.dirs, &path)?;
    for skipped in &summary.skipped {
        eprintln!("arbor: left out {skipped}");
    }
    writeln!(
        out,
        "{}: {} runs, {} tasks, {} charts",
        path.display(),
        summary.runs.len(),
        summary.tasks,
        summary.charts
    )?;
    Ok(Outcome::Ok)
}

/// The options of `eval run`'s generation: the prompt format as given, else the catalog's,
/// else the model's.
fn run_options(args: &RunArgs, model: &arbor_lm::LlamaModel) -> RunOptions {
    let common = &args.common;
    let format = args
        .prompt_format
        .or_else(|| arbor_lm::catalog::entry(&args.model.model).and_then(|e| e.prompt_format))
        .unwrap_or_else(|| model.prompt_format());
    let params = args
        .sampling
        .params(args.samples, 0.95, args.decode.max_tokens, Vec::new());
    let (name, partial) = (&args.model.model, args.partial_code);
    RunOptions {
        settings: report::run_settings(common.dataset(), name, format, &params, partial),
        format,
        n: args.samples,
        batch: args.decode.batch,
        workers: common.workers(),
    }
}

/// The nominal and robustness runs, with a progress bar for each (or, for the nominal run, a
/// line per tenth of the tasks without a terminal).
fn evaluate(
    model: &mut arbor_lm::LlamaModel,
    evaluation: &Evaluation<'_>,
) -> anyhow::Result<(arbor_eval::RunOutput, Vec<RobustnessRow>)> {
    let tasks = "{spinner} {pos}/{len} tasks [{bar:30}]";
    let n = evaluation.options.n;
    let len = evaluation.problems.len() as u64;
    let mut bar = crate::progress_bar(len, &format!("{tasks} {{msg}}, ETA {{eta}}"));
    let mut last_tenth = 0;
    let mut on_event = |event: EvalEvent<'_>| match event {
        EvalEvent::Nominal(p) => {
            let message = format!("{} of {} samples passed", p.passed, p.tasks_done * n);
            let tenth = p.tasks_done * 10 / p.tasks.max(1);
            if let Some(bar) = &bar {
                bar.set_position(p.tasks_done as u64);
                bar.set_message(message);
            } else if tenth > last_tenth {
                last_tenth = tenth;
                eprintln!("arbor: {}/{} tasks, {message}", p.tasks_done, p.tasks);
            }
        }
        EvalEvent::NominalFinished | EvalEvent::Robustness(RobustnessEvent::Finished) => {
            crate::finish(bar.take())
        }
        EvalEvent::Robustness(RobustnessEvent::Started { tag, prompts, dir }) => {
            let dir = dir.display();
            eprintln!("arbor: {tag}: {prompts} prompts changed, generating into {dir}");
            bar = crate::progress_bar(prompts as u64, &format!("{tasks} ETA {{eta}}"));
        }
        EvalEvent::Robustness(RobustnessEvent::Progress(p)) => {
            bar.iter().for_each(|b| b.set_position(p.tasks_done as u64))
        }
        EvalEvent::Robustness(RobustnessEvent::Unchanged(id)) => {
            eprintln!("arbor: {id} changes no prompt")
        }
    };
    Ok(report::evaluate(model, evaluation, &mut on_event)?)
}
