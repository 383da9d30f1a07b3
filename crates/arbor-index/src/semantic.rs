//! Semantic search's side of an update: what each unit of code embeds, and the vector file
//! kept in step with the tantivy index.
//!
//! A unit is a definition (function, method, class, …: its module's path in words, its
//! qualified name, its doc comment when it precedes the code, and its code) or a window of
//! lines outside every definition (the file's path and the lines). A class and each of its
//! methods are units of their own, so a method is found by what it does, not only by its
//! class's first lines.
//!
//! The vector file records the content hash each file's units were embedded from. An update
//! embeds the units of the files it re-indexes and of every indexed file whose vectors are
//! missing or of another version (an update made without the model, one killed after the
//! tantivy commit); the rows of the other files are copied. The new file is written beside the
//! index before the tantivy commit and renamed into place after it: an update killed while
//! embedding leaves both as they were.

use std::collections::HashMap;
use std::sync::Arc;

use arbor_embed::Embed;
use arbor_syntax::{read_source, Chunk, ChunkKind, ParsedFile, Symbol, SymbolKind};
use rayon::prelude::*;

use crate::error::IndexError;
use crate::index::{CodeIndex, Progress, UpdateOptions};
use crate::vectors::{VectorFile, VectorStore, VectorWriter};

/// The most bytes of a unit's text handed to the model: far more than its window of word
/// pieces holds, so that only the tokenizer cuts.
const MAX_UNIT_BYTES: usize = 2_000;

/// Texts embedded at once.
const BATCH: usize = 16;

/// A unit of code and the text embedded for it.
#[derive(Debug, Clone)]
pub(crate) struct UnitText {
    /// The line of the definition's name, or the window's first line.
    pub line: u32,
    /// The symbol's name; empty for a window.
    pub name: String,
    /// The symbol's kind; empty for a window.
    pub kind: &'static str,
    /// What is embedded.
    pub text: String,
}

/// `text` with runs of whitespace made one space, cut at [`MAX_UNIT_BYTES`].
fn squeeze(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_UNIT_BYTES));
    for word in text.split_whitespace() {
        if out.len() + word.len() + 1 > MAX_UNIT_BYTES {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The module a file is, in words: its path without the extension, the separators spaces
/// (`email/utils.py` → `email utils`). A definition's text starts with it: what a function is
/// about is often in its package's and module's names (on `benchmarks/search_quality.sh`'s
/// json, http, email and logging packages, hybrid MRR@10 went from 0.497 to 0.519 with them;
/// the path as written, `.py` and all, gave 0.509).
fn module_words(rel: &str) -> String {
    let stem = match rel.rsplit_once('.') {
        Some((stem, extension)) if !extension.contains(['/', '\\']) => stem,
        _ => rel,
    };
    stem.replace(['/', '\\'], " ")
}

/// The units of a file: its definitions (constants are left to the windows), then its windows
/// of lines outside definitions. `text` is the source as indexed (docs blanked or not).
pub(crate) fn unit_texts(
    rel: &str,
    symbols: &[Symbol],
    chunks: &[Chunk],
    text: &str,
    with_docs: bool,
) -> Vec<UnitText> {
    let mut units = Vec::new();
    let module = module_words(rel);
    for symbol in symbols {
        if symbol.kind == SymbolKind::Constant {
            continue;
        }
        let mut t = format!("{module} {}\n", symbol.qualified_name);
        if let (Some(doc), Some(span), true) = (&symbol.doc, symbol.doc_span, with_docs) {
            if span.start_byte < symbol.span.start_byte {
                t.push_str(doc);
                t.push('\n');
            }
        }
        let end = symbol
            .span
            .end_byte
            .min(symbol.span.start_byte + 4 * MAX_UNIT_BYTES);
        let mut end = end.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        t.push_str(&text[symbol.span.start_byte.min(end)..end]);
        units.push(UnitText {
            line: symbol.name_span.start.line as u32,
            name: symbol.name.clone(),
            kind: symbol.kind.name(),
            text: squeeze(&t),
        });
    }
    for chunk in chunks {
        if chunk.kind == ChunkKind::Window && chunk.symbol.is_none() {
            let code = squeeze(&format!("{rel}\n{}", chunk.text(text)));
            if code.len() > rel.len() {
                units.push(UnitText {
                    line: chunk.span.start.line as u32,
                    name: String::new(),
                    kind: "",
                    text: code,
                });
            }
        }
    }
    units
}

/// A file in the index after an update, for the vectors.
pub(crate) struct Indexed {
    /// The file as the vectors record it.
    pub file: VectorFile,
    /// Where it is on disk.
    pub path: std::path::PathBuf,
    /// Its language.
    pub language: arbor_syntax::Language,
    /// Its units, when the update re-indexed it (and embeds).
    pub units: Option<Vec<UnitText>>,
}

/// What the vectors of a file will be: rows copied from the previous file, or new units.
enum Rows {
    Kept(Vec<usize>),
    New(Vec<UnitText>),
}

impl CodeIndex {
    /// Writes the vector file that matches `indexed` (the files the index holds after the
    /// update) as a temporary file beside the index, embedding what has no vectors yet.
    /// Returns whether anything differs from the vector file in place.
    pub(crate) fn write_vectors(
        &self,
        model: &Arc<dyn Embed>,
        mut indexed: Vec<Indexed>,
        options: &UpdateOptions,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<bool, IndexError> {
        indexed.sort_by(|a, b| a.file.path.cmp(&b.file.path));
        // A vector file that cannot be read is replaced whole; one of another model only when
        // rebuilding (re-embedding a repository is not something to do unasked).
        let old = VectorStore::open(self.dir()).ok().flatten();
        if let Some(store) = old.as_ref().filter(|_| !options.rebuild) {
            if store.header.model != model.id() || store.header.dimensions != model.dimensions() {
                return Err(crate::vectors::model_mismatch(
                    &store.header.model,
                    model.id(),
                ));
            }
        }
        let old = old.filter(|_| !options.rebuild);
        let old_rows = old.as_ref().map(|s| s.rows_by_path()).unwrap_or_default();
        let mut plan: Vec<(VectorFile, Rows)> = Vec::with_capacity(indexed.len());
        for mut entry in indexed {
            let previous = old_rows
                .get(entry.file.path.as_str())
                .filter(|(hash, _)| *hash == entry.file.hash);
            let rows = match (entry.units.take(), previous) {
                (None, Some((_, rows))) => Rows::Kept(rows.clone()),
                (Some(units), _) => Rows::New(units),
                (None, None) => Rows::New(self.units_from_disk(&entry, options)?),
            };
            plan.push((entry.file, rows));
        }
        let unchanged = old
            .as_ref()
            .is_some_and(|s| s.header.files.len() == plan.len())
            && plan.iter().all(|(_, rows)| matches!(rows, Rows::Kept(_)));
        if unchanged {
            return Ok(false);
        }
        let vectors = embed_all(model.as_ref(), &plan, progress)?;
        let mut writer = VectorWriter::new(model.id(), model.dimensions());
        for (file, rows) in &plan {
            writer.file_without_units(file);
            match (rows, &old) {
                (Rows::Kept(rows), Some(old)) => {
                    for &i in rows {
                        writer.keep(old, i);
                    }
                }
                (Rows::Kept(_), None) => {} // kept rows come from a file
                (Rows::New(units), _) => {
                    for unit in units {
                        let vector = &vectors[&(file.path.as_str(), unit.line, unit.name.as_str())];
                        let row = crate::vectors::Unit {
                            file: 0,
                            line: unit.line,
                            name: unit.name.clone(),
                            kind: unit.kind.to_string(),
                        };
                        writer.push(file, row, vector);
                    }
                }
            }
        }
        writer.write_temporary(self.dir())?;
        Ok(true)
    }

    /// The units of an indexed file whose vectors are missing, read again from disk. A file
    /// that changed since it was indexed gets none (the next update re-indexes it).
    fn units_from_disk(
        &self,
        entry: &Indexed,
        options: &UpdateOptions,
    ) -> Result<Vec<UnitText>, IndexError> {
        let Ok(source) = read_source(&entry.path, options.walk.max_file_size) else {
            return Ok(Vec::new());
        };
        if blake3::hash(source.as_bytes()).to_hex().as_str() != entry.file.hash {
            return Ok(Vec::new());
        }
        let Ok(parsed) = ParsedFile::parse(&entry.path, entry.language, source) else {
            return Ok(Vec::new());
        };
        let symbols = parsed.symbols()?;
        Ok(self.units_of(&entry.file.path, &parsed, &symbols, options))
    }

    /// The units of a parsed file, as this index embeds them.
    pub(crate) fn units_of(
        &self,
        rel: &str,
        parsed: &ParsedFile,
        symbols: &[Symbol],
        options: &UpdateOptions,
    ) -> Vec<UnitText> {
        let text = self.indexed_text(parsed.source(), symbols);
        let chunks = parsed.chunks(symbols, options.chunks);
        unit_texts(rel, symbols, &chunks, &text, !self.settings().strip_docs)
    }
}

/// A unit of a file: (path, line, name).
type UnitKey<'p> = (&'p str, u32, &'p str);

/// Embeds every new unit of `plan`, the texts of similar length batched together (less
/// padding), the batches spread over the threads.
fn embed_all<'p>(
    model: &dyn Embed,
    plan: &'p [(VectorFile, Rows)],
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<HashMap<UnitKey<'p>, Vec<f32>>, IndexError> {
    let mut todo: Vec<(&'p str, &'p UnitText)> = plan
        .iter()
        .filter_map(|(file, rows)| match rows {
            Rows::New(units) => Some(units.iter().map(move |u| (file.path.as_str(), u))),
            Rows::Kept(_) => None,
        })
        .flatten()
        .collect();
    todo.sort_by_key(|(_, u)| u.text.len());
    progress(Progress::Embedding(todo.len()));
    let batches: Vec<Vec<Vec<f32>>> = todo
        .par_chunks(BATCH)
        .map(|batch| {
            let texts: Vec<&str> = batch.iter().map(|(_, u)| u.text.as_str()).collect();
            let vectors = model
                .embed(&texts)
                .map_err(|e| IndexError::Embed(e.to_string()))?;
            if vectors.len() != texts.len() || vectors.iter().any(|v| v.len() != model.dimensions())
            {
                return Err(IndexError::Embed(
                    "the model returned vectors of the wrong number or size".into(),
                ));
            }
            progress(Progress::Embedded(batch.len()));
            Ok(vectors)
        })
        .collect::<Result<_, _>>()?;
    Ok(todo
        .into_iter()
        .zip(batches.into_iter().flatten())
        .map(|((path, unit), vector)| ((path, unit.line, unit.name.as_str()), vector))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_is_its_path_in_words() {
        assert_eq!(module_words("email/utils.py"), "email utils");
        assert_eq!(module_words("tarfile.py"), "tarfile");
        assert_eq!(module_words("src/regex/parser.rs"), "src regex parser");
        // A dot in a folder's name is not an extension; a file without one keeps its name.
        assert_eq!(module_words("lib.d/build"), "lib.d build");
        assert_eq!(module_words("Makefile"), "Makefile");
    }

    #[test]
    fn a_definition_embeds_its_module_name_and_code() {
        let source =
            "def merge(a, b):\n    \"\"\"Merge two configs.\"\"\"\n    return {**a, **b}\n";
        let parsed = ParsedFile::parse(
            "config/loader.py",
            arbor_syntax::Language::Python,
            source.to_string(),
        )
        .expect("parse");
        let symbols = parsed.symbols().expect("symbols");
        let units = unit_texts("config/loader.py", &symbols, &[], source, true);
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].name, "merge");
        assert_eq!(units[0].line, 1);
        assert!(
            units[0]
                .text
                .starts_with("config loader merge def merge(a, b):"),
            "{}",
            units[0].text
        );
    }
}
