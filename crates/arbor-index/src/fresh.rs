//! Opening an index for a search, brought up to date first: the one decision of when an index
//! is updated before it is searched, shared by the command line and servers.

use std::path::Path;

use crate::error::IndexError;
use crate::index::{CodeIndex, Progress, UpdateOptions, UpdateStats};
use crate::schema::IndexSettings;

/// How [`CodeIndex::open_fresh`] treats the index before a search.
#[derive(Debug, Clone)]
pub enum Refresh {
    /// Search the index as last committed: it must exist, and is neither created nor updated.
    Never,
    /// Create the index (with default settings) when there is none, and bring it up to date
    /// with the repository, unless it is read-only or another process is updating it.
    Update(UpdateOptions),
}

impl Default for Refresh {
    fn default() -> Self {
        Refresh::Update(UpdateOptions::default())
    }
}

/// What [`CodeIndex::open_fresh`] did before the search.
#[derive(Debug)]
pub enum Freshness {
    /// Nothing: [`Refresh::Never`] was asked for.
    AsCommitted,
    /// The index was updated ([`UpdateStats::committed`] says whether anything changed).
    Updated(UpdateStats),
    /// The index is read-only: it is searched as last built, without an update.
    ReadOnly,
    /// Another process holds the index's writer lock ([`IndexError::Locked`]): the index is
    /// searched as last committed.
    Locked(IndexError),
}

impl CodeIndex {
    /// Opens the index in `dir` of the repository at `root` for a search, updated first as
    /// `refresh` asks. An update is skipped, not failed, when the index is read-only or another
    /// process is updating it ([`Freshness`] says so); any other error of the update is
    /// returned. Before an update, `.arbor/` is kept out of git ([`ignore_cache_dir`]).
    /// `progress` hears of the update.
    pub fn open_fresh(
        dir: &Path,
        root: &Path,
        refresh: &Refresh,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<(CodeIndex, Freshness), IndexError> {
        let options = match refresh {
            Refresh::Never => return Ok((CodeIndex::open(dir)?, Freshness::AsCommitted)),
            Refresh::Update(options) => options,
        };
        let index = CodeIndex::open_or_create(dir, IndexSettings::default(), false)?;
        if index.is_read_only() {
            return Ok((index, Freshness::ReadOnly));
        }
        ignore_cache_dir(dir);
        let freshness = match index.update(root, options, progress) {
            Ok(stats) => Freshness::Updated(stats),
            Err(err @ IndexError::Locked(_)) => Freshness::Locked(err),
            Err(err) => return Err(err),
        };
        Ok((index, freshness))
    }
}

/// Keeps `.arbor/` out of git, as tools with a cache folder do: when `dir` (an index
/// directory) lies in a folder named `.arbor`, writes a `.gitignore` there that ignores
/// everything, unless one exists. Best effort: a failure to write it is ignored.
pub fn ignore_cache_dir(dir: &Path) {
    if let Some(parent) = dir
        .parent()
        .filter(|p| p.file_name().is_some_and(|n| n == ".arbor"))
    {
        let gitignore = parent.join(".gitignore");
        if !gitignore.exists() {
            let _ = std::fs::write(
                gitignore,
                "# Created by arbor: the index is not for version control.\n*\n",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_refreshing_needs_an_index() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(".arbor").join("index");
        let err = CodeIndex::open_fresh(&dir, tmp.path(), &Refresh::Never, &|_| {})
            .err()
            .unwrap();
        assert!(matches!(err, IndexError::Missing(_)), "{err}");
        assert!(!tmp.path().join(".arbor").exists());
    }

    #[test]
    fn refreshing_creates_updates_and_ignores_the_cache_dir() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("a.py"), "def parse_request():\n    pass\n").unwrap();
        let dir = tmp.path().join(".arbor").join("index");
        let (index, freshness) =
            CodeIndex::open_fresh(&dir, tmp.path(), &Refresh::default(), &|_| {}).unwrap();
        assert!(matches!(&freshness, Freshness::Updated(s) if s.committed && s.added == 1));
        assert_eq!(index.file_count(), 1);
        assert!(tmp.path().join(".arbor/.gitignore").is_file());
        drop(index);
        let (_, freshness) =
            CodeIndex::open_fresh(&dir, tmp.path(), &Refresh::default(), &|_| {}).unwrap();
        assert!(matches!(&freshness, Freshness::Updated(s) if !s.committed));
        let (_, freshness) =
            CodeIndex::open_fresh(&dir, tmp.path(), &Refresh::Never, &|_| {}).unwrap();
        assert!(matches!(freshness, Freshness::AsCommitted));
    }

    #[test]
    fn a_locked_index_is_searched_as_committed() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("a.py"), "x = 1\n").unwrap();
        let dir = tmp.path().join("index");
        let (index, _) =
            CodeIndex::open_fresh(&dir, tmp.path(), &Refresh::default(), &|_| {}).unwrap();
        let writer = index.writer().unwrap();
        let (_, freshness) =
            CodeIndex::open_fresh(&dir, tmp.path(), &Refresh::default(), &|_| {}).unwrap();
        assert!(matches!(
            freshness,
            Freshness::Locked(IndexError::Locked(_))
        ));
        drop(writer);
        assert!(!tmp.path().join(".gitignore").exists(), "not in .arbor/");
    }
}
