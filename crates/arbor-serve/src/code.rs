//! Code completion at a cursor, for editors: llama.cpp's `POST /infill` (the body
//! llama.vscode and llama.vim send) and Tabby's `segments` on `POST /v1/completions`. Both go
//! through arbor-complete's pipeline, as `arbor complete` does: the repository's definitions
//! of the names before the cursor and its most similar indexed code, then the client's own
//! pieces, packed with the text around the cursor in the model's fill-in-the-middle and file
//! tokens within a token budget; the completion ends with the cursor's block.

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use arbor_complete::{Prompt, Site, TextSite, Trimmer};
use arbor_gen::{Completion, GenerationParams, StopReason};
use arbor_syntax::Language;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::model::{JobPrompt, ModelHandle};
use crate::openai::{event_stream, model};
use crate::state::AppState;

/// The most tokens of prompt a completion at a cursor gets (as `arbor complete --budget`).
pub(crate) const PROMPT_BUDGET: usize = 1024;

/// `n_predict` when a request leaves it to the server (`-1`): the completion ends with the
/// cursor's block, and at the latest here.
const DEFAULT_PREDICT: usize = 256;

/// A completion at a cursor, ready for the model's worker.
pub(crate) struct CodeJob {
    /// The packed prompt.
    pub prompt: Prompt,
    /// The cut of its completion.
    pub trim: Trimmer,
}

/// Packs the prompt for a cursor in the served repository (on a blocking thread: it parses,
/// reads the index and may walk the repository). 501 when the model came without its
/// vocabulary, or when `fim` is required and the vocabulary has none.
pub(crate) async fn prepare(
    state: &Arc<AppState>,
    handle: &ModelHandle,
    mut site: TextSite,
    max_tokens: usize,
    fim: bool,
) -> Result<CodeJob, ApiError> {
    let not_implemented = |message: String| {
        ApiError::internal(message)
            .with_status(StatusCode::NOT_IMPLEMENTED)
            .with_code("not_implemented")
    };
    let vocabulary = handle.code.clone().ok_or_else(|| {
        not_implemented(format!(
            "{} is served without its vocabulary: code completion needs it",
            handle.name
        ))
    })?;
    if fim && vocabulary.format.fim.is_none() {
        return Err(not_implemented(format!(
            "{} has no fill-in-the-middle tokens: /infill needs them (POST /v1/completions \
             with `segments` completes at the end of the prefix instead)",
            handle.name
        )));
    }
    let budget = handle
        .context
        .map_or(PROMPT_BUDGET, |c| c.saturating_sub(max_tokens))
        .min(PROMPT_BUDGET);
    site.root = Some(state.repo.clone());
    site.index = Some(state.index_dir.clone());
    let packed = tokio::task::spawn_blocking(move || {
        let site = Site::from_text(site)?;
        let prompt = site.prompt(&vocabulary.tokenizer, &vocabulary.format, budget)?;
        Ok::<_, arbor_complete::CompleteError>(CodeJob {
            prompt,
            trim: site.trimmer(),
        })
    })
    .await
    .map_err(|e| ApiError::internal(format!("the prompt was not packed: {e}")))?;
    packed.map_err(|e| match e {
        arbor_complete::CompleteError::Request(m) | arbor_complete::CompleteError::Cursor(m) => {
            ApiError::invalid(m, None)
        }
        other => ApiError::internal(other.to_string()),
    })
}

/// The language a client names (VS Code's identifiers, as Tabby sends them), when Arbor
/// parses it.
pub(crate) fn language_named(name: &str) -> Option<Language> {
    match name.to_ascii_lowercase().as_str() {
        "javascriptreact" | "jsx" | "mjs" | "cjs" => Some(Language::JavaScript),
        other => other.parse().ok(),
    }
}

/// A client's path for the file being edited, relative to the repository when it is inside,
/// `/`-separated as the index names files.
pub(crate) fn relative_path(repo: &Path, path: &str) -> String {
    let path = path.strip_prefix("file://").unwrap_or(path);
    arbor_index::index::relative_path(repo, Path::new(path))
}

/// llama.cpp's `/completion` options that `/infill` accepts and Arbor's sampler has no use
/// for (prompt caching, slots, sampler orders, timing limits, the samplers Arbor lacks):
/// accepted and ignored, as llama.cpp accepts them. Any other unknown field is refused.
const IGNORED_OPTIONS: &[&str] = &[
    "cache_prompt",
    "samplers",
    "t_max_prompt_ms",
    "t_max_predict_ms",
    "n_indent",
    "n_keep",
    "n_cache_reuse",
    "id_slot",
    "min_p",
    "min_keep",
    "typical_p",
    "dynatemp_range",
    "dynatemp_exponent",
    "dry_multiplier",
    "dry_base",
    "dry_allowed_length",
    "dry_penalty_last_n",
    "dry_sequence_breakers",
    "xtc_probability",
    "xtc_threshold",
    "mirostat",
    "mirostat_tau",
    "mirostat_eta",
    "n_probs",
    "return_tokens",
    "timings_per_token",
    "return_progress",
    "post_sampling_probs",
    "response_fields",
    "lora",
    "model",
];

/// One file of `input_extra`.
#[derive(Debug, Deserialize)]
pub(crate) struct ExtraFile {
    filename: String,
    text: String,
    /// llama.vim and llama.vscode send when they picked the chunk.
    #[allow(dead_code)]
    time: Option<Value>,
}

/// llama.cpp's `POST /infill`.
#[derive(Debug, Deserialize)]
pub(crate) struct InfillRequest {
    #[serde(default)]
    input_prefix: String,
    #[serde(default)]
    input_suffix: String,
    #[serde(default)]
    input_extra: Vec<ExtraFile>,
    /// Text after the middle token in llama.cpp (the cursor line's start, in llama.vscode):
    /// here it joins the prefix, so the cursor is at its end.
    #[serde(default)]
    prompt: String,
    n_predict: Option<i64>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    top_k: Option<i64>,
    seed: Option<i64>,
    stop: Option<Vec<String>>,
    stream: Option<bool>,
    repeat_penalty: Option<f32>,
    repeat_last_n: Option<i64>,
    ignore_eos: Option<bool>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

impl InfillRequest {
    /// The generation's parameters: greedy unless a temperature is given (a completion an
    /// editor shows should not change from one keystroke to the next).
    fn params(&self) -> Result<GenerationParams, ApiError> {
        if let Some(name) = self
            .rest
            .keys()
            .find(|k| !IGNORED_OPTIONS.contains(&k.as_str()))
        {
            return Err(ApiError::invalid(format!("unknown field `{name}`"), None));
        }
        let temperature = self.temperature.unwrap_or(0.0).max(0.0);
        let top_p = self.top_p.unwrap_or(1.0);
        if !(top_p > 0.0 && top_p <= 1.0) {
            return Err(ApiError::invalid("top_p must be in (0, 1]", Some("top_p")));
        }
        let max_tokens = match self.n_predict {
            None => DEFAULT_PREDICT,
            Some(n) if n < 0 => DEFAULT_PREDICT,
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        };
        let seed = match self.seed {
            Some(seed) if seed >= 0 => seed as u64,
            _ => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
        };
        let defaults = GenerationParams::default();
        Ok(GenerationParams {
            max_tokens,
            temperature,
            top_p,
            top_k: self.top_k.map_or(0, |k| usize::try_from(k).unwrap_or(0)),
            repeat_penalty: self.repeat_penalty.unwrap_or(1.0),
            repeat_last_n: self
                .repeat_last_n
                .map_or(defaults.repeat_last_n, |n| usize::try_from(n).unwrap_or(0)),
            seed,
            stop: self.stop.clone().unwrap_or_default(),
            ignore_eos: self.ignore_eos.unwrap_or(false),
            ..defaults
        })
    }
}

/// llama.cpp's `stop_type`.
fn stop_type(reason: StopReason) -> &'static str {
    match reason {
        StopReason::EndOfSequence | StopReason::Stopped => "eos",
        StopReason::StopSequence => "word",
        StopReason::MaxTokens | StopReason::ContextFull => "limit",
    }
}

/// `POST /infill`: the completion at the cursor between `input_prefix` (+ `prompt`) and
/// `input_suffix`, as llama.cpp's server answers it (streamed as server-sent events, one
/// `content` piece each, the last with `stop: true` and the totals; no `[DONE]`).
/// `n_predict: 0` (llama.vscode's warm-up) answers at once with no text.
pub(crate) async fn infill(
    State(state): State<Arc<AppState>>,
    body: Result<Json<InfillRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let request = body?.0;
    let mut params = request.params()?;
    let handle = model(&state)?;
    let site = TextSite {
        prefix: format!("{}{}", request.input_prefix, request.prompt),
        suffix: request.input_suffix,
        extra: request
            .input_extra
            .into_iter()
            .map(|f| (f.filename, f.text))
            .collect(),
        ..TextSite::default()
    };
    let job = prepare(&state, handle, site, params.max_tokens.max(1), true).await?;
    let settings = json!({
        "n_predict": request.n_predict.unwrap_or(-1), "temperature": params.temperature,
        "top_k": params.top_k, "top_p": params.top_p, "seed": params.seed,
        "n_ctx": handle.context, "model": handle.name, "stream": request.stream.unwrap_or(false),
    });
    let shape = Arc::new(InfillShape {
        name: handle.name.clone(),
        prompt: job.prompt.text.clone(),
        settings,
    });
    if params.max_tokens == 0 {
        let nothing = Completion {
            text: String::new(),
            prompt_tokens: job.prompt.tokens,
            completion_tokens: 0,
            stop_reason: StopReason::MaxTokens,
            prefill_secs: 0.0,
            decode_secs: 0.0,
            mean_logprob: None,
        };
        return Ok(Json(shape.whole(&nothing)).into_response());
    }
    params.stop_tokens = job.prompt.stop_tokens.clone();
    let stream = request.stream.unwrap_or(false);
    let (pieces, replied) = handle
        .ask(
            JobPrompt::Text(job.prompt.text),
            params,
            stream,
            Some(job.trim),
        )
        .map_err(ApiError::internal)?;
    match pieces {
        None => {
            let completion = replied
                .await
                .map_err(|_| crate::openai::dropped())?
                .map_err(crate::openai::generation_error)?
                .pop()
                .ok_or_else(crate::openai::dropped)?;
            Ok(Json(shape.whole(&completion)).into_response())
        }
        Some(pieces) => {
            let last = shape.clone();
            Ok(event_stream(
                pieces,
                replied,
                |text, _| json!({"index": 0, "content": text, "tokens": [], "stop": false, "id_slot": 0}),
                move |result, _| match result.map(|mut c| c.pop()) {
                    Ok(Some(completion)) => {
                        let mut body = last.whole(&completion);
                        // The text came in the pieces before.
                        body["content"] = "".into();
                        body
                    }
                    Ok(None) => crate::openai::dropped().body(),
                    Err(error) => error.body(),
                },
                false,
            ))
        }
    }
}

/// What every `/infill` answer repeats.
struct InfillShape {
    name: String,
    prompt: String,
    settings: Value,
}

impl InfillShape {
    /// The whole answer for `completion`, in llama.cpp's `/completion` shape.
    fn whole(&self, c: &Completion) -> Value {
        let per_second = |n: usize, secs: f64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
        let per_token_ms = |n: usize, secs: f64| if n > 0 { secs * 1e3 / n as f64 } else { 0.0 };
        json!({
            "index": 0, "content": c.text, "tokens": [], "id_slot": 0, "stop": true,
            "model": self.name, "tokens_predicted": c.completion_tokens,
            "tokens_evaluated": c.prompt_tokens, "generation_settings": self.settings,
            "prompt": self.prompt, "has_new_line": c.text.contains('\n'), "truncated": false,
            "stop_type": stop_type(c.stop_reason), "stopping_word": "", "tokens_cached": 0,
            "timings": {
                "prompt_n": c.prompt_tokens, "prompt_ms": c.prefill_secs * 1e3,
                "prompt_per_token_ms": per_token_ms(c.prompt_tokens, c.prefill_secs),
                "prompt_per_second": per_second(c.prompt_tokens, c.prefill_secs),
                "predicted_n": c.completion_tokens, "predicted_ms": c.decode_secs * 1e3,
                "predicted_per_token_ms": per_token_ms(c.completion_tokens, c.decode_secs),
                "predicted_per_second": per_second(c.completion_tokens, c.decode_secs),
            },
        })
    }
}

/// A snippet of another file in Tabby's `segments`.
#[derive(Debug, Deserialize)]
pub(crate) struct Snippet {
    filepath: String,
    body: String,
    #[allow(dead_code)]
    score: Option<f64>,
}

/// Tabby's `segments`: the text around the cursor and what the editor knows of the rest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Segments {
    prefix: String,
    suffix: Option<String>,
    filepath: Option<String>,
    #[allow(dead_code)]
    git_url: Option<String>,
    declarations: Option<Vec<Snippet>>,
    relevant_snippets_from_changed_files: Option<Vec<Snippet>>,
    relevant_snippets_from_recently_opened_files: Option<Vec<Snippet>>,
    #[allow(dead_code)]
    clipboard: Option<String>,
}

impl Segments {
    /// The cursor these segments describe, in `repo`; `language` as the client names it.
    pub(crate) fn site(self, repo: &Path, language: Option<&str>) -> TextSite {
        let extra = [
            self.declarations,
            self.relevant_snippets_from_changed_files,
            self.relevant_snippets_from_recently_opened_files,
        ]
        .into_iter()
        .flatten()
        .flatten()
        .map(|s| (relative_path(repo, &s.filepath), s.body))
        .collect();
        TextSite {
            prefix: self.prefix,
            suffix: self.suffix.unwrap_or_default(),
            path: self.filepath.map(|p| relative_path(repo, &p)),
            language: language.and_then(language_named),
            extra,
            ..TextSite::default()
        }
    }
}
