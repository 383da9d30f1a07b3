//! The vectors of semantic search, kept beside the tantivy index in one file
//! ([`VECTORS_FILE`]): one row per unit of code (a definition, or a window of lines outside
//! every definition), each the unit's sentence embedding quantized to `i8` with a scale of its
//! own.
//!
//! Layout (little-endian): the magic `ARBORVEC`, the format (`u32`, [`VECTORS_FORMAT`]), the
//! length of the header (`u64`), the header (JSON: the model's id, dimensions, files with
//! their content hash, units), the rows (`rows × dimensions` bytes), the scales (`rows × f32`),
//! and the blake3 hash of everything before it (32 bytes). The file is written whole beside
//! the index and renamed into place, so a reader sees the previous version or the next,
//! never a mix; it is read memory-mapped (through tantivy's directory) and checked against its
//! hash when opened.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::directory::{Directory, MmapDirectory, OwnedBytes};

use crate::error::IndexError;

/// The vector file's name in the index directory.
pub const VECTORS_FILE: &str = "vectors.arbor";

/// The vector file while it is written.
pub(crate) const VECTORS_TMP: &str = "vectors.arbor.tmp";

/// The vector file's format.
pub const VECTORS_FORMAT: u32 = 1;

const MAGIC: &[u8; 8] = b"ARBORVEC";

/// An indexed file, as the vectors know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VectorFile {
    /// Path relative to the repository root.
    pub path: String,
    /// blake3 of the content the units were embedded from.
    pub hash: String,
    /// Language name.
    pub language: String,
}

/// What a row embeds: a definition (`name` is the symbol's name, `line` the line of the name)
/// or a window of lines outside definitions (`name` empty, `line` its first line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Index of the file in [`VectorHeader::files`].
    pub file: u32,
    /// The line of the definition's name, or the window's first line (1-based).
    pub line: u32,
    /// The symbol's name; empty for a window.
    pub name: String,
    /// The symbol's kind; empty for a window.
    pub kind: String,
}

/// The header of a vector file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VectorHeader {
    /// The embedding model's id ([`arbor_embed::Embed::id`]).
    pub model: String,
    /// Dimensions of a row.
    pub dimensions: usize,
    /// The files, each once.
    pub files: Vec<VectorFile>,
    /// One unit per row.
    pub units: Vec<Unit>,
}

/// A vector file, read.
pub struct VectorStore {
    /// The header.
    pub header: VectorHeader,
    bytes: OwnedBytes,
    rows_at: usize,
    scales: Vec<f32>,
}

impl std::fmt::Debug for VectorStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorStore")
            .field("model", &self.header.model)
            .field("rows", &self.header.units.len())
            .finish()
    }
}

/// Quantizes a unit vector to `i8` with one scale: `x ≈ q × scale`.
fn quantize(vector: &[f32]) -> (Vec<i8>, f32) {
    let max = vector.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 {
        return (vec![0; vector.len()], 0.0);
    }
    let scale = max / 127.0;
    let q = vector
        .iter()
        .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8)
        .collect();
    (q, scale)
}

/// The dot product of a stored row (its bytes are `i8`s) and a quantized query.
fn dot(row: &[u8], q: &[i8]) -> i32 {
    row.iter()
        .zip(q)
        .map(|(&x, &y)| i32::from(x as i8) * i32::from(y))
        .sum()
}

/// The `N` bytes of `data` at `at` (the caller checked the length).
fn bytes_at<const N: usize>(data: &[u8], at: usize) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&data[at..at + N]);
    out
}

/// Rows compared by one task of [`VectorStore::nearest`].
const NEAREST_BLOCK: usize = 4096;

/// What identifies a version of the vector file: size, modification time, inode.
pub(crate) type Stamp = (u64, std::time::SystemTime, u64);

/// The vector file's [`Stamp`] in `dir`, none when it cannot be read.
pub(crate) fn stamp(dir: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(dir.join(VECTORS_FILE)).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some((meta.len(), meta.modified().ok()?, inode))
}

/// The error of vectors made by another model than the one loaded.
pub(crate) fn model_mismatch(found: &str, loaded: &str) -> IndexError {
    IndexError::Semantic(format!(
        "the index's vectors were made by model {found}, not by the one loaded ({loaded}): rebuild them with `arbor index --rebuild --semantic`, or load that model"
    ))
}

fn corrupt(dir: &Path, message: impl std::fmt::Display) -> IndexError {
    IndexError::Corrupt {
        path: dir.to_path_buf(),
        message: format!("{VECTORS_FILE}: {message}"),
    }
}

impl VectorStore {
    /// Reads the vector file of the index in `dir`; none when there is none.
    pub fn open(dir: &Path) -> Result<Option<VectorStore>, IndexError> {
        if !dir.join(VECTORS_FILE).is_file() {
            return Ok(None);
        }
        let directory = MmapDirectory::open(dir).map_err(|e| corrupt(dir, e))?;
        let bytes = directory
            .open_read(Path::new(VECTORS_FILE))
            .map_err(|e| corrupt(dir, e))?
            .read_bytes()
            .map_err(|e| corrupt(dir, e))?;
        Self::parse(bytes).map(Some).map_err(|m| corrupt(dir, m))
    }

    fn parse(bytes: OwnedBytes) -> Result<VectorStore, String> {
        let data = bytes.as_slice();
        let fixed = MAGIC.len() + 4 + 8;
        if data.len() < fixed + 32 || &data[..8] != MAGIC {
            return Err("not a vector file".into());
        }
        let (body, sum) = data.split_at(data.len() - 32);
        if blake3::hash(body).as_bytes() != sum {
            return Err("fails its checksum".into());
        }
        let format = u32::from_le_bytes(bytes_at(data, 8));
        if format != VECTORS_FORMAT {
            return Err(format!(
                "format {format}, this arbor reads {VECTORS_FORMAT}"
            ));
        }
        let header_len = u64::from_le_bytes(bytes_at(data, 12)) as usize;
        let header_end = fixed
            .checked_add(header_len)
            .filter(|&end| end <= body.len())
            .ok_or("header past the end")?;
        let header: VectorHeader =
            serde_json::from_slice(&data[fixed..header_end]).map_err(|e| e.to_string())?;
        let rows = header.units.len();
        let expected = rows
            .checked_mul(header.dimensions + 4)
            .and_then(|n| n.checked_add(header_end));
        if expected != Some(body.len())
            || header
                .units
                .iter()
                .any(|u| u.file as usize >= header.files.len())
        {
            return Err("sizes do not match the header".into());
        }
        let scales_at = header_end + rows * header.dimensions;
        let scales = body[scales_at..]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(bytes_at(b, 0)))
            .collect();
        Ok(VectorStore {
            header,
            bytes,
            rows_at: header_end,
            scales,
        })
    }

    /// Row `i`, quantized (its bytes are `i8`s).
    fn row(&self, i: usize) -> &[u8] {
        let d = self.header.dimensions;
        let start = self.rows_at + i * d;
        &self.bytes.as_slice()[start..start + d]
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.header.units.len()
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows of each file: path → (hash, row indices).
    pub fn rows_by_path(&self) -> HashMap<&str, (&str, Vec<usize>)> {
        let mut by_path: HashMap<&str, (&str, Vec<usize>)> = self
            .header
            .files
            .iter()
            .map(|f| (f.path.as_str(), (f.hash.as_str(), Vec::new())))
            .collect();
        for (i, unit) in self.header.units.iter().enumerate() {
            let path = self.header.files[unit.file as usize].path.as_str();
            if let Some(entry) = by_path.get_mut(path) {
                entry.1.push(i);
            }
        }
        by_path
    }

    /// The `k` rows nearest to the unit vector `query` (cosine, best first) among the rows
    /// that `keep` flags (one flag per row).
    pub fn nearest(&self, query: &[f32], k: usize, keep: &[bool]) -> Vec<(usize, f32)> {
        if query.len() != self.header.dimensions || k == 0 {
            return Vec::new();
        }
        let (q, q_scale) = quantize(query);
        let rows = self.header.units.len();
        let by_score = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        let best = |mut scored: Vec<(usize, f32)>| {
            if scored.len() > k {
                scored.select_nth_unstable_by(k - 1, by_score);
                scored.truncate(k);
            }
            scored
        };
        // Each block of rows keeps its own best `k`; the blocks' best are merged.
        let mut scored: Vec<(usize, f32)> = (0..rows.div_ceil(NEAREST_BLOCK))
            .into_par_iter()
            .flat_map_iter(|block| {
                let start = block * NEAREST_BLOCK;
                best(
                    (start..(start + NEAREST_BLOCK).min(rows))
                        .filter(|&i| keep.get(i).copied().unwrap_or(false))
                        .map(|i| (i, dot(self.row(i), &q) as f32 * self.scales[i] * q_scale))
                        .collect(),
                )
            })
            .collect();
        scored = best(scored);
        scored.sort_by(by_score);
        scored
    }

    /// The rows of `self` as they are written: (unit, quantized row, scale).
    fn kept_row(&self, i: usize) -> (Vec<i8>, f32) {
        (
            self.row(i).iter().map(|&b| b as i8).collect(),
            self.scales[i],
        )
    }
}

/// A vector file being made: rows kept from the previous file and rows newly embedded.
#[derive(Default)]
pub struct VectorWriter {
    header: VectorHeader,
    files: HashMap<String, u32>,
    rows: Vec<i8>,
    scales: Vec<f32>,
}

impl VectorWriter {
    /// An empty file for `model`'s vectors of `dimensions`.
    pub fn new(model: &str, dimensions: usize) -> VectorWriter {
        VectorWriter {
            header: VectorHeader {
                model: model.to_string(),
                dimensions,
                ..VectorHeader::default()
            },
            ..VectorWriter::default()
        }
    }

    fn file(&mut self, file: &VectorFile) -> u32 {
        if let Some(&i) = self.files.get(&file.path) {
            return i;
        }
        let i = self.header.files.len() as u32;
        self.header.files.push(file.clone());
        self.files.insert(file.path.clone(), i);
        i
    }

    /// Adds a newly embedded row for `unit` of `file` (its `file` field is set here).
    pub fn push(&mut self, file: &VectorFile, unit: Unit, vector: &[f32]) {
        let (q, scale) = quantize(vector);
        self.push_quantized(file, unit, q, scale);
    }

    fn push_quantized(&mut self, file: &VectorFile, mut unit: Unit, q: Vec<i8>, scale: f32) {
        unit.file = self.file(file);
        self.header.units.push(unit);
        self.rows.extend(q);
        self.scales.push(scale);
    }

    /// Keeps row `i` of `store` (same model).
    pub fn keep(&mut self, store: &VectorStore, i: usize) {
        let unit = store.header.units[i].clone();
        let file = store.header.files[unit.file as usize].clone();
        let (q, scale) = store.kept_row(i);
        self.push_quantized(&file, unit, q, scale);
    }

    /// Adds a file that has no unit (it is still known to be embedded in this version).
    pub fn file_without_units(&mut self, file: &VectorFile) {
        self.file(file);
    }

    /// Writes the file as [`VECTORS_TMP`] in `dir` (synced), for [`install`] to put in place.
    pub fn write_temporary(&self, dir: &Path) -> Result<PathBuf, IndexError> {
        let path = dir.join(VECTORS_TMP);
        let io = |source| IndexError::Io {
            path: path.clone(),
            source,
        };
        let header = serde_json::to_vec(&self.header).map_err(|e| io(e.into()))?;
        let mut body =
            Vec::with_capacity(20 + header.len() + self.rows.len() + 4 * self.scales.len());
        body.extend_from_slice(MAGIC);
        body.extend_from_slice(&VECTORS_FORMAT.to_le_bytes());
        body.extend_from_slice(&(header.len() as u64).to_le_bytes());
        body.extend_from_slice(&header);
        body.extend(self.rows.iter().map(|&b| b as u8));
        for scale in &self.scales {
            body.extend_from_slice(&scale.to_le_bytes());
        }
        let sum = blake3::hash(&body);
        let mut file = std::fs::File::create(&path).map_err(io)?;
        file.write_all(&body).map_err(io)?;
        file.write_all(sum.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(path)
    }
}

/// Puts the file written by [`VectorWriter::write_temporary`] in place (one rename).
pub fn install(dir: &Path) -> Result<(), IndexError> {
    std::fs::rename(dir.join(VECTORS_TMP), dir.join(VECTORS_FILE)).map_err(|source| {
        IndexError::Io {
            path: dir.join(VECTORS_FILE),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rows_over_many_blocks_are_the_exact_best_in_order() {
        // Three blocks of rows and a part, some left out by the filter: the blocks' own best
        // merged give the same rows, in the same order, as ranking every kept row at once.
        let file = VectorFile {
            path: "a.py".into(),
            hash: "h".into(),
            language: "python".into(),
        };
        let mut writer = VectorWriter::new("m", 3);
        let rows = 3 * NEAREST_BLOCK + 123;
        for i in 0..rows {
            let angle = (i * 7919 % 1000) as f32 / 1000.0 * std::f32::consts::TAU;
            let unit = Unit {
                file: 0,
                line: i as u32 + 1,
                name: String::new(),
                kind: String::new(),
            };
            writer.push(&file, unit, &[angle.cos(), angle.sin(), 0.5]);
        }
        let dir = tempfile::tempdir().unwrap();
        writer.write_temporary(dir.path()).unwrap();
        install(dir.path()).unwrap();
        let store = VectorStore::open(dir.path()).unwrap().unwrap();
        assert_eq!(store.len(), rows);
        let keep: Vec<bool> = (0..rows).map(|i| i % 5 != 0).collect();
        let query = [0.6f32, 0.8, 0.0];
        let got = store.nearest(&query, 25, &keep);
        let (q, q_scale) = quantize(&query);
        let mut all: Vec<(usize, f32)> = (0..rows)
            .filter(|&i| keep[i])
            .map(|i| (i, dot(store.row(i), &q) as f32 * store.scales[i] * q_scale))
            .collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(25);
        assert_eq!(got, all);
        assert!(got.iter().all(|&(i, _)| i % 5 != 0));
        // Ties (the same angle recurs every 1000 rows) come in row order.
        assert!(got.windows(2).any(|w| w[0].1 == w[1].1 && w[0].0 < w[1].0));
        assert_eq!(store.nearest(&query, 0, &keep), Vec::new());
        assert_eq!(
            store.nearest(&query, rows * 2, &keep).len(),
            rows - rows.div_ceil(5)
        );
    }
}
