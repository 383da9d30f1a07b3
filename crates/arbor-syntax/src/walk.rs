//! Repository walks: which files to parse, and which to skip and why.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::error::SyntaxError;
use crate::language::Language;
use crate::parse::ParsedFile;

/// The default size limit for source files: 1 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 1024 * 1024;

/// How many leading bytes are searched for a NUL byte to call a file binary (as git and ripgrep do).
const BINARY_PROBE: usize = 8 * 1024;

/// Options of a repository walk.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Files larger than this many bytes are skipped.
    pub max_file_size: u64,
    /// Honour `.gitignore`, `.ignore`, `.git/info/exclude` and the global git excludes.
    pub respect_ignore_files: bool,
    /// Also walk hidden files and directories (names starting with `.`).
    pub hidden: bool,
    /// Follow symbolic links.
    pub follow_links: bool,
    /// Only these languages (all when empty).
    pub languages: Vec<Language>,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            respect_ignore_files: true,
            hidden: false,
            follow_links: false,
            languages: Vec::new(),
        }
    }
}

/// Why a file is not parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// The file is over the size limit.
    TooLarge {
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The file holds a NUL byte near its start.
    Binary,
    /// The file is not valid UTF-8.
    NotUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// The file or directory could not be read.
    Io(String),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::TooLarge { size, limit } => {
                write!(f, "file too large ({size} bytes, limit {limit})")
            }
            SkipReason::Binary => f.write_str("binary file"),
            SkipReason::NotUtf8 { offset } => {
                write!(f, "not valid UTF-8 (first invalid byte at offset {offset})")
            }
            SkipReason::Io(message) => f.write_str(message),
        }
    }
}

/// A file that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why.
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// A source file found by a walk, not yet read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Its path (the walk root joined with the path inside it).
    pub path: PathBuf,
    /// Its language.
    pub language: Language,
    /// Its size in bytes when it was found.
    pub size: u64,
}

/// What a walk found.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    /// Source files to parse, sorted by path.
    pub files: Vec<SourceFile>,
    /// Files skipped already during the walk (too large, unreadable), sorted by path.
    pub skipped: Vec<Skipped>,
    /// Number of files that are not in a supported language.
    pub other_files: usize,
}

/// Walks `root` (a directory or a single file) for source files in the supported languages.
///
/// Ignore files are honoured as git does; files over the size limit and entries that cannot be
/// read are reported in [`Walk::skipped`]. Files without an extension are recognised by a `#!`
/// line. Binary and non-UTF-8 files are found when they are read ([`read_source`]).
pub fn walk(root: &Path, options: &WalkOptions) -> Result<Walk, SyntaxError> {
    if !root.exists() {
        return Err(SyntaxError::Walk {
            path: root.to_path_buf(),
            message: "no such file or directory".into(),
        });
    }
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .hidden(!options.hidden)
        .follow_links(options.follow_links)
        .git_ignore(options.respect_ignore_files)
        .git_global(options.respect_ignore_files)
        .git_exclude(options.respect_ignore_files)
        .ignore(options.respect_ignore_files)
        .parents(options.respect_ignore_files)
        // Honour .gitignore files even outside a git repository, as users expect of a fresh checkout.
        .require_git(false);
    let mut result = Walk::default();
    for entry in builder.build() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let path = error_path(&err).unwrap_or_else(|| root.to_path_buf());
                result.skipped.push(Skipped {
                    path,
                    reason: SkipReason::Io(err.to_string()),
                });
                continue;
            }
        };
        let Some(file_type) = entry.file_type() else {
            continue;
        };
        if !file_type.is_file() {
            // A pipe, device or socket named as the root is reported, not silently dropped;
            // inside a directory such entries are not source files.
            if entry.depth() == 0 && !file_type.is_dir() && !file_type.is_symlink() {
                result.skipped.push(Skipped {
                    path: entry.path().to_path_buf(),
                    reason: SkipReason::Io(not_regular(&file_type).to_string()),
                });
            }
            continue;
        }
        let path = entry.path();
        let language = match Language::from_path(path) {
            Some(language) => Some(language),
            None if path.extension().is_none() => read_head(path)
                .ok()
                .and_then(|head| Language::from_shebang(&head)),
            None => None,
        };
        let Some(language) = language else {
            result.other_files += 1;
            continue;
        };
        if !options.languages.is_empty() && !options.languages.contains(&language) {
            result.other_files += 1;
            continue;
        }
        let size = match entry.metadata() {
            Ok(metadata) => metadata.len(),
            Err(err) => {
                result.skipped.push(Skipped {
                    path: path.to_path_buf(),
                    reason: SkipReason::Io(err.to_string()),
                });
                continue;
            }
        };
        if size > options.max_file_size {
            result.skipped.push(Skipped {
                path: path.to_path_buf(),
                reason: SkipReason::TooLarge {
                    size,
                    limit: options.max_file_size,
                },
            });
            continue;
        }
        result.files.push(SourceFile {
            path: path.to_path_buf(),
            language,
            size,
        });
    }
    result.files.sort_by(|a, b| a.path.cmp(&b.path));
    result.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(result)
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(256);
    open_regular(path)?.take(256).read_to_end(&mut head)?;
    Ok(head)
}

/// What a file that is not a regular file is, in words (`a named pipe (FIFO)`).
fn file_kind(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

fn not_regular(file_type: &std::fs::FileType) -> std::io::Error {
    let kind = file_kind(file_type);
    let message = if kind.starts_with("a ") {
        format!("{kind}, not a regular file")
    } else {
        kind.to_string()
    };
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
}

/// Opens `path` for reading, refusing anything but a regular file (after following symbolic
/// links) without blocking: opening a named pipe for reading waits for a writer, and reading a
/// device may never end. The type is checked before opening (opening some devices has effects)
/// and again on the open file, which is opened non-blocking so a pipe swapped in between cannot
/// hang either.
pub fn open_regular(path: &Path) -> std::io::Result<File> {
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(not_regular(&metadata.file_type()));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(not_regular(&metadata.file_type()));
    }
    Ok(file)
}

/// Reads a source file, refusing files over `max_size` bytes, binary files (a NUL byte in the
/// first 8 KiB) and files that are not valid UTF-8. A UTF-8 byte-order mark is kept.
pub fn read_source(path: &Path, max_size: u64) -> Result<String, SkipReason> {
    let io = |err: std::io::Error| SkipReason::Io(err.to_string());
    let file = open_regular(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > max_size {
        return Err(SkipReason::TooLarge {
            size,
            limit: max_size,
        });
    }
    // Read at most one byte past the limit, so a file that grew since the walk is still caught.
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(max_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > max_size {
        return Err(SkipReason::TooLarge {
            size: bytes.len() as u64,
            limit: max_size,
        });
    }
    if bytes[..bytes.len().min(BINARY_PROBE)].contains(&0) {
        return Err(SkipReason::Binary);
    }
    String::from_utf8(bytes).map_err(|err| SkipReason::NotUtf8 {
        offset: err.utf8_error().valid_up_to(),
    })
}

/// Reads and parses every file of a walk in parallel (in the current rayon pool) and applies `f`
/// to each parsed file. Results come back in the walk's order; files that cannot be read or parsed
/// come back as [`Skipped`]. Each tree is dropped after `f` returns, so memory stays bounded by
/// what `f` keeps.
pub fn parse_files<T, F>(files: &[SourceFile], max_size: u64, f: F) -> Vec<Result<T, Skipped>>
where
    T: Send,
    F: Fn(ParsedFile) -> T + Sync,
{
    files
        .par_iter()
        .map(|file| {
            let skipped = |reason| Skipped {
                path: file.path.clone(),
                reason,
            };
            let source = read_source(&file.path, max_size).map_err(skipped)?;
            let parsed = ParsedFile::parse(file.path.clone(), file.language, source)
                .map_err(|err| skipped(SkipReason::Io(err.to_string())))?;
            Ok(f(parsed))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_source_refuses_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = |name: &str| dir.path().join(name);
        std::fs::write(p("ok.py"), "\u{feff}x = 'é'\n").unwrap();
        std::fs::write(p("bin.py"), b"x = 1\n\0\0\x01").unwrap();
        std::fs::write(p("latin1.py"), b"x = '\xe9'\n").unwrap();
        std::fs::write(p("big.py"), "x = 1\n".repeat(100)).unwrap();
        assert_eq!(read_source(&p("ok.py"), 100).unwrap(), "\u{feff}x = 'é'\n");
        assert_eq!(read_source(&p("bin.py"), 100), Err(SkipReason::Binary));
        assert_eq!(
            read_source(&p("latin1.py"), 100),
            Err(SkipReason::NotUtf8 { offset: 5 })
        );
        assert_eq!(
            read_source(&p("big.py"), 100),
            Err(SkipReason::TooLarge {
                size: 600,
                limit: 100
            })
        );
        assert!(matches!(
            read_source(&p("missing.py"), 100),
            Err(SkipReason::Io(_))
        ));
        assert_eq!(
            read_source(dir.path(), 100),
            Err(SkipReason::Io("a directory, not a regular file".into()))
        );
    }

    /// A named pipe with no writer: opening it for reading the ordinary way blocks forever.
    #[cfg(unix)]
    #[test]
    fn named_pipes_and_devices_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.py");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("skipped: mkfifo is not available");
            return;
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || {
            let _ = tx.send((read_source(&path, 100), open_regular(&path).map(|_| ())));
        });
        let (read, open) = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("reading a named pipe blocked");
        assert_eq!(
            read,
            Err(SkipReason::Io(
                "a named pipe (FIFO), not a regular file".into()
            ))
        );
        assert_eq!(open.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
        let null = read_source(Path::new("/dev/null"), 100).unwrap_err();
        assert_eq!(
            null,
            SkipReason::Io("a character device, not a regular file".into())
        );
        // Walking the pipe itself reports it instead of finding nothing.
        let walked = walk(&fifo, &WalkOptions::default()).unwrap();
        assert!(walked.files.is_empty());
        assert_eq!(walked.skipped.len(), 1, "{:?}", walked.skipped);
    }
}
