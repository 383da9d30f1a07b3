//! Repository context for a completion: the definitions the text before the cursor refers to,
//! and the indexed chunks most like the lines before the cursor.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use arbor_index::{CodeIndex, Query, SearchOptions};
use arbor_syntax::{Language, ParsedFile, Symbol, WalkOptions};

use crate::error::CompleteError;

/// Why a piece of context was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextKind {
    /// The definition of a name used before the cursor.
    Definition,
    /// A chunk the search index ranked high for the lines before the cursor.
    Similar,
}

/// A piece of repository code for the prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextItem {
    /// Why it was chosen.
    pub kind: ContextKind,
    /// Its file, relative to the repository root, with `/` separators.
    pub path: String,
    /// 1-based first line.
    pub line: usize,
    /// The name it defines, for definitions.
    pub name: Option<String>,
    /// The code (whole lines, at most [`ContextOptions::max_lines`]).
    pub text: String,
}

/// Limits of the context search.
#[derive(Debug, Clone)]
pub struct ContextOptions {
    /// Names (most recent first) looked up.
    pub max_names: usize,
    /// Definitions kept.
    pub max_definitions: usize,
    /// Similar chunks kept (only with an index).
    pub max_similar: usize,
    /// Lines kept of each piece.
    pub max_lines: usize,
    /// Without an index, at most this many repository files are parsed to find definitions.
    pub max_files: usize,
    /// The search index, when the repository has one.
    pub index_dir: Option<PathBuf>,
}

impl Default for ContextOptions {
    fn default() -> Self {
        ContextOptions {
            max_names: 40,
            max_definitions: 8,
            max_similar: 3,
            max_lines: 24,
            max_files: 3000,
            index_dir: None,
        }
    }
}

/// Identifiers in the last lines of `prefix`, the one nearest the cursor first, without
/// duplicates. The word the cursor is in is left out (it is still being typed).
pub fn recent_identifiers(prefix: &str, max_lines: usize, max_names: usize) -> Vec<String> {
    let start = prefix
        .char_indices()
        .rev()
        .filter(|(_, c)| *c == '\n')
        .nth(max_lines)
        .map_or(0, |(i, _)| i + 1);
    let window = &prefix[start..];
    let is_ident = |c: char| c == '_' || c.is_alphanumeric();
    let typing = window.chars().last().is_some_and(is_ident);
    let mut words: Vec<&str> = window
        .split(|c: char| !is_ident(c))
        .filter(|w| w.chars().next().is_some_and(|c| !c.is_ascii_digit()))
        .filter(|w| w.len() > 1)
        .collect();
    if typing {
        words.pop();
    }
    let mut seen = HashSet::new();
    let mut names = Vec::new();
    for w in words.iter().rev() {
        if *w != "self" && *w != "this" && seen.insert(*w) {
            names.push(w.to_string());
            if names.len() == max_names {
                break;
            }
        }
    }
    names
}

/// Identifiers in the syntax tree of `file` in the 60 lines before byte `cursor` (so not in
/// strings or comments), the one nearest the cursor first, without duplicates; the word the
/// cursor is in is left out.
pub fn identifiers_before(file: &ParsedFile, cursor: usize, max_names: usize) -> Vec<String> {
    let source = file.source();
    let window_start = source[..cursor]
        .char_indices()
        .rev()
        .filter(|(_, c)| *c == '\n')
        .nth(60)
        .map_or(0, |(i, _)| i + 1);
    let mut found: Vec<(usize, &str)> = Vec::new();
    let mut walk = file.tree().walk();
    'outer: loop {
        let node = walk.node();
        let overlaps = node.end_byte() > window_start && node.start_byte() < cursor;
        if overlaps && node.kind().ends_with("identifier") && node.end_byte() < cursor {
            if let Some(text) = source.get(node.start_byte()..node.end_byte()) {
                found.push((node.start_byte(), text));
            }
        } else if overlaps && walk.goto_first_child() {
            continue;
        }
        while !walk.goto_next_sibling() {
            if !walk.goto_parent() {
                break 'outer;
            }
        }
    }
    found.sort_by_key(|(start, _)| std::cmp::Reverse(*start));
    let mut seen = HashSet::new();
    found
        .into_iter()
        .map(|(_, t)| t)
        .filter(|t| t.len() > 1 && *t != "self" && *t != "this" && seen.insert(*t))
        .take(max_names)
        .map(str::to_string)
        .collect()
}

/// The lines of `symbol` in `source` (from the start of its first line, doc comment included),
/// at most `max_lines` of them.
fn definition_text(source: &str, symbol: &Symbol, max_lines: usize) -> String {
    let start = symbol.doc_span.map_or(symbol.span.start_byte, |d| {
        d.start_byte.min(symbol.span.start_byte)
    });
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let end = symbol.span.end_byte.min(source.len());
    source[line_start..end]
        .lines()
        .take(max_lines)
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_definition_kind(symbol: &Symbol) -> bool {
    !matches!(symbol.kind, arbor_syntax::SymbolKind::Impl)
}

/// Collects the context for a cursor at byte `cursor` of `file` (`path` relative to `root`).
pub fn gather_context(
    root: &Path,
    path: &str,
    file: &ParsedFile,
    cursor: usize,
    options: &ContextOptions,
) -> Result<Vec<ContextItem>, CompleteError> {
    let source = file.source();
    let names = identifiers_before(file, cursor, options.max_names);
    let rank: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    // (rank of the name, item)
    let mut found: Vec<(usize, ContextItem)> = Vec::new();
    let mut seen: HashSet<(String, usize)> = HashSet::new();
    let mut add = |found: &mut Vec<(usize, ContextItem)>, r: usize, item: ContextItem| {
        if seen.insert((item.path.clone(), item.line)) {
            found.push((r, item));
        }
    };
    // Definitions in this file that the prefix does not show: those after the cursor.
    for symbol in file.symbols()? {
        if let Some(&r) = rank.get(symbol.name.as_str()) {
            if symbol.span.start_byte >= cursor && is_definition_kind(&symbol) {
                let item = ContextItem {
                    kind: ContextKind::Definition,
                    path: path.to_string(),
                    line: symbol.first_line(),
                    name: Some(symbol.name.clone()),
                    text: definition_text(source, &symbol, options.max_lines),
                };
                add(&mut found, r, item);
            }
        }
    }
    let index = match &options.index_dir {
        // An index that cannot be opened (corrupt, another format) is passed over: the
        // repository walk below finds the definitions without it.
        Some(dir) if dir.is_dir() => CodeIndex::open(dir).ok(),
        _ => None,
    };
    // Definitions elsewhere in the repository.
    let mut elsewhere = match &index {
        Some(index) => definitions_from_index(index, root, path, &names, options)?,
        None => definitions_by_walking(root, path, file.language(), &rank, options)?,
    };
    elsewhere.sort_by_key(|(r, item)| (*r, item.path.clone(), item.line));
    for (r, item) in elsewhere {
        add(&mut found, r, item);
    }
    found.sort_by_key(|(r, _)| *r);
    let mut items: Vec<ContextItem> = found
        .into_iter()
        .map(|(_, item)| item)
        .take(options.max_definitions)
        .collect();
    if let Some(index) = &index {
        for item in similar_chunks(index, root, path, &source[..cursor], options)? {
            if items
                .iter()
                .all(|i| (i.path.as_str(), i.line) != (item.path.as_str(), item.line))
            {
                items.push(item);
            }
        }
    }
    Ok(items)
}

/// Reads and parses a repository file, or `None` when it is gone or unreadable.
fn parse_repo_file(root: &Path, path: &str) -> Option<ParsedFile> {
    let full = root.join(path);
    let language = Language::from_path(&full)?;
    let source = arbor_syntax::read_source(&full, arbor_syntax::DEFAULT_MAX_FILE_SIZE).ok()?;
    ParsedFile::parse(full, language, source).ok()
}

fn definitions_from_index(
    index: &CodeIndex,
    root: &Path,
    path: &str,
    names: &[String],
    options: &ContextOptions,
) -> Result<Vec<(usize, ContextItem)>, CompleteError> {
    let mut out = Vec::new();
    let search = SearchOptions {
        limit: 3,
        snippet_lines: 1,
    };
    for (r, name) in names.iter().enumerate() {
        if out.len() >= options.max_definitions * 2 {
            break;
        }
        let Ok(query) = Query::parse(&format!("sym:{name}")) else {
            continue;
        };
        for hit in index.search(&query, &search)? {
            if hit.path == path || hit.symbol.as_deref() != Some(name.as_str()) {
                continue;
            }
            let Some(file) = parse_repo_file(root, &hit.path) else {
                continue;
            };
            let Ok(symbols) = file.symbols() else {
                continue;
            };
            if let Some(symbol) = symbols
                .iter()
                .find(|s| s.name == *name && s.first_line() == hit.line && is_definition_kind(s))
                .or_else(|| {
                    symbols
                        .iter()
                        .find(|s| s.name == *name && is_definition_kind(s))
                })
            {
                out.push((
                    r,
                    ContextItem {
                        kind: ContextKind::Definition,
                        path: hit.path.clone(),
                        line: symbol.first_line(),
                        name: Some(name.clone()),
                        text: definition_text(file.source(), symbol, options.max_lines),
                    },
                ));
            }
        }
    }
    Ok(out)
}

fn definitions_by_walking(
    root: &Path,
    path: &str,
    language: Language,
    rank: &HashMap<&str, usize>,
    options: &ContextOptions,
) -> Result<Vec<(usize, ContextItem)>, CompleteError> {
    if rank.is_empty() || !root.is_dir() {
        return Ok(Vec::new());
    }
    let walk = arbor_syntax::walk(
        root,
        &WalkOptions {
            languages: vec![language],
            ..WalkOptions::default()
        },
    )?;
    let files: Vec<_> = walk.files.into_iter().take(options.max_files).collect();
    let results = arbor_syntax::parse_files(&files, arbor_syntax::DEFAULT_MAX_FILE_SIZE, |file| {
        let rel = arbor_index::index::relative_path(root, file.path());
        if rel == path {
            return Vec::new();
        }
        let Ok(symbols) = file.symbols() else {
            return Vec::new();
        };
        symbols
            .iter()
            .filter(|s| is_definition_kind(s))
            .filter_map(|s| {
                rank.get(s.name.as_str()).map(|&r| {
                    (
                        r,
                        ContextItem {
                            kind: ContextKind::Definition,
                            path: rel.clone(),
                            line: s.first_line(),
                            name: Some(s.name.clone()),
                            text: definition_text(file.source(), s, options.max_lines),
                        },
                    )
                })
            })
            .collect::<Vec<_>>()
    });
    Ok(results.into_iter().flatten().flatten().collect())
}

fn similar_chunks(
    index: &CodeIndex,
    root: &Path,
    path: &str,
    prefix: &str,
    options: &ContextOptions,
) -> Result<Vec<ContextItem>, CompleteError> {
    if options.max_similar == 0 {
        return Ok(Vec::new());
    }
    let words = recent_identifiers(prefix, 6, 12);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let Ok(query) = Query::parse(&words.join(" ")) else {
        return Ok(Vec::new());
    };
    let hits = index.search(
        &query,
        &SearchOptions {
            limit: options.max_similar + 5,
            snippet_lines: 1,
        },
    )?;
    let mut out: Vec<ContextItem> = Vec::new();
    for hit in hits {
        if hit.path == path || out.len() >= options.max_similar {
            continue;
        }
        let Some(file) = parse_repo_file(root, &hit.path) else {
            continue;
        };
        let symbols = file.symbols().unwrap_or_default();
        // The innermost definition around the hit, else the lines from the hit on.
        let around = symbols
            .iter()
            .filter(|s| s.first_line() <= hit.line && hit.line <= s.span.end.line)
            .filter(|s| is_definition_kind(s))
            .min_by_key(|s| s.span.end_byte - s.span.start_byte);
        let (line, name, text) = match around {
            Some(s) => (
                s.first_line(),
                Some(s.name.clone()),
                definition_text(file.source(), s, options.max_lines),
            ),
            None => (
                hit.line,
                None,
                file.source()
                    .lines()
                    .skip(hit.line.saturating_sub(1))
                    .take(options.max_lines)
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        };
        if out.iter().any(|i| i.path == hit.path && i.line == line) {
            continue;
        }
        out.push(ContextItem {
            kind: ContextKind::Similar,
            path: hit.path.clone(),
            line,
            name,
            text,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_from_the_tree_skip_strings_and_comments() {
        let source = "import os\n# uses helper_a\nx = parse_config(path, \"load_data\")\ny = ma";
        let file = ParsedFile::parse("t.py", Language::Python, source.to_string()).unwrap();
        let names = identifiers_before(&file, source.len(), 10);
        assert_eq!(names, ["path", "parse_config", "os"]);
    }

    #[test]
    fn identifiers_nearest_first_without_the_word_being_typed() {
        let names = recent_identifiers("import os\nx = parse_config(path)\ny = load_da", 10, 10);
        assert_eq!(names, ["path", "parse_config", "os", "import"]);
    }
}
