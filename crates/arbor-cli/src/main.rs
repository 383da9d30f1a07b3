//! `arbor`: code intelligence on your own machine. This binary only parses arguments, calls the
//! library crates and prints; exit codes are 0 (ok), 1 (findings) and 2 (usage or input error).

mod args;
mod augment_cmd;
mod complete_cmd;
mod eval_cmd;
mod generate_cmd;
mod index_cmd;
mod lint_cmd;
mod lsp_cmd;
mod parse_cmd;
mod search_cmd;
mod serve_cmd;
mod solve_cmd;
mod symbols_cmd;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use arbor_syntax::Language;
use clap::{Args, Parser, Subcommand};
use eval_cmd::EvalCommand;

/// Code intelligence for Rust, Python and JavaScript: symbols, search, lint, generation and evaluation.
#[derive(Debug, Parser)]
#[command(
    name = "arbor",
    version,
    about = "Code intelligence for Rust, Python and JavaScript: symbols, search, lint, generation and completion",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the definitions (functions, methods, classes, structs, …) in a file or a directory.
    Symbols(symbols_cmd::SymbolsArgs),
    /// Parse a file and report its syntax tree and syntax errors.
    Parse(parse_cmd::ParseArgs),
    /// Build or update the search index of a repository (only changed files are re-parsed).
    Index(index_cmd::IndexArgs),
    /// Search the repository's index (built or updated first when missing or stale).
    Search(search_cmd::SearchArgs),
    /// Review code with the built-in and configured rules (exit 1 on findings).
    Lint(lint_cmd::LintArgs),
    /// Generate text with a local GGUF model (llama architecture).
    Generate(generate_cmd::GenerateArgs),
    /// Complete code at a cursor with a local model, using repository context.
    Complete(complete_cmd::CompleteArgs),
    /// Evaluate code models on HumanEval-style problems (sandboxed execution, pass@k).
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Write a function's body from its signature and documented examples: draw candidates
    /// from the model, run them on the examples in the sandbox, keep the one the evidence
    /// supports (exit 1 when none passes).
    Solve(solve_cmd::SolveArgs),
    /// Semantics-preserving transforms of code (renaming, loop and branch rewrites, dead code,
    /// formatting…) for data augmentation and robustness tests.
    Augment(augment_cmd::AugmentArgs),
    /// The model catalog: list the models, fetch one into the cache.
    #[command(subcommand)]
    Model(generate_cmd::ModelCommand),
    /// A local HTTP server: the search page and API, the lint API, the index kept up to date,
    /// and with --model OpenAI's completion routes.
    Serve(serve_cmd::ServeArgs),
    /// A language server over stdio for any editor: review findings as diagnostics, quick
    /// fixes, fix-all and suppressions, outlines, symbols and definitions from the index, and
    /// with --model completions.
    Lsp(lsp_cmd::LspArgs),
}

/// Options shared by commands that read source files.
#[derive(Debug, Args)]
struct SourceArgs {
    /// Parse as this language instead of detecting it (rust, python, javascript).
    #[arg(long, value_name = "LANG")]
    lang: Option<Language>,
    /// Skip files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = arbor_syntax::DEFAULT_MAX_FILE_SIZE)]
    max_file_size: u64,
}

/// The file or directory a command works on.
#[derive(Debug, Args)]
struct PathArg {
    /// A source file, or a directory to walk (honouring .gitignore).
    path: PathBuf,
}

/// A progress bar on stderr with `template` (indicatif's), only when stderr is a terminal.
pub(crate) fn progress_bar(len: u64, template: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(len);
        bar.set_style(
            indicatif::ProgressStyle::with_template(template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar
    })
}

/// Clears a progress bar made by [`progress_bar`], if there is one.
pub(crate) fn finish(bar: Option<indicatif::ProgressBar>) {
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

/// What `main` reports: success, findings (exit 1), or an error (exit 2).
pub(crate) enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: findings at or above the failure threshold.
    Findings,
}

impl Outcome {
    /// [`Outcome::Findings`] when `findings`, else [`Outcome::Ok`].
    fn findings_if(findings: bool) -> Outcome {
        if findings {
            Outcome::Findings
        } else {
            Outcome::Ok
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    if let Command::Lsp(args) = cli.command {
        // The server's own threads write stdout: it must not be locked here.
        lsp_cmd::run(args)?;
        return Ok(Outcome::Ok);
    }
    let stdout = io::stdout().lock();
    let mut out = io::BufWriter::new(stdout);
    let outcome = match cli.command {
        Command::Symbols(args) => symbols_cmd::run(args, &mut out)?,
        Command::Parse(args) => parse_cmd::run(args, &mut out)?,
        Command::Index(args) => index_cmd::run(args, &mut out)?,
        Command::Search(args) => search_cmd::run(args, &mut out)?,
        Command::Lint(args) => lint_cmd::run(args, &mut out)?,
        Command::Generate(args) => generate_cmd::run(args, &mut out)?,
        Command::Complete(args) => complete_cmd::run(args, &mut out)?,
        Command::Eval(EvalCommand::Score(args)) => eval_cmd::score(args, &mut out)?,
        Command::Eval(EvalCommand::Run(args)) => eval_cmd::generate_and_score(args, &mut out)?,
        Command::Solve(args) => solve_cmd::solve(args, &mut out)?,
        Command::Serve(args) => serve_cmd::run(args)?,
        Command::Lsp(_) => unreachable!("served above"),
        Command::Eval(EvalCommand::Select(args)) => eval_cmd::select_samples(args, &mut out)?,
        Command::Eval(EvalCommand::Report(args)) => eval_cmd::write_report(args, &mut out)?,
        Command::Augment(args) => augment_cmd::run(args, &mut out)?,
        Command::Model(command) => generate_cmd::model(command, &mut out)?,
    };
    out.flush()?;
    Ok(outcome)
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// An error and its causes on one line, leaving out a cause its parent's message already
/// shows (`path: No such file or directory` once, not twice).
fn one_line_error(err: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message.replace('\n', " ")
}

/// Clap's error as one line: `error: invalid value 'x' for '--lang <LANG>': …`, usage included.
fn one_line_usage_error(err: &clap::Error) -> String {
    let rendered = err.render().to_string();
    let parts: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("For more information"))
        .collect();
    let message = parts.join(" ");
    message
        .strip_prefix("error: ")
        .unwrap_or(&message)
        .to_string()
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version: print as clap does, exit 0.
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            let _ = writeln!(io::stderr(), "arbor: error: {}", one_line_usage_error(&err));
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        // A reader that stopped early (`arbor symbols . | head`) is not an error.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let message = one_line_error(&err);
            let _ = writeln!(io::stderr(), "arbor: error: {message}");
            ExitCode::from(2)
        }
    }
}
