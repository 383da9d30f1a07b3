//! `arbor symbols PATH [--json]`: the definitions in a file, or in every source file of a directory.

use std::io::Write;
use std::time::Instant;

use arbor_syntax::{parse_files, walk, Language, ParsedFile, Symbol, SyntaxIssue, WalkOptions};
use clap::Args;
use serde::Serialize;

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

/// The symbols of one file, as printed.
#[derive(Debug, Serialize)]
struct FileSymbols {
    path: String,
    language: Language,
    syntax_errors: Vec<SyntaxIssue>,
    symbols: Vec<Symbol>,
}

fn analyse(file: &ParsedFile) -> anyhow::Result<FileSymbols> {
    Ok(FileSymbols {
        path: file.path().display().to_string(),
        language: file.language(),
        syntax_errors: file.syntax_errors(),
        symbols: file.symbols()?,
    })
}

pub fn run(args: SymbolsArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let path = &args.target.path;
    if !path.is_dir() {
        let file = ParsedFile::from_file(path, args.source.lang, args.source.max_file_size)?;
        let symbols = analyse(&file)?;
        warn_syntax_errors(&symbols);
        print_file(&symbols, args.json, false, out)?;
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
    let pool = pool.build()?;
    let results =
        pool.install(|| parse_files(&walked.files, options.max_file_size, |file| analyse(&file)));
    let mut skipped = walked.skipped;
    let (mut files, mut symbols, mut with_errors) = (0usize, 0usize, 0usize);
    for result in results {
        match result {
            Ok(file) => {
                let file = file?;
                files += 1;
                symbols += file.symbols.len();
                with_errors += usize::from(!file.syntax_errors.is_empty());
                print_file(&file, args.json, true, out)?;
            }
            Err(skip) => skipped.push(skip),
        }
    }
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    // The report on stderr comes after the listing, also when both go to one terminal.
    out.flush()?;
    for skip in &skipped {
        eprintln!("arbor: skipped {}: {}", skip.path.display(), skip.reason);
    }
    eprintln!(
        "arbor: {files} files, {symbols} symbols, {with_errors} with syntax errors, {} skipped, in {:.2}s",
        skipped.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::Ok)
}

fn warn_syntax_errors(file: &FileSymbols) {
    if let Some(first) = file.syntax_errors.first() {
        eprintln!(
            "arbor: warning: {}: {} syntax error(s), first at {}:{}",
            file.path,
            file.syntax_errors.len(),
            first.span.start.line,
            first.span.start.column
        );
    }
}

fn print_file(
    file: &FileSymbols,
    json: bool,
    heading: bool,
    out: &mut impl Write,
) -> std::io::Result<()> {
    if json {
        serde_json::to_writer(&mut *out, file)?;
        return writeln!(out);
    }
    if heading {
        if file.symbols.is_empty() {
            return Ok(());
        }
        writeln!(out, "{}", file.path)?;
    }
    let mut depth = vec![0usize; file.symbols.len()];
    for (index, symbol) in file.symbols.iter().enumerate() {
        depth[index] = symbol.parent.map_or(0, |p| depth[p] + 1);
        let position = format!("{}:{}", symbol.span.start.line, symbol.span.start.column);
        let indent = "  ".repeat(depth[index].min(16));
        write!(
            out,
            "{position:>8}  {:<8}  {indent}{}",
            symbol.kind.name(),
            symbol.qualified_name
        )?;
        if let Some(summary) = symbol.doc.as_deref().and_then(|d| d.lines().next()) {
            if !summary.is_empty() {
                write!(out, "  — {summary}")?;
            }
        }
        writeln!(out)?;
    }
    if heading {
        writeln!(out)?;
    }
    Ok(())
}
