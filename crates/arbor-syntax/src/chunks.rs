//! Splitting a parsed file into chunks for indexing and retrieval.
//!
//! Each top-level definition becomes one chunk (with its doc comment). A definition longer than
//! [`ChunkOptions::max_lines`] is split: the definitions nested in it become chunks of their own
//! and its remaining lines become line windows; one with nothing nested is cut into windows.
//! Lines outside every definition (imports, module-level code) become line windows of at most
//! [`ChunkOptions::window_lines`] lines. Chunks are whole lines, never overlap, and windows
//! holding only blank lines are dropped.

use serde::Serialize;

use crate::parse::{ParsedFile, Position, Span};
use crate::symbols::{Symbol, SymbolKind};

/// How to cut a file into chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkOptions {
    /// A definition up to this many lines is one chunk.
    pub max_lines: usize,
    /// Lines outside definitions are grouped into windows of at most this many lines.
    pub window_lines: usize,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        ChunkOptions {
            max_lines: 150,
            window_lines: 40,
        }
    }
}

/// What a chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChunkKind {
    /// A whole definition (the symbol).
    Definition,
    /// A window of lines: the part of a long definition (the symbol) or of the file outside definitions.
    Window,
}

/// A range of whole lines of a file, for indexing and retrieval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Chunk {
    /// Whole definition or window.
    pub kind: ChunkKind,
    /// The definition this chunk is or lies in (an index into the file's symbols).
    pub symbol: Option<usize>,
    /// The lines, from the start of the first to the end of the last (including its newline).
    pub span: Span,
}

impl Chunk {
    /// The text of the chunk.
    pub fn text<'s>(&self, source: &'s str) -> &'s str {
        &source[self.span.start_byte..self.span.end_byte]
    }
}

fn is_chunk_unit(kind: SymbolKind) -> bool {
    !matches!(kind, SymbolKind::Constant)
}

/// Byte offsets of line starts, to turn 1-based line numbers into spans.
struct Lines {
    starts: Vec<usize>,
    len: usize,
}

impl Lines {
    fn new(source: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(
            source
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1)
                .filter(|&i| i < source.len()),
        );
        Lines {
            starts,
            len: source.len(),
        }
    }

    fn count(&self) -> usize {
        if self.len == 0 {
            0
        } else {
            self.starts.len()
        }
    }

    /// The span of lines `first..=last` (1-based).
    fn span(&self, first: usize, last: usize) -> Span {
        let start_byte = self.starts[first - 1];
        let end_byte = self.starts.get(last).copied().unwrap_or(self.len);
        let end = if last < self.starts.len() {
            Position {
                line: last + 1,
                column: 1,
            }
        } else {
            Position {
                line: last,
                column: end_byte - self.starts[last - 1] + 1,
            }
        };
        Span {
            start_byte,
            end_byte,
            start: Position {
                line: first,
                column: 1,
            },
            end,
        }
    }
}

struct Chunker<'a> {
    source: &'a str,
    symbols: &'a [Symbol],
    children: Vec<Vec<usize>>,
    lines: Lines,
    options: ChunkOptions,
    chunks: Vec<Chunk>,
}

impl Chunker<'_> {
    /// Windows over lines `first..=last`, attributed to `symbol`, skipping blank-only windows.
    fn windows(&mut self, first: usize, last: usize, symbol: Option<usize>) {
        let mut start = first;
        while start <= last {
            let end = (start + self.options.window_lines - 1).min(last);
            let span = self.lines.span(start, end);
            if !self.source[span.start_byte..span.end_byte]
                .trim()
                .is_empty()
            {
                self.chunks.push(Chunk {
                    kind: ChunkKind::Window,
                    symbol,
                    span,
                });
            }
            start = end + 1;
        }
    }

    /// Chunks for the units `units` between lines `first..=last`; gaps go to `owner`'s windows.
    fn region(&mut self, first: usize, last: usize, units: &[usize], owner: Option<usize>) {
        let mut next = first;
        for &unit in units {
            let symbol = &self.symbols[unit];
            let (start, end) = (
                symbol.first_line().max(next),
                symbol.span.last_line().min(last),
            );
            if start > end || start > symbol.span.start.line {
                // Shares lines with a chunk already made (several definitions on one line).
                continue;
            }
            if next < start {
                self.windows(next, start - 1, owner);
            }
            self.unit(unit, start, end);
            next = end + 1;
        }
        if next <= last {
            self.windows(next, last, owner);
        }
    }

    fn unit(&mut self, unit: usize, first: usize, last: usize) {
        if last - first < self.options.max_lines {
            self.chunks.push(Chunk {
                kind: ChunkKind::Definition,
                symbol: Some(unit),
                span: self.lines.span(first, last),
            });
        } else {
            let children = std::mem::take(&mut self.children[unit]);
            self.region(first, last, &children, Some(unit));
        }
    }
}

/// The chunks of `file`, given its symbols (from [`ParsedFile::symbols`]), in source order.
pub fn chunk_file(file: &ParsedFile, symbols: &[Symbol], options: ChunkOptions) -> Vec<Chunk> {
    let options = ChunkOptions {
        max_lines: options.max_lines.max(1),
        window_lines: options.window_lines.max(1),
    };
    // Chunk units nested in each unit; a non-unit (a constant) passes its children up.
    let mut children = vec![Vec::new(); symbols.len()];
    let mut top = Vec::new();
    for (index, symbol) in symbols.iter().enumerate() {
        if !is_chunk_unit(symbol.kind) {
            continue;
        }
        let mut parent = symbol.parent;
        while let Some(p) = parent.filter(|&p| !is_chunk_unit(symbols[p].kind)) {
            parent = symbols[p].parent;
        }
        match parent {
            Some(p) => children[p].push(index),
            None => top.push(index),
        }
    }
    let lines = Lines::new(file.source());
    let line_count = lines.count();
    let mut chunker = Chunker {
        source: file.source(),
        symbols,
        children,
        lines,
        options,
        chunks: Vec::new(),
    };
    if line_count > 0 {
        chunker.region(1, line_count, &top, None);
    }
    chunker.chunks
}

impl ParsedFile {
    /// The file's chunks; see [`chunk_file`].
    pub fn chunks(&self, symbols: &[Symbol], options: ChunkOptions) -> Vec<Chunk> {
        chunk_file(self, symbols, options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Language;

    fn chunks(
        language: Language,
        source: &str,
        options: ChunkOptions,
    ) -> (ParsedFile, Vec<Symbol>, Vec<Chunk>) {
        let file = ParsedFile::parse("t", language, source.to_string()).unwrap();
        let symbols = file.symbols().unwrap();
        let chunks = file.chunks(&symbols, options);
        (file, symbols, chunks)
    }

    fn lines(chunk: &Chunk) -> (usize, usize) {
        (chunk.span.start.line, chunk.span.last_line())
    }

    #[test]
    fn definitions_and_windows_cover_the_file_in_order() {
        let source = "import os\nimport sys\n\n\ndef a():\n    return 1\n\nX = 1\n\nclass B:\n    \"\"\"Doc.\"\"\"\n    def m(self):\n        pass\n\nprint(a())\n";
        let (file, symbols, chunks) = chunks(Language::Python, source, ChunkOptions::default());
        let got: Vec<_> = chunks
            .iter()
            .map(|c| {
                (
                    c.kind,
                    c.symbol.map(|s| symbols[s].qualified_name.as_str()),
                    lines(c),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (ChunkKind::Window, None, (1, 4)),
                (ChunkKind::Definition, Some("a"), (5, 6)),
                (ChunkKind::Window, None, (7, 9)),
                (ChunkKind::Definition, Some("B"), (10, 13)),
                (ChunkKind::Window, None, (14, 15)),
            ]
        );
        assert_eq!(chunks[1].text(file.source()), "def a():\n    return 1\n");
        let joined: String = chunks.iter().map(|c| c.text(file.source())).collect();
        assert_eq!(
            joined, source,
            "chunks of a file without blank-only windows tile it"
        );
    }

    #[test]
    fn long_definitions_split_into_children_and_windows() {
        let mut source = String::from("class Big:\n    X = 1\n");
        for i in 0..4 {
            source.push_str(&format!("    def m{i}(self):\n        return {i}\n"));
        }
        let options = ChunkOptions {
            max_lines: 5,
            window_lines: 3,
        };
        let (_, symbols, chunks) = chunks(Language::Python, &source, options);
        let got: Vec<_> = chunks
            .iter()
            .map(|c| (c.kind, c.symbol.map(|s| symbols[s].name.as_str()), lines(c)))
            .collect();
        assert_eq!(
            got,
            vec![
                (ChunkKind::Window, Some("Big"), (1, 2)),
                (ChunkKind::Definition, Some("m0"), (3, 4)),
                (ChunkKind::Definition, Some("m1"), (5, 6)),
                (ChunkKind::Definition, Some("m2"), (7, 8)),
                (ChunkKind::Definition, Some("m3"), (9, 10)),
            ]
        );
    }

    #[test]
    fn long_leaf_definitions_become_windows_and_docs_are_included() {
        let mut source = String::from("/// Docs.\nfn long() {\n");
        for i in 0..10 {
            source.push_str(&format!("    let x{i} = {i};\n"));
        }
        source.push_str("}\n");
        let options = ChunkOptions {
            max_lines: 4,
            window_lines: 5,
        };
        let (_, _, chunks) = chunks(Language::Rust, &source, options);
        let got: Vec<_> = chunks
            .iter()
            .map(|c| (c.kind, c.symbol, lines(c)))
            .collect();
        assert_eq!(
            got,
            vec![
                (ChunkKind::Window, Some(0), (1, 5)),
                (ChunkKind::Window, Some(0), (6, 10)),
                (ChunkKind::Window, Some(0), (11, 13)),
            ]
        );
    }

    #[test]
    fn empty_and_one_line_files() {
        let (_, _, c) = chunks(Language::JavaScript, "", ChunkOptions::default());
        assert!(c.is_empty());
        let (file, _, c) = chunks(
            Language::JavaScript,
            "function f() {} function g() {}",
            ChunkOptions::default(),
        );
        assert_eq!(c.len(), 1, "two definitions on one line share one chunk");
        assert_eq!(c[0].text(file.source()), "function f() {} function g() {}");
        assert_eq!(c[0].span.end.column, 32);
    }
}
