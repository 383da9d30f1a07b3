//! Evaluations as every front end runs and reports them (the `arbor` CLI, a server): the
//! defaults they share (k of pass@k, workers, dataset and samples loading), scoring a samples
//! file ([`score_and_write`]), a generation run with its robustness runs ([`evaluate`]), the
//! summary as text or JSON ([`EvalReport`]), the robustness table, and the report of
//! `arbor augment --verify`.

use std::io::Write;
use std::path::Path;

use arbor_augment::Transform;
use arbor_gen::{Generate, GenerationParams, PromptFormat};

use crate::data::Problem;
use crate::error::EvalError;
use crate::passk::{summarize, Summary};
use crate::robust::{RobustnessEvent, RobustnessOptions, RobustnessRow};
use crate::run::{RunOptions, RunOutput, RunProgress, RunSettings};
use crate::sandbox::Sandbox;
use crate::score::{task_counts, SampleResult};
use crate::verify::VerifyRow;

/// The k of pass@k: `given`, else 1, 10 and 100 (those up to `n` when there are `n` samples
/// per task; 1 always).
pub fn default_ks(given: Option<&[usize]>, n: Option<usize>) -> Vec<usize> {
    match given {
        Some(k) => k.to_vec(),
        None => [1, 10, 100]
            .into_iter()
            .filter(|&k| n.is_none_or(|n| k == 1 || k <= n))
            .collect(),
    }
}

/// Samples run at once: `given`, else the number of cores.
pub fn default_workers(given: Option<usize>) -> usize {
    given.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The problems of a dataset (a built-in name or a problems file, see
/// [`crate::datasets::resolve`]); a dataset without problems is an error.
pub fn load_dataset(name: &str, progress: &dyn Fn(&str)) -> Result<Vec<Problem>, EvalError> {
    let path = crate::datasets::resolve(name, progress)?;
    let problems = crate::data::load_problems(&path)?;
    if problems.is_empty() {
        return Err(EvalError::Mismatch(format!(
            "{}: no problems",
            path.display()
        )));
    }
    Ok(problems)
}

/// [`load_dataset`], with ReCode's partial code in the prompts when `partial_code`
/// ([`crate::robust::partial_code`]; `progress` hears how many prompts got it).
pub fn load_dataset_for_run(
    name: &str,
    partial_code: bool,
    progress: &dyn Fn(&str),
) -> Result<Vec<Problem>, EvalError> {
    let problems = load_dataset(name, progress)?;
    if !partial_code {
        return Ok(problems);
    }
    let (with_partial, changed) = crate::robust::partial_code(&problems)?;
    progress(&format!(
        "partial code in {changed} of {} prompts",
        problems.len()
    ));
    Ok(with_partial)
}

/// A warning when samples run on the host's filesystem (no bubblewrap).
pub fn isolation_warning(sandbox: &Sandbox) -> Option<String> {
    let isolation = sandbox.isolation();
    (!isolation.private_filesystem).then(|| {
        format!(
            "samples run on the host's filesystem ({isolation}); install bubblewrap (`bwrap`) \
             for a private one"
        )
    })
}

/// The samples of a file; a file without samples is an error.
pub fn load_samples(path: &Path) -> Result<Vec<crate::data::Sample>, EvalError> {
    let samples = crate::data::load_samples(path)?;
    if samples.is_empty() {
        return Err(EvalError::Mismatch(format!(
            "{}: no samples",
            path.display()
        )));
    }
    Ok(samples)
}

/// Scores `samples` ([`crate::score::score_samples`]) and writes the results beside the
/// samples file at `samples_path`; `on_result` gets each result with the passes so far.
pub fn score_and_write(
    sandbox: &Sandbox,
    problems: &[Problem],
    samples: &[crate::data::Sample],
    samples_path: &Path,
    workers: usize,
    on_result: &(dyn Fn(&SampleResult, usize) + Sync),
) -> Result<(Vec<SampleResult>, std::path::PathBuf), EvalError> {
    let passes = std::sync::atomic::AtomicUsize::new(0);
    let results = crate::score::score_samples(sandbox, problems, samples, workers, &|r| {
        let pass = usize::from(r.verdict.passed());
        let passed = passes.fetch_add(pass, std::sync::atomic::Ordering::Relaxed) + pass;
        on_result(r, passed);
    })?;
    let results_path = crate::score::results_path(samples_path);
    crate::score::write_results(&results_path, &results)?;
    Ok((results, results_path))
}

/// The settings of a generation run on `dataset` with `model` (a catalog name or path) in
/// prompt format `format`, sampling with `params`, with or without ReCode's partial code.
pub fn run_settings(
    dataset: &str,
    model: &str,
    format: PromptFormat,
    params: &GenerationParams,
    partial_code: bool,
) -> RunSettings {
    RunSettings {
        dataset: dataset.to_string(),
        model: model.to_string(),
        prompt_format: format.name().to_string(),
        temperature: params.temperature,
        top_p: params.top_p,
        top_k: params.top_k,
        repeat_penalty: params.repeat_penalty,
        max_tokens: params.max_tokens,
        seed: params.seed,
        perturb: None,
        partial_code,
    }
}

/// What [`evaluate`] reports as it goes.
#[derive(Debug)]
pub enum EvalEvent<'a> {
    /// Progress of the nominal run.
    Nominal(&'a RunProgress),
    /// The nominal run is done.
    NominalFinished,
    /// Progress of the robustness runs.
    Robustness(RobustnessEvent<'a>),
}

/// A generation run with its robustness runs: what [`evaluate`] needs besides the model.
#[derive(Debug, Clone, Copy)]
pub struct Evaluation<'a> {
    /// The problems (with partial code, if wanted).
    pub problems: &'a [Problem],
    /// The nominal run's directory.
    pub dir: &'a Path,
    /// How to run.
    pub options: &'a RunOptions,
    /// The transforms of the robustness runs (none: no robustness runs).
    pub transforms: &'a [&'static Transform],
    /// Perturbed versions of each prompt per transform (ReCode's `s`).
    pub versions: usize,
    /// The k of pass@k.
    pub ks: &'a [usize],
    /// The sandbox the samples run in.
    pub sandbox: &'a Sandbox,
}

/// The nominal run ([`crate::run::run`]), then the robustness runs
/// ([`crate::robust::run_robustness`]) compared with it.
pub fn evaluate(
    model: &mut dyn Generate,
    e: &Evaluation<'_>,
    on_event: &mut dyn FnMut(EvalEvent<'_>),
) -> Result<(RunOutput, Vec<RobustnessRow>), EvalError> {
    let output = crate::run::run(model, e.problems, e.dir, e.options, e.sandbox, &mut |p| {
        on_event(EvalEvent::Nominal(p))
    })?;
    on_event(EvalEvent::NominalFinished);
    let robust = RobustnessOptions {
        run: e.options,
        dir: e.dir,
        versions: e.versions,
        ks: e.ks,
    };
    let rows = crate::robust::run_robustness(
        model,
        e.problems,
        &output.results,
        e.transforms,
        &robust,
        e.sandbox,
        &mut |event| on_event(EvalEvent::Robustness(event)),
    )?;
    Ok((output, rows))
}

/// A generation run's part of a summary.
#[derive(Debug, Clone, Copy)]
pub struct RunInfo<'a> {
    /// The run's settings.
    pub settings: &'a RunSettings,
    /// Samples generated and resumed.
    pub progress: &'a RunProgress,
    /// Samples per task.
    pub n: usize,
}

/// What the summary of a scored evaluation reports.
#[derive(Debug, Clone, Copy)]
pub struct EvalReport<'a> {
    /// The dataset's name or path, as given.
    pub dataset: &'a str,
    /// Problems in the dataset.
    pub problems: usize,
    /// Every sample's result.
    pub results: &'a [SampleResult],
    /// Where the results were written.
    pub results_path: &'a Path,
    /// The sandbox the samples ran in.
    pub sandbox: &'a Sandbox,
    /// Seconds each sample could run, as given.
    pub timeout_secs: f64,
    /// For a generation run: its settings, progress and samples per task.
    pub run: Option<RunInfo<'a>>,
    /// The robustness rows (empty without perturbations).
    pub robustness: &'a [RobustnessRow],
}

impl<'a> EvalReport<'a> {
    /// The report of a scoring: no generation run, no robustness rows.
    pub fn new(
        dataset: &'a str,
        problems: usize,
        results: &'a [SampleResult],
        results_path: &'a Path,
        sandbox: &'a Sandbox,
        timeout_secs: f64,
    ) -> EvalReport<'a> {
        EvalReport {
            dataset,
            problems,
            results,
            results_path,
            sandbox,
            timeout_secs,
            run: None,
            robustness: &[],
        }
    }

    /// Whether the sandbox checked return types.
    fn strict(&self) -> bool {
        self.sandbox.options().strict
    }

    /// The k of pass@k reported: `given`, else the defaults for the run's samples per task.
    pub fn ks(&self, given: Option<&[usize]>) -> Vec<usize> {
        default_ks(given, self.run.map(|r| r.n))
    }

    /// pass@k over the results for each of `ks`.
    pub fn summary(&self, ks: &[usize]) -> Summary {
        summarize(&task_counts(self.results), ks)
    }

    /// The summary as one JSON object.
    pub fn to_json(&self, ks: &[usize]) -> serde_json::Value {
        let summary = self.summary(ks);
        let by_k = |m: serde_json::Map<String, serde_json::Value>| serde_json::Value::Object(m);
        let mut value = serde_json::json!({
            "dataset": self.dataset,
            "problems": self.problems,
            "tasks": summary.tasks,
            "samples": summary.samples,
            "passed": summary.passed,
            "pass_at": by_k(summary.pass_at.iter().map(|(k, v)| (k.to_string(), (*v).into())).collect()),
            "tasks_short": by_k(summary.short.iter().map(|(k, v)| (k.to_string(), v.len().into())).collect()),
            "timeout_secs": self.timeout_secs,
            "strict": self.strict(),
            "isolation": self.sandbox.isolation().to_string(),
            "results": self.results_path.display().to_string(),
        });
        if !self.robustness.is_empty() {
            value["robustness"] = self.robustness.iter().map(RobustnessRow::to_json).collect();
        }
        if let Some(run) = self.run {
            value["run"] = serde_json::to_value(run.settings).unwrap_or_default();
            value["run"]["n"] = run.n.into();
            value["generated"] = run.progress.generated.into();
            value["resumed"] = run.progress.resumed.into();
        }
        value
    }

    /// The summary as text: dataset, run, samples, pass@k, sandbox and results file.
    pub fn write_text(&self, out: &mut impl Write, ks: &[usize]) -> std::io::Result<()> {
        let summary = self.summary(ks);
        writeln!(
            out,
            "dataset    {} ({} problems, {} with samples)",
            self.dataset, self.problems, summary.tasks
        )?;
        if let Some(RunInfo {
            settings,
            progress,
            n,
        }) = self.run
        {
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
            self.sandbox.isolation(),
            self.timeout_secs,
            if self.strict() { ", strict types" } else { "" }
        )?;
        writeln!(out, "results    {}", self.results_path.display())
    }

    /// The whole report: the summary as JSON (`json`), else as text followed by the
    /// robustness table when there is one.
    pub fn write(
        &self,
        out: &mut impl Write,
        given_ks: Option<&[usize]>,
        json: bool,
    ) -> std::io::Result<()> {
        let ks = self.ks(given_ks);
        if json {
            return writeln!(out, "{}", self.to_json(&ks));
        }
        self.write_text(out, &ks)?;
        if !self.robustness.is_empty() {
            write_robustness(out, &ks, self.robustness)?;
        }
        Ok(())
    }
}

/// The robustness table: per transform, how many prompts changed, nominal pass@k, Robust
/// Pass_s@k, Robust Drop_s@k, Robust Relative_s@k, and the tasks whose outcome flipped (for
/// the first of `ks`), after a blank line.
pub fn write_robustness(
    out: &mut impl Write,
    ks: &[usize],
    rows: &[RobustnessRow],
) -> std::io::Result<()> {
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
        write_robustness_row(out, k, row)?;
    }
    Ok(())
}

/// One transform's line of the robustness table.
fn write_robustness_row(
    out: &mut impl Write,
    k: usize,
    row: &RobustnessRow,
) -> std::io::Result<()> {
    let id = row.transform;
    let Some(c) = &row.comparison else {
        return writeln!(out, "{id:<22} {:>8}", 0);
    };
    let (Some(a), Some(b)) = (c.nominal.get(&k), c.perturbed.get(&k)) else {
        return writeln!(out, "{id:<22} {:>8}", c.changed);
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
    )
}

/// The report of `arbor augment --verify` as JSON: per transform, the `problems`, what it
/// applied to and skipped, the outputs still passing and those it broke.
pub fn verify_json(rows: &[VerifyRow], problems: usize) -> serde_json::Value {
    rows.iter()
        .map(|r| {
            let broken: Vec<serde_json::Value> = r
                .broken
                .iter()
                .map(|(id, v, why)| serde_json::json!({"task_id": id, "variant": v, "result": why}))
                .collect();
            serde_json::json!({
                "transform": r.transform,
                "problems": problems,
                "applied": r.applied,
                "skipped": r.skipped,
                "still_passing": r.passing,
                "baseline_failing": r.baseline_failing,
                "broken": broken,
            })
        })
        .collect()
}

/// The report of `arbor augment --verify` on `problems` problems: one line of JSON
/// ([`verify_json`]) when `json`, else the table ([`write_verify_table`]).
pub fn write_verify(
    out: &mut impl Write,
    rows: &[VerifyRow],
    problems: usize,
    json: bool,
) -> std::io::Result<()> {
    match json {
        true => writeln!(out, "{}", verify_json(rows, problems)),
        false => write_verify_table(out, rows),
    }
}

/// The report of `arbor augment --verify` as a table, with the first five outputs each
/// transform broke.
pub fn write_verify_table(out: &mut impl Write, rows: &[VerifyRow]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<24} {:>8} {:>8} {:>15} {:>8}",
        "transform", "applied", "skipped", "still passing", "share"
    )?;
    for r in rows {
        let checked = r.applied - r.baseline_failing;
        let share = 100.0 * r.applied as f64 / (r.applied + r.skipped).max(1) as f64;
        let passing = if checked == 0 {
            "-".to_string()
        } else {
            format!(
                "{}/{} ({:.0}%)",
                r.passing,
                checked,
                100.0 * r.passing as f64 / checked as f64
            )
        };
        writeln!(
            out,
            "{:<24} {:>8} {:>8} {:>15} {:>7.0}%",
            r.transform, r.applied, r.skipped, passing, share
        )?;
        for (id, variant, why) in r.broken.iter().take(5) {
            writeln!(out, "    broke {id} (variant {variant}): {why}")?;
        }
    }
    if rows.iter().any(|r| r.baseline_failing > 0) {
        writeln!(
            out,
            "(outputs of problems whose canonical solution fails untransformed are not counted)"
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_default_to_those_the_samples_allow() {
        assert_eq!(default_ks(None, None), vec![1, 10, 100]);
        assert_eq!(default_ks(None, Some(1)), vec![1]);
        assert_eq!(default_ks(None, Some(20)), vec![1, 10]);
        assert_eq!(default_ks(Some(&[5]), Some(1)), vec![5]);
        assert_eq!(default_workers(Some(3)), 3);
        assert!(default_workers(None) >= 1);
    }

    fn row(transform: &str, applied: usize, baseline_failing: usize) -> VerifyRow {
        VerifyRow {
            transform: transform.into(),
            applied,
            skipped: 1,
            passing: applied - baseline_failing - 1,
            baseline_failing,
            broken: vec![("t/0".into(), 0, "failed".into())],
        }
    }

    #[test]
    fn verify_reports_count_what_was_checked() {
        let rows = [row("rename", 4, 0), row("dead-code", 3, 1)];
        let json = verify_json(&rows, 5);
        assert_eq!(json[0]["problems"], 5);
        assert_eq!(json[1]["still_passing"], 1);
        assert_eq!(json[0]["broken"][0]["task_id"], "t/0");
        let mut text = Vec::new();
        write_verify_table(&mut text, &rows).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("3/4 (75%)"), "{text}");
        assert!(text.contains("    broke t/0 (variant 0): failed"), "{text}");
        assert!(text.ends_with("are not counted)\n"), "{text}");
    }

    #[test]
    fn a_transform_that_changed_nothing_is_one_short_line() {
        let rows = [RobustnessRow {
            transform: "rename",
            comparison: None,
        }];
        let mut text = Vec::new();
        write_robustness(&mut text, &[1], &rows).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.starts_with("\nrobustness, 1 perturbed version per prompt"));
        assert!(
            text.ends_with(&format!("{:<22} {:>8}\n", "rename", 0)),
            "{text}"
        );
    }
}
