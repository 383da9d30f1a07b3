//! Baselines: the findings a project accepts for now, so only new ones are reported. Findings
//! match by rule, path and fingerprint (not line numbers), each baseline entry at most once.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::LintError;
use crate::rule::Finding;

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Rule id.
    pub rule: String,
    /// Path as reported.
    pub path: String,
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// Line when the baseline was written (informative only).
    pub line: usize,
    /// Message when the baseline was written (informative only).
    pub message: String,
}

/// A baseline file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version (1).
    pub version: u32,
    /// The accepted findings.
    pub findings: Vec<Entry>,
}

impl Baseline {
    /// The baseline of `findings`.
    pub fn of(findings: &[Finding]) -> Baseline {
        Baseline {
            version: 1,
            findings: findings
                .iter()
                .map(|f| Entry {
                    rule: f.rule.clone(),
                    path: f.path.clone(),
                    fingerprint: f.fingerprint.clone(),
                    line: f.location.line,
                    message: f.message.clone(),
                })
                .collect(),
        }
    }

    /// Reads a baseline file.
    pub fn read(path: &Path) -> Result<Baseline, LintError> {
        let text = crate::config::read_regular(path).map_err(|source| LintError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let baseline: Baseline = serde_json::from_str(&text).map_err(|e| LintError::Config {
            path: path.to_path_buf(),
            message: format!("not a baseline file: {e}"),
        })?;
        if baseline.version != 1 {
            return Err(LintError::Config {
                path: path.to_path_buf(),
                message: format!(
                    "baseline version {} is not supported (expected 1)",
                    baseline.version
                ),
            });
        }
        Ok(baseline)
    }

    /// Writes the baseline as JSON.
    pub fn write(&self, path: &Path) -> Result<(), LintError> {
        let json = serde_json::to_string_pretty(self).expect("a baseline serializes");
        std::fs::write(path, json + "\n").map_err(|source| LintError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Drops the findings the baseline accepts; returns how many were dropped.
    pub fn filter(&self, findings: &mut Vec<Finding>) -> usize {
        let mut budget: HashMap<(String, String, String), usize> = HashMap::new();
        for e in &self.findings {
            *budget
                .entry((e.rule.clone(), e.path.clone(), e.fingerprint.clone()))
                .or_default() += 1;
        }
        let before = findings.len();
        findings.retain(|f| {
            match budget.get_mut(&(f.rule.clone(), f.path.clone(), f.fingerprint.clone())) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            }
        });
        before - findings.len()
    }
}
