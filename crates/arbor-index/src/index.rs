//! Opening, creating and incrementally updating an index.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use arbor_syntax::{
    read_source, walk, ChunkKind, ChunkOptions, ParsedFile, SkipReason, Skipped, Symbol,
    WalkOptions,
};
use rayon::prelude::*;
use tantivy::collector::DocSetCollector;
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError, Term};

use crate::error::IndexError;
use crate::schema::{build_schema, register_tokenizers, Fields, IndexSettings, FORMAT_VERSION};

/// The file beside tantivy's own that records an index's [`IndexSettings`].
pub const SETTINGS_FILE: &str = "arbor.json";

/// Bytes per compressed block of the document store.
const DOCSTORE_BLOCK_SIZE: usize = 4096;

/// Memory for tantivy's indexing buffers.
const WRITER_MEMORY: usize = 128 * 1024 * 1024;

/// A code search index on disk.
pub struct CodeIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
    settings: IndexSettings,
    dir: PathBuf,
}

/// Options of an index update.
#[derive(Debug, Clone, Default)]
pub struct UpdateOptions {
    /// Which files of the repository to index.
    pub walk: WalkOptions,
    /// How files are chunked.
    pub chunks: ChunkOptions,
    /// Re-index every file, not only changed ones (in one commit, so readers never see a gap).
    pub rebuild: bool,
}

/// What an update did.
#[derive(Debug, Clone, Default)]
pub struct UpdateStats {
    /// Source files found by the walk.
    pub files: usize,
    /// Files indexed for the first time.
    pub added: usize,
    /// Files whose content changed and were re-indexed.
    pub changed: usize,
    /// Files removed from the index (deleted, or now skipped).
    pub removed: usize,
    /// Files left as they were.
    pub unchanged: usize,
    /// Bytes of source parsed and indexed.
    pub bytes_indexed: u64,
    /// Symbol documents written.
    pub symbols: usize,
    /// Chunk documents written.
    pub chunks: usize,
    /// Files not indexed, and why.
    pub skipped: Vec<Skipped>,
    /// Whether a commit was made (false when nothing changed).
    pub committed: bool,
    /// Wall time.
    pub elapsed: Duration,
}

/// Progress of an update, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// The walk is done: this many files will be checked.
    Total(usize),
    /// One more file checked (indexed or unchanged).
    File,
    /// All files are checked; the commit is being written.
    Committing,
}

fn is_index_dir(dir: &Path) -> bool {
    dir.join("meta.json").is_file()
}

impl CodeIndex {
    /// Opens the index in `dir`, checking its format.
    pub fn open(dir: &Path) -> Result<CodeIndex, IndexError> {
        if !is_index_dir(dir) {
            return Err(IndexError::Missing(dir.to_path_buf()));
        }
        let corrupt = |message: String| IndexError::Corrupt {
            path: dir.to_path_buf(),
            message,
        };
        let settings_path = dir.join(SETTINGS_FILE);
        let text = std::fs::read_to_string(&settings_path)
            .map_err(|e| corrupt(format!("{SETTINGS_FILE}: {e}")))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| corrupt(format!("{SETTINGS_FILE}: {e}")))?;
        let format = value.get("format").and_then(|f| f.as_u64());
        if format != Some(u64::from(FORMAT_VERSION)) {
            return Err(IndexError::VersionMismatch {
                path: dir.to_path_buf(),
                found: format.map_or_else(|| "unknown".to_string(), |f| f.to_string()),
                expected: FORMAT_VERSION,
            });
        }
        let settings: IndexSettings =
            serde_json::from_value(value).map_err(|e| corrupt(format!("{SETTINGS_FILE}: {e}")))?;
        let index = Index::open_in_dir(dir).map_err(|e| match e {
            TantivyError::IncompatibleIndex(inner) => IndexError::VersionMismatch {
                path: dir.to_path_buf(),
                found: format!("tantivy: {inner:?}"),
                expected: FORMAT_VERSION,
            },
            other => corrupt(other.to_string()),
        })?;
        let (schema, fields) = build_schema(&settings);
        if index.schema() != schema {
            return Err(IndexError::VersionMismatch {
                path: dir.to_path_buf(),
                found: format!("{FORMAT_VERSION} with another schema"),
                expected: FORMAT_VERSION,
            });
        }
        Self::finish(index, fields, settings, dir)
    }

    /// Creates an empty index in `dir` (which must not hold one).
    pub fn create(dir: &Path, settings: IndexSettings) -> Result<CodeIndex, IndexError> {
        let io = |source| IndexError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let (schema, fields) = build_schema(&settings);
        // Small doc-store blocks: a hit decompresses one block, so smaller blocks make result
        // pages cheaper (measured: benchmarks/RESULTS.md) for a little compression.
        let index = Index::builder()
            .schema(schema)
            .settings(tantivy::IndexSettings {
                docstore_blocksize: DOCSTORE_BLOCK_SIZE,
                ..tantivy::IndexSettings::default()
            })
            .create_in_dir(dir)?;
        let json = serde_json::to_string_pretty(&settings).expect("settings serialize");
        // Written after tantivy's meta.json: an index without its settings reads as corrupt.
        let tmp = dir.join(format!("{SETTINGS_FILE}.tmp"));
        std::fs::write(&tmp, json).map_err(io)?;
        std::fs::rename(&tmp, dir.join(SETTINGS_FILE)).map_err(io)?;
        Self::finish(index, fields, settings, dir)
    }

    /// Opens the index in `dir`, creating it with `settings` when there is none. With
    /// `recreate`, an index that cannot be opened (corrupt, other format) is removed and created
    /// anew; otherwise such an index is an error.
    pub fn open_or_create(
        dir: &Path,
        settings: IndexSettings,
        recreate: bool,
    ) -> Result<CodeIndex, IndexError> {
        match CodeIndex::open(dir) {
            Ok(index) if index.settings == settings || !recreate => Ok(index),
            Ok(_) => Self::recreate(dir, settings),
            Err(IndexError::Missing(_)) => {
                if dir.exists() && std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
                    if !recreate {
                        return Err(IndexError::Corrupt {
                            path: dir.to_path_buf(),
                            message: "the directory exists but holds no index".into(),
                        });
                    }
                    return Self::recreate(dir, settings);
                }
                CodeIndex::create(dir, settings)
            }
            Err(IndexError::Corrupt { .. } | IndexError::VersionMismatch { .. }) if recreate => {
                Self::recreate(dir, settings)
            }
            Err(err) => Err(err),
        }
    }

    fn recreate(dir: &Path, settings: IndexSettings) -> Result<CodeIndex, IndexError> {
        // Refuse to wipe a directory that is not ours.
        let ours = is_index_dir(dir) || dir.join(SETTINGS_FILE).exists();
        if !ours && std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
            return Err(IndexError::Corrupt {
                path: dir.to_path_buf(),
                message: "the directory holds files that are not an Arbor index; not removing it"
                    .into(),
            });
        }
        std::fs::remove_dir_all(dir).map_err(|source| IndexError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        CodeIndex::create(dir, settings)
    }

    fn finish(
        index: Index,
        fields: Fields,
        settings: IndexSettings,
        dir: &Path,
    ) -> Result<CodeIndex, IndexError> {
        register_tokenizers(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e: TantivyError| IndexError::Corrupt {
                path: dir.to_path_buf(),
                message: e.to_string(),
            })?;
        Ok(CodeIndex {
            index,
            reader,
            fields,
            settings,
            dir: dir.to_path_buf(),
        })
    }

    /// The settings the index was created with.
    pub fn settings(&self) -> &IndexSettings {
        &self.settings
    }

    /// The directory of the index.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The query for the one document per indexed file.
    fn file_docs(&self) -> TermQuery {
        TermQuery::new(
            Term::from_field_text(self.fields.doc_type, "file"),
            IndexRecordOption::Basic,
        )
    }

    /// Number of files in the index.
    pub fn file_count(&self) -> usize {
        let searcher = self.reader.searcher();
        let query = self.file_docs();
        searcher
            .search(&query, &tantivy::collector::Count)
            .unwrap_or(0)
    }

    /// Path → content hash of every indexed file.
    fn indexed_files(&self) -> Result<HashMap<String, String>, IndexError> {
        let searcher = self.reader.searcher();
        let query = self.file_docs();
        let mut files = HashMap::new();
        for address in searcher.search(&query, &DocSetCollector)? {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            files.insert(text(self.fields.path), text(self.fields.hash));
        }
        Ok(files)
    }

    fn writer(&self) -> Result<IndexWriter<TantivyDocument>, IndexError> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        self.index
            .writer_with_num_threads(threads, WRITER_MEMORY.max(threads * (16 << 20)))
            .map_err(|e| match e {
                TantivyError::LockFailure(..) => IndexError::Locked(self.dir.clone()),
                other => IndexError::Tantivy(other),
            })
    }

    /// Brings the index up to date with the repository at `root`: files whose content hash
    /// changed are re-parsed and re-indexed, removed files are deleted, and everything lands in
    /// one commit (none when nothing changed). Holds the index's writer lock throughout; a
    /// second concurrent update fails with [`IndexError::Locked`]. An update that is killed
    /// leaves the previous commit as it was.
    pub fn update(
        &self,
        root: &Path,
        options: &UpdateOptions,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<UpdateStats, IndexError> {
        let started = Instant::now();
        let mut writer = self.writer()?;
        let walked = walk(root, &options.walk)?;
        let existing = if options.rebuild {
            writer.delete_all_documents()?;
            HashMap::new()
        } else {
            self.indexed_files()?
        };
        progress(Progress::Total(walked.files.len()));

        let added = AtomicUsize::new(0);
        let changed = AtomicUsize::new(0);
        let symbols = AtomicUsize::new(0);
        let chunks = AtomicUsize::new(0);
        let bytes = AtomicUsize::new(0);
        let skipped = Mutex::new(walked.skipped);
        let first_error: Mutex<Option<IndexError>> = Mutex::new(None);
        let seen: Vec<Option<String>> = walked
            .files
            .par_iter()
            .map(|file| {
                progress(Progress::File);
                let rel = relative_path(root, &file.path);
                let source = match read_source(&file.path, options.walk.max_file_size) {
                    Ok(source) => source,
                    Err(reason) => {
                        skipped.lock().expect("lock").push(Skipped {
                            path: file.path.clone(),
                            reason,
                        });
                        return None;
                    }
                };
                let hash = blake3::hash(source.as_bytes()).to_hex().to_string();
                let previous = existing.get(&rel);
                if previous == Some(&hash) {
                    return Some(rel);
                }
                let len = source.len();
                let parsed = match ParsedFile::parse(&file.path, file.language, source) {
                    Ok(parsed) => parsed,
                    Err(err) => {
                        skipped.lock().expect("lock").push(Skipped {
                            path: file.path.clone(),
                            reason: SkipReason::Io(err.to_string()),
                        });
                        return None;
                    }
                };
                if previous.is_some() {
                    writer.delete_term(Term::from_field_text(self.fields.path, &rel));
                    changed.fetch_add(1, Ordering::Relaxed);
                } else {
                    added.fetch_add(1, Ordering::Relaxed);
                }
                let docs = match self.documents(&rel, &hash, &parsed, options) {
                    Ok(docs) => docs,
                    Err(err) => {
                        first_error.lock().expect("lock").get_or_insert(err);
                        return Some(rel);
                    }
                };
                symbols.fetch_add(docs.symbols, Ordering::Relaxed);
                chunks.fetch_add(docs.chunks, Ordering::Relaxed);
                bytes.fetch_add(len, Ordering::Relaxed);
                for doc in docs.docs {
                    if let Err(err) = writer.add_document(doc) {
                        first_error.lock().expect("lock").get_or_insert(err.into());
                    }
                }
                Some(rel)
            })
            .collect();
        if let Some(err) = first_error.into_inner().expect("lock") {
            return Err(err); // the writer is dropped uncommitted: the index stays as it was
        }
        let seen: HashSet<String> = seen.into_iter().flatten().collect();
        let mut removed = 0;
        for path in existing.keys() {
            if !seen.contains(path) {
                writer.delete_term(Term::from_field_text(self.fields.path, path));
                removed += 1;
            }
        }
        let added = added.into_inner();
        let changed = changed.into_inner();
        let committed = options.rebuild || added + changed + removed > 0;
        if committed {
            progress(Progress::Committing);
            writer.commit()?;
            // After a bulk load, merge the segments the indexing threads wrote into one: a
            // smaller index with one term dictionary, and faster searches.
            let segments = self.index.searchable_segment_ids()?;
            if segments.len() > 1 && (added + changed) * 2 > walked.files.len() {
                writer.merge(&segments).wait()?;
            }
            writer.wait_merging_threads()?;
            self.reader.reload()?;
        }
        let mut skipped = skipped.into_inner().expect("lock");
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(UpdateStats {
            files: walked.files.len(),
            added,
            changed,
            removed,
            unchanged: seen.len() - added - changed,
            bytes_indexed: bytes.into_inner() as u64,
            symbols: symbols.into_inner(),
            chunks: chunks.into_inner(),
            skipped,
            committed,
            elapsed: started.elapsed(),
        })
    }

    fn documents(
        &self,
        rel: &str,
        hash: &str,
        parsed: &ParsedFile,
        options: &UpdateOptions,
    ) -> Result<FileDocs, IndexError> {
        let f = &self.fields;
        let symbols = parsed.symbols()?;
        let source = parsed.source();
        let text = if self.settings.strip_docs {
            blank_docs(source, &symbols)
        } else {
            source.to_string()
        };
        let language = parsed.language().name();
        let mut docs = Vec::new();
        let mut file = TantivyDocument::new();
        file.add_text(f.doc_type, "file");
        file.add_text(f.path, rel);
        file.add_text(f.language, language);
        file.add_text(f.hash, hash);
        file.add_u64(f.size, source.len() as u64);
        docs.push(file);
        let line_starts = line_starts(source);
        for symbol in &symbols {
            let mut doc = TantivyDocument::new();
            doc.add_text(f.doc_type, "symbol");
            doc.add_text(f.path, rel);
            doc.add_text(f.language, language);
            doc.add_text(f.kind, symbol.kind.name());
            doc.add_text(f.name, &symbol.name);
            doc.add_text(f.name_key, &symbol.name);
            doc.add_text(f.qualified_name, &symbol.qualified_name);
            doc.add_text(f.signature, &symbol.signature);
            if let (Some(doc_text), false) = (&symbol.doc, self.settings.strip_docs) {
                doc.add_text(f.doc, doc_text);
                if let Some(summary) = doc_text.lines().next() {
                    doc.add_text(f.doc_summary, summary);
                }
            }
            let name_line = symbol.name_span.start.line;
            doc.add_text(f.line_text, line_of(source, &line_starts, name_line));
            doc.add_u64(f.start_line, name_line as u64);
            doc.add_u64(f.start_col, symbol.name_span.start.column as u64);
            doc.add_u64(f.end_line, symbol.span.last_line() as u64);
            docs.push(doc);
        }
        let chunks = parsed.chunks(&symbols, options.chunks);
        for chunk in &chunks {
            let mut doc = TantivyDocument::new();
            doc.add_text(f.doc_type, "chunk");
            doc.add_text(f.path, rel);
            doc.add_text(f.language, language);
            doc.add_text(f.code, chunk.text(&text));
            doc.add_u64(f.start_line, chunk.span.start.line as u64);
            doc.add_u64(f.end_line, chunk.span.last_line() as u64);
            doc.add_text(
                f.chunk_kind,
                match chunk.kind {
                    ChunkKind::Definition => "definition",
                    ChunkKind::Window => "window",
                },
            );
            let (first, last) = (chunk.span.start.line, chunk.span.last_line());
            let inner: Vec<String> = symbols
                .iter()
                .filter(|s| s.span.start.line >= first && s.span.start.line <= last)
                .map(|s| {
                    format!(
                        "{}\t{}\t{}\t{}",
                        s.span.start.line,
                        s.span.last_line(),
                        s.kind.name(),
                        s.qualified_name
                    )
                })
                .collect();
            if !inner.is_empty() {
                doc.add_text(f.inner_symbols, inner.join("\n"));
            }
            let symbol: Option<&Symbol> = chunk.symbol.map(|s| &symbols[s]);
            if let Some(symbol) = symbol {
                doc.add_text(f.kind, symbol.kind.name());
                doc.add_text(f.name_key, &symbol.name);
                doc.add_text(f.qualified_name, &symbol.qualified_name);
                doc.add_u64(f.symbol_line, symbol.name_span.start.line as u64);
            } else {
                doc.add_u64(f.symbol_line, 0);
            }
            docs.push(doc);
        }
        Ok(FileDocs {
            docs,
            symbols: symbols.len(),
            chunks: chunks.len(),
        })
    }
}

struct FileDocs {
    docs: Vec<TantivyDocument>,
    symbols: usize,
    chunks: usize,
}

/// `path` relative to `root`, with `/` separators.
pub fn relative_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let rel = if rel.as_os_str().is_empty() {
        path.file_name().map_or(rel, Path::new)
    } else {
        rel
    };
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn line_starts(source: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(source.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// The text of 1-based line `line`, without its newline, at most 300 bytes.
fn line_of<'s>(source: &'s str, starts: &[usize], line: usize) -> &'s str {
    let start = starts.get(line - 1).copied().unwrap_or(source.len());
    let end = starts.get(line).map_or(source.len(), |e| e - 1);
    let text = source[start..end.max(start)].trim_end_matches('\r');
    let mut cut = text.len().min(300);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    &text[..cut]
}

/// The source with every doc comment and docstring replaced by spaces (newlines kept, so line
/// numbers and byte offsets stay as they were).
pub fn blank_docs(source: &str, symbols: &[Symbol]) -> String {
    let mut bytes = source.as_bytes().to_vec();
    for span in symbols.iter().filter_map(|s| s.doc_span) {
        for b in &mut bytes[span.start_byte..span.end_byte] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    }
    // Doc spans start and end on character boundaries and only ASCII spaces were written, but
    // a multi-byte character inside a span is replaced byte by byte: still valid UTF-8.
    String::from_utf8(bytes).expect("blanking keeps UTF-8 valid")
}
