//! `arbor index [PATH]`: build or update a repository's search index.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use arbor_embed::{Embed, SEARCH_TOKENS};
use arbor_index::{
    ignore_cache_dir, render, CodeIndex, IndexError, IndexSettings, Progress, TokenizerKind,
    UpdateOptions,
};
use arbor_syntax::WalkOptions;
use clap::Args;

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
    #[arg(long, default_value = "code", value_parser = ["code", "default"])]
    tokenizer: String,
    /// Index code with doc comments and docstrings blanked out (for retrieval benchmarks).
    #[arg(long)]
    strip_docs: bool,
    /// Skip files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = arbor_syntax::DEFAULT_MAX_FILE_SIZE)]
    max_file_size: u64,
    /// Also embed every definition for semantic search (kept in step by later updates).
    #[arg(long)]
    semantic: bool,
    #[command(flatten)]
    model: EmbedModel,
}

/// The embedding model of semantic search.
#[derive(Debug, Args)]
pub struct EmbedModel {
    /// A sentence-transformers BERT folder instead of all-MiniLM-L6-v2 (fetched with pip).
    #[arg(long, value_name = "DIR")]
    embed_model: Option<PathBuf>,
}

impl EmbedModel {
    /// The model, loaded when `needed`.
    pub fn load(&self, needed: bool) -> anyhow::Result<Option<Arc<dyn Embed>>> {
        let dir = self.embed_model.as_deref();
        let note = |m: &str| eprintln!("arbor: {m}");
        Ok(match needed {
            true => Some(Arc::new(arbor_embed::load(dir, SEARCH_TOKENS, &note)?)),
            false => None,
        })
    }
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

/// Runs `work`, which may update an index, with a progress bar of the update on a terminal.
pub fn with_progress<T>(
    work: impl FnOnce(&(dyn Fn(Progress) + Sync)) -> Result<T, IndexError>,
) -> Result<T, IndexError> {
    let template = "{spinner} {msg} {pos}/{len} [{bar:30}] {eta}";
    let bar = crate::progress_bar(0, template);
    let progress = |event: Progress| {
        if let Some(bar) = &bar {
            match event {
                Progress::Total(n) | Progress::Embedding(n) => {
                    bar.set_position(0);
                    bar.set_length(n as u64);
                    bar.set_message(
                        ["files", "embedding"][usize::from(event != Progress::Total(n))],
                    );
                }
                Progress::File => bar.inc(1),
                Progress::Embedded(n) => bar.inc(n as u64),
                Progress::Committing => bar.set_message("committing"),
            }
        }
    };
    let result = work(&progress);
    crate::finish(bar);
    result
}

pub fn run(args: IndexArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let root = &args.path;
    if !root.is_dir() {
        anyhow::bail!("{}: not a directory", root.display());
    }
    let dir = args.location.dir(root);
    let settings = IndexSettings {
        tokenizer: match args.tokenizer.as_str() {
            "default" => TokenizerKind::Default,
            _ => TokenizerKind::Code,
        },
        strip_docs: args.strip_docs,
        ..IndexSettings::default()
    };
    let semantic = args.semantic || CodeIndex::has_vectors(&dir);
    let index = CodeIndex::open_or_create(&dir, settings.clone(), args.rebuild)?;
    ignore_cache_dir(&dir);
    if let Some(why) = render::settings_conflict(&index, &settings, &dir) {
        anyhow::bail!(why);
    }
    let options = UpdateOptions {
        walk: WalkOptions {
            max_file_size: args.max_file_size,
            ..WalkOptions::default()
        },
        rebuild: args.rebuild,
        embedder: args.model.load(semantic)?,
        ..UpdateOptions::default()
    };
    let stats = with_progress(|p| index.update(root, &options, p)).context("indexing")?;
    for skip in &stats.skipped {
        eprintln!("arbor: skipped {}: {}", skip.path.display(), skip.reason);
    }
    if args.json {
        writeln!(out, "{}", render::update_json(&dir, &stats))?;
    } else {
        eprintln!("arbor: {}", render::update_summary(&stats));
    }
    Ok(Outcome::Ok)
}
