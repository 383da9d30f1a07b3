//! Loading a llama-architecture GGUF model and generating text with it.

use std::time::Instant;

use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use candle_transformers::models::quantized_llama::ModelWeights;

use crate::error::LmError;
use crate::gguf::GgufFile;
use crate::tokenizer::LmTokenizer;

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
    /// Seconds spent on the prompt.
    pub prefill_secs: f64,
    /// Seconds spent generating.
    pub decode_secs: f64,
}

/// A loaded model with its tokenizer.
pub struct LlamaModel {
    weights: ModelWeights,
    tokenizer: LmTokenizer,
    device: Device,
}

impl LlamaModel {
    /// Loads a llama-architecture GGUF model and the tokenizer in its metadata.
    pub fn load(path: &std::path::Path) -> Result<LlamaModel, LmError> {
        let gguf = GgufFile::open(path)?;
        let tokenizer = LmTokenizer::from_metadata(gguf.metadata())?;
        let mut file = std::fs::File::open(path).map_err(|source| LmError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let device = Device::Cpu;
        let content = candle_core::quantized::gguf_file::Content::read(&mut file).map_err(|e| {
            LmError::NotGguf {
                path: path.to_path_buf(),
                message: e.to_string(),
            }
        })?;
        let weights =
            ModelWeights::from_gguf(content, &mut file, &device).map_err(|e| LmError::NotGguf {
                path: path.to_path_buf(),
                message: format!("cannot load the weights: {e}"),
            })?;
        Ok(LlamaModel {
            weights,
            tokenizer,
            device,
        })
    }

    /// The model's tokenizer.
    pub fn tokenizer(&self) -> &LmTokenizer {
        &self.tokenizer
    }

    fn logits(&mut self, tokens: &[u32], position: usize) -> Result<Tensor, LmError> {
        let input = Tensor::new(tokens, &self.device)
            .and_then(|t| t.unsqueeze(0))
            .map_err(model_error)?;
        let logits = self
            .weights
            .forward(&input, position)
            .map_err(model_error)?;
        logits.squeeze(0).map_err(model_error)
    }

    /// Generates a completion of `prompt`.
    pub fn generate(
        &mut self,
        prompt: &str,
        params: &GenerationParams,
    ) -> Result<Completion, LmError> {
        let prompt_ids = self.tokenizer.encode(prompt)?;
        if prompt_ids.is_empty() {
            return Err(LmError::Tokenizer("the prompt is empty".into()));
        }
        let sampling = if params.temperature <= 0.0 {
            Sampling::ArgMax
        } else {
            match (params.top_k, params.top_p < 1.0) {
                (0, false) => Sampling::All {
                    temperature: params.temperature,
                },
                (0, true) => Sampling::TopP {
                    p: params.top_p,
                    temperature: params.temperature,
                },
                (k, false) => Sampling::TopK {
                    k,
                    temperature: params.temperature,
                },
                (k, true) => Sampling::TopKThenTopP {
                    k,
                    p: params.top_p,
                    temperature: params.temperature,
                },
            }
        };
        let mut sampler = LogitsProcessor::from_sampling(params.seed, sampling);
        let started = Instant::now();
        let mut logits = self.logits(&prompt_ids, 0)?;
        let prefill_secs = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let mut context = prompt_ids.clone();
        let mut generated: Vec<u32> = Vec::new();
        let mut stop_reason = StopReason::MaxTokens;
        let mut text = String::new();
        while generated.len() < params.max_tokens {
            if params.repeat_penalty != 1.0 {
                let start = context.len().saturating_sub(params.repeat_last_n);
                logits = candle_transformers::utils::apply_repeat_penalty(
                    &logits,
                    params.repeat_penalty,
                    &context[start..],
                )
                .map_err(model_error)?;
            }
            let next = sampler.sample(&logits).map_err(model_error)?;
            if Some(next) == self.tokenizer.eos {
                stop_reason = StopReason::EndOfSequence;
                break;
            }
            generated.push(next);
            context.push(next);
            text = self.tokenizer.decode(&generated, true)?;
            if let Some(cut) = params
                .stop
                .iter()
                .filter_map(|s| text.find(s.as_str()))
                .min()
            {
                text.truncate(cut);
                stop_reason = StopReason::StopSequence;
                break;
            }
            if generated.len() == params.max_tokens {
                break; // no forward pass for a token that will not be sampled
            }
            logits = self.logits(&[next], context.len() - 1)?;
        }
        Ok(Completion {
            text,
            prompt_tokens: prompt_ids.len(),
            completion_tokens: generated.len(),
            stop_reason,
            prefill_secs,
            decode_secs: started.elapsed().as_secs_f64(),
        })
    }
}

fn model_error(e: candle_core::Error) -> LmError {
    LmError::Model(e.to_string())
}
