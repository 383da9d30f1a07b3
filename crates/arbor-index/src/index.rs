//! Opening, creating and incrementally updating an index.
//!
//! Crash safety: tantivy commits atomically (`meta.json` is replaced in one rename), so a killed
//! update leaves the previous commit searchable. What a killed process leaves besides (segment
//! and delete files never committed, temporary files of an atomic write, a half-made first
//! build) is cleared by the next writer: tantivy's garbage collection removes the files it
//! manages that no commit uses, and Arbor removes, by name, tantivy's temporary files and
//! segment files that no commit uses, always holding the index's writer lock and only inside a
//! directory that holds an index or the start of one.
//!
//! Integrity: the segment files carry a checksum, verified when an index is opened (each file
//! once: `.arbor-verified.json` remembers the files found intact, by size, times and inode);
//! what still makes tantivy panic is turned into an error ([`crate::guard`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arbor_syntax::{
    read_source, walk, ChunkKind, ChunkOptions, ParsedFile, SkipReason, Skipped, SourceFile,
    Symbol, WalkOptions,
};
use rayon::prelude::*;
use tantivy::collector::DocSetCollector;
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle,
    WritePtr, INDEX_WRITER_LOCK, META_LOCK,
};
use tantivy::index::SegmentComponent;
use tantivy::merge_policy::{LogMergePolicy, MergePolicy, NoMergePolicy};
use tantivy::query::TermQuery;
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError, Term};

use crate::error::IndexError;
use crate::guard::guarded;
use crate::schema::{build_schema, register_tokenizers, Fields, IndexSettings, FORMAT_VERSION};
use crate::semantic::{Indexed, UnitText};
use crate::vectors::{VectorStore, VECTORS_FILE, VECTORS_TMP};

/// The file beside tantivy's own that records an index's [`IndexSettings`]. It is written
/// before anything else, so it also marks a directory as Arbor's.
pub const SETTINGS_FILE: &str = "arbor.json";

/// The settings file while it is being written.
const SETTINGS_TMP: &str = "arbor.json.tmp";

/// The segment files whose checksums were verified, with the size, times and inode they had
/// then. A leading `.` keeps tantivy from managing (and garbage-collecting) it.
const VERIFIED_FILE: &str = ".arbor-verified.json";

/// Bytes per compressed block of the document store.
const DOCSTORE_BLOCK_SIZE: usize = 4096;

/// Memory for tantivy's indexing buffers.
const WRITER_MEMORY: usize = 128 * 1024 * 1024;

/// A segment with a larger share of deleted documents is merged (rewritten without them) by the
/// update that pushed it over: without this, a segment written by a full build keeps every
/// version of every changed file, and the index grows with each partial update.
const MAX_DELETED_SHARE: f32 = 0.2;

/// A code search index on disk.
pub struct CodeIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
    settings: IndexSettings,
    dir: PathBuf,
    /// Why the index cannot be written, when it was opened read-only.
    read_only: Option<String>,
    /// Whether the index has vectors for semantic search (`"vectors": true` in `arbor.json`).
    semantic: AtomicBool,
    /// The vector file, once read (cleared when an update replaces it).
    pub(crate) vectors: Mutex<Option<(Option<crate::vectors::Stamp>, Arc<VectorStore>)>>,
}

/// Options of an index update.
#[derive(Clone, Default)]
pub struct UpdateOptions {
    /// Which files of the repository to index.
    pub walk: WalkOptions,
    /// How files are chunked.
    pub chunks: ChunkOptions,
    /// Re-index every file, not only changed ones (in one commit, so readers never see a gap).
    pub rebuild: bool,
    /// The embedding model: with one, the index keeps vectors for semantic search in step
    /// (making them the first time). Without one, an index that has vectors keeps them as
    /// they are, and the files that changed are embedded by the next update that has it.
    pub embedder: Option<Arc<dyn arbor_embed::Embed>>,
}

impl std::fmt::Debug for UpdateOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateOptions")
            .field("walk", &self.walk)
            .field("chunks", &self.chunks)
            .field("rebuild", &self.rebuild)
            .field(
                "embedder",
                &self.embedder.as_ref().map(|e| e.id().to_string()),
            )
            .finish()
    }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The walk is done: this many files will be checked.
    Total(usize),
    /// One more file checked (indexed or unchanged).
    File,
    /// This many units of code will be embedded for semantic search.
    Embedding(usize),
    /// This many more units are embedded.
    Embedded(usize),
    /// All files are checked; the commit is being written.
    Committing,
}

fn is_index_dir(dir: &Path) -> bool {
    dir.join("meta.json").is_file()
}

/// Whether `name` is a temporary file of tantivy's atomic writes (`tempfile`'s `.tmpXXXXXX`).
fn is_temp_file_name(name: &str) -> bool {
    name.strip_prefix(".tmp")
        .is_some_and(|rest| rest.len() == 6 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Whether `name` is the name of a tantivy segment file: `<uuid>.<component>`, or
/// `<uuid>.<opstamp>.del` for a delete file.
fn is_segment_file_name(name: &str) -> bool {
    let Some((uuid, ext)) = name.split_once('.') else {
        return false;
    };
    let is_uuid = uuid.len() == 32
        && uuid
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let is_component = matches!(
        ext,
        "idx" | "pos" | "term" | "store" | "store.temp" | "fast" | "fieldnorm"
    ) || ext
        .strip_suffix(".del")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    is_uuid && is_component
}

/// Whether `name` is a file that an Arbor index (or the start of one) holds.
fn is_index_file_name(name: &str) -> bool {
    matches!(
        name,
        "meta.json"
            | ".managed.json"
            | ".tantivy-meta.lock"
            | ".tantivy-writer.lock"
            | SETTINGS_FILE
            | SETTINGS_TMP
            | VERIFIED_FILE
            | VECTORS_FILE
            | VECTORS_TMP
    ) || is_temp_file_name(name)
        || is_segment_file_name(name)
}

/// The names in `dir` (none when it does not exist); a name that is not UTF-8 as `None`.
fn dir_entries(dir: &Path) -> Result<Vec<Option<String>>, IndexError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(IndexError::Io {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    entries
        .map(|entry| {
            entry
                .map(|e| e.file_name().into_string().ok())
                .map_err(|source| IndexError::Io {
                    path: dir.to_path_buf(),
                    source,
                })
        })
        .collect()
}

/// Whether `dir` holds an Arbor index or the start of one: Arbor's settings, tantivy's
/// `meta.json`, or nothing but files named as an index's files are (what a build killed in its
/// first milliseconds leaves, whatever version of Arbor it was).
fn is_arbor_dir(dir: &Path, entries: &[Option<String>]) -> bool {
    is_index_dir(dir)
        || dir.join(SETTINGS_FILE).is_file()
        || entries
            .iter()
            .all(|name| name.as_deref().is_some_and(is_index_file_name))
}

/// Whether an I/O error means that the file system or the file refuses writing.
fn is_read_only_error(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
    )
}

fn lock_error(dir: &Path, err: LockError) -> IndexError {
    match err {
        LockError::LockBusy => IndexError::Locked(dir.to_path_buf()),
        LockError::IoError(io) if is_read_only_error(&io) => IndexError::ReadOnly {
            path: dir.to_path_buf(),
            reason: io.to_string(),
        },
        LockError::IoError(io) => IndexError::Io {
            path: dir.join(".tantivy-writer.lock"),
            source: std::io::Error::new(io.kind(), io.to_string()),
        },
    }
}

/// Takes the index's writer lock (the one tantivy's `IndexWriter` takes), without waiting.
fn lock_for_writing(dir: &Path) -> Result<DirectoryLock, IndexError> {
    let directory = MmapDirectory::open(dir).map_err(|e| IndexError::Io {
        path: dir.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    directory
        .acquire_lock(&INDEX_WRITER_LOCK)
        .map_err(|e| lock_error(dir, e))
}

/// The segment files the last commit of `index` uses.
fn segment_files(index: &Index) -> Result<BTreeSet<PathBuf>, IndexError> {
    let metas = index.load_metas()?;
    let mut files = metas.list_segment_files();
    for segment in &metas.segments {
        if !segment.has_deletes() {
            files.remove(&segment.relative_path(SegmentComponent::Delete));
        }
    }
    Ok(files.into_iter().collect())
}

/// What identifies a version of a file: size, modification and change times, inode. The change
/// time cannot be set back, so a file written since it was verified never matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct FileStamp([u64; 4]);

impl FileStamp {
    fn of(metadata: &std::fs::Metadata) -> FileStamp {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let nanos = |secs: i64, nsecs: i64| {
                (secs as u64)
                    .wrapping_mul(1_000_000_000)
                    .wrapping_add(nsecs as u64)
            };
            FileStamp([
                metadata.len(),
                nanos(metadata.mtime(), metadata.mtime_nsec()),
                nanos(metadata.ctime(), metadata.ctime_nsec()),
                metadata.ino(),
            ])
        }
        #[cfg(not(unix))]
        {
            let modified = metadata
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as u64);
            FileStamp([metadata.len(), modified, 0, 0])
        }
    }
}

/// Verifies the checksum of every segment file of the last commit that has not been verified
/// in the version it has now, and records the verified versions (when the directory can be
/// written). Files for which `trusted` holds are recorded without reading them (the caller
/// just wrote them).
fn verify_segment_files(
    index: &Index,
    dir: &Path,
    trusted: &dyn Fn(&Path) -> bool,
) -> Result<(), IndexError> {
    let corrupt = |message: String| IndexError::Corrupt {
        path: dir.to_path_buf(),
        message,
    };
    let known: BTreeMap<String, FileStamp> = std::fs::read(dir.join(VERIFIED_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let mut verified = BTreeMap::new();
    for rel in segment_files(index)? {
        let name = rel.to_string_lossy().into_owned();
        let metadata = std::fs::metadata(dir.join(&rel))
            .map_err(|e| corrupt(format!("segment file {name}: {e}")))?;
        let stamp = FileStamp::of(&metadata);
        if known.get(&name) != Some(&stamp) && !trusted(&rel) {
            match index.directory().validate_checksum(&rel) {
                Ok(true) => {}
                Ok(false) => return Err(corrupt(format!("{name} fails its checksum"))),
                Err(err) => return Err(corrupt(format!("{name}: {err}"))),
            }
        }
        verified.insert(name, stamp);
    }
    if verified != known {
        // Best effort: a directory that cannot be written is verified again next time.
        if let Ok(json) = serde_json::to_vec(&verified) {
            let _ = index
                .directory()
                .atomic_write(Path::new(VERIFIED_FILE), &json);
        }
    }
    Ok(())
}

/// Checks the document counts that `meta.json` (which has no checksum) gives for each segment
/// against the segment's files: the field norms of `field` hold one byte per document, the
/// delete file one bit. A count that disagrees would make searches return other documents, or
/// make tantivy panic.
fn check_document_counts(index: &Index, reader: &IndexReader, field: Field) -> Result<(), String> {
    let metas: HashMap<_, _> = index
        .searchable_segment_metas()
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|meta| (meta.id(), meta))
        .collect();
    for segment in reader.searcher().segment_readers() {
        let id = segment.segment_id();
        let norms = segment
            .get_fieldnorms_reader(field)
            .map_err(|e| e.to_string())?
            .num_docs();
        // The reader may have opened a newer commit than the meta.json read here: compare the
        // deletes only when both describe the same version of the segment.
        let deleted_mismatch = metas.get(&id).is_some_and(|meta| {
            meta.delete_opstamp() == segment.delete_opstamp()
                && meta.num_deleted_docs() != segment.num_deleted_docs()
        });
        if norms != segment.max_doc() || deleted_mismatch {
            return Err(format!(
                "meta.json does not match the files of segment {}",
                id.uuid_string()
            ));
        }
    }
    Ok(())
}

/// The merge policy of updates: tantivy's log merge policy, which also rewrites a segment whose
/// share of deleted documents passes [`MAX_DELETED_SHARE`].
fn merge_policy() -> Box<dyn MergePolicy> {
    let mut policy = LogMergePolicy::default();
    policy.set_del_docs_ratio_before_merge(MAX_DELETED_SHARE);
    Box::new(policy)
}

/// An index directory opened for reading only. Opening a reader takes tantivy's meta lock,
/// which means opening its lock file for writing: a read-only file system refuses, so here
/// locks are not taken (nobody can write this directory to race with) and every write fails.
#[derive(Debug, Clone)]
struct ReadOnlyDirectory(MmapDirectory);

fn read_only_io_error() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ReadOnlyFilesystem,
        "the index is open read-only",
    )
}

impl Directory for ReadOnlyDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.0.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        Err(DeleteError::IoError {
            io_error: Arc::new(read_only_io_error()),
            filepath: path.to_path_buf(),
        })
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.0.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::wrap_io_error(
            read_only_io_error(),
            path.to_path_buf(),
        ))
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.0.atomic_read(path)
    }

    fn atomic_write(&self, _path: &Path, _data: &[u8]) -> std::io::Result<()> {
        Err(read_only_io_error())
    }

    fn sync_directory(&self) -> std::io::Result<()> {
        Ok(())
    }

    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        Ok(DirectoryLock::from(Box::new(())))
    }

    fn watch(&self, _callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        Ok(WatchHandle::empty())
    }
}

/// Why a reader could not be opened.
enum ReaderError {
    /// Its lock file cannot be written.
    ReadOnly(String),
    /// Anything else.
    Other(TantivyError),
}

fn open_reader(index: &Index) -> Result<IndexReader, ReaderError> {
    index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .map_err(|e: TantivyError| match e {
            TantivyError::LockFailure(LockError::IoError(io), _) if is_read_only_error(&io) => {
                ReaderError::ReadOnly(io.to_string())
            }
            other => ReaderError::Other(other),
        })
}

impl CodeIndex {
    /// Opens the index in `dir`, checking its format and the checksums of its files. An index
    /// that can be read but not written opens read-only ([`CodeIndex::is_read_only`]).
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
        let semantic = value.get("vectors") == Some(&serde_json::Value::Bool(true));
        let settings: IndexSettings =
            serde_json::from_value(value).map_err(|e| corrupt(format!("{SETTINGS_FILE}: {e}")))?;
        let open_error = |e: TantivyError| match e {
            TantivyError::IncompatibleIndex(inner) => IndexError::VersionMismatch {
                path: dir.to_path_buf(),
                found: format!("tantivy: {inner:?}"),
                expected: FORMAT_VERSION,
            },
            other => corrupt(other.to_string()),
        };
        guarded(dir, || {
            let index = Index::open_in_dir(dir).map_err(open_error)?;
            let (schema, fields) = build_schema(&settings);
            if index.schema() != schema {
                return Err(IndexError::VersionMismatch {
                    path: dir.to_path_buf(),
                    found: format!("{FORMAT_VERSION} with another schema"),
                    expected: FORMAT_VERSION,
                });
            }
            register_tokenizers(&index);
            {
                // Writers collect garbage under the meta lock: holding it, no file of the last
                // commit goes away while it is verified. A read-only directory has no writer.
                let _meta_lock = match index.directory().acquire_lock(&META_LOCK) {
                    Ok(lock) => Some(lock),
                    Err(LockError::IoError(io)) if is_read_only_error(&io) => None,
                    Err(err) => return Err(corrupt(err.to_string())),
                };
                verify_segment_files(&index, dir, &|_| false)?;
            }
            let (index, reader, read_only) = match open_reader(&index) {
                Ok(reader) => (index, reader, None),
                Err(ReaderError::ReadOnly(reason)) => {
                    let directory = MmapDirectory::open(dir).map_err(|e| corrupt(e.to_string()))?;
                    let index = Index::open(ReadOnlyDirectory(directory)).map_err(open_error)?;
                    register_tokenizers(&index);
                    let reader = open_reader(&index).map_err(|e| match e {
                        ReaderError::ReadOnly(message) => corrupt(message),
                        ReaderError::Other(err) => corrupt(err.to_string()),
                    })?;
                    (index, reader, Some(reason))
                }
                Err(ReaderError::Other(err)) => return Err(corrupt(err.to_string())),
            };
            check_document_counts(&index, &reader, fields.code).map_err(corrupt)?;
            Ok(CodeIndex {
                index,
                reader,
                fields,
                settings,
                dir: dir.to_path_buf(),
                read_only,
                semantic: AtomicBool::new(semantic),
                vectors: Mutex::new(None),
            })
        })
    }

    /// Creates an empty index in `dir` (which must not hold one).
    pub fn create(dir: &Path, settings: IndexSettings) -> Result<CodeIndex, IndexError> {
        std::fs::create_dir_all(dir).map_err(|source| IndexError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let _lock = lock_for_writing(dir)?;
        Self::create_locked(dir, settings)
    }

    /// [`CodeIndex::create`], the writer lock held.
    fn create_locked(dir: &Path, settings: IndexSettings) -> Result<CodeIndex, IndexError> {
        if is_index_dir(dir) {
            return Err(IndexError::Tantivy(TantivyError::IndexAlreadyExists));
        }
        let io = |source| IndexError::Io {
            path: dir.to_path_buf(),
            source,
        };
        // The settings first: they mark the directory as Arbor's, so that a build killed before
        // tantivy's meta.json exists leaves a directory the next run clears instead of refusing.
        let json = serde_json::to_string_pretty(&settings).expect("settings serialize");
        let tmp = dir.join(SETTINGS_TMP);
        std::fs::write(&tmp, json).map_err(io)?;
        std::fs::rename(&tmp, dir.join(SETTINGS_FILE)).map_err(io)?;
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
        register_tokenizers(&index);
        let reader = open_reader(&index).map_err(|e| match e {
            ReaderError::ReadOnly(reason) => IndexError::ReadOnly {
                path: dir.to_path_buf(),
                reason,
            },
            ReaderError::Other(err) => IndexError::Tantivy(err),
        })?;
        Ok(CodeIndex {
            index,
            reader,
            fields,
            settings,
            dir: dir.to_path_buf(),
            read_only: None,
            semantic: AtomicBool::new(false),
            vectors: Mutex::new(None),
        })
    }

    /// Opens the index in `dir`, creating it with `settings` when there is none. What a build
    /// killed before its first commit left is cleared and the index created anew. With
    /// `recreate`, an index that cannot be opened (corrupt, other format) or has other settings
    /// is removed and created anew; otherwise such an index is an error. Only a directory that
    /// holds an index or the start of one is ever cleared, and only of the index's files.
    pub fn open_or_create(
        dir: &Path,
        settings: IndexSettings,
        recreate: bool,
    ) -> Result<CodeIndex, IndexError> {
        match CodeIndex::open(dir) {
            Ok(index) if index.settings == settings || !recreate => Ok(index),
            Ok(index) => {
                drop(index);
                Self::recreate(dir, settings)
            }
            Err(IndexError::Missing(_)) => {
                let entries = dir_entries(dir)?;
                if entries.is_empty() {
                    return match CodeIndex::create(dir, settings) {
                        // Another process created it first.
                        Err(IndexError::Tantivy(TantivyError::IndexAlreadyExists)) => {
                            CodeIndex::open(dir)
                        }
                        other => other,
                    };
                }
                // A first build that never committed (killed, or failed): nothing to keep.
                Self::recreate(dir, settings)
            }
            Err(IndexError::Corrupt { .. } | IndexError::VersionMismatch { .. }) if recreate => {
                Self::recreate(dir, settings)
            }
            Err(err) => Err(err),
        }
    }

    /// Removes the index's files from `dir` and creates an empty index there, holding the
    /// writer lock throughout. Refuses a directory that is not Arbor's.
    fn recreate(dir: &Path, settings: IndexSettings) -> Result<CodeIndex, IndexError> {
        let entries = dir_entries(dir)?;
        if !is_arbor_dir(dir, &entries) {
            let file = entries
                .iter()
                .find(|name| !name.as_deref().is_some_and(is_index_file_name))
                .map(|name| name.as_deref().unwrap_or("(a name that is not UTF-8)"))
                .unwrap_or_default();
            return Err(IndexError::Foreign {
                path: dir.to_path_buf(),
                file: crate::query::escape_control(file),
            });
        }
        std::fs::create_dir_all(dir).map_err(|source| IndexError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let _lock = lock_for_writing(dir)?;
        // meta.json first: a run killed while clearing leaves an index that never committed,
        // which the next run clears as well. Lock files stay (one of them is held).
        let mut names: Vec<String> = entries
            .into_iter()
            .flatten()
            .filter(|name| is_index_file_name(name) && !name.ends_with(".lock"))
            .collect();
        names.sort_by_key(|name| name != "meta.json");
        for name in names {
            let path = dir.join(&name);
            let removed = if path.is_dir() {
                // Only a temporary name can be a directory here.
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            match removed {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(IndexError::Io { path, source }),
            }
        }
        Self::create_locked(dir, settings)
    }

    /// The settings the index was created with.
    pub fn settings(&self) -> &IndexSettings {
        &self.settings
    }

    /// The directory of the index.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the index was opened read-only (it can be searched, not updated): its directory
    /// cannot be written.
    pub fn is_read_only(&self) -> bool {
        self.read_only.is_some()
    }

    /// Whether the index in `dir` has vectors for semantic search (or should have: its
    /// `arbor.json` says so), without opening it.
    pub fn has_vectors(dir: &Path) -> bool {
        dir.join(VECTORS_FILE).is_file()
            || std::fs::read(dir.join(SETTINGS_FILE))
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .is_some_and(|v| v["vectors"] == serde_json::Value::Bool(true))
    }

    /// Whether the index has vectors for semantic search (an update with a model made them).
    pub fn is_semantic(&self) -> bool {
        self.semantic.load(Ordering::Relaxed)
    }

    /// Records in `arbor.json` that the index has vectors (once; the writer lock is held).
    fn mark_semantic(&self) -> Result<(), IndexError> {
        if self.is_semantic() {
            return Ok(());
        }
        let io = |source| IndexError::Io {
            path: self.dir.join(SETTINGS_FILE),
            source,
        };
        let mut value = serde_json::to_value(&self.settings).map_err(|e| io(e.into()))?;
        value["vectors"] = serde_json::Value::Bool(true);
        let json = serde_json::to_string_pretty(&value).map_err(|e| io(e.into()))?;
        let tmp = self.dir.join(SETTINGS_TMP);
        std::fs::write(&tmp, json).map_err(io)?;
        std::fs::rename(&tmp, self.dir.join(SETTINGS_FILE)).map_err(io)?;
        self.semantic.store(true, Ordering::Relaxed);
        Ok(())
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
        guarded(&self.dir, || {
            let searcher = self.reader.searcher();
            let query = self.file_docs();
            Ok(searcher.search(&query, &tantivy::collector::Count)?)
        })
        .unwrap_or(0)
    }

    /// Path → content hash of every indexed file.
    fn indexed_files(&self) -> Result<HashMap<String, String>, IndexError> {
        guarded(&self.dir, || self.read_indexed_files())
    }

    fn read_indexed_files(&self) -> Result<HashMap<String, String>, IndexError> {
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

    pub(crate) fn writer(&self) -> Result<IndexWriter<TantivyDocument>, IndexError> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        self.index
            .writer_with_num_threads(threads, WRITER_MEMORY.max(threads * (16 << 20)))
            .map_err(|e| match e {
                TantivyError::LockFailure(err, _) => lock_error(&self.dir, err),
                other => IndexError::Tantivy(other),
            })
    }

    /// Removes what a killed writer left: segment, merge and delete files that no commit uses
    /// (tantivy's garbage collection, for the files it manages), then, by name, tantivy's
    /// temporary files and unused segment files it does not list as managed. `writer` holds the
    /// writer lock and has not been given a document yet, so no file is being written.
    fn collect_garbage(&self, writer: &IndexWriter<TantivyDocument>) -> Result<(), IndexError> {
        writer.garbage_collect_files().wait()?;
        // Readers take the meta lock while they open the files of a commit.
        let _meta_lock = self
            .index
            .directory()
            .acquire_lock(&META_LOCK)
            .map_err(|e| lock_error(&self.dir, e))?;
        let living: HashSet<String> = segment_files(&self.index)?
            .into_iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        for name in dir_entries(&self.dir)?.into_iter().flatten() {
            if (is_temp_file_name(&name) || is_segment_file_name(&name)) && !living.contains(&name)
            {
                let path = self.dir.join(&name);
                if path.is_file() {
                    match std::fs::remove_file(&path) {
                        Ok(()) => {}
                        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                        Err(source) => return Err(IndexError::Io { path, source }),
                    }
                }
            }
        }
        Ok(())
    }

    /// Brings the index up to date with the repository at `root`: files whose content hash
    /// changed are re-parsed and re-indexed, removed files are deleted, and everything lands in
    /// one commit (none when nothing changed). Holds the index's writer lock throughout; a
    /// second concurrent update fails with [`IndexError::Locked`], and a read-only index with
    /// [`IndexError::ReadOnly`]. An update that is killed leaves the previous commit as it was,
    /// and the files it left are removed by the next update.
    pub fn update(
        &self,
        root: &Path,
        options: &UpdateOptions,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<UpdateStats, IndexError> {
        let started = Instant::now();
        if let Some(reason) = &self.read_only {
            return Err(IndexError::ReadOnly {
                path: self.dir.clone(),
                reason: reason.clone(),
            });
        }
        let writer = self.writer()?;
        self.collect_garbage(&writer)?;
        let before = segment_files(&self.index)?;
        let walked = walk(root, &options.walk)?;
        let existing = if options.rebuild {
            writer.delete_all_documents()?;
            HashMap::new()
        } else {
            self.indexed_files()?
        };
        progress(Progress::Total(walked.files.len()));
        let tally = Tally {
            skipped: Mutex::new(walked.skipped),
            ..Tally::default()
        };
        let indexed: Vec<Indexed> = walked
            .files
            .par_iter()
            .filter_map(|file| {
                progress(Progress::File);
                self.index_file(&writer, root, file, &existing, options, &tally)
            })
            .collect();
        if let Some(err) = tally.first_error.into_inner().expect("lock") {
            return Err(err); // the writer is dropped uncommitted: the index stays as it was
        }
        let seen: HashSet<String> = indexed.iter().map(|f| f.file.path.clone()).collect();
        let vectors = match &options.embedder {
            Some(model) => self.write_vectors(model, indexed, options, progress)?,
            None => false,
        };
        let mut removed = 0;
        for path in existing.keys() {
            if !seen.contains(path) {
                writer.delete_term(Term::from_field_text(self.fields.path, path));
                removed += 1;
            }
        }
        let added = tally.added.into_inner();
        let changed = tally.changed.into_inner();
        let committed = options.rebuild || added + changed + removed > 0;
        if committed {
            progress(Progress::Committing);
            let bulk = (added + changed) * 2 > walked.files.len();
            self.commit(writer, bulk, &before)?;
        }
        if vectors {
            crate::vectors::install(&self.dir)?;
            self.mark_semantic()?;
            *self.vectors.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
        let mut skipped = tally.skipped.into_inner().expect("lock");
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(UpdateStats {
            files: walked.files.len(),
            added,
            changed,
            removed,
            unchanged: seen.len() - added - changed,
            bytes_indexed: tally.bytes.into_inner() as u64,
            symbols: tally.symbols.into_inner(),
            chunks: tally.chunks.into_inner(),
            skipped,
            committed,
            elapsed: started.elapsed(),
        })
    }

    /// Checks one file of an update: re-indexes it when its content hash is not the one
    /// indexed (`existing`), counting into `tally`. Returns its relative path when the file is
    /// in the index afterwards (none when it was skipped).
    fn index_file(
        &self,
        writer: &IndexWriter<TantivyDocument>,
        root: &Path,
        file: &SourceFile,
        existing: &HashMap<String, String>,
        options: &UpdateOptions,
        tally: &Tally,
    ) -> Option<Indexed> {
        let rel = relative_path(root, &file.path);
        let skip = |reason| {
            tally.skipped.lock().expect("lock").push(Skipped {
                path: file.path.clone(),
                reason,
            });
        };
        let source = match read_source(&file.path, options.walk.max_file_size) {
            Ok(source) => source,
            Err(reason) => {
                skip(reason);
                return None;
            }
        };
        let hash = blake3::hash(source.as_bytes()).to_hex().to_string();
        let previous = existing.get(&rel);
        let entry = |units: Option<Vec<UnitText>>| Indexed {
            file: crate::vectors::VectorFile {
                path: rel.clone(),
                hash: hash.clone(),
                language: file.language.name().to_string(),
            },
            path: file.path.clone(),
            language: file.language,
            units,
        };
        if previous == Some(&hash) {
            return Some(entry(None));
        }
        let len = source.len();
        let parsed = match ParsedFile::parse(&file.path, file.language, source) {
            Ok(parsed) => parsed,
            Err(err) => {
                skip(SkipReason::Io(err.to_string()));
                return None;
            }
        };
        if previous.is_some() {
            writer.delete_term(Term::from_field_text(self.fields.path, &rel));
            tally.changed.fetch_add(1, Ordering::Relaxed);
        } else {
            tally.added.fetch_add(1, Ordering::Relaxed);
        }
        let docs = match self.documents(&rel, &hash, &parsed, options) {
            Ok(docs) => docs,
            Err(err) => {
                tally.error(err);
                return Some(entry(None));
            }
        };
        tally.symbols.fetch_add(docs.symbols, Ordering::Relaxed);
        tally.chunks.fetch_add(docs.chunks, Ordering::Relaxed);
        tally.bytes.fetch_add(len, Ordering::Relaxed);
        for doc in docs.docs {
            if let Err(err) = writer.add_document(doc) {
                tally.error(err.into());
            }
        }
        Some(entry(docs.units))
    }

    /// Commits an update (the writer is done with then), merges segments, reloads the reader and records the files it wrote
    /// (those not in `before`) as verified.
    fn commit(
        &self,
        mut writer: IndexWriter<TantivyDocument>,
        bulk: bool,
        before: &BTreeSet<PathBuf>,
    ) -> Result<(), IndexError> {
        // After a bulk load, the segments the indexing threads wrote are merged into one (a
        // smaller index with one term dictionary, and faster searches); after a partial
        // update, tantivy's merge policy merges small segments and those with many deleted
        // documents.
        writer.set_merge_policy(if bulk {
            Box::new(NoMergePolicy)
        } else {
            merge_policy()
        });
        writer.commit()?;
        let segments = self.index.searchable_segment_ids()?;
        let sparse = self
            .index
            .searchable_segment_metas()?
            .iter()
            .any(|s| s.num_deleted_docs() > 0);
        if bulk && (segments.len() > 1 || sparse) {
            writer.merge(&segments).wait()?;
        }
        writer.wait_merging_threads()?;
        self.reader.reload()?;
        // The files this update wrote are recorded as verified without reading them again.
        let _ = verify_segment_files(&self.index, &self.dir, &|rel| !before.contains(rel));
        Ok(())
    }

    /// The source as this index holds it: with docs blanked when its settings say so.
    pub(crate) fn indexed_text(&self, source: &str, symbols: &[Symbol]) -> String {
        if self.settings.strip_docs {
            blank_docs(source, symbols)
        } else {
            source.to_string()
        }
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
        let text = self.indexed_text(source, &symbols);
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
        let units = options.embedder.is_some().then(|| {
            crate::semantic::unit_texts(rel, &symbols, &chunks, &text, !self.settings.strip_docs)
        });
        Ok(FileDocs {
            docs,
            symbols: symbols.len(),
            chunks: chunks.len(),
            units,
        })
    }
}

/// What the files of an update added up to, counted from the indexing threads.
#[derive(Default)]
struct Tally {
    added: AtomicUsize,
    changed: AtomicUsize,
    symbols: AtomicUsize,
    chunks: AtomicUsize,
    bytes: AtomicUsize,
    skipped: Mutex<Vec<Skipped>>,
    /// The first error: the update fails with it.
    first_error: Mutex<Option<IndexError>>,
}

impl Tally {
    /// Records `err` unless an error came first.
    fn error(&self, err: IndexError) {
        self.first_error.lock().expect("lock").get_or_insert(err);
    }
}

struct FileDocs {
    docs: Vec<TantivyDocument>,
    symbols: usize,
    chunks: usize,
    /// The units to embed, when the update embeds.
    units: Option<Vec<UnitText>>,
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
