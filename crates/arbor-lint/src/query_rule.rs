//! Rules written as tree-sitter queries: `grammars/<lang>/lint/*.scm` and user rules.
//!
//! A rule file starts with a header of `; key: value` lines — `id`, `severity`, `message`,
//! `rationale`, `example` (may repeat) — followed by the query. Each match's `@finding`
//! capture is a finding; captures whose names start with `_` serve predicates only. Text
//! predicates (`#eq?`, `#match?`, `#any-of?`) are evaluated by tree-sitter; a rule may also have
//! a predicate and a fix in Rust, given with the rule's entry in [`crate::registry`].

use arbor_syntax::tree_sitter::{Node, Query};
use arbor_syntax::Language;
use std::sync::OnceLock;

use crate::error::LintError;
use crate::registry::AuxKey;
use crate::rule::{Edit, FileContext, RawFinding, RuleInfo, Severity};

/// A predicate in Rust: whether a `@finding` node really is a finding.
pub type Predicate = fn(&FileContext<'_>, Node<'_>) -> bool;
/// A fix in Rust: the edits that repair a `@finding` node.
pub type Fixer = fn(&FileContext<'_>, Node<'_>) -> Option<Vec<Edit>>;

/// A rule file of the project, embedded at build time.
#[derive(Debug, Clone, Copy)]
pub struct RuleFile {
    /// The language the query is written against.
    pub language: Language,
    /// Path relative to the repository root.
    pub file: &'static str,
    /// The file's text.
    pub text: &'static str,
}

/// The header fields of a rule file.
#[derive(Debug, Default)]
struct Header {
    id: Option<String>,
    severity: Option<Severity>,
    message: Option<String>,
    rationale: String,
    example: Vec<String>,
}

fn parse_header(file: &str, text: &str) -> Result<Header, LintError> {
    let mut header = Header::default();
    for (index, line) in text.lines().enumerate() {
        let Some(comment) = line.trim_start().strip_prefix(';') else {
            if line.trim().is_empty() {
                continue;
            }
            break; // the query starts
        };
        let comment = comment.trim();
        let Some((key, value)) = comment.split_once(':') else {
            continue; // a plain comment
        };
        let value = value.trim().to_string();
        let error = |message: String| LintError::RuleFile {
            file: file.to_string(),
            line: index + 1,
            message,
        };
        match key.trim() {
            "id" => header.id = Some(value),
            "severity" => header.severity = Some(value.parse().map_err(error)?),
            "message" => header.message = Some(value),
            "rationale" => header.rationale = value,
            "example" => header.example.push(value),
            other if other.chars().all(|c| c.is_ascii_lowercase() || c == '-') => {
                return Err(error(format!(
                    "unknown header key `{other}` (expected id, severity, message, rationale, example)"
                )));
            }
            _ => {}
        }
    }
    Ok(header)
}

/// One language's query of a rule.
/// One language's query of a rule, compiled alone once to validate it; it runs as part of a
/// [`QuerySet`].
struct LanguageQuery {
    language: Language,
    text: String,
}

/// A rule made of tree-sitter queries (one per language it covers).
pub struct QueryRule {
    info: RuleInfo,
    queries: Vec<LanguageQuery>,
    predicate: Option<Predicate>,
    fixer: Option<Fixer>,
}

impl QueryRule {
    /// A rule from a query text, with its metadata given. `origin` names where the query came
    /// from in errors (`grammars/python/lint/x.scm`, `arbor.toml: rule custom/x`).
    pub fn new(
        info: RuleInfo,
        language: Language,
        query: &str,
        origin: &str,
    ) -> Result<QueryRule, LintError> {
        let mut rule = QueryRule::unchecked(info);
        rule.add_query(language, query, origin, Check::Compile)?;
        Ok(rule)
    }

    fn unchecked(info: RuleInfo) -> QueryRule {
        QueryRule {
            info,
            queries: Vec::new(),
            predicate: None,
            fixer: None,
        }
    }

    fn add_query(
        &mut self,
        language: Language,
        text: &str,
        origin: &str,
        check: Check,
    ) -> Result<(), LintError> {
        if check == Check::Compile {
            validate(language, text, origin)?;
        }
        self.queries.push(LanguageQuery {
            language,
            text: text.to_string(),
        });
        Ok(())
    }

    /// Sets the predicate and fix written in Rust.
    pub fn with_code(mut self, predicate: Option<Predicate>, fixer: Option<Fixer>) -> QueryRule {
        self.predicate = predicate;
        self.fixer = fixer;
        self.info.fixable = fixer.is_some();
        self
    }
}

/// Whether a rule's query is compiled alone when the rule is made: always for the rules of a
/// configuration; never for the built-in files, which a test compiles (each compile costs
/// start-up time on every run, and the combined query compiles them again).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    Compile,
    Trusted,
}

/// Compiles a rule's query alone: its syntax, its predicates, its `@finding` capture.
fn validate(language: Language, text: &str, origin: &str) -> Result<(), LintError> {
    let query = Query::new(&language.grammar(), text).map_err(|e| LintError::RuleFile {
        file: origin.to_string(),
        line: e.row + 1,
        message: format!(
            "invalid query at column {}: {:?}: {}",
            e.column + 1,
            e.kind,
            e.message.trim()
        ),
    })?;
    check_predicates(&query, text, origin)?;
    if query.capture_index_for_name("finding").is_none() {
        return Err(LintError::RuleFile {
            file: origin.to_string(),
            line: 1,
            message: "the query has no @finding capture".into(),
        });
    }
    Ok(())
}

/// The predicates tree-sitter evaluates while matching, the only ones a lint query may use.
pub const SUPPORTED_PREDICATES: &[&str] = &[
    "#eq?",
    "#not-eq?",
    "#any-eq?",
    "#any-not-eq?",
    "#match?",
    "#not-match?",
    "#any-match?",
    "#any-not-match?",
    "#any-of?",
    "#not-any-of?",
];

/// Refuses predicates that would not filter matches: tree-sitter keeps an unknown predicate
/// (`#eq` for `#eq?`, `#frobnicate?`) for the caller to evaluate, and ignoring it would make the
/// pattern match everything; property predicates and settings (`#is?`, `#set!`) do not filter
/// either.
fn check_predicates(query: &Query, text: &str, origin: &str) -> Result<(), LintError> {
    for pattern in 0..query.pattern_count() {
        let unknown = query
            .general_predicates(pattern)
            .iter()
            .map(|p| format!("#{}", p.operator))
            .chain(
                query
                    .property_predicates(pattern)
                    .iter()
                    .map(|(_, positive)| if *positive { "#is?" } else { "#is-not?" }.to_string()),
            )
            .chain((!query.property_settings(pattern).is_empty()).then(|| "#set!".to_string()))
            .next();
        if let Some(name) = unknown {
            let start = query.start_byte_for_pattern(pattern);
            let at = predicate_offset(text, start, &name).unwrap_or(start);
            return Err(LintError::RuleFile {
                file: origin.to_string(),
                line: text[..at.min(text.len())].matches('\n').count() + 1,
                message: format!(
                    "unknown predicate `{name}` (lint queries support {})",
                    SUPPORTED_PREDICATES.join(", ")
                ),
            });
        }
    }
    Ok(())
}

/// The offset of predicate `name` (a whole word) at or after `from` in the query text.
fn predicate_offset(text: &str, from: usize, name: &str) -> Option<usize> {
    let mut at = from.min(text.len());
    while let Some(found) = text.get(at..)?.find(name) {
        let start = at + found;
        let end = start + name.len();
        let next = text[end..].chars().next();
        if next.is_none_or(|c| c.is_whitespace() || c == ')') {
            return Some(start);
        }
        at = end;
    }
    None
}

/// The query rule `id` from its rule files (one per language it covers): each file's header
/// must name `id`; the first file's header gives the metadata, and a rule of several files
/// applies to every language.
pub fn from_files(id: &str, files: &[RuleFile]) -> Result<QueryRule, LintError> {
    let mut rule: Option<QueryRule> = None;
    for file in files {
        let header = parse_header(file.file, file.text)?;
        let missing = |what: &str| LintError::RuleFile {
            file: file.file.to_string(),
            line: 1,
            message: format!("the header has no `; {what}:` line"),
        };
        let header_id = header.id.ok_or_else(|| missing("id"))?;
        if header_id != id {
            return Err(LintError::RuleFile {
                file: file.file.to_string(),
                line: 1,
                message: format!("the header's id `{header_id}` is not the registered id `{id}`"),
            });
        }
        if let Some(rule) = &mut rule {
            rule.info.language = None;
            rule.add_query(file.language, file.text, file.file, Check::Trusted)?;
            continue;
        }
        let info = RuleInfo {
            language: Some(file.language),
            severity: header.severity.ok_or_else(|| missing("severity"))?,
            message: header.message.ok_or_else(|| missing("message"))?,
            rationale: header.rationale,
            example: header.example.join("\n"),
            fixable: false,
            id: header_id,
        };
        let mut first = QueryRule::unchecked(info);
        first.add_query(file.language, file.text, file.file, Check::Trusted)?;
        rule = Some(first);
    }
    rule.ok_or_else(|| LintError::RuleFile {
        file: id.to_string(),
        line: 1,
        message: "the rule has no query file".into(),
    })
}

impl QueryRule {
    /// What the rule is.
    pub fn info(&self) -> &RuleInfo {
        &self.info
    }
}

/// Why a combined query did not compile, kept with the query's cell (a [`LintError`] cannot
/// be cloned out of it) and turned into one for [`QuerySet::compile_all`].
struct CompileError {
    file: String,
    line: usize,
    message: String,
}

impl CompileError {
    fn to_lint_error(&self) -> LintError {
        LintError::RuleFile {
            file: self.file.clone(),
            line: self.line,
            message: self.message.clone(),
        }
    }
}

impl LazyQuery {
    /// The combined query, compiled on first use.
    fn compiled(&self) -> &Result<CombinedQuery, CompileError> {
        self.compiled.get_or_init(|| self.compile())
    }

    fn compile(&self) -> Result<CombinedQuery, CompileError> {
        let language = self.language;
        let query = Query::new(&language.grammar(), &self.text).map_err(|e| CompileError {
            file: format!("the combined {language} lint queries"),
            line: e.row + 1,
            message: e.message.trim().to_string(),
        })?;
        let finding = query.capture_index_for_name("finding").unwrap_or(u32::MAX);
        let owner = (0..query.pattern_count())
            .map(|pattern| {
                let start = query.start_byte_for_pattern(pattern);
                self.segments
                    .iter()
                    .find(|(end, _)| start < *end)
                    .map_or(Owner::Rule(0), |(_, owner)| *owner)
            })
            .collect();
        let aux = self
            .aux
            .iter()
            .map(|a| {
                let map = query
                    .capture_names()
                    .iter()
                    .map(|name| a.query.capture_index_for_name(name))
                    .collect();
                (*a, map)
            })
            .collect();
        let first_tags = (0..query.pattern_count())
            .find(|&p| query.start_byte_for_pattern(p) >= self.tags_start);
        let tags = match first_tags {
            Some(first) => {
                let map = query
                    .capture_names()
                    .iter()
                    .map(|name| arbor_syntax::query::tags_capture_index(language, name))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| CompileError {
                        file: format!("grammars/{language}/tags.scm"),
                        line: 1,
                        message: e.to_string(),
                    })?;
                Some((first, map))
            }
            None => None,
        };
        Ok(CombinedQuery {
            query,
            finding,
            owner,
            aux,
            tags,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_built_in_rule_file_compiles_alone_and_combined() {
        for file in crate::registry::builtin_rule_files() {
            super::validate(file.language, file.text, file.file).unwrap();
        }
        let built = crate::registry::builtin().unwrap();
        let set = super::QuerySet::build(&built.query_rules, &built.aux);
        assert!(set.languages.iter().all(|l| l.compiled.get().is_none()));
        set.compile_all().unwrap();
    }

    use super::*;

    #[test]
    fn bad_rule_files_are_named_with_the_line() {
        let err = parse_header("x.scm", "; id: a/b\n; sevrity: error\n").unwrap_err();
        assert_eq!(err.to_string(), "x.scm:2: unknown header key `sevrity` (expected id, severity, message, rationale, example)");
        let info = RuleInfo {
            id: "custom/x".into(),
            language: Some(Language::Python),
            severity: Severity::Warning,
            message: "m".into(),
            rationale: String::new(),
            example: String::new(),
            fixable: false,
        };
        let err = QueryRule::new(
            info.clone(),
            Language::Python,
            "(call) @finding\n(no_such) @finding",
            "arbor.toml",
        )
        .err()
        .unwrap();
        assert!(
            err.to_string()
                .starts_with("arbor.toml:2: invalid query at column 2: NodeType"),
            "{err}"
        );
        for (query, predicate, line) in [
            (
                "(call function: (identifier) @f (#eq @f \"print\")) @finding",
                "#eq",
                1,
            ),
            (
                "(call) @finding\n((identifier) @i (#frobnicate? @i))",
                "#frobnicate?",
                2,
            ),
            ("((identifier) @finding (#set! kind \"x\"))", "#set!", 1),
            ("((identifier) @finding (#is? local))", "#is?", 1),
        ] {
            let err = QueryRule::new(info.clone(), Language::Python, query, "arbor.toml")
                .err()
                .unwrap()
                .to_string();
            assert!(
                err.starts_with(&format!(
                    "arbor.toml:{line}: unknown predicate `{predicate}` (lint queries support "
                )),
                "{query}: {err}"
            );
        }
        for query in [
            "((identifier) @finding (#eq? @finding \"x\"))",
            "((identifier) @finding (#not-match? @finding \"^_\"))",
            "((identifier) @finding (#any-of? @finding \"a\" \"b\"))",
        ] {
            assert!(QueryRule::new(info.clone(), Language::Python, query, "arbor.toml").is_ok());
        }
        let err = QueryRule::new(info, Language::Python, "(call) @x", "arbor.toml")
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "arbor.toml:1: the query has no @finding capture"
        );
    }
}

/// A query a Rust rule runs (names, branches), walked together with the query rules; its
/// captures are handed to the rules through [`FileContext::captures`] under its key.
#[derive(Clone, Copy)]
pub struct AuxQuery {
    /// What the query is, the key its captures are cached under.
    pub key: AuxKey,
    /// The language of the query.
    pub language: Language,
    /// Its text.
    pub text: &'static str,
    /// The compiled query the rule looks its captures up with.
    pub query: &'static Query,
}

/// All query rules of a linter, and the queries its Rust rules need, as one query per
/// language: a file's tree is walked once however many rules there are (a query cursor per
/// rule walked it once per rule, and each walk costs as much as parsing). A language's query
/// is compiled when its first file is linted: compiling all three took most of a run's
/// start-up, and a Python project never needs the Rust one.
pub struct QuerySet {
    languages: Vec<LazyQuery>,
}

#[derive(Clone, Copy)]
enum Owner {
    Rule(usize),
    Aux(usize),
    /// The syntax layer's tags query, for the file's symbols.
    Tags,
}

/// One language's combined query: its text, and the query once compiled.
struct LazyQuery {
    language: Language,
    text: String,
    /// Where each part ends in `text` and whose it is.
    segments: Vec<(usize, Owner)>,
    aux: Vec<AuxQuery>,
    tags_start: usize,
    compiled: OnceLock<Result<CombinedQuery, CompileError>>,
}

struct CombinedQuery {
    query: Query,
    finding: u32,
    /// For each pattern of the combined query, the rule or auxiliary query it belongs to.
    owner: Vec<Owner>,
    /// The auxiliary queries of this language, with the map from combined capture indices to
    /// their own.
    aux: Vec<(AuxQuery, Vec<Option<u32>>)>,
    /// The first pattern of the tags query and the map to its capture indices.
    tags: Option<(usize, Vec<Option<u32>>)>,
}

impl QuerySet {
    /// Combines the queries of `rules` (each already compiled alone, so errors name their rule)
    /// and the auxiliary queries; nothing is compiled yet (see [`QuerySet::compile_all`]).
    pub fn build(rules: &[QueryRule], aux: &[AuxQuery]) -> QuerySet {
        let languages = Language::ALL
            .into_iter()
            .map(|language| {
                let mut text = String::new();
                let mut segments: Vec<(usize, Owner)> = Vec::new();
                for (index, rule) in rules.iter().enumerate() {
                    for lq in rule.queries.iter().filter(|q| q.language == language) {
                        text.push_str(&lq.text);
                        text.push('\n');
                        segments.push((text.len(), Owner::Rule(index)));
                    }
                }
                let own_aux: Vec<AuxQuery> = aux
                    .iter()
                    .filter(|a| a.language == language)
                    .copied()
                    .collect();
                for (index, a) in own_aux.iter().enumerate() {
                    text.push_str(a.text);
                    text.push('\n');
                    segments.push((text.len(), Owner::Aux(index)));
                }
                let tags_start = text.len();
                text.push_str(arbor_syntax::tags_query_text(language));
                text.push('\n');
                segments.push((text.len(), Owner::Tags));
                LazyQuery {
                    language,
                    text,
                    segments,
                    aux: own_aux,
                    tags_start,
                    compiled: OnceLock::new(),
                }
            })
            .collect();
        QuerySet { languages }
    }

    /// Compiles every language's combined query now, so that a configuration's rules that
    /// cannot be combined are an error before any file is linted.
    pub fn compile_all(&self) -> Result<(), LintError> {
        for lazy in &self.languages {
            lazy.compiled()
                .as_ref()
                .map_err(CompileError::to_lint_error)?;
        }
        Ok(())
    }

    /// Runs every query rule `on[rule index]` marks on the file (findings come with their
    /// rule's index), and hands the auxiliary queries' captures to `ctx`.
    pub fn run(
        &self,
        rules: &[QueryRule],
        ctx: &FileContext<'_>,
        on: &[bool],
        out: &mut Vec<(usize, RawFinding)>,
    ) {
        let language = ctx.file.language();
        let Some(lazy) = self.languages.iter().find(|c| c.language == language) else {
            return;
        };
        // Built-in queries always compile (tested); a configuration's are compiled up front.
        let Ok(combined) = lazy.compiled() else {
            return;
        };
        let mut aux_captures: Vec<Vec<(u32, arbor_syntax::tree_sitter::Node<'_>)>> =
            vec![Vec::new(); combined.aux.len()];
        let mut tag_matches = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let source = ctx.file.source().as_bytes();
        arbor_syntax::query::for_each_match(&combined.query, ctx.file.root(), source, |m| {
            let index = match combined.owner[m.pattern_index] {
                Owner::Tags => {
                    if let Some((first, map)) = &combined.tags {
                        tag_matches.push(arbor_syntax::TagMatch {
                            pattern: m.pattern_index - first,
                            captures: m
                                .captures
                                .iter()
                                .filter_map(|c| map[c.index as usize].map(|i| (i, c.node)))
                                .collect(),
                        });
                    }
                    return;
                }
                Owner::Aux(a) => {
                    let map = &combined.aux[a].1;
                    for capture in m.captures {
                        if let Some(own) = map[capture.index as usize] {
                            aux_captures[a].push((own, capture.node));
                        }
                    }
                    return;
                }
                Owner::Rule(index) => index,
            };
            if !on[index] {
                return;
            }
            let rule = &rules[index];
            for capture in m.captures.iter().filter(|c| c.index == combined.finding) {
                let node = capture.node;
                if !seen.insert((index, node.id())) || rule.predicate.is_some_and(|p| !p(ctx, node))
                {
                    continue;
                }
                let mut finding = RawFinding::at(node);
                finding.fix = rule.fixer.and_then(|f| f(ctx, node));
                out.push((index, finding));
            }
        });
        if combined.tags.is_some() {
            ctx.prefill_symbols(
                arbor_syntax::extract_symbols_from(ctx.file, tag_matches).unwrap_or_default(),
            );
        }
        for ((a, _), mut captures) in combined.aux.iter().zip(aux_captures) {
            crate::rules::order_captures(&mut captures);
            ctx.prefill(a.key, captures);
        }
    }
}
