//! Packing the cursor's surroundings and the repository context into a prompt.

use arbor_lm::LmTokenizer;
use arbor_syntax::Language;

use crate::context::{ContextItem, ContextKind};
use crate::error::CompleteError;

/// The special tokens a model's vocabulary offers for code prompts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptFormat {
    /// The file separator (`<file_sep>`, `<|file_sep|>`): files of a repository, each
    /// introduced by its path (StarCoder2 and Qwen2.5-Coder style).
    pub file_sep: Option<String>,
    /// The repository token (`<repo_name>`, `<|repo_name|>`): the repository's name before
    /// the first file.
    pub repo_name: Option<String>,
    /// Fill-in-the-middle: the prefix, suffix and middle tokens in whichever spelling the
    /// vocabulary has (`<fim_prefix>`, `<|fim_prefix|>`, `<｜fim▁begin｜>`, `<PRE>` …, see
    /// [`arbor_lm::fim`]).
    pub fim: Option<[String; 3]>,
}

impl PromptFormat {
    /// The format the tokenizer's vocabulary supports (its fill-in-the-middle tokens as
    /// [`LmTokenizer::fim_tokens`] finds them: named in the GGUF metadata, else by spelling).
    pub fn for_tokenizer(tokenizer: &LmTokenizer) -> PromptFormat {
        let repo = tokenizer.repo_tokens();
        PromptFormat {
            file_sep: repo.file_sep.map(|t| t.text),
            repo_name: repo.repo_name.map(|t| t.text),
            fim: tokenizer
                .fim_tokens()
                .map(|f| [f.prefix.text, f.suffix.text, f.middle.text]),
        }
    }

    /// The same format without fill-in-the-middle: the prompt ends at the cursor.
    pub fn without_fim(self) -> PromptFormat {
        PromptFormat { fim: None, ..self }
    }
}

/// A packed prompt.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// The prompt text.
    pub text: String,
    /// Its length in tokens.
    pub tokens: usize,
    /// The context pieces that fit, in prompt order.
    pub context: Vec<ContextItem>,
    /// Lines of the prefix left out at its start for lack of room.
    pub prefix_lines_dropped: usize,
    /// Whether the suffix is in the prompt (fill-in-the-middle).
    pub uses_suffix: bool,
    /// Tokens of the vocabulary that end the completion ([`crate::stop_tokens`]).
    pub stop_tokens: Vec<u32>,
}

fn comment(language: Language) -> &'static str {
    match language {
        Language::Python => "#",
        _ => "//",
    }
}

/// One piece of context as it appears in the prompt.
fn render_item(format: &PromptFormat, language: Language, item: &ContextItem) -> String {
    match &format.file_sep {
        Some(sep) => format!("{sep}{}\n{}\n", item.path, item.text),
        None => {
            let why = match item.kind {
                ContextKind::Definition => "definition",
                ContextKind::Similar => "similar code",
            };
            format!(
                "{} {}:{} ({why})\n{}\n\n",
                comment(language),
                item.path,
                item.line,
                item.text
            )
        }
    }
}

/// Packs a prompt of at most `budget` tokens.
///
/// The format, from the start:
///
/// 1. `<repo_name>{repo}` when the vocabulary has `<repo_name>` and `<file_sep>`;
/// 2. the context pieces, most relevant last (nearest the cursor): with `<file_sep>` in the
///    vocabulary each is `<file_sep>{path}\n{code}\n`; otherwise a comment line
///    `# {path}:{line} (definition)` (or `// …`, or `(similar code)`) followed by the code and
///    a blank line;
/// 3. the file: `<file_sep>{path}\n` or a comment line `# {path}`;
/// 4. with fill-in-the-middle tokens, prefix–suffix–middle as llama.cpp's `/infill` writes
///    it, `{pre}{prefix}{suf}{suffix}{mid}` (`<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>`
///    in StarCoder's spelling); otherwise just `{prefix}`: the model continues the file at
///    the cursor.
///
/// Room goes first to the prefix (its last lines, up to 3/5 of the budget), then to the suffix
/// (its first lines, up to 1/5, only with fill-in-the-middle), then to the context pieces in
/// order of relevance, each whole or not at all; whatever the context leaves goes back to the
/// prefix.
#[allow(clippy::too_many_arguments)]
pub fn build_prompt(
    tokenizer: &LmTokenizer,
    format: &PromptFormat,
    language: Language,
    repo: &str,
    path: &str,
    prefix: &str,
    suffix: &str,
    context: &[ContextItem],
    budget: usize,
) -> Result<Prompt, CompleteError> {
    let count = |text: &str| -> Result<usize, CompleteError> { Ok(tokenizer.encode(text)?.len()) };
    let head = match (&format.repo_name, &format.file_sep) {
        (Some(repo_token), Some(_)) => format!("{repo_token}{repo}"),
        _ => String::new(),
    };
    let file_header = match &format.file_sep {
        Some(sep) => format!("{sep}{path}\n"),
        None => format!("{} {path}\n", comment(language)),
    };
    let fixed = count(&format!("{head}{file_header}"))? + if format.fim.is_some() { 3 } else { 0 };
    // Pieces are counted one by one; joined, they may merge a few tokens differently: 5% spare.
    let room = (budget - budget / 20).saturating_sub(fixed);
    // Lines of the prefix, newest first, with their token counts.
    let prefix_lines: Vec<&str> = prefix.split_inclusive('\n').collect();
    let mut prefix_costs = Vec::with_capacity(prefix_lines.len());
    for line in prefix_lines.iter().rev() {
        prefix_costs.push(count(line)?);
    }
    let take_lines = |allowance: usize| {
        let mut used = 0;
        let mut n = 0;
        for cost in &prefix_costs {
            if used + cost > allowance {
                break;
            }
            used += cost;
            n += 1;
        }
        (n, used)
    };
    let (_, prefix_used) = take_lines(room * 3 / 5);
    let (suffix_text, suffix_used) = match &format.fim {
        Some(_) => {
            let mut text = String::new();
            let mut used = 0;
            for line in suffix.split_inclusive('\n') {
                let cost = count(line)?;
                if used + cost > room / 5 {
                    break;
                }
                used += cost;
                text.push_str(line);
            }
            (text, used)
        }
        None => (String::new(), 0),
    };
    let mut left = room.saturating_sub(prefix_used + suffix_used);
    let mut chosen: Vec<(usize, String)> = Vec::new();
    for (i, item) in context.iter().enumerate() {
        let rendered = render_item(format, language, item);
        let cost = count(&rendered)?;
        if cost <= left {
            left -= cost;
            chosen.push((i, rendered));
        }
    }
    // The prefix gets what the context did not use.
    let context_used: usize = room.saturating_sub(prefix_used + suffix_used) - left;
    // The cursor's own line always goes in, even over the budget.
    let (prefix_n, _) = take_lines(room.saturating_sub(suffix_used + context_used));
    let prefix_n = prefix_n.max(usize::from(!prefix_lines.is_empty()));
    let kept_prefix: String = prefix_lines[prefix_lines.len() - prefix_n..].concat();
    let mut text = head;
    // Most relevant last: nearest the code.
    for (_, rendered) in chosen.iter().rev() {
        text.push_str(rendered);
    }
    text.push_str(&file_header);
    match &format.fim {
        Some([p, s, m]) => {
            text.push_str(p);
            text.push_str(&kept_prefix);
            text.push_str(s);
            text.push_str(&suffix_text);
            text.push_str(m);
        }
        None => text.push_str(&kept_prefix),
    }
    let tokens = count(&text)?;
    Ok(Prompt {
        text,
        tokens,
        context: chosen
            .iter()
            .rev()
            .map(|(i, _)| context[*i].clone())
            .collect(),
        prefix_lines_dropped: prefix_lines.len() - prefix_n,
        uses_suffix: format.fim.is_some(),
        stop_tokens: crate::session::stop_tokens(tokenizer),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tiny test tokenizer with `specials` added to its vocabulary.
    fn tokenizer(specials: &[&str]) -> LmTokenizer {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vocab.gguf");
        arbor_lm::testing::write_tiny_gguf_with_specials(&path, specials, &[]).unwrap();
        let gguf = arbor_lm::GgufFile::open(&path).unwrap();
        LmTokenizer::from_metadata(gguf.metadata()).unwrap()
    }

    fn item() -> ContextItem {
        ContextItem {
            kind: ContextKind::Definition,
            path: "util.py".into(),
            line: 1,
            name: Some("helper".into()),
            text: "def helper():\n    pass".into(),
        }
    }

    fn prompt(tokenizer: &LmTokenizer, format: &PromptFormat) -> Prompt {
        build_prompt(
            tokenizer,
            format,
            Language::Python,
            "repo",
            "main.py",
            "def run():\n    x = ",
            "\n    return x\n",
            &[item()],
            1000,
        )
        .unwrap()
    }

    #[test]
    fn each_vocabularys_own_tokens_make_the_prompt() {
        let qwen = tokenizer(&[
            "<|fim_prefix|>",
            "<|fim_middle|>",
            "<|fim_suffix|>",
            "<|fim_pad|>",
            "<|repo_name|>",
            "<|file_sep|>",
        ]);
        let format = PromptFormat::for_tokenizer(&qwen);
        let p = prompt(&qwen, &format);
        assert!(p.uses_suffix);
        assert_eq!(
            p.text,
            "<|repo_name|>repo<|file_sep|>util.py\ndef helper():\n    pass\n<|file_sep|>main.py\n<|fim_prefix|>def run():\n    x = <|fim_suffix|>\n    return x\n<|fim_middle|>"
        );
        let starcoder = tokenizer(&["<fim_prefix>", "<fim_middle>", "<fim_suffix>"]);
        let p = prompt(&starcoder, &PromptFormat::for_tokenizer(&starcoder));
        assert!(
            p.text.ends_with("# main.py\n<fim_prefix>def run():\n    x = <fim_suffix>\n    return x\n<fim_middle>"),
            "{}",
            p.text
        );
        let deepseek = tokenizer(&["<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"]);
        let p = prompt(&deepseek, &PromptFormat::for_tokenizer(&deepseek));
        assert!(
            p.text.ends_with(
                "<｜fim▁begin｜>def run():\n    x = <｜fim▁hole｜>\n    return x\n<｜fim▁end｜>"
            ),
            "{}",
            p.text
        );
        // Without fill-in-the-middle the prompt ends at the cursor.
        let p = prompt(&qwen, &format.without_fim());
        assert!(!p.uses_suffix);
        assert!(
            p.text
                .ends_with("<|file_sep|>main.py\ndef run():\n    x = "),
            "{}",
            p.text
        );
        // SmolLM2's vocabulary: file separators, no fill-in-the-middle.
        let smollm = tokenizer(&["<repo_name>", "<reponame>", "<file_sep>", "<filename>"]);
        let format = PromptFormat::for_tokenizer(&smollm);
        assert_eq!(format.fim, None);
        assert_eq!(format.file_sep.as_deref(), Some("<file_sep>"));
        assert_eq!(format.repo_name.as_deref(), Some("<repo_name>"));
    }
}
