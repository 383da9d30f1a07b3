//! Listings of what a parse found, shared by every front end (the `arbor` CLI, a server): a
//! file's definitions as an indented outline ([`FileSymbols`]), the totals of a directory's
//! listing, and a parse's summary ([`ParseSummary`]).

use std::io::Write;

use serde::Serialize;

use crate::error::SyntaxError;
use crate::language::Language;
use crate::parse::{ParsedFile, SyntaxIssue};
use crate::symbols::Symbol;
use crate::walk::{parse_files, Skipped, Walk};

/// The definitions of one file, with its syntax errors (serialized as one JSON object:
/// `path`, `language`, `syntax_errors`, `symbols`).
#[derive(Debug, Clone, Serialize)]
pub struct FileSymbols {
    /// The file's path, as given.
    pub path: String,
    /// Its language.
    pub language: Language,
    /// Its syntax errors.
    pub syntax_errors: Vec<SyntaxIssue>,
    /// Its definitions, parents before their children.
    pub symbols: Vec<Symbol>,
}

impl FileSymbols {
    /// The definitions and syntax errors of a parsed file.
    pub fn of(file: &ParsedFile) -> Result<FileSymbols, SyntaxError> {
        Ok(FileSymbols {
            path: file.path().display().to_string(),
            language: file.language(),
            syntax_errors: file.syntax_errors(),
            symbols: file.symbols()?,
        })
    }

    /// A warning about the syntax errors (how many, where the first is), if any.
    pub fn syntax_warning(&self) -> Option<String> {
        let first = self.syntax_errors.first()?;
        Some(format!(
            "{}: {} syntax error(s), first at {}:{}",
            self.path,
            self.syntax_errors.len(),
            first.span.start.line,
            first.span.start.column
        ))
    }

    /// The listing as one line of JSON (`json`) or as the outline ([`Self::write_text`]).
    pub fn write(&self, out: &mut impl Write, json: bool, heading: bool) -> std::io::Result<()> {
        if json {
            serde_json::to_writer(&mut *out, self)?;
            return writeln!(out);
        }
        self.write_text(out, heading)
    }

    /// The outline: per definition its `LINE:COLUMN`, kind, qualified name (indented by
    /// nesting) and the first line of its doc. With `heading`, the path first and a blank
    /// line after, and nothing at all for a file without definitions.
    pub fn write_text(&self, out: &mut impl Write, heading: bool) -> std::io::Result<()> {
        if heading {
            if self.symbols.is_empty() {
                return Ok(());
            }
            writeln!(out, "{}", self.path)?;
        }
        let mut depth = vec![0usize; self.symbols.len()];
        for (index, symbol) in self.symbols.iter().enumerate() {
            depth[index] = symbol.parent.map_or(0, |p| depth[p] + 1);
            let position = format!("{}:{}", symbol.span.start.line, symbol.span.start.column);
            let indent = "  ".repeat(depth[index].min(16));
            write!(
                out,
                "{position:>8}  {:<8}  {indent}{}",
                symbol.kind.name(),
                symbol.qualified_name
            )?;
            if let Some(summary) = symbol.doc.as_deref().and_then(|d| d.lines().next()) {
                if !summary.is_empty() {
                    write!(out, "  — {summary}")?;
                }
            }
            writeln!(out)?;
        }
        if heading {
            writeln!(out)?;
        }
        Ok(())
    }
}

/// The listings of the files a walk found, in path order (parsed in parallel, in the current
/// rayon pool), with the files skipped: the walk's and those that could not be read, sorted
/// by path.
pub fn list_walk(
    walk: Walk,
    max_file_size: u64,
) -> Result<(Vec<FileSymbols>, Vec<Skipped>), SyntaxError> {
    let mut skipped = walk.skipped;
    let mut files = Vec::new();
    for result in parse_files(&walk.files, max_file_size, |f| FileSymbols::of(&f)) {
        match result {
            Ok(file) => files.push(file?),
            Err(skip) => skipped.push(skip),
        }
    }
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, skipped))
}

/// What a directory's listing counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListingTotals {
    /// Files listed.
    pub files: usize,
    /// Definitions in them.
    pub symbols: usize,
    /// Files with syntax errors.
    pub with_errors: usize,
}

impl ListingTotals {
    /// The totals of `files`.
    pub fn of(files: &[FileSymbols]) -> ListingTotals {
        let mut totals = ListingTotals::default();
        for file in files {
            totals.add(file);
        }
        totals
    }

    /// Counts one more file.
    pub fn add(&mut self, file: &FileSymbols) {
        self.files += 1;
        self.symbols += file.symbols.len();
        self.with_errors += usize::from(!file.syntax_errors.is_empty());
    }

    /// One line: the totals, with `skipped` files and the `seconds` taken.
    pub fn summary(&self, skipped: usize, seconds: f64) -> String {
        let counted = |n: usize, noun: &str| {
            if n == 1 {
                format!("1 {noun}")
            } else {
                format!("{n} {noun}s")
            }
        };
        format!(
            "{}, {}, {} with syntax errors, {skipped} skipped, in {seconds:.2}s",
            counted(self.files, "file"),
            counted(self.symbols, "symbol"),
            self.with_errors
        )
    }
}

/// A parse's summary: sizes and syntax errors (serialized as one JSON object).
#[derive(Debug, Clone, Serialize)]
pub struct ParseSummary {
    /// Its size in bytes.
    pub bytes: usize,
    /// Its language.
    pub language: Language,
    /// Depth of the deepest node.
    pub max_depth: usize,
    /// Nodes of its tree.
    pub nodes: usize,
    /// The file.
    pub path: std::path::PathBuf,
    /// Its syntax errors.
    pub syntax_errors: Vec<SyntaxIssue>,
}

impl ParseSummary {
    /// The summary of a parsed file.
    pub fn of(file: &ParsedFile) -> ParseSummary {
        let stats = file.tree_stats();
        ParseSummary {
            path: file.path().to_path_buf(),
            language: file.language(),
            bytes: file.source().len(),
            nodes: stats.nodes,
            max_depth: stats.max_depth,
            syntax_errors: file.syntax_errors(),
        }
    }

    /// The summary as one line of JSON (`json`; every object's keys in alphabetical order)
    /// or as text ([`Self::write_text`]).
    pub fn write(&self, out: &mut impl Write, json: bool) -> std::io::Result<()> {
        if json {
            return writeln!(out, "{}", serde_json::to_value(self)?);
        }
        self.write_text(out)
    }

    /// The summary as aligned `name: value` lines, then one line per syntax error.
    pub fn write_text(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(out, "path:          {}", self.path.display())?;
        writeln!(out, "language:      {}", self.language)?;
        writeln!(out, "bytes:         {}", self.bytes)?;
        writeln!(out, "nodes:         {}", self.nodes)?;
        writeln!(out, "max depth:     {}", self.max_depth)?;
        writeln!(out, "syntax errors: {}", self.syntax_errors.len())?;
        for error in &self.syntax_errors {
            writeln!(out, "  {}:{error}", self.path.display())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(source: &str) -> ParsedFile {
        ParsedFile::parse("m.py", Language::Python, source.to_string()).unwrap()
    }

    #[test]
    fn outlines_indent_by_nesting() {
        let file = parsed("class A:\n    \"\"\"An A.\"\"\"\n    def f(self):\n        pass\n");
        let symbols = FileSymbols::of(&file).unwrap();
        assert!(symbols.syntax_warning().is_none());
        let mut text = Vec::new();
        symbols.write_text(&mut text, true).unwrap();
        let text = String::from_utf8(text).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "m.py");
        assert!(lines[1].ends_with("  A  — An A."), "{text}");
        assert!(lines[2].ends_with("    A.f"), "{text}");
        assert_eq!(lines.len(), 4);
        let mut totals = ListingTotals::default();
        totals.add(&symbols);
        assert_eq!(
            totals.summary(1, 0.5),
            "1 file, 2 symbols, 0 with syntax errors, 1 skipped, in 0.50s"
        );
    }

    #[test]
    fn walks_are_listed_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.py"), "def g():\n    pass\n").unwrap();
        std::fs::write(dir.path().join("a.py"), "def f():\n    pass\n").unwrap();
        let walk = crate::walk::walk(dir.path(), &crate::walk::WalkOptions::default()).unwrap();
        let (files, skipped) = list_walk(walk, 1 << 20).unwrap();
        assert!(skipped.is_empty());
        assert!(files[0].path.ends_with("a.py") && files[1].path.ends_with("b.py"));
        assert_eq!(ListingTotals::of(&files).symbols, 2);
    }

    #[test]
    fn parse_summaries_count_errors() {
        let file = parsed("def f(:\n");
        let summary = ParseSummary::of(&file);
        assert!(!summary.syntax_errors.is_empty());
        let mut text = Vec::new();
        summary.write_text(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.starts_with("path:          m.py\nlanguage:      python\n"),
            "{text}"
        );
        let mut json = Vec::new();
        summary.write(&mut json, true).unwrap();
        assert!(json.starts_with(b"{\"bytes\":8,\"language\":\"python\",\"max_depth\":"));
        let json = String::from_utf8(json).unwrap();
        assert!(json.contains("[{\"expected\":"), "{json}");
        let warning = FileSymbols::of(&file).unwrap().syntax_warning().unwrap();
        assert!(warning.starts_with("m.py: "), "{warning}");
    }
}
