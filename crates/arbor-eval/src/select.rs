//! Choosing which samples to submit, and n@k: the share of tasks solved when only `n` of `k`
//! samples may be submitted, chosen with nothing the user would not have (AlphaCode, Li et
//! al. 2022). pass@k is its upper bound (`n = k`, every sample submitted).
//!
//! Strategies:
//! - `random`: `n` samples drawn uniformly (n@k is then pass@n);
//! - `examples`: uniformly among the samples that satisfy every example of the prompt, then
//!   (when fewer than `n` do) among the others;
//! - `examples+cluster`: the survivors grouped by their outputs on the behaviour inputs
//!   ([`crate::probe`]), one per cluster, largest cluster first (ties in random order), round
//!   after round, then the others;
//! - `logprob`: the highest mean token log-probability first (recorded at generation);
//! - `examples+logprob`: the survivors by log-probability, then the others;
//! - `codet`: CodeT's dual agreement ([`crate::codet`]): samples grouped by the set of the
//!   model's own tests they pass, a group ranked by its size times the tests it passes, one per
//!   group, best first, round after round.
//!
//! Estimators, from `N ≥ k` samples per task of which `c` passed the real tests:
//! - `random` and `examples` have a closed form. With `S` survivors (`c_S` correct) and
//!   `F = N − S` others (`c_F` correct), a uniform `k`-subset holds `s` survivors with
//!   probability `C(S, s) C(F, k−s) / C(N, k)`; then `m = min(n, s)` survivors and
//!   `f = min(n − m, k − s)` others are chosen uniformly, and the task is unsolved with
//!   probability `q(S, c_S, m) · q(F, c_F, f)`, `q(M, c, m) = C(M−c, m) / C(M, m)`. So
//!   `n@k = Σ_s P(s) · (1 − q(S, c_S, m) q(F, c_F, f))`, exact and unbiased; with `S = 0` it
//!   is Chen et al.'s pass@n.
//! - the ranked strategies are estimated as AlphaCode does: the mean over
//!   [`BOOTSTRAP_ROUNDS`] `k`-subsets drawn without replacement (ties broken at random),
//!   seeded, so the figures repeat exactly.

use std::collections::{BTreeMap, HashMap};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `k`-subsets drawn per task and `k` for the ranked strategies.
pub const BOOTSTRAP_ROUNDS: usize = 400;

/// A way of choosing samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strategy {
    /// Uniformly at random.
    Random,
    /// Among the samples that satisfy every example.
    Examples,
    /// One per behaviour cluster of the survivors, largest first.
    ExamplesCluster,
    /// By mean token log-probability.
    Logprob,
    /// The survivors by mean token log-probability.
    ExamplesLogprob,
    /// By dual agreement with the model's own tests (CodeT).
    Codet,
}

impl Strategy {
    /// A strategy named on the command line: `all` is `None`; an unknown name is an error that
    /// lists the names.
    pub fn parse_or_all(name: &str) -> Result<Option<Strategy>, String> {
        if name == "all" {
            return Ok(None);
        }
        Strategy::parse(name).map(Some).ok_or_else(|| {
            let names: Vec<&str> = Strategy::ALL.iter().map(|s| s.name()).collect();
            format!("unknown strategy; one of: all, {}", names.join(", "))
        })
    }

    /// The strategies named ([`Strategy::parse_or_all`]): `all` is every one; none named,
    /// every one but `codet` (which draws tests from the model).
    pub fn chosen(named: &[Option<Strategy>]) -> Vec<Strategy> {
        if named.contains(&None) {
            return Strategy::ALL.to_vec();
        }
        if named.is_empty() {
            return Strategy::ALL
                .into_iter()
                .filter(|s| !s.needs_tests())
                .collect();
        }
        let mut list: Vec<Strategy> = named.iter().flatten().copied().collect();
        list.dedup();
        list
    }

    /// Every strategy, in the order tables show them.
    pub const ALL: [Strategy; 6] = [
        Strategy::Random,
        Strategy::Examples,
        Strategy::ExamplesCluster,
        Strategy::Logprob,
        Strategy::ExamplesLogprob,
        Strategy::Codet,
    ];

    /// The name on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Random => "random",
            Strategy::Examples => "examples",
            Strategy::ExamplesCluster => "examples+cluster",
            Strategy::Logprob => "logprob",
            Strategy::ExamplesLogprob => "examples+logprob",
            Strategy::Codet => "codet",
        }
    }

    /// The strategy called `name`.
    pub fn parse(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Whether the strategy needs the behaviour digests.
    pub fn needs_behaviour(self) -> bool {
        self == Strategy::ExamplesCluster
    }

    /// Whether the strategy needs the model's own tests.
    pub fn needs_tests(self) -> bool {
        self == Strategy::Codet
    }

    /// Whether the strategy needs each sample's log-probability.
    pub fn needs_logprob(self) -> bool {
        matches!(self, Strategy::Logprob | Strategy::ExamplesLogprob)
    }
}

/// What selection knows of one sample, and whether it was right.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Whether it passed the real tests (known to the evaluation, never to the strategy).
    pub correct: bool,
    /// Whether it satisfied every example of the prompt.
    pub survived: bool,
    /// Its behaviour digest (`None`: not probed, a cluster of its own).
    pub behaviour: Option<u64>,
    /// Its mean token log-probability.
    pub logprob: Option<f64>,
    /// For CodeT: a digest of the set of the model's tests it passes, and how many.
    pub tests: Option<(u64, usize)>,
}

/// `ln C(n, k)`.
fn ln_choose(n: usize, k: usize) -> f64 {
    if k > n {
        return f64::NEG_INFINITY;
    }
    let k = k.min(n - k);
    (0..k).map(|i| ((n - i) as f64 / (i + 1) as f64).ln()).sum()
}

/// The probability that `m` of `total` items drawn uniformly miss all `correct` ones.
fn miss(total: usize, correct: usize, m: usize) -> f64 {
    if m == 0 {
        return 1.0;
    }
    if total - correct < m {
        return 0.0;
    }
    (ln_choose(total - correct, m) - ln_choose(total, m)).exp()
}

/// The closed-form n@k of `examples` (and of `random`, with no survivors): see the module
/// documentation. `None` when `k` exceeds the samples or `n` is 0.
pub fn n_at_k_filtered(
    survivors: usize,
    survivors_correct: usize,
    others: usize,
    others_correct: usize,
    n: usize,
    k: usize,
) -> Option<f64> {
    let total = survivors + others;
    if n == 0 || k == 0 || k > total {
        return None;
    }
    let ln_all = ln_choose(total, k);
    let mut solved = 0.0;
    for s in k.saturating_sub(others)..=k.min(survivors) {
        let p = (ln_choose(survivors, s) + ln_choose(others, k - s) - ln_all).exp();
        let m = n.min(s);
        let f = (n - m).min(k - s);
        solved +=
            p * (1.0 - miss(survivors, survivors_correct, m) * miss(others, others_correct, f));
    }
    Some(solved.clamp(0.0, 1.0))
}

/// The order in which `strategy` would submit the candidates `subset` (indexes into
/// `candidates`); randomness from `rng`.
pub fn choose(
    strategy: Strategy,
    candidates: &[Candidate],
    subset: &[usize],
    rng: &mut impl Rng,
) -> Vec<usize> {
    let mut shuffled = subset.to_vec();
    shuffled.shuffle(rng);
    let (survivors, others): (Vec<usize>, Vec<usize>) = match strategy {
        Strategy::Random | Strategy::Logprob | Strategy::Codet => (shuffled, Vec::new()),
        _ => shuffled.into_iter().partition(|&i| candidates[i].survived),
    };
    let by_logprob = |mut items: Vec<usize>| {
        // Stable on a shuffled order: ties in random order.
        items.sort_by(|&a, &b| {
            let score = |i: usize| candidates[i].logprob.unwrap_or(f64::NEG_INFINITY);
            score(b).total_cmp(&score(a))
        });
        items
    };
    let mut order = match strategy {
        Strategy::Random | Strategy::Examples => survivors,
        Strategy::Logprob | Strategy::ExamplesLogprob => by_logprob(survivors),
        Strategy::ExamplesCluster => round_robin(candidates, survivors),
        Strategy::Codet => dual_agreement(candidates, survivors),
    };
    order.extend(match strategy {
        Strategy::ExamplesLogprob => by_logprob(others),
        _ => others,
    });
    order
}

/// The survivors (in random order) grouped by behaviour, clusters by size (largest first,
/// ties in the order met), one from each per round.
fn round_robin(candidates: &[Candidate], survivors: Vec<usize>) -> Vec<usize> {
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    let mut index: HashMap<u64, usize> = HashMap::new();
    for i in survivors {
        match candidates[i].behaviour {
            Some(digest) => {
                let at = *index.entry(digest).or_insert_with(|| {
                    clusters.push(Vec::new());
                    clusters.len() - 1
                });
                clusters[at].push(i);
            }
            None => clusters.push(vec![i]),
        }
    }
    clusters.sort_by_key(|c| std::cmp::Reverse(c.len()));
    let rounds = clusters.first().map_or(0, Vec::len);
    (0..rounds)
        .flat_map(|round| clusters.iter().filter_map(move |c| c.get(round).copied()))
        .collect()
}

/// CodeT's order: the candidates (in random order) grouped by the set of tests they pass,
/// groups by size × tests passed (best first, ties in the order met), one from each per round.
fn dual_agreement(candidates: &[Candidate], items: Vec<usize>) -> Vec<usize> {
    let mut groups: Vec<(Option<u64>, usize, Vec<usize>)> = Vec::new();
    for i in items {
        let (digest, passed) = match candidates[i].tests {
            Some((digest, passed)) => (Some(digest), passed),
            None => (None, 0),
        };
        match groups
            .iter_mut()
            .find(|(d, ..)| d.is_some() && *d == digest)
        {
            Some((.., members)) => members.push(i),
            None => groups.push((digest, passed, vec![i])),
        }
    }
    groups.sort_by_key(|(_, passed, members)| std::cmp::Reverse(members.len() * passed));
    let rounds = groups.iter().map(|(.., m)| m.len()).max().unwrap_or(0);
    (0..rounds)
        .flat_map(|round| {
            groups
                .iter()
                .filter_map(move |(.., m)| m.get(round).copied())
        })
        .collect()
}

/// n@k of one task's `candidates` under `strategy` for each `n` of `ns` (`None` where `k`
/// exceeds the samples or `n` exceeds `k`); `seed` makes the ranked estimates repeat.
pub fn task_n_at_k(
    strategy: Strategy,
    candidates: &[Candidate],
    ns: &[usize],
    k: usize,
    seed: u64,
) -> Vec<Option<f64>> {
    let total = candidates.len();
    if k == 0 || k > total {
        return vec![None; ns.len()];
    }
    match strategy {
        Strategy::Random | Strategy::Examples => {
            let filtered = strategy == Strategy::Examples;
            let count = |survived: bool, correct: bool| {
                candidates
                    .iter()
                    .filter(|c| (c.survived && filtered) == survived && (!correct || c.correct))
                    .count()
            };
            ns.iter()
                .map(|&n| {
                    (n <= k).then(|| {
                        n_at_k_filtered(
                            count(true, false),
                            count(true, true),
                            count(false, false),
                            count(false, true),
                            n,
                            k,
                        )
                        .unwrap_or(0.0)
                    })
                })
                .collect()
        }
        _ => {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let all: Vec<usize> = (0..total).collect();
            let mut solved = vec![0usize; ns.len()];
            for _ in 0..BOOTSTRAP_ROUNDS {
                let subset: Vec<usize> = if k == total {
                    all.clone()
                } else {
                    rand::seq::index::sample(&mut rng, total, k).into_vec()
                };
                let order = choose(strategy, candidates, &subset, &mut rng);
                for (slot, &n) in solved.iter_mut().zip(ns) {
                    if order.iter().take(n).any(|&i| candidates[i].correct) {
                        *slot += 1;
                    }
                }
            }
            ns.iter()
                .zip(solved)
                .map(|(&n, s)| (n <= k).then(|| s as f64 / BOOTSTRAP_ROUNDS as f64))
                .collect()
        }
    }
}

/// One strategy's row of a [`SelectionTable`].
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyRow {
    /// The strategy.
    pub strategy: Strategy,
    /// `n` → n@k for each k of the table (`None`: undefined, `n > k`, or no task has `k`
    /// samples).
    pub n_at_k: BTreeMap<usize, Vec<Option<f64>>>,
}

/// n@k for several strategies over the tasks of a run, with pass@k beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectionTable {
    /// The fewest samples any task has.
    pub samples_per_task: usize,
    /// Tasks.
    pub tasks: usize,
    /// The k of the columns.
    pub ks: Vec<usize>,
    /// pass@k for each k (the bound: every sample submitted).
    pub pass_at_k: Vec<Option<f64>>,
    /// One row per strategy.
    pub rows: Vec<StrategyRow>,
}

/// The k of n@k tables: 1, 2, 5, 10, 20, 50, 100, … up to `samples`, and `samples` itself.
pub fn default_ks(samples: usize) -> Vec<usize> {
    let mut ks: Vec<usize> = [1, 2, 5]
        .iter()
        .flat_map(|&b| (0..6).map(move |e| b * 10usize.pow(e)))
        .filter(|&k| k <= samples)
        .collect();
    ks.push(samples);
    ks.sort_unstable();
    ks.dedup();
    ks.retain(|&k| k > 0);
    ks
}

/// The mean over tasks of `per_task`, leaving out tasks where it is undefined.
fn mean(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let (sum, count) = values
        .flatten()
        .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    (count > 0).then(|| sum / count as f64)
}

/// n@k for `strategies` and each `n` of `ns` over `tasks` (each a task's candidates), at each
/// k of `ks`; task `t` is estimated with seed `seed + t`.
pub fn selection_table(
    tasks: &[Vec<Candidate>],
    strategies: &[Strategy],
    ns: &[usize],
    ks: &[usize],
    seed: u64,
) -> SelectionTable {
    let pass_at_k = ks
        .iter()
        .map(|&k| {
            mean(tasks.iter().map(|t| {
                let c = t.iter().filter(|c| c.correct).count();
                crate::passk::pass_at_k(t.len(), c, k)
            }))
        })
        .collect();
    let rows = strategies
        .iter()
        .map(|&strategy| {
            let per_k: Vec<Vec<Vec<Option<f64>>>> = ks
                .iter()
                .map(|&k| {
                    tasks
                        .iter()
                        .enumerate()
                        .map(|(t, c)| task_n_at_k(strategy, c, ns, k, seed.wrapping_add(t as u64)))
                        .collect()
                })
                .collect();
            let n_at_k = ns
                .iter()
                .enumerate()
                .map(|(j, &n)| {
                    let values = per_k
                        .iter()
                        .map(|per_task| mean(per_task.iter().map(|v| v[j])))
                        .collect();
                    (n, values)
                })
                .collect();
            StrategyRow { strategy, n_at_k }
        })
        .collect();
    SelectionTable {
        samples_per_task: tasks.iter().map(Vec::len).min().unwrap_or(0),
        tasks: tasks.len(),
        ks: ks.to_vec(),
        pass_at_k,
        rows,
    }
}

impl SelectionTable {
    /// The table as `selection.json` holds it.
    pub fn to_json(&self) -> serde_json::Value {
        let strategies: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|row| {
                let n_at_k: serde_json::Map<String, serde_json::Value> = row
                    .n_at_k
                    .iter()
                    .map(|(n, values)| (n.to_string(), serde_json::json!(values)))
                    .collect();
                serde_json::json!({"name": row.strategy.name(), "n_at_k": n_at_k})
            })
            .collect();
        serde_json::json!({
            "samples_per_task": self.samples_per_task,
            "tasks": self.tasks,
            "ks": self.ks,
            "pass_at_k": self.pass_at_k,
            "strategies": strategies,
        })
    }

    /// The table as text: one row per strategy and `n`, one column per k.
    pub fn write_text(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let cell = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
        write!(out, "{:<24}", "")?;
        for k in &self.ks {
            write!(out, " {:>8}", format!("k={k}"))?;
        }
        writeln!(out)?;
        write!(out, "{:<24}", "pass@k (all submitted)")?;
        for v in &self.pass_at_k {
            write!(out, " {:>8}", cell(*v))?;
        }
        writeln!(out)?;
        for row in &self.rows {
            // A row undefined at every k (n above the samples) says nothing.
            let defined = row
                .n_at_k
                .iter()
                .filter(|(_, v)| v.iter().any(Option::is_some));
            for (n, values) in defined {
                write!(out, "{:<24}", format!("{n}@k {}", row.strategy.name()))?;
                for v in values {
                    write!(out, " {:>8}", cell(*v))?;
                }
                writeln!(out)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(correct: bool, survived: bool) -> Candidate {
        Candidate {
            correct,
            survived,
            behaviour: None,
            logprob: None,
            tests: None,
        }
    }

    #[test]
    fn random_selection_is_pass_at_n() {
        for (total, correct) in [(10, 3), (20, 1), (5, 5), (7, 0)] {
            for n in 1..=total {
                for k in n..=total {
                    let got = n_at_k_filtered(0, 0, total, correct, n, k).unwrap();
                    let want = crate::passk::pass_at_k(total, correct, n).unwrap();
                    assert!((got - want).abs() < 1e-12, "{total} {correct} {n} {k}");
                }
            }
        }
    }

    #[test]
    fn the_filtered_estimator_matches_hand_computed_values() {
        // 4 samples: 2 survivors (1 correct), 2 others (1 correct). 1@4: one survivor
        // uniformly, 1/2.
        assert_eq!(n_at_k_filtered(2, 1, 2, 1, 1, 4), Some(0.5));
        // 1@2: subsets of 2 from 4 (6): {S,S} 1 subset → 1/2; {S,F} 4 subsets → survivor
        // chosen, 1/2; {F,F} 1 subset → one of the two others, 1/2. All 1/2.
        assert!((n_at_k_filtered(2, 1, 2, 1, 1, 2).unwrap() - 0.5).abs() < 1e-12);
        // 2 survivors both wrong, 2 others one right; 2@2: {S,S} 0; {S,F} (4): the survivor
        // and the other: the other is right in 2 of them; {F,F}: 1. (0 + 2 + 1)/6 = 1/2.
        assert!((n_at_k_filtered(2, 0, 2, 1, 2, 2).unwrap() - 0.5).abs() < 1e-12);
        // 1 survivor (right) of 10: any k-subset holding it solves; P = k/10.
        for k in 1..=10 {
            let got = n_at_k_filtered(1, 1, 9, 0, 1, k).unwrap();
            assert!((got - k as f64 / 10.0).abs() < 1e-12, "k={k}: {got}");
        }
        assert_eq!(n_at_k_filtered(1, 1, 1, 0, 1, 3), None);
        assert_eq!(n_at_k_filtered(1, 1, 1, 0, 0, 1), None);
    }

    #[test]
    fn the_bootstrap_agrees_with_the_closed_form() {
        // 20 samples, 6 survivors of which 2 right, 3 right among the others.
        let mut tasks = Vec::new();
        for i in 0..20 {
            let survived = i < 6;
            let correct = if survived { i < 2 } else { i < 9 };
            tasks.push(candidate(correct, survived));
        }
        for k in [1, 5, 20] {
            let exact = task_n_at_k(Strategy::Examples, &tasks, &[1, 10], k, 0);
            // examples+logprob with no log-probabilities is examples with random ties.
            let boot = task_n_at_k(Strategy::ExamplesLogprob, &tasks, &[1, 10], k, 0);
            for (e, b) in exact.iter().zip(&boot) {
                match (e, b) {
                    (Some(e), Some(b)) => assert!((e - b).abs() < 0.08, "k={k}: {e} vs {b}"),
                    (None, None) => {}
                    other => panic!("k={k}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn clusters_are_visited_largest_first_one_per_round() {
        let c = |behaviour, correct| Candidate {
            correct,
            survived: true,
            behaviour: Some(behaviour),
            logprob: None,
            tests: None,
        };
        // Cluster 7 (three samples, wrong), cluster 8 (two, right), cluster 9 (one, wrong),
        // and an other.
        let mut candidates = vec![
            c(7, false),
            c(8, true),
            c(7, false),
            c(9, false),
            c(8, true),
            c(7, false),
        ];
        candidates.push(candidate(true, false));
        let all: Vec<usize> = (0..candidates.len()).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let order = choose(Strategy::ExamplesCluster, &candidates, &all, &mut rng);
        let clusters: Vec<Option<u64>> = order
            .iter()
            .map(|&i| {
                candidates[i]
                    .survived
                    .then(|| candidates[i].behaviour.unwrap())
            })
            .collect();
        assert_eq!(
            clusters,
            [Some(7), Some(8), Some(9), Some(7), Some(8), Some(7), None]
        );
        // 1@7 is 0 (the largest cluster is wrong), 2@7 is 1.
        let got = task_n_at_k(Strategy::ExamplesCluster, &candidates, &[1, 2], 7, 3);
        assert_eq!(got, vec![Some(0.0), Some(1.0)]);
        // Plain examples: 2 right of 6 survivors.
        let got = task_n_at_k(Strategy::Examples, &candidates, &[1], 7, 3);
        assert!((got[0].unwrap() - 2.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn logprob_takes_the_most_likely_and_repeats_under_its_seed() {
        let candidates: Vec<Candidate> = [(-0.2, false), (-0.1, true), (-0.9, false)]
            .into_iter()
            .map(|(lp, correct)| Candidate {
                correct,
                survived: false,
                behaviour: None,
                logprob: Some(lp),
                tests: None,
            })
            .collect();
        assert_eq!(
            task_n_at_k(Strategy::Logprob, &candidates, &[1], 3, 5),
            vec![Some(1.0)]
        );
        // k = 2: the right one is in 2 of 3 subsets and then always chosen: about 2/3.
        let a = task_n_at_k(Strategy::Logprob, &candidates, &[1], 2, 5);
        assert_eq!(a, task_n_at_k(Strategy::Logprob, &candidates, &[1], 2, 5));
        assert!((a[0].unwrap() - 2.0 / 3.0).abs() < 0.08, "{a:?}");
    }

    #[test]
    fn tables_average_over_tasks_and_name_every_k() {
        assert_eq!(default_ks(20), vec![1, 2, 5, 10, 20]);
        assert_eq!(default_ks(7), vec![1, 2, 5, 7]);
        assert_eq!(default_ks(1), vec![1]);
        let tasks = vec![
            vec![candidate(true, true), candidate(false, false)],
            vec![candidate(false, true), candidate(false, false)],
        ];
        let table = selection_table(&tasks, &[Strategy::Examples], &[1], &[1, 2], 0);
        assert_eq!(table.pass_at_k, vec![Some(0.25), Some(0.5)]);
        // Task 1: 1@1 = 1/2, 1@2 = 1 (the survivor is the right one); task 2: 0.
        assert_eq!(table.rows[0].n_at_k[&1], vec![Some(0.25), Some(0.5)]);
        let json = table.to_json();
        assert_eq!(json["strategies"][0]["name"], "examples");
        assert_eq!(json["strategies"][0]["n_at_k"]["1"][1], 0.5);
        let mut text = Vec::new();
        table.write_text(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("1@k examples"), "{text}");
    }

    #[test]
    fn codet_ranks_groups_by_size_times_tests_passed() {
        let c = |digest, passed, correct| Candidate {
            correct,
            survived: false,
            behaviour: None,
            logprob: None,
            tests: Some((digest, passed)),
        };
        // Three wrong samples agree on passing 1 test (score 3); two right ones agree on 3
        // tests (score 6); one passes 4 alone (score 4).
        let candidates = vec![
            c(1, 1, false),
            c(2, 3, true),
            c(1, 1, false),
            c(3, 4, false),
            c(2, 3, true),
            c(1, 1, false),
        ];
        assert_eq!(
            task_n_at_k(Strategy::Codet, &candidates, &[1, 2], 6, 0),
            vec![Some(1.0), Some(1.0)]
        );
        let all: Vec<usize> = (0..6).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let order = choose(Strategy::Codet, &candidates, &all, &mut rng);
        let digests: Vec<u64> = order
            .iter()
            .map(|&i| candidates[i].tests.unwrap().0)
            .collect();
        assert_eq!(digests, [2, 3, 1, 2, 1, 1]);
    }
}
