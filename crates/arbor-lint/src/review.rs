//! Review mode: lint, then report only what a reviewer has not seen — findings not accepted in a
//! baseline file, and (with a git revision) only those on lines changed since it. One call for
//! the command line and any other front end.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::baseline::Baseline;
use crate::diff::ChangedLines;
use crate::error::LintError;
use crate::linter::Linter;
use crate::rule::Finding;
use crate::{LintOptions, LintReport};

/// Which findings a review hides: those in a baseline, those on unchanged lines.
#[derive(Debug, Default)]
pub struct Review {
    baseline: Option<Baseline>,
    /// The lines changed since the revision, and the directory findings' paths are relative to.
    changed: Option<(ChangedLines, PathBuf)>,
}

/// How many findings a review hid, per reason (`None`: that filter was not asked for).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hidden {
    /// Findings accepted by the baseline.
    pub in_baseline: Option<usize>,
    /// Findings on lines not changed since the revision.
    pub unchanged: Option<usize>,
}

impl fmt::Display for Hidden {
    /// `; 3 in the baseline; 2 on unchanged lines`, for a summary line (empty when nothing was
    /// filtered).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = self.in_baseline {
            write!(f, "; {n} in the baseline")?;
        }
        if let Some(n) = self.unchanged {
            write!(f, "; {n} on unchanged lines")?;
        }
        Ok(())
    }
}

impl Review {
    /// A review against the baseline file `baseline` and the changes since git revision `diff`
    /// (in the repository holding `dir`, which findings' paths are relative to). Both are read
    /// here, so a bad one fails before any linting.
    pub fn new(
        baseline: Option<&Path>,
        diff: Option<&str>,
        dir: &Path,
    ) -> Result<Review, LintError> {
        let baseline = baseline.map(Baseline::read).transpose()?;
        let changed = diff
            .map(|rev| Ok::<_, LintError>((ChangedLines::since(dir, rev)?, dir.to_path_buf())))
            .transpose()?;
        Ok(Review { baseline, changed })
    }

    /// Drops from `findings` what the review hides; returns how many, per reason.
    pub fn filter(&self, findings: &mut Vec<Finding>) -> Hidden {
        let in_baseline = self.baseline.as_ref().map(|b| b.filter(findings));
        let unchanged = self.changed.as_ref().map(|(changed, dir)| {
            let before = findings.len();
            findings.retain(|f| changed.contains(dir, f));
            before - findings.len()
        });
        Hidden {
            in_baseline,
            unchanged,
        }
    }
}

impl Linter {
    /// Lints `paths` (as [`Linter::lint_paths`]) and keeps the findings `review` does not hide;
    /// the report's `hidden` says how many it hid.
    pub fn review(
        &self,
        paths: &[PathBuf],
        options: &LintOptions,
        review: &Review,
    ) -> Result<LintReport, LintError> {
        let mut report = self.lint_paths(paths, options)?;
        report.hidden = review.filter(&mut report.findings);
        Ok(report)
    }
}
