//! Each rule's documentation as a small Markdown file in Arbor's cache
//! (`$ARBOR_CACHE/docs/rules-VERSION/<lang>-<name>.md`), written from the linter's own rule
//! table when the server starts, so that a diagnostic's `codeDescription` links to a page
//! that exists offline and says what the running version does.

use std::path::{Path, PathBuf};

use arbor_lint::{Linter, RuleInfo};

/// The file of rule `id` under `dir`.
pub fn page(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{}.md", id.replace(['/', '\\'], "-")))
}

fn render(rule: &RuleInfo) -> String {
    let language = rule
        .language
        .map_or("every language".to_string(), |l| l.name().to_string());
    let marker = match rule.language {
        Some(arbor_lint::Language::Python) => "#",
        _ => "//",
    };
    let fence = match rule.language {
        Some(l) => l.name(),
        None => "",
    };
    let mut text = format!(
        "# {id}\n\n{message}\n\n- severity: {severity}\n- language: {language}\n- safe fix: {fix}\n\n",
        id = rule.id,
        message = rule.message,
        severity = rule.severity.name(),
        fix = if rule.fixable { "yes (quick fix, `source.fixAll.arbor`, `arbor lint --fix`)" } else { "no" },
    );
    if !rule.rationale.is_empty() {
        text.push_str(&format!("## Why\n\n{}\n\n", rule.rationale));
    }
    if !rule.example.is_empty() {
        text.push_str(&format!(
            "## Example\n\n```{fence}\n{}\n```\n\n",
            rule.example.trim_end()
        ));
    }
    text.push_str(&format!(
        "## Suppressing it\n\nOn the line (or alone on the line above): `{marker} arbor: ignore[{id}]`; \
         in the whole file: `{marker} arbor: ignore-file[{id}]`; everywhere: `ignore = [\"{id}\"]` \
         in `arbor.toml`.\n",
        id = rule.id
    ));
    text
}

/// Writes the page of every rule of `linter` (those that differ) under the cache; the
/// folder, or `None` when the cache cannot be written.
pub fn write(linter: &Linter) -> Option<PathBuf> {
    let dir = arbor_fetch::cache_root()
        .join("docs")
        .join(format!("rules-{}", env!("CARGO_PKG_VERSION")));
    std::fs::create_dir_all(&dir).ok()?;
    for rule in linter.rules() {
        let path = page(&dir, &rule.id);
        let text = render(rule);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            // Whole or not at all: another server may be reading it.
            let temporary = path.with_extension(format!("md.{}", std::process::id()));
            std::fs::write(&temporary, text).ok()?;
            std::fs::rename(&temporary, &path).ok()?;
        }
    }
    Some(dir)
}
