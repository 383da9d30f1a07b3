//! `arbor parse FILE [--sexp]`: the syntax tree and syntax errors of one file.

use std::io::Write;

use anyhow::Context;
use arbor_syntax::listing::ParseSummary;
use arbor_syntax::ParsedFile;
use clap::Args;

use crate::{Outcome, PathArg, SourceArgs};

/// Arguments of `arbor parse`.
#[derive(Debug, Args)]
pub struct ParseArgs {
    #[command(flatten)]
    file: PathArg,
    /// Print the tree as one S-expression (named nodes, field names, MISSING nodes).
    #[arg(long)]
    sexp: bool,
    /// Print as JSON: language, sizes and syntax errors.
    #[arg(long, conflicts_with = "sexp")]
    json: bool,
    #[command(flatten)]
    source: SourceArgs,
}

pub fn run(args: ParseArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let path = &args.file.path;
    if path.is_dir() {
        anyhow::bail!(
            "{}: is a directory (arbor parse takes one file)",
            path.display()
        );
    }
    let file = ParsedFile::from_file(path, args.source.lang, args.source.max_file_size)?;
    if args.sexp {
        let mut sexp = String::with_capacity(file.source().len() * 2);
        file.write_sexp(&mut sexp).context("formatting the tree")?;
        writeln!(out, "{sexp}")?;
        return Ok(Outcome::Ok);
    }
    ParseSummary::of(&file).write(out, args.json)?;
    Ok(Outcome::Ok)
}
