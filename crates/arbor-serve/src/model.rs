//! The model, owned by one worker thread that takes generation jobs in order of arrival.
//!
//! A job's prompt is rendered on the worker (a chat's turns through the model's own prompt
//! format), then generated: one sample streamed piece by piece (stopped as soon as its client
//! is gone: the stream's receiver or the reply's is dropped), or `n` samples decoded together
//! as one batch. Requests wait for the one before them: there is no batching across requests
//! yet.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use arbor_gen::{Completion, Generate, GenerationParams, PromptFormat};
use tokio::sync::{mpsc as tmpsc, oneshot};

/// A model to serve.
pub struct ServedModel {
    /// The name clients give (`model` in requests, `/v1/models`).
    pub name: String,
    /// The model.
    pub model: Box<dyn Generate + Send>,
    /// How chat requests are put to it.
    pub format: PromptFormat,
}

/// Loads the model to serve (on a thread of its own, while the server already answers).
pub type ModelLoader = Box<dyn FnOnce() -> Result<ServedModel, String> + Send>;

/// The server's model: none, loading, loaded, or failed to load.
pub(crate) enum ModelSlot {
    /// The server was started without a model.
    None,
    /// Loading; then loaded or failed.
    Configured(std::sync::OnceLock<Result<ModelHandle, String>>),
}

impl ModelSlot {
    /// The model's worker, when loaded.
    pub fn loaded(&self) -> Option<&ModelHandle> {
        match self {
            ModelSlot::Configured(slot) => slot.get().and_then(|r| r.as_ref().ok()),
            ModelSlot::None => None,
        }
    }
}

/// What to generate from.
#[derive(Debug)]
pub(crate) enum JobPrompt {
    /// Text, continued as it is.
    Text(String),
    /// A chat's `(role, content)` turns, the assistant's turn opened.
    Chat(Vec<(String, String)>),
}

/// One request's generation.
pub(crate) struct Job {
    pub prompt: JobPrompt,
    pub params: GenerationParams,
    /// Pieces of text as they are decoded (streaming: one sample).
    pub stream: Option<tmpsc::UnboundedSender<String>>,
    /// The completions, or why there are none (`true`: the client's fault).
    pub reply: oneshot::Sender<Result<Vec<Completion>, (bool, String)>>,
}

/// The worker's side that handlers see.
pub(crate) struct ModelHandle {
    /// The served name.
    pub name: String,
    /// The model's context length, when known.
    pub context: Option<usize>,
    jobs: std::sync::Mutex<mpsc::Sender<Job>>,
    /// Jobs queued or running.
    pub pending: Arc<AtomicUsize>,
}

impl ModelHandle {
    /// Starts the worker thread that owns `served`.
    pub fn start(served: ServedModel) -> std::io::Result<ModelHandle> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let pending = Arc::new(AtomicUsize::new(0));
        let context = served.model.context_length();
        let name = served.name.clone();
        let counter = pending.clone();
        std::thread::Builder::new()
            .name("arbor-serve-model".into())
            .spawn(move || work(served, queue, counter))?;
        Ok(ModelHandle {
            name,
            context,
            jobs: std::sync::Mutex::new(jobs),
            pending,
        })
    }

    /// Queues `job`; false when the worker is gone.
    pub fn submit(&self, job: Job) -> bool {
        self.pending.fetch_add(1, Ordering::SeqCst);
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(job)
            .is_ok();
        if !sent {
            self.pending.fetch_sub(1, Ordering::SeqCst);
        }
        sent
    }
}

/// The worker: each job in turn.
fn work(mut served: ServedModel, queue: mpsc::Receiver<Job>, pending: Arc<AtomicUsize>) {
    for job in queue {
        // A client that left while its job was queued costs nothing.
        if !job.reply.is_closed() {
            let Job {
                prompt,
                params,
                stream,
                reply,
            } = job;
            let result = run(&mut served, prompt, &params, stream, &reply);
            let _ = reply.send(result);
        }
        pending.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One job's completions.
fn run(
    served: &mut ServedModel,
    prompt: JobPrompt,
    params: &GenerationParams,
    stream: Option<tmpsc::UnboundedSender<String>>,
    reply: &oneshot::Sender<Result<Vec<Completion>, (bool, String)>>,
) -> Result<Vec<Completion>, (bool, String)> {
    let text = match prompt {
        JobPrompt::Text(text) => text,
        JobPrompt::Chat(turns) => served
            .model
            .conversation(served.format)
            .and_then(|c| c.messages(&turns))
            .map_err(|e| (true, e.to_string()))?,
    };
    let client_error = |e: arbor_gen::GenerateError| {
        let message = e.to_string();
        // The prompt's length is the client's to fix.
        (
            message.contains("context holds") || message.contains("empty"),
            message,
        )
    };
    if params.n > 1 {
        return served.model.generate(&text, params).map_err(client_error);
    }
    let mut on_text = |piece: &str| {
        let gone = match &stream {
            Some(stream) => stream.send(piece.to_string()).is_err(),
            None => reply.is_closed(),
        };
        if gone {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let completion = served
        .model
        .generate_streaming(&text, params, &mut on_text)
        .map_err(client_error)?;
    Ok(vec![completion])
}
