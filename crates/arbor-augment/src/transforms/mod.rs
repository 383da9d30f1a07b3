//! The transform catalog. Each transform has an id, a ReCode-style category and one edit
//! function per language it supports.

use arbor_syntax::{Language, ParsedFile};

use crate::engine::{Context, Edit, Skip};

mod clike;
mod common;
mod docs;
mod python;

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
    Transform {
        id: "rename-variables",
        category: "names",
        summary: "rename local variables and parameters, consistently and scope-aware",
        python: Some(python::rename_variables),
        javascript: Some(clike::rename_variables),
        rust: Some(clike::rename_variables),
    },
    Transform {
        id: "rename-function",
        category: "names",
        summary: "rename a top-level function and every reference to it in the file",
        python: Some(python::rename_function),
        javascript: Some(clike::rename_function),
        rust: Some(clike::rename_function),
    },
    Transform {
        id: "for-to-while",
        category: "syntax",
        summary: "turn a for loop into a while loop over the same iterator",
        python: Some(python::for_to_while),
        javascript: Some(clike::for_to_while),
        rust: Some(clike::for_to_while),
    },
    Transform {
        id: "while-to-for",
        category: "syntax",
        summary: "turn a while loop into a for loop over an endless iterator that breaks on the condition",
        python: Some(python::while_to_for),
        javascript: Some(clike::while_to_for),
        rust: Some(clike::while_to_for),
    },
    Transform {
        id: "swap-if-else",
        category: "syntax",
        summary: "swap the branches of an if/else and negate its condition",
        python: Some(python::swap_if_else),
        javascript: Some(clike::swap_if_else),
        rust: Some(clike::swap_if_else),
    },
    Transform {
        id: "dead-code",
        category: "syntax",
        summary: "insert an unreachable branch or an unused assignment at a statement position",
        python: Some(python::dead_code),
        javascript: Some(clike::dead_code),
        rust: Some(clike::dead_code),
    },
    Transform {
        id: "reorder-statements",
        category: "syntax",
        summary: "swap adjacent statements that neither read nor write each other's names",
        python: Some(python::reorder_statements),
        javascript: Some(clike::reorder_statements),
        rust: Some(clike::reorder_statements),
    },
    Transform {
        id: "reorder-imports",
        category: "syntax",
        summary: "shuffle a run of import statements",
        python: Some(python::reorder_imports),
        javascript: Some(clike::reorder_imports),
        rust: Some(clike::reorder_imports),
    },
    Transform {
        id: "augmented-assignment",
        category: "syntax",
        summary: "x += 1 <-> x = x + 1 (literal right-hand sides)",
        python: Some(python::augmented_assignment),
        javascript: Some(clike::augmented_assignment),
        rust: Some(clike::augmented_assignment),
    },
    Transform {
        id: "negated-comparison",
        category: "syntax",
        summary: "not a == b <-> a != b, not a in b <-> a not in b, not a is b <-> a is not b",
        python: Some(python::negated_comparison),
        javascript: Some(clike::negated_comparison),
        rust: Some(clike::negated_comparison),
    },
    Transform {
        id: "de-morgan",
        category: "syntax",
        summary: "not (a and b) <-> (not a or not b), and the same for or",
        python: Some(python::de_morgan),
        javascript: Some(clike::de_morgan),
        rust: Some(clike::de_morgan),
    },
    Transform {
        id: "blank-lines",
        category: "format",
        summary: "add blank lines between statements and remove existing ones",
        python: Some(common::blank_lines),
        javascript: Some(common::blank_lines),
        rust: Some(common::blank_lines),
    },
    Transform {
        id: "reindent",
        category: "format",
        summary: "change the indentation width (2, 3 or 8 spaces instead of the file's)",
        python: Some(common::reindent),
        javascript: Some(common::reindent),
        rust: Some(common::reindent),
    },
    Transform {
        id: "break-arguments",
        category: "format",
        summary: "put the arguments of a call one per line",
        python: Some(common::break_arguments),
        javascript: Some(common::break_arguments),
        rust: Some(common::break_arguments),
    },
    Transform {
        id: "remove-comments",
        category: "docstring",
        summary: "remove comments",
        python: Some(common::remove_comments),
        javascript: Some(common::remove_comments),
        rust: Some(common::remove_comments),
    },
    Transform {
        id: "remove-docstrings",
        category: "docstring",
        summary: "remove the docstrings of functions and classes",
        python: Some(python::remove_docstrings),
        javascript: Some(clike::remove_docstrings),
        rust: Some(clike::remove_docstrings),
    },
    Transform {
        id: "docstring-typos",
        category: "docstring",
        summary: "typos (two neighbouring letters swapped) in a few words of the documentation",
        python: Some(docs::docstring_typos),
        javascript: Some(docs::docstring_typos),
        rust: Some(docs::docstring_typos),
    },
    Transform {
        id: "docstring-synonyms",
        category: "docstring",
        summary: "some words of the documentation replaced by synonyms (names the code uses kept)",
        python: Some(docs::docstring_synonyms),
        javascript: Some(docs::docstring_synonyms),
        rust: Some(docs::docstring_synonyms),
    },
    Transform {
        id: "docstring-case",
        category: "docstring",
        summary: "letters of the documentation's prose upper-cased at random (ReCode's ChangeCharCase)",
        python: Some(docs::docstring_case),
        javascript: Some(docs::docstring_case),
        rust: Some(docs::docstring_case),
    },
];

/// A transform by id.
pub fn by_id(id: &str) -> Option<&'static Transform> {
    TRANSFORMS.iter().find(|t| t.id == id)
}
