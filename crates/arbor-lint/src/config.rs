//! Configuration: `arbor.toml`, or `[tool.arbor]` in `pyproject.toml`, found by walking up from
//! the linted path. Unknown keys and unknown rule ids are errors.

use std::path::{Path, PathBuf};

use arbor_syntax::Language;
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::error::LintError;
use crate::rule::Severity;

/// Limits of the metric rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Thresholds {
    /// `all/function-too-long`: lines per function.
    pub max_function_lines: usize,
    /// `all/complexity`: cyclomatic complexity per function.
    pub max_complexity: usize,
    /// `all/nesting-too-deep`: nested blocks per function.
    pub max_nesting: usize,
    /// `all/complexity`: how complexity is counted (`arbor`, or `mccabe` for Python as flake8's
    /// C901 counts it).
    pub complexity_counting: ComplexityCounting,
}

/// How `all/complexity` counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ComplexityCounting {
    /// Arbor's definition: one plus each branch (`if`, `elif`, loop, `except`, `case`,
    /// conditional expression, boolean operator, comprehension `for`/`if`) of the function
    /// itself, every language.
    #[default]
    Arbor,
    /// Python: the `mccabe` package's count (flake8's C901), so flake8 thresholds carry over;
    /// other languages keep Arbor's definition.
    Mccabe,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            max_function_lines: 80,
            max_complexity: 10,
            max_nesting: 4,
            complexity_counting: ComplexityCounting::Arbor,
        }
    }
}

/// Settings for paths matching globs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Override {
    /// Globs of the paths this applies to (relative to the configuration file).
    pub paths: Vec<String>,
    /// More rules to run (ids or prefixes).
    #[serde(default)]
    pub select: Vec<String>,
    /// Rules not to run (ids or prefixes).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Thresholds for these paths.
    #[serde(default)]
    pub thresholds: Option<Thresholds>,
}

/// A rule written in the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct UserRule {
    /// Its id (`custom/no-print`).
    pub id: String,
    /// The language of the query.
    pub language: String,
    /// A tree-sitter query with a `@finding` capture.
    pub query: String,
    /// The message of its findings.
    pub message: String,
    /// Its severity (default warning).
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Why it matters.
    #[serde(default)]
    pub rationale: String,
}

/// The configuration as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Rules to run: ids or prefixes (`py`, `js/eqeqeq`); all built-in rules when empty.
    #[serde(default)]
    pub select: Vec<String>,
    /// Rules not to run.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Globs of paths not to lint.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Severity per rule id or prefix.
    #[serde(default)]
    pub severity: std::collections::BTreeMap<String, Severity>,
    /// Limits of the metric rules.
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Settings for some paths.
    #[serde(default)]
    pub overrides: Vec<Override>,
    /// Rules written as queries.
    #[serde(default)]
    pub rules: Vec<UserRule>,
    /// Where the configuration was read from (none: defaults).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

#[derive(Deserialize)]
struct PyProject {
    tool: Option<PyProjectTool>,
}

#[derive(Deserialize)]
struct PyProjectTool {
    arbor: Option<toml::Value>,
}

impl Config {
    /// Reads a configuration file: `arbor.toml`, or `pyproject.toml` (its `[tool.arbor]` table).
    pub fn from_file(path: &Path) -> Result<Config, LintError> {
        let text = read_regular(path).map_err(|source| LintError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let error = |message: String| LintError::Config {
            path: path.to_path_buf(),
            message,
        };
        let mut config: Config = if path.file_name().is_some_and(|n| n == "pyproject.toml") {
            let project: PyProject =
                toml::from_str(&text).map_err(|e| error(one_line(&e, &text)))?;
            match project.tool.and_then(|t| t.arbor) {
                Some(table) => table.try_into().map_err(|e: toml::de::Error| {
                    error(format!("[tool.arbor]: {}", e.message().trim()))
                })?,
                None => Config::default(),
            }
        } else {
            toml::from_str(&text).map_err(|e| error(one_line(&e, &text)))?
        };
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// The configuration for `target`: the nearest `arbor.toml`, or `pyproject.toml` with a
    /// `[tool.arbor]` table, in its directory or above; defaults when there is none.
    pub fn discover(target: &Path) -> Result<Config, LintError> {
        let start = if target.is_dir() {
            target.to_path_buf()
        } else {
            target.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let start = std::fs::canonicalize(&start).unwrap_or(start);
        for dir in start.ancestors() {
            let arbor = dir.join("arbor.toml");
            if arbor.is_file() {
                return Config::from_file(&arbor);
            }
            let pyproject = dir.join("pyproject.toml");
            if pyproject.is_file() && has_arbor_table(&pyproject)? {
                return Config::from_file(&pyproject);
            }
        }
        Ok(Config::default())
    }

    /// The directory paths in the configuration are relative to.
    pub fn base_dir(&self) -> Option<&Path> {
        self.path.as_deref().and_then(Path::parent)
    }

    /// The `exclude` globs, compiled.
    pub fn exclude_set(&self) -> Result<GlobSet, LintError> {
        globs(&self.exclude).map_err(|message| self.error(format!("exclude: {message}")))
    }

    pub(crate) fn error(&self, message: String) -> LintError {
        LintError::Config {
            path: self
                .path
                .clone()
                .unwrap_or_else(|| PathBuf::from("<defaults>")),
            message,
        }
    }

    /// The language of a user rule.
    pub(crate) fn user_rule_language(&self, rule: &UserRule) -> Result<Language, LintError> {
        rule.language.parse().map_err(|_| {
            self.error(format!(
                "rule {}: unknown language `{}`",
                rule.id, rule.language
            ))
        })
    }
}

/// Whether a `pyproject.toml` configures Arbor, in any TOML spelling: a `[tool.arbor]` table,
/// `arbor = { … }` inside `[tool]`, dotted keys (`tool.arbor.select = …`). A file that is not
/// valid TOML is an error when it mentions Arbor (its settings would be lost), else not ours.
fn has_arbor_table(path: &Path) -> Result<bool, LintError> {
    let text = read_regular(path).map_err(|source| LintError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    match toml::from_str::<PyProject>(&text) {
        Ok(project) => Ok(project.tool.is_some_and(|t| t.arbor.is_some())),
        Err(_) if !text.contains("arbor") => Ok(false),
        Err(e) => Err(LintError::Config {
            path: path.to_path_buf(),
            message: one_line(&e, &text),
        }),
    }
}

/// Reads a configuration or baseline file as text, refusing named pipes, devices and
/// directories at once instead of waiting on them.
pub(crate) fn read_regular(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    arbor_syntax::open_regular(path)?.read_to_string(&mut text)?;
    Ok(text)
}

/// Compiles globs into a set.
pub(crate) fn globs(patterns: &[String]) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        builder.add(
            Glob::new(pattern).map_err(|e| format!("invalid glob `{pattern}`: {}", e.kind()))?,
        );
    }
    builder.build().map_err(|e| e.to_string())
}

/// toml's errors span several lines with a snippet; keep the message and the line and column.
fn one_line(err: &toml::de::Error, text: &str) -> String {
    let message = err.message().trim().to_string();
    match err.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}
