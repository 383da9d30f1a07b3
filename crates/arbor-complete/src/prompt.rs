//! Packing the cursor's surroundings and the repository context into a prompt.

use arbor_lm::LmTokenizer;
use arbor_syntax::Language;

use crate::context::{ContextItem, ContextKind};
use crate::error::CompleteError;

/// The special tokens a model's vocabulary offers for code prompts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptFormat {
    /// `<file_sep>`: files of a repository, each introduced by its path (StarCoder2 style).
    pub file_sep: Option<String>,
    /// `<repo_name>`: the repository's name before the first file.
    pub repo_name: Option<String>,
    /// `<fim_prefix>`, `<fim_suffix>`, `<fim_middle>`: fill-in-the-middle.
    pub fim: Option<[String; 3]>,
}

impl PromptFormat {
    /// The format the tokenizer's vocabulary supports.
    pub fn for_tokenizer(tokenizer: &LmTokenizer) -> PromptFormat {
        let has = |t: &str| tokenizer.token_id(t).map(|_| t.to_string());
        let fim = match (
            has("<fim_prefix>"),
            has("<fim_suffix>"),
            has("<fim_middle>"),
        ) {
            (Some(p), Some(s), Some(m)) => Some([p, s, m]),
            _ => None,
        };
        PromptFormat {
            file_sep: has("<file_sep>"),
            repo_name: has("<repo_name>"),
            fim,
        }
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
/// 4. with fill-in-the-middle tokens, `<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>`;
///    otherwise just `{prefix}`: the model continues the file at the cursor.
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
    })
}
