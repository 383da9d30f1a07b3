//! The query language of `arbor search`.
//!
//! ```text
//! parse request          free words, ranked (BM25 over code and docs, symbol names boosted)
//! "exact phrase"         the words in this order, then checked as a substring of the code
//!                        (case-sensitive when the phrase has a capital, whitespace-insensitive)
//! /regex/                a regular expression, checked on the candidates' code
//! lang:python            only this language (rust, python, javascript; also rs, py, js)
//! path:src/**            only paths matching this glob; without glob characters, containing it
//! kind:function          only symbols of this kind, or code in such a symbol
//! sym:name               only definitions named so (case-insensitive; `sym:Shape.area` too)
//! -word -"phrase" -lang:js -path:tests/**   exclude
//! ```
//! A value may be quoted: `path:"my dir/**"`. Errors name the 1-based column of the bad token.
//! A word with no letter or digit in it (`$`, `()`, `->`, an emoji) is matched literally in the
//! code, as a phrase is.
//!
//! What a query may ask for is bounded: at most [`MAX_QUERY_BYTES`] bytes, [`MAX_TERMS`] terms,
//! [`MAX_PATTERNS`] phrases and regexes (each is run over the code of every candidate), and a
//! compiled regex of at most [`REGEX_SIZE_LIMIT`] bytes; more is an error, not a slow search.

use std::fmt;

use arbor_syntax::{Language, SymbolKind};
use globset::{GlobBuilder, GlobMatcher};

/// The longest query accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 4096;
/// The most terms (words, phrases, regexes, filters) in a query.
pub const MAX_TERMS: usize = 64;
/// The most phrases and regexes in a query.
pub const MAX_PATTERNS: usize = 16;
/// The most memory one compiled regex (of a `/regex/` or a phrase) may take, in bytes.
pub const REGEX_SIZE_LIMIT: usize = 4 << 20;
/// The longest token shown in an error, in characters.
const MAX_TOKEN_SHOWN: usize = 60;

/// `text` with control characters escaped (`\n`, `\u{1b}`…), and the characters that reorder
/// text on a terminal (bidirectional overrides and isolates): safe to print, one line.
pub fn escape_control(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.extend(c.escape_unicode())
            }
            c => out.push(c),
        }
    }
    out
}

/// `text`, cut after [`MAX_TOKEN_SHOWN`] characters (marked with `…`).
fn cut(text: &str) -> String {
    let mut shown: String = text.chars().take(MAX_TOKEN_SHOWN).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    shown
}

/// A malformed query, with the 1-based column of the offending token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// 1-based column (in characters) where the offending token starts.
    pub column: usize,
    /// The offending token as written.
    pub token: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for QueryError {
    /// One line, with control characters escaped and a long token cut.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let token = cut(&self.token);
        write!(
            f,
            "{} at column {}: `{}`",
            escape_control(&self.message),
            self.column,
            escape_control(&token)
        )
    }
}

impl std::error::Error for QueryError {}

/// One term of a query.
#[derive(Debug, Clone)]
pub enum Term {
    /// A free word.
    Word(String),
    /// An exact phrase.
    Phrase(String),
    /// A regular expression.
    Regex(regex::Regex),
    /// `lang:`
    Lang(Language),
    /// `path:`
    Path(PathFilter),
    /// `kind:`
    Kind(SymbolKind),
    /// `sym:`
    Sym(String),
}

/// A `path:` filter.
#[derive(Debug, Clone)]
pub struct PathFilter {
    /// As written.
    pub pattern: String,
    glob: Option<GlobMatcher>,
}

impl PathFilter {
    /// Whether a repository-relative path matches: the glob against the whole path (or, for a
    /// glob without `/`, against the file name too); a plain value as a substring.
    pub fn matches(&self, path: &str) -> bool {
        match &self.glob {
            Some(glob) => {
                glob.is_match(path)
                    || (!self.pattern.contains('/')
                        && glob.is_match(path.rsplit('/').next().unwrap_or(path)))
            }
            None => path.contains(&self.pattern),
        }
    }
}

/// A term and whether it is excluded (`-`).
#[derive(Debug, Clone)]
pub struct Clause {
    /// The term.
    pub term: Term,
    /// Excluded with `-`.
    pub negated: bool,
}

/// A parsed query.
#[derive(Debug, Clone)]
pub struct Query {
    /// The clauses, in the order written.
    pub clauses: Vec<Clause>,
    /// The query as written.
    pub text: String,
}

const FILTERS: [&str; 4] = ["lang", "path", "kind", "sym"];

impl Query {
    /// Parses a query; see the module documentation.
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        if text.len() > MAX_QUERY_BYTES {
            return Err(QueryError {
                column: 1,
                token: text.to_string(),
                message: format!(
                    "query too long ({} bytes, at most {MAX_QUERY_BYTES})",
                    text.len()
                ),
            });
        }
        let scanner = Scanner {
            text,
            chars: text.char_indices().collect(),
        };
        let chars = &scanner.chars;
        let mut clauses: Vec<Clause> = Vec::new();
        let mut patterns = 0;
        let mut i = 0;
        while i < chars.len() {
            if chars[i].1.is_whitespace() {
                i += 1;
                continue;
            }
            let start = i;
            let negated =
                chars[i].1 == '-' && chars.get(i + 1).is_some_and(|(_, c)| !c.is_whitespace());
            if negated {
                i += 1;
            }
            let term;
            (term, i) = scanner.term(start, i)?;
            if clauses.len() == MAX_TERMS {
                let message = format!("too many terms (at most {MAX_TERMS})");
                return Err(scanner.error(start, i, message));
            }
            if matches!(term, Term::Phrase(_) | Term::Regex(_)) {
                patterns += 1;
                if patterns > MAX_PATTERNS {
                    let message = format!("too many phrases and regexes (at most {MAX_PATTERNS})");
                    return Err(scanner.error(start, i, message));
                }
            }
            clauses.push(Clause { term, negated });
        }
        Self::check_clauses(text, &clauses)?;
        Ok(Query {
            clauses,
            text: text.to_string(),
        })
    }

    /// Refuses a query without clauses, or with only negated ones.
    fn check_clauses(text: &str, clauses: &[Clause]) -> Result<(), QueryError> {
        if clauses.is_empty() {
            return Err(QueryError {
                column: 1,
                token: text.to_string(),
                message: "empty query".into(),
            });
        }
        if clauses.iter().all(|c| c.negated) {
            return Err(QueryError {
                column: 1,
                token: text.trim().to_string(),
                message: "nothing to search for: the query only excludes".into(),
            });
        }
        Ok(())
    }

    /// The terms of the clauses that are not negated.
    pub fn positive(&self) -> impl Iterator<Item = &Term> {
        self.clauses.iter().filter(|c| !c.negated).map(|c| &c.term)
    }
}

/// The characters of a query being parsed, for reading its terms.
struct Scanner<'a> {
    text: &'a str,
    chars: Vec<(usize, char)>,
}

impl Scanner<'_> {
    /// An error about the token from character `start` to `end`.
    fn error(&self, start: usize, end: usize, message: String) -> QueryError {
        QueryError {
            column: start + 1,
            token: slice(self.text, &self.chars, start, end),
            message,
        }
    }

    /// Reads the term at character `i` (its token, with a `-`, starts at `start`): the term and
    /// the index after it.
    fn term(&self, start: usize, i: usize) -> Result<(Term, usize), QueryError> {
        match self.chars[i].1 {
            '"' => self.phrase(start, i),
            '/' if self.chars.len() > i + 1 => self.regex(start, i),
            _ => self.word(start, i),
        }
    }

    /// `"phrase"`.
    fn phrase(&self, start: usize, i: usize) -> Result<(Term, usize), QueryError> {
        let len = self.chars.len();
        let (value, end) = read_quoted(&self.chars, i, '"')
            .ok_or_else(|| self.error(start, len, "unterminated phrase".into()))?;
        if value.trim().is_empty() {
            return Err(self.error(start, end, "empty phrase".into()));
        }
        phrase_regex(&value).map_err(|message| self.error(start, end, message))?;
        Ok((Term::Phrase(value), end))
    }

    /// `/regex/`.
    fn regex(&self, start: usize, i: usize) -> Result<(Term, usize), QueryError> {
        let len = self.chars.len();
        let (value, end) = read_quoted(&self.chars, i, '/')
            .ok_or_else(|| self.error(start, len, "unterminated regex (close it with /)".into()))?;
        if value.is_empty() {
            return Err(self.error(start, end, "empty regex".into()));
        }
        let regex = regex::RegexBuilder::new(&value)
            .size_limit(REGEX_SIZE_LIMIT)
            .multi_line(true)
            .build()
            .map_err(|e| {
                if let regex::Error::CompiledTooBig(limit) = e {
                    let message = format!("regex too big (compiled, over {} MiB)", limit >> 20);
                    return self.error(start, end, message);
                }
                let detail = e.to_string();
                let last = detail.lines().last().unwrap_or("").trim().to_string();
                self.error(start, end, format!("invalid regex ({last})"))
            })?;
        Ok((Term::Regex(regex), end))
    }

    /// A free word, or a `key:value` filter (its value perhaps quoted).
    fn word(&self, start: usize, word_start: usize) -> Result<(Term, usize), QueryError> {
        let chars = &self.chars;
        let mut i = word_start;
        while i < chars.len() && !chars[i].1.is_whitespace() {
            i += 1;
        }
        let word = slice(self.text, chars, word_start, i);
        let Some((key, rest)) = filter_of(&word) else {
            if let Some((key, _)) = unknown_filter(&word) {
                let message = format!(
                    "unknown filter `{}:` (expected lang:, path:, kind: or sym:)",
                    cut(key)
                );
                return Err(self.error(start, i, message));
            }
            return Ok((Term::Word(word), i));
        };
        let value = if rest.starts_with('"') {
            // A quoted value may hold spaces: re-read from the quote.
            let quote = word_start + key.chars().count() + 1;
            let (value, end) = read_quoted(chars, quote, '"').ok_or_else(|| {
                self.error(start, chars.len(), "unterminated quoted value".into())
            })?;
            i = end;
            value
        } else {
            rest.to_string()
        };
        let term = filter_term(key, &value).map_err(|message| self.error(start, i, message))?;
        Ok((term, i))
    }
}

/// The regex that checks an exact phrase (or a word matched literally) in code:
/// whitespace-insensitive, case-sensitive only when the phrase has a capital.
pub(crate) fn phrase_regex(phrase: &str) -> Result<regex::Regex, String> {
    let words: Vec<String> = phrase.split_whitespace().map(regex::escape).collect();
    let case_insensitive = !phrase.chars().any(char::is_uppercase);
    regex::RegexBuilder::new(&words.join(r"\s+"))
        .case_insensitive(case_insensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => "phrase too long".to_string(),
            other => format!("invalid phrase ({other})"),
        })
}

fn slice(text: &str, chars: &[(usize, char)], start: usize, end: usize) -> String {
    let from = chars.get(start).map_or(text.len(), |c| c.0);
    let to = chars.get(end).map_or(text.len(), |c| c.0);
    text[from..to].to_string()
}

/// Reads a `quote`-delimited value starting at `chars[open]`; `\quote` and `\\` are escapes
/// (other backslashes are kept, so regexes keep theirs). Returns the value and the index after
/// the closing quote.
fn read_quoted(chars: &[(usize, char)], open: usize, quote: char) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut i = open + 1;
    while i < chars.len() {
        let c = chars[i].1;
        if c == '\\'
            && i + 1 < chars.len()
            && (chars[i + 1].1 == quote || (quote == '"' && chars[i + 1].1 == '\\'))
        {
            value.push(chars[i + 1].1);
            i += 2;
            continue;
        }
        if c == quote {
            return Some((value, i + 1));
        }
        value.push(c);
        i += 1;
    }
    None
}

/// `key:value` with a known key.
fn filter_of(word: &str) -> Option<(&str, &str)> {
    let (key, rest) = word.split_once(':')?;
    FILTERS.contains(&key).then_some((key, rest))
}

/// `key:value` that looks like a filter with an unknown key (`lnag:python`), not like code
/// (`std::io`, `a:`, `http://`, `Foo:bar`).
fn unknown_filter(word: &str) -> Option<(&str, &str)> {
    let (key, rest) = word.split_once(':')?;
    let looks_like_key = !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase());
    let looks_like_value = !rest.is_empty() && !rest.starts_with(':') && !rest.starts_with('/');
    (looks_like_key && looks_like_value).then_some((key, rest))
}

fn filter_term(key: &str, value: &str) -> Result<Term, String> {
    if value.is_empty() {
        return Err(format!("`{key}:` needs a value"));
    }
    match key {
        "lang" => value.parse::<Language>().map(Term::Lang).map_err(|_| {
            format!(
                "unknown language `{}` (expected rust, python or javascript)",
                cut(value)
            )
        }),
        "kind" => value.parse::<SymbolKind>().map(Term::Kind).map_err(|_| {
            let kinds: Vec<&str> = SymbolKind::ALL.iter().map(|k| k.name()).collect();
            format!(
                "unknown kind `{}` (expected one of {})",
                cut(value),
                kinds.join(", ")
            )
        }),
        "sym" => Ok(Term::Sym(value.to_string())),
        "path" => {
            let has_glob = value.contains(['*', '?', '[', '{']);
            let glob = if has_glob {
                let glob = GlobBuilder::new(value)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| format!("invalid glob ({})", e.kind()))?;
                Some(glob.compile_matcher())
            } else {
                None
            };
            Ok(Term::Path(PathFilter {
                pattern: value.trim_start_matches("./").to_string(),
                glob,
            }))
        }
        _ => unreachable!("filter_of only returns known keys"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(query: &str) -> String {
        Query::parse(query).unwrap_err().to_string()
    }

    #[test]
    fn parses_every_kind_of_term() {
        let q = Query::parse(r#"parse "exact  phrase" /fo+\/bar/ lang:py path:src/** kind:method sym:Shape.area -word -lang:js path:"my dir/*.rs""#).unwrap();
        let summary: Vec<String> = q
            .clauses
            .iter()
            .map(|c| {
                let t = match &c.term {
                    Term::Word(w) => format!("word {w}"),
                    Term::Phrase(p) => format!("phrase {p}"),
                    Term::Regex(r) => format!("regex {}", r.as_str()),
                    Term::Lang(l) => format!("lang {l}"),
                    Term::Path(p) => format!("path {}", p.pattern),
                    Term::Kind(k) => format!("kind {k}"),
                    Term::Sym(s) => format!("sym {s}"),
                };
                if c.negated {
                    format!("-{t}")
                } else {
                    t
                }
            })
            .collect();
        assert_eq!(
            summary,
            [
                "word parse",
                "phrase exact  phrase",
                "regex fo+/bar",
                "lang python",
                "path src/**",
                "kind method",
                "sym Shape.area",
                "-word word",
                "-lang javascript",
                "path my dir/*.rs",
            ]
        );
    }

    #[test]
    fn code_with_colons_is_a_word() {
        for word in [
            "std::io::Read",
            "Foo:bar",
            "a:",
            "http://x",
            "-",
            "x-y",
            "::",
        ] {
            let q = Query::parse(word).unwrap();
            assert!(
                matches!(&q.clauses[0].term, Term::Word(w) if w == word),
                "{word}"
            );
        }
        let q = Query::parse("- foo").unwrap();
        assert_eq!(q.clauses.len(), 2, "a lone - is a word");
    }

    #[test]
    fn errors_point_at_the_offending_token() {
        assert_eq!(err("foo \"bar"), "unterminated phrase at column 5: `\"bar`");
        assert_eq!(
            err("x /ab(/"),
            "invalid regex (error: unclosed group) at column 3: `/ab(/`"
        );
        assert_eq!(
            err("a /abc"),
            "unterminated regex (close it with /) at column 3: `/abc`"
        );
        assert_eq!(
            err("foo lang:cobol"),
            "unknown language `cobol` (expected rust, python or javascript) at column 5: `lang:cobol`"
        );
        assert!(err("kind:widget")
            .starts_with("unknown kind `widget` (expected one of function, method"));
        assert_eq!(
            err("x lnag:python"),
            "unknown filter `lnag:` (expected lang:, path:, kind: or sym:) at column 3: `lnag:python`"
        );
        assert_eq!(err("sym: x"), "`sym:` needs a value at column 1: `sym:`");
        assert_eq!(
            err("path:[a"),
            "invalid glob (unclosed character class; missing ']') at column 1: `path:[a`"
        );
        assert_eq!(err("   "), "empty query at column 1: `   `");
        assert_eq!(
            err("-foo -lang:rust"),
            "nothing to search for: the query only excludes at column 1: `-foo -lang:rust`"
        );
        assert_eq!(err("\"\""), "empty phrase at column 1: `\"\"`");
        assert_eq!(err("é \"x"), "unterminated phrase at column 3: `\"x`");
    }

    #[test]
    fn what_a_query_asks_for_is_bounded() {
        let long = "x".repeat(MAX_QUERY_BYTES + 1);
        assert!(err(&long).starts_with("query too long (4097 bytes, at most 4096) at column 1"));
        assert!(Query::parse(&"x".repeat(MAX_QUERY_BYTES)).is_ok());
        let words = ["w"; MAX_TERMS + 1].join(" ");
        assert_eq!(
            err(&words),
            format!(
                "too many terms (at most 64) at column {}: `w`",
                2 * MAX_TERMS + 1
            )
        );
        assert!(Query::parse(&["w"; MAX_TERMS].join(" ")).is_ok());
        let patterns = ["/a/ \"b c\""; MAX_PATTERNS / 2 + 1].join(" ");
        assert!(err(&patterns).starts_with("too many phrases and regexes (at most 16)"));
        assert!(err(r"/\w{200}/").starts_with("regex too big (compiled, over 4 MiB)"));
        // A long token is cut in the message.
        let message = err(&format!("lang:{}", "y".repeat(500)));
        assert!(message.ends_with("yyy…`"), "{message}");
        assert!(message.len() < 250, "{message}");
    }

    #[test]
    fn errors_escape_what_a_terminal_would_obey() {
        assert_eq!(
            escape_control("a\x1b[31mb\u{7}\n\t\r\u{202e}é🎉"),
            "a\\u{1b}[31mb\\u{7}\\n\\t\\r\\u{202e}é🎉"
        );
        assert_eq!(
            err("kind:\x1b]0;x\x07"),
            "unknown kind `\\u{1b}]0;x\\u{7}` (expected one of function, method, class, struct, enum, trait, impl, module, constant, macro, type) at column 1: `kind:\\u{1b}]0;x\\u{7}`"
        );
    }

    #[test]
    fn path_filters_match_globs_and_substrings() {
        let path = |p: &str| match Query::parse(&format!("path:{p}")).unwrap().clauses[0]
            .term
            .clone()
        {
            Term::Path(f) => f,
            _ => unreachable!(),
        };
        assert!(path("src/**").matches("src/a/b.rs"));
        assert!(!path("src/*.rs").matches("src/a/b.rs"));
        assert!(path("src/*.rs").matches("src/b.rs"));
        assert!(
            path("*.py").matches("deep/down/x.py"),
            "a glob without / matches file names"
        );
        assert!(path("tests").matches("crates/x/tests/y.rs"));
        assert!(path("./src").matches("src/lib.rs"));
        assert!(!path("tests").matches("src/lib.rs"));
    }
}
