//! The JSON routes: health, search, lint, index updates; the API key check; 404s.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use arbor_index::search::MAX_LIMIT;
use arbor_index::{Hit, Query, SearchOptions};
use arbor_syntax::Language;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::AppState;

/// `GET /health`: 200 `{"status": "ok", "index", "generating"}`; 503 `{"status":
/// "loading"}` while the model loads, 500 `{"status": "error", "error"}` when it did not load.
pub(crate) async fn health(State(state): State<Arc<AppState>>) -> Response {
    let index = if state.updating() {
        "updating"
    } else {
        "ready"
    };
    if let crate::model::ModelSlot::Configured(slot) = &state.model {
        match slot.get() {
            None => {
                let body = serde_json::json!({ "status": "loading", "index": index });
                return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
            }
            Some(Err(why)) => {
                let body = serde_json::json!({ "status": "error", "error": why, "index": index });
                return (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response();
            }
            Some(Ok(_)) => {}
        }
    }
    let generating = state
        .model
        .loaded()
        .map(|m| m.pending.load(std::sync::atomic::Ordering::SeqCst));
    let watch = state
        .watch_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let update = state
        .update_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    Json(serde_json::json!({
        "status": "ok", "index": index, "generating": generating, "watch_error": watch,
        "update_error": update,
    }))
    .into_response()
}

/// Requests without the server's API key (when it has one) get 401.
pub(crate) async fn require_key(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(key) = &state.api_key else {
        return next.run(request).await;
    };
    let bearer = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| constant_time_eq(given.trim(), key));
    let in_query = request
        .uri()
        .query()
        .map(|q| {
            q.split('&')
                .filter_map(|pair| pair.strip_prefix("key="))
                .any(|given| constant_time_eq(given, key))
        })
        .unwrap_or(false);
    if bearer || in_query {
        next.run(request).await
    } else {
        ApiError::unauthorized().into_response()
    }
}

/// A request whose `Content-Length` is over [`crate::MAX_BODY_BYTES`] gets 413 at once,
/// before its body is read (a chunked body is cut at the limit by the extractors).
pub(crate) async fn limit_body(request: Request, next: Next) -> Response {
    let length = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match length {
        Some(n) if n > crate::MAX_BODY_BYTES as u64 => ApiError::invalid(
            format!(
                "the body is {n} bytes; the server takes at most {}",
                crate::MAX_BODY_BYTES
            ),
            None,
        )
        .with_status(StatusCode::PAYLOAD_TOO_LARGE)
        .into_response(),
        _ => next.run(request).await,
    }
}

/// Compares without stopping at the first difference (no timing hint of the key's prefix).
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Any route not served.
pub(crate) async fn not_found(request: Request) -> ApiError {
    ApiError::not_found(format!(
        "no route {} {}",
        request.method(),
        request.uri().path()
    ))
}

/// The parameters of a search.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchParams {
    /// The query, in `arbor search`'s language.
    pub q: String,
    /// At most this many hits (1 to 10,000; 20 by default).
    pub limit: Option<usize>,
    /// The API key (checked by [`require_key`]).
    #[allow(dead_code)]
    pub key: Option<String>,
}

/// The hits of `params` and the time the search took.
pub(crate) async fn run_search(
    state: &Arc<AppState>,
    params: &SearchParams,
) -> Result<(Vec<Hit>, f64), ApiError> {
    let limit = params.limit.unwrap_or(20);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(
            format!("limit must be between 1 and {MAX_LIMIT}"),
            Some("limit"),
        ));
    }
    let query = Query::parse(&params.q).map_err(|e| {
        ApiError::invalid(e.to_string(), Some("q"))
            .with_code("invalid_query")
            .with_field("column", e.column.into())
    })?;
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let options = SearchOptions {
            limit,
            ..SearchOptions::default()
        };
        let hits = state
            .index
            .search(&query, &options)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok((hits, started.elapsed().as_secs_f64() * 1000.0))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
}

/// `GET /api/search?q=…&limit=…`: `{query, count, elapsed_ms, hits}`, each hit as
/// `arbor search --json` prints it.
pub(crate) async fn search(
    State(state): State<Arc<AppState>>,
    params: Result<axum::extract::Query<SearchParams>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let params = params?.0;
    let (hits, elapsed_ms) = run_search(&state, &params).await?;
    Ok(Json(serde_json::json!({
        "query": params.q,
        "count": hits.len(),
        "elapsed_ms": elapsed_ms,
        "hits": hits,
    })))
}

/// The body of `POST /api/lint`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LintRequest {
    /// The file's path (its extension says the language; the configuration's per-path
    /// settings apply to it).
    path: String,
    /// The file's text (unsaved, as an editor has it).
    text: String,
}

/// `POST /api/lint`: the findings of `arbor lint --format json` for the text, as if it were
/// the file at `path` of the repository.
pub(crate) async fn lint(
    State(state): State<Arc<AppState>>,
    body: Result<Json<LintRequest>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let request = body?.0;
    let language = Language::from_path(Path::new(&request.path)).ok_or_else(|| {
        ApiError::invalid(
            format!(
                "{}: not a Python, JavaScript or Rust file (by its extension)",
                request.path
            ),
            Some("path"),
        )
    })?;
    let findings = tokio::task::spawn_blocking(move || {
        state
            .linter
            .lint_source(&request.path, language, &request.text)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    serde_json::to_value(findings)
        .map(Json)
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// `POST /api/index`: brings the index up to date now (after an update already running)
/// and answers with the update's summary (as `arbor index --json`).
pub(crate) async fn index(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let updated = tokio::task::spawn_blocking(move || {
        state
            .update()
            .map(|stats| arbor_index::render::update_json(&state.index_dir, &stats))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    match updated {
        Ok(summary) => Ok(Json(summary).into_response()),
        Err(e @ arbor_index::IndexError::Locked(_)) => {
            Err(ApiError::invalid(e.to_string(), None).with_status(StatusCode::CONFLICT))
        }
        Err(e) => Err(ApiError::internal(e.to_string())),
    }
}
