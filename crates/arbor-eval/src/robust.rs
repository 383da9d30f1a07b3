//! Robustness evaluation (ReCode's question): the same model and seed on problems whose
//! prompts went through a semantics-preserving transform (docstring, function name, code
//! syntax, format), pass@k next to the nominal one.
//!
//! With `s` perturbed versions of each prompt (variants `0..s` of the seed) the scores are
//! ReCode's (Wang et al., 2023):
//! - Robust Pass_s@k: the unbiased pass@k estimator on `rc_s`, the number of sample indices
//!   `i` whose sample is correct for *every* perturbed version (worst case);
//! - Robust Drop_s@k: `(pass@k − RP_s@k) / pass@k`;
//! - Robust Relative_s@k: the same estimator on the samples that were correct on the nominal
//!   prompt and wrong on some version, plus on those wrong on the nominal prompt and right on
//!   some version (changes in both directions).
//!
//! Sample `i` of every version is drawn with the same seed, so the indices line up. A
//! version that leaves a prompt unchanged counts with the nominal results.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use arbor_augment::{augment, AugmentOptions, Naming, Transform};
use arbor_gen::Generate;
use arbor_syntax::Language;

use crate::data::Problem;
use crate::error::EvalError;
use crate::passk::summarize;
use crate::run::{RunOptions, RunProgress, RunSettings};
use crate::sandbox::Sandbox;
use crate::score::{task_counts, SampleResult};

/// The transforms `names` name (`all`: every one with a version for `language`); an unknown
/// name is an error, before anything is generated.
pub fn transforms_named(
    names: &[String],
    language: Language,
) -> Result<Vec<&'static Transform>, EvalError> {
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
                EvalError::Mismatch(format!(
                    "unknown transform `{n}` (see `arbor augment --list`)"
                ))
            })
        })
        .collect()
}

/// One transform's line of a robustness report.
#[derive(Debug, Clone, PartialEq)]
pub struct RobustnessRow {
    /// The transform's id.
    pub transform: &'static str,
    /// Its scores next to the nominal ones; `None` when it changed no prompt.
    pub comparison: Option<Comparison>,
}

impl RobustnessRow {
    /// The row as JSON (`changed: 0` alone for a transform that changed nothing).
    pub fn to_json(&self) -> serde_json::Value {
        let pass_at = |m: &BTreeMap<usize, f64>| {
            m.iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
                .collect::<serde_json::Map<_, _>>()
        };
        match &self.comparison {
            None => serde_json::json!({"transform": self.transform, "changed": 0}),
            Some(c) => serde_json::json!({
                "transform": self.transform,
                "changed": c.changed,
                "tasks": c.tasks,
                "versions": c.versions,
                "nominal": pass_at(&c.nominal),
                "perturbed": pass_at(&c.perturbed),
                "drop": pass_at(&c.drop),
                "relative": pass_at(&c.relative),
                "flipped": c.flipped,
            }),
        }
    }
}

/// What a robustness run reports as it goes.
#[derive(Debug)]
pub enum RobustnessEvent<'a> {
    /// A version of a transform starts generating `prompts` changed prompts into `dir`
    /// (`tag`: the transform's id, with ` variant v` from the second version on).
    Started {
        /// The transform and version.
        tag: &'a str,
        /// Changed prompts not seen in an earlier version.
        prompts: usize,
        /// The version's run directory.
        dir: &'a Path,
    },
    /// Progress of the version's run.
    Progress(&'a RunProgress),
    /// The version's run is done.
    Finished,
    /// The transform changed no prompt.
    Unchanged(&'static str),
}

/// The settings of a robustness run: the nominal run's, with how many versions per prompt.
#[derive(Debug, Clone)]
pub struct RobustnessOptions<'a> {
    /// The nominal run's options (its settings are recorded with each version's).
    pub run: &'a RunOptions,
    /// The nominal run's directory; version `v` of transform `t` runs in `perturb-t` (`v` =
    /// 0) or `perturb-t-v`.
    pub dir: &'a Path,
    /// Perturbed versions of each prompt (ReCode's `s`).
    pub versions: usize,
    /// The k of pass@k.
    pub ks: &'a [usize],
}

/// ReCode's robustness runs: for each transform, `versions` perturbed versions of the
/// problems it changes are generated and scored (each in its own resumable run directory),
/// then compared with the `nominal` results. A prompt an earlier version already had is not
/// run again but takes that version's results.
pub fn run_robustness(
    model: &mut dyn Generate,
    problems: &[Problem],
    nominal: &[SampleResult],
    transforms: &[&'static Transform],
    options: &RobustnessOptions<'_>,
    sandbox: &Sandbox,
    on_event: &mut dyn FnMut(RobustnessEvent<'_>),
) -> Result<Vec<RobustnessRow>, EvalError> {
    let mut rows = Vec::new();
    for &transform in transforms {
        let mut versions: Vec<Vec<SampleResult>> = Vec::new();
        let mut seen = HashMap::new();
        for version in 0..options.versions {
            let results = run_version(
                model, problems, transform, version, &versions, &mut seen, options, sandbox,
                on_event,
            )?;
            versions.push(results);
        }
        let comparison = if versions.iter().all(|v| v.is_empty()) {
            on_event(RobustnessEvent::Unchanged(transform.id));
            None
        } else {
            Some(compare(nominal, &versions, options.ks))
        };
        rows.push(RobustnessRow {
            transform: transform.id,
            comparison,
        });
    }
    Ok(rows)
}

/// The results of one version of a transform: the tasks it changed, run fresh where no
/// earlier version (`earlier`) had the same prompt, copied from that version otherwise.
#[allow(clippy::too_many_arguments)]
fn run_version(
    model: &mut dyn Generate,
    problems: &[Problem],
    transform: &'static Transform,
    version: usize,
    earlier: &[Vec<SampleResult>],
    seen: &mut HashMap<(String, String), usize>,
    options: &RobustnessOptions<'_>,
    sandbox: &Sandbox,
    on_event: &mut dyn FnMut(RobustnessEvent<'_>),
) -> Result<Vec<SampleResult>, EvalError> {
    let settings = &options.run.settings;
    let perturbed = perturb(
        problems,
        transform,
        settings.seed,
        version as u64,
        Naming::Natural,
    )?;
    let (fresh, repeats) = first_seen(version, perturbed.problems, seen);
    let mut results = Vec::new();
    if !fresh.is_empty() {
        let (dir, tag) = version_dir(options.dir, transform.id, version);
        on_event(RobustnessEvent::Started {
            tag: &tag,
            prompts: fresh.len(),
            dir: &dir,
        });
        let run_options = RunOptions {
            settings: RunSettings {
                perturb: Some(tag.clone()),
                ..settings.clone()
            },
            ..options.run.clone()
        };
        let output = crate::run::run(model, &fresh, &dir, &run_options, sandbox, &mut |p| {
            on_event(RobustnessEvent::Progress(p))
        })?;
        on_event(RobustnessEvent::Finished);
        results = output.results;
    }
    for (task, from) in repeats {
        results.extend(
            earlier[from]
                .iter()
                .filter(|r| r.sample.task_id == task)
                .cloned(),
        );
    }
    Ok(results)
}

/// The run directory and tag of `version` of transform `id` under the nominal run's `dir`.
fn version_dir(dir: &Path, id: &str, version: usize) -> (PathBuf, String) {
    match version {
        0 => (dir.join(format!("perturb-{id}")), id.to_string()),
        v => (
            dir.join(format!("perturb-{id}-{v}")),
            format!("{id} variant {v}"),
        ),
    }
}

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

/// Applies `transform` to every problem's prompt (`variant` of `seed`); the names a
/// problem's test spells keep theirs, and a renamed entry point is followed.
pub fn perturb(
    problems: &[Problem],
    transform: &'static Transform,
    seed: u64,
    variant: u64,
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
            &AugmentOptions {
                seed,
                variant,
                naming,
                keep: &keep,
            },
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

/// ReCode's partial code, which its code-syntax perturbations work on: the prompt followed
/// by the first half of the canonical solution's lines — the longest run of whole lines,
/// at most half of its non-blank ones, after which prompt and partial code still parse
/// without errors (so the cut may fall inside a loop or a branch, never inside an
/// expression or a string); the rest is the new canonical solution. Python problems only;
/// a problem with no such cut (a one-line solution) keeps its prompt. Returns the problems
/// and how many got partial code.
pub fn partial_code(problems: &[Problem]) -> Result<(Vec<Problem>, usize), EvalError> {
    let mut out = Vec::with_capacity(problems.len());
    let mut changed = 0;
    for problem in problems {
        if problem.language() != arbor_syntax::Language::Python {
            return Err(EvalError::Mismatch(format!(
                "{}: partial code is for Python problems",
                problem.task_id
            )));
        }
        match split_solution(problem) {
            Some(cut) => {
                changed += 1;
                let (partial, rest) = problem.canonical_solution.split_at(cut);
                out.push(Problem {
                    prompt: format!("{}{partial}", problem.prompt),
                    canonical_solution: rest.to_string(),
                    ..problem.clone()
                });
            }
            None => out.push(problem.clone()),
        }
    }
    Ok((out, changed))
}

/// Where to cut `problem.canonical_solution` for [`partial_code`] (a byte offset after a
/// line end), if anywhere.
fn split_solution(problem: &Problem) -> Option<usize> {
    use arbor_syntax::{Language, ParsedFile};
    let solution = &problem.canonical_solution;
    let lines = solution.lines().filter(|l| !l.trim().is_empty()).count();
    // Every line end, with the non-blank lines up to it.
    let mut cuts = Vec::new();
    let mut taken = 0;
    let mut at = 0;
    for line in solution.split_inclusive('\n') {
        at += line.len();
        if !line.trim().is_empty() {
            taken += 1;
            if line.ends_with('\n') && taken * 2 <= lines {
                cuts.push(at);
            }
        }
    }
    cuts.into_iter().rev().find(|&cut| {
        let code = format!("{}{}", problem.prompt, &solution[..cut]);
        ParsedFile::parse("<partial>", Language::Python, code)
            .is_ok_and(|p| !p.has_errors() && !has_empty_block(p.root()))
    })
}

/// Whether a block under `root` has no statement, only comments at most (tree-sitter
/// accepts `for x in xs:` at the end of a file; Python does not).
fn has_empty_block(root: arbor_syntax::tree_sitter::Node<'_>) -> bool {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        let mut cursor = node.walk();
        if node.kind() == "block"
            && node
                .named_children(&mut cursor)
                .all(|c| c.kind() == "comment")
        {
            return true;
        }
        stack.extend(node.children(&mut cursor));
    }
    false
}

/// Keeps the problems of `version` whose prompt no earlier version of the same task had,
/// so that a transform with fewer distinct outputs than versions is not run twice on the
/// same prompt. `seen` maps (task, prompt) to the version that first had it; the returned
/// pairs name, for each problem dropped, the task and that earlier version.
pub fn first_seen(
    version: usize,
    problems: Vec<Problem>,
    seen: &mut HashMap<(String, String), usize>,
) -> (Vec<Problem>, Vec<(String, usize)>) {
    let mut fresh = Vec::new();
    let mut repeats = Vec::new();
    for problem in problems {
        match seen.entry((problem.task_id.clone(), problem.prompt.clone())) {
            std::collections::hash_map::Entry::Occupied(e) => {
                repeats.push((problem.task_id, *e.get()));
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(version);
                fresh.push(problem);
            }
        }
    }
    (fresh, repeats)
}

/// Nominal and perturbed scores side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Problems some version changed.
    pub changed: usize,
    /// Tasks in all.
    pub tasks: usize,
    /// Perturbed versions of each prompt (ReCode's `s`).
    pub versions: usize,
    /// pass@k on the nominal problems.
    pub nominal: BTreeMap<usize, f64>,
    /// Robust Pass_s@k: a sample index counts as correct only if it is correct in every
    /// version (unchanged prompts count with their nominal results). With one version this
    /// is plain pass@k on the perturbed problems.
    pub perturbed: BTreeMap<usize, f64>,
    /// Robust Drop_s@k: `(nominal − perturbed) / nominal` (absent where nominal is 0).
    pub drop: BTreeMap<usize, f64>,
    /// Robust Relative_s@k: the share of changed outcomes in both directions.
    pub relative: BTreeMap<usize, f64>,
    /// Tasks whose outcome flipped in some version (some sample passed before and none
    /// after, or the reverse).
    pub flipped: usize,
}

/// Each task's samples, pass or fail, in sample order.
fn outcomes(results: &[SampleResult]) -> BTreeMap<&str, Vec<bool>> {
    let mut out: BTreeMap<&str, Vec<bool>> = BTreeMap::new();
    for r in results {
        out.entry(r.sample.task_id.as_str())
            .or_default()
            .push(r.verdict.passed());
    }
    out
}

/// Compares `nominal` results (every task) with those of each perturbed version
/// (`versions[j]`: the tasks version `j` changed; the others count with their nominal
/// results).
pub fn compare(
    nominal: &[SampleResult],
    versions: &[Vec<SampleResult>],
    ks: &[usize],
) -> Comparison {
    let before = outcomes(nominal);
    let after: Vec<BTreeMap<&str, Vec<bool>>> = versions.iter().map(|v| outcomes(v)).collect();
    let mut changed = 0;
    let mut flipped = 0;
    let mut worst = Vec::new();
    let mut lost = Vec::new();
    let mut gained = Vec::new();
    for (task, nominal) in &before {
        let mut versions: Vec<&Vec<bool>> = after.iter().filter_map(|v| v.get(task)).collect();
        if !versions.is_empty() {
            changed += 1;
        }
        if versions
            .iter()
            .any(|v| v.iter().any(|&p| p) != nominal.iter().any(|&p| p))
        {
            flipped += 1;
        }
        if versions.len() < after.len() {
            versions.push(nominal);
        }
        let n = versions
            .iter()
            .map(|v| v.len())
            .chain([nominal.len()])
            .min()
            .unwrap_or(0);
        let all = |i: usize| versions.iter().all(|v| v[i]);
        let any = |i: usize| versions.iter().any(|v| v[i]);
        let count = |f: &dyn Fn(usize) -> bool| (0..n).filter(|&i| f(i)).count();
        let task = task.to_string();
        worst.push((task.clone(), n, count(&all)));
        lost.push((task.clone(), n, count(&|i| nominal[i] && !all(i))));
        gained.push((task, n, count(&|i| !nominal[i] && any(i))));
    }
    let nominal = summarize(&task_counts(nominal), ks).pass_at;
    let perturbed = summarize(&worst, ks).pass_at;
    let lost = summarize(&lost, ks).pass_at;
    let gained = summarize(&gained, ks).pass_at;
    let drop = nominal
        .iter()
        .filter(|(_, &a)| a > 0.0)
        .filter_map(|(k, a)| Some((*k, (a - perturbed.get(k)?) / a)))
        .collect();
    let relative = lost
        .iter()
        .filter_map(|(k, a)| Some((*k, a + gained.get(k)?)))
        .collect();
    Comparison {
        changed,
        tasks: before.len(),
        versions: versions.len(),
        nominal,
        perturbed,
        drop,
        relative,
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
    fn partial_code_is_the_first_half_of_the_solution_cut_after_a_statement() {
        let problem = Problem {
            task_id: "t".into(),
            prompt: "def f(xs):\n    \"\"\"Sum.\"\"\"\n".into(),
            canonical_solution: "    total = 0\n    count = 0\n    for x in xs:\n        total += x\n        count += 1\n    return total\n".into(),
            test: "def check(f):\n    assert f([1]) == 1\n".into(),
            entry_point: "f".into(),
        };
        let short = Problem {
            canonical_solution: "    return sum(xs)\n".into(),
            ..problem.clone()
        };
        let (out, changed) = partial_code(&[problem.clone(), short.clone()]).unwrap();
        assert_eq!(changed, 1);
        // 6 lines, at most 3 of them: a loop's header without its body is no cut.
        assert_eq!(
            out[0].prompt,
            "def f(xs):\n    \"\"\"Sum.\"\"\"\n    total = 0\n    count = 0\n"
        );
        let nested = Problem {
            canonical_solution: "    total = 0\n    for x in xs:\n        total += x\n        total -= 0\n        total *= 1\n    return total\n".into(),
            ..problem.clone()
        };
        let (out_nested, _) = partial_code(std::slice::from_ref(&nested)).unwrap();
        assert_eq!(
            out_nested[0].prompt,
            "def f(xs):\n    \"\"\"Sum.\"\"\"\n    total = 0\n    for x in xs:\n        total += x\n",
            "the cut may fall inside the loop"
        );
        assert_eq!(
            format!("{}{}", out[0].prompt, out[0].canonical_solution),
            format!("{}{}", problem.prompt, problem.canonical_solution)
        );
        assert_eq!(
            out[1].prompt, short.prompt,
            "one statement: no partial code"
        );
        let rust = Problem {
            test: "#[test]\nfn t() {}".into(),
            ..problem
        };
        assert!(partial_code(&[rust]).is_err());
    }

    #[test]
    fn perturbed_results_replace_the_changed_tasks_only() {
        let nominal = [result("a", true), result("b", true), result("c", false)];
        let perturbed = [result("b", false)];
        let c = compare(&nominal, &[perturbed.to_vec()], &[1]);
        assert_eq!((c.changed, c.tasks, c.flipped, c.versions), (1, 3, 1, 1));
        assert!((c.nominal[&1] - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.perturbed[&1] - 1.0 / 3.0).abs() < 1e-12);
        assert!((c.drop[&1] - 0.5).abs() < 1e-12);
        assert!((c.relative[&1] - 1.0 / 3.0).abs() < 1e-12);
    }

    /// ReCode's worst case: sample `i` counts only if it passes in every version, matched
    /// by index; changes in both directions add up in Robust Relative.
    #[test]
    fn robust_pass_takes_the_worst_version_per_sample_index() {
        let nominal = [
            result("a", true),
            result("a", false),
            result("b", false),
            result("b", false),
        ];
        // Version 0: a's samples swap outcomes; b's sample 1 now passes.
        let v0 = vec![
            result("a", false),
            result("a", true),
            result("b", false),
            result("b", true),
        ];
        // Version 1: a both pass; b unchanged (nominal counts).
        let v1 = vec![result("a", true), result("a", true)];
        let c = compare(&nominal, &[v0, v1], &[1, 2]);
        assert_eq!((c.changed, c.tasks, c.versions, c.flipped), (2, 2, 2, 1));
        // Nominal: a 1/2, b 0/2 → pass@1 = 0.25, pass@2 = 0.5.
        assert!((c.nominal[&1] - 0.25).abs() < 1e-12);
        assert!((c.nominal[&2] - 0.5).abs() < 1e-12);
        // Worst case: a's index 1 passes in both versions (rc = 1; index 0 fails in v0);
        // b's index 1 passes in v0 but its nominal result, standing for the unchanged v1,
        // fails (rc = 0).
        assert!((c.perturbed[&1] - 0.25).abs() < 1e-12);
        // Lost: a index 0 (nominal pass, v0 fail) → 1/2 for a; gained: a index 1, b index 1.
        // Relative@1 = mean(0.5, 0) + mean(0.5, 0.5) = 0.25 + 0.5.
        assert!((c.relative[&1] - 0.75).abs() < 1e-12);
        assert!(c.drop[&1].abs() < 1e-12);
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
        let p = perturb(std::slice::from_ref(&problem), t, 0, 0, Naming::Natural).unwrap();
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
