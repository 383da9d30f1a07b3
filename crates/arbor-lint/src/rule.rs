//! Rules, findings and what a rule sees of a file.

use std::any::TypeId;
use std::fmt;
use std::str::FromStr;

use arbor_syntax::tree_sitter::{Node, Query};
use arbor_syntax::{Language, ParsedFile, Span, Symbol};
use serde::{Deserialize, Serialize};

use crate::config::Thresholds;
use crate::registry::AuxKey;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing (TODO comments).
    Info,
    /// Likely a problem.
    Warning,
    /// Almost certainly a bug.
    Error,
}

impl Severity {
    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            _ => Err(format!(
                "unknown severity `{s}` (expected error, warning or info)"
            )),
        }
    }
}

/// What a rule is, for `--list-rules`, SARIF and documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// Stable id: `<lang>/<name>` (`py/bare-except`), `all/<name>` for every language.
    pub id: String,
    /// The language it applies to; `None` for every language.
    pub language: Option<Language>,
    /// Severity unless configured otherwise.
    pub severity: Severity,
    /// The message of its findings.
    pub message: String,
    /// Why it matters.
    pub rationale: String,
    /// A snippet that triggers it.
    pub example: String,
    /// Whether `--fix` can repair its findings.
    pub fixable: bool,
}

/// A text edit: replace `start_byte..end_byte` with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// Start offset.
    pub start_byte: usize,
    /// End offset (exclusive).
    pub end_byte: usize,
    /// The new text.
    pub replacement: String,
}

/// Where a finding is: 1-based lines, 1-based byte columns, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// First line.
    pub line: usize,
    /// First column.
    pub column: usize,
    /// Last line.
    pub end_line: usize,
    /// Column after the end.
    pub end_column: usize,
    /// Byte offset of the start.
    #[serde(skip)]
    pub start_byte: usize,
    /// Byte offset of the end.
    #[serde(skip)]
    pub end_byte: usize,
}

impl Location {
    /// The location of a node.
    pub fn of(node: Node<'_>) -> Location {
        let span = Span::of(node);
        Location {
            line: span.start.line,
            column: span.start.column,
            end_line: span.end.line,
            end_column: span.end.column,
            start_byte: span.start_byte,
            end_byte: span.end_byte,
        }
    }
}

/// One problem found by a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's id.
    pub rule: String,
    /// Its severity (after configuration).
    pub severity: Severity,
    /// Path relative to where the lint ran, `/`-separated.
    pub path: String,
    /// Where.
    #[serde(flatten)]
    pub location: Location,
    /// What is wrong.
    pub message: String,
    /// A safe repair, when the rule has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Vec<Edit>>,
    /// Identifies the finding across edits that move it: a hash of the rule, the path and the
    /// code of its line and node, not of line numbers.
    pub fingerprint: String,
    /// Its columns counted in UTF-16 code units, as SARIF reports them.
    #[serde(skip)]
    pub utf16: Utf16Columns,
    /// Where each edit of `fix` is, in lines and UTF-16 columns, as SARIF's `fixes` report them.
    #[serde(skip)]
    pub fix_regions: Vec<Utf16Region>,
}

/// A region of the text an edit replaces: 1-based lines and 1-based UTF-16 columns, end
/// exclusive; an insertion has its end at its start. An edit ending after a line break ends
/// at column 1 of the next line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Utf16Region {
    /// First line.
    pub start_line: usize,
    /// First column.
    pub start_column: usize,
    /// Line of the end.
    pub end_line: usize,
    /// Column after the end.
    pub end_column: usize,
}

/// A finding's start and end columns counted in UTF-16 code units (1-based, end exclusive), as
/// SARIF's `columnKind: utf16CodeUnits` and editors such as VS Code count them. On ASCII lines
/// they are the byte columns of [`Location`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Utf16Columns {
    /// Column of the start, on [`Location::line`].
    pub start: usize,
    /// Column after the end, on [`Location::end_line`].
    pub end: usize,
}

/// The fingerprint of a finding of `rule` in `path` at `location` of `source`.
pub fn fingerprint(rule: &str, path: &str, source: &str, location: &Location) -> String {
    Fingerprinter::new(source).fingerprint(rule, path, location)
}

/// How many bytes of a finding's line, and of its node, the fingerprint reads at each end:
/// nested findings (a chain of 20,000 `.unwrap()` calls on one line) would otherwise each hash
/// the whole chain, quadratic in all. Lines and nodes up to twice this are read whole.
const FINGERPRINT_WINDOW: usize = 1024;

/// Fingerprints and UTF-16 columns of the findings in one file, with its line starts found once.
pub struct Fingerprinter<'s> {
    source: &'s str,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    /// The normalized text of the lines fingerprinted so far (many findings share a line).
    lines: std::cell::RefCell<std::collections::HashMap<usize, std::rc::Rc<str>>>,
    /// The non-ASCII characters of the lines asked for UTF-16 columns (see [`wide_chars`]).
    wide: std::cell::RefCell<std::collections::HashMap<usize, WideChars>>,
}

/// A line's non-ASCII characters, as [`wide_chars`] lists them.
type WideChars = std::rc::Rc<[(usize, usize)]>;

/// The non-ASCII characters of `line` (which starts at byte `offset`): for each, the byte offset
/// after it, and how many more bytes than UTF-16 units the line has up to there.
fn wide_chars(line: &str, offset: usize) -> Vec<(usize, usize)> {
    let mut extra = 0;
    line.char_indices()
        .filter(|(_, c)| !c.is_ascii())
        .map(|(i, c)| {
            extra += c.len_utf8() - c.len_utf16();
            (offset + i + c.len_utf8(), extra)
        })
        .collect()
}

impl<'s> Fingerprinter<'s> {
    /// The fingerprinter of `source`.
    pub fn new(source: &'s str) -> Fingerprinter<'s> {
        let line_starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Fingerprinter {
            source,
            line_starts,
            lines: Default::default(),
            wide: Default::default(),
        }
    }

    /// The UTF-16 column of 1-based byte column `column` of 1-based line `line` (a column past
    /// the line's end, or inside a character, counts to there).
    pub fn utf16_column(&self, line: usize, column: usize) -> usize {
        let source = self.source;
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return column;
        };
        let end = self
            .line_starts
            .get(line)
            .map_or(source.len(), |next| next - 1);
        let mut at = (start + column.saturating_sub(1)).min(end);
        while !source.is_char_boundary(at) {
            at -= 1;
        }
        let wide = self
            .wide
            .borrow_mut()
            .entry(line)
            .or_insert_with(|| wide_chars(&source[start..end], start).into())
            .clone();
        // The bytes the characters wholly before `at` have beyond their UTF-16 units.
        let extra = match wide.partition_point(|&(char_end, _)| char_end <= at) {
            0 => 0,
            n => wide[n - 1].1,
        };
        at - start - extra + 1
    }

    /// The 1-based line and UTF-16 column of byte offset `byte` (clamped to the text).
    pub fn utf16_position(&self, byte: usize) -> (usize, usize) {
        let byte = byte.min(self.source.len());
        let line = self.line_starts.partition_point(|&s| s <= byte);
        let column = byte - self.line_starts[line - 1] + 1;
        (line, self.utf16_column(line, column))
    }

    /// The region of the text between byte offsets `start` and `end`.
    pub fn utf16_region(&self, start: usize, end: usize) -> Utf16Region {
        let (start_line, start_column) = self.utf16_position(start);
        let (end_line, end_column) = self.utf16_position(end.max(start));
        Utf16Region {
            start_line,
            start_column,
            end_line,
            end_column,
        }
    }

    /// The UTF-16 columns of `location`.
    pub fn utf16_columns(&self, location: &Location) -> Utf16Columns {
        Utf16Columns {
            start: self.utf16_column(location.line, location.column),
            end: self.utf16_column(location.end_line, location.end_column),
        }
    }

    /// The fingerprint of a finding of `rule` in `path` at `location`: a hash of the rule, the
    /// path and the code of its line and node (whitespace-normalized), not of line numbers.
    pub fn fingerprint(&self, rule: &str, path: &str, location: &Location) -> String {
        let source = self.source;
        let start = location.start_byte.min(source.len());
        let line = self.line_starts.partition_point(|&s| s <= start) - 1;
        let line_start = self.line_starts[line];
        let line_end = self
            .line_starts
            .get(line + 1)
            .map_or(source.len(), |next| next - 1);
        let line = self
            .lines
            .borrow_mut()
            .entry(line)
            .or_insert_with(|| bounded_normalized(source, line_start, line_end).into())
            .clone();
        let end = location.end_byte.clamp(start, source.len());
        let node = bounded_normalized(source, start, end);
        let mut hasher = blake3::Hasher::new();
        for part in [rule, path, &*line, &node] {
            hasher.update(part.as_bytes());
            hasher.update(&[0]);
        }
        hasher.finalize().to_hex()[..16].to_string()
    }
}

/// `source[start..end]` with runs of whitespace made one space; past twice
/// [`FINGERPRINT_WINDOW`] bytes, only its two ends and its length.
fn bounded_normalized(source: &str, start: usize, end: usize) -> String {
    let normalized = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    if end - start <= 2 * FINGERPRINT_WINDOW {
        return normalized(&source[start..end]);
    }
    let mut head = start + FINGERPRINT_WINDOW;
    while !source.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = end - FINGERPRINT_WINDOW;
    while !source.is_char_boundary(tail) {
        tail += 1;
    }
    format!(
        "{}\u{0}{}\u{0}{}",
        normalized(&source[start..head]),
        end - start,
        normalized(&source[tail..end])
    )
}

/// What a rule sees of a file.
pub struct FileContext<'a> {
    /// The parsed file.
    pub file: &'a ParsedFile,
    /// Its path relative to where the lint ran, `/`-separated.
    pub path: &'a str,
    /// Thresholds in force for this file.
    pub thresholds: &'a Thresholds,
    symbols: std::cell::OnceCell<Vec<Symbol>>,
    captures: std::cell::RefCell<Vec<(AuxKey, Captures<'a>)>>,
    cache: std::cell::RefCell<Vec<(TypeId, std::rc::Rc<dyn std::any::Any>)>>,
}

/// The captures of a query in a file: (capture index, node), in document order.
pub type Captures<'a> = std::rc::Rc<Vec<(u32, Node<'a>)>>;

impl<'a> FileContext<'a> {
    /// The context of a file.
    pub fn new(file: &'a ParsedFile, path: &'a str, thresholds: &'a Thresholds) -> FileContext<'a> {
        FileContext {
            file,
            path,
            thresholds,
            symbols: std::cell::OnceCell::new(),
            captures: std::cell::RefCell::new(Vec::new()),
            cache: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// A value about the file computed once, by the first rule that asks, and shared with the
    /// others: values are told apart by their type (give each its own, a newtype if need be).
    pub fn cached<T: 'static>(&self, compute: impl FnOnce() -> T) -> std::rc::Rc<T> {
        let key = TypeId::of::<T>();
        let found = self
            .cache
            .borrow()
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, value)| value.clone().downcast::<T>().ok());
        if let Some(found) = found {
            return found;
        }
        let value = std::rc::Rc::new(compute());
        self.cache.borrow_mut().push((key, value.clone()));
        value
    }

    /// Records the file's symbols, extracted elsewhere (by the combined query walk).
    pub fn prefill_symbols(&self, symbols: Vec<Symbol>) {
        let _ = self.symbols.set(symbols);
    }

    /// Records the captures of the shared query `key`, computed elsewhere (by the combined
    /// query walk).
    pub fn prefill(&self, key: AuxKey, captures: Vec<(u32, Node<'a>)>) {
        self.captures
            .borrow_mut()
            .push((key, std::rc::Rc::new(captures)));
    }

    /// Every capture of the shared query `key` (compiled as `query`) in the file, in document
    /// order, computed once per file for all the rules that read it.
    pub fn captures(&self, key: AuxKey, query: &Query) -> Captures<'a> {
        if let Some((_, found)) = self.captures.borrow().iter().find(|(k, _)| *k == key) {
            return found.clone();
        }
        let found = std::rc::Rc::new(crate::rules::captured(query, self.file));
        self.captures.borrow_mut().push((key, found.clone()));
        found
    }

    /// The file's symbols, extracted once for all the rules that need them.
    pub fn symbols(&self) -> &[Symbol] {
        self.symbols
            .get_or_init(|| self.file.symbols().unwrap_or_default())
    }

    /// The source text of a node.
    pub fn text(&self, node: Node<'_>) -> &str {
        self.file.text(node)
    }
}

/// A check over one file.
pub trait Rule: Send + Sync {
    /// What the rule is.
    fn info(&self) -> &RuleInfo;
    /// Appends the findings in `ctx` (severity and path are filled in by the caller).
    fn check(&self, ctx: &FileContext<'_>, out: &mut Vec<RawFinding>);
}

/// A finding as a rule reports it: where, an optional specific message, an optional fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFinding {
    /// Where.
    pub location: Location,
    /// A message more specific than the rule's (`None`: the rule's message).
    pub message: Option<String>,
    /// A safe repair.
    pub fix: Option<Vec<Edit>>,
}

impl RawFinding {
    /// A finding at a node with the rule's message.
    pub fn at(node: Node<'_>) -> RawFinding {
        RawFinding {
            location: Location::of(node),
            message: None,
            fix: None,
        }
    }

    /// The same finding with a specific message.
    pub fn with_message(mut self, message: impl Into<String>) -> RawFinding {
        self.message = Some(message.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::{Fingerprinter, Utf16Region};

    #[test]
    fn utf16_regions_of_byte_ranges() {
        let text = "ascii\r\né😀x\n中\n";
        let f = Fingerprinter::new(text);
        let region = |a, b, c, d| Utf16Region {
            start_line: a,
            start_column: b,
            end_line: c,
            end_column: d,
        };
        // `x` after `é😀`: bytes 13..14, UTF-16 columns 4..5.
        assert_eq!(&text[13..14], "x");
        assert_eq!(f.utf16_region(13, 14), region(2, 4, 2, 5));
        assert_eq!(f.utf16_region(13, 13), region(2, 4, 2, 4), "an insertion");
        assert_eq!(
            f.utf16_region(0, 7),
            region(1, 1, 2, 1),
            "a whole line: to column 1 of the next"
        );
        assert_eq!(
            f.utf16_region(15, text.len()),
            region(3, 1, 4, 1),
            "to the end of the text"
        );
    }

    #[test]
    fn utf16_columns_of_byte_columns() {
        // `é` is 2 bytes and 1 unit, `😀` 4 bytes and 2 units, `中` 3 bytes and 1 unit.
        let f = Fingerprinter::new("ascii\r\né😀x\n中\n");
        assert_eq!(f.utf16_column(1, 1), 1);
        assert_eq!(f.utf16_column(1, 6), 6);
        assert_eq!(
            f.utf16_column(1, 99),
            7,
            "past the end: the line's end, `\\r` included"
        );
        assert_eq!(f.utf16_column(2, 1), 1);
        assert_eq!(f.utf16_column(2, 3), 2, "after é");
        assert_eq!(f.utf16_column(2, 7), 4, "after 😀");
        assert_eq!(f.utf16_column(2, 8), 5, "after x");
        assert_eq!(f.utf16_column(2, 5), 2, "inside 😀: its start");
        assert_eq!(f.utf16_column(3, 4), 2, "after 中");
        assert_eq!(f.utf16_column(9, 4), 4, "no such line: unchanged");
    }
}
