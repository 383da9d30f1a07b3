//! How a model wants a task put to it: a base model continues text as it is; an
//! instruction-tuned model answers a user turn in its chat template.

use std::fmt;
use std::str::FromStr;

use crate::chat::{ChatMessage, ChatTemplate};
use crate::error::LmError;
use crate::tokenizer::LmTokenizer;

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

    /// What writes this format's prompts for the model of `tokenizer`. [`PromptFormat::Chat`]
    /// for a model without a chat template, or with one that does not parse, is an error.
    pub fn prompter(self, tokenizer: &LmTokenizer) -> Result<Prompter, LmError> {
        let template = match self {
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
        Ok(Prompter {
            format: self,
            template,
        })
    }
}

/// Writes prompts in one format for one model.
#[derive(Debug)]
pub struct Prompter {
    format: PromptFormat,
    template: Option<ChatTemplate>,
}

impl Prompter {
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
        let chatml = PromptFormat::ChatMl.prompter(&tokenizer).unwrap();
        assert_eq!(
            chatml.conversation("Do it.", "```").unwrap(),
            "<|im_start|>user\nDo it.<|im_end|>\n<|im_start|>assistant\n```"
        );
        let plain = PromptFormat::Completion.prompter(&tokenizer).unwrap();
        assert_eq!(plain.conversation("a", "b").unwrap(), "ab");
        // The tiny model's own template.
        let own = PromptFormat::Chat.prompter(&tokenizer).unwrap();
        assert_eq!(own.format(), PromptFormat::Chat);
        assert_eq!(
            own.conversation("Do it.", "```").unwrap(),
            "<|im_start|>Do it.<|im_end|>```"
        );
        let mut bare = tiny_tokenizer();
        bare.chat_template = None;
        let err = PromptFormat::Chat.prompter(&bare).unwrap_err();
        assert!(err.to_string().contains("no chat template"), "{err}");
    }
}
