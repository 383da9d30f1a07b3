//! The workspace: its root folder and the linter its configuration (`arbor.toml`, or
//! `pyproject.toml`'s `[tool.arbor]`) makes, reloaded when the configuration changes. A
//! configuration that does not load leaves the built-in defaults in force and becomes a
//! diagnostic on the configuration file.

use std::path::{Path, PathBuf};

use arbor_lint::{Config, LintError, Linter};

/// A configuration that did not load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The configuration file.
    pub path: PathBuf,
    /// Its 0-based line, when the message names one.
    pub line: u32,
    /// What is wrong.
    pub message: String,
}

/// A workspace folder and its linter.
pub struct Workspace {
    /// The folder (canonical when it exists).
    pub root: PathBuf,
    /// The linter of its configuration (the defaults when it did not load).
    pub linter: Linter,
    /// Why the configuration did not load.
    pub problem: Option<ConfigProblem>,
    /// Where its rules' documentation pages are, when they could be written.
    pub docs: Option<PathBuf>,
}

/// Whether `path` is a file Arbor reads its configuration from.
pub fn is_config_file(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == "arbor.toml" || n == "pyproject.toml")
}

/// The first `line N` in `message`, 0-based.
fn line_in(message: &str) -> u32 {
    message
        .split("line ")
        .skip(1)
        .find_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        })
        .map_or(0, |n| n.saturating_sub(1))
}

impl Workspace {
    /// Loads the configuration of `root` (as `arbor lint` finds it for a file there). Only
    /// the built-in rules themselves failing to load is an error.
    pub fn load(root: &Path) -> Result<Workspace, LintError> {
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let (config, problem) = match Config::discover(&root) {
            Ok(config) => (config, None),
            Err(error) => (Config::default(), Some(problem_of(&root, error))),
        };
        let (linter, problem) = match Linter::new(config) {
            Ok(linter) => (linter, problem),
            Err(error) => (
                Linter::new(Config::default())?,
                Some(problem_of(&root, error)),
            ),
        };
        Ok(Workspace {
            docs: crate::docs::write(&linter),
            root,
            linter,
            problem,
        })
    }

    /// `path` relative to the root, `/`-separated (as `arbor lint` names files), or as it is
    /// when it is outside.
    pub fn relative(&self, path: &Path) -> String {
        arbor_lint::slash_path(path.strip_prefix(&self.root).unwrap_or(path))
    }
}

fn problem_of(root: &Path, error: LintError) -> ConfigProblem {
    let message = error.to_string();
    let path = match &error {
        LintError::Config { path, .. } | LintError::Io { path, .. } => path.clone(),
        _ => {
            let arbor = root.join("arbor.toml");
            if arbor.is_file() {
                arbor
            } else {
                root.join("pyproject.toml")
            }
        }
    };
    ConfigProblem {
        line: line_in(&message),
        path,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_configuration_leaves_the_defaults_and_says_where() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("arbor.toml"),
            "select = [\"py\"]\nignore = 3\n",
        )
        .unwrap();
        let ws = Workspace::load(dir.path()).unwrap();
        let problem = ws.problem.expect("a problem");
        assert!(problem.path.ends_with("arbor.toml"));
        assert_eq!(problem.line, 1, "{}", problem.message);
        std::fs::write(dir.path().join("arbor.toml"), "select = [\"py\"]\n").unwrap();
        assert!(Workspace::load(dir.path()).unwrap().problem.is_none());
    }
}
