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
        Some(name) => {
            let options = ModelArgs {
                threads: args.threads,
                ..ModelArgs::for_run(name)
            };
            options.apply_threads()?;
            // Resolved (and fetched) now, so that a wrong name fails at once; stderr is the
            // editor's log.
            let path = arbor_lm::catalog::resolve(name, &|m| eprintln!("arbor: {m}"))?;
            let name = name.clone();
            Some(Box::new(move || {
                let mut model = arbor_lm::LlamaModel::load(&path).map_err(|e| e.to_string())?;
                model.set_kv_type(options.kv_cache);
                let tokenizer = arbor_lm::LmTokenizer::load(&path).map_err(|e| e.to_string())?;
                Ok(arbor_lsp::CodeModel {
                    name,
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
