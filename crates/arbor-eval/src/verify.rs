//! `arbor augment --verify`: transformed problems (`prompt + canonical_solution` after a
//! transform) run against their tests in the sandbox. A semantics-preserving transform keeps
//! every canonical solution that passed before passing after.

use std::collections::HashMap;

use arbor_augment::batch::{Record, Unit};
use rayon::prelude::*;

use crate::data::Problem;
use crate::error::EvalError;
use crate::sandbox::{Sandbox, Verdict};

/// What one transform (or chain) did to the problems.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyRow {
    /// The transform's id (`a+b` for a chain).
    pub transform: String,
    /// Outputs checked (problems it applied to, times variants).
    pub applied: usize,
    /// Inputs it left unchanged.
    pub skipped: usize,
    /// Outputs whose tests still pass.
    pub passing: usize,
    /// Outputs of problems whose canonical solution already failed untransformed.
    pub baseline_failing: usize,
    /// Outputs that broke: (task id, variant, result).
    pub broken: Vec<(String, u64, String)>,
}

/// Problems as augmentation units: `prompt + canonical_solution`, keeping the names their
/// tests use, each with its problem's fields (for [`verify`]).
pub fn problem_units(problems: &[Problem]) -> Vec<Unit> {
    problems
        .iter()
        .map(|p| {
            let mut fields = serde_json::Map::new();
            for (name, value) in [
                ("task_id", &p.task_id),
                ("prompt", &p.prompt),
                ("canonical_solution", &p.canonical_solution),
                ("test", &p.test),
                ("entry_point", &p.entry_point),
            ] {
                fields.insert(name.into(), value.clone().into());
            }
            Unit {
                id: p.task_id.clone(),
                language: p.language(),
                source: format!("{}{}", p.prompt, p.canonical_solution),
                keep: p.test_words(),
                problem: Some(fields),
                relative: None,
            }
        })
        .collect()
}

/// The problem a unit came from, with `prompt` replaced by `code` and the entry point
/// renamed as the transforms renamed it.
fn problem_of(unit: &Unit, code: &str, renamed: &[(String, String)]) -> Result<Problem, EvalError> {
    let fields = unit
        .problem
        .as_ref()
        .ok_or_else(|| EvalError::Mismatch(format!("{}: not a problem", unit.id)))?;
    let text = |name: &str| {
        fields
            .get(name)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let mut entry_point = text("entry_point");
    for (old, new) in renamed {
        if *old == entry_point {
            entry_point = new.clone();
        }
    }
    Ok(Problem {
        task_id: unit.id.clone(),
        prompt: code.to_string(),
        canonical_solution: String::new(),
        test: text("test"),
        entry_point,
    })
}

/// Runs every record's transformed program against its problem's tests, and every unit's
/// original as the baseline, `workers` at a time. `tallies` are the batch's per-transform
/// counts (for the skipped column), `groups` maps a record's transforms to its row.
pub fn verify(
    units: &[Unit],
    records: &[Record],
    tallies: &[(String, arbor_augment::batch::Tally)],
    chain: bool,
    sandbox: &Sandbox,
    workers: usize,
    on_done: &(dyn Fn() + Sync),
) -> Result<Vec<VerifyRow>, EvalError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers.max(1))
        .build()
        .map_err(|e| EvalError::Sandbox(e.to_string()))?;
    let baseline: Vec<bool> = pool.install(|| {
        units
            .par_iter()
            .map(|unit| {
                let passed = problem_of(unit, &unit.source, &[])
                    .map(|p| sandbox.run_sample(&p, "") == Verdict::Passed)
                    .unwrap_or(false);
                on_done();
                passed
            })
            .collect()
    });
    let verdicts: Vec<Result<Verdict, EvalError>> = pool.install(|| {
        records
            .par_iter()
            .map(|record| {
                let problem =
                    problem_of(&units[record.unit], &record.transformed, &record.renamed)?;
                let verdict = sandbox.run_sample(&problem, "");
                on_done();
                Ok(verdict)
            })
            .collect()
    });
    let mut rows: Vec<VerifyRow> = tallies
        .iter()
        .map(|(name, tally)| VerifyRow {
            transform: name.clone(),
            skipped: tally.skipped,
            ..VerifyRow::default()
        })
        .collect();
    let index: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.transform.clone(), i))
        .collect();
    for (record, verdict) in records.iter().zip(verdicts) {
        let verdict = verdict?;
        let key = if chain {
            rows[0].transform.clone()
        } else {
            record.transforms.join("+")
        };
        let Some(&row) = index.get(&key) else {
            continue;
        };
        let row = &mut rows[row];
        row.applied += 1;
        if !baseline[record.unit] {
            row.baseline_failing += 1;
        } else if verdict.passed() {
            row.passing += 1;
        } else {
            row.broken
                .push((record.id.clone(), record.variant, verdict.result_text()));
        }
    }
    Ok(rows)
}
