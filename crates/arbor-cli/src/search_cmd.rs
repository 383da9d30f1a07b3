//! `arbor search QUERY`: search a repository, updating its index first.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use arbor_index::{
    CodeIndex, Freshness, Hit, HitType, IndexError, Query, Refresh, SearchOptions, UpdateOptions,
};
use clap::Args;

use crate::index_cmd::{summary, with_progress, IndexLocation};
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
}

pub fn run(args: SearchArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    // A malformed query fails before any indexing work.
    let query = Query::parse(&args.query).map_err(IndexError::Query)?;
    let root = &args.path;
    if !root.is_dir() {
        anyhow::bail!("{}: not a directory", root.display());
    }
    let dir = args.location.dir(root);
    let (index, freshness) = if args.no_update {
        CodeIndex::open_fresh(&dir, root, &Refresh::Never, &|_| {})?
    } else {
        let refresh = Refresh::Update(UpdateOptions::default());
        with_progress(|progress| CodeIndex::open_fresh(&dir, root, &refresh, progress))?
    };
    match freshness {
        Freshness::AsCommitted => {}
        Freshness::Updated(stats) => {
            if stats.committed {
                eprintln!("arbor: {}", summary(&stats));
            }
        }
        Freshness::ReadOnly => eprintln!(
            "arbor: note: the index at {} is read-only; searching it as last built, without updating it",
            dir.display()
        ),
        Freshness::Locked(err) => {
            eprintln!("arbor: warning: {err}; searching the index as last committed")
        }
    }
    search(&index, &query, &args, out)
}

fn search(
    index: &CodeIndex,
    query: &Query,
    args: &SearchArgs,
    out: &mut impl Write,
) -> anyhow::Result<Outcome> {
    let hits = index.search(
        query,
        &SearchOptions {
            limit: args.limit,
            ..SearchOptions::default()
        },
    )?;
    let color = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => std::io::stdout().is_terminal(),
    };
    for hit in &hits {
        if args.json {
            serde_json::to_writer(&mut *out, hit)?;
            writeln!(out)?;
        } else {
            print_hit(hit, color, out)?;
        }
    }
    if hits.is_empty() && !args.json {
        eprintln!("arbor: no matches");
    }
    Ok(Outcome::Ok)
}

fn print_hit(hit: &Hit, color: bool, out: &mut impl Write) -> std::io::Result<()> {
    let (bold, match_on, dim, reset) = if color {
        ("\x1b[1m", "\x1b[1;31m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    write!(out, "{bold}{}:{}:{}{reset}", hit.path, hit.line, hit.column)?;
    if let (Some(kind), Some(symbol)) = (&hit.kind, &hit.symbol) {
        let role = if hit.hit_type == HitType::Definition {
            ""
        } else {
            "in "
        };
        write!(out, "  {dim}{role}{kind}{reset} {symbol}")?;
    }
    if let Some(doc) = &hit.doc {
        write!(out, "  {dim}— {doc}{reset}")?;
    }
    writeln!(out)?;
    for line in &hit.snippet {
        write!(out, "{dim}{:>6} │{reset} ", line.line)?;
        let mut at = 0;
        for &(start, end) in &line.highlights {
            // Ranges out of order or off a character boundary are not highlighted.
            let (Some(before), Some(matched)) = (
                line.text.get(at..start.max(at)),
                line.text.get(start.max(at)..end),
            ) else {
                continue;
            };
            write!(out, "{before}{match_on}{matched}{reset}")?;
            at = end;
        }
        writeln!(out, "{}", line.text.get(at..).unwrap_or_default())?;
    }
    writeln!(out)
}
