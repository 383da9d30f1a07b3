//! Files written whole or not at all: results, selections, tests, reports and rewritten
//! sources go through a temporary file in the same directory, renamed into place, so that a
//! killed run or a reader at the same time never sees a part.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::error::EvalError;

/// Writes `bytes` to `path` atomically. The file keeps the permissions of the one it
/// replaces; a new file is readable by all and writable by its owner (0644).
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), EvalError> {
    let io = |source| EvalError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let permissions = match std::fs::metadata(path) {
        Ok(metadata) => metadata.permissions(),
        Err(_) => std::fs::Permissions::from_mode(0o644),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".arbor-")
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(io)?;
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .map_err(io)?;
    std::fs::set_permissions(file.path(), permissions).map_err(io)?;
    file.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_replaced_whole_keeping_their_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_file(&path, b"one").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o644);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        write_file(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(mode(&path), 0o755);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left");
        let err = write_file(&dir.path().join("missing/out.txt"), b"x").unwrap_err();
        assert!(err.to_string().contains("missing/out.txt"), "{err}");
    }
}
