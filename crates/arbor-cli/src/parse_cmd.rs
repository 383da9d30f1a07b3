//! `arbor parse FILE [--sexp]`: the syntax tree and syntax errors of one file.

use std::io::Write;

use anyhow::Context;
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
    let stats = file.tree_stats();
    let errors = file.syntax_errors();
    if args.json {
        let value = serde_json::json!({
            "path": file.path(),
            "language": file.language(),
            "bytes": file.source().len(),
            "nodes": stats.nodes,
            "max_depth": stats.max_depth,
            "syntax_errors": errors,
        });
        writeln!(out, "{value}")?;
        return Ok(Outcome::Ok);
    }
    writeln!(out, "path:          {}", file.path().display())?;
    writeln!(out, "language:      {}", file.language())?;
    writeln!(out, "bytes:         {}", file.source().len())?;
    writeln!(out, "nodes:         {}", stats.nodes)?;
    writeln!(out, "max depth:     {}", stats.max_depth)?;
    writeln!(out, "syntax errors: {}", errors.len())?;
    for error in &errors {
        writeln!(out, "  {}:{error}", file.path().display())?;
    }
    Ok(Outcome::Ok)
}
