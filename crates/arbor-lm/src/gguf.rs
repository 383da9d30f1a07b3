//! GGUF files: the header, metadata and tensor directory, checked before anything is loaded.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::{Content, Value};

use crate::error::LmError;
use crate::transformer::Architecture;

/// An opened GGUF file: its metadata and tensor directory (the weights stay on disk).
pub struct GgufFile {
    path: PathBuf,
    content: Content,
}

impl GgufFile {
    /// Opens and checks a GGUF file: readable header and metadata, a supported architecture.
    pub fn open(path: &Path) -> Result<GgufFile, LmError> {
        let mut file = File::open(path).map_err(|source| LmError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let content = Content::read(&mut file).map_err(|e| LmError::NotGguf {
            path: path.to_path_buf(),
            message: e.to_string().lines().next().unwrap_or("").to_string(),
        })?;
        // Every tensor must lie inside the file: a truncated download fails here, not mid-run.
        let size = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
        for (name, info) in &content.tensor_infos {
            let elements: usize = info.shape.elem_count();
            let bytes = elements / info.ggml_dtype.block_size() * info.ggml_dtype.type_size();
            let end = content.tensor_data_offset + info.offset + bytes as u64;
            if end > size {
                return Err(LmError::NotGguf {
                    path: path.to_path_buf(),
                    message: format!(
                        "truncated: tensor `{name}` ends at byte {end}, the file has {size}"
                    ),
                });
            }
        }
        let gguf = GgufFile {
            path: path.to_path_buf(),
            content,
        };
        let architecture = gguf.string("general.architecture")?;
        if Architecture::from_name(&architecture).is_none() {
            return Err(LmError::Architecture {
                path: path.to_path_buf(),
                found: architecture,
                expected: Architecture::names(),
            });
        }
        Ok(gguf)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The parsed header.
    pub fn content(&self) -> &Content {
        &self.content
    }

    /// Forgets the tokenizer's metadata (`tokenizer.*`: the vocabulary and merges, megabytes
    /// of strings) once the tokenizer is built, so it is not held while the weights load.
    pub fn drop_tokenizer_metadata(&mut self) {
        self.content
            .metadata
            .retain(|key, _| !key.starts_with("tokenizer."));
        self.content.metadata.shrink_to_fit();
    }

    /// All metadata.
    pub fn metadata(&self) -> &HashMap<String, Value> {
        &self.content.metadata
    }

    fn value(&self, key: &str) -> Result<&Value, LmError> {
        self.content
            .metadata
            .get(key)
            .ok_or_else(|| LmError::Metadata {
                key: key.to_string(),
                message: "missing".into(),
            })
    }

    /// A string value.
    pub fn string(&self, key: &str) -> Result<String, LmError> {
        metadata_string(&self.content.metadata, key)
    }

    /// An integer value, whatever its width.
    pub fn u32(&self, key: &str) -> Result<u32, LmError> {
        metadata_u32(self.value(key)?, key)
    }
}

/// A string value of `metadata`.
pub fn metadata_string(metadata: &HashMap<String, Value>, key: &str) -> Result<String, LmError> {
    match metadata.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(LmError::Metadata {
            key: key.to_string(),
            message: format!("expected a string, found {:?}", other.value_type()),
        }),
        None => Err(LmError::Metadata {
            key: key.to_string(),
            message: "missing".into(),
        }),
    }
}

/// An integer value of any width as u32.
pub fn metadata_u32(value: &Value, key: &str) -> Result<u32, LmError> {
    let n: Option<i128> = match value {
        Value::U8(v) => Some((*v).into()),
        Value::I8(v) => Some((*v).into()),
        Value::U16(v) => Some((*v).into()),
        Value::I16(v) => Some((*v).into()),
        Value::U32(v) => Some((*v).into()),
        Value::I32(v) => Some((*v).into()),
        Value::U64(v) => Some((*v).into()),
        Value::I64(v) => Some((*v).into()),
        _ => None,
    };
    n.and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| LmError::Metadata {
            key: key.to_string(),
            message: format!("expected an unsigned 32-bit integer, found {value:?}"),
        })
}
