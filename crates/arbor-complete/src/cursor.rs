//! Turning a line and column into the text before and after the cursor.

use crate::error::CompleteError;

/// A file's text split at the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorSplit {
    /// Byte offset of the cursor.
    pub offset: usize,
    /// Text before the cursor.
    pub prefix: String,
    /// Text after the cursor.
    pub suffix: String,
}

/// Splits `source` at 1-based `line` and `col`; the column counts characters, and may be one
/// past the end of the line (the cursor at the end of the line). A column past that is an error,
/// as is a line past the end of the file.
pub fn split_at_cursor(
    source: &str,
    line: usize,
    col: usize,
) -> Result<CursorSplit, CompleteError> {
    if line == 0 || col == 0 {
        return Err(CompleteError::Cursor(
            "lines and columns count from 1".into(),
        ));
    }
    let mut start = 0;
    for _ in 1..line {
        match source[start..].find('\n') {
            Some(i) => start += i + 1,
            None => {
                let lines = source.lines().count().max(1);
                return Err(CompleteError::Cursor(format!(
                    "line {line} is past the end of the file ({lines} lines)"
                )));
            }
        }
    }
    let end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let text = source[start..end].trim_end_matches('\r');
    let chars = text.chars().count();
    if col > chars + 1 {
        return Err(CompleteError::Cursor(format!(
            "column {col} is past the end of line {line} ({chars} characters)"
        )));
    }
    let offset = start
        + text
            .char_indices()
            .nth(col - 1)
            .map_or(text.len(), |(i, _)| i);
    Ok(CursorSplit {
        offset,
        prefix: source[..offset].to_string(),
        suffix: source[offset..].to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_by_characters() {
        let s = "ab\nçé x\n";
        let c = split_at_cursor(s, 2, 3).unwrap();
        assert_eq!(c.prefix, "ab\nçé");
        assert_eq!(c.suffix, " x\n");
        let end = split_at_cursor(s, 2, 5).unwrap();
        assert_eq!(end.suffix, "\n");
        assert_eq!(split_at_cursor(s, 3, 1).unwrap().suffix, "");
        assert!(split_at_cursor(s, 2, 6).is_err());
        assert!(split_at_cursor(s, 4, 1).is_err());
        assert!(split_at_cursor(s, 0, 1).is_err());
    }
}

/// Token healing at line granularity. Tokenizers merge a newline with the indentation after
/// it (`\n    ` is one token), so a prompt that ends in a bare newline or in indentation is
/// one the model rarely saw and continues badly. When the cursor's line is blank up to the
/// cursor, the prompt stops at the end of the line before, and the model writes the newline
/// and indentation itself: returns the prefix for the prompt and the text the editor already
/// has (to be taken off the completion by [`strip_healed`]).
pub fn heal(prefix: &str) -> (&str, &str) {
    match prefix.rfind('\n') {
        Some(i) if prefix[i + 1..].chars().all(|c| c == ' ' || c == '\t') => {
            (&prefix[..i], &prefix[i..])
        }
        _ => (prefix, ""),
    }
}

/// The completion without the part of `healed` (from [`heal`]) that it starts with. While the
/// completion is shorter than that part and agrees with it, the result is empty.
pub fn strip_healed<'a>(completion: &'a str, healed: &str) -> &'a str {
    let common = completion
        .char_indices()
        .zip(healed.chars())
        .take_while(|((_, a), b)| a == b)
        .last()
        .map_or(0, |((i, c), _)| i + c.len_utf8());
    &completion[common..]
}

#[cfg(test)]
mod heal_tests {
    use super::*;

    #[test]
    fn blank_cursor_lines_are_healed() {
        assert_eq!(heal("def f():\n    "), ("def f():", "\n    "));
        assert_eq!(heal("x = 1\n"), ("x = 1", "\n"));
        assert_eq!(heal("x = f("), ("x = f(", ""));
        assert_eq!(strip_healed("\n    return 1", "\n    "), "return 1");
        assert_eq!(strip_healed("\n        return 1", "\n    "), "    return 1");
        assert_eq!(strip_healed("\n  ", "\n    "), "");
        assert_eq!(strip_healed(" pass", "\n    "), " pass");
    }
}
