//! The code-aware tokenizer: identifiers are kept whole and split into their words.
//!
//! `parseHttpRequest`, `parse_http_request`, `ParseHTTPRequest` and the words `parse http request`
//! all meet: each identifier yields its whole lower-cased form (when it has several parts) at the
//! position of its first part, then each part lower-cased at consecutive positions, so phrase
//! queries over parts match across naming styles. Parts break at `_`, at lower→upper case
//! changes, before the last capital of a run of capitals followed by a lower-case letter
//! (`HTTPRequest` → `http`, `request`) and between letters and digits (`utf8` → `utf`, `8`).
//! Everything that is not a letter, digit or `_` separates tokens. Tokens longer than
//! [`MAX_TOKEN_LEN`] bytes are dropped.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The name under which the code tokenizer is registered with tantivy.
pub const CODE_TOKENIZER: &str = "arbor_code";

/// Tokens longer than this many bytes (minified blobs, base64) are not indexed.
pub const MAX_TOKEN_LEN: usize = 64;

/// The code-aware tokenizer; see the module documentation.
#[derive(Debug, Clone, Default)]
pub struct CodeTokenizer {
    tokens: Vec<Token>,
}

/// The tokens of one text, produced eagerly.
pub struct CodeTokenStream<'a> {
    tokens: &'a mut Vec<Token>,
    index: usize,
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Lower,
    Upper,
    Digit,
    Other,
}

fn class(c: char) -> Class {
    if c.is_numeric() {
        Class::Digit
    } else if c.is_uppercase() {
        Class::Upper
    } else if c.is_lowercase() {
        Class::Lower
    } else {
        Class::Other // letters without case (CJK, …) behave as lower case
    }
}

/// Byte ranges (relative to `ident`) of the parts of an identifier.
pub fn split_identifier(ident: &str) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let chars: Vec<(usize, char)> = ident.char_indices().collect();
    let mut start: Option<usize> = None;
    for (i, &(offset, c)) in chars.iter().enumerate() {
        if c == '_' {
            if let Some(s) = start.take() {
                parts.push((s, offset));
            }
            continue;
        }
        let Some(s) = start else {
            start = Some(offset);
            continue;
        };
        let prev = class(chars[i - 1].1);
        let this = class(c);
        let next = chars.get(i + 1).map(|&(_, n)| class(n));
        let boundary = match (prev, this) {
            (Class::Lower | Class::Other, Class::Upper) => true,
            (Class::Upper, Class::Upper) => matches!(next, Some(Class::Lower)),
            (Class::Digit, Class::Digit) => false,
            (Class::Digit, _) | (_, Class::Digit) => true,
            _ => false,
        };
        if boundary {
            parts.push((s, offset));
            start = Some(offset);
        }
    }
    if let Some(s) = start {
        parts.push((s, ident.len()));
    }
    parts
}

/// Appends the tokens of `text` to `tokens`, positions starting at `position`.
fn tokenize_into(text: &str, tokens: &mut Vec<Token>) {
    let mut position = 0usize;
    let push = |tokens: &mut Vec<Token>, from: usize, to: usize, position: usize| {
        if to - from > MAX_TOKEN_LEN {
            return;
        }
        tokens.push(Token {
            offset_from: from,
            offset_to: to,
            position,
            text: text[from..to].to_lowercase(),
            position_length: 1,
        });
    };
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if !is_ident_char(c) {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(offset, next)) = chars.peek() {
            if !is_ident_char(next) {
                break;
            }
            end = offset + next.len_utf8();
            chars.next();
        }
        let ident = &text[start..end];
        let parts = split_identifier(ident);
        if parts.is_empty() {
            continue; // only underscores
        }
        let whole = parts.len() > 1 || parts[0] != (0, ident.len());
        if whole {
            push(tokens, start, end, position);
        }
        for (from, to) in parts {
            push(tokens, start + from, start + to, position);
            position += 1;
        }
    }
}

/// The tokens of `text`, as the index sees them.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    tokenize_into(text, &mut tokens);
    tokens
}

impl Tokenizer for CodeTokenizer {
    type TokenStream<'a> = CodeTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CodeTokenStream<'a> {
        self.tokens.clear();
        tokenize_into(text, &mut self.tokens);
        CodeTokenStream {
            tokens: &mut self.tokens,
            index: 0,
        }
    }
}

impl TokenStream for CodeTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<(String, usize)> {
        tokenize(text)
            .into_iter()
            .map(|t| (t.text, t.position))
            .collect()
    }

    fn words(text: &str) -> Vec<String> {
        tokenize(text).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn naming_styles_meet() {
        let expected = ["parse", "http", "request"];
        for ident in [
            "parseHttpRequest",
            "parse_http_request",
            "ParseHTTPRequest",
            "PARSE_HTTP_REQUEST",
            "__parse_http_request__",
        ] {
            let tokens = texts(ident);
            let parts: Vec<&str> = tokens[1..].iter().map(|(t, _)| t.as_str()).collect();
            assert_eq!(parts, expected, "{ident}");
            assert_eq!(
                tokens[0].0,
                ident.to_lowercase(),
                "{ident}: whole identifier kept"
            );
            assert_eq!(
                tokens[0].1, tokens[1].1,
                "whole and first part share a position"
            );
            assert_eq!(tokens[3].1, tokens[1].1 + 2, "parts are consecutive");
        }
        assert_eq!(words("http request"), ["http", "request"]);
    }

    #[test]
    fn digits_acronyms_and_punctuation() {
        assert_eq!(words("utf8Decode"), ["utf8decode", "utf", "8", "decode"]);
        assert_eq!(words("HTMLParser"), ["htmlparser", "html", "parser"]);
        assert_eq!(words("x2y"), ["x2y", "x", "2", "y"]);
        assert_eq!(words("v1.2.3"), ["v1", "v", "1", "2", "3"]);
        assert_eq!(words("self.foo(bar, 42)"), ["self", "foo", "bar", "42"]);
        assert_eq!(words("IOError"), ["ioerror", "io", "error"]);
        assert_eq!(words("std::io::Read"), ["std", "io", "read"]);
        assert_eq!(words("___"), Vec::<String>::new());
        assert_eq!(words("naïveCafé"), ["naïvecafé", "naïve", "café"]);
        assert_eq!(words("变量名 x"), ["变量名", "x"]);
    }

    #[test]
    fn offsets_point_into_the_text_and_positions_advance() {
        let text = "let fooBar = baz;";
        let tokens = tokenize(text);
        let spans: Vec<(&str, usize)> = tokens
            .iter()
            .map(|t| (&text[t.offset_from..t.offset_to], t.position))
            .collect();
        assert_eq!(
            spans,
            [
                ("let", 0),
                ("fooBar", 1),
                ("foo", 1),
                ("Bar", 2),
                ("baz", 3)
            ]
        );
    }

    #[test]
    fn long_tokens_are_dropped() {
        let blob = "a".repeat(MAX_TOKEN_LEN + 1);
        assert_eq!(words(&format!("x {blob} y")), ["x", "y"]);
    }
}
