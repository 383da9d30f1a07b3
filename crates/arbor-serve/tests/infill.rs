//! Code completion at a cursor over HTTP: llama.cpp's `/infill` with the body llama.vscode
//! sends, and Tabby's `segments` on `/v1/completions`. The model answers from a script and
//! records the prompts it was given, so the tests see both ends: what the packed prompt
//! holds (fill-in-the-middle tokens, the client's files, the repository's definitions) and
//! how the answer is cut to the cursor's block.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

use arbor_gen::{
    Completion, Conversation, Generate, GenerateError, GenerationParams, PromptFormat, StopReason,
};
use arbor_serve::{RunningServer, ServedModel};
use serde_json::json;

mod common;
use common::{events, json, post, serve, wait_until_idle};

/// Answers every prompt with the same pieces, recording the prompts.
struct Canned {
    pieces: Vec<&'static str>,
    prompts: Arc<Mutex<Vec<String>>>,
}

impl Generate for Canned {
    fn conversation(&self, _: PromptFormat) -> Result<Box<dyn Conversation>, GenerateError> {
        Err(GenerateError::new("no chat"))
    }
    fn generate(
        &mut self,
        prompt: &str,
        params: &GenerationParams,
    ) -> Result<Vec<Completion>, GenerateError> {
        let one = self.generate_streaming(prompt, params, &mut |_| ControlFlow::Continue(()))?;
        Ok(vec![one])
    }
    fn generate_streaming(
        &mut self,
        prompt: &str,
        params: &GenerationParams,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Completion, GenerateError> {
        self.prompts.lock().unwrap().push(prompt.to_string());
        let mut text = String::new();
        let mut stop_reason = StopReason::EndOfSequence;
        for piece in self.pieces.iter().take(params.max_tokens) {
            text.push_str(piece);
            if on_text(piece).is_break() {
                stop_reason = StopReason::Stopped;
                break;
            }
        }
        Ok(Completion {
            completion_tokens: text.split_whitespace().count(),
            text,
            prompt_tokens: prompt.split_whitespace().count(),
            stop_reason,
            prefill_secs: 0.01,
            decode_secs: 0.02,
            mean_logprob: None,
        })
    }
}

/// The answer the model gives: the body of `double`, then a function of its own that the
/// block-end rule must cut off.
const ANSWER: &[&str] = &[
    "\n    ",
    "return scale(",
    "values, 2)\n",
    "\n",
    "def other():\n",
    "    pass\n",
];

/// A vocabulary with `specials` added (the tiny test vocabulary's GGUF).
fn tokenizer(dir: &std::path::Path, specials: &[&str]) -> arbor_lm::LmTokenizer {
    let path = dir.join("vocab.gguf");
    arbor_lm::testing::write_tiny_gguf_with_specials(&path, specials, &[]).unwrap();
    arbor_lm::LmTokenizer::load(&path).unwrap()
}

const STARCODER: &[&str] = &[
    "<fim_prefix>",
    "<fim_middle>",
    "<fim_suffix>",
    "<repo_name>",
    "<file_sep>",
];

/// A server on a repository that defines `scale`, with the canned model and a vocabulary of
/// `specials` (none: the model is served without its vocabulary).
fn start(specials: Option<&[&str]>) -> (RunningServer, Arc<Mutex<Vec<String>>>, tempfile::TempDir) {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join("util.py"),
        "def scale(values, factor):\n    return [v * factor for v in values]\n",
    )
    .unwrap();
    let vocab = tempfile::tempdir().unwrap();
    let tokenizer = specials.map(|s| tokenizer(vocab.path(), s));
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let model = ServedModel {
        name: "canned".into(),
        model: Box::new(Canned {
            pieces: ANSWER.to_vec(),
            prompts: prompts.clone(),
        }),
        format: PromptFormat::Completion,
        tokenizer,
    };
    let server = serve(repo.path(), Some(Box::new(move || Ok(model))));
    wait_until_idle(&server);
    // The index is brought up to date now, not in the background.
    assert_eq!(post(&server, "/api/index", &json!({})).0, 200);
    (server, prompts, repo)
}

/// The body llama.vscode sends (its `createRequestPayload`), cursor in an empty function.
fn llama_vscode_body(stream: bool) -> serde_json::Value {
    json!({
        "input_prefix": "from util import scale\n\ndef double(values):\n",
        "input_suffix": "\n\nprint(double([1, 2]))\n",
        "input_extra": [{"text": "LIMIT = 42\n", "time": 1_700_000_000, "filename": "consts.py"}],
        "prompt": "    ",
        "n_predict": 128,
        "top_k": 40,
        "top_p": 0.99,
        "stream": stream,
        "samplers": ["top_k", "top_p", "infill"],
        "cache_prompt": true,
        "n_indent": 4,
        "t_max_prompt_ms": 500,
        "t_max_predict_ms": 1000,
    })
}

#[test]
fn infill_answers_llama_vscode_with_the_block_at_the_cursor() {
    let (server, prompts, _repo) = start(Some(STARCODER));
    let (status, text) = post(&server, "/infill", &llama_vscode_body(false));
    assert_eq!(status, 200, "{text}");
    let body = json(&text);
    // The healed indentation is the editor's; the model's own function is cut off.
    assert_eq!(body["content"], "return scale(values, 2)");
    assert_eq!(body["stop"], true);
    assert_eq!(body["stop_type"], "eos");
    assert_eq!(body["model"], "canned");
    assert!(body["timings"]["predicted_ms"].as_f64().unwrap() > 0.0);
    // The prompt: repository, the client's file, the definition of `scale` from the
    // repository, then prefix-suffix-middle.
    let seen = prompts.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let prompt = &seen[0];
    assert_eq!(body["prompt"], prompt.as_str());
    assert!(
        prompt.contains("<file_sep>consts.py\nLIMIT = 42"),
        "{prompt}"
    );
    assert!(
        prompt.contains("<file_sep>util.py\ndef scale(values, factor):"),
        "{prompt}"
    );
    assert!(
        prompt.ends_with(
            "<fim_prefix>from util import scale\n\ndef double(values):<fim_suffix>\n\nprint(double([1, 2]))\n<fim_middle>"
        ),
        "{prompt}"
    );
    // Streamed: the pieces add up to the same text; the last event has the totals.
    let (status, text) = post(&server, "/infill", &llama_vscode_body(true));
    assert_eq!(status, 200, "{text}");
    let data: Vec<serde_json::Value> = events(&text).iter().map(|d| json(d)).collect();
    let (last, pieces) = data.split_last().unwrap();
    let streamed: String = pieces
        .iter()
        .map(|p| {
            assert_eq!(p["stop"], false);
            p["content"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(streamed, "return scale(values, 2)");
    assert_eq!(last["stop"], true);
    assert_eq!(last["content"], "");
    assert!(
        !text.contains("[DONE]"),
        "llama.cpp's streams have no [DONE]"
    );
}

#[test]
fn infill_refuses_what_it_cannot_serve_and_warms_up_for_free() {
    let (server, prompts, _repo) = start(Some(STARCODER));
    // llama.vscode's warm-up request: no text, no generation.
    let mut warm = llama_vscode_body(false);
    warm["n_predict"] = 0.into();
    warm["samplers"] = json!([]);
    let (status, text) = post(&server, "/infill", &warm);
    assert_eq!((status, json(&text)["content"].clone()), (200, "".into()));
    assert!(prompts.lock().unwrap().is_empty());
    // A field neither llama.cpp nor Arbor knows.
    let mut odd = llama_vscode_body(false);
    odd["temprature"] = 0.5.into();
    let (status, text) = post(&server, "/infill", &odd);
    assert_eq!(status, 400, "{text}");
    assert!(json(&text)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("temprature"));
    let (status, _) = post(&server, "/infill", &json!({"input_extra": [{"text": 1}]}));
    assert_eq!(status, 400);
    // A vocabulary without fill-in-the-middle tokens, and none at all: 501.
    let (server, _, _repo) = start(Some(&["<file_sep>", "<repo_name>"]));
    let (status, text) = post(&server, "/infill", &llama_vscode_body(false));
    assert_eq!(status, 501, "{text}");
    assert!(text.contains("fill-in-the-middle"), "{text}");
    let (server, _, _repo) = start(None);
    let (status, text) = post(&server, "/infill", &llama_vscode_body(false));
    assert_eq!(status, 501, "{text}");
    // Still serving.
    assert_eq!(post(&server, "/api/index", &json!({})).0, 200);
}

/// Tabby's body: the cursor's file named, a declaration from the editor's language server.
fn tabby_body() -> serde_json::Value {
    json!({
        "language": "python",
        "segments": {
            "prefix": "from util import scale\n\ndef double(values):\n    ",
            "suffix": "\n\nprint(double([1, 2]))\n",
            "filepath": "app/main.py",
            "git_url": "",
            "declarations": [{"filepath": "app/shapes.py", "body": "class Circle:\n    radius: float\n"}],
            "relevant_snippets_from_changed_files": [{"filepath": "app/io.py", "body": "def load(path): ...\n", "score": 0.5}],
        },
        "temperature": 0.1,
    })
}

#[test]
fn tabby_segments_complete_at_the_cursor_with_or_without_fill_in_the_middle() {
    let (server, prompts, _repo) = start(Some(STARCODER));
    let (status, text) = post(&server, "/v1/completions", &tabby_body());
    assert_eq!(status, 200, "{text}");
    let body = json(&text);
    assert_eq!(body["choices"][0]["text"], "return scale(values, 2)");
    assert!(body["id"].as_str().unwrap().starts_with("cmpl-"));
    let prompt = prompts.lock().unwrap().pop().unwrap();
    for part in [
        "<file_sep>app/shapes.py\nclass Circle:",
        "<file_sep>app/io.py\ndef load(path)",
        "<file_sep>util.py\ndef scale(",
        "<file_sep>app/main.py\n<fim_prefix>",
    ] {
        assert!(prompt.contains(part), "{part} not in {prompt}");
    }
    // SmolLM2's kind of vocabulary: no fill-in-the-middle, the prompt ends at the cursor
    // (healed: at the end of the line before it).
    let (server, prompts, _repo) = start(Some(&["<file_sep>", "<repo_name>"]));
    let (status, text) = post(&server, "/v1/completions", &tabby_body());
    assert_eq!(status, 200, "{text}");
    assert_eq!(json(&text)["choices"][0]["text"], "return scale(values, 2)");
    let prompt = prompts.lock().unwrap().pop().unwrap();
    assert!(
        prompt.ends_with("<file_sep>app/main.py\nfrom util import scale\n\ndef double(values):"),
        "{prompt}"
    );
    // Both a prompt and segments, another mode, an unknown segment field: 400.
    let mut both = tabby_body();
    both["prompt"] = "x".into();
    assert_eq!(post(&server, "/v1/completions", &both).0, 400);
    let mut edit = tabby_body();
    edit["mode"] = "next_edit_suggestion".into();
    assert_eq!(post(&server, "/v1/completions", &edit).0, 400);
    let mut odd = tabby_body();
    odd["segments"]["cursor"] = 3.into();
    assert_eq!(post(&server, "/v1/completions", &odd).0, 400);
}
