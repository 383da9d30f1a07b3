//! The documents the client has open: their unsaved text, kept in step with `didChange`
//! (incremental or whole), and what Arbor needs to lint them.

use std::path::PathBuf;

use arbor_lint::Language;
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
        }
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
        for change in changes {
            match change.range {
                None => text = change.text,
                Some(range) => {
                    let bytes = lines.bytes(&text, range)?;
                    text.replace_range(bytes, &change.text);
                }
            }
            lines = LineIndex::new(&text);
        }
        self.text = text;
        self.lines = lines;
        self.version = version;
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
        let bad = doc.change(3, vec![edit(0, 0, 0, 1, "w"), edit(9, 0, 9, 1, "")]);
        assert!(bad.is_err());
        assert_eq!(
            (doc.text.as_str(), doc.version),
            ("x = 10\nz = 'é'\ny = 2\n", 2)
        );
    }
}
