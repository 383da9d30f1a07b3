//! [`LlamaModel`] behind [`arbor_gen::Generate`]: what the evaluator and other model-agnostic
//! callers see of it.

use arbor_gen::{
    Batch, Completion, Conversation, Finished, Generate, GenerateError, GenerationParams, OnText,
    PromptFormat,
};

use crate::batch::BatchDecoder;
use crate::generate::LlamaModel;
use crate::prompt::Prompter;

impl Generate for LlamaModel {
    fn conversation(&self, format: PromptFormat) -> Result<Box<dyn Conversation>, GenerateError> {
        let prompter = Prompter::new(format, self.tokenizer()).map_err(GenerateError::new)?;
        Ok(Box::new(prompter))
    }

    fn generate(
        &mut self,
        prompt: &str,
        params: &GenerationParams,
    ) -> Result<Vec<Completion>, GenerateError> {
        LlamaModel::generate(self, prompt, params).map_err(GenerateError::new)
    }

    fn generate_streaming(
        &mut self,
        prompt: &str,
        params: &GenerationParams,
        on_text: &mut dyn FnMut(&str) -> std::ops::ControlFlow<()>,
    ) -> Result<Completion, GenerateError> {
        LlamaModel::generate_streaming(self, prompt, params, on_text).map_err(GenerateError::new)
    }

    fn context_length(&self) -> Option<usize> {
        Some(self.config().context_length)
    }

    fn batch(&mut self) -> Option<Box<dyn Batch + '_>> {
        Some(Box::new(self.batch_decoder()))
    }
}

impl Batch for BatchDecoder<'_, 'static> {
    fn join(
        &mut self,
        prompt: &str,
        params: &GenerationParams,
        on_text: Option<OnText>,
    ) -> Result<usize, GenerateError> {
        let on_text = on_text.map(|f| f as crate::batch::OnText<'static>);
        BatchDecoder::join(self, prompt, params, on_text).map_err(GenerateError::new)
    }

    fn step(&mut self) -> Result<Vec<Finished>, GenerateError> {
        let ended = BatchDecoder::step(self).map_err(GenerateError::new)?;
        Ok(ended.into_iter().map(|(id, c)| (id, Ok(c))).collect())
    }

    fn active(&self) -> usize {
        BatchDecoder::active(self)
    }
}
