//! Where a completion ends: at the end of the block the cursor is in.
//!
//! - **Python**: the block is the run of lines indented at least as deep as the cursor's line.
//!   (A blank cursor line counts as deep as the statement before it, deeper after a `:`.)
//!   The completion ends before the first later line (outside brackets) that is indented less;
//!   at the top level, before the first unindented line after an indented one (a finished
//!   `def` or `class`), or at two blank lines.
//! - **Rust and JavaScript**: brackets are counted (outside strings and comments); the
//!   completion ends before the first closing bracket that closes a block opened before the
//!   cursor, or at the end of the line where a block opened by the completion closes again.
//! - **Any language**: the completion ends before a line that repeats the first non-blank line
//!   after the cursor (the model rewriting code that is already there).

use arbor_syntax::Language;

/// The block-end rule for one cursor position.
#[derive(Debug, Clone)]
pub struct BlockEnd {
    language: Language,
    /// Indentation (in characters) of the cursor's line.
    indent: usize,
    /// Open brackets before the cursor (Python only).
    prefix_depth: i64,
    /// Characters of the cursor's line before the cursor.
    line_before: String,
    /// The first non-blank line after the cursor, trimmed.
    next_line: Option<String>,
}

fn indentation(line: &str) -> usize {
    line.chars().take_while(|c| *c == ' ' || *c == '\t').count()
}

impl BlockEnd {
    /// The rule for a cursor between `prefix` and `suffix`.
    pub fn new(language: Language, prefix: &str, suffix: &str) -> BlockEnd {
        let line_before = prefix.rsplit('\n').next().unwrap_or("").to_string();
        let rest_of_line = suffix.split('\n').next().unwrap_or("");
        let cursor_line = format!("{line_before}{rest_of_line}");
        let indent = if !cursor_line.trim().is_empty() {
            indentation(&cursor_line)
        } else {
            // A blank line: as deep as the cursor, and at least as deep as the statement
            // before it (deeper than a line that opens a block with `:`).
            let previous = prefix
                .rsplit('\n')
                .skip(1)
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            let floor = indentation(previous)
                + usize::from(language == Language::Python && previous.trim_end().ends_with(':'));
            line_before.chars().count().max(floor)
        };
        // Python's lines inside brackets opened before the cursor are not statements.
        let mut scanner = Scanner::new(language);
        if language == Language::Python {
            let lines: Vec<&str> = prefix.split('\n').collect();
            for line in &lines[lines.len().saturating_sub(50)..] {
                for c in line.chars() {
                    scanner.step(c);
                }
                scanner.end_line();
            }
        }
        let next_line = suffix
            .split('\n')
            .skip(1)
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_string);
        BlockEnd {
            language,
            indent,
            prefix_depth: scanner.depth.max(0),
            line_before,
            next_line,
        }
    }

    /// How many bytes of `completion` belong to the block, or `None` while it has not ended.
    pub fn cut(&self, completion: &str) -> Option<usize> {
        let mut scanner = Scanner::new(self.language);
        scanner.depth = self.prefix_depth;
        let mut state = CutState {
            scanner,
            offset: 0,
            seen_indented: false,
            blank_run: 0,
            opened_here: false,
        };
        for (number, line) in completion.split_inclusive('\n').enumerate() {
            let complete_line = line.ends_with('\n');
            let text = line.trim_end_matches(['\n', '\r']);
            let starts_line = number > 0 || self.line_before.trim().is_empty();
            // Line-start rules, at bracket depth 0 (not inside a call or a literal).
            if number > 0
                && state.scanner.depth == 0
                && !state.scanner.in_string()
                && self.ends_before(text, complete_line, &state)
            {
                return Some(state.offset);
            }
            self.count_line(&mut state, text, starts_line);
            if let Some(end) = self.closer_of_outer_block(&mut state, text, completion) {
                return Some(end);
            }
            state.scanner.end_line();
            state.offset += line.len();
            if complete_line && self.closed_own_block(&state) {
                return Some(state.offset);
            }
        }
        None
    }

    /// Whether the completion ends before `text`, a later line starting at bracket depth 0:
    /// a complete repeat of the first line after the cursor, or, in Python, a line that leaves
    /// the cursor's block.
    fn ends_before(&self, text: &str, complete_line: bool, state: &CutState) -> bool {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return false;
        }
        if self.next_line.as_deref() == Some(trimmed) && complete_line {
            return true;
        }
        self.language == Language::Python && self.leaves_python_block(text, state)
    }

    /// Whether the Python line `text` is outside the cursor's block: indented less than the
    /// cursor's line, or, at the top level, unindented after an indented line or two blank ones.
    fn leaves_python_block(&self, text: &str, state: &CutState) -> bool {
        let ind = indentation(text);
        if self.indent > 0 {
            ind < self.indent
        } else {
            ind == 0 && (state.seen_indented || state.blank_run >= 2)
        }
    }

    /// Counts the blank lines in a row before the next line, and notes a line indented deeper
    /// than the cursor's.
    fn count_line(&self, state: &mut CutState, text: &str, starts_line: bool) {
        if starts_line && text.trim().is_empty() {
            state.blank_run += 1;
        } else {
            state.blank_run = 0;
            if starts_line && indentation(text) > self.indent {
                state.seen_indented = true;
            }
        }
    }

    /// Steps the scanner over `text`, the line at `state.offset` of `completion`. A closer of a
    /// block opened before the cursor ends the completion (Rust, JavaScript): returns the end,
    /// before the closer and the blanks before it.
    fn closer_of_outer_block(
        &self,
        state: &mut CutState,
        text: &str,
        completion: &str,
    ) -> Option<usize> {
        for (i, c) in text.char_indices() {
            match state.scanner.step(c) {
                Step::Open(c) => state.opened_here |= c == '{',
                Step::Close if state.scanner.depth < 0 && self.language != Language::Python => {
                    let kept = &completion[..state.offset + i];
                    return Some(kept.trim_end_matches([' ', '\t']).len());
                }
                _ => {}
            }
        }
        None
    }

    /// Whether a `{` block the completion opened has closed again, back at depth 0 (Rust,
    /// JavaScript), at the end of a complete line.
    fn closed_own_block(&self, state: &CutState) -> bool {
        state.opened_here && state.scanner.depth == 0 && self.language != Language::Python
    }
}

/// What [`BlockEnd::cut`] carries from one line of a completion to the next.
struct CutState {
    scanner: Scanner,
    /// Bytes of the completion before the current line.
    offset: usize,
    /// Whether a line indented deeper than the cursor's has started.
    seen_indented: bool,
    /// Blank lines in a row just before the current line.
    blank_run: usize,
    /// Whether the completion has opened a `{` block.
    opened_here: bool,
}

enum Step {
    Open(char),
    Close,
    Other,
}

/// Bracket depth outside strings and comments, as far as one line at a time can tell.
struct Scanner {
    language: Language,
    depth: i64,
    quote: Option<char>,
    escaped: bool,
    comment: bool,
    previous: Option<char>,
}

impl Scanner {
    fn new(language: Language) -> Scanner {
        Scanner {
            language,
            depth: 0,
            quote: None,
            escaped: false,
            comment: false,
            previous: None,
        }
    }

    fn in_string(&self) -> bool {
        self.quote == Some('`')
    }

    fn step(&mut self, c: char) -> Step {
        let previous = self.previous.replace(c);
        if self.comment {
            return Step::Other;
        }
        if let Some(q) = self.quote {
            if self.escaped {
                self.escaped = false;
            } else if c == '\\' {
                self.escaped = true;
            } else if c == q {
                self.quote = None;
            }
            return Step::Other;
        }
        let line_comment = match self.language {
            Language::Python => c == '#',
            _ => c == '/' && previous == Some('/'),
        };
        if line_comment {
            self.comment = true;
            return Step::Other;
        }
        match c {
            '"' => self.quote = Some('"'),
            // Rust lifetimes and chars both use `'`: only JS/Python strings are skipped.
            '\'' if self.language != Language::Rust => self.quote = Some('\''),
            '`' if self.language == Language::JavaScript => self.quote = Some('`'),
            '(' | '[' | '{' => {
                self.depth += 1;
                return Step::Open(c);
            }
            ')' | ']' | '}' => {
                self.depth -= 1;
                return Step::Close;
            }
            _ => {}
        }
        Step::Other
    }

    fn end_line(&mut self) {
        self.comment = false;
        self.previous = None;
        // Template literals span lines; other quotes do not (an unclosed one is a typo).
        if self.quote != Some('`') {
            self.quote = None;
            self.escaped = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(language: Language, prefix: &str, suffix: &str, completion: &str) -> String {
        let end = BlockEnd::new(language, prefix, suffix);
        let n = end.cut(completion).unwrap_or(completion.len());
        completion[..n].to_string()
    }

    #[test]
    fn python_body_ends_at_dedent() {
        let got = cut(
            Language::Python,
            "def f(x):\n    ",
            "\n",
            "y = x + 1\n    return y\n\ndef g():\n    pass\n",
        );
        assert_eq!(got, "y = x + 1\n    return y\n\n");
    }

    #[test]
    fn python_dedent_inside_brackets_does_not_end() {
        let got = cut(
            Language::Python,
            "def f(x):\n    return g(\n",
            "",
            "x,\n1)\n    \nclass A:\n",
        );
        assert_eq!(got, "x,\n1)\n    \n");
    }

    #[test]
    fn python_top_level_definition_ends_after_its_body() {
        let got = cut(
            Language::Python,
            "import os\n",
            "",
            "def f():\n    return 1\n\n\ndef g():\n",
        );
        assert_eq!(got, "def f():\n    return 1\n\n\n");
    }

    #[test]
    fn braces_end_before_the_enclosing_closer() {
        let got = cut(
            Language::Rust,
            "fn f() -> u32 {\n    let x = ",
            "\n}\n",
            "g(1, \"}\");\n    x + 1\n}\n\nfn h() {}\n",
        );
        assert_eq!(got, "g(1, \"}\");\n    x + 1\n");
    }

    #[test]
    fn a_block_opened_by_the_completion_ends_with_its_line() {
        let got = cut(
            Language::JavaScript,
            "",
            "",
            "function f(a) {\n  return `${a}}`;\n}\nfunction g() {}\n",
        );
        assert_eq!(got, "function f(a) {\n  return `${a}}`;\n}\n");
    }

    #[test]
    fn repeating_the_next_line_ends() {
        let got = cut(
            Language::Python,
            "def f(x):\n    y = ",
            "\n    return y\n",
            "x * 2\n    return y\n",
        );
        assert_eq!(got, "x * 2\n");
    }

    #[test]
    fn unfinished_block_is_not_cut() {
        let end = BlockEnd::new(Language::Python, "def f(x):\n    ", "");
        assert_eq!(end.cut("y = 1\n    z = 2"), None);
    }
}
