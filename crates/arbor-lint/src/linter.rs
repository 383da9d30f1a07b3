//! Running the rules: a [`Linter`] built from the registry and the configuration lints parsed
//! files, source text, or files and directories walked from disk (in parallel, with `--fix`).

use std::path::{Path, PathBuf};

use arbor_syntax::{
    read_source, walk, ParsedFile, SkipReason, Skipped, SyntaxIssueKind, WalkOptions,
};
use globset::GlobSet;
use rayon::prelude::*;

use crate::config::Config;
use crate::error::LintError;
use crate::query_rule::{QueryRule, QuerySet};
use crate::rule::{self, FileContext, Finding, Location, RawFinding, Rule, RuleInfo, Severity};
use crate::selection::Selection;
use crate::{
    fix, registry, slash_path, suppress, Language, LintOptions, LintReport, SYNTAX_ERROR,
    UNUSED_SUPPRESSION,
};

/// What linting one file from disk came to.
struct FileOutcome {
    findings: Vec<Finding>,
    suppressed: usize,
    fixed: usize,
    unfixable: Option<(PathBuf, String)>,
}

/// A configured linter.
pub struct Linter {
    query_rules: Vec<QueryRule>,
    query_set: QuerySet,
    code_rules: Vec<Box<dyn Rule>>,
    /// Every rule's description, sorted by id.
    infos: Vec<RuleInfo>,
    config: Config,
    selection: Selection,
    exclude: GlobSet,
    /// The configuration's directory, canonical, for `exclude` and `overrides`.
    base: Option<PathBuf>,
}

/// The configuration's user rules, as query rules; their ids must be new and have a prefix.
fn user_rules(config: &Config, existing: &[&RuleInfo]) -> Result<Vec<QueryRule>, LintError> {
    let mut rules = Vec::new();
    for user in &config.rules {
        if !user.id.contains('/') {
            return Err(config.error(format!(
                "rule {}: ids have a prefix, e.g. `custom/{}`",
                user.id, user.id
            )));
        }
        if existing.iter().any(|r| r.id == user.id) {
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
        rules.push(QueryRule::new(info, language, &user.query, &origin)?);
    }
    Ok(rules)
}

impl Linter {
    /// Every built-in rule's description.
    pub fn builtin_rules() -> Result<Vec<RuleInfo>, LintError> {
        Ok(Linter::new(Config::default())?.infos)
    }

    /// A linter with the built-in rules and the configuration's user rules. Rule ids and
    /// prefixes named in the configuration must exist.
    pub fn new(config: Config) -> Result<Linter, LintError> {
        let registry::Builtin {
            mut query_rules,
            code_rules,
            aux,
        } = registry::builtin()?;
        let existing: Vec<&RuleInfo> = query_rules
            .iter()
            .map(|r| r.info())
            .chain(code_rules.iter().map(|r| r.info()))
            .collect();
        let users = user_rules(&config, &existing)?;
        query_rules.extend(users);
        let mut infos: Vec<RuleInfo> = query_rules
            .iter()
            .map(|r| r.info().clone())
            .chain(code_rules.iter().map(|r| r.info().clone()))
            .collect();
        infos.sort_by(|a, b| a.id.cmp(&b.id));
        let selection = Selection::new(&config, &infos)?;
        let exclude = config.exclude_set()?;
        let query_set = QuerySet::build(&query_rules, &aux);
        if !config.rules.is_empty() {
            // The configuration's own rules: any problem is an error now, not a silent skip.
            query_set.compile_all()?;
        }
        let base = config
            .base_dir()
            .map(|b| std::fs::canonicalize(b).unwrap_or_else(|_| b.to_path_buf()));
        Ok(Linter {
            query_rules,
            query_set,
            code_rules,
            infos,
            config,
            selection,
            exclude,
            base,
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
        self.selection.selected(id)
    }

    /// The configured severity of a rule: the most specific `severity` entry, else its default.
    pub fn severity(&self, id: &str, default: Severity) -> Severity {
        self.selection.severity(id, default)
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

    /// A finding of a rule, from what the rule reported.
    fn finding(&self, info: &RuleInfo, path: &str, raw: RawFinding) -> Finding {
        Finding {
            rule: info.id.clone(),
            severity: self.severity(&info.id, info.severity),
            path: path.to_string(),
            location: raw.location,
            message: raw.message.unwrap_or_else(|| info.message.clone()),
            fix: raw.fix,
            fingerprint: String::new(),
            utf16: Default::default(),
            fix_regions: Vec::new(),
        }
    }

    /// A finding of a pseudo-rule (no fix).
    fn pseudo_finding(
        &self,
        id: &str,
        default: Severity,
        path: &str,
        location: Location,
        message: String,
    ) -> Finding {
        Finding {
            rule: id.into(),
            severity: self.severity(id, default),
            path: path.to_string(),
            location,
            message,
            fix: None,
            fingerprint: String::new(),
            utf16: Default::default(),
            fix_regions: Vec::new(),
        }
    }

    /// The findings of the rules enabled on the file (query rules, then Rust rules).
    fn rule_findings(
        &self,
        ctx: &FileContext<'_>,
        path: &str,
        config_path: &str,
        out: &mut Vec<Finding>,
    ) {
        let language = ctx.file.language();
        let applies = |info: &RuleInfo| {
            info.language.is_none_or(|l| l == language)
                && self.selection.enabled(&info.id, config_path)
        };
        let query_on: Vec<bool> = self.query_rules.iter().map(|r| applies(r.info())).collect();
        let code_on: Vec<&dyn Rule> = (self.code_rules.iter())
            .filter(|r| applies(r.info()))
            .map(|r| r.as_ref())
            .collect();
        let mut raw = Vec::new();
        // The combined query feeds the query rules and the code rules' shared captures: with
        // neither selected here (`--select arbor/syntax-error`), the walk is skipped.
        if query_on.contains(&true) || !code_on.is_empty() {
            self.query_set
                .run(&self.query_rules, ctx, &query_on, &mut raw);
        }
        for (index, r) in raw {
            out.push(self.finding(self.query_rules[index].info(), path, r));
        }
        for rule in code_on {
            let mut raw = Vec::new();
            rule.check(ctx, &mut raw);
            out.extend(raw.into_iter().map(|r| self.finding(rule.info(), path, r)));
        }
    }

    /// The findings of `arbor/syntax-error`.
    fn syntax_findings(&self, file: &ParsedFile, path: &str, out: &mut Vec<Finding>) {
        for issue in file.syntax_errors() {
            let message = match &issue.kind {
                SyntaxIssueKind::Error => "syntax error: this code does not parse".to_string(),
                SyntaxIssueKind::Missing { expected } => {
                    format!("syntax error: missing `{expected}`")
                }
            };
            let location = Location {
                line: issue.span.start.line,
                column: issue.span.start.column,
                end_line: issue.span.end.line,
                end_column: issue.span.end.column,
                start_byte: issue.span.start_byte,
                end_byte: issue.span.end_byte,
            };
            out.push(self.pseudo_finding(SYNTAX_ERROR, Severity::Error, path, location, message));
        }
    }

    /// Drops the suppressed findings (never syntax errors) and, when asked, reports the
    /// suppression comments that suppressed nothing; returns how many were suppressed.
    fn suppress(
        &self,
        file: &ParsedFile,
        path: &str,
        report_unused: bool,
        findings: &mut Vec<Finding>,
    ) -> usize {
        let mut suppressions = suppress::Suppressions::new(suppress::find(file));
        let before = findings.len();
        findings.retain(|f| {
            f.rule == SYNTAX_ERROR || !suppressions.suppressed(&f.rule, f.location.line)
        });
        let suppressed = before - findings.len();
        if report_unused {
            for s in suppressions.list().iter().filter(|s| s.used == 0) {
                findings.push(self.pseudo_finding(
                    UNUSED_SUPPRESSION,
                    Severity::Info,
                    path,
                    s.location,
                    "this suppression comment suppresses nothing".into(),
                ));
            }
        }
        suppressed
    }

    /// [`Linter::lint_file`] with the file's path relative to the configuration already known.
    fn lint_at(
        &self,
        file: &ParsedFile,
        path: &str,
        config_path: &str,
        options: &LintOptions,
    ) -> (Vec<Finding>, usize) {
        let thresholds = self.selection.thresholds(config_path);
        let ctx = FileContext::new(file, path, &thresholds);
        let mut findings = Vec::new();
        self.rule_findings(&ctx, path, config_path, &mut findings);
        if self.selection.enabled(SYNTAX_ERROR, config_path) {
            self.syntax_findings(file, path, &mut findings);
        }
        let report_unused = options.report_unused_suppressions
            && self.selection.enabled(UNUSED_SUPPRESSION, config_path);
        let suppressed = self.suppress(file, path, report_unused, &mut findings);
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
            f.utf16 = fingerprinter.utf16_columns(&f.location);
            f.fix_regions = f
                .fix
                .iter()
                .flatten()
                .map(|e| fingerprinter.utf16_region(e.start_byte, e.end_byte))
                .collect();
        }
        (findings, suppressed)
    }

    /// The files under `paths` (walked as git would, minus `exclude`), each once, sorted, with
    /// their paths relative to the configuration; what was skipped goes to `report`.
    fn collect_files(
        &self,
        paths: &[PathBuf],
        options: &LintOptions,
        report: &mut LintReport,
    ) -> Result<Vec<(arbor_syntax::SourceFile, String)>, LintError> {
        let walk_options = WalkOptions {
            max_file_size: options.max_file_size,
            ..WalkOptions::default()
        };
        let mut files = Vec::new();
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
        Ok(files)
    }

    /// Reads, parses and lints one file from disk, fixing it when asked.
    fn lint_from_disk(
        &self,
        file: &arbor_syntax::SourceFile,
        config_path: &str,
        options: &LintOptions,
    ) -> Result<FileOutcome, Skipped> {
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
        if !options.fix || outcome.findings.iter().all(|f| f.fix.is_none()) {
            return Ok(outcome);
        }
        match fix::fix_file(&parsed, &outcome.findings) {
            Ok(Some((fixed_file, applied))) => {
                // Report what is left in the fixed file.
                let (findings, suppressed) = self.lint_at(&fixed_file, &path, config_path, options);
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
        Ok(outcome)
    }

    /// Lints files and directories (walked as git would, minus `exclude`).
    pub fn lint_paths(
        &self,
        paths: &[PathBuf],
        options: &LintOptions,
    ) -> Result<LintReport, LintError> {
        let mut report = LintReport::default();
        let files = self.collect_files(paths, options, &mut report)?;
        let results: Vec<Result<FileOutcome, Skipped>> = files
            .par_iter()
            .map(|(file, config_path)| self.lint_from_disk(file, config_path, options))
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
