//! Navigation through the workspace's search index (`.arbor/index` under the root, created
//! and brought up to date on first use and again after files are saved): workspace symbols
//! (the `sym:` query, then free words), the definition of the name under the cursor, and the
//! full query language as the custom request `arbor/search`.

use std::path::Path;

use arbor_index::{CodeIndex, Hit, HitType, Query, Refresh, SearchOptions};
use lsp_types::{Location, Position, Range, SymbolInformation, SymbolKind};

use crate::documents::{uri_of, Document};

/// A workspace's index, opened on first use.
#[derive(Default)]
pub struct Navigator {
    index: Option<CodeIndex>,
    /// Files changed since the index was last brought up to date.
    stale: bool,
}

/// Why a search could not run: a malformed query (with its column), or the index.
#[derive(Debug)]
pub enum SearchError {
    /// The query does not parse.
    Query(arbor_index::QueryError),
    /// The index could not be opened, updated or searched.
    Index(arbor_index::IndexError),
}

impl std::fmt::Display for SearchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SearchError::Query(e) => e.fmt(f),
            SearchError::Index(e) => e.fmt(f),
        }
    }
}

impl Navigator {
    /// Files of the workspace changed: update the index before the next search.
    pub fn touch(&mut self) {
        self.stale = true;
    }

    /// Runs `query` over the index of `root` (opened, created or updated first as needed).
    pub fn search(
        &mut self,
        root: &Path,
        query: &str,
        limit: usize,
    ) -> Result<Vec<Hit>, SearchError> {
        let query = Query::parse(query).map_err(SearchError::Query)?;
        let index = match self.index.take() {
            Some(index) => {
                if self.stale {
                    // Another process updating it (a locked index) is searched as it stands.
                    let _ = index.update(root, &arbor_index::UpdateOptions::default(), &|_| {});
                }
                index
            }
            None => {
                let dir = root.join(".arbor").join("index");
                CodeIndex::open_fresh(&dir, root, &Refresh::default(), &|_| {})
                    .map_err(SearchError::Index)?
                    .0
            }
        };
        self.stale = false;
        let index = self.index.insert(index);
        let options = SearchOptions {
            limit: limit.clamp(1, arbor_index::search::MAX_LIMIT),
            ..SearchOptions::default()
        };
        index.search(&query, &options).map_err(SearchError::Index)
    }
}

/// The LSP location of a hit: its file under `root`, the line and column converted to UTF-16
/// from the open document's text, or else from the file on disk.
pub fn location(
    root: &Path,
    hit: &Hit,
    open: &dyn Fn(&Path) -> Option<String>,
) -> Option<Location> {
    let path = root.join(&hit.path);
    let uri = uri_of(&path)?;
    let text = open(&path).or_else(|| std::fs::read_to_string(&path).ok())?;
    let line = text
        .split('\n')
        .nth(hit.line.saturating_sub(1))
        .unwrap_or("");
    let column = hit.column.saturating_sub(1).min(line.len());
    let mut end = column;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    let character = line[..end].encode_utf16().count() as u32;
    let at = Position::new(hit.line.saturating_sub(1) as u32, character);
    Some(Location::new(uri, Range::new(at, at)))
}

/// The LSP kind of an index symbol kind (`function`, `class`, …).
fn kind_named(kind: Option<&str>) -> SymbolKind {
    match kind.unwrap_or("") {
        "function" => SymbolKind::FUNCTION,
        "method" => SymbolKind::METHOD,
        "class" => SymbolKind::CLASS,
        "struct" => SymbolKind::STRUCT,
        "enum" => SymbolKind::ENUM,
        "trait" => SymbolKind::INTERFACE,
        "impl" => SymbolKind::OBJECT,
        "module" => SymbolKind::MODULE,
        "constant" => SymbolKind::CONSTANT,
        "type" => SymbolKind::TYPE_PARAMETER,
        _ => SymbolKind::VARIABLE,
    }
}

/// Workspace symbols for what the user typed: definitions named so (`sym:`), then the
/// definitions free words find; each once.
pub fn workspace_symbols(
    navigator: &mut Navigator,
    root: &Path,
    typed: &str,
    open: &dyn Fn(&Path) -> Option<String>,
) -> Result<Vec<SymbolInformation>, SearchError> {
    let typed = typed.trim();
    if typed.is_empty() || typed.contains(['"', '/', ':']) {
        return Ok(Vec::new());
    }
    let mut hits = navigator.search(root, &format!("sym:{typed}"), 50)?;
    hits.extend(navigator.search(root, typed, 50)?);
    let mut seen = std::collections::HashSet::new();
    #[allow(deprecated)] // `deprecated` is a field the type still requires.
    let symbols = hits
        .iter()
        .filter(|h| h.hit_type == HitType::Definition)
        .filter(|h| seen.insert((h.path.clone(), h.line)))
        .filter_map(|hit| {
            let qualified = hit.symbol.clone()?;
            let (container, name) = match qualified.rfind(['.', ':']) {
                Some(i) => (
                    Some(qualified[..i].trim_end_matches(':').to_string()),
                    qualified[i + 1..].to_string(),
                ),
                None => (None, qualified.clone()),
            };
            Some(SymbolInformation {
                name,
                kind: kind_named(hit.kind.as_deref()),
                tags: None,
                deprecated: None,
                location: location(root, hit, open)?,
                container_name: container,
            })
        })
        .collect();
    Ok(symbols)
}

/// The identifier at `position` of `doc`, if the cursor is on one.
pub fn word_at(doc: &Document, position: Position) -> Option<String> {
    let at = doc.lines.offset(&doc.text, position).ok()?;
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let start = doc.text[..at]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word(c))
        .last()
        .map_or(at, |(i, _)| i);
    let end = doc.text[at..]
        .char_indices()
        .find(|&(_, c)| !is_word(c))
        .map_or(doc.text.len(), |(i, _)| at + i);
    let word = &doc.text[start..end];
    (!word.is_empty() && !word.starts_with(|c: char| c.is_ascii_digit())).then(|| word.to_string())
}

/// Where the name under the cursor is defined: the definitions of that name in the
/// document itself first, then in the workspace as `sym:` ranks them.
pub fn definition(
    navigator: &mut Navigator,
    root: &Path,
    doc: &mut Document,
    position: Position,
    open: &dyn Fn(&Path) -> Option<String>,
) -> Result<Vec<Location>, SearchError> {
    let Some(word) = word_at(doc, position) else {
        return Ok(Vec::new());
    };
    let mut found: Vec<Location> = crate::symbols::definitions_named(doc, &word)
        .into_iter()
        .map(|range| Location::new(doc.uri.clone(), range))
        .collect();
    let here = doc
        .path
        .as_deref()
        .map(|p| p.strip_prefix(root).unwrap_or(p).to_path_buf());
    for hit in navigator.search(root, &format!("sym:{word}"), 20)? {
        let same_file = here.as_deref() == Some(Path::new(&hit.path));
        if hit.hit_type == HitType::Definition && !same_file {
            found.extend(location(root, &hit, open));
        }
    }
    Ok(found)
}
