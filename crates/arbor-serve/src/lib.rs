//! `arbor serve`: one local HTTP server for scripts, editors and a browser.
//!
//! Loaded once and shared by every request: the repository's code index (opened, then brought
//! up to date in the background, again whenever files change and on `POST /api/index`) and
//! its linter configuration. Routes:
//!
//! - `GET /health`: `{"status": "ok", "index": "ready"|"updating", "generating", "watch_error",
//!   "update_error"}` (never behind the API key; `update_error` says why the last index
//!   update failed);
//! - `GET /api/search?q=…&limit=…`: the hits of `arbor search --json` with the query's time;
//! - `POST /api/lint` with `{"path", "text"}`: the findings of `arbor lint --format json`;
//! - `POST /api/index`: brings the index up to date now (the update's summary);
//! - `GET /?q=…`: a search page rendered on the server (no script, no external assets);
//! - `GET /file/PATH`: a file of the repository, syntax-coloured, lines anchored `#Lnn`;
//! - with a model: OpenAI's `GET /v1/models`, `POST /v1/completions` and
//!   `POST /v1/chat/completions` (streaming as server-sent events), requests decoded
//!   together (continuous batching, `slots` samples at once);
//!   code completion at a cursor through llama.cpp's `POST /infill` and Tabby's `segments`
//!   on `POST /v1/completions`, with the repository's context ([`code`]'s pipeline is
//!   `arbor complete`'s).
//!
//! Errors are JSON objects shaped as OpenAI's (`{"error": {"message", "type", "param",
//! "code"}}`) with a 4xx status for anything the client sent wrong; the server keeps serving.
//! It binds loopback unless told otherwise; with an API key every route but `/health` wants
//! `Authorization: Bearer KEY` (or, for the page a browser opens, `?key=KEY`).

mod api;
pub mod code;
mod error;
mod highlight;
mod model;
mod openai;
mod page;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

pub use error::ServeError;
pub use model::{ModelLoader, ServedModel};
pub use openai::MAX_N;
use state::AppState;

/// The largest request body accepted (a file to lint, a prompt): larger ones get 413.
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The repository whose code is searched and shown.
    pub repo: PathBuf,
    /// Where its index lives (created when missing).
    pub index_dir: PathBuf,
    /// The address to bind (`127.0.0.1` by default in the CLI).
    pub host: String,
    /// The port (0: any free one).
    pub port: u16,
    /// When set, requests must carry it (see the module documentation).
    pub api_key: Option<String>,
    /// Update the index when files of the repository change.
    pub watch: bool,
    /// Samples the model decodes at once (continuous batching; at least 1).
    pub slots: usize,
}

/// A server that is accepting connections.
pub struct RunningServer {
    notes: Vec<String>,
    address: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServeError>>>,
}

impl RunningServer {
    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// What the server could not do but serves without (watching the repository).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Blocks until the server stops (Ctrl-C, or an error).
    pub fn wait(mut self) -> Result<(), ServeError> {
        self.join()
    }

    /// Stops the server: open requests finish, new ones are refused.
    pub fn shutdown(mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
        self.join()
    }

    fn join(&mut self) -> Result<(), ServeError> {
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(ServeError::Server("the server thread panicked".into()))),
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
        let _ = self.join();
    }
}

/// Opens the index, binds the address and starts serving on a thread of its own; returns
/// once connections are accepted. The index is brought up to date in the background, and
/// `model`, when given, is loaded in the background too (`/health` answers 503 until it is).
pub fn start(
    options: ServeOptions,
    model: Option<ModelLoader>,
) -> Result<RunningServer, ServeError> {
    let state = Arc::new(AppState::open(&options, model.is_some())?);
    if let Some(loader) = model {
        state::load_model(&state, loader, options.slots)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("arbor-serve")
        .build()
        .map_err(|e| ServeError::Server(format!("no async runtime: {e}")))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind((
            options.host.as_str(),
            options.port,
        )))
        .map_err(|source| ServeError::Bind {
            address: format!("{}:{}", options.host, options.port),
            source,
        })?;
    let address = listener
        .local_addr()
        .map_err(|e| ServeError::Server(e.to_string()))?;
    state::start_updates(&state, options.watch)?;
    let notes = state
        .watch_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .cloned()
        .collect();
    let app = router(state);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("arbor-serve".into())
        .spawn(move || {
            runtime.block_on(async move {
                let until = async move {
                    tokio::select! {
                        _ = stopped => {}
                        _ = tokio::signal::ctrl_c() => {}
                    }
                };
                axum::serve(listener, app)
                    .with_graceful_shutdown(until)
                    .await
                    .map_err(|e| ServeError::Server(e.to_string()))
            })
        })
        .map_err(|e| ServeError::Server(format!("no server thread: {e}")))?;
    Ok(RunningServer {
        notes,
        address,
        shutdown: Some(stop),
        thread: Some(thread),
    })
}

/// The routes, over `state`.
fn router(state: Arc<AppState>) -> Router {
    let guarded = Router::new()
        .route("/", get(page::search_page))
        .route("/file/{*path}", get(page::file_page))
        .route("/api/search", get(api::search))
        .route("/api/lint", post(api::lint))
        .route("/api/index", post(api::index))
        .route("/v1/models", get(openai::models))
        .route("/v1/completions", post(openai::completions))
        .route("/v1/chat/completions", post(openai::chat_completions))
        .route("/infill", post(code::infill))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            api::require_key,
        ));
    Router::new()
        .route("/health", get(api::health))
        .merge(guarded)
        .fallback(api::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(api::limit_body))
        .with_state(state)
}
