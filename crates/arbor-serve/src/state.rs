//! What the server loads once and shares: the index, the linter, the settings; and the
//! updates of the index (at start, when files change, on request), one at a time.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use arbor_index::{CodeIndex, IndexError, IndexSettings, UpdateOptions, UpdateStats};
use arbor_lint::Linter;
use notify::Watcher;

use crate::error::ServeError;
use crate::ServeOptions;

/// How long the files must be quiet after a change before the index is updated.
const QUIET: Duration = Duration::from_millis(300);

/// The server's shared state.
pub(crate) struct AppState {
    /// The repository (canonical path).
    pub repo: PathBuf,
    /// Its index directory (canonical path).
    pub index_dir: PathBuf,
    /// The index, searched while it is updated.
    pub index: CodeIndex,
    /// The repository's linter (its `arbor.toml` or `pyproject.toml`).
    pub linter: Linter,
    /// The API key, when one is required.
    pub api_key: Option<String>,
    /// Whether an update is running.
    updating: AtomicBool,
    /// Held by the update that runs.
    update_lock: Mutex<()>,
    /// The repository's top `.gitignore` (changes it leaves out start no update).
    ignored: ignore::gitignore::Gitignore,
    /// The file watcher, kept alive with the state.
    watcher: Mutex<Option<notify::RecommendedWatcher>>,
    /// Why the repository is not watched, when watching failed.
    pub watch_error: Mutex<Option<String>>,
    /// Why the last update of the index failed (cleared by one that succeeds).
    pub update_error: Mutex<Option<String>>,
    /// The served model: none, loading, its worker, or why it did not load.
    pub model: crate::model::ModelSlot,
}

impl AppState {
    /// Opens (or creates) the index of `options.repo` and reads its lint configuration.
    pub fn open(options: &ServeOptions, model: bool) -> Result<AppState, ServeError> {
        let repo = std::fs::canonicalize(&options.repo)
            .map_err(|e| ServeError::Server(format!("{}: {e}", options.repo.display())))?;
        if !repo.is_dir() {
            return Err(ServeError::Server(format!(
                "{}: not a directory",
                options.repo.display()
            )));
        }
        let index = CodeIndex::open_or_create(&options.index_dir, IndexSettings::default(), false)?;
        arbor_index::ignore_cache_dir(&options.index_dir);
        let index_dir =
            std::fs::canonicalize(&options.index_dir).unwrap_or_else(|_| options.index_dir.clone());
        let config = arbor_lint::outcome::load_config(None, std::slice::from_ref(&repo), &[], &[])?;
        let linter = Linter::new(config)?;
        let model = if model {
            crate::model::ModelSlot::Configured(std::sync::OnceLock::new())
        } else {
            crate::model::ModelSlot::None
        };
        let (ignored, _) = ignore::gitignore::Gitignore::new(repo.join(".gitignore"));
        Ok(AppState {
            ignored,
            model,
            repo,
            index_dir,
            index,
            linter,
            api_key: options.api_key.clone(),
            updating: AtomicBool::new(false),
            update_lock: Mutex::new(()),
            watcher: Mutex::new(None),
            watch_error: Mutex::new(None),
            update_error: Mutex::new(None),
        })
    }

    /// Whether an update is running.
    pub fn updating(&self) -> bool {
        self.updating.load(Ordering::SeqCst)
    }

    /// Brings the index up to date (after any update already running); blocking. Its
    /// error, if any, is kept for `/health` until an update succeeds (the background updates
    /// have no one else to tell).
    pub fn update(&self) -> Result<UpdateStats, IndexError> {
        let _one_at_a_time = self.update_lock.lock().unwrap_or_else(|e| e.into_inner());
        self.updating.store(true, Ordering::SeqCst);
        let result = self
            .index
            .update(&self.repo, &UpdateOptions::default(), &|_| {});
        *self.update_error.lock().unwrap_or_else(|e| e.into_inner()) =
            result.as_ref().err().map(ToString::to_string);
        self.updating.store(false, Ordering::SeqCst);
        result
    }

    /// Whether a change at `path` can change the index: a source file (by its extension) or
    /// a directory (a removed one may have held sources), not in the index's own files, nor
    /// git's, nor a path the repository's top `.gitignore` leaves out (a build's output
    /// changing under `target/` starts no update).
    fn relevant(&self, path: &Path) -> bool {
        let Ok(inside) = path.strip_prefix(&self.repo) else {
            return false;
        };
        if path.starts_with(&self.index_dir)
            || inside.starts_with(".git")
            || inside.starts_with(".arbor")
        {
            return false;
        }
        let source = arbor_syntax::Language::from_path(path).is_some();
        let directory = path.extension().is_none();
        (source || directory)
            && !self
                .ignored
                .matched_path_or_any_parents(inside, directory && path.is_dir())
                .is_ignore()
    }
}

/// Updates the index now (on a thread) and, with `watch`, whenever files of the repository
/// change (once they have been quiet for a moment).
pub(crate) fn start_updates(state: &Arc<AppState>, watch: bool) -> Result<(), ServeError> {
    let (changed, changes) = mpsc::channel::<()>();
    if watch {
        let watched = Arc::downgrade(state);
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let Ok(event) = event else { return };
                let Some(state) = watched.upgrade() else {
                    return;
                };
                if event.paths.iter().any(|p| state.relevant(p)) {
                    let _ = changed.send(());
                }
            })
            .map_err(|e| ServeError::Server(format!("cannot watch the repository: {e}")))?;
        // A repository too big for the system's watch limit is served without watching
        // (updates at start and on POST /api/index): said in /health, not fatal.
        match watcher.watch(&state.repo, notify::RecursiveMode::Recursive) {
            Ok(()) => *state.watcher.lock().unwrap_or_else(|e| e.into_inner()) = Some(watcher),
            Err(e) => {
                *state.watch_error.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(format!("not watching the repository for changes: {e}"));
            }
        }
    }
    let state = Arc::downgrade(state);
    std::thread::Builder::new()
        .name("arbor-serve-index".into())
        .spawn(move || {
            let update = |state: &std::sync::Weak<AppState>| match state.upgrade() {
                Some(state) => {
                    // A failure is kept in the state and shown by /health.
                    let _ = state.update();
                    true
                }
                None => false,
            };
            if !update(&state) {
                return;
            }
            // Each burst of changes: wait until quiet, then one update.
            while changes.recv().is_ok() {
                while changes.recv_timeout(QUIET).is_ok() {}
                if !update(&state) {
                    return;
                }
            }
        })
        .map_err(|e| ServeError::Server(format!("no index thread: {e}")))?;
    Ok(())
}

/// Loads the model with `loader` on a thread of its own; its worker (or the error) lands in
/// the state's model slot.
pub(crate) fn load_model(
    state: &Arc<AppState>,
    loader: crate::model::ModelLoader,
    slots: usize,
) -> Result<(), ServeError> {
    let state = state.clone();
    std::thread::Builder::new()
        .name("arbor-serve-load".into())
        .spawn(move || {
            let loaded = loader().and_then(|served| {
                crate::model::ModelHandle::start(served, slots)
                    .map_err(|e| format!("no model thread: {e}"))
            });
            if let crate::model::ModelSlot::Configured(slot) = &state.model {
                let _ = slot.set(loaded);
            }
        })
        .map_err(|e| ServeError::Server(format!("no loading thread: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changes_that_can_change_the_index_start_an_update() {
        let dir = tempfile::tempdir().unwrap();
        let repo = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::write(repo.join(".gitignore"), "target/\n*.log\n").unwrap();
        std::fs::create_dir_all(repo.join("target/debug")).unwrap();
        std::fs::create_dir_all(repo.join("src")).unwrap();
        let state = AppState::open(
            &ServeOptions {
                repo: repo.clone(),
                index_dir: repo.join(".arbor/index"),
                host: "127.0.0.1".into(),
                port: 0,
                api_key: None,
                watch: false,
                slots: 1,
            },
            false,
        )
        .unwrap();
        for (path, relevant) in [
            ("src/lib.rs", true),
            ("src/app.py", true),
            ("src", true),
            ("README.md", false),
            ("target/debug/build.rs", false),
            ("target/debug", false),
            ("src/run.log", false),
            (".git/index", false),
            (".arbor/index/meta.json", false),
        ] {
            assert_eq!(state.relevant(&repo.join(path)), relevant, "{path}");
        }
        assert!(!state.relevant(Path::new("/elsewhere/x.py")));
    }
}
