//! The unbiased pass@k estimator of Chen et al. (2021).

use std::collections::BTreeMap;

/// pass@k of one task with `n` samples of which `c` passed: `1 - C(n-c, k) / C(n, k)`,
/// computed as `1 - Π_{i=n-c+1..=n} (1 - k/i)`. `None` when `n < k`.
pub fn pass_at_k(n: usize, c: usize, k: usize) -> Option<f64> {
    if k == 0 || n < k || c > n {
        return None;
    }
    if n - c < k {
        return Some(1.0);
    }
    let product: f64 = (n - c + 1..=n).map(|i| 1.0 - k as f64 / i as f64).product();
    Some(1.0 - product)
}

/// pass@k over tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// k → the mean over the tasks with at least k samples.
    pub pass_at: BTreeMap<usize, f64>,
    /// k → the tasks left out of that mean for having fewer than k samples.
    pub short: BTreeMap<usize, Vec<String>>,
    /// Tasks scored.
    pub tasks: usize,
    /// Samples scored.
    pub samples: usize,
    /// Samples that passed.
    pub passed: usize,
}

/// pass@k for each `k` from per-task `(task_id, n, c)` counts.
pub fn summarize(counts: &[(String, usize, usize)], ks: &[usize]) -> Summary {
    let mut summary = Summary {
        pass_at: BTreeMap::new(),
        short: BTreeMap::new(),
        tasks: counts.len(),
        samples: counts.iter().map(|(_, n, _)| n).sum(),
        passed: counts.iter().map(|(_, _, c)| c).sum(),
    };
    for &k in ks {
        let mut values = Vec::new();
        let mut short = Vec::new();
        for (task, n, c) in counts {
            match pass_at_k(*n, *c, k) {
                Some(v) => values.push(v),
                None => short.push(task.clone()),
            }
        }
        if !values.is_empty() {
            summary
                .pass_at
                .insert(k, values.iter().sum::<f64>() / values.len() as f64);
        }
        if !short.is_empty() {
            summary.short.insert(k, short);
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    #[test]
    fn hand_computed_values() {
        // n = 5, c = 2: 1 - C(3,k)/C(5,k).
        assert!(close(pass_at_k(5, 2, 1), 0.4));
        assert!(close(pass_at_k(5, 2, 2), 1.0 - 3.0 / 10.0));
        assert!(close(pass_at_k(5, 2, 3), 1.0 - 1.0 / 10.0));
        assert!(close(pass_at_k(5, 2, 4), 1.0));
        assert!(close(pass_at_k(5, 2, 5), 1.0));
        assert!(close(pass_at_k(5, 0, 3), 0.0));
        assert!(close(pass_at_k(5, 5, 1), 1.0));
        assert_eq!(pass_at_k(3, 1, 5), None);
        // Large n stays finite: 1 - C(180,100)/C(200,100).
        let v = pass_at_k(200, 20, 100).unwrap();
        assert!(v > 0.999_999 && v <= 1.0);
    }

    #[test]
    fn summaries_flag_short_tasks() {
        let counts = vec![
            ("a".to_string(), 5, 2),
            ("b".to_string(), 5, 0),
            ("c".to_string(), 1, 1),
        ];
        let s = summarize(&counts, &[1, 2]);
        assert!((s.pass_at[&1] - (0.4 + 0.0 + 1.0) / 3.0).abs() < 1e-12);
        assert!((s.pass_at[&2] - (0.7 + 0.0) / 2.0).abs() < 1e-12);
        assert_eq!(s.short[&2], ["c"]);
        assert!(!s.short.contains_key(&1));
        assert_eq!((s.tasks, s.samples, s.passed), (3, 11, 3));
    }
}
