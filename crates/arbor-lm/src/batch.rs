//! Continuous batching: requests decoded together, each joining and leaving between steps.
//!
//! A request's prompt is prefilled on its own (one row, expanded to one row per sample) and
//! its rows are appended to the batch's cache, where every row keeps its own position. Each
//! [`BatchDecoder::step`] runs the last sampled token of every row through the model as one
//! batch, so the weights (the cost of decoding on a CPU) are read once for all rows; each
//! row then samples its next token with its own request's settings and seed. A row leaves
//! the cache when its sample ends; a request ends when all its samples have.
//!
//! [`LlamaModel::generate`] is this with one request, so a batch of one decodes exactly as a
//! request alone does.

use std::collections::HashMap;
use std::time::Instant;

use candle_core::IndexOp;

use crate::error::LmError;
use crate::generate::{
    forward, model_error, new_samples, sampling, Completion, GenerationParams, LlamaModel, Sample,
    StopReason, TextCallback,
};
use crate::transformer::KvCache;

/// What a request's text goes to, piece by piece.
pub type OnText<'c> = Box<TextCallback<'c>>;

/// A request in the batch.
struct Request<'c> {
    prompt_ids: Vec<u32>,
    params: GenerationParams,
    /// The longest stop sequence, in bytes.
    max_stop: usize,
    /// Positions a row of this request may fill (its prompt and `max_tokens`, at most the
    /// model's context).
    limit: usize,
    samples: Vec<Sample>,
    on_text: Option<OnText<'c>>,
    prefill_secs: f64,
    /// When its decoding began (the end of its prefill).
    started: Instant,
}

impl Request<'_> {
    fn done(&self) -> bool {
        self.samples.iter().all(|s| s.end.is_some())
    }
}

/// A row of the batch's cache: a sample of a request, and the token it feeds next.
struct Row {
    request: usize,
    sample: usize,
    next: u32,
}

/// Requests of one model decoded together ([`LlamaModel::batch_decoder`]).
pub struct BatchDecoder<'m, 'c> {
    model: &'m LlamaModel,
    cache: KvCache,
    rows: Vec<Row>,
    /// Requests by id, until they are handed back.
    requests: HashMap<usize, Request<'c>>,
    /// The next request's id.
    next_id: usize,
    /// Requests that ended when they joined, not yet handed back.
    ended: Vec<usize>,
}

impl LlamaModel {
    /// An empty batch over this model.
    pub fn batch_decoder<'c>(&self) -> BatchDecoder<'_, 'c> {
        BatchDecoder {
            model: self,
            cache: self.model.new_cache_of(0, 1, self.kv_type),
            rows: Vec::new(),
            requests: HashMap::new(),
            next_id: 0,
            ended: Vec::new(),
        }
    }
}

impl<'c> BatchDecoder<'_, 'c> {
    /// Adds a request: prefills `prompt`, samples the first token of each of `params.n`
    /// samples, and appends the rows still going to the batch. `on_text` gets the samples'
    /// text piece by piece (never part of a stop sequence); its `Break` ends all of them.
    /// Returns the request's id.
    pub fn join(
        &mut self,
        prompt: &str,
        params: &GenerationParams,
        on_text: Option<OnText<'c>>,
    ) -> Result<usize, LmError> {
        let model = self.model;
        let prompt_ids = model.tokenizer().encode(prompt)?;
        if prompt_ids.is_empty() {
            return Err(LmError::Tokenizer("the prompt is empty".into()));
        }
        let context = model.config().context_length;
        if prompt_ids.len() >= context {
            return Err(LmError::Model(format!(
                "the prompt has {} tokens; the model's context holds {context}",
                prompt_ids.len()
            )));
        }
        let id = self.next_id;
        let started = Instant::now();
        let (mut cache, logits) = if params.n == 0 {
            (model.model.new_cache_of(0, 1, model.kv_type), None)
        } else {
            let (cache, logits) = model.prefill(&prompt_ids, params)?;
            (cache, Some(logits))
        };
        let mut request = Request {
            max_stop: params.stop.iter().map(String::len).max().unwrap_or(0),
            limit: cache.capacity(),
            samples: new_samples(params, &sampling(params)),
            prompt_ids,
            params: params.clone(),
            on_text,
            prefill_secs: started.elapsed().as_secs_f64(),
            started: Instant::now(),
        };
        let mut rows = Vec::new();
        if let Some(logits) = logits {
            for s in 0..params.n {
                if request.samples[s].end.is_some() {
                    continue;
                }
                let row_logits = logits.i(0).map_err(model_error)?;
                let len = cache.row_len(s);
                if let Some(next) = self.advance(&mut request, s, row_logits, len)? {
                    rows.push(Row {
                        request: id,
                        sample: s,
                        next,
                    });
                }
            }
        }
        // A later sample's callback may have ended the earlier ones: only rows still going
        // join.
        rows.retain(|r| request.samples[r.sample].end.is_none());
        if !rows.is_empty() {
            let live: Vec<u32> = rows.iter().map(|r| r.sample as u32).collect();
            cache.retain(&live).map_err(model_error)?;
            self.cache.append(cache).map_err(model_error)?;
            self.rows.extend(rows);
        }
        if request.done() {
            self.ended.push(id);
        }
        self.requests.insert(id, request);
        self.next_id += 1;
        Ok(id)
    }

    /// One token for every row. Returns the requests that ended (this step, or when they
    /// joined) with their completions.
    pub fn step(&mut self) -> Result<Vec<(usize, Vec<Completion>)>, LmError> {
        if !self.rows.is_empty() {
            let tokens: Vec<u32> = self.rows.iter().map(|r| r.next).collect();
            let logits = forward(&self.model.model, &tokens, tokens.len(), &mut self.cache)?;
            for r in 0..self.rows.len() {
                let (id, s) = (self.rows[r].request, self.rows[r].sample);
                let Some(mut request) = self.requests.remove(&id) else {
                    continue;
                };
                // A sample its request's callback has ended this step takes no token.
                if request.samples[s].end.is_none() {
                    let row_logits = logits.i(r).map_err(model_error)?;
                    let len = self.cache.row_len(r);
                    if let Some(next) = self.advance(&mut request, s, row_logits, len)? {
                        self.rows[r].next = next;
                    }
                }
                self.requests.insert(id, request);
            }
            let going: Vec<bool> = self
                .rows
                .iter()
                .map(|row| {
                    self.requests
                        .get(&row.request)
                        .is_some_and(|q| q.samples[row.sample].end.is_none())
                })
                .collect();
            for row in &self.rows {
                let done = self.requests.get(&row.request).is_some_and(Request::done);
                if done && !self.ended.contains(&row.request) {
                    self.ended.push(row.request);
                }
            }
            if going.contains(&false) {
                let keep: Vec<u32> = (0..going.len())
                    .filter(|&r| going[r])
                    .map(|r| r as u32)
                    .collect();
                self.cache.retain(&keep).map_err(model_error)?;
                let mut kept = going.iter();
                self.rows.retain(|_| kept.next() == Some(&true));
            }
        }
        let mut finished = Vec::new();
        for id in std::mem::take(&mut self.ended) {
            if let Some(request) = self.requests.remove(&id) {
                let completions = self.model.completions(
                    request.samples,
                    request.prompt_ids.len(),
                    request.prefill_secs,
                )?;
                finished.push((id, completions));
            }
        }
        Ok(finished)
    }

    /// Samples being decoded.
    pub fn active(&self) -> usize {
        self.rows.len()
    }

    /// Samples token for sample `s` of `request` from `logits` (its row's, whose cache holds
    /// `len` positions) and takes it; returns the token to feed next, `None` when the sample
    /// ended. A `Break` from the request's callback ends all its samples.
    fn advance(
        &self,
        request: &mut Request<'c>,
        s: usize,
        logits: candle_core::Tensor,
        len: usize,
    ) -> Result<Option<u32>, LmError> {
        let model = self.model;
        let sample = &mut request.samples[s];
        let token = sample.next_token(logits, &request.prompt_ids, &request.params)?;
        let room = len < request.limit;
        let flow = model.take_token(
            sample,
            token,
            &request.params,
            request.max_stop,
            room,
            request.on_text.as_deref_mut(),
        )?;
        if sample.end.is_some() {
            sample.decode_secs = request.started.elapsed().as_secs_f64();
        }
        if flow.is_break() {
            for other in request.samples.iter_mut().filter(|o| o.end.is_none()) {
                other.end = Some(StopReason::Stopped);
                other.text.finish(model.tokenizer())?;
                other.decode_secs = request.started.elapsed().as_secs_f64();
            }
        }
        Ok(request.samples[s].end.is_none().then_some(token))
    }
}
