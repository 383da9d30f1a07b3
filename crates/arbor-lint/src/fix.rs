//! Applying safe fixes: edits that do not overlap, checked to leave the file parseable.

use std::io::Write;

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
/// errors than before; returns the fixed file and the number of findings fixed. The file is
/// replaced atomically (a temporary file renamed over it), keeping its permissions.
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
    let path = file.path();
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let write = || -> std::io::Result<()> {
        let mut tmp = tempfile_in(dir)?;
        tmp.1.write_all(fixed_file.source().as_bytes())?;
        tmp.1.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp.0, meta.permissions())?;
        }
        std::fs::rename(&tmp.0, path)
    };
    write().map_err(|e| format!("cannot write the fixes: {e}"))?;
    Ok(Some((fixed_file, fixed)))
}

/// A new file beside the target, so the rename stays on one file system.
fn tempfile_in(dir: &std::path::Path) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    for attempt in 0..100u32 {
        let path = dir.join(format!(".arbor-fix-{}-{attempt}.tmp", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary file name"))
}
