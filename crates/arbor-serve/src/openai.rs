//! OpenAI's API over the served model: `GET /v1/models`, `POST /v1/completions` and
//! `POST /v1/chat/completions`, with their request and response shapes, streaming as
//! server-sent events ending in `data: [DONE]`. Fields OpenAI defines that Arbor does not
//! implement are accepted at their defaults and refused otherwise, by name; unknown fields
//! are refused.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use arbor_complete::Trimmer;
use arbor_gen::{Completion, GenerationParams, StopReason};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use crate::error::ApiError;
use crate::model::{JobPrompt, ModelHandle, ModelSlot, Reply};
use crate::state::AppState;

/// The most samples one request may ask for.
pub const MAX_N: usize = 16;

/// One string or a list of them (`prompt`, `stop`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// Sampling fields both endpoints take.
#[derive(Debug, Deserialize)]
pub(crate) struct Sampling {
    max_tokens: Option<usize>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    n: Option<usize>,
    stream: Option<bool>,
    stop: Option<OneOrMany>,
    seed: Option<u64>,
    stream_options: Option<Value>,
    presence_penalty: Option<f64>,
    frequency_penalty: Option<f64>,
    logit_bias: Option<Value>,
    #[allow(dead_code)]
    user: Option<String>,
}

/// `POST /v1/completions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CompletionRequest {
    #[allow(dead_code)]
    model: Option<String>,
    /// The prompt; or, as Tabby's clients send it, `segments`.
    prompt: Option<OneOrMany>,
    /// Tabby: the text around the cursor and the editor's context (see [`crate::code`]).
    segments: Option<crate::code::Segments>,
    /// Tabby: the file's language (VS Code's identifier).
    language: Option<String>,
    /// Tabby: `standard` (the only mode served).
    mode: Option<String>,
    echo: Option<bool>,
    logprobs: Option<Value>,
    best_of: Option<usize>,
    suffix: Option<String>,
    #[serde(flatten)]
    sampling: Sampling,
}

/// A chat message's content: text, or OpenAI's list of parts (text parts only).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Content {
    Text(String),
    Parts(Vec<Value>),
}

/// A chat message.
#[derive(Debug, Deserialize)]
pub(crate) struct Message {
    role: String,
    content: Option<Content>,
}

/// `POST /v1/chat/completions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatRequest {
    #[allow(dead_code)]
    model: Option<String>,
    messages: Vec<Message>,
    max_completion_tokens: Option<usize>,
    logprobs: Option<bool>,
    top_logprobs: Option<usize>,
    tools: Option<Value>,
    tool_choice: Option<Value>,
    response_format: Option<Value>,
    #[serde(flatten)]
    sampling: Sampling,
}

/// What a request asks of the model, checked.
struct Checked {
    params: GenerationParams,
    stream: bool,
    include_usage: bool,
}

/// Refuses a field set to something other than its default, by name.
fn unsupported(name: &'static str, set: bool) -> Result<(), ApiError> {
    if set {
        return Err(ApiError::invalid(
            format!("`{name}` is not supported by this server"),
            Some(name),
        )
        .with_code("unsupported_parameter"));
    }
    Ok(())
}

impl Sampling {
    /// Checks the fields and makes the generation's parameters (OpenAI's defaults:
    /// temperature 1, top_p 1, `max_tokens` 16 for completions, `default_max` for chat).
    fn check(self, default_max: usize) -> Result<Checked, ApiError> {
        let temperature = self.temperature.unwrap_or(1.0);
        if !(0.0..=2.0).contains(&temperature) {
            return Err(ApiError::invalid(
                "temperature must be between 0 and 2",
                Some("temperature"),
            ));
        }
        let top_p = self.top_p.unwrap_or(1.0);
        if !(top_p > 0.0 && top_p <= 1.0) {
            return Err(ApiError::invalid("top_p must be in (0, 1]", Some("top_p")));
        }
        let n = self.n.unwrap_or(1);
        if !(1..=MAX_N).contains(&n) {
            return Err(ApiError::invalid(
                format!("n must be between 1 and {MAX_N}"),
                Some("n"),
            ));
        }
        let max_tokens = self.max_tokens.unwrap_or(default_max);
        if max_tokens == 0 {
            return Err(ApiError::invalid(
                "max_tokens must be at least 1",
                Some("max_tokens"),
            ));
        }
        let stop = self.stop.map(OneOrMany::into_vec).unwrap_or_default();
        if stop.len() > 4 || stop.iter().any(String::is_empty) {
            return Err(ApiError::invalid(
                "stop takes up to 4 non-empty strings",
                Some("stop"),
            ));
        }
        let stream = self.stream.unwrap_or(false);
        if stream && n > 1 {
            return Err(ApiError::invalid(
                "stream takes n = 1 on this server",
                Some("n"),
            ));
        }
        unsupported(
            "presence_penalty",
            self.presence_penalty.is_some_and(|p| p != 0.0),
        )?;
        unsupported(
            "frequency_penalty",
            self.frequency_penalty.is_some_and(|p| p != 0.0),
        )?;
        unsupported(
            "logit_bias",
            self.logit_bias
                .as_ref()
                .is_some_and(|b| !b.is_null() && b != &json!({})),
        )?;
        let include_usage = self
            .stream_options
            .as_ref()
            .and_then(|o| o.get("include_usage"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let seed = self.seed.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        });
        Ok(Checked {
            params: GenerationParams {
                max_tokens,
                temperature,
                top_p,
                seed,
                stop,
                n,
                ..GenerationParams::default()
            },
            stream,
            include_usage,
        })
    }
}

/// The served model: 404 when the server has none, 503 while it loads, 500 when it did not
/// load.
pub(crate) fn model(state: &AppState) -> Result<&ModelHandle, ApiError> {
    match &state.model {
        ModelSlot::None => Err(ApiError::not_found(
            "this server has no model: start it with `arbor serve --model NAME|PATH`",
        )
        .with_code("model_not_found")),
        ModelSlot::Configured(slot) => match slot.get() {
            None => Err(
                ApiError::internal("the model is loading; try again in a moment")
                    .with_status(StatusCode::SERVICE_UNAVAILABLE)
                    .with_code("model_loading"),
            ),
            Some(Err(why)) => Err(ApiError::internal(format!("the model did not load: {why}"))),
            Some(Ok(handle)) => Ok(handle),
        },
    }
}

/// `GET /v1/models`.
pub(crate) async fn models(State(state): State<Arc<AppState>>) -> Json<Value> {
    let data: Vec<Value> = state
        .model
        .loaded()
        .into_iter()
        .map(|m| json!({"id": m.name, "object": "model", "created": 0, "owned_by": "arbor", "context_length": m.context}))
        .collect();
    Json(json!({"object": "list", "data": data}))
}

/// `POST /v1/completions`.
pub(crate) async fn completions(
    State(state): State<Arc<AppState>>,
    body: Result<Json<CompletionRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let request = body?.0;
    unsupported("echo", request.echo == Some(true))?;
    unsupported(
        "logprobs",
        request.logprobs.as_ref().is_some_and(|l| !l.is_null()),
    )?;
    unsupported("best_of", request.best_of.is_some_and(|b| b > 1))?;
    unsupported(
        "suffix",
        request.suffix.as_deref().is_some_and(|s| !s.is_empty()),
    )?;
    if let Some(segments) = request.segments {
        if request.prompt.is_some() {
            return Err(ApiError::invalid(
                "give `prompt` or `segments`, not both",
                Some("segments"),
            ));
        }
        if request.mode.as_deref().is_some_and(|m| m != "standard") {
            return Err(ApiError::invalid(
                "only the `standard` mode is served",
                Some("mode"),
            ));
        }
        // Tabby's defaults: a short, near-greedy completion (greedy here).
        let mut sampling = request.sampling;
        sampling.temperature = sampling.temperature.or(Some(0.0));
        let mut checked = sampling.check(64)?;
        if checked.params.n > 1 {
            return Err(ApiError::invalid("segments take n = 1", Some("n")));
        }
        let handle = model(&state)?;
        let site = segments.site(&state.repo, request.language.as_deref());
        let job =
            crate::code::prepare(&state, handle, site, checked.params.max_tokens, false).await?;
        checked.params.stop_tokens = job.prompt.stop_tokens;
        let prompt = JobPrompt::Text(job.prompt.text);
        return respond(&state, prompt, checked, Kind::Text, Some(job.trim)).await;
    }
    unsupported("mode", request.mode.is_some())?;
    let mut prompts = request
        .prompt
        .ok_or_else(|| ApiError::invalid("`prompt` is required", Some("prompt")))?
        .into_vec();
    if prompts.len() != 1 {
        return Err(ApiError::invalid(
            "one prompt per request on this server",
            Some("prompt"),
        ));
    }
    let checked = request.sampling.check(16)?;
    let prompt = JobPrompt::Text(prompts.remove(0));
    respond(&state, prompt, checked, Kind::Text, None).await
}

/// `POST /v1/chat/completions`.
pub(crate) async fn chat_completions(
    State(state): State<Arc<AppState>>,
    body: Result<Json<ChatRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let request = body?.0;
    unsupported("logprobs", request.logprobs == Some(true))?;
    unsupported("top_logprobs", request.top_logprobs.is_some())?;
    unsupported(
        "tools",
        request.tools.as_ref().is_some_and(|t| !t.is_null()),
    )?;
    unsupported(
        "tool_choice",
        request.tool_choice.as_ref().is_some_and(|t| !t.is_null()),
    )?;
    unsupported(
        "response_format",
        request.response_format.as_ref().is_some_and(|f| {
            f.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t != "text")
        }),
    )?;
    if request.messages.is_empty() {
        return Err(ApiError::invalid(
            "messages must not be empty",
            Some("messages"),
        ));
    }
    let mut turns = Vec::new();
    for message in request.messages {
        let text = match message.content {
            None => String::new(),
            Some(Content::Text(text)) => text,
            Some(Content::Parts(parts)) => {
                let mut text = String::new();
                for part in parts {
                    match (
                        part.get("type").and_then(Value::as_str),
                        part.get("text").and_then(Value::as_str),
                    ) {
                        (Some("text"), Some(piece)) => text.push_str(piece),
                        _ => {
                            return Err(ApiError::invalid(
                                "only text content parts are supported",
                                Some("messages"),
                            ))
                        }
                    }
                }
                text
            }
        };
        if !matches!(
            message.role.as_str(),
            "system" | "developer" | "user" | "assistant"
        ) {
            return Err(ApiError::invalid(
                format!("unknown role `{}`", message.role),
                Some("messages"),
            ));
        }
        let role = if message.role == "developer" {
            "system".to_string()
        } else {
            message.role
        };
        turns.push((role, text));
    }
    let mut sampling = request.sampling;
    sampling.max_tokens = sampling.max_tokens.or(request.max_completion_tokens);
    let checked = sampling.check(512)?;
    respond(&state, JobPrompt::Chat(turns), checked, Kind::Chat, None).await
}

/// Which endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Chat,
}

/// OpenAI's `finish_reason`.
fn finish_reason(reason: StopReason) -> &'static str {
    match reason {
        StopReason::MaxTokens | StopReason::ContextFull => "length",
        StopReason::EndOfSequence | StopReason::StopSequence | StopReason::Stopped => "stop",
    }
}

fn usage(completions: &[Completion]) -> Value {
    let prompt = completions.first().map_or(0, |c| c.prompt_tokens);
    let generated: usize = completions.iter().map(|c| c.completion_tokens).sum();
    json!({"prompt_tokens": prompt, "completion_tokens": generated, "total_tokens": prompt + generated})
}

/// What every part of one response carries: its kind, id, model name and creation time.
struct Head {
    kind: Kind,
    id: String,
    name: String,
    created: u64,
}

impl Head {
    /// A new response's head (`cmpl-…` or `chatcmpl-…` and 24 random hex digits).
    fn new(kind: Kind, name: String) -> Head {
        let mut bytes = [0u8; 12];
        // Without randomness the id is only less unique, never wrong.
        let _ = getrandom::fill(&mut bytes);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let id = match kind {
            Kind::Text => format!("cmpl-{hex}"),
            Kind::Chat => format!("chatcmpl-{hex}"),
        };
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Head {
            kind,
            id,
            name,
            created,
        }
    }
}

/// A generation that ended without an answer (its worker went away).
pub(crate) fn dropped() -> ApiError {
    ApiError::internal("the generation was dropped")
}

/// The model's error as the client sees it.
pub(crate) fn generation_error((client, message): (bool, String)) -> ApiError {
    if client {
        ApiError::invalid(message, Some("prompt")).with_code("context_length_exceeded")
    } else {
        ApiError::internal(message)
    }
}

/// Queues the job and answers: the whole response, or an event stream.
async fn respond(
    state: &Arc<AppState>,
    prompt: JobPrompt,
    checked: Checked,
    kind: Kind,
    trim: Option<Trimmer>,
) -> Result<Response, ApiError> {
    let handle = model(state)?;
    let (stream, replied) = handle
        .ask(prompt, checked.params, checked.stream, trim)
        .map_err(ApiError::internal)?;
    let head = Head::new(kind, handle.name.clone());
    match stream {
        None => {
            let completions = replied
                .await
                .map_err(|_| dropped())?
                .map_err(generation_error)?;
            Ok(Json(whole(&head, &completions)).into_response())
        }
        Some(pieces) => Ok(events(head, pieces, replied, checked.include_usage)),
    }
}

/// A non-streamed response.
fn whole(head: &Head, completions: &[Completion]) -> Value {
    let choices: Vec<Value> = completions
        .iter()
        .enumerate()
        .map(|(index, c)| match head.kind {
            Kind::Text => json!({"text": c.text, "index": index, "logprobs": null,
                                  "finish_reason": finish_reason(c.stop_reason)}),
            Kind::Chat => {
                json!({"index": index, "message": {"role": "assistant", "content": c.text},
                                  "logprobs": null, "finish_reason": finish_reason(c.stop_reason)})
            }
        })
        .collect();
    let object = match head.kind {
        Kind::Text => "text_completion",
        Kind::Chat => "chat.completion",
    };
    json!({"id": head.id, "object": object, "created": head.created, "model": head.name,
           "choices": choices, "usage": usage(completions)})
}

/// One chunk of a stream.
fn chunk(head: &Head, text: Option<&str>, finish: Option<&str>, first: bool) -> Value {
    let (id, created, name) = (&head.id, head.created, &head.name);
    match head.kind {
        Kind::Text => {
            json!({"id": id, "object": "text_completion", "created": created, "model": name,
            "choices": [{"text": text.unwrap_or(""), "index": 0, "logprobs": null, "finish_reason": finish}]})
        }
        Kind::Chat => {
            let mut delta = json!({});
            if first {
                delta["role"] = "assistant".into();
            }
            if let Some(text) = text {
                delta["content"] = text.into();
            }
            json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": name,
                "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]})
        }
    }
}

/// The server-sent events of a streamed response: a chunk per piece of text, a last chunk
/// with the finish reason (and usage, when asked), then `[DONE]`. A client that goes away
/// drops the stream, and with it the generation.
fn events(
    head: Head,
    pieces: mpsc::UnboundedReceiver<String>,
    replied: oneshot::Receiver<Reply>,
    include_usage: bool,
) -> Response {
    let head = Arc::new(head);
    let last_head = head.clone();
    event_stream(
        pieces,
        replied,
        move |text, first| chunk(&head, Some(text), None, first),
        move |result, first| match result {
            Ok(completions) => {
                let reason = completions
                    .first()
                    .map_or("stop", |c| finish_reason(c.stop_reason));
                let mut last = chunk(&last_head, None, Some(reason), first);
                if include_usage {
                    last["usage"] = usage(&completions);
                }
                last
            }
            // The error as a response body would carry it.
            Err(error) => error.body(),
        },
        true,
    )
}

/// A stream of server-sent events over a job: `piece(text, first)` for each piece of text,
/// `last(result, first)` once the job has answered, then `data: [DONE]` when `done`.
pub(crate) fn event_stream(
    pieces: mpsc::UnboundedReceiver<String>,
    replied: oneshot::Receiver<Reply>,
    piece: impl Fn(&str, bool) -> Value + Send + Sync + 'static,
    last: impl Fn(Result<Vec<Completion>, ApiError>, bool) -> Value + Send + Sync + 'static,
    done: bool,
) -> Response {
    enum Phase {
        Pieces(
            mpsc::UnboundedReceiver<String>,
            oneshot::Receiver<Reply>,
            bool,
        ),
        Done,
        Over,
    }
    let shapes = Arc::new((piece, last));
    let stream = futures_util::stream::unfold(Phase::Pieces(pieces, replied, true), move |phase| {
        let shapes = shapes.clone();
        async move {
            match phase {
                Phase::Pieces(mut pieces, replied, first) => match pieces.recv().await {
                    Some(text) => {
                        let data = (shapes.0)(&text, first);
                        Some((
                            Event::default().data(data.to_string()),
                            Phase::Pieces(pieces, replied, false),
                        ))
                    }
                    None => {
                        let result = match replied.await {
                            Ok(reply) => reply.map_err(generation_error),
                            Err(_) => Err(dropped()),
                        };
                        let data = (shapes.1)(result, first);
                        let next = if done { Phase::Done } else { Phase::Over };
                        Some((Event::default().data(data.to_string()), next))
                    }
                },
                Phase::Done => Some((Event::default().data("[DONE]"), Phase::Over)),
                Phase::Over => None,
            }
        }
    });
    let stream = futures_util::StreamExt::map(stream, Ok::<Event, Infallible>);
    (StatusCode::OK, Sse::new(stream)).into_response()
}
