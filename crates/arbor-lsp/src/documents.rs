//! The documents the client has open: their unsaved text, kept in step with `didChange`
//! (incremental or whole), and what Arbor needs to lint them.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use arbor_lint::Language;
use arbor_syntax::tree_sitter::{InputEdit, Point};
use arbor_syntax::ParsedFile;
use lsp_types::{TextDocumentContentChangeEvent, Uri};

use crate::position::{LineIndex, OutOfRange};

/// An open document.
#[derive(Debug, Clone)]
pub struct Document {
    /// Its URI, as the client names it.
    pub uri: Uri,
    /// Its file, for a `file:` URI.
    pub path: Option<PathBuf>,
    /// Its language (from the client's language id, else its extension).
    pub language: Option<Language>,
    /// The client's version of the text.
    pub version: i32,
    /// The text.
    pub text: String,
    /// Where its lines start.
    pub lines: LineIndex,
    /// The syntax tree of an earlier text ([`Document::parsed`] brings it up to date).
    tree: Option<ParsedFile>,
    /// The edits made since `tree`'s text; `None` when the tree must be parsed whole.
    pending: Option<Vec<InputEdit>>,
    /// How long the last whole parse took, and whether an incremental one has taken longer
    /// (a file that is one giant literal reuses nothing: it is parsed whole from then on).
    whole: Option<Duration>,
    reparse_slower: bool,
}

/// Whether Arbor lints `text` at all (and so parses it): not over the file-size limit, no NUL
/// bytes. The reason when not.
pub fn unlintable(text: &str) -> Option<String> {
    let limit = arbor_syntax::DEFAULT_MAX_FILE_SIZE as usize;
    if text.len() > limit {
        return Some(format!(
            "not linted: {} bytes, over the limit of {limit}",
            text.len()
        ));
    }
    text.contains('\0')
        .then(|| "not linted: a binary document (it holds NUL bytes)".to_string())
}

/// The language of a client's language id (VS Code's identifiers).
pub fn language_of_id(id: &str) -> Option<Language> {
    match id {
        "python" => Some(Language::Python),
        "javascript" | "javascriptreact" => Some(Language::JavaScript),
        "rust" => Some(Language::Rust),
        _ => None,
    }
}

/// The file of a `file:` URI.
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    url::Url::parse(uri.as_str()).ok()?.to_file_path().ok()
}

/// The `file:` URI of a path.
pub fn uri_of(path: &std::path::Path) -> Option<Uri> {
    url::Url::from_file_path(path).ok()?.as_str().parse().ok()
}

impl Document {
    /// A document opened with `text`.
    pub fn new(uri: Uri, language_id: &str, version: i32, text: String) -> Document {
        let path = path_of(&uri);
        let language = language_of_id(language_id).or_else(|| {
            path.as_deref()
                .and_then(|p| Language::detect(p, text.as_bytes()))
        });
        Document {
            uri,
            path,
            language,
            version,
            lines: LineIndex::new(&text),
            text,
            tree: None,
            pending: None,
            whole: None,
            reparse_slower: false,
        }
    }

    /// The syntax tree of the current text, when Arbor lints the document (a language it
    /// reads, not too large, not binary). It is brought up to date only when asked for, so
    /// edits that arrive together are parsed once: the edits since the last tree reparsed
    /// incrementally (tree-sitter parses again only what they touched), or the text parsed
    /// whole after a full replacement (or always, once a reparse has proved slower than a
    /// whole parse of this document).
    pub fn parsed(&mut self) -> Option<&ParsedFile> {
        let language = self.language?;
        if unlintable(&self.text).is_some() {
            self.tree = None;
            return None;
        }
        let started = Instant::now();
        let tree = match (self.tree.take(), self.pending.take()) {
            (Some(tree), Some(edits)) if edits.is_empty() => Some(tree),
            (Some(tree), Some(edits)) if !self.reparse_slower => {
                let tree = tree.reparse(self.text.clone(), &edits).ok();
                self.reparse_slower = self.whole.is_some_and(|w| started.elapsed() > w);
                tree
            }
            _ => {
                let name = self
                    .path
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(self.uri.as_str()));
                let tree = ParsedFile::parse(name, language, self.text.clone()).ok();
                self.whole = Some(started.elapsed());
                tree
            }
        };
        self.tree = tree;
        self.pending = Some(Vec::new());
        self.tree.as_ref()
    }

    /// Applies the client's changes in order. A change outside the text leaves the document
    /// as it was before this call.
    pub fn change(
        &mut self,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) -> Result<(), OutOfRange> {
        let mut text = self.text.clone();
        let mut lines = self.lines.clone();
        // The edits as tree-sitter needs them (none after a whole replacement).
        let mut edits = Some(Vec::new());
        for change in changes {
            match change.range {
                None => {
                    text = change.text;
                    edits = None;
                }
                Some(range) => {
                    let bytes = lines.bytes(&text, range)?;
                    let point = |lines: &LineIndex, at| {
                        let (row, column) = lines.point(at);
                        Point::new(row, column)
                    };
                    let (start_position, old_end_position) =
                        (point(&lines, bytes.start), point(&lines, bytes.end));
                    text.replace_range(bytes.clone(), &change.text);
                    let new_end_byte = bytes.start + change.text.len();
                    let after = LineIndex::new(&text);
                    if let Some(edits) = edits.as_mut() {
                        edits.push(InputEdit {
                            start_byte: bytes.start,
                            old_end_byte: bytes.end,
                            new_end_byte,
                            start_position,
                            old_end_position,
                            new_end_position: point(&after, new_end_byte),
                        });
                    }
                    lines = after;
                    continue;
                }
            }
            lines = LineIndex::new(&text);
        }
        self.text = text;
        self.lines = lines;
        self.version = version;
        match (self.pending.as_mut(), edits) {
            (Some(pending), Some(edits)) => pending.extend(edits),
            _ => self.pending = None,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::{Position, Range};

    #[test]
    fn incremental_changes_apply_in_order_and_a_bad_one_changes_nothing() {
        let uri: Uri = "file:///tmp/a.py".parse().unwrap();
        let mut doc = Document::new(uri, "python", 1, "x = 1\ny = 2\n".into());
        assert_eq!(doc.language, Some(Language::Python));
        assert!(doc.parsed().is_some(), "parsed whole, before the edits");
        assert_eq!(doc.path.as_deref(), Some(std::path::Path::new("/tmp/a.py")));
        let edit = |l1, c1, l2, c2, text: &str| TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: text.into(),
        };
        doc.change(
            2,
            vec![edit(0, 4, 0, 5, "10"), edit(1, 0, 1, 0, "z = 'é'\n")],
        )
        .unwrap();
        assert_eq!(doc.text, "x = 10\nz = 'é'\ny = 2\n");
        assert_eq!(doc.version, 2);
        // The tree follows the edits: it is the tree of the new text.
        let full = ParsedFile::parse("a.py", Language::Python, doc.text.clone()).unwrap();
        assert_eq!(doc.parsed().unwrap().to_sexp(), full.to_sexp());
        let bad = doc.change(3, vec![edit(0, 0, 0, 1, "w"), edit(9, 0, 9, 1, "")]);
        assert!(bad.is_err());
        assert_eq!(
            (doc.text.as_str(), doc.version),
            ("x = 10\nz = 'é'\ny = 2\n", 2)
        );
    }
}
