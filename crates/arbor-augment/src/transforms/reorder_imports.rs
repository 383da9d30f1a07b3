//! reorder-imports: a run of import statements shuffled.

use arbor_syntax::node::{descendants, kind_is};
use arbor_syntax::ParsedFile;

use super::common::shuffle_run;
use super::Transform;
use crate::engine::{Context, Edit, Skip};

/// The registry entry.
pub(super) const TRANSFORM: Transform = Transform {
    id: "reorder-imports",
    category: "syntax",
    summary: "shuffle a run of import statements",
    python: Some(python),
    javascript: Some(javascript),
    rust: Some(rust),
};

/// reorder-imports: a run of two or more import statements in the module, each on its own
/// line, shuffled (`from __future__` imports, a kind of their own, are never part of one).
fn python(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    shuffle_run(file, ctx, vec![file.root()], &|s| {
        kind_is(s, &["import_statement", "import_from_statement"])
    })
}

/// reorder-imports (JavaScript): a run of two or more `import` declarations of the file,
/// shuffled.
fn javascript(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    shuffle_run(file, ctx, vec![file.root()], &|s| {
        s.kind() == "import_statement"
    })
}

/// reorder-imports (Rust): a run of two or more `use` declarations (of the file or a `mod`
/// body; not one under an attribute), shuffled.
fn rust(file: &ParsedFile, ctx: &mut Context) -> Result<Vec<Edit>, Skip> {
    let mut containers = vec![file.root()];
    containers.extend(
        descendants(file.root())
            .into_iter()
            .filter(|n| n.kind() == "declaration_list")
            .filter(|n| n.parent().is_some_and(|p| p.kind() == "mod_item")),
    );
    shuffle_run(file, ctx, containers, &|s| {
        s.kind() == "use_declaration"
            && s.prev_named_sibling()
                .is_none_or(|p| p.kind() != "attribute_item")
    })
}
