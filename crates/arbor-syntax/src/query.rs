//! The tree-sitter query files under `grammars/<lang>/`, embedded at build time and compiled once.

use std::sync::OnceLock;

use tree_sitter::Query;

use crate::error::SyntaxError;
use crate::language::Language;
use crate::symbols::SymbolKind;

/// One query file of the project: where it lives and its text.
#[derive(Debug, Clone, Copy)]
pub struct QuerySource {
    /// The language whose grammar the query is written against.
    pub language: Language,
    /// Path relative to the repository root, e.g. `grammars/rust/tags.scm`.
    pub file: &'static str,
    /// The query text.
    pub text: &'static str,
}

/// The symbol (tags) queries, one per language.
pub const TAGS_QUERIES: [QuerySource; 3] = [
    QuerySource {
        language: Language::Rust,
        file: "grammars/rust/tags.scm",
        text: include_str!("../../../grammars/rust/tags.scm"),
    },
    QuerySource {
        language: Language::Python,
        file: "grammars/python/tags.scm",
        text: include_str!("../../../grammars/python/tags.scm"),
    },
    QuerySource {
        language: Language::JavaScript,
        file: "grammars/javascript/tags.scm",
        text: include_str!("../../../grammars/javascript/tags.scm"),
    },
];

impl QuerySource {
    /// Compiles the query against its language's grammar. Errors name the file and the 1-based
    /// line and column of the offending text.
    pub fn compile(&self) -> Result<Query, SyntaxError> {
        compile_query(self.language, self.file, self.text)
    }
}

/// Compiles `text` (read from `file`) as a query for `language`, with errors that point into the file.
pub fn compile_query(language: Language, file: &str, text: &str) -> Result<Query, SyntaxError> {
    Query::new(&language.grammar(), text).map_err(|e| SyntaxError::Query {
        file: file.to_string(),
        row: e.row + 1,
        column: e.column + 1,
        message: format!("{:?}: {}", e.kind, e.message.trim()),
    })
}

/// A compiled tags query with the indices of its captures resolved.
#[derive(Debug)]
pub(crate) struct TagsQuery {
    pub query: Query,
    pub name_capture: u32,
    /// For each capture index: the symbol kind, if the capture is `@definition.<kind>`.
    pub definition_kinds: Vec<Option<SymbolKind>>,
}

impl TagsQuery {
    fn compile(source: &QuerySource) -> Result<TagsQuery, SyntaxError> {
        let query = source.compile()?;
        let invalid = |message: String| SyntaxError::Query {
            file: source.file.to_string(),
            row: 1,
            column: 1,
            message,
        };
        let mut name_capture = None;
        let mut definition_kinds = Vec::new();
        for (index, name) in query.capture_names().iter().enumerate() {
            let kind =
                if *name == "name" {
                    name_capture = Some(index as u32);
                    None
                } else if let Some(kind) = name.strip_prefix("definition.") {
                    Some(kind.parse::<SymbolKind>().map_err(|_| {
                        invalid(format!("unknown symbol kind in capture `@{name}`"))
                    })?)
                } else {
                    return Err(invalid(format!(
                        "unexpected capture `@{name}` (use @name and @definition.<kind>)"
                    )));
                };
            definition_kinds.push(kind);
        }
        let name_capture =
            name_capture.ok_or_else(|| invalid("the query has no @name capture".into()))?;
        Ok(TagsQuery {
            query,
            name_capture,
            definition_kinds,
        })
    }
}

/// The compiled tags query of `language`, compiled on first use and shared by all threads.
pub(crate) fn tags_query(language: Language) -> Result<&'static TagsQuery, SyntaxError> {
    static CELLS: [OnceLock<Result<TagsQuery, String>>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let index = Language::ALL
        .iter()
        .position(|l| *l == language)
        .expect("every language is in Language::ALL");
    let source = &TAGS_QUERIES[index];
    debug_assert_eq!(source.language, language);
    CELLS[index]
        .get_or_init(|| TagsQuery::compile(source).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|message| SyntaxError::BuiltinQuery(message.clone()))
}

/// Compiles every query file of the project, reporting the first that fails.
pub fn validate_all() -> Result<(), SyntaxError> {
    for source in &TAGS_QUERIES {
        TagsQuery::compile(source)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_compiles_against_its_grammar() {
        for source in &TAGS_QUERIES {
            let tags = TagsQuery::compile(source)
                .unwrap_or_else(|e| panic!("{} does not compile: {e}", source.file));
            assert!(
                tags.definition_kinds.iter().any(Option::is_some),
                "{} defines no symbols",
                source.file
            );
            assert!(tags.query.pattern_count() > 0);
        }
        validate_all().unwrap();
    }

    #[test]
    fn every_scm_file_under_grammars_compiles() {
        // Query files added later (lint rules, …) must compile too, even before code uses them.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../grammars");
        let mut seen = 0;
        for language in Language::ALL {
            let dir = root.join(language.name());
            let mut stack = vec![dir];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path.extension().is_some_and(|e| e == "scm") {
                        let text = std::fs::read_to_string(&path).unwrap();
                        compile_query(language, &path.display().to_string(), &text)
                            .unwrap_or_else(|e| panic!("{e}"));
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen >= 3, "found only {seen} query files");
    }

    #[test]
    fn query_errors_point_at_the_offending_position() {
        let err = compile_query(
            Language::Python,
            "bad.scm",
            "(function_definition)\n(no_such_node) @x",
        )
        .unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("bad.scm:2:2: invalid query"),
            "{message}"
        );
        assert!(message.contains("NodeType"), "{message}");
    }
}
