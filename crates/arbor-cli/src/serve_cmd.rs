//! `arbor serve`: the local HTTP server (search page and API, lint API, OpenAI's routes over
//! a model), until Ctrl-C.

use std::path::PathBuf;

use clap::Args;

use crate::generate_cmd::ModelArgs;
use crate::index_cmd::IndexLocation;
use crate::Outcome;

/// Arguments of `arbor serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The repository to serve.
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    #[command(flatten)]
    location: IndexLocation,
    /// The address to listen on (loopback unless told otherwise).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The port (0: any free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Require this key (`Authorization: Bearer KEY`) on every route but /health (from the
    /// environment, a key stays out of `ps`).
    #[arg(long, value_name = "KEY", env = "ARBOR_API_KEY")]
    api_key: Option<String>,
    /// Do not update the index when files change (only at start and on POST /api/index).
    #[arg(long)]
    no_watch: bool,
    /// Serve this model on OpenAI's routes (a catalog name, fetched on first use, or a GGUF
    /// file); without it, search and lint only.
    #[arg(long, value_name = "NAME|PATH")]
    model: Option<String>,
    /// Samples the model decodes at once: requests join the batch at the next token while
    /// there is room (continuous batching), and wait otherwise.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = crate::args::at_least_one)]
    slots: usize,
    /// Threads for the model (default: all cores).
    #[arg(long, value_name = "N", value_parser = crate::args::at_least_one)]
    threads: Option<usize>,
}

/// `arbor serve`: serves until interrupted.
pub fn run(args: ServeArgs) -> anyhow::Result<Outcome> {
    // The name is resolved (and the model fetched) now, so a wrong one fails at once; the
    // weights load in the background while the server already answers (/health: 503).
    let model: Option<arbor_serve::ModelLoader> = match &args.model {
        Some(name) => {
            let later = ModelArgs::for_server(name, args.threads)?;
            Some(Box::new(move || {
                let (model, tokenizer) = later.load()?;
                let format = arbor_lm::catalog::entry(&later.name)
                    .and_then(|e| e.prompt_format)
                    .unwrap_or_else(|| model.prompt_format());
                eprintln!("arbor: model {} loaded", later.name);
                Ok(arbor_serve::ServedModel {
                    name: later.name,
                    model: Box::new(model),
                    format,
                    tokenizer: Some(tokenizer),
                })
            }))
        }
        None => None,
    };
    let server = arbor_serve::start(
        arbor_serve::ServeOptions {
            index_dir: args.location.dir(&args.repo),
            repo: args.repo,
            host: args.host,
            port: args.port,
            api_key: args.api_key,
            watch: !args.no_watch,
            slots: args.slots,
        },
        model,
    )?;
    eprintln!(
        "arbor: serving on http://{} (Ctrl-C stops)",
        server.address()
    );
    for note in server.notes() {
        eprintln!("arbor: warning: {note}");
    }
    server.wait()?;
    Ok(Outcome::Ok)
}
