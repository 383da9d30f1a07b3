//! `arbor symbols PATH [--json]`: the definitions in a file, or in every source file of a directory.

use std::io::Write;
use std::time::Instant;

use arbor_syntax::listing::{list_walk, FileSymbols, ListingTotals};
use arbor_syntax::{walk, ParsedFile, WalkOptions};
use clap::Args;

use crate::{Outcome, PathArg, SourceArgs};

/// Arguments of `arbor symbols`.
#[derive(Debug, Args)]
pub struct SymbolsArgs {
    #[command(flatten)]
    target: PathArg,
    /// One JSON object per file and line: path, language, syntax_errors, symbols.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    source: SourceArgs,
    /// Worker threads for a directory (default: one per core; at most 1024).
    #[arg(long, short = 'j', value_name = "N", value_parser = parse_threads)]
    threads: Option<usize>,
    /// Do not honour .gitignore, .ignore and git's exclude files.
    #[arg(long)]
    no_ignore: bool,
    /// Also walk hidden files and directories.
    #[arg(long)]
    hidden: bool,
}

/// The most worker threads `-j` accepts: far more than any machine has cores, far fewer than
/// the operating system starts before giving up (`-j 100000` spent a minute creating threads).
const MAX_THREADS: usize = 1024;

/// `-j N`: a number of threads from 1 to [`MAX_THREADS`], refused at once otherwise.
fn parse_threads(value: &str) -> Result<usize, String> {
    let n: usize = value
        .parse()
        .map_err(|_| format!("`{value}` is not a number of threads"))?;
    if (1..=MAX_THREADS).contains(&n) {
        Ok(n)
    } else {
        Err(format!("must be between 1 and {MAX_THREADS}"))
    }
}

pub fn run(args: SymbolsArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let path = &args.target.path;
    if !path.is_dir() {
        let file = ParsedFile::from_file(path, args.source.lang, args.source.max_file_size)?;
        let symbols = FileSymbols::of(&file)?;
        if let Some(warning) = symbols.syntax_warning() {
            eprintln!("arbor: warning: {warning}");
        }
        symbols.write(out, args.json, false)?;
        return Ok(Outcome::Ok);
    }
    let started = Instant::now();
    let options = WalkOptions {
        max_file_size: args.source.max_file_size,
        respect_ignore_files: !args.no_ignore,
        hidden: args.hidden,
        languages: args.source.lang.into_iter().collect(),
        ..WalkOptions::default()
    };
    let walked = walk(path, &options)?;
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = args.threads {
        pool = pool.num_threads(threads);
    }
    let (files, skipped) = pool
        .build()?
        .install(|| list_walk(walked, options.max_file_size))?;
    for file in &files {
        file.write(out, args.json, true)?;
    }
    // The report on stderr comes after the listing, also when both go to one terminal.
    out.flush()?;
    for skip in &skipped {
        eprintln!("arbor: skipped {}: {}", skip.path.display(), skip.reason);
    }
    let seconds = started.elapsed().as_secs_f64();
    let totals = ListingTotals::of(&files);
    eprintln!("arbor: {}", totals.summary(skipped.len(), seconds));
    Ok(Outcome::Ok)
}
