//! The model, owned by one worker thread that decodes the requests together.
//!
//! A job's prompt is rendered on the worker (a chat's turns through the model's own prompt
//! format) and joins the model's batch at the next step while the batch has free slots
//! (samples decoded at once; a job larger than all the slots runs when the batch is empty):
//! continuous batching, so a request starts within a step of arriving instead of waiting for
//! the ones before it to finish. Each job's text goes piece by piece to its stream (or is
//! only checked, unstreamed, against its client still waiting); a job whose client has gone
//! stops at the next token, samples and all. A code completion's text (`/infill`, Tabby's
//! segments) is cut to the cursor's block as it is generated ([`arbor_complete::Trimmer`]):
//! generation stops where the block ends. A model that cannot batch runs the jobs one after
//! the other.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};

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
    /// Starts the worker thread that owns `served`, decoding up to `slots` samples at once.
    pub fn start(mut served: ServedModel, slots: usize) -> std::io::Result<ModelHandle> {
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
            .spawn(move || work(served, queue, counter, slots.max(1)))?;
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

/// The worker: jobs decoded together in the model's batch (continuous batching: a job joins
/// at the next step while there are free slots, and leaves when it is done), or one after
/// the other for a model that cannot batch.
fn work(
    mut served: ServedModel,
    queue: mpsc::Receiver<Job>,
    pending: Arc<AtomicUsize>,
    slots: usize,
) {
    let conversation = served.model.conversation(served.format);
    let mut worker = Worker {
        queue,
        pending,
        conversation,
        held: None,
    };
    loop {
        let Some(mut batch) = served.model.batch() else {
            break;
        };
        if !worker.batched(&mut *batch, slots) {
            return;
        }
    }
    // A model that cannot batch: each job alone.
    while let Some(job) = worker.next(true) {
        if let Some(ready) = worker.ready(job) {
            let Ready {
                text,
                params,
                mut on_text,
                answer,
            } = ready;
            let result = if params.n > 1 {
                served.model.generate(&text, &params)
            } else {
                served
                    .model
                    .generate_streaming(&text, &params, &mut *on_text)
                    .map(|c| vec![c])
            };
            worker.answer(answer, result.map_err(client_error));
        }
    }
}

/// The worker's queue and what every job needs.
struct Worker {
    queue: mpsc::Receiver<Job>,
    pending: Arc<AtomicUsize>,
    /// How chat jobs are put to the model (or why they cannot be).
    conversation: Result<Box<dyn arbor_gen::Conversation>, arbor_gen::GenerateError>,
    /// A job taken from the queue that waits for room in the batch.
    held: Option<Job>,
}

/// A job made ready to generate: its prompt, its parameters, what hands its text on, and
/// what answers its client.
struct Ready {
    text: String,
    params: GenerationParams,
    on_text: arbor_gen::OnText,
    answer: Answer,
}

/// What answers a job's client when its completions are in.
struct Answer {
    /// Shared with the job's callback, which asks it whether the client is still there.
    reply: Arc<Mutex<Option<oneshot::Sender<Reply>>>>,
    stream: Option<tmpsc::UnboundedSender<String>>,
    trim: Option<Arc<Mutex<Trimmer>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The model's error as the worker answers it: the prompt's length is the client's to fix.
fn client_error(e: arbor_gen::GenerateError) -> (bool, String) {
    let message = e.to_string();
    (
        message.contains("context holds") || message.contains("empty"),
        message,
    )
}

impl Worker {
    /// The next job to start: one held back, else the queue's (waiting for it when `wait`);
    /// `None` when there is none now (or, waiting, ever again).
    fn next(&mut self, wait: bool) -> Option<Job> {
        loop {
            let job = match self.held.take() {
                Some(job) => job,
                None if wait => self.queue.recv().ok()?,
                None => self.queue.try_recv().ok()?,
            };
            // A client that left while its job was queued costs nothing.
            if !job.reply.is_closed() {
                return Some(job);
            }
            self.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Answers a job's client and counts the job done.
    fn answer(&self, answer: Answer, result: Reply) {
        let result = result.map(|mut completions| {
            if let Some(trim) = &answer.trim {
                let mut trim = lock(trim);
                let rest = trim.finish();
                if let (Some(stream), false) = (&answer.stream, rest.is_empty()) {
                    let _ = stream.send(rest);
                }
                if let Some(first) = completions.first_mut() {
                    first.text = trim.text();
                }
            }
            completions
        });
        if let Some(reply) = lock(&answer.reply).take() {
            let _ = reply.send(result);
        }
        self.pending.fetch_sub(1, Ordering::SeqCst);
    }

    /// Renders a job's prompt and makes its callback: the text goes through the job's cut
    /// (a code completion) to its stream; `Break` once the cut has ended or the client has
    /// gone. `None` (the client answered) when the prompt cannot be rendered.
    fn ready(&self, job: Job) -> Option<Ready> {
        let answer = Answer {
            reply: Arc::new(Mutex::new(Some(job.reply))),
            stream: job.stream,
            trim: job.trim.map(|t| Arc::new(Mutex::new(t))),
        };
        let text = match job.prompt {
            JobPrompt::Text(text) => Ok(text),
            JobPrompt::Chat(turns) => match &self.conversation {
                Ok(c) => c.messages(&turns).map_err(|e| (true, e.to_string())),
                Err(e) => Err((true, e.to_string())),
            },
        };
        let text = match text {
            Ok(text) => text,
            Err(error) => {
                self.answer(answer, Err(error));
                return None;
            }
        };
        let (reply, stream, trim) = (
            answer.reply.clone(),
            answer.stream.clone(),
            answer.trim.clone(),
        );
        let on_text: arbor_gen::OnText = Box::new(move |piece: &str| {
            let (shown, ended) = match &trim {
                Some(trim) => lock(trim).push(piece),
                None => (piece.to_string(), false),
            };
            let gone = match &stream {
                Some(stream) => {
                    stream.is_closed() || (!shown.is_empty() && stream.send(shown).is_err())
                }
                None => lock(&reply).as_ref().is_none_or(|r| r.is_closed()),
            };
            if gone || ended {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        Some(Ready {
            text,
            params: job.params,
            on_text,
            answer,
        })
    }

    /// Runs jobs in `batch` (at most `slots` samples at once, one job whatever its size)
    /// until the queue closes (false) or the batch fails (true: its jobs are answered with
    /// the error, and a new batch may take over).
    fn batched(&mut self, batch: &mut dyn arbor_gen::Batch, slots: usize) -> bool {
        let mut answers: HashMap<usize, Answer> = HashMap::new();
        loop {
            // Jobs join while there is room; with nothing to decode, wait for one.
            loop {
                let idle = batch.active() == 0 && answers.is_empty();
                let Some(job) = self.next(idle) else {
                    if idle {
                        return false;
                    }
                    break;
                };
                if batch.active() > 0 && batch.active() + job.params.n > slots {
                    self.held = Some(job);
                    break;
                }
                let Some(ready) = self.ready(job) else {
                    continue;
                };
                match batch.join(&ready.text, &ready.params, Some(ready.on_text)) {
                    Ok(id) => {
                        answers.insert(id, ready.answer);
                    }
                    Err(e) => self.answer(ready.answer, Err(client_error(e))),
                }
            }
            match batch.step() {
                Ok(finished) => {
                    for (id, result) in finished {
                        if let Some(answer) = answers.remove(&id) {
                            self.answer(answer, result.map_err(client_error));
                        }
                    }
                }
                Err(e) => {
                    for (_, answer) in answers.drain() {
                        self.answer(answer, Err((false, e.to_string())));
                    }
                    return true;
                }
            }
        }
    }
}
