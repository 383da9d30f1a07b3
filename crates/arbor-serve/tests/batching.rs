//! Continuous batching in the server: concurrent requests share the model's steps, up to the
//! slots, and each gets the answer it would get alone; clients that leave stop their
//! samples at the next step.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use arbor_gen::{
    Batch, Completion, Conversation, Finished, Generate, GenerateError, GenerationParams, OnText,
    PromptFormat, StopReason,
};
use arbor_serve::{RunningServer, ServedModel};
use serde_json::json;

mod common;
use common::{events, json, long_stream, post, serve, wait_until_idle};

/// A model whose batch writes one word per step for every request in it, pausing a little
/// per step, and records how many samples each step decoded.
struct Lockstep {
    steps: Arc<Mutex<Vec<usize>>>,
}

struct Running {
    on_text: Option<OnText>,
    words: Vec<String>,
    max: usize,
    stopped: bool,
}

struct LockstepBatch {
    steps: Arc<Mutex<Vec<usize>>>,
    running: Vec<Option<Running>>,
}

impl Generate for Lockstep {
    fn conversation(&self, _: PromptFormat) -> Result<Box<dyn Conversation>, GenerateError> {
        Err(GenerateError::new("no chat"))
    }
    fn generate(
        &mut self,
        _: &str,
        _: &GenerationParams,
    ) -> Result<Vec<Completion>, GenerateError> {
        Err(GenerateError::new("batched only"))
    }
    fn batch(&mut self) -> Option<Box<dyn Batch + '_>> {
        Some(Box::new(LockstepBatch {
            steps: self.steps.clone(),
            running: Vec::new(),
        }))
    }
}

impl Batch for LockstepBatch {
    fn join(
        &mut self,
        _: &str,
        params: &GenerationParams,
        on_text: Option<OnText>,
    ) -> Result<usize, GenerateError> {
        self.running.push(Some(Running {
            on_text,
            words: Vec::new(),
            max: params.max_tokens,
            stopped: false,
        }));
        Ok(self.running.len() - 1)
    }
    fn step(&mut self) -> Result<Vec<Finished>, GenerateError> {
        std::thread::sleep(Duration::from_millis(3));
        self.steps.lock().unwrap().push(self.active());
        let mut finished = Vec::new();
        for (id, slot) in self.running.iter_mut().enumerate() {
            let Some(run) = slot else { continue };
            let word = format!(" w{}", run.words.len());
            if let Some(f) = run.on_text.as_mut() {
                run.stopped = f(&word).is_break();
            }
            run.words.push(word);
            if run.stopped || run.words.len() >= run.max {
                let run = slot.take().unwrap();
                finished.push((
                    id,
                    Ok(vec![Completion {
                        text: run.words.concat(),
                        prompt_tokens: 1,
                        completion_tokens: run.words.len(),
                        stop_reason: if run.stopped {
                            StopReason::Stopped
                        } else {
                            StopReason::MaxTokens
                        },
                        prefill_secs: 0.0,
                        decode_secs: 0.0,
                        mean_logprob: None,
                    }]),
                ));
            }
        }
        Ok(finished)
    }
    fn active(&self) -> usize {
        self.running.iter().flatten().count()
    }
}

/// A server on an empty folder with the [`Lockstep`] model; the samples of each of its steps.
fn lockstep_server() -> (RunningServer, Arc<Mutex<Vec<usize>>>, tempfile::TempDir) {
    let repo = tempfile::tempdir().unwrap();
    let steps = Arc::new(Mutex::new(Vec::new()));
    let model = ServedModel {
        name: "lockstep".into(),
        model: Box::new(Lockstep {
            steps: steps.clone(),
        }),
        format: PromptFormat::Completion,
        tokenizer: None,
    };
    let server = serve(repo.path(), Some(Box::new(move || Ok(model))));
    wait_until_idle(&server);
    (server, steps, repo)
}

#[test]
fn concurrent_requests_share_steps_up_to_the_slots() {
    // The shared test server has 4 slots.
    let (server, steps, _repo) = lockstep_server();
    let answers: Vec<String> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..7)
            .map(|i| {
                let server = &server;
                scope.spawn(move || {
                    let body =
                        json!({"prompt": format!("p{i}"), "max_tokens": 60, "stream": i % 2 == 0});
                    post(server, "/v1/completions", &body).1
                })
            })
            .collect();
        clients.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for (i, answer) in answers.iter().enumerate() {
        let text = if i % 2 == 0 {
            events(answer)
                .iter()
                .filter(|d| d.as_str() != "[DONE]")
                .map(|d| {
                    json(d)["choices"][0]["text"]
                        .as_str()
                        .unwrap_or("")
                        .to_string()
                })
                .collect::<String>()
        } else {
            json(answer)["choices"][0]["text"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let expected: String = (0..60).map(|w| format!(" w{w}")).collect();
        assert_eq!(text, expected, "client {i}");
    }
    let steps = steps.lock().unwrap().clone();
    let most = steps.iter().copied().max().unwrap();
    assert_eq!(most, 4, "at most the slots, and all of them: {steps:?}");
    // Seven requests of 60 words in steps of 4: far fewer steps than one at a time.
    assert!(steps.len() < 7 * 60 * 3 / 4, "{} steps", steps.len());
    server.shutdown().unwrap();
}

#[test]
fn clients_that_leave_leave_the_batch_at_the_next_step() {
    let (server, steps, _repo) = lockstep_server();
    // 200 long streams opened at once (far more than the slots), all dropped a moment later:
    // some are decoding, the rest queued.
    let streams: Vec<std::net::TcpStream> = (0..200).map(|_| long_stream(&server)).collect();
    std::thread::sleep(Duration::from_millis(200));
    assert!(!steps.lock().unwrap().is_empty(), "the batch ran");
    drop(streams);
    wait_until_idle(&server);
    let after = steps.lock().unwrap().len();
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        steps.lock().unwrap().len(),
        after,
        "nothing is decoded any more"
    );
    // And the server still answers.
    let (status, text) = post(
        &server,
        "/v1/completions",
        &json!({"prompt": "x", "max_tokens": 2}),
    );
    assert_eq!(status, 200, "{text}");
    assert_eq!(json(&text)["choices"][0]["text"], " w0 w1");
    server.shutdown().unwrap();
}

/// A tiny real model (random weights, written by the test) behind the server.
fn tiny_served(dir: &std::path::Path) -> ServedModel {
    let path = dir.join("tiny.gguf");
    arbor_lm::testing::write_tiny_model(&path, 21).unwrap();
    ServedModel {
        name: "tiny".into(),
        model: Box::new(arbor_lm::LlamaModel::load(&path).unwrap()),
        format: PromptFormat::Completion,
        tokenizer: None,
    }
}

#[test]
fn with_a_real_model_each_request_gets_what_it_would_get_alone() {
    let repo = tempfile::tempdir().unwrap();
    let served = tiny_served(repo.path());
    let server = serve(repo.path(), Some(Box::new(move || Ok(served))));
    wait_until_idle(&server);
    let prompts = [
        "def f(x):",
        "import os\n",
        "class A:",
        "return",
        "x = ",
        "# a",
    ];
    let bodies: Vec<serde_json::Value> = (0..6)
        .map(|i| {
            json!({"prompt": prompts[i],
                   "max_tokens": 24 + 4 * i, "temperature": 0.9, "seed": 100 + i,
                   "n": 1 + i % 3})
        })
        .collect();
    let alone: Vec<serde_json::Value> = bodies
        .iter()
        .map(|b| json(&post(&server, "/v1/completions", b).1)["choices"].clone())
        .collect();
    let together: Vec<serde_json::Value> = std::thread::scope(|scope| {
        let clients: Vec<_> = bodies
            .iter()
            .map(|b| {
                let server = &server;
                scope.spawn(move || json(&post(server, "/v1/completions", b).1)["choices"].clone())
            })
            .collect();
        clients.into_iter().map(|c| c.join().unwrap()).collect()
    });
    assert_eq!(together, alone);
    assert!(alone.iter().all(|c| c[0]["text"].as_str().is_some()));
    server.shutdown().unwrap();
}
