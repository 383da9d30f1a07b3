//! How a model wants a task put to it: a base model continues text as it is; an
//! instruction-tuned model answers a user turn in its chat template.

use crate::chat::{ChatMessage, ChatTemplate};
use crate::error::LmError;
use crate::tokenizer::LmTokenizer;

pub use arbor_gen::PromptFormat;

/// Writes prompts in one format for one model.
#[derive(Debug)]
pub struct Prompter {
    format: PromptFormat,
    template: Option<ChatTemplate>,
}

impl Prompter {
    /// What writes `format`'s prompts for the model of `tokenizer`. [`PromptFormat::Chat`]
    /// for a model without a chat template, or with one that does not parse, is an error.
    pub fn new(format: PromptFormat, tokenizer: &LmTokenizer) -> Result<Prompter, LmError> {
        let template = match format {
            PromptFormat::Completion => None,
            PromptFormat::ChatMl => Some(ChatTemplate::chatml()),
            PromptFormat::Chat => Some(tokenizer.chat()?.ok_or_else(|| {
                LmError::ChatTemplate(
                    "the model has no chat template (tokenizer.chat_template); use the \
                     completion format"
                        .into(),
                )
            })?),
        };
        Ok(Prompter { format, template })
    }

    /// The format.
    pub fn format(&self) -> PromptFormat {
        self.format
    }

    /// A single-turn conversation: the user's `message`, then the assistant's turn opened and
    /// begun with `answer_start` (which the model continues). For
    /// [`PromptFormat::Completion`] the message and the answer's start simply follow each
    /// other. A template that refuses to render is an error.
    pub fn conversation(&self, message: &str, answer_start: &str) -> Result<String, LmError> {
        match &self.template {
            None => Ok(format!("{message}{answer_start}")),
            Some(template) => {
                let mut text = template.prompt(&[ChatMessage::user(message)])?;
                text.push_str(answer_start);
                Ok(text)
            }
        }
    }
}

impl arbor_gen::Conversation for Prompter {
    fn format(&self) -> PromptFormat {
        self.format
    }

    fn conversation(
        &self,
        message: &str,
        answer_start: &str,
    ) -> Result<String, arbor_gen::GenerateError> {
        Prompter::conversation(self, message, answer_start).map_err(arbor_gen::GenerateError::new)
    }

    fn messages(&self, turns: &[(String, String)]) -> Result<String, arbor_gen::GenerateError> {
        match &self.template {
            None => Ok(arbor_gen::plain_conversation(turns)),
            Some(template) => {
                let messages: Vec<ChatMessage> = turns
                    .iter()
                    .map(|(role, content)| ChatMessage::new(role.as_str(), content.as_str()))
                    .collect();
                template
                    .prompt(&messages)
                    .map_err(arbor_gen::GenerateError::new)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn tiny_tokenizer() -> LmTokenizer {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        testing::write_tiny_gguf(&path, "llama").unwrap();
        let gguf = crate::GgufFile::open(&path).unwrap();
        LmTokenizer::from_metadata(gguf.metadata()).unwrap()
    }

    #[test]
    fn formats_parse_back_and_follow_the_template() {
        for format in PromptFormat::ALL {
            assert_eq!(format.name().parse::<PromptFormat>().unwrap(), format);
        }
        assert!("chatm".parse::<PromptFormat>().is_err());
        let template = "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}";
        assert_eq!(
            PromptFormat::from_chat_template(Some(template)),
            PromptFormat::Chat
        );
        assert_eq!(
            PromptFormat::from_chat_template(Some("{{ bos_token }}{{ content }}")),
            PromptFormat::Chat
        );
        assert_eq!(
            PromptFormat::from_chat_template(Some("  ")),
            PromptFormat::Completion
        );
        assert_eq!(
            PromptFormat::from_chat_template(None),
            PromptFormat::Completion
        );
    }

    #[test]
    fn conversations_in_each_format() {
        let tokenizer = tiny_tokenizer();
        let chatml = Prompter::new(PromptFormat::ChatMl, &tokenizer).unwrap();
        assert_eq!(
            chatml.conversation("Do it.", "```").unwrap(),
            "<|im_start|>user\nDo it.<|im_end|>\n<|im_start|>assistant\n```"
        );
        let plain = Prompter::new(PromptFormat::Completion, &tokenizer).unwrap();
        assert_eq!(plain.conversation("a", "b").unwrap(), "ab");
        // The tiny model's own template.
        let own = Prompter::new(PromptFormat::Chat, &tokenizer).unwrap();
        assert_eq!(own.format(), PromptFormat::Chat);
        assert_eq!(
            own.conversation("Do it.", "```").unwrap(),
            "<|im_start|>Do it.<|im_end|>```"
        );
        let mut bare = tiny_tokenizer();
        bare.chat_template = None;
        let err = Prompter::new(PromptFormat::Chat, &bare).unwrap_err();
        assert!(err.to_string().contains("no chat template"), "{err}");
    }
}
