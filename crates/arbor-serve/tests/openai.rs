//! OpenAI's routes over a model that answers from a script (so every byte of the answer is
//! known): response shapes, streaming as server-sent events, bad requests, and a client that
//! leaves in the middle of a stream stopping its generation.

use std::io::{BufRead, BufReader};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arbor_gen::{
    Completion, Conversation, Generate, GenerateError, GenerationParams, PromptFormat, StopReason,
};
use arbor_serve::{RunningServer, ServedModel};

mod common;
use common::{agent, events, get, json, long_stream, post, serve, wait_until_idle};

/// Answers `words` of the prompt's length in tokens (one per word), one piece per word with
/// a pause, counting the pieces it produced.
struct Scripted {
    words: usize,
    pause: Duration,
    produced: Arc<AtomicUsize>,
}

struct Turns;

impl Conversation for Turns {
    fn format(&self) -> PromptFormat {
        PromptFormat::ChatMl
    }
    fn conversation(&self, message: &str, start: &str) -> Result<String, GenerateError> {
        Ok(format!("<user>{message}</user><assistant>{start}"))
    }
    fn messages(&self, turns: &[(String, String)]) -> Result<String, GenerateError> {
        let text: String = turns
            .iter()
            .map(|(r, c)| format!("<{r}>{c}</{r}>"))
            .collect();
        Ok(format!("{text}<assistant>"))
    }
}

impl Scripted {
    fn answer(
        &self,
        prompt: &str,
        params: &GenerationParams,
        seed: u64,
    ) -> Result<Vec<String>, GenerateError> {
        let tokens = prompt.split_whitespace().count();
        if tokens > 50 {
            return Err(GenerateError::new(format!(
                "the prompt has {tokens} tokens; the model's context holds 50"
            )));
        }
        let count = self.words.min(params.max_tokens);
        Ok((0..count)
            .map(|i| format!(" w{}", i as u64 + seed * 100))
            .collect())
    }

    fn completion(
        text: String,
        pieces: usize,
        params: &GenerationParams,
        prompt: &str,
    ) -> Completion {
        Completion {
            text,
            prompt_tokens: prompt.split_whitespace().count(),
            completion_tokens: pieces,
            stop_reason: if pieces >= params.max_tokens {
                StopReason::MaxTokens
            } else {
                StopReason::EndOfSequence
            },
            prefill_secs: 0.0,
            decode_secs: 0.0,
            mean_logprob: None,
        }
    }
}

impl Generate for Scripted {
    fn conversation(&self, _: PromptFormat) -> Result<Box<dyn Conversation>, GenerateError> {
        Ok(Box::new(Turns))
    }
    fn generate(
        &mut self,
        prompt: &str,
        params: &GenerationParams,
    ) -> Result<Vec<Completion>, GenerateError> {
        (0..params.n)
            .map(|i| {
                let pieces = self.answer(prompt, params, i as u64)?;
                self.produced.fetch_add(pieces.len(), Ordering::SeqCst);
                Ok(Self::completion(
                    pieces.concat(),
                    pieces.len(),
                    params,
                    prompt,
                ))
            })
            .collect()
    }
    fn generate_streaming(
        &mut self,
        prompt: &str,
        params: &GenerationParams,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Completion, GenerateError> {
        let pieces = self.answer(prompt, params, 0)?;
        let mut text = String::new();
        for piece in &pieces {
            std::thread::sleep(self.pause);
            self.produced.fetch_add(1, Ordering::SeqCst);
            text.push_str(piece);
            if on_text(piece).is_break() {
                let mut c = Self::completion(text, pieces.len(), params, prompt);
                c.stop_reason = StopReason::Stopped;
                return Ok(c);
            }
        }
        Ok(Self::completion(text, pieces.len(), params, prompt))
    }
}

fn start(words: usize, pause: Duration) -> (RunningServer, Arc<AtomicUsize>, tempfile::TempDir) {
    let repo = tempfile::tempdir().unwrap();
    let produced = Arc::new(AtomicUsize::new(0));
    let model = ServedModel {
        name: "scripted".into(),
        model: Box::new(Scripted {
            words,
            pause,
            produced: produced.clone(),
        }),
        format: PromptFormat::ChatMl,
        tokenizer: None,
    };
    let server = serve(repo.path(), Some(Box::new(move || Ok(model))));
    wait_until_idle(&server);
    (server, produced, repo)
}

#[test]
fn completions_and_chat_answer_in_openais_shapes() {
    let (server, _, _repo) = start(3, Duration::ZERO);
    let url = format!("http://{}/v1/models", server.address());
    let models = json(
        &agent()
            .get(&url)
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap(),
    );
    assert_eq!(models["object"], "list");
    assert_eq!(models["data"][0]["id"], "scripted");
    let (status, body) = post(
        &server,
        "/v1/completions",
        &serde_json::json!({
            "model": "scripted", "prompt": "def add(a, b):", "max_tokens": 10, "seed": 1,
        }),
    );
    assert_eq!(status, 200, "{body}");
    let answer = json(&body);
    assert_eq!(answer["object"], "text_completion");
    assert!(answer["id"].as_str().unwrap().starts_with("cmpl-"));
    assert_eq!(answer["model"], "scripted");
    assert_eq!(answer["choices"][0]["text"], " w0 w1 w2");
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        answer["usage"],
        serde_json::json!({"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6})
    );
    // n samples, cut at max_tokens.
    let (_, body) = post(
        &server,
        "/v1/completions",
        &serde_json::json!({"prompt": "x", "n": 2, "max_tokens": 2}),
    );
    let answer = json(&body);
    assert_eq!(answer["choices"].as_array().unwrap().len(), 2);
    assert_eq!(answer["choices"][1]["text"], " w100 w101");
    assert_eq!(answer["choices"][1]["finish_reason"], "length");
    // Chat: the turns go through the model's prompt format.
    let (status, body) = post(
        &server,
        "/v1/chat/completions",
        &serde_json::json!({
            "model": "scripted",
            "messages": [{"role": "system", "content": "Be brief."},
                         {"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
        }),
    );
    assert_eq!(status, 200, "{body}");
    let answer = json(&body);
    assert_eq!(answer["object"], "chat.completion");
    assert_eq!(answer["choices"][0]["message"]["role"], "assistant");
    assert_eq!(answer["choices"][0]["message"]["content"], " w0 w1 w2");
    // "<system>Be brief.</system><user>Hi</user><assistant>": two words.
    assert_eq!(answer["usage"]["prompt_tokens"], 2);
    server.shutdown().unwrap();
}

#[test]
fn streams_end_with_done_and_add_up_to_the_answer() {
    let (server, _, _repo) = start(4, Duration::from_millis(5));
    let (status, body) = post(
        &server,
        "/v1/completions",
        &serde_json::json!({
            "prompt": "x", "stream": true, "stream_options": {"include_usage": true},
        }),
    );
    assert_eq!(status, 200, "{body}");
    let data = events(&body);
    assert_eq!(data.last().unwrap(), "[DONE]");
    let chunks: Vec<serde_json::Value> = data[..data.len() - 1].iter().map(|d| json(d)).collect();
    let text: String = chunks
        .iter()
        .map(|c| c["choices"][0]["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, " w0 w1 w2 w3");
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert_eq!(last["usage"]["completion_tokens"], 4);
    assert!(chunks[..chunks.len() - 1]
        .iter()
        .all(|c| c["choices"][0]["finish_reason"].is_null()));
    let (_, body) = post(
        &server,
        "/v1/chat/completions",
        &serde_json::json!({
            "messages": [{"role": "user", "content": "Hi"}], "stream": true, "max_tokens": 2,
        }),
    );
    let data = events(&body);
    let chunks: Vec<serde_json::Value> = data[..data.len() - 1].iter().map(|d| json(d)).collect();
    assert_eq!(chunks[0]["object"], "chat.completion.chunk");
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, " w0 w1");
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "length"
    );
    server.shutdown().unwrap();
}

#[test]
fn bad_requests_get_openai_errors_and_the_server_keeps_serving() {
    let (server, _, _repo) = start(3, Duration::ZERO);
    let long: String = "word ".repeat(60);
    for (path, body, param) in [
        (
            "/v1/completions",
            serde_json::json!({"prompt": "x", "temperature": -1}),
            "temperature",
        ),
        (
            "/v1/completions",
            serde_json::json!({"prompt": "x", "n": 100}),
            "n",
        ),
        (
            "/v1/completions",
            serde_json::json!({"prompt": "x", "top_p": 0}),
            "top_p",
        ),
        (
            "/v1/completions",
            serde_json::json!({"prompt": "x", "logprobs": 5}),
            "logprobs",
        ),
        (
            "/v1/completions",
            serde_json::json!({"prompt": "x", "stream": true, "n": 2}),
            "n",
        ),
        (
            "/v1/completions",
            serde_json::json!({"prompt": long, "max_tokens": 5}),
            "prompt",
        ),
        (
            "/v1/chat/completions",
            serde_json::json!({"messages": []}),
            "messages",
        ),
        (
            "/v1/chat/completions",
            serde_json::json!({"messages": [{"role": "robot", "content": "x"}]}),
            "messages",
        ),
        (
            "/v1/chat/completions",
            serde_json::json!({"messages": [{"role": "user", "content": "x"}], "tools": [{}]}),
            "tools",
        ),
    ] {
        let (status, text) = post(&server, path, &body);
        assert_eq!(status, 400, "{body}: {text}");
        let error = &json(&text)["error"];
        assert_eq!(error["type"], "invalid_request_error", "{text}");
        assert_eq!(error["param"], param, "{body}: {text}");
    }
    let (status, text) = post(
        &server,
        "/v1/completions",
        &serde_json::json!({"prompt": "x", "colour": 1}),
    );
    assert_eq!(status, 400);
    assert!(text.contains("unknown field `colour`"), "{text}");
    let (_, text) = post(
        &server,
        "/v1/completions",
        &serde_json::json!({"prompt": "x"}),
    );
    assert_eq!(json(&text)["choices"][0]["text"], " w0 w1 w2");
    server.shutdown().unwrap();
}

#[test]
fn a_client_that_leaves_mid_stream_stops_its_generation() {
    let (server, produced, _repo) = start(2000, Duration::from_millis(2));
    let mut reader = BufReader::new(long_stream(&server));
    let mut seen = 0;
    let mut line = String::new();
    while seen < 3 {
        line.clear();
        reader.read_line(&mut line).unwrap();
        seen += usize::from(line.starts_with("data:"));
    }
    drop(reader);
    wait_until_idle(&server);
    let stopped_at = produced.load(Ordering::SeqCst);
    assert!(
        stopped_at < 2000,
        "{stopped_at} pieces: the generation ran to its end"
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(produced.load(Ordering::SeqCst), stopped_at);
    server.shutdown().unwrap();
}

#[test]
fn without_a_model_the_model_routes_say_so_and_while_it_loads_health_is_503() {
    let repo = tempfile::tempdir().unwrap();
    let server = serve(repo.path(), None);
    let (status, text) = post(
        &server,
        "/v1/completions",
        &serde_json::json!({"prompt": "x"}),
    );
    assert_eq!(status, 404);
    assert_eq!(json(&text)["error"]["code"], "model_not_found");
    assert_eq!(get(&server, "/health").0, 200);
    server.shutdown().unwrap();
    // A model that takes a moment to load: 503 until it has.
    let produced = Arc::new(AtomicUsize::new(0));
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let model = Scripted {
        words: 2,
        pause: Duration::ZERO,
        produced,
    };
    let server = serve(
        repo.path(),
        Some(Box::new(move || {
            let _ = wait.recv();
            Ok(ServedModel {
                name: "slow".into(),
                model: Box::new(model),
                format: PromptFormat::ChatMl,
                tokenizer: None,
            })
        })),
    );
    let (status, health) = get(&server, "/health");
    assert_eq!((status, health["status"].clone()), (503, "loading".into()));
    let (status, text) = post(
        &server,
        "/v1/completions",
        &serde_json::json!({"prompt": "x"}),
    );
    assert_eq!(
        (status, json(&text)["error"]["code"].clone()),
        (503, "model_loading".into())
    );
    // Search still answers meanwhile.
    assert_eq!(get(&server, "/api/search?q=x").0, 200);
    release.send(()).unwrap();
    wait_until_idle(&server);
    let (status, text) = post(
        &server,
        "/v1/completions",
        &serde_json::json!({"prompt": "x"}),
    );
    assert_eq!(
        (status, json(&text)["choices"][0]["text"].clone()),
        (200, " w0 w1".into())
    );
    server.shutdown().unwrap();
    // A model that does not load: 500 with the reason, on /health and on the model routes.
    let server = serve(
        repo.path(),
        Some(Box::new(|| Err("no such file: m.gguf".into()))),
    );
    let until = Instant::now() + Duration::from_secs(10);
    while get(&server, "/health").0 == 503 {
        assert!(Instant::now() < until);
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, health) = get(&server, "/health");
    assert_eq!(
        (status, health["error"].clone()),
        (500, "no such file: m.gguf".into())
    );
    let (status, text) = post(
        &server,
        "/v1/completions",
        &serde_json::json!({"prompt": "x"}),
    );
    assert_eq!(status, 500);
    assert!(text.contains("no such file: m.gguf"), "{text}");
    server.shutdown().unwrap();
}

#[test]
fn many_clients_that_leave_leave_no_generation_running() {
    let (server, produced, _repo) = start(2000, Duration::from_millis(2));
    // 60 streams opened at once, all dropped a moment later: the first is running, the
    // others are queued behind it.
    let streams: Vec<std::net::TcpStream> = (0..60).map(|_| long_stream(&server)).collect();
    std::thread::sleep(Duration::from_millis(200));
    drop(streams);
    wait_until_idle(&server);
    // Far less than one whole answer, let alone 60.
    let total = produced.load(Ordering::SeqCst);
    assert!(
        total < 2000,
        "{total} pieces generated for clients that had left"
    );
    // And the server still answers.
    let (status, _) = post(
        &server,
        "/v1/completions",
        &serde_json::json!({"prompt": "x", "max_tokens": 3}),
    );
    assert_eq!(status, 200);
    server.shutdown().unwrap();
}
