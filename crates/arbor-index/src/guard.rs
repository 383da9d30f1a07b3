//! Turning a panic inside tantivy into an error.
//!
//! tantivy trusts the files it reads: on some corrupt inputs (a `meta.json` whose document
//! counts disagree with the segment files, a segment file altered so that its checksum still
//! matches) it panics (`mid > len` in ownedbytes, an index out of bounds…) instead of returning
//! an error. Arbor verifies the checksums of the segment files when it opens an index, but
//! `meta.json` has no checksum and tantivy offers no other way to read an untrusted index, so
//! the calls that read index files run under [`guarded`]: a panic becomes
//! [`IndexError::Corrupt`] with the `--rebuild` hint. Its message is not printed: a panic hook,
//! installed on first use, stays silent for panics inside a guarded call on the same thread and
//! hands every other panic to the hook that was installed before.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::Once;

use crate::error::IndexError;

thread_local! {
    /// How many guarded calls this thread is inside.
    static GUARDED: Cell<u32> = const { Cell::new(0) };
}

static QUIET_HOOK: Once = Once::new();

/// Runs `f`, turning a panic into [`IndexError::Corrupt`] for the index in `dir`.
pub(crate) fn guarded<T>(
    dir: &Path,
    f: impl FnOnce() -> Result<T, IndexError>,
) -> Result<T, IndexError> {
    QUIET_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if GUARDED.with(Cell::get) == 0 {
                previous(info);
            }
        }));
    });
    GUARDED.with(|g| g.set(g.get() + 1));
    // The index is not used again after a panic: the caller gets an error that says to rebuild
    // it, so whatever state the panic left behind is never observed.
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(g.get() - 1));
    result.unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".to_string());
        Err(IndexError::Corrupt {
            path: dir.to_path_buf(),
            message: format!(
                "reading it failed: {}",
                what.lines().next().unwrap_or_default()
            ),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_corrupt_index_error() {
        let dir = Path::new("/some/index");
        let err = guarded::<()>(dir, || panic!("mid > len")).unwrap_err();
        assert!(matches!(err, IndexError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("mid > len"), "{err}");
        assert!(err.to_string().contains("--rebuild"), "{err}");
        // Nested calls and values pass through.
        let value = guarded(dir, || guarded(dir, || Ok(7))).unwrap();
        assert_eq!(value, 7);
        assert_eq!(GUARDED.with(Cell::get), 0);
    }
}
