//! Arbor's review linter: built-in rules (tree-sitter queries in `grammars/<lang>/lint/*.scm`
//! and Rust code for what needs scopes), user rules from the configuration, suppression
//! comments, and reporters (text, JSON, SARIF 2.1.0, GitHub workflow commands).

pub mod baseline;
pub mod config;
pub mod diff;
pub mod error;
pub mod fix;
pub mod query_rule;
pub mod report;
pub mod rule;
pub mod rules;
pub mod suppress;

use std::path::{Path, PathBuf};

use arbor_syntax::{
    read_source, walk, ParsedFile, SkipReason, Skipped, SyntaxIssueKind, WalkOptions,
};
use globset::GlobSet;
use rayon::prelude::*;

pub use arbor_syntax::Language;
pub use config::{Config, Thresholds};
pub use error::LintError;
pub use rule::{Edit, Finding, Location, RawFinding, Rule, RuleInfo, Severity};

use crate::query_rule::QueryRule;
use crate::rule::FileContext;

/// The id of the findings that report syntax errors.
pub const SYNTAX_ERROR: &str = "arbor/syntax-error";
/// The id of the findings that report suppressions that suppressed nothing.
pub const UNUSED_SUPPRESSION: &str = "arbor/unused-suppression";

/// Whether a selector (a rule id, or a prefix such as `py` or `all`) names `id`.
pub fn selector_matches(selector: &str, id: &str) -> bool {
    let selector = selector.trim_end_matches('/');
    id == selector || (id.starts_with(selector) && id[selector.len()..].starts_with('/'))
}

/// Options of a lint run.
#[derive(Debug, Clone)]
pub struct LintOptions {
    /// Report suppression comments that suppressed nothing.
    pub report_unused_suppressions: bool,
    /// Files larger than this are skipped.
    pub max_file_size: u64,
    /// Apply the safe fixes to the files (findings then describe the fixed files).
    pub fix: bool,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions {
            report_unused_suppressions: false,
            max_file_size: arbor_syntax::DEFAULT_MAX_FILE_SIZE,
            fix: false,
        }
    }
}

/// What a lint run found.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    /// Findings, sorted by path, line, column and rule.
    pub findings: Vec<Finding>,
    /// Files linted.
    pub files: usize,
    /// Files not linted, and why.
    pub skipped: Vec<Skipped>,
    /// Findings hidden by suppression comments.
    pub suppressed: usize,
    /// Findings repaired by `--fix`.
    pub fixed: usize,
    /// Files whose fixes were not written, with the reason.
    pub unfixable: Vec<(PathBuf, String)>,
}

struct FileOutcome {
    findings: Vec<Finding>,
    suppressed: usize,
    fixed: usize,
    unfixable: Option<(PathBuf, String)>,
}

struct CompiledOverride {
    paths: GlobSet,
    select: Vec<String>,
    ignore: Vec<String>,
    thresholds: Option<Thresholds>,
}

/// A configured linter.
pub struct Linter {
    query_rules: Vec<QueryRule>,
    query_set: query_rule::QuerySet,
    code_rules: Vec<Box<dyn Rule>>,
    /// Every rule's description, sorted by id.
    infos: Vec<RuleInfo>,
    config: Config,
    exclude: GlobSet,
    /// The configuration's directory, canonical, for `exclude` and `overrides`.
    base: Option<PathBuf>,
    overrides: Vec<CompiledOverride>,
}

impl Linter {
    /// Every built-in rule's description.
    pub fn builtin_rules() -> Result<Vec<RuleInfo>, LintError> {
        Ok(Linter::new(Config::default())?.infos)
    }

    /// A linter with the built-in rules and the configuration's user rules. Rule ids and
    /// prefixes named in the configuration must exist.
    pub fn new(config: Config) -> Result<Linter, LintError> {
        let mut query_rules = rules::builtin_query_rules()?;
        let code_rules = rules::builtin_code_rules()?;
        for user in &config.rules {
            if !user.id.contains('/') {
                return Err(config.error(format!(
                    "rule {}: ids have a prefix, e.g. `custom/{}`",
                    user.id, user.id
                )));
            }
            let exists = query_rules.iter().any(|r| r.info().id == user.id)
                || code_rules.iter().any(|r| r.info().id == user.id);
            if exists {
                return Err(config.error(format!(
                    "rule {}: a rule with this id already exists",
                    user.id
                )));
            }
            let language = config.user_rule_language(user)?;
            let info = RuleInfo {
                id: user.id.clone(),
                language: Some(language),
                severity: user.severity.unwrap_or(Severity::Warning),
                message: user.message.clone(),
                rationale: user.rationale.clone(),
                example: String::new(),
                fixable: false,
            };
            let origin = format!(
                "{}: rule {}",
                config
                    .path
                    .as_deref()
                    .unwrap_or(Path::new("config"))
                    .display(),
                user.id
            );
            // Query positions count from the query's first line.
            query_rules.push(QueryRule::new(info, language, &user.query, &origin)?);
        }
        let mut infos: Vec<RuleInfo> = query_rules
            .iter()
            .map(|r| r.info().clone())
            .chain(code_rules.iter().map(|r| r.info().clone()))
            .collect();
        infos.sort_by(|a, b| a.id.cmp(&b.id));
        let known = |selector: &str| {
            selector_matches(selector, SYNTAX_ERROR)
                || selector_matches(selector, UNUSED_SUPPRESSION)
                || infos.iter().any(|r| selector_matches(selector, &r.id))
        };
        let mut selectors: Vec<(&str, &str)> = Vec::new();
        selectors.extend(config.select.iter().map(|s| ("select", s.as_str())));
        selectors.extend(config.ignore.iter().map(|s| ("ignore", s.as_str())));
        selectors.extend(config.severity.keys().map(|s| ("severity", s.as_str())));
        for o in &config.overrides {
            selectors.extend(o.select.iter().map(|s| ("overrides.select", s.as_str())));
            selectors.extend(o.ignore.iter().map(|s| ("overrides.ignore", s.as_str())));
        }
        for (key, selector) in selectors {
            if !known(selector) {
                return Err(config.error(format!("{key}: unknown rule or prefix `{selector}`")));
            }
        }
        let exclude = config.exclude_set()?;
        let overrides = config
            .overrides
            .iter()
            .map(|o| {
                Ok(CompiledOverride {
                    paths: config::globs(&o.paths)
                        .map_err(|m| config.error(format!("overrides.paths: {m}")))?,
                    select: o.select.clone(),
                    ignore: o.ignore.clone(),
                    thresholds: o.thresholds,
                })
            })
            .collect::<Result<Vec<_>, LintError>>()?;
        let query_set = query_rule::QuerySet::build(&query_rules, &rules::aux_queries()?)?;
        let base = config
            .base_dir()
            .map(|b| std::fs::canonicalize(b).unwrap_or_else(|_| b.to_path_buf()));
        Ok(Linter {
            query_rules,
            query_set,
            code_rules,
            infos,
            config,
            exclude,
            base,
            overrides,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The descriptions of all rules (built-in and user), enabled or not.
    pub fn rules(&self) -> impl Iterator<Item = &RuleInfo> {
        self.infos.iter()
    }

    /// Whether rule `id` is selected by the configuration (before per-path overrides).
    pub fn selected(&self, id: &str) -> bool {
        let selected = |list: &[String]| list.iter().any(|s| selector_matches(s, id));
        (self.config.select.is_empty() || selected(&self.config.select))
            && !selected(&self.config.ignore)
    }

    /// Whether rule `id` runs on `path` (relative to the configuration).
    fn enabled(&self, id: &str, path: &str) -> bool {
        let selected = |list: &[String]| list.iter().any(|s| selector_matches(s, id));
        let mut on = self.selected(id);
        for o in self.overrides.iter().filter(|o| o.paths.is_match(path)) {
            if selected(&o.select) {
                on = true;
            }
            if selected(&o.ignore) {
                on = false;
            }
        }
        on
    }

    fn thresholds(&self, path: &str) -> Thresholds {
        self.overrides
            .iter()
            .rev()
            .filter(|o| o.paths.is_match(path))
            .find_map(|o| o.thresholds)
            .unwrap_or(self.config.thresholds)
    }

    /// The configured severity of a rule: the most specific `severity` entry, else its default.
    pub fn severity(&self, id: &str, default: Severity) -> Severity {
        self.config
            .severity
            .iter()
            .filter(|(selector, _)| selector_matches(selector, id))
            .max_by_key(|(selector, _)| selector.len())
            .map_or(default, |(_, severity)| *severity)
    }

    /// `path` relative to the configuration's directory, for `exclude` and `overrides`.
    fn config_relative(&self, path: &Path) -> String {
        let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let rel = self
            .base
            .as_deref()
            .and_then(|b| absolute.strip_prefix(b).ok())
            .unwrap_or(path);
        slash_path(rel)
    }

    /// Lints one parsed file. `path` is how findings name it.
    pub fn lint_file(
        &self,
        file: &ParsedFile,
        path: &str,
        options: &LintOptions,
    ) -> (Vec<Finding>, usize) {
        self.lint_at(file, path, &self.config_relative(file.path()), options)
    }

    /// [`Linter::lint_file`] with the file's path relative to the configuration already known.
    fn lint_at(
        &self,
        file: &ParsedFile,
        path: &str,
        config_path: &str,
        options: &LintOptions,
    ) -> (Vec<Finding>, usize) {
        let thresholds = self.thresholds(config_path);
        let ctx = FileContext::new(file, path, &thresholds);
        let mut findings = Vec::new();
        let push = |findings: &mut Vec<Finding>, info: &RuleInfo, raw: RawFinding| {
            findings.push(Finding {
                rule: info.id.clone(),
                severity: self.severity(&info.id, info.severity),
                path: path.to_string(),
                location: raw.location,
                message: raw.message.unwrap_or_else(|| info.message.clone()),
                fix: raw.fix,
                fingerprint: String::new(),
            });
        };
        let applies = |info: &RuleInfo| {
            info.language.is_none_or(|l| l == file.language())
                && self.enabled(&info.id, config_path)
        };
        let mut raw = Vec::new();
        self.query_set.run(
            &self.query_rules,
            &ctx,
            |i| applies(self.query_rules[i].info()),
            &mut raw,
        );
        for (index, r) in raw {
            push(&mut findings, self.query_rules[index].info(), r);
        }
        for rule in &self.code_rules {
            let info = rule.info();
            if !applies(info) {
                continue;
            }
            let mut raw = Vec::new();
            rule.check(&ctx, &mut raw);
            for r in raw {
                push(&mut findings, info, r);
            }
        }
        if self.enabled(SYNTAX_ERROR, config_path) {
            for issue in file.syntax_errors() {
                let message = match &issue.kind {
                    SyntaxIssueKind::Error => "syntax error: this code does not parse".to_string(),
                    SyntaxIssueKind::Missing { expected } => {
                        format!("syntax error: missing `{expected}`")
                    }
                };
                findings.push(Finding {
                    rule: SYNTAX_ERROR.into(),
                    severity: self.severity(SYNTAX_ERROR, Severity::Error),
                    path: path.to_string(),
                    location: Location {
                        line: issue.span.start.line,
                        column: issue.span.start.column,
                        end_line: issue.span.end.line,
                        end_column: issue.span.end.column,
                        start_byte: issue.span.start_byte,
                        end_byte: issue.span.end_byte,
                    },
                    message,
                    fix: None,
                    fingerprint: String::new(),
                });
            }
        }
        let mut suppressions = suppress::Suppressions::new(suppress::find(file));
        let before = findings.len();
        findings.retain(|f| {
            f.rule == SYNTAX_ERROR || !suppressions.suppressed(&f.rule, f.location.line)
        });
        let suppressed = before - findings.len();
        if options.report_unused_suppressions && self.enabled(UNUSED_SUPPRESSION, config_path) {
            for s in suppressions.list().iter().filter(|s| s.used == 0) {
                findings.push(Finding {
                    rule: UNUSED_SUPPRESSION.into(),
                    severity: self.severity(UNUSED_SUPPRESSION, Severity::Info),
                    path: path.to_string(),
                    location: s.location,
                    message: "this suppression comment suppresses nothing".into(),
                    fix: None,
                    fingerprint: String::new(),
                });
            }
        }
        findings.sort_by(|a, b| {
            (a.location.line, a.location.column, &a.rule).cmp(&(
                b.location.line,
                b.location.column,
                &b.rule,
            ))
        });
        let fingerprinter = rule::Fingerprinter::new(file.source());
        for f in &mut findings {
            f.fingerprint = fingerprinter.fingerprint(&f.rule, path, &f.location);
        }
        (findings, suppressed)
    }

    /// Lints files and directories (walked as git would, minus `exclude`).
    pub fn lint_paths(
        &self,
        paths: &[PathBuf],
        options: &LintOptions,
    ) -> Result<LintReport, LintError> {
        let walk_options = WalkOptions {
            max_file_size: options.max_file_size,
            ..WalkOptions::default()
        };
        let mut files = Vec::new();
        let mut report = LintReport::default();
        for path in paths {
            let walked = walk(path, &walk_options)?;
            report.skipped.extend(walked.skipped);
            for file in walked.files {
                let config_path = self.config_relative(&file.path);
                if !self.exclude.is_match(&config_path) {
                    files.push((file, config_path));
                }
            }
        }
        files.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        files.dedup_by(|a, b| a.0.path == b.0.path);
        let results: Vec<Result<FileOutcome, Skipped>> = files
            .par_iter()
            .map(|(file, config_path)| {
                let skipped = |reason| Skipped {
                    path: file.path.clone(),
                    reason,
                };
                let source = read_source(&file.path, options.max_file_size).map_err(skipped)?;
                let parsed = ParsedFile::parse(&file.path, file.language, source)
                    .map_err(|e| skipped(SkipReason::Io(e.to_string())))?;
                let path = slash_path(&file.path);
                let (findings, suppressed) = self.lint_at(&parsed, &path, config_path, options);
                let mut outcome = FileOutcome {
                    findings,
                    suppressed,
                    fixed: 0,
                    unfixable: None,
                };
                if options.fix && outcome.findings.iter().any(|f| f.fix.is_some()) {
                    match fix::fix_file(&parsed, &outcome.findings) {
                        Ok(Some((fixed_file, applied))) => {
                            // Report what is left in the fixed file.
                            let (findings, suppressed) =
                                self.lint_at(&fixed_file, &path, config_path, options);
                            outcome = FileOutcome {
                                findings,
                                suppressed,
                                fixed: applied,
                                unfixable: None,
                            };
                        }
                        Ok(None) => {}
                        Err(reason) => outcome.unfixable = Some((file.path.clone(), reason)),
                    }
                }
                Ok(outcome)
            })
            .collect();
        for result in results {
            match result {
                Ok(outcome) => {
                    report.files += 1;
                    report.suppressed += outcome.suppressed;
                    report.fixed += outcome.fixed;
                    report.findings.extend(outcome.findings);
                    report.unfixable.extend(outcome.unfixable);
                }
                Err(skip) => report.skipped.push(skip),
            }
        }
        Ok(report)
    }

    /// Lints source text as if read from `path` (for tests and editors).
    pub fn lint_source(&self, path: &str, language: Language, source: &str) -> Vec<Finding> {
        match ParsedFile::parse(path, language, source.to_string()) {
            Ok(file) => self.lint_file(&file, path, &LintOptions::default()).0,
            Err(_) => Vec::new(),
        }
    }
}

/// A path as findings name it: `/`-separated, without a leading `./`.
pub fn slash_path(path: &Path) -> String {
    use std::path::Component;
    let text = path
        .components()
        .filter(|c| matches!(c, Component::Normal(_) | Component::ParentDir))
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    if path.has_root() {
        format!("/{text}")
    } else {
        text
    }
}
