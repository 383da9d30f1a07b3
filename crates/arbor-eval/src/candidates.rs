//! `arbor eval select DIR`: the samples of an `eval run` directory as candidates for
//! selection — scored against the real tests (the results file, made now if missing), run on
//! their prompt's examples and, for clustering, on behaviour inputs ([`crate::probe`]) — and
//! the n@k table of every strategy ([`crate::select`]), kept as `selection.json`.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;

use crate::data::{Problem, Sample};
use crate::error::EvalError;
use crate::probe::{ExampleOutcome, TaskProbe};
use crate::run::{RunSettings, SAMPLES_FILE, SETTINGS_FILE};
use crate::sandbox::Sandbox;
use crate::select::{selection_table, Candidate, SelectionTable, Strategy};

/// The file `arbor eval select` writes into the run directory.
pub const SELECTION_FILE: &str = "selection.json";

/// How to select.
#[derive(Debug, Clone)]
pub struct SelectOptions {
    /// The strategies to compare.
    pub strategies: Vec<Strategy>,
    /// The n of n@k.
    pub ns: Vec<usize>,
    /// The k of the columns (default: [`crate::select::default_ks`]).
    pub ks: Option<Vec<usize>>,
    /// Sandbox processes at a time.
    pub workers: usize,
}

/// What `select_run` found and measured.
#[derive(Debug, Clone)]
pub struct SelectionReport {
    /// The n@k table.
    pub table: SelectionTable,
    /// Strategies left out, and why.
    pub skipped: Vec<(Strategy, String)>,
    /// Tasks whose prompt yielded at least one example.
    pub tasks_with_examples: usize,
    /// Examples over all tasks.
    pub examples: usize,
    /// Samples.
    pub samples: usize,
    /// Samples that satisfied every example of their task (tasks without examples left out).
    pub survivors: usize,
    /// Samples of tasks with examples.
    pub samples_with_examples: usize,
    /// Probe programs run.
    pub probes: usize,
    /// Wall-clock seconds spent running probes.
    pub probe_secs: f64,
}

impl SelectionReport {
    /// The report as `selection.json` holds it: the table's fields and the counts.
    pub fn to_json(&self) -> serde_json::Value {
        let mut value = self.table.to_json();
        let skipped: Vec<serde_json::Value> = self
            .skipped
            .iter()
            .map(|(s, why)| serde_json::json!({"name": s.name(), "why": why}))
            .collect();
        let extra = serde_json::json!({
            "skipped": skipped,
            "tasks_with_examples": self.tasks_with_examples,
            "examples": self.examples,
            "samples": self.samples,
            "survivors": self.survivors,
            "samples_with_examples": self.samples_with_examples,
            "probes": self.probes,
            "probe_secs": (self.probe_secs * 1000.0).round() / 1000.0,
        });
        if let (Some(object), serde_json::Value::Object(more)) = (value.as_object_mut(), extra) {
            object.extend(more);
        }
        value
    }

    /// The report as text: the counts, then the table.
    pub fn write_text(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(
            out,
            "{} of {} tasks have examples in the prompt ({} examples); {} of {} of their samples \
             satisfy every example",
            self.tasks_with_examples,
            self.table.tasks,
            self.examples,
            self.survivors,
            self.samples_with_examples,
        )?;
        writeln!(
            out,
            "{} probes in {:.1}s; n@k from {} samples per task",
            self.probes, self.probe_secs, self.table.samples_per_task
        )?;
        for (strategy, why) in &self.skipped {
            writeln!(out, "{}: left out: {why}", strategy.name())?;
        }
        self.table.write_text(out)
    }
}

/// The seed of a run directory's settings (0 without `run.json`).
fn run_seed(dir: &Path) -> u64 {
    std::fs::read_to_string(dir.join(SETTINGS_FILE))
        .ok()
        .and_then(|text| serde_json::from_str::<RunSettings>(&text).ok())
        .map_or(0, |s| s.seed)
}

/// The settings a run directory was made with (its `run.json`).
pub fn run_settings(dir: &Path) -> Result<RunSettings, EvalError> {
    let path = dir.join(SETTINGS_FILE);
    let text = std::fs::read_to_string(&path).map_err(|source| EvalError::Io {
        path: path.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| EvalError::Format {
        path: path.clone(),
        line: e.line(),
        message: format!("not a run's settings: {e}"),
    })
}

/// The scored samples of `dir`: the results file when it is there and complete, else the
/// samples scored now (and the results file written).
fn scored_samples(
    dir: &Path,
    problems: &[Problem],
    sandbox: &Sandbox,
    workers: usize,
) -> Result<Vec<(Sample, bool)>, EvalError> {
    let samples_path = dir.join(SAMPLES_FILE);
    let results_path = crate::score::results_path(&samples_path);
    let samples = crate::report::load_samples(&samples_path)?;
    if let Ok(results) = crate::data::load_samples(&results_path) {
        if results.len() == samples.len() {
            return Ok(results
                .into_iter()
                .map(|r| {
                    let passed = r.fields.get("passed").and_then(|p| p.as_bool()) == Some(true);
                    (r, passed)
                })
                .collect());
        }
    }
    let results = crate::score::score_samples(sandbox, problems, &samples, workers, &|_| {})?;
    crate::score::write_results(&results_path, &results)?;
    Ok(results
        .into_iter()
        .map(|r| {
            let passed = r.verdict.passed();
            (r.sample, passed)
        })
        .collect())
}

/// A task's samples, each with whether it passed the real tests.
type TaskSamples<'a> = (&'a Problem, Vec<&'a (Sample, bool)>);

/// The scored samples by task, in the dataset's order (tasks without samples left out),
/// each task's samples in file order.
fn group_by_task<'a>(
    problems: &'a [Problem],
    scored: &'a [(Sample, bool)],
) -> Result<Vec<TaskSamples<'a>>, EvalError> {
    let mut by_task: Vec<TaskSamples<'a>> = problems.iter().map(|p| (p, Vec::new())).collect();
    let index: std::collections::HashMap<&str, usize> = problems
        .iter()
        .enumerate()
        .map(|(i, p)| (p.task_id.as_str(), i))
        .collect();
    for item in scored {
        let Some(&at) = index.get(item.0.task_id.as_str()) else {
            return Err(EvalError::Mismatch(format!(
                "a sample for `{}`, which the dataset does not have",
                item.0.task_id
            )));
        };
        by_task[at].1.push(item);
    }
    by_task.retain(|(_, samples)| !samples.is_empty());
    Ok(by_task)
}

/// Runs `probe(task, sample)` for every job on `pool`, reporting progress.
fn run_jobs<T: Send>(
    pool: &rayon::ThreadPool,
    jobs: &[(usize, usize)],
    progress: &(dyn Fn(usize, usize) + Sync),
    probe: impl Fn(usize, usize) -> T + Sync,
) -> Vec<T> {
    let done = std::sync::atomic::AtomicUsize::new(0);
    pool.install(|| {
        jobs.par_iter()
            .map(|&(t, s)| {
                let result = probe(t, s);
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(n, jobs.len());
                result
            })
            .collect()
    })
}

/// Per task and sample: the digest of the set of the model's tests passed, and how many.
type TestsPassed = Vec<Vec<Option<(u64, usize)>>>;

/// What the probes found: per task and sample, whether it survived the examples and its
/// behaviour digest; and how many probes ran.
struct Probed {
    survived: Vec<Vec<bool>>,
    behaviours: Vec<Vec<Option<u64>>>,
    /// CodeT: the digest of the set of the model's tests passed, and how many.
    tests: TestsPassed,
    probes: usize,
}

/// Runs the examples of every task that has some on all its samples, then (with
/// `behaviour`) the behaviour probe on the survivors (all samples of a task without
/// examples).
fn probe_all(
    by_task: &[TaskSamples<'_>],
    probes: &[TaskProbe<'_>],
    sandbox: &Sandbox,
    pool: &rayon::ThreadPool,
    behaviour: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Probed {
    let completion = |t: usize, s: usize| by_task[t].1[s].0.completion.as_str();
    let jobs: Vec<(usize, usize)> = by_task
        .iter()
        .enumerate()
        .filter(|(t, _)| !probes[*t].examples.is_empty())
        .flat_map(|(t, (_, samples))| (0..samples.len()).map(move |s| (t, s)))
        .collect();
    let outcomes: Vec<ExampleOutcome> = run_jobs(pool, &jobs, progress, |t, s| {
        probes[t].examples(sandbox, completion(t, s))
    });
    let mut probed = Probed {
        survived: by_task.iter().map(|(_, s)| vec![true; s.len()]).collect(),
        behaviours: by_task.iter().map(|(_, s)| vec![None; s.len()]).collect(),
        tests: by_task.iter().map(|(_, s)| vec![None; s.len()]).collect(),
        probes: jobs.len(),
    };
    for (&(t, s), outcome) in jobs.iter().zip(&outcomes) {
        probed.survived[t][s] = outcome.all_held();
    }
    if !behaviour {
        return probed;
    }
    let jobs: Vec<(usize, usize)> = probed
        .survived
        .iter()
        .enumerate()
        .flat_map(|(t, s)| (0..s.len()).filter(move |&i| s[i]).map(move |i| (t, i)))
        .collect();
    let digests = run_jobs(pool, &jobs, progress, |t, s| {
        probes[t].behaviour(sandbox, completion(t, s))
    });
    for (&(t, s), digest) in jobs.iter().zip(digests) {
        probed.behaviours[t][s] = digest;
    }
    probed.probes += jobs.len();
    probed
}

/// Runs the model's own tests of each task (CodeT) on all its samples: per task and sample,
/// the digest of the set passed and how many; and how many probes ran.
fn probe_tests(
    by_task: &[TaskSamples<'_>],
    tests: &std::collections::HashMap<String, Vec<crate::examples::Example>>,
    sandbox: &Sandbox,
    pool: &rayon::ThreadPool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> (TestsPassed, usize) {
    let probes: Vec<Option<TaskProbe<'_>>> = by_task
        .iter()
        .map(|(p, _)| {
            let list = tests.get(&p.task_id).filter(|t| !t.is_empty())?;
            Some(TaskProbe::with_examples(p, list.clone(), 0))
        })
        .collect();
    let jobs: Vec<(usize, usize)> = by_task
        .iter()
        .enumerate()
        .filter(|(t, _)| probes[*t].is_some())
        .flat_map(|(t, (_, samples))| (0..samples.len()).map(move |s| (t, s)))
        .collect();
    let outcomes = run_jobs(pool, &jobs, progress, |t, s| {
        let probe = probes[t].as_ref()?;
        let outcome = probe.examples(sandbox, &by_task[t].1[s].0.completion);
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(&outcome.held, &mut hasher);
        Some((std::hash::Hasher::finish(&hasher), outcome.count()))
    });
    let mut found: TestsPassed = by_task.iter().map(|(_, s)| vec![None; s.len()]).collect();
    for (&(t, s), outcome) in jobs.iter().zip(outcomes) {
        found[t][s] = outcome;
    }
    (found, jobs.len())
}

/// The strategies of `options` that the samples allow, and those left out with why.
fn usable_strategies(
    options: &SelectOptions,
    tasks: &[Vec<Candidate>],
    has_tests: bool,
) -> (Vec<Strategy>, Vec<(Strategy, String)>) {
    let has_logprob = tasks.iter().flatten().any(|c| c.logprob.is_some());
    let mut kept = Vec::new();
    let mut left = Vec::new();
    for &strategy in &options.strategies {
        if strategy.needs_logprob() && !has_logprob {
            let why = "the samples carry no `mean_logprob` (made by another tool, or before \
                       Arbor recorded it)";
            left.push((strategy, why.to_string()));
        } else if strategy.needs_tests() && !has_tests {
            let file = crate::codet::TESTS_FILE;
            left.push((
                strategy,
                format!("no model-written tests ({file}) in the run directory"),
            ));
        } else {
            kept.push(strategy);
        }
    }
    (kept, left)
}

/// Scores and probes the samples of the run in `dir` (of `problems`), computes n@k for every
/// strategy of `options`, and writes `selection.json` into `dir`; `progress` hears
/// `(probes done, probes planned)` for each pass of probes.
pub fn select_run(
    dir: &Path,
    problems: &[Problem],
    sandbox: &Sandbox,
    options: &SelectOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SelectionReport, EvalError> {
    let scored = scored_samples(dir, problems, sandbox, options.workers)?;
    let seed = run_seed(dir);
    let by_task = group_by_task(problems, &scored)?;
    let probes: Vec<TaskProbe<'_>> = by_task
        .iter()
        .enumerate()
        .map(|(t, (p, _))| TaskProbe::new(p, seed.wrapping_add(t as u64)))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.workers.max(1))
        .build()
        .map_err(|e| EvalError::Sandbox(e.to_string()))?;
    let behaviour = options.strategies.iter().any(|s| s.needs_behaviour());
    let started = Instant::now();
    let mut probed = probe_all(&by_task, &probes, sandbox, &pool, behaviour, progress);
    let tests = if options.strategies.iter().any(|s| s.needs_tests()) {
        crate::codet::load_tests(dir, problems)?
    } else {
        None
    };
    if let Some(tests) = &tests {
        let (found, count) = probe_tests(&by_task, tests, sandbox, &pool, progress);
        probed.tests = found;
        probed.probes += count;
    }
    let probe_secs = started.elapsed().as_secs_f64();
    let tasks: Vec<Vec<Candidate>> = by_task
        .iter()
        .enumerate()
        .map(|(t, (_, samples))| {
            samples
                .iter()
                .enumerate()
                .map(|(s, (sample, passed))| Candidate {
                    correct: *passed,
                    survived: probed.survived[t][s],
                    behaviour: probed.behaviours[t][s],
                    logprob: sample.fields.get("mean_logprob").and_then(|v| v.as_f64()),
                    tests: probed.tests[t][s],
                })
                .collect()
        })
        .collect();
    let (strategies, skipped) = usable_strategies(options, &tasks, tests.is_some());
    let samples_per_task = tasks.iter().map(Vec::len).min().unwrap_or(0);
    let ks = options
        .ks
        .clone()
        .unwrap_or_else(|| crate::select::default_ks(samples_per_task));
    let with_examples: Vec<usize> = (0..by_task.len())
        .filter(|&t| !probes[t].examples.is_empty())
        .collect();
    let report = SelectionReport {
        table: selection_table(&tasks, &strategies, &options.ns, &ks, seed),
        skipped,
        tasks_with_examples: with_examples.len(),
        examples: probes.iter().map(|p| p.examples.len()).sum(),
        samples: scored.len(),
        survivors: with_examples
            .iter()
            .map(|&t| probed.survived[t].iter().filter(|&&s| s).count())
            .sum(),
        samples_with_examples: with_examples
            .iter()
            .map(|&t| probed.survived[t].len())
            .sum(),
        probes: probed.probes,
        probe_secs,
    };
    write_selection(dir, &report)?;
    Ok(report)
}

/// Writes `selection.json` into `dir`, atomically.
fn write_selection(dir: &Path, report: &SelectionReport) -> Result<(), EvalError> {
    let text = format!("{:#}\n", report.to_json());
    crate::atomic::write_file(&dir.join(SELECTION_FILE), text.as_bytes())
}
