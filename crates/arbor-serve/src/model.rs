//! The model, owned by one worker thread that takes generation jobs in order of arrival.
//!
//! A job's prompt is rendered on the worker (a chat's turns through the model's own prompt
//! format), then generated: one sample streamed piece by piece (stopped as soon as its client
//! is gone: the stream's receiver or the reply's is dropped), or `n` samples decoded together
//! as one batch. Requests wait for the one before them: there is no batching across requests
//! yet. A code completion's text (`/infill`, Tabby's segments) is cut to the cursor's block
//! as it is generated ([`arbor_complete::Trimmer`]): generation stops where the block ends.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use arbor_complete::Trimmer;
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
    /// Its vocabulary, for code completion at a cursor (`/infill`, Tabby's `segments`):
    /// prompts are packed to its token counts in its fill-in-the-middle and file-separator
    /// spellings. Without it those requests get 501.
    pub tokenizer: Option<arbor_lm::LmTokenizer>,
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
struct Job {
    prompt: JobPrompt,
    params: GenerationParams,
    /// Pieces of text as they are decoded (streaming: one sample).
    stream: Option<tmpsc::UnboundedSender<String>>,
    /// A code completion's cut (one sample): what is streamed and returned ends with the
    /// cursor's block.
    trim: Option<Trimmer>,
    /// The completions, or why there are none.
    reply: oneshot::Sender<Reply>,
}

/// A job's completions, or why there are none (`true`: the client's fault).
pub(crate) type Reply = Result<Vec<Completion>, (bool, String)>;

/// A model's vocabulary and the prompt format it supports, for code completion.
pub(crate) struct CodeVocabulary {
    pub tokenizer: arbor_lm::LmTokenizer,
    pub format: arbor_complete::PromptFormat,
}

/// The worker's side that handlers see.
pub(crate) struct ModelHandle {
    /// The served name.
    pub name: String,
    /// The model's context length, when known.
    pub context: Option<usize>,
    /// The vocabulary for code completion, when the model came with one.
    pub code: Option<Arc<CodeVocabulary>>,
    jobs: std::sync::Mutex<mpsc::Sender<Job>>,
    /// Jobs queued or running.
    pub pending: Arc<AtomicUsize>,
}

impl ModelHandle {
    /// Starts the worker thread that owns `served`.
    pub fn start(mut served: ServedModel) -> std::io::Result<ModelHandle> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let code = served.tokenizer.take().map(|tokenizer| {
            let format = arbor_complete::PromptFormat::for_tokenizer(&tokenizer);
            Arc::new(CodeVocabulary { tokenizer, format })
        });
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
            code,
            jobs: std::sync::Mutex::new(jobs),
            pending,
        })
    }

    /// Queues a generation of `prompt`: returns the stream of its pieces of text (when
    /// `stream`) and its reply.
    pub fn ask(
        &self,
        prompt: JobPrompt,
        params: GenerationParams,
        stream: bool,
        trim: Option<Trimmer>,
    ) -> Result<
        (
            Option<tmpsc::UnboundedReceiver<String>>,
            oneshot::Receiver<Reply>,
        ),
        String,
    > {
        let (reply, replied) = oneshot::channel();
        let (pieces, receiver) = if stream {
            let (tx, rx) = tmpsc::unbounded_channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let job = Job {
            prompt,
            params,
            stream: pieces,
            trim,
            reply,
        };
        if self.submit(job) {
            Ok((receiver, replied))
        } else {
            Err("the model's worker is gone".into())
        }
    }

    /// Queues `job`; false when the worker is gone.
    fn submit(&self, job: Job) -> bool {
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
                trim,
                reply,
            } = job;
            let result = run(
                &mut served,
                prompt,
                &params,
                Client {
                    stream,
                    reply: &reply,
                },
                trim,
            );
            let _ = reply.send(result);
        }
        pending.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Where a job's text goes: its stream, or (unstreamed) only its reply, whose closing says
/// the client left.
struct Client<'a> {
    stream: Option<tmpsc::UnboundedSender<String>>,
    reply: &'a oneshot::Sender<Reply>,
}

impl Client<'_> {
    /// Hands `piece` on; `Break` when the client is gone.
    fn send(&self, piece: &str) -> ControlFlow<()> {
        let gone = match &self.stream {
            Some(stream) => stream.send(piece.to_string()).is_err(),
            None => self.reply.is_closed(),
        };
        if gone {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// One job's completions.
fn run(
    served: &mut ServedModel,
    prompt: JobPrompt,
    params: &GenerationParams,
    client: Client<'_>,
    trim: Option<Trimmer>,
) -> Reply {
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
    let Some(mut trimmer) = trim else {
        let completion = served
            .model
            .generate_streaming(&text, params, &mut |piece| client.send(piece))
            .map_err(client_error)?;
        return Ok(vec![completion]);
    };
    let mut completion = served
        .model
        .generate_streaming(&text, params, &mut |piece| {
            let (shown, ended) = trimmer.push(piece);
            if !shown.is_empty() && client.send(&shown).is_break() {
                return ControlFlow::Break(());
            }
            if ended {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .map_err(client_error)?;
    let rest = trimmer.finish();
    if !rest.is_empty() {
        let _ = client.send(&rest);
    }
    completion.text = trimmer.text();
    Ok(vec![completion])
}
