//! How a model wants a task put to it: a base model continues text as it is; an
//! instruction-tuned model answers a user turn in its chat template.

use std::fmt;
use std::str::FromStr;

/// The prompt format of a model, recorded with every evaluation result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromptFormat {
    /// A base (completion) model: the prompt is given as is and the model continues it.
    Completion,
    /// An instruction-tuned model with the ChatML template (`<|im_start|>user … <|im_end|>`):
    /// the task goes in a user turn, the answer is read from the assistant turn.
    ChatMl,
}

impl PromptFormat {
    /// Every format, for help texts.
    pub const ALL: [PromptFormat; 2] = [PromptFormat::Completion, PromptFormat::ChatMl];

    /// The name used on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            PromptFormat::Completion => "completion",
            PromptFormat::ChatMl => "chatml",
        }
    }

    /// The format a model's chat template (`tokenizer.chat_template`) implies: ChatML when
    /// the template uses its markers, else plain completion.
    pub fn from_chat_template(template: Option<&str>) -> PromptFormat {
        match template {
            Some(t) if t.contains("<|im_start|>") && t.contains("<|im_end|>") => {
                PromptFormat::ChatMl
            }
            _ => PromptFormat::Completion,
        }
    }

    /// A single-turn conversation: the user's `message`, then the assistant's turn opened and
    /// begun with `answer_start` (which the model continues). For [`PromptFormat::Completion`]
    /// the message and the answer's start simply follow each other.
    pub fn conversation(self, message: &str, answer_start: &str) -> String {
        match self {
            PromptFormat::Completion => format!("{message}{answer_start}"),
            PromptFormat::ChatMl => format!(
                "<|im_start|>user\n{message}<|im_end|>\n<|im_start|>assistant\n{answer_start}"
            ),
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

    #[test]
    fn formats_parse_back_and_detect_chatml() {
        for format in PromptFormat::ALL {
            assert_eq!(format.name().parse::<PromptFormat>().unwrap(), format);
        }
        assert!("chat".parse::<PromptFormat>().is_err());
        let template = "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}";
        assert_eq!(
            PromptFormat::from_chat_template(Some(template)),
            PromptFormat::ChatMl
        );
        assert_eq!(
            PromptFormat::from_chat_template(Some("{{ bos_token }}{{ content }}")),
            PromptFormat::Completion
        );
        assert_eq!(
            PromptFormat::from_chat_template(None),
            PromptFormat::Completion
        );
        assert_eq!(
            PromptFormat::ChatMl.conversation("Do it.", "```"),
            "<|im_start|>user\nDo it.<|im_end|>\n<|im_start|>assistant\n```"
        );
        assert_eq!(PromptFormat::Completion.conversation("a", "b"), "ab");
    }
}
