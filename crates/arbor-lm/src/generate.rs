//! Loading a llama-architecture GGUF model and generating text with it.

use std::ops::ControlFlow;

use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};

pub use arbor_gen::{Completion, GenerationParams, StopReason};

use crate::error::LmError;
use crate::gguf::GgufFile;
use crate::tokenizer::LmTokenizer;
use crate::transformer::{KvCache, KvType, Transformer};

/// Prompt tokens per forward pass while prefilling: bounds the attention scores' memory
/// (heads × chunk × context floats) on long prompts.
const PREFILL_CHUNK: usize = 256;

/// What streaming hands each piece of text to; `Break` ends generation.
pub type TextCallback<'a> = dyn FnMut(&str) -> ControlFlow<()> + 'a;

/// A loaded model with its tokenizer.
pub struct LlamaModel {
    pub(crate) model: Transformer,
    tokenizer: LmTokenizer,
    pub(crate) kv_type: KvType,
    /// Tokens that end a sample: EOS, end-of-turn and the like (see [`end_of_generation`]).
    end_of_generation: Vec<u32>,
}

impl LlamaModel {
    /// Loads a llama-architecture GGUF model. The tokenizer is a `tokenizer.json` in the same
    /// folder when there is one, else the one in the GGUF metadata.
    pub fn load(path: &std::path::Path) -> Result<LlamaModel, LmError> {
        let mut gguf = GgufFile::open(path)?;
        let tokenizer = LmTokenizer::for_model(path, &gguf)?;
        let end_of_generation = end_of_generation(&tokenizer, gguf.metadata());
        gguf.drop_tokenizer_metadata();
        let mut file = std::fs::File::open(path).map_err(|source| LmError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let model = Transformer::load(gguf.content(), &mut file, &Device::Cpu).map_err(|e| {
            LmError::NotGguf {
                path: path.to_path_buf(),
                message: format!("cannot load the weights: {e}"),
            }
        })?;
        Ok(LlamaModel {
            model,
            tokenizer,
            kv_type: KvType::F32,
            end_of_generation,
        })
    }

    /// The model's tokenizer.
    pub fn tokenizer(&self) -> &LmTokenizer {
        &self.tokenizer
    }

    /// The prompt format the model's own chat template implies (for a file outside the
    /// catalog).
    pub fn prompt_format(&self) -> crate::PromptFormat {
        crate::PromptFormat::from_chat_template(self.tokenizer.chat_template.as_deref())
    }

    /// The model's hyper-parameters.
    pub fn config(&self) -> &crate::transformer::ModelConfig {
        self.model.config()
    }

    /// Keeps keys and values as `kind` in the caches of later calls (f16 halves their memory).
    pub fn set_kv_type(&mut self, kind: KvType) {
        self.kv_type = kind;
    }

    /// The logits of every position of `tokens`, run as one fresh sequence (teacher-forced):
    /// one vector of vocabulary logits per token.
    pub fn logits_all(&self, tokens: &[u32]) -> Result<Vec<Vec<f32>>, LmError> {
        if tokens.is_empty() {
            return Ok(Vec::new());
        }
        let vocab = self.model.config().vocab;
        let mut cache = self.model.new_cache_of(1, tokens.len(), self.kv_type);
        if cache.capacity() < tokens.len() {
            return Err(LmError::Model(format!(
                "{} tokens do not fit the model's context of {}",
                tokens.len(),
                cache.capacity()
            )));
        }
        let mut out = Vec::with_capacity(tokens.len());
        for chunk in tokens.chunks(PREFILL_CHUNK) {
            let logits = rayon::scope(|_| self.model.forward_all(chunk, 1, &mut cache))?;
            out.extend(logits.chunks_exact(vocab).map(<[f32]>::to_vec));
        }
        Ok(out)
    }

    /// Generates `params.n` completions of `prompt`. The prompt is run through the model once;
    /// the samples then decode together as one batch.
    pub fn generate(
        &mut self,
        prompt: &str,
        params: &GenerationParams,
    ) -> Result<Vec<Completion>, LmError> {
        self.run(prompt, params, None)
    }

    /// Generates one completion of `prompt` (`params.n` is ignored), handing its text to
    /// `on_text` piece by piece as it is decoded. The pieces never include part of a stop
    /// sequence and add up to the returned completion's text. When `on_text` returns
    /// `Break`, generation ends there ([`StopReason::Stopped`]).
    pub fn generate_streaming(
        &mut self,
        prompt: &str,
        params: &GenerationParams,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Completion, LmError> {
        let params = GenerationParams {
            n: 1,
            ..params.clone()
        };
        let mut completions = self.run(prompt, &params, Some(on_text))?;
        Ok(completions.remove(0))
    }

    /// One request alone in a batch ([`crate::batch`]): the prompt is run through the
    /// model once; its samples then decode together.
    fn run(
        &mut self,
        prompt: &str,
        params: &GenerationParams,
        on_text: Option<&mut TextCallback<'_>>,
    ) -> Result<Vec<Completion>, LmError> {
        let on_text = on_text.map(|f| Box::new(move |t: &str| f(t)) as Box<TextCallback<'_>>);
        let mut batch = self.batch_decoder();
        let id = batch.join(prompt, params, on_text)?;
        loop {
            if let Some((_, completions)) = batch.step()?.into_iter().find(|(r, _)| *r == id) {
                return Ok(completions);
            }
        }
    }

    /// Runs the prompt through the model, [`PREFILL_CHUNK`] tokens at a time: the cache (one
    /// row per sample) and the logits of the prompt's last position.
    pub(crate) fn prefill(
        &self,
        prompt_ids: &[u32],
        params: &GenerationParams,
    ) -> Result<(KvCache, Tensor), LmError> {
        let mut cache =
            self.model
                .new_cache_of(1, prompt_ids.len() + params.max_tokens.max(1), self.kv_type);
        let mut logits = None;
        for chunk in prompt_ids.chunks(PREFILL_CHUNK) {
            logits = Some(forward(&self.model, chunk, 1, &mut cache)?);
        }
        let logits = logits.expect("the prompt is not empty");
        if params.n > 1 {
            cache = cache.expand(params.n).map_err(model_error)?;
        }
        Ok((cache, logits))
    }

    /// Adds the sampled `token` to `sample`, or ends the sample there (end of generation, a
    /// stop sequence, the token limit, no `room` for another position), and streams its new
    /// text to `on_text`; returns what `on_text` said (a `Break` has ended the sample).
    pub(crate) fn take_token(
        &self,
        sample: &mut Sample,
        token: u32,
        params: &GenerationParams,
        max_stop: usize,
        room: bool,
        on_text: Option<&mut TextCallback<'_>>,
    ) -> Result<ControlFlow<()>, LmError> {
        let is_eos = self.end_of_generation.contains(&token) || params.stop_tokens.contains(&token);
        if is_eos && !params.ignore_eos {
            sample.end = Some(StopReason::EndOfSequence);
        } else {
            sample.tokens.push(token);
            let before = sample.text.text.len();
            sample.text.push(&self.tokenizer, token)?;
            if let Some(cut) = find_stop(&sample.text.text, before, max_stop, &params.stop) {
                sample.text.stop_at(cut);
                sample.end = Some(StopReason::StopSequence);
            } else if sample.tokens.len() >= params.max_tokens {
                sample.end = Some(StopReason::MaxTokens);
            } else if !room {
                sample.end = Some(StopReason::ContextFull);
            }
        }
        let mut flow = ControlFlow::Continue(());
        if let Some(stream) = on_text {
            flow = sample.stream(stream, &params.stop, &self.tokenizer)?;
            if flow.is_break() && sample.end.is_none() {
                sample.end = Some(StopReason::Stopped);
                sample.text.finish(&self.tokenizer)?;
            }
        }
        Ok(flow)
    }

    /// The finished samples as completions.
    pub(crate) fn completions(
        &self,
        samples: Vec<Sample>,
        prompt_tokens: usize,
        prefill_secs: f64,
    ) -> Result<Vec<Completion>, LmError> {
        samples
            .into_iter()
            .map(|mut s| {
                s.text.finish(&self.tokenizer)?;
                Ok(Completion {
                    text: s.text.text,
                    prompt_tokens,
                    completion_tokens: s.tokens.len(),
                    stop_reason: s.end.unwrap_or(StopReason::MaxTokens),
                    prefill_secs,
                    decode_secs: s.decode_secs,
                    mean_logprob: (s.sampled > 0).then(|| s.logprob_sum / s.sampled as f64),
                })
            })
            .collect()
    }
}

/// `ln softmax(logits)[token]`, computed in f64 over the vocabulary (max-shifted).
fn log_probability(logits: &Tensor, token: u32) -> Result<f64, LmError> {
    let values = logits
        .to_dtype(candle_core::DType::F32)
        .and_then(|t| t.flatten_all())
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(model_error)?;
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let sum: f64 = values.iter().map(|&v| (v as f64 - max).exp()).sum();
    let chosen = values
        .get(token as usize)
        .copied()
        .unwrap_or(f32::NEG_INFINITY) as f64;
    Ok(chosen - max - sum.ln())
}

/// `params.n` samples, each with its own seed; already ended when `params.max_tokens` is 0.
pub(crate) fn new_samples(params: &GenerationParams, sampling: &Sampling) -> Vec<Sample> {
    (0..params.n)
        .map(|i| Sample {
            sampler: LogitsProcessor::from_sampling(
                params.seed.wrapping_add(i as u64),
                sampling.clone(),
            ),
            tokens: Vec::new(),
            text: TextStream::default(),
            emitted: 0,
            end: (params.max_tokens == 0).then_some(StopReason::MaxTokens),
            decode_secs: 0.0,
            sampled: 0,
            logprob_sum: 0.0,
        })
        .collect()
}

/// The tokens that end generation, as llama.cpp's vocabulary marks them (end-of-generation):
/// EOS, the end-of-turn and end-of-message ids the file names, and the control tokens with
/// llama.cpp's end-of-generation texts (the tokenizer's list: `<|im_end|>`, `<end_of_turn>`,
/// `<|eot_id|>`, …), so a chat model's answer ends with its turn. DeepSeek-Coder's `<|EOT|>`,
/// which llama.cpp reaches through the file's EOS id, counts too.
fn end_of_generation(
    tokenizer: &LmTokenizer,
    metadata: &std::collections::HashMap<String, candle_core::quantized::gguf_file::Value>,
) -> Vec<u32> {
    let mut ids: Vec<u32> = tokenizer.eos.into_iter().collect();
    for key in ["tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
        if let Some(id) = metadata
            .get(key)
            .and_then(|v| crate::gguf::metadata_u32(v, key).ok())
            .filter(|&id| (id as usize) < tokenizer.vocab_size())
        {
            ids.push(id);
        }
    }
    for spelling in crate::tokenizer::EOG_TEXTS.iter().chain(&["<|EOT|>"]) {
        if let Some(id) = tokenizer.token_id(spelling) {
            if tokenizer.is_control(id) {
                ids.push(id);
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// One forward pass, run on a thread of rayon's pool: candle's element-wise kernels and
/// Arbor's Q4_1 products use rayon, and each parallel call from outside the pool would wake
/// a worker and wait for it (12% of decoding time, in futex calls, before this).
pub(crate) fn forward(
    model: &Transformer,
    tokens: &[u32],
    batch: usize,
    cache: &mut KvCache,
) -> Result<Tensor, LmError> {
    rayon::scope(|_| model.forward(tokens, batch, cache)).map_err(model_error)
}

pub(crate) fn sampling(params: &GenerationParams) -> Sampling {
    if params.temperature <= 0.0 {
        return Sampling::ArgMax;
    }
    let temperature = params.temperature;
    match (params.top_k, params.top_p < 1.0) {
        (0, false) => Sampling::All { temperature },
        (0, true) => Sampling::TopP {
            p: params.top_p,
            temperature,
        },
        (k, false) => Sampling::TopK { k, temperature },
        (k, true) => Sampling::TopKThenTopP {
            k,
            p: params.top_p,
            temperature,
        },
    }
}

/// One sample of a batch.
pub(crate) struct Sample {
    sampler: LogitsProcessor,
    tokens: Vec<u32>,
    pub(crate) text: TextStream,
    /// Bytes of `text` already handed to a streaming callback.
    emitted: usize,
    pub(crate) end: Option<StopReason>,
    pub(crate) decode_secs: f64,
    /// Tokens sampled (with the one that ended the sample, which `tokens` leaves out).
    sampled: usize,
    /// The sum of the model's log-probabilities of the sampled tokens.
    logprob_sum: f64,
}

impl Sample {
    pub(crate) fn next_token(
        &mut self,
        logits: Tensor,
        prompt: &[u32],
        params: &GenerationParams,
    ) -> Result<u32, LmError> {
        let raw = logits.clone();
        let logits = if params.repeat_penalty != 1.0 {
            // The last `repeat_last_n` tokens of prompt + completion.
            let from_completion = self.tokens.len().min(params.repeat_last_n);
            let from_prompt = (params.repeat_last_n - from_completion).min(prompt.len());
            let mut recent = prompt[prompt.len() - from_prompt..].to_vec();
            recent.extend_from_slice(&self.tokens[self.tokens.len() - from_completion..]);
            candle_transformers::utils::apply_repeat_penalty(
                &logits,
                params.repeat_penalty,
                &recent,
            )
            .map_err(model_error)?
        } else {
            logits
        };
        let token = self.sampler.sample(&logits).map_err(model_error)?;
        self.logprob_sum += log_probability(&raw, token)?;
        self.sampled += 1;
        Ok(token)
    }

    /// Hands the text that can no longer turn into a stop sequence to `on_text`; all of it
    /// once the sample has ended.
    fn stream(
        &mut self,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
        stop: &[String],
        tokenizer: &LmTokenizer,
    ) -> Result<ControlFlow<()>, LmError> {
        if self.end.is_some() {
            self.text.finish(tokenizer)?;
        }
        let text = &self.text.text;
        let safe = if self.end.is_some() {
            text.len()
        } else {
            text.len() - held_back(text, stop)
        };
        let mut flow = ControlFlow::Continue(());
        if safe > self.emitted {
            flow = on_text(&text[self.emitted..safe]);
            self.emitted = safe;
        }
        Ok(flow)
    }
}

/// Text decoded token by token: a token's text is appended once it is whole (byte-level BPE
/// tokens can end inside a UTF-8 character), and earlier text is never decoded again beyond
/// a few tokens of context.
#[derive(Default)]
pub(crate) struct TextStream {
    ids: Vec<u32>,
    prefix: usize,
    read: usize,
    text: String,
    finished: bool,
}

impl TextStream {
    fn push(&mut self, tokenizer: &LmTokenizer, id: u32) -> Result<(), LmError> {
        self.ids.push(id);
        let before = tokenizer.decode(&self.ids[self.prefix..self.read], true)?;
        let now = tokenizer.decode(&self.ids[self.prefix..], true)?;
        if now.len() > before.len() && !now.ends_with('\u{FFFD}') {
            if let Some(new) = now.get(before.len()..) {
                self.text.push_str(new);
                self.prefix = self.read;
                self.read = self.ids.len();
            }
        }
        Ok(())
    }

    /// Cuts the text at byte `cut` (before a stop sequence): nothing more is appended.
    fn stop_at(&mut self, cut: usize) {
        self.text.truncate(cut);
        self.finished = true;
    }

    /// Appends what is still pending (an incomplete character becomes U+FFFD).
    pub(crate) fn finish(&mut self, tokenizer: &LmTokenizer) -> Result<(), LmError> {
        if self.finished || self.read == self.ids.len() {
            self.finished = true;
            return Ok(());
        }
        self.finished = true;
        let before = tokenizer.decode(&self.ids[self.prefix..self.read], true)?;
        let now = tokenizer.decode(&self.ids[self.prefix..], true)?;
        if let Some(new) = now.get(before.len()..) {
            self.text.push_str(new);
        }
        self.read = self.ids.len();
        Ok(())
    }
}

/// Where the first stop sequence starts in `text`, looking only where a stop sequence could
/// have been completed by the text after byte `before`.
fn find_stop(text: &str, before: usize, max_stop: usize, stop: &[String]) -> Option<usize> {
    let mut from = before.saturating_sub(max_stop);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    stop.iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text[from..].find(s.as_str()).map(|i| from + i))
        .min()
}

/// Bytes at the end of `text` that begin some stop sequence (and so cannot be shown yet).
fn held_back(text: &str, stop: &[String]) -> usize {
    stop.iter()
        .flat_map(|s| {
            s.char_indices()
                .skip(1)
                .map(|(i, _)| &s[..i])
                .chain(std::iter::once(s.as_str()))
        })
        .filter(|prefix| !prefix.is_empty() && text.ends_with(prefix))
        .map(str::len)
        .max()
        .unwrap_or(0)
}

pub(crate) fn model_error(e: candle_core::Error) -> LmError {
    LmError::Model(e.to_string())
}
