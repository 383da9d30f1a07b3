//! `arbor lsp`: the language server over stdio, with a model for completions when asked.

use clap::Args;

use crate::generate_cmd::ModelArgs;

/// Arguments of `arbor lsp`.
#[derive(Debug, Args)]
pub struct LspArgs {
    /// Complete code with this model (a catalog name, fetched on first use, or a GGUF file),
    /// loaded on the first completion request; without it, no completion.
    #[arg(long, value_name = "NAME|PATH")]
    model: Option<String>,
    /// Threads for the model (default: all cores).
    #[arg(long, value_name = "N", value_parser = crate::args::at_least_one)]
    threads: Option<usize>,
}

/// Serves until the client exits.
pub fn run(args: LspArgs) -> anyhow::Result<()> {
    let model: Option<arbor_lsp::ModelLoader> = match &args.model {
        // Resolved (and fetched) now, so that a wrong name fails at once; stderr is the
        // editor's log.
        Some(name) => {
            let later = ModelArgs::for_server(name, args.threads)?;
            Some(Box::new(move || {
                let (model, tokenizer) = later.load()?;
                Ok(arbor_lsp::CodeModel {
                    name: later.name,
                    model: Box::new(model),
                    tokenizer,
                })
            }))
        }
        None => None,
    };
    arbor_lsp::serve_stdio(model)?;
    Ok(())
}
