//! The registry of built-in rules: one typed entry per rule, holding its id, where its metadata
//! lives (the header of its query files, or [`Meta`] for a rule written in Rust) and its
//! implementation (query files with an optional Rust predicate and fix, or a Rust constructor
//! with the shared queries it reads). Nothing is looked up by a string: a rule's predicate cannot
//! be lost to a typo in its id, and a query file whose header names another id is an error.
//!
//! The invariants (ids unique and well-formed, every rule documented and with a fixture, every
//! lint query file on disk registered once, query files in the language of their id) are
//! checked by this module's tests.

use arbor_syntax::Language;

use crate::error::LintError;
use crate::query_rule::{self, AuxQuery, Fixer, Predicate, QueryRule, RuleFile};
use crate::rule::{Rule, RuleInfo, Severity};
use crate::rules::{javascript, metrics, python, rust};

/// A query a Rust rule reads the captures of: the key its captures are cached under in a
/// file's [`crate::rule::FileContext`], the same for every rule that shares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuxKey {
    /// A language's branch and nesting constructs (`grammars/<lang>/branches.scm`).
    Branches(Language),
}

impl AuxKey {
    /// The query of this key, compiled once.
    pub fn query(self) -> Result<AuxQuery, LintError> {
        Ok(match self {
            AuxKey::Branches(language) => metrics::branch_aux_query(language)?,
        })
    }
}

/// The metadata of a rule written in Rust (a query rule's is the header of its files).
#[derive(Debug, Clone, Copy)]
pub struct Meta {
    /// The language it applies to; `None` for every language.
    pub language: Option<Language>,
    /// Severity unless configured otherwise.
    pub severity: Severity,
    /// The message of its findings.
    pub message: &'static str,
    /// Why it matters.
    pub rationale: &'static str,
    /// A snippet that triggers it.
    pub example: &'static str,
    /// Whether its findings carry safe fixes.
    pub fixable: bool,
}

/// Builds a rule written in Rust from its description.
pub type Constructor = fn(RuleInfo) -> Result<Box<dyn Rule>, LintError>;

/// How a built-in rule is implemented.
#[derive(Clone, Copy)]
pub enum Implementation {
    /// Tree-sitter queries, one file per language, with an optional predicate and fix in Rust.
    Query {
        /// The rule's query files (their headers hold its metadata).
        files: &'static [RuleFile],
        /// Whether a `@finding` node really is a finding.
        predicate: Option<Predicate>,
        /// The edits that repair a finding.
        fixer: Option<Fixer>,
    },
    /// Rust code.
    Code {
        /// What the rule is.
        meta: Meta,
        /// Builds the rule.
        build: Constructor,
        /// The shared queries whose captures it reads.
        aux: &'static [AuxKey],
    },
}

/// One built-in rule.
#[derive(Clone, Copy)]
pub struct RuleEntry {
    /// Stable id: `<lang>/<name>`, or `all/<name>` for every language.
    pub id: &'static str,
    /// Its implementation (and where its metadata is).
    pub implementation: Implementation,
}

/// A lint query file of `grammars/<lang>/lint/`, from the syntax layer's registry of query
/// files (a file that is not there is a compile error).
macro_rules! rule_file {
    ($lang:ident $name:literal) => {
        RuleFile {
            language: Language::$lang,
            file: concat!("grammars/", rule_file!(@dir $lang), "/lint/", $name),
            text: const {
                arbor_syntax::queries::by_path(concat!(
                    "grammars/",
                    rule_file!(@dir $lang),
                    "/lint/",
                    $name
                ))
                .text
            },
        }
    };
    (@dir Python) => {
        "python"
    };
    (@dir JavaScript) => {
        "javascript"
    };
    (@dir Rust) => {
        "rust"
    };
}

/// A query rule's entry.
const fn query(
    id: &'static str,
    files: &'static [RuleFile],
    predicate: Option<Predicate>,
    fixer: Option<Fixer>,
) -> RuleEntry {
    RuleEntry {
        id,
        implementation: Implementation::Query {
            files,
            predicate,
            fixer,
        },
    }
}

/// A Rust rule's entry.
const fn code(
    id: &'static str,
    meta: Meta,
    build: Constructor,
    aux: &'static [AuxKey],
) -> RuleEntry {
    RuleEntry {
        id,
        implementation: Implementation::Code { meta, build, aux },
    }
}

const BRANCHES: &[AuxKey] = &[
    AuxKey::Branches(Language::Python),
    AuxKey::Branches(Language::JavaScript),
    AuxKey::Branches(Language::Rust),
];

/// Every built-in rule.
pub const BUILTIN_RULES: &[RuleEntry] = &[
    query(
        "py/bare-except",
        &[rule_file!(Python "bare-except.scm")],
        Some(python::does_not_reraise),
        None,
    ),
    query(
        "py/none-comparison",
        &[rule_file!(Python "none-comparison.scm")],
        None,
        Some(python::fix_none_comparison),
    ),
    query("py/eval-exec", &[rule_file!(Python "eval-exec.scm")], None, None),
    query("py/assert-tuple", &[rule_file!(Python "assert-tuple.scm")], None, None),
    query("py/mutable-default", &[rule_file!(Python "mutable-default.scm")], None, None),
    query(
        "py/except-pass",
        &[rule_file!(Python "except-pass.scm")],
        Some(python::swallows_every_error),
        None,
    ),
    query(
        "py/fstring-no-placeholder",
        &[rule_file!(Python "fstring-no-placeholder.scm")],
        Some(python::has_no_placeholder),
        None,
    ),
    query(
        "py/redefined-builtin",
        &[rule_file!(Python "redefined-builtin.scm")],
        Some(python::shadows_builtin),
        None,
    ),
    query(
        "all/todo-comment",
        &[
            rule_file!(Python "todo-comment.scm"),
            rule_file!(JavaScript "todo-comment.scm"),
            rule_file!(Rust "todo-comment.scm"),
        ],
        None,
        None,
    ),
    query(
        "js/eqeqeq",
        &[rule_file!(JavaScript "eqeqeq.scm")],
        Some(javascript::not_null_comparison),
        Some(javascript::fix_eqeqeq),
    ),
    query("js/no-var", &[rule_file!(JavaScript "no-var.scm")], None, None),
    query("js/no-eval", &[rule_file!(JavaScript "no-eval.scm")], None, None),
    query("js/no-debugger", &[rule_file!(JavaScript "no-debugger.scm")], None, None),
    query("js/empty-catch", &[rule_file!(JavaScript "empty-catch.scm")], None, None),
    query("js/no-console", &[rule_file!(JavaScript "no-console.scm")], None, None),
    query("rs/unwrap", &[rule_file!(Rust "unwrap.scm")], Some(rust::outside_tests), None),
    query("rs/todo", &[rule_file!(Rust "todo.scm")], Some(rust::is_macro_call), None),
    query("rs/dbg", &[rule_file!(Rust "dbg.scm")], Some(rust::is_macro_call), None),
    query(
        "rs/unsafe-without-safety",
        &[rule_file!(Rust "unsafe-without-safety.scm")],
        Some(rust::lacks_safety_comment),
        None,
    ),
    query("rs/panic", &[rule_file!(Rust "panic.scm")], Some(rust::in_library_code), None),
    code(
        "py/unused-import",
        Meta {
            language: Some(Language::Python),
            severity: Severity::Warning,
            message: "imported but unused",
            rationale: "Unused imports slow start-up, hide real dependencies and create import cycles. Unlike ruff's F401, `__init__.py` files are skipped: their imports are the package's interface.",
            example: "import os  # os is never used",
            fixable: true,
        },
        python::unused_import,
        &[],
    ),
    code(
        "py/unused-variable",
        Meta {
            language: Some(Language::Python),
            severity: Severity::Warning,
            message: "local variable is assigned but never used",
            rationale: "A value computed and dropped is dead code or a bug (a typo in the name that reads it).",
            example: "def f():\n    result = compute()\n    return None",
            fixable: false,
        },
        python::unused_variable,
        &[],
    ),
    code(
        "js/unused-variable",
        Meta {
            language: Some(Language::JavaScript),
            severity: Severity::Warning,
            message: "variable is declared but never used",
            rationale: "A value computed and dropped is dead code or a bug (a typo in the name that reads it). \
                        Checks `var`/`let`/`const` (destructured too), function and class declarations and \
                        imports, resolved through function and block scopes; writes (`x = 1`, `x++`, \
                        `x = f(x);`) are not uses. Not checked: parameters, caught errors, `_names`, names \
                        destructured beside a `...rest`, exported names, and the top-level names of a \
                        script (a file without `import`/`export`/`require`/`module`/`exports`), which are \
                        globals other scripts may read.",
            example: "function f() {\n  const unused = compute();\n}",
            fixable: false,
        },
        javascript::unused_variable,
        &[],
    ),
    code(
        "all/function-too-long",
        Meta {
            language: None,
            severity: Severity::Warning,
            message: "function is longer than the limit (thresholds.max-function-lines, default 80)",
            rationale: "Long functions do several things; they are hard to name, test and review.",
            example: "a function body of 200 lines",
            fixable: false,
        },
        metrics::function_too_long,
        &[],
    ),
    code(
        "all/complexity",
        Meta {
            language: None,
            severity: Severity::Warning,
            message: "function is too complex (thresholds.max-complexity, default 10; thresholds.complexity-counting = \"mccabe\" counts Python as flake8's C901)",
            rationale: "Cyclomatic complexity counts independent paths; each one needs a test. Arbor counts one plus each branch of the function itself (if, elif, loop, except, case, conditional expression, boolean operator, comprehension for/if); `complexity-counting = \"mccabe\"` counts Python as the mccabe package does (statements only, try as 1 + its handlers, nested functions in their parent, module-level blocks reported).",
            example: "a function with a dozen nested ifs and boolean conditions",
            fixable: false,
        },
        metrics::complexity,
        BRANCHES,
    ),
    code(
        "all/nesting-too-deep",
        Meta {
            language: None,
            severity: Severity::Warning,
            message: "blocks are nested deeper than the limit (thresholds.max-nesting, default 4)",
            rationale: "Deep nesting hides the main path; early returns and helper functions flatten it.",
            example: "if a:\n    for b in c:\n        while d:\n            if e:\n                with f:",
            fixable: false,
        },
        metrics::nesting,
        BRANCHES,
    ),
];

/// The built-in rules, built from the registry.
pub struct Builtin {
    /// The query rules, in registry order.
    pub query_rules: Vec<QueryRule>,
    /// The rules written in Rust, in registry order.
    pub code_rules: Vec<Box<dyn Rule>>,
    /// The shared queries the Rust rules read, each once.
    pub aux: Vec<AuxQuery>,
}

impl RuleEntry {
    /// The description of a Rust rule from its entry.
    fn code_info(&self, meta: &Meta) -> RuleInfo {
        RuleInfo {
            id: self.id.to_string(),
            language: meta.language,
            severity: meta.severity,
            message: meta.message.to_string(),
            rationale: meta.rationale.to_string(),
            example: meta.example.to_string(),
            fixable: meta.fixable,
        }
    }
}

/// Builds every rule of [`BUILTIN_RULES`].
pub fn builtin() -> Result<Builtin, LintError> {
    let mut built = Builtin {
        query_rules: Vec::new(),
        code_rules: Vec::new(),
        aux: Vec::new(),
    };
    for entry in BUILTIN_RULES {
        match entry.implementation {
            Implementation::Query {
                files,
                predicate,
                fixer,
            } => built
                .query_rules
                .push(query_rule::from_files(entry.id, files)?.with_code(predicate, fixer)),
            Implementation::Code { meta, build, aux } => {
                built.code_rules.push(build(entry.code_info(&meta))?);
                for key in aux {
                    if !built.aux.iter().any(|a| a.key == *key) {
                        built.aux.push(key.query()?);
                    }
                }
            }
        }
    }
    Ok(built)
}

/// Every built-in query rule file.
pub fn builtin_rule_files() -> impl Iterator<Item = &'static RuleFile> {
    BUILTIN_RULES
        .iter()
        .flat_map(|entry| match entry.implementation {
            Implementation::Query { files, .. } => files,
            Implementation::Code { .. } => &[],
        })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// The language an id's prefix names (`None` for `all/`).
    fn prefix_language(id: &str) -> Option<Language> {
        match id.split_once('/').map(|(prefix, _)| prefix) {
            Some("py") => Some(Language::Python),
            Some("js") => Some(Language::JavaScript),
            Some("rs") => Some(Language::Rust),
            Some("all") => None,
            _ => panic!("{id}: the prefix is not py/, js/, rs/ or all/"),
        }
    }

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = BTreeSet::new();
        for entry in BUILTIN_RULES {
            assert!(seen.insert(entry.id), "{} is registered twice", entry.id);
            let (_, name) = entry.id.split_once('/').unwrap();
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}: names are lower-case words joined by `-`",
                entry.id
            );
            prefix_language(entry.id);
            assert!(
                entry.id != crate::SYNTAX_ERROR && entry.id != crate::UNUSED_SUPPRESSION,
                "{} is a pseudo-rule's id",
                entry.id
            );
        }
    }

    #[test]
    fn every_entry_builds_with_its_own_id_and_is_documented() {
        let built = builtin().unwrap();
        let infos: Vec<&RuleInfo> = built
            .query_rules
            .iter()
            .map(|r| r.info())
            .chain(built.code_rules.iter().map(|r| r.info()))
            .collect();
        assert_eq!(infos.len(), BUILTIN_RULES.len());
        for entry in BUILTIN_RULES {
            let matching: Vec<_> = infos.iter().filter(|i| i.id == entry.id).collect();
            assert_eq!(matching.len(), 1, "{}", entry.id);
            let info = matching[0];
            assert!(!info.message.is_empty(), "{} has no message", info.id);
            assert!(!info.rationale.is_empty(), "{} has no rationale", info.id);
            assert!(!info.example.is_empty(), "{} has no example", info.id);
            let language = prefix_language(entry.id);
            assert!(
                info.language == language,
                "{}: applies to {:?}, its prefix says {language:?}",
                info.id,
                info.language
            );
            if let Implementation::Query { files, fixer, .. } = entry.implementation {
                assert_eq!(info.fixable, fixer.is_some(), "{}", info.id);
                for file in files {
                    assert!(
                        language.is_none_or(|l| l == file.language),
                        "{}: {} is not in its language",
                        info.id,
                        file.file
                    );
                }
                if language.is_none() {
                    let covered: BTreeSet<Language> = files.iter().map(|f| f.language).collect();
                    assert_eq!(covered.len(), Language::ALL.len(), "{}", info.id);
                }
            }
        }
    }

    #[test]
    fn every_shared_query_compiles_and_is_read_by_a_rule() {
        let built = builtin().unwrap();
        let keys = Language::ALL.iter().map(|&l| AuxKey::Branches(l));
        for key in keys {
            let aux = key.query().unwrap();
            assert_eq!(aux.key, key);
            assert!(
                built.aux.iter().any(|a| a.key == key),
                "{key:?} is read by no rule"
            );
        }
    }

    #[test]
    fn a_header_naming_another_id_is_refused() {
        let file = rule_file!(Python "bare-except.scm");
        let err = query_rule::from_files("py/bare-exept", &[file])
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            err,
            "grammars/python/lint/bare-except.scm:1: the header's id `py/bare-except` is not the registered id `py/bare-exept`"
        );
    }

    #[test]
    fn every_lint_file_on_disk_is_registered_once() {
        let registered: Vec<&str> = builtin_rule_files().map(|f| f.file).collect();
        let unique: BTreeSet<&str> = registered.iter().copied().collect();
        assert_eq!(unique.len(), registered.len(), "a file is registered twice");
        let mut on_disk = BTreeSet::new();
        for language in Language::ALL {
            let dir = root().join("grammars").join(language.name()).join("lint");
            for entry in std::fs::read_dir(&dir).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                on_disk.insert(format!("grammars/{}/lint/{name}", language.name()));
            }
        }
        let registered: BTreeSet<String> = unique.iter().map(|f| f.to_string()).collect();
        assert_eq!(
            registered, on_disk,
            "registered query files ≠ files on disk"
        );
    }

    #[test]
    fn every_rule_has_a_fixture_and_every_fixture_a_rule() {
        let dir = root().join("tests/fixtures/lint");
        let fixtures: BTreeSet<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                stem.replacen('.', "/", 1)
            })
            .collect();
        let ids: BTreeSet<String> = BUILTIN_RULES.iter().map(|e| e.id.to_string()).collect();
        for id in &ids {
            assert!(
                fixtures.contains(id),
                "{id} has no fixture in {}",
                dir.display()
            );
        }
        for id in &fixtures {
            assert!(
                ids.contains(id),
                "the fixture of {id} names no registered rule"
            );
        }
    }
}
