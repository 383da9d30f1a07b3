//! Parsing source text into a [`ParsedFile`] and finding its syntax errors.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tree_sitter::{Node, Parser, Tree, TreeCursor};

use crate::error::SyntaxError;
use crate::language::Language;

/// A position in a source file: 1-based line, 1-based column counted in bytes (as ripgrep does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in bytes from the start of the line.
    pub column: usize,
}

impl From<tree_sitter::Point> for Position {
    fn from(p: tree_sitter::Point) -> Self {
        Position {
            line: p.row + 1,
            column: p.column + 1,
        }
    }
}

/// A range of a source file, as byte offsets (end exclusive) and positions (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    /// Offset of the first byte.
    pub start_byte: usize,
    /// Offset one past the last byte.
    pub end_byte: usize,
    /// Position of the first byte.
    pub start: Position,
    /// Position one past the last byte.
    pub end: Position,
}

impl Span {
    /// The span a tree-sitter node covers.
    pub fn of(node: Node<'_>) -> Span {
        Span {
            start_byte: node.start_byte(),
            end_byte: node.end_byte(),
            start: node.start_position().into(),
            end: node.end_position().into(),
        }
    }

    /// Whether `other` lies inside this span (inclusive at both ends).
    pub fn contains(&self, other: &Span) -> bool {
        self.start_byte <= other.start_byte && other.end_byte <= self.end_byte
    }

    /// The 1-based number of the last line that holds a byte of this span.
    pub fn last_line(&self) -> usize {
        if self.end.column == 1 && self.end.line > self.start.line {
            self.end.line - 1
        } else {
            self.end.line
        }
    }
}

/// What kind of syntax error tree-sitter recovered from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum SyntaxIssueKind {
    /// Text the parser could not fit into the grammar (an `ERROR` node).
    Error,
    /// A token the parser inserted because it was missing (a `MISSING` node), e.g. a `)`.
    Missing {
        /// The kind of the missing node, e.g. `)` or `identifier`.
        expected: String,
    },
}

/// One syntax error in a parsed file. Errors are reported, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyntaxIssue {
    /// What went wrong.
    #[serde(flatten)]
    pub kind: SyntaxIssueKind,
    /// Where.
    pub span: Span,
}

impl std::fmt::Display for SyntaxIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = self.span.start;
        match &self.kind {
            SyntaxIssueKind::Error => write!(f, "{}:{}: syntax error", at.line, at.column),
            SyntaxIssueKind::Missing { expected } => {
                write!(f, "{}:{}: missing `{expected}`", at.line, at.column)
            }
        }
    }
}

/// A source file together with its syntax tree. Owns both, so it can be sent between threads.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    path: PathBuf,
    language: Language,
    source: String,
    tree: Tree,
}

thread_local! {
    static PARSERS: RefCell<Vec<(Language, Parser)>> = const { RefCell::new(Vec::new()) };
}

/// Parses `source` with this thread's parser for `language`, reusing `old` (already edited)
/// when given.
fn parse_tree(language: Language, source: &str, old: Option<&Tree>) -> Result<Tree, SyntaxError> {
    PARSERS.with(|cell| -> Result<Tree, SyntaxError> {
        let mut parsers = cell.borrow_mut();
        let index = match parsers.iter().position(|(lang, _)| *lang == language) {
            Some(index) => index,
            None => {
                let mut parser = Parser::new();
                parser
                    .set_language(&language.grammar())
                    .map_err(|e| SyntaxError::Grammar {
                        language,
                        message: e.to_string(),
                    })?;
                parsers.push((language, parser));
                parsers.len() - 1
            }
        };
        let parser = &mut parsers[index].1;
        let tree = parser.parse(source.as_bytes(), old);
        // A parser that gave up keeps partial state: reset it before its next use.
        parser.reset();
        tree.ok_or(SyntaxError::ParseFailed(language))
    })
}

impl ParsedFile {
    /// Parses `source` as `language`. Syntax errors do not fail the parse: see [`ParsedFile::syntax_errors`].
    ///
    /// Parsers are kept per thread and reused, so parsing many files in a rayon pool is cheap.
    pub fn parse(
        path: impl Into<PathBuf>,
        language: Language,
        source: String,
    ) -> Result<ParsedFile, SyntaxError> {
        let tree = parse_tree(language, &source, None)?;
        Ok(ParsedFile {
            path: path.into(),
            language,
            source,
            tree,
        })
    }

    /// `source`, this file's text after `edits` (in the order they were made), parsed again
    /// reusing this file's tree: tree-sitter parses only what the edits touched (an editor's
    /// keystroke in a large file costs a fraction of a full parse). The result is the tree a
    /// full parse of `source` gives.
    pub fn reparse(
        &self,
        source: String,
        edits: &[tree_sitter::InputEdit],
    ) -> Result<ParsedFile, SyntaxError> {
        let mut old = self.tree.clone();
        for edit in edits {
            old.edit(edit);
        }
        let tree = parse_tree(self.language, &source, Some(&old))?;
        Ok(ParsedFile {
            path: self.path.clone(),
            language: self.language,
            source,
            tree,
        })
    }

    /// Reads `path` and parses it, detecting the language from the extension or shebang unless
    /// `language` is given. Binary, non-UTF-8 and over-large files are refused with the reason.
    pub fn from_file(
        path: &Path,
        language: Option<Language>,
        max_size: u64,
    ) -> Result<ParsedFile, SyntaxError> {
        let source = crate::walk::read_source(path, max_size).map_err(|reason| match reason {
            crate::walk::SkipReason::Io(message) => SyntaxError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other(message),
            },
            reason => SyntaxError::Skipped {
                path: path.to_path_buf(),
                reason,
            },
        })?;
        let language = match language {
            Some(language) => language,
            None => Language::detect(path, source.as_bytes())
                .ok_or_else(|| SyntaxError::UndetectedLanguage(path.to_path_buf()))?,
        };
        ParsedFile::parse(path, language, source)
    }

    /// The path the file was read from (or was given).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's language.
    pub fn language(&self) -> Language {
        self.language
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The syntax tree.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// The root node of the syntax tree.
    pub fn root(&self) -> Node<'_> {
        self.tree.root_node()
    }

    /// The source text a node covers.
    pub fn text(&self, node: Node<'_>) -> &str {
        &self.source[node.byte_range()]
    }

    /// Whether the tree holds any syntax error.
    pub fn has_errors(&self) -> bool {
        self.tree.root_node().has_error()
    }

    /// Every syntax error, in source order. An `ERROR` node is reported once, not once per
    /// node inside it. Visits only subtrees that hold errors, so it is cheap on clean files.
    pub fn syntax_errors(&self) -> Vec<SyntaxIssue> {
        let mut issues = Vec::new();
        let root = self.tree.root_node();
        if !root.has_error() {
            return issues;
        }
        let _ = depth_first::<()>(root, |cursor, step| {
            let node = cursor.node();
            let kind = if step == Step::Leave {
                return Ok(false);
            } else if node.is_error() {
                SyntaxIssueKind::Error
            } else if node.is_missing() {
                SyntaxIssueKind::Missing {
                    expected: node.kind().to_string(),
                }
            } else {
                return Ok(node.has_error());
            };
            issues.push(SyntaxIssue {
                kind,
                span: Span::of(node),
            });
            Ok(false)
        });
        issues
    }

    /// Writes the tree as one S-expression line in tree-sitter's format (named nodes only, with
    /// field names; `MISSING` nodes marked). Safe on arbitrarily deep trees.
    pub fn write_sexp(&self, out: &mut impl std::fmt::Write) -> std::fmt::Result {
        let mut first = true;
        depth_first(self.tree.root_node(), |cursor, step| {
            let node = cursor.node();
            if !node.is_named() && !node.is_missing() {
                return Ok(true);
            }
            if step == Step::Leave {
                out.write_char(')')?;
                return Ok(true);
            }
            if !first {
                out.write_char(' ')?;
            }
            first = false;
            if let Some(field) = cursor.field_name() {
                write!(out, "{field}: ")?;
            }
            match (node.is_missing(), node.is_named()) {
                (true, true) => write!(out, "(MISSING {}", node.kind())?,
                (true, false) => write!(out, "(MISSING {:?}", node.kind())?,
                _ => write!(out, "({}", node.kind())?,
            }
            Ok(true)
        })
    }

    /// The tree as an S-expression string; see [`ParsedFile::write_sexp`].
    pub fn to_sexp(&self) -> String {
        let mut out = String::new();
        self.write_sexp(&mut out)
            .expect("writing to a String never fails");
        out
    }

    /// Number of nodes and the maximum depth of the tree.
    pub fn tree_stats(&self) -> TreeStats {
        let mut stats = TreeStats::default();
        let _ = depth_first::<()>(self.tree.root_node(), |_, step| {
            if let Step::Enter { depth } = step {
                stats.nodes += 1;
                stats.max_depth = stats.max_depth.max(depth);
            }
            Ok(true)
        });
        stats
    }
}

/// Where a depth-first walk is at a node: arriving, or leaving after its children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// First visit; `depth` counts from the walk's root (0).
    Enter {
        /// Depth below the root of the walk.
        depth: usize,
    },
    /// The node and all its visited children are done.
    Leave,
}

/// Visits the subtree of `root` depth-first with a cursor and no recursion, so trees of any
/// depth are safe. `visit(cursor, step)` sees each node twice (the cursor is on it): on
/// [`Step::Enter`] it says whether to visit the node's children, on [`Step::Leave`] its answer
/// is ignored. The first error stops the walk.
pub(crate) fn depth_first<'t, E>(
    root: Node<'t>,
    mut visit: impl FnMut(&TreeCursor<'t>, Step) -> Result<bool, E>,
) -> Result<(), E> {
    let mut cursor = root.walk();
    let mut depth = 0usize;
    loop {
        if visit(&cursor, Step::Enter { depth })? && cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            visit(&cursor, Step::Leave)?;
            if depth == 0 {
                return Ok(());
            }
            if cursor.goto_next_sibling() {
                break;
            }
            cursor.goto_parent();
            depth -= 1;
        }
    }
}

/// Size figures of a syntax tree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TreeStats {
    /// Number of nodes, named and anonymous.
    pub nodes: usize,
    /// Depth of the deepest node (the root is at depth 0).
    pub max_depth: usize,
}

#[cfg(test)]
mod reparse_tests {
    use super::*;
    use tree_sitter::{InputEdit, Point};

    /// The edit that replaces bytes `start..end` of `old` with `new` (one line each side).
    fn edit(old: &str, start: usize, end: usize, new: &str) -> (String, InputEdit) {
        let point = |text: &str, at: usize| {
            let row = text[..at].matches('\n').count();
            let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
            Point::new(row, column)
        };
        let mut text = old.to_string();
        text.replace_range(start..end, new);
        let edit = InputEdit {
            start_byte: start,
            old_end_byte: end,
            new_end_byte: start + new.len(),
            start_position: point(old, start),
            old_end_position: point(old, end),
            new_end_position: point(&text, start + new.len()),
        };
        (text, edit)
    }

    #[test]
    fn a_reparse_after_edits_gives_the_tree_of_a_full_parse() {
        let source = "def f(x):\n    return x\n\n\nclass A:\n    def g(self):\n        pass\n";
        let first = ParsedFile::parse("a.py", Language::Python, source.into()).unwrap();
        // Two edits made one after the other: a line inserted, then a name changed.
        let (text, one) = edit(source, 10, 10, "    y = x + 1\n");
        let at = text.find("class A").unwrap() + 6;
        let (text, two) = edit(&text, at, at + 1, "Shape");
        let again = first.reparse(text.clone(), &[one, two]).unwrap();
        let full = ParsedFile::parse("a.py", Language::Python, text).unwrap();
        assert_eq!(again.to_sexp(), full.to_sexp());
        assert!(again.to_sexp().contains("assignment"));
        assert_eq!(again.symbols().unwrap()[1].name, "Shape");
    }
}
