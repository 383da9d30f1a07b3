//! The interface between a code model and its users: how a task is put to a model
//! ([`PromptFormat`], [`Conversation`]), how it is sampled ([`GenerationParams`]), what comes
//! back ([`Completion`]), and the [`Generate`] trait a model implements. Nothing here runs a
//! model: the evaluator and other callers depend on this crate, not on the model runtime.

use std::fmt;
use std::str::FromStr;

/// The prompt format of a model, recorded (by [`name`](PromptFormat::name)) with every
/// evaluation result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromptFormat {
    /// A base (completion) model: the prompt is given as is and the model continues it.
    Completion,
    /// An instruction-tuned model asked in its own chat template (`tokenizer.chat_template`,
    /// rendered as Hugging Face renders it): the task goes in a user turn, the answer is
    /// read from the assistant turn.
    Chat,
    /// A user turn in fixed ChatML (`<|im_start|>user … <|im_end|>`) without a system turn,
    /// whatever the model's template says: the format SmolLM2's recorded results used (its
    /// own template adds a system turn), kept so that those results can be reproduced and
    /// resumed.
    ChatMl,
}

impl PromptFormat {
    /// Every format, for help texts.
    pub const ALL: [PromptFormat; 3] = [
        PromptFormat::Completion,
        PromptFormat::Chat,
        PromptFormat::ChatMl,
    ];

    /// The name used on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            PromptFormat::Completion => "completion",
            PromptFormat::Chat => "chat",
            PromptFormat::ChatMl => "chatml",
        }
    }

    /// The format for a model with this chat template (`tokenizer.chat_template`): its own
    /// template when it has one, else plain completion (a base model).
    pub fn from_chat_template(template: Option<&str>) -> PromptFormat {
        match template {
            Some(t) if !t.trim().is_empty() => PromptFormat::Chat,
            _ => PromptFormat::Completion,
        }
    }

    /// Whether the model is asked in a chat turn (and answers in one).
    pub fn is_chat(self) -> bool {
        self != PromptFormat::Completion
    }
}

impl fmt::Display for PromptFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PromptFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PromptFormat::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = PromptFormat::ALL.iter().map(|f| f.name()).collect();
                format!("unknown prompt format `{s}` (one of {})", names.join(", "))
            })
    }
}

/// How to sample a completion.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationParams {
    /// At most this many new tokens.
    pub max_tokens: usize,
    /// 0 for greedy decoding; otherwise the softmax temperature.
    pub temperature: f64,
    /// Nucleus sampling: keep the smallest set of tokens with this much probability (1 = off).
    pub top_p: f64,
    /// Keep only the k most likely tokens (0 = off).
    pub top_k: usize,
    /// Divide the logits of tokens already in the context by this (1 = off).
    pub repeat_penalty: f32,
    /// How many of the last tokens the repeat penalty looks at.
    pub repeat_last_n: usize,
    /// Seed of the sampler: the same seed gives the same completion.
    pub seed: u64,
    /// Stop when the completion contains one of these; the completion is cut before it.
    pub stop: Vec<String>,
    /// Tokens that end a sample like the end-of-sequence token (a new file's `<file_sep>`).
    pub stop_tokens: Vec<u32>,
    /// Keep going past the end-of-sequence token (for benchmarks: a fixed amount of work).
    pub ignore_eos: bool,
    /// Samples to draw for the prompt (they share its prefill and decode as one batch);
    /// sample `i` uses seed `seed + i`.
    pub n: usize,
}

impl Default for GenerationParams {
    fn default() -> Self {
        GenerationParams {
            max_tokens: 256,
            temperature: 0.0,
            top_p: 1.0,
            top_k: 0,
            repeat_penalty: 1.0,
            repeat_last_n: 64,
            seed: 0,
            stop: Vec::new(),
            stop_tokens: Vec::new(),
            ignore_eos: false,
            n: 1,
        }
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The model produced its end-of-sequence token.
    EndOfSequence,
    /// A stop sequence appeared.
    StopSequence,
    /// `max_tokens` were generated.
    MaxTokens,
    /// The model's context length was reached.
    ContextFull,
    /// The streaming callback asked to stop.
    Stopped,
}

impl StopReason {
    /// Its name in JSON output: `eos`, `stop`, `max_tokens`, `context_full`, `block_end`
    /// (a caller that stops the stream does so at the end of a block).
    pub fn name(self) -> &'static str {
        match self {
            StopReason::EndOfSequence => "eos",
            StopReason::StopSequence => "stop",
            StopReason::MaxTokens => "max_tokens",
            StopReason::ContextFull => "context_full",
            StopReason::Stopped => "block_end",
        }
    }
}

/// A generated completion with its counts and timings.
#[derive(Debug, Clone)]
pub struct Completion {
    /// The new text (cut before a stop sequence).
    pub text: String,
    /// Tokens in the prompt.
    pub prompt_tokens: usize,
    /// Tokens generated.
    pub completion_tokens: usize,
    /// Why it ended.
    pub stop_reason: StopReason,
    /// Seconds spent on the prompt (shared by all samples of one call).
    pub prefill_secs: f64,
    /// Seconds from the end of the prefill until this sample ended.
    pub decode_secs: f64,
    /// The mean log-probability of the generated tokens under the model itself (softmax of
    /// the raw logits, before temperature, top-p, top-k and repeat penalty), as Codex ranks
    /// samples; `None` when the model does not give it or nothing was generated.
    pub mean_logprob: Option<f64>,
}

/// An error of a model behind [`Generate`], kept whole (its message and source chain).
#[derive(Debug)]
pub struct GenerateError(Box<dyn std::error::Error + Send + Sync + 'static>);

impl GenerateError {
    /// Wraps a model's error.
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        GenerateError(error.into())
    }

    /// The model's own error, for callers that know the model's type.
    pub fn inner(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self.0.as_ref()
    }
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for GenerateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Writes prompts in one [`PromptFormat`] for one model.
pub trait Conversation {
    /// The format.
    fn format(&self) -> PromptFormat;

    /// A single-turn conversation: the user's `message`, then the assistant's turn opened and
    /// begun with `answer_start` (which the model continues). For
    /// [`PromptFormat::Completion`] the message and the answer's start simply follow each
    /// other.
    fn conversation(&self, message: &str, answer_start: &str) -> Result<String, GenerateError>;

    /// A whole conversation, `(role, content)` turns in order (`system`, `user`,
    /// `assistant`), with the assistant's next turn opened. The default joins the turns'
    /// contents with blank lines (a base model reads a conversation as text).
    fn messages(&self, turns: &[(String, String)]) -> Result<String, GenerateError> {
        Ok(plain_conversation(turns))
    }
}

/// A conversation as a base model reads it: the turns' contents, blank lines between.
pub fn plain_conversation(turns: &[(String, String)]) -> String {
    let text: Vec<&str> = turns.iter().map(|(_, content)| content.as_str()).collect();
    text.join("\n\n")
}

/// A model that completes prompts.
pub trait Generate {
    /// What writes this model's prompts in `format` ([`PromptFormat::Chat`] needs the model's
    /// own chat template: an error when it has none).
    fn conversation(&self, format: PromptFormat) -> Result<Box<dyn Conversation>, GenerateError>;

    /// Generates `params.n` completions of `prompt` (sample `i` seeded with `seed + i`).
    fn generate(
        &mut self,
        prompt: &str,
        params: &GenerationParams,
    ) -> Result<Vec<Completion>, GenerateError>;

    /// Generates one completion of `prompt` (`params.n` is ignored), handing its text to
    /// `on_text` piece by piece; the pieces add up to the completion's text. When `on_text`
    /// returns `Break`, generation ends there ([`StopReason::Stopped`]). The default
    /// generates the whole completion, then hands it over in one piece.
    fn generate_streaming(
        &mut self,
        prompt: &str,
        params: &GenerationParams,
        on_text: &mut dyn FnMut(&str) -> std::ops::ControlFlow<()>,
    ) -> Result<Completion, GenerateError> {
        let params = GenerationParams {
            n: 1,
            ..params.clone()
        };
        let completion = self
            .generate(prompt, &params)?
            .pop()
            .ok_or_else(|| GenerateError::new("the model returned no completion"))?;
        if !completion.text.is_empty() {
            let _ = on_text(&completion.text);
        }
        Ok(completion)
    }

    /// The model's context length in tokens, when known (longer prompts are refused).
    fn context_length(&self) -> Option<usize> {
        None
    }

    /// A batch that decodes many requests together, each joining and leaving between two
    /// steps (continuous batching), when the model can; `None` (the default) when each
    /// request must run alone.
    fn batch(&mut self) -> Option<Box<dyn Batch + '_>> {
        None
    }
}

/// What a [`Batch`] hands a request's text to, piece by piece; `Break` ends the request.
pub type OnText = Box<dyn FnMut(&str) -> std::ops::ControlFlow<()> + Send>;

/// What one [`Batch::step`] returns for each request that ended: its id and its completions
/// (one per sample), or why there are none.
pub type Finished = (usize, Result<Vec<Completion>, GenerateError>);

/// Requests decoded together: every [`Batch::step`] runs one token of every sample of every
/// request through the model at once, so the weights are read once for all of them. A
/// request joins between two steps and leaves as soon as all its samples have ended.
pub trait Batch {
    /// Adds a request: its prompt is run through the model now, and its `params.n` samples
    /// (seeded `seed + i`) join the batch. `on_text` gets the text of its samples as they are
    /// decoded (interleaved when there are several); its `Break` ends them all
    /// ([`StopReason::Stopped`]). Returns the request's id, or why it cannot join (a prompt
    /// too long for the context, say).
    fn join(
        &mut self,
        prompt: &str,
        params: &GenerationParams,
        on_text: Option<OnText>,
    ) -> Result<usize, GenerateError>;

    /// One token for every sample in the batch (nothing to decode: none). Returns the
    /// requests that ended, this step or when they joined. An error is the whole batch's:
    /// its requests are lost.
    fn step(&mut self) -> Result<Vec<Finished>, GenerateError>;

    /// Samples being decoded.
    fn active(&self) -> usize;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip_through_their_names() {
        for format in PromptFormat::ALL {
            assert_eq!(format.name().parse::<PromptFormat>(), Ok(format));
            assert_eq!(format.to_string(), format.name());
        }
        let err = "plain".parse::<PromptFormat>().unwrap_err();
        assert_eq!(
            err,
            "unknown prompt format `plain` (one of completion, chat, chatml)"
        );
        assert!(!PromptFormat::Completion.is_chat() && PromptFormat::ChatMl.is_chat());
        assert_eq!(
            PromptFormat::from_chat_template(Some(" ")),
            PromptFormat::Completion
        );
        assert_eq!(
            PromptFormat::from_chat_template(Some("{{ x }}")),
            PromptFormat::Chat
        );
    }

    #[test]
    fn errors_keep_the_models_message() {
        let io = std::io::Error::other("disk full");
        let err = GenerateError::new(io);
        assert_eq!(err.to_string(), "disk full");
        assert!(err.inner().downcast_ref::<std::io::Error>().is_some());
    }
}
