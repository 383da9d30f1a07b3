//! Applying safe fixes: edits that do not overlap, checked to leave the file parseable.

use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use arbor_syntax::ParsedFile;

use crate::rule::{Edit, Finding};

/// `source` with the non-overlapping edits of `findings` applied (an edit overlapping one
/// already taken is left for a later run), and how many findings were fixed.
pub fn apply(source: &str, findings: &[Finding]) -> (String, usize) {
    let mut taken: Vec<&Edit> = Vec::new();
    let mut fixed = 0;
    for finding in findings {
        let Some(edits) = &finding.fix else { continue };
        let overlaps = |e: &Edit| {
            taken.iter().any(|t| {
                e.start_byte < t.end_byte.max(t.start_byte + 1)
                    && t.start_byte < e.end_byte.max(e.start_byte + 1)
            })
        };
        let duplicate = edits.iter().all(|e| taken.contains(&e));
        if duplicate {
            fixed += 1; // the same edit repairs several findings (one import statement, two names)
            continue;
        }
        if edits.iter().any(overlaps)
            || edits
                .iter()
                .any(|e| e.end_byte > source.len() || e.start_byte > e.end_byte)
        {
            continue;
        }
        taken.extend(edits.iter());
        fixed += 1;
    }
    taken.sort_by_key(|e| std::cmp::Reverse(e.start_byte));
    let mut out = source.to_string();
    for edit in taken {
        out.replace_range(edit.start_byte..edit.end_byte, &edit.replacement);
    }
    (out, fixed)
}

/// Applies the fixes of `findings` to `file` on disk when the result parses with no more syntax
/// errors than before; returns the fixed file and the number of findings fixed.
///
/// The file is written where its content lives: a symbolic link is followed and its target
/// fixed, the link left a link. A file with one link is replaced atomically (a temporary file
/// beside it, renamed over it, with the same permissions); a file with several hard links is
/// rewritten in place so that every link still shares the fixed content. Read-only files (no
/// write permission bit, whoever runs this) and files changed since they were read are refused.
pub fn fix_file(
    file: &ParsedFile,
    findings: &[Finding],
) -> Result<Option<(ParsedFile, usize)>, String> {
    let (source, fixed) = apply(file.source(), findings);
    if fixed == 0 || source == file.source() {
        return Ok(None);
    }
    let fixed_file =
        ParsedFile::parse(file.path(), file.language(), source).map_err(|e| e.to_string())?;
    if fixed_file.syntax_errors().len() > file.syntax_errors().len() {
        return Err("the fixes would not parse; nothing was written".into());
    }
    write_fixed(file.path(), file.source(), fixed_file.source())?;
    Ok(Some((fixed_file, fixed)))
}

/// Writes `fixed` to the file at `path` (whose content was `original` when read), following
/// symbolic links and keeping hard links shared. Errors are one-line reasons.
pub fn write_fixed(path: &Path, original: &str, fixed: &str) -> Result<(), String> {
    // The file the content lives in: a symbolic link's target (all links resolved).
    let target =
        std::fs::canonicalize(path).map_err(|e| format!("cannot resolve the file: {e}"))?;
    let meta = std::fs::metadata(&target).map_err(|e| format!("cannot read the file: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file; nothing was written".into());
    }
    // Mode bits, not open(): root may write anything, but a read-only file says "do not edit".
    if meta.permissions().readonly() {
        return Err("the file is read-only; nothing was written".into());
    }
    let mut current = Vec::new();
    arbor_syntax::open_regular(&target)
        .and_then(|mut f| std::io::Read::read_to_end(&mut f, &mut current))
        .map_err(|e| format!("cannot read the file: {e}"))?;
    if current != original.as_bytes() {
        return Err("the file changed while it was linted; nothing was written".into());
    }
    if links(&meta) > 1 {
        write_in_place(&target, original.as_bytes(), fixed.as_bytes())
    } else {
        replace_atomically(&target, &meta, fixed.as_bytes())
    }
    .map_err(|e| format!("cannot write the fixes: {e}"))
}

/// The number of hard links to the file (1 where the platform does not say).
fn links(meta: &std::fs::Metadata) -> u64 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.nlink()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        1
    }
}

/// A temporary file beside `target` with the new content and the same permissions (and, where
/// allowed, owner), renamed over it: readers see the old file or the new one, never a part.
fn replace_atomically(target: &Path, meta: &std::fs::Metadata, fixed: &[u8]) -> io::Result<()> {
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (tmp_path, mut tmp) = tempfile_in(dir)?;
    let result = (|| {
        tmp.write_all(fixed)?;
        tmp.set_permissions(meta.permissions())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            // Keeps the owner when run as root; an ordinary user cannot give files away.
            let _ = std::os::unix::fs::fchown(&tmp, Some(meta.uid()), Some(meta.gid()));
        }
        tmp.sync_all()?;
        std::fs::rename(&tmp_path, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp_path);
    }
    result
}

/// Overwrites the file's own content (same inode, so hard links stay shared); when a write
/// fails part-way the original content is put back.
fn write_in_place(target: &Path, original: &[u8], fixed: &[u8]) -> io::Result<()> {
    let mut file = std::fs::OpenOptions::new().write(true).open(target)?;
    let write = |file: &mut std::fs::File, bytes: &[u8]| -> io::Result<()> {
        file.seek(SeekFrom::Start(0))?;
        file.write_all(bytes)?;
        file.set_len(bytes.len() as u64)?;
        file.sync_all()
    };
    write(&mut file, fixed).inspect_err(|_| {
        let _ = write(&mut file, original);
    })
}

/// A new file beside the target, so the rename stays on one file system.
fn tempfile_in(dir: &Path) -> io::Result<(PathBuf, std::fs::File)> {
    for attempt in 0..100u32 {
        let path = dir.join(format!(".arbor-fix-{}-{attempt}.tmp", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no free temporary file name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_changed_since_it_was_read_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.py");
        std::fs::write(&path, "import os\nx = 2\n").unwrap();
        let err = write_fixed(&path, "import os\nx = 1\n", "x = 1\n").unwrap_err();
        assert_eq!(
            err,
            "the file changed while it was linted; nothing was written"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "import os\nx = 2\n"
        );
        write_fixed(&path, "import os\nx = 2\n", "x = 2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "x = 2\n");
    }

    #[cfg(unix)]
    #[test]
    fn links_are_written_through_and_read_only_files_refused() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.py");
        let link = dir.path().join("l.py");
        let other = dir.path().join("h.py");
        std::fs::write(&target, "a\n").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        std::fs::hard_link(&target, &other).unwrap();
        // Longer and then shorter content, in place: the hard link shares both.
        write_fixed(&link, "a\n", "a longer line\n").unwrap();
        write_fixed(&other, "a longer line\n", "b\n").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        for path in [&target, &link, &other] {
            assert_eq!(std::fs::read_to_string(path).unwrap(), "b\n");
        }
        assert_eq!(std::fs::metadata(&target).unwrap().nlink(), 2);
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o400)).unwrap();
        let err = write_fixed(&link, "b\n", "c\n").unwrap_err();
        assert_eq!(err, "the file is read-only; nothing was written");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "b\n");
    }
}
