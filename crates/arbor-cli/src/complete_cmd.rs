//! `arbor complete FILE --line L --col C`: code completion at a cursor with a local model.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use arbor_complete::{prompt_format, Prompt, Request, Site};
use arbor_lm::LmTokenizer;
use clap::Args;

use crate::args::{at_least_one, SamplingArgs};
use crate::generate_cmd::{report, ModelArgs};
use crate::Outcome;

/// Arguments of `arbor complete`.
#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// The file being edited.
    file: PathBuf,
    /// The cursor's line (1-based).
    #[arg(long)]
    line: usize,
    /// The cursor's column (1-based, in characters; one past the end of the line is allowed).
    #[arg(long)]
    col: usize,
    #[command(flatten)]
    model: ModelArgs,
    /// At most this many new tokens.
    #[arg(long, default_value_t = 128, value_parser = at_least_one)]
    max_tokens: usize,
    /// The prompt's size in tokens (context, the lines before the cursor and, with
    /// fill-in-the-middle models, after it).
    #[arg(long, default_value_t = 1024)]
    budget: usize,
    /// The repository (default: the nearest folder above the file with .git or .arbor).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// The search index (default: .arbor/index in the repository; used when it exists).
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,
    #[command(flatten)]
    sampling: SamplingArgs,
    /// Fill-in-the-middle: with `auto` the text after the cursor goes in the prompt when the
    /// model's vocabulary has fill-in-the-middle tokens (any common spelling); `on` requires
    /// them; `off` completes from the text before the cursor alone.
    #[arg(long, value_enum, default_value_t = FimMode::Auto, value_name = "MODE")]
    fim: FimMode,
    /// Print the prompt and stop (only the tokenizer is loaded).
    #[arg(long)]
    show_prompt: bool,
    /// One JSON object: the completion, its counts and timings, and the context used.
    #[arg(long)]
    json: bool,
}

/// `--fim`: whether the text after the cursor goes in the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FimMode {
    /// When the vocabulary has fill-in-the-middle tokens.
    Auto,
    /// Always; a vocabulary without fill-in-the-middle tokens is an error.
    On,
    /// Never.
    Off,
}

impl From<FimMode> for arbor_complete::FimMode {
    fn from(mode: FimMode) -> Self {
        match mode {
            FimMode::Auto => arbor_complete::FimMode::Auto,
            FimMode::On => arbor_complete::FimMode::On,
            FimMode::Off => arbor_complete::FimMode::Off,
        }
    }
}

pub fn run(args: CompleteArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    args.model.apply_threads()?;
    let site = Site::locate(&Request {
        file: args.file.clone(),
        line: args.line,
        col: args.col,
        root: args.root.clone(),
        index: args.index.clone(),
    })?;
    let model_path = arbor_lm::catalog::resolve(&args.model.model, &|m| eprintln!("arbor: {m}"))?;
    let prompt_for = |tokenizer: &LmTokenizer| -> anyhow::Result<Prompt> {
        let format = prompt_format(tokenizer, args.fim.into(), &args.model.model)?;
        Ok(site.prompt(tokenizer, &format, args.budget)?)
    };
    if args.show_prompt {
        let prompt = prompt_for(&LmTokenizer::load(&model_path)?)?;
        write!(out, "{}", prompt.text)?;
        return Ok(Outcome::Ok);
    }
    if args.fim == FimMode::On {
        // Refuse before the weights are loaded.
        let tokenizer = LmTokenizer::load(&model_path)?;
        prompt_format(&tokenizer, args.fim.into(), &args.model.model)?;
    }
    let mut model = args.model.load()?;
    let prompt = prompt_for(model.tokenizer())?;
    let params = args.sampling.params(1, 1.0, args.max_tokens, Vec::new());
    let completion = site.complete(&mut model, &prompt, params, &mut |_| {
        std::ops::ControlFlow::Continue(())
    })?;
    if args.json {
        let json = arbor_complete::report::completion_with_context(&completion, &prompt);
        writeln!(out, "{json}")?;
    } else {
        write!(out, "{}", completion.text)?;
        if std::io::stdout().is_terminal() && !completion.text.ends_with('\n') {
            writeln!(out)?;
        }
    }
    out.flush()?;
    report(&[completion]);
    Ok(Outcome::Ok)
}
