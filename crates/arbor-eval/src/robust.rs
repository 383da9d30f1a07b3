//! Robustness evaluation (ReCode's question): the same model and seed on problems whose
//! prompts went through a semantics-preserving transform (docstring, function name, code
//! syntax, format), pass@k next to the nominal one.

use std::collections::{BTreeMap, HashMap};

use arbor_augment::{augment, Naming, Transform};

use crate::data::Problem;
use crate::error::EvalError;
use crate::passk::summarize;
use crate::score::{task_counts, SampleResult};

/// The problems a transform changed, with their new prompts (and renamed entry points).
#[derive(Debug, Clone)]
pub struct Perturbed {
    /// The transform's id.
    pub transform: &'static str,
    /// The changed problems.
    pub problems: Vec<Problem>,
    /// Problems it left unchanged.
    pub unchanged: usize,
}

/// Applies `transform` to every problem's prompt (variant 0 of `seed`); the names a
/// problem's test spells keep theirs, and a renamed entry point is followed.
pub fn perturb(
    problems: &[Problem],
    transform: &'static Transform,
    seed: u64,
    naming: Naming,
) -> Result<Perturbed, EvalError> {
    let mut out = Perturbed {
        transform: transform.id,
        problems: Vec::new(),
        unchanged: 0,
    };
    for problem in problems {
        let keep = problem.test_words();
        let result = augment(
            &problem.prompt,
            problem.language(),
            &[transform],
            seed,
            0,
            naming,
            &keep,
        )
        .map_err(|e| EvalError::Mismatch(format!("{}: {e}", problem.task_id)))?;
        if result.applied.is_empty() {
            out.unchanged += 1;
            continue;
        }
        let mut prompt = result.text;
        if problem.prompt.ends_with('\n') && !prompt.ends_with('\n') {
            prompt.push('\n');
        }
        let mut entry_point = problem.entry_point.clone();
        for (old, new) in &result.renamed {
            if *old == entry_point {
                entry_point = new.clone();
            }
        }
        out.problems.push(Problem {
            prompt,
            entry_point,
            ..problem.clone()
        });
    }
    Ok(out)
}

/// Nominal and perturbed scores side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Problems the transform changed.
    pub changed: usize,
    /// Tasks in all.
    pub tasks: usize,
    /// pass@k on the nominal problems.
    pub nominal: BTreeMap<usize, f64>,
    /// pass@k with the changed problems' results in place of their nominal ones.
    pub perturbed: BTreeMap<usize, f64>,
    /// Changed tasks whose outcome flipped (some sample passed before and none after, or the
    /// reverse).
    pub flipped: usize,
}

/// Compares `nominal` results (every task) with `perturbed` ones (the changed tasks).
pub fn compare(nominal: &[SampleResult], perturbed: &[SampleResult], ks: &[usize]) -> Comparison {
    let before = task_counts(nominal);
    let after: HashMap<String, (usize, usize)> = task_counts(perturbed)
        .into_iter()
        .map(|(t, n, c)| (t, (n, c)))
        .collect();
    let mut flipped = 0;
    let combined: Vec<(String, usize, usize)> = before
        .iter()
        .map(|(task, n, c)| match after.get(task) {
            Some(&(pn, pc)) => {
                if (*c > 0) != (pc > 0) {
                    flipped += 1;
                }
                (task.clone(), pn, pc)
            }
            None => (task.clone(), *n, *c),
        })
        .collect();
    Comparison {
        changed: after.len(),
        tasks: before.len(),
        nominal: summarize(&before, ks).pass_at,
        perturbed: summarize(&combined, ks).pass_at,
        flipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Sample;
    use crate::sandbox::Verdict;

    fn result(task: &str, passed: bool) -> SampleResult {
        SampleResult {
            sample: Sample {
                task_id: task.into(),
                completion: String::new(),
                fields: serde_json::Map::new(),
            },
            verdict: if passed {
                Verdict::Passed
            } else {
                Verdict::Failed("x".into())
            },
            seconds: 0.0,
        }
    }

    #[test]
    fn perturbed_results_replace_the_changed_tasks_only() {
        let nominal = [result("a", true), result("b", true), result("c", false)];
        let perturbed = [result("b", false)];
        let c = compare(&nominal, &perturbed, &[1]);
        assert_eq!((c.changed, c.tasks, c.flipped), (1, 3, 1));
        assert!((c.nominal[&1] - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.perturbed[&1] - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn a_renamed_entry_point_is_followed_and_test_names_are_kept() {
        let problem = Problem {
            task_id: "t".into(),
            prompt: "def helper(x):\n    return x\n\n\ndef add(a, b):\n    \"\"\"Add.\n    >>> add(1, 2)\n    3\n    \"\"\"\n".into(),
            canonical_solution: "    return a + b\n".into(),
            test: "def check(candidate):\n    assert candidate(1, helper(2)) == 3\n".into(),
            entry_point: "add".into(),
        };
        let t = arbor_augment::by_id("rename-function").unwrap();
        let p = perturb(std::slice::from_ref(&problem), t, 0, Naming::Natural).unwrap();
        assert_eq!(p.problems.len(), 1);
        let changed = &p.problems[0];
        assert_ne!(changed.entry_point, "add");
        assert!(changed
            .prompt
            .contains(&format!("def {}(a, b):", changed.entry_point)));
        assert!(changed
            .prompt
            .contains(&format!(">>> {}(1, 2)", changed.entry_point)));
        assert!(
            changed.prompt.contains("def helper(x):"),
            "the test's helper keeps its name"
        );
    }
}
