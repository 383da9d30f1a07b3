//! `arbor index [PATH]`: build or update a repository's search index.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use arbor_index::{
    ignore_cache_dir, CodeIndex, IndexError, IndexSettings, Progress, TokenizerKind, UpdateOptions,
    UpdateStats,
};
use arbor_syntax::WalkOptions;
use clap::{Args, ValueEnum};

use crate::Outcome;

/// Arguments of `arbor index`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// The repository to index.
    #[arg(default_value = ".")]
    path: PathBuf,
    #[command(flatten)]
    location: IndexLocation,
    /// Re-index every file, and recreate an index that is corrupt or of another format.
    #[arg(long)]
    rebuild: bool,
    /// Print what was done as JSON.
    #[arg(long)]
    json: bool,
    /// Tokenizer of a new index: `code` (identifiers split into words) or tantivy's `default`.
    #[arg(long, value_enum, default_value_t = TokenizerArg::Code)]
    tokenizer: TokenizerArg,
    /// Index code with doc comments and docstrings blanked out (for retrieval benchmarks).
    #[arg(long)]
    strip_docs: bool,
    /// Skip files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = arbor_syntax::DEFAULT_MAX_FILE_SIZE)]
    max_file_size: u64,
}

/// Where the index lives.
#[derive(Debug, Args)]
pub struct IndexLocation {
    /// The index directory (default: .arbor/index in the repository).
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,
}

impl IndexLocation {
    /// The index directory for the repository at `root`.
    pub fn dir(&self, root: &Path) -> PathBuf {
        self.index
            .clone()
            .unwrap_or_else(|| root.join(".arbor").join("index"))
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TokenizerArg {
    Code,
    Default,
}

/// Updates `index` from the repository at `root`, with a progress bar on a terminal.
pub fn update(
    index: &CodeIndex,
    root: &Path,
    options: &UpdateOptions,
) -> anyhow::Result<UpdateStats> {
    Ok(with_progress(|progress| {
        index.update(root, options, progress)
    })?)
}

/// Runs `work`, which may update an index, with a progress bar of the update on a terminal.
pub fn with_progress<T>(
    work: impl FnOnce(&(dyn Fn(Progress) + Sync)) -> Result<T, IndexError>,
) -> Result<T, IndexError> {
    let bar = crate::progress_bar(
        0,
        "{spinner} indexing {pos}/{len} files [{bar:30}] {eta} {msg}",
    );
    let progress = |event: Progress| {
        if let Some(bar) = &bar {
            match event {
                Progress::Total(n) => bar.set_length(n as u64),
                Progress::File => bar.inc(1),
                Progress::Committing => bar.set_message("committing"),
            }
        }
    };
    let result = work(&progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result
}

pub fn run(args: IndexArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let root = &args.path;
    if !root.is_dir() {
        anyhow::bail!("{}: not a directory", root.display());
    }
    let dir = args.location.dir(root);
    let settings = IndexSettings {
        tokenizer: match args.tokenizer {
            TokenizerArg::Code => TokenizerKind::Code,
            TokenizerArg::Default => TokenizerKind::Default,
        },
        strip_docs: args.strip_docs,
        ..IndexSettings::default()
    };
    let index = CodeIndex::open_or_create(&dir, settings.clone(), args.rebuild)?;
    ignore_cache_dir(&dir);
    if index.settings() != &settings {
        anyhow::bail!(
            "the index at {} was built with other settings ({:?}); pass --rebuild to rebuild it with these",
            dir.display(),
            index.settings()
        );
    }
    let options = UpdateOptions {
        walk: WalkOptions {
            max_file_size: args.max_file_size,
            ..WalkOptions::default()
        },
        rebuild: args.rebuild,
        ..UpdateOptions::default()
    };
    let stats = update(&index, root, &options).context("indexing")?;
    for skip in &stats.skipped {
        eprintln!("arbor: skipped {}: {}", skip.path.display(), skip.reason);
    }
    if args.json {
        let value = serde_json::json!({
            "index": dir,
            "files": stats.files,
            "added": stats.added,
            "changed": stats.changed,
            "removed": stats.removed,
            "unchanged": stats.unchanged,
            "bytes_indexed": stats.bytes_indexed,
            "symbols": stats.symbols,
            "chunks": stats.chunks,
            "skipped": stats.skipped.len(),
            "committed": stats.committed,
            "seconds": stats.elapsed.as_secs_f64(),
        });
        writeln!(out, "{value}")?;
    } else {
        eprintln!("arbor: {}", summary(&stats));
    }
    Ok(Outcome::Ok)
}

/// One line about an update.
pub fn summary(stats: &UpdateStats) -> String {
    format!(
        "indexed {} files ({} added, {} changed, {} removed, {} unchanged, {} skipped): {:.1} MB parsed, {} symbols, {} chunks, in {:.2}s",
        stats.files,
        stats.added,
        stats.changed,
        stats.removed,
        stats.unchanged,
        stats.skipped.len(),
        stats.bytes_indexed as f64 / 1e6,
        stats.symbols,
        stats.chunks,
        stats.elapsed.as_secs_f64()
    )
}
