//! `arbor search QUERY`: search a repository, updating its index first.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use arbor_index::{
    render, CodeIndex, IndexError, Query, Refresh, SearchMode, SearchOptions, UpdateOptions,
};
use clap::Args;

use crate::index_cmd::{with_progress, EmbedModel, IndexLocation};
use crate::Outcome;

/// Arguments of `arbor search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query: words, "phrase", /regex/, lang:, path:, kind:, sym:, -excluded.
    query: String,
    /// The repository to search.
    #[arg(long, default_value = ".")]
    path: PathBuf,
    #[command(flatten)]
    location: IndexLocation,
    /// At most this many hits (1 to 10000).
    #[arg(long, short = 'n', default_value_t = 20,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new()
              .range(1..=arbor_index::search::MAX_LIMIT as u64))]
    limit: usize,
    /// One JSON object per hit and line.
    #[arg(long)]
    json: bool,
    /// Search the index as it is, without updating it first.
    #[arg(long)]
    no_update: bool,
    /// Colour matches: auto (on a terminal), always or never.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    color: String,
    /// keyword, semantic or hybrid (default: hybrid when the index has vectors).
    #[arg(long, value_parser = ["keyword", "semantic", "hybrid"])]
    mode: Option<String>,
    #[command(flatten)]
    model: EmbedModel,
}

pub fn run(args: SearchArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    // A malformed query fails before any indexing work.
    let query = Query::parse(&args.query).map_err(IndexError::Query)?;
    let root = &args.path;
    if !root.is_dir() {
        anyhow::bail!("{}: not a directory", root.display());
    }
    let dir = args.location.dir(root);
    let semantic = CodeIndex::has_vectors(&dir);
    let mode = args.mode.as_deref().and_then(SearchMode::parse);
    let mode = mode.unwrap_or([SearchMode::Keyword, SearchMode::Hybrid][usize::from(semantic)]);
    let model = args.model.load(semantic && mode != SearchMode::Keyword)?;
    let (index, freshness) = if args.no_update {
        CodeIndex::open_fresh(&dir, root, &Refresh::Never, &|_| {})?
    } else {
        let embedder = model.clone().filter(|_| semantic);
        let refresh = Refresh::Update(UpdateOptions {
            embedder,
            ..UpdateOptions::default()
        });
        with_progress(|progress| CodeIndex::open_fresh(&dir, root, &refresh, progress))?
    };
    if let Some(note) = render::freshness_note(&freshness, &dir) {
        eprintln!("arbor: {note}");
    }
    let options = SearchOptions {
        limit: args.limit,
        ..SearchOptions::default()
    };
    let hits = index.search_with(&query, &options, mode, model.as_deref())?;
    let auto = args.color == "auto" && std::io::stdout().is_terminal();
    let color = auto || args.color == "always";
    render::write_hits(out, &hits, args.json, color)?;
    if hits.is_empty() && !args.json {
        eprintln!("arbor: no matches");
    }
    Ok(Outcome::Ok)
}
