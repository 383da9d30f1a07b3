//! Positions as LSP counts them (lines from 0, columns in UTF-16 code units) and byte offsets
//! as Arbor counts them, converted here and nowhere else.

use lsp_types::{Position, Range};

/// Where each line of a text starts, for converting positions both ways.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset of the start of each line.
    starts: Vec<usize>,
    len: usize,
}

/// A position that is not in the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} is past the end of the document ({lines} lines)")]
pub struct OutOfRange {
    /// The line asked for (from 0).
    pub line: u32,
    /// The lines the document has.
    pub lines: usize,
}

impl LineIndex {
    /// The index of `text`.
    pub fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// The LSP position of byte `offset` of `text` (an offset inside a character counts from
    /// the character's start).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = offset.min(self.len);
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let mut end = offset;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let character = text[start..end].encode_utf16().count();
        Position::new(line as u32, character as u32)
    }

    /// The 0-based line of byte `offset` and its column in bytes (tree-sitter's points).
    pub fn point(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.len);
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        (line, offset - self.starts[line])
    }

    /// The LSP range of bytes `start..end` of `text`.
    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(self.position(text, start), self.position(text, end))
    }

    /// The byte offset of `position` in `text`. A column past the end of its line means the
    /// end of the line (as the protocol says); a line past the last one is an error (the
    /// empty line after a final line break is a line).
    pub fn offset(&self, text: &str, position: Position) -> Result<usize, OutOfRange> {
        let line = position.line as usize;
        let Some(&start) = self.starts.get(line) else {
            return Err(OutOfRange {
                line: position.line,
                lines: self.starts.len(),
            });
        };
        let end = self.starts.get(line + 1).map_or(self.len, |&next| next - 1);
        let line_text = text[start..end]
            .strip_suffix('\r')
            .unwrap_or(&text[start..end]);
        let mut units = 0usize;
        let wanted = position.character as usize;
        for (i, c) in line_text.char_indices() {
            // A column inside a character (a surrogate pair's second unit) means its start.
            if units + c.len_utf16() > wanted {
                return Ok(start + i);
            }
            units += c.len_utf16();
        }
        Ok(start + line_text.len())
    }

    /// The byte range of `range` in `text`.
    pub fn bytes(&self, text: &str, range: Range) -> Result<std::ops::Range<usize>, OutOfRange> {
        let start = self.offset(text, range.start)?;
        let end = self.offset(text, range.end)?;
        Ok(start.min(end)..end.max(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_code_units_both_ways() {
        // `é` is 2 bytes and 1 unit; `𝔸` is 4 bytes and 2 units.
        let text = "aé𝔸b\r\nx = 1\n";
        let index = LineIndex::new(text);
        let b = text.find('b').unwrap();
        assert_eq!(index.position(text, b), Position::new(0, 4));
        assert_eq!(index.offset(text, Position::new(0, 4)).unwrap(), b);
        // Inside the surrogate pair: the character's start.
        assert_eq!(
            index.offset(text, Position::new(0, 3)).unwrap(),
            text.find('𝔸').unwrap()
        );
        // Past the end of the line: the end of the line (before its \r\n).
        assert_eq!(index.offset(text, Position::new(0, 99)).unwrap(), b + 1);
        let x = text.find('x').unwrap();
        assert_eq!(index.position(text, x), Position::new(1, 0));
        // The line after the last line break exists (empty); the one after it does not.
        assert_eq!(index.offset(text, Position::new(2, 0)).unwrap(), text.len());
        assert_eq!(
            index.offset(text, Position::new(3, 0)),
            Err(OutOfRange { line: 3, lines: 3 })
        );
        assert_eq!(index.position(text, text.len()), Position::new(2, 0));
    }
}
