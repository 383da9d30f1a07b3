//! [`LlamaModel`] behind [`arbor_gen::Generate`]: what the evaluator and other model-agnostic
//! callers see of it.

use arbor_gen::{
    Completion, Conversation, Generate, GenerateError, GenerationParams, PromptFormat,
};

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
}
