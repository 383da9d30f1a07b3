//! The transform catalog. Each transform lives in a module of its own that holds its code for
//! every language it supports (Python, JavaScript, Rust) beside its registry entry
//! (`TRANSFORM`): id, ReCode-style category, summary and one edit function per language.
//! Helpers that several transforms share live in `common` (edit sites, statements,
//! expressions), `bindings` (Python name binding) and `docs` (documentation prose).

use arbor_syntax::{Language, ParsedFile};

use crate::engine::{Context, Edit, Skip};

mod bindings;
mod common;
mod docs;

mod augmented_assignment;
mod blank_lines;
mod break_arguments;
mod de_morgan;
mod dead_code;
mod docstring_case;
mod docstring_synonyms;
mod docstring_typos;
mod for_to_while;
mod negated_comparison;
mod reindent;
mod remove_comments;
mod remove_docstrings;
mod rename_function;
mod rename_variables;
mod reorder_imports;
mod reorder_statements;
mod swap_if_else;
mod while_to_for;

/// What a transform computes: the edits for a file, or why it cannot apply.
pub type EditFn = fn(&ParsedFile, &mut Context) -> Result<Vec<Edit>, Skip>;

/// A semantics-preserving transform.
#[derive(Debug)]
pub struct Transform {
    /// Its name on the command line and in outputs.
    pub id: &'static str,
    /// What ReCode would call it: `names`, `syntax`, `format` or `docstring`.
    pub category: &'static str,
    /// One line about it.
    pub summary: &'static str,
    python: Option<EditFn>,
    javascript: Option<EditFn>,
    rust: Option<EditFn>,
}

impl Transform {
    /// Whether it has a version for `language`.
    pub fn supports(&self, language: Language) -> bool {
        self.edit_fn(language).is_some()
    }

    /// The languages it supports.
    pub fn languages(&self) -> Vec<Language> {
        [Language::Python, Language::JavaScript, Language::Rust]
            .into_iter()
            .filter(|l| self.supports(*l))
            .collect()
    }

    /// A transform with the same edit function for every language.
    const fn everywhere(
        id: &'static str,
        category: &'static str,
        summary: &'static str,
        edits: EditFn,
    ) -> Transform {
        Transform {
            id,
            category,
            summary,
            python: Some(edits),
            javascript: Some(edits),
            rust: Some(edits),
        }
    }

    fn edit_fn(&self, language: Language) -> Option<EditFn> {
        match language {
            Language::Python => self.python,
            Language::JavaScript => self.javascript,
            Language::Rust => self.rust,
        }
    }

    /// The edits for `file`.
    pub fn edits(&self, file: &ParsedFile, context: &mut Context) -> Result<Vec<Edit>, Skip> {
        match self.edit_fn(file.language()) {
            Some(f) => f(file, context),
            None => Err(Skip::because("not available for this language")),
        }
    }
}

/// Every transform, in a stable order.
pub static TRANSFORMS: &[Transform] = &[
    rename_variables::TRANSFORM,
    rename_function::TRANSFORM,
    for_to_while::TRANSFORM,
    while_to_for::TRANSFORM,
    swap_if_else::TRANSFORM,
    dead_code::TRANSFORM,
    reorder_statements::TRANSFORM,
    reorder_imports::TRANSFORM,
    augmented_assignment::TRANSFORM,
    negated_comparison::TRANSFORM,
    de_morgan::TRANSFORM,
    blank_lines::TRANSFORM,
    reindent::TRANSFORM,
    break_arguments::TRANSFORM,
    remove_comments::TRANSFORM,
    remove_docstrings::TRANSFORM,
    docstring_typos::TRANSFORM,
    docstring_synonyms::TRANSFORM,
    docstring_case::TRANSFORM,
];

/// A transform by id.
pub fn by_id(id: &str) -> Option<&'static Transform> {
    TRANSFORMS.iter().find(|t| t.id == id)
}
