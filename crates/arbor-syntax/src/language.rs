//! The languages Arbor understands and how a file's language is detected.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::SyntaxError;

/// A programming language supported by the syntax layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Rust (`.rs`).
    Rust,
    /// Python (`.py`, `.pyi`, `.pyw`, `python` shebangs).
    Python,
    /// JavaScript, including JSX and ES/CommonJS modules (`.js`, `.mjs`, `.cjs`, `.jsx`, `node` shebangs).
    JavaScript,
}

impl Language {
    /// Every supported language, in a stable order.
    pub const ALL: [Language; 3] = [Language::Rust, Language::Python, Language::JavaScript];

    /// The language's canonical lower-case name, as used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::Python => "python",
            Language::JavaScript => "javascript",
        }
    }

    /// File extensions (without the dot, lower case) that belong to this language.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Language::Rust => &["rs"],
            Language::Python => &["py", "pyi", "pyw"],
            Language::JavaScript => &["js", "mjs", "cjs", "jsx"],
        }
    }

    /// The separator between the parts of a qualified name (`a::b` in Rust, `a.b` elsewhere).
    pub fn qualifier_separator(self) -> &'static str {
        match self {
            Language::Rust => "::",
            Language::Python | Language::JavaScript => ".",
        }
    }

    /// The tree-sitter grammar for this language.
    pub fn grammar(self) -> tree_sitter::Language {
        match self {
            Language::Rust => tree_sitter_rust::LANGUAGE.into(),
            Language::Python => tree_sitter_python::LANGUAGE.into(),
            Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
        }
    }

    /// The language whose extension `ext` is (case-insensitive, without the dot).
    pub fn from_extension(ext: &str) -> Option<Language> {
        let ext = ext.to_ascii_lowercase();
        Language::ALL
            .into_iter()
            .find(|lang| lang.extensions().contains(&ext.as_str()))
    }

    /// The language named by a file's path, from its extension.
    pub fn from_path(path: &Path) -> Option<Language> {
        path.extension()
            .and_then(|ext| ext.to_str())
            .and_then(Language::from_extension)
    }

    /// The language named by a `#!` line at the start of `head` (the first bytes of a file).
    ///
    /// Understands `#!/usr/bin/python3`, `#!/usr/bin/env python3 -u`, `#!/usr/bin/env -S node --flag`,
    /// versioned interpreters (`python3.11`, `nodejs`) and `run-cargo-script`/`rust-script`.
    pub fn from_shebang(head: &[u8]) -> Option<Language> {
        let rest = head.strip_prefix(b"#!")?;
        let line_end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let line = std::str::from_utf8(&rest[..line_end]).ok()?;
        let mut words = line.split_whitespace();
        let mut program = words.next()?;
        if base_name(program) == "env" {
            // Skip env's own options (`-S`, `-i`, `VAR=value`) to reach the interpreter.
            program = words.find(|w| !w.starts_with('-') && !w.contains('='))?;
        }
        let program = base_name(program);
        let stem = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
        match stem {
            "python" | "pypy" => Some(Language::Python),
            "node" | "nodejs" | "deno" | "bun" => Some(Language::JavaScript),
            "rust-script" | "run-cargo-script" | "cargo-script" => Some(Language::Rust),
            _ => None,
        }
    }

    /// Detects the language of `path`: by extension first, then by the shebang in `head`.
    pub fn detect(path: &Path, head: &[u8]) -> Option<Language> {
        Language::from_path(path).or_else(|| Language::from_shebang(head))
    }
}

fn base_name(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Language {
    type Err = SyntaxError;

    /// Parses a language name (`rust`, `python`, `javascript`) or a common alias (`rs`, `py`, `js`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        match lower.as_str() {
            "rust" | "rs" => Ok(Language::Rust),
            "python" | "py" | "python3" => Ok(Language::Python),
            "javascript" | "js" | "jsx" | "node" => Ok(Language::JavaScript),
            _ => Err(SyntaxError::UnknownLanguage(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_detected_case_insensitively() {
        for (file, lang) in [
            ("a.rs", Language::Rust),
            ("a.py", Language::Python),
            ("a.pyi", Language::Python),
            ("a.js", Language::JavaScript),
            ("a.mjs", Language::JavaScript),
            ("a.cjs", Language::JavaScript),
            ("a.jsx", Language::JavaScript),
            ("A.JSX", Language::JavaScript),
            ("dir.d/B.Py", Language::Python),
        ] {
            assert_eq!(Language::from_path(Path::new(file)), Some(lang), "{file}");
        }
        for file in ["a.ts", "a.c", "Makefile", "a", ".py", "a.rs.bak"] {
            assert_eq!(Language::from_path(Path::new(file)), None, "{file}");
        }
    }

    #[test]
    fn shebangs_are_detected() {
        for (head, lang) in [
            ("#!/usr/bin/python3\nprint(1)", Some(Language::Python)),
            ("#!/usr/bin/env python3 -u\n", Some(Language::Python)),
            ("#!/usr/bin/env python3.11", Some(Language::Python)),
            ("#! /usr/local/bin/pypy3\n", Some(Language::Python)),
            (
                "#!/usr/bin/env -S node --no-warnings\n",
                Some(Language::JavaScript),
            ),
            ("#!/usr/bin/nodejs\n", Some(Language::JavaScript)),
            ("#!/usr/bin/env rust-script\n", Some(Language::Rust)),
            ("#!/bin/sh\n", None),
            ("#!/usr/bin/env\n", None),
            ("print(1)\n", None),
            ("", None),
        ] {
            assert_eq!(Language::from_shebang(head.as_bytes()), lang, "{head:?}");
        }
        assert_eq!(Language::from_shebang(b"#!\xff\xfe python"), None);
    }

    #[test]
    fn extension_wins_over_shebang() {
        let lang = Language::detect(Path::new("tool.js"), b"#!/usr/bin/python3\n");
        assert_eq!(lang, Some(Language::JavaScript));
        let lang = Language::detect(Path::new("tool"), b"#!/usr/bin/python3\n");
        assert_eq!(lang, Some(Language::Python));
    }

    #[test]
    fn names_round_trip() {
        for lang in Language::ALL {
            assert_eq!(lang.name().parse::<Language>().unwrap(), lang);
            assert_eq!(lang.to_string(), lang.name());
        }
        assert!("cobol".parse::<Language>().is_err());
    }
}
