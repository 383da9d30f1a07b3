//! `arbor serve`: the local HTTP server (search page and API, lint API), until Ctrl-C.

use std::path::PathBuf;

use clap::Args;

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
}

/// `arbor serve`: serves until interrupted.
pub fn run(args: ServeArgs) -> anyhow::Result<Outcome> {
    let server = arbor_serve::start(arbor_serve::ServeOptions {
        index_dir: args.location.dir(&args.repo),
        repo: args.repo,
        host: args.host,
        port: args.port,
        api_key: args.api_key,
        watch: !args.no_watch,
    })?;
    eprintln!(
        "arbor: serving on http://{} (Ctrl-C stops)",
        server.address()
    );
    server.wait()?;
    Ok(Outcome::Ok)
}
