//! The pages a browser opens: the search page (`GET /?q=…`) and the file view
//! (`GET /file/PATH#Lnn`), rendered on the server from minijinja templates (autoescaped),
//! with no script and nothing loaded from elsewhere.

use std::sync::Arc;

use arbor_index::HitType;
use arbor_syntax::Language;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::Html;
use serde::Deserialize;

use crate::api::{run_search, SearchParams};
use crate::error::ApiError;
use crate::highlight;
use crate::state::AppState;

/// The largest file the file view shows.
const MAX_FILE_BYTES: u64 = 4 << 20;

/// The page templates, parsed once.
fn templates() -> Result<&'static minijinja::Environment<'static>, ApiError> {
    static TEMPLATES: std::sync::OnceLock<Result<minijinja::Environment<'static>, String>> =
        std::sync::OnceLock::new();
    let parsed = TEMPLATES.get_or_init(|| {
        let mut env = minijinja::Environment::new();
        // Strings escaped as the file view's code is (`&<>"'`; minijinja's own escapes `/` too).
        env.set_formatter(|out, state, value| match value.as_str() {
            Some(text)
                if !value.is_safe() && state.auto_escape() != minijinja::AutoEscape::None =>
            {
                out.write_str(&highlight::escape(text)).map_err(|e| {
                    minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())
                })
            }
            _ => minijinja::escape_formatter(out, state, value),
        });
        for (name, source) in [
            ("base.html", include_str!("templates/base.html")),
            ("search.html", include_str!("templates/search.html")),
            ("file.html", include_str!("templates/file.html")),
        ] {
            env.add_template(name, source).map_err(|e| e.to_string())?;
        }
        Ok(env)
    });
    parsed
        .as_ref()
        .map_err(|e| ApiError::internal(format!("a page template does not parse: {e}")))
}

/// Renders `name` with `context`.
fn render(name: &str, context: minijinja::Value) -> Result<Html<String>, ApiError> {
    templates()?
        .get_template(name)
        .and_then(|t| t.render(context))
        .map(Html)
        .map_err(|e| ApiError::internal(format!("the page could not be rendered: {e}")))
}

/// The parameters of the search page.
#[derive(Debug, Deserialize)]
pub(crate) struct PageParams {
    q: Option<String>,
    limit: Option<usize>,
    key: Option<String>,
}

/// A snippet line cut into matched and unmatched pieces, for the template.
#[derive(Debug, serde::Serialize)]
struct Piece {
    text: String,
    matched: bool,
}

/// `GET /?q=…`: the query box, language chips, and the hits (`path:line`, symbol and kind,
/// snippet lines with the matches marked, a link to the file view); a malformed query shows
/// its error with the column.
pub(crate) async fn search_page(
    State(state): State<Arc<AppState>>,
    params: Result<axum::extract::Query<PageParams>, QueryRejection>,
) -> Result<(StatusCode, Html<String>), ApiError> {
    let params = params?.0;
    let q = params.q.clone().unwrap_or_default();
    let key = params.key.clone();
    let key_param = key
        .as_deref()
        .map(|k| format!("&key={}", encode(k, false)))
        .unwrap_or_default();
    // A chip adds `lang:NAME` to the query (or takes it off when it is there).
    let chips: Vec<serde_json::Value> = ["python", "javascript", "rust"]
        .iter()
        .map(|name| {
            let filter = format!("lang:{name}");
            let on = q.split_whitespace().any(|w| w == filter);
            let next = if on {
                q.split_whitespace()
                    .filter(|w| *w != filter)
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                format!("{} {filter}", q.trim())
            };
            serde_json::json!({
                "name": name,
                "on": on,
                "href": format!("/?q={}{key_param}", encode(next.trim(), false)),
            })
        })
        .collect();
    let mut context = serde_json::json!({
        "q": q,
        "key": key,
        "key_param": key_param,
        "repo": state.repo.display().to_string(),
        "chips": chips,
        "updating": state.updating(),
    });
    let mut status = StatusCode::OK;
    if !q.trim().is_empty() {
        let search = SearchParams {
            q: q.clone(),
            limit: params.limit,
            key: None,
        };
        match run_search(&state, &search).await {
            Ok((hits, elapsed_ms)) => {
                let hits: Vec<serde_json::Value> =
                    hits.iter().map(|h| hit_view(h, &key_param)).collect();
                context["hits"] = hits.into();
                context["elapsed_ms"] = format!("{elapsed_ms:.1}").into();
            }
            Err(e) if e.status() == StatusCode::BAD_REQUEST => {
                status = StatusCode::BAD_REQUEST;
                context["error"] = e.message().into();
            }
            Err(e) => return Err(e),
        }
    }
    let context = minijinja::Value::from_serialize(&context);
    Ok((status, render("search.html", context)?))
}

/// `text` percent-encoded for a URL: everything but unreserved characters (and `/` in a
/// path, with `path`).
fn encode(text: &str, path: bool) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        let keep =
            byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) || (path && byte == b'/');
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// What the template shows of a hit.
fn hit_view(hit: &arbor_index::Hit, key_param: &str) -> serde_json::Value {
    let lines: Vec<serde_json::Value> = hit
        .snippet
        .iter()
        .map(|line| {
            let mut pieces = Vec::new();
            let mut at = 0;
            for &(start, end) in &line.highlights {
                let (Some(before), Some(matched)) =
                    (line.text.get(at..start), line.text.get(start..end))
                else {
                    continue;
                };
                pieces.push(Piece {
                    text: before.into(),
                    matched: false,
                });
                pieces.push(Piece {
                    text: matched.into(),
                    matched: true,
                });
                at = end;
            }
            pieces.push(Piece {
                text: line.text.get(at..).unwrap_or_default().into(),
                matched: false,
            });
            serde_json::json!({ "line": line.line, "pieces": pieces })
        })
        .collect();
    let key = key_param
        .strip_prefix('&')
        .map(|k| format!("?{k}"))
        .unwrap_or_default();
    serde_json::json!({
        "path": hit.path,
        "href": format!("/file/{}{key}#L{}", encode(&hit.path, true), hit.line),
        "line": hit.line,
        "language": hit.language,
        "definition": hit.hit_type == HitType::Definition,
        "symbol": hit.symbol,
        "kind": hit.kind,
        "doc": hit.doc,
        "lines": lines,
    })
}

/// The parameters of the file view.
#[derive(Debug, Deserialize)]
pub(crate) struct FileParams {
    key: Option<String>,
}

/// `GET /file/PATH`: the file, syntax-coloured, one anchored row per line. Only files inside
/// the repository (no `..`, no link out of it), UTF-8, at most 4 MiB.
pub(crate) async fn file_page(
    State(state): State<Arc<AppState>>,
    UrlPath(path): UrlPath<String>,
    params: Result<axum::extract::Query<FileParams>, QueryRejection>,
) -> Result<Html<String>, ApiError> {
    let params = params?.0;
    let not_found = || ApiError::not_found(format!("no file {path} in the repository"));
    let full = std::fs::canonicalize(state.repo.join(&path)).map_err(|_| not_found())?;
    if !full.starts_with(&state.repo) || full.starts_with(&state.index_dir) || !full.is_file() {
        return Err(not_found());
    }
    let size = std::fs::metadata(&full).map_err(|_| not_found())?.len();
    if size > MAX_FILE_BYTES {
        return Err(ApiError::invalid(
            format!("{path} is {size} bytes: the file view shows files up to {MAX_FILE_BYTES}"),
            None,
        )
        .with_status(StatusCode::PAYLOAD_TOO_LARGE));
    }
    let bytes = std::fs::read(&full).map_err(|e| ApiError::internal(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        ApiError::invalid(format!("{path} is not UTF-8 text"), None)
            .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
    })?;
    let language = Language::from_path(&full);
    let lines = tokio::task::spawn_blocking(move || highlight::lines(&text, language))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let context = serde_json::json!({
        "path": path,
        "home": match &params.key {
            Some(k) => format!("/?key={}", encode(k, false)),
            None => "/".to_string(),
        },
        "language": language.map(|l| l.name()),
        "lines": lines,
    });
    render("file.html", minijinja::Value::from_serialize(&context))
}
