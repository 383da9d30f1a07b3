//! Completions as front ends report them (the `arbor` CLI, a server): one JSON object per
//! completion, the context a prompt used, and a line about the timings.

use arbor_lm::Completion;

use crate::context::ContextKind;
use crate::prompt::Prompt;

/// A completion as one JSON object: text, token counts, stop reason and timings.
pub fn completion_json(c: &Completion) -> serde_json::Value {
    serde_json::json!({
        "text": c.text,
        "prompt_tokens": c.prompt_tokens,
        "completion_tokens": c.completion_tokens,
        "stop_reason": c.stop_reason.name(),
        "prefill_secs": c.prefill_secs,
        "decode_secs": c.decode_secs,
    })
}

/// [`completion_json`] with the context the prompt used (`context`: path, line, name and
/// kind of each item) and the lines it dropped before the cursor.
pub fn completion_with_context(c: &Completion, prompt: &Prompt) -> serde_json::Value {
    let mut value = completion_json(c);
    value["context"] = prompt
        .context
        .iter()
        .map(|item| {
            let kind = match item.kind {
                ContextKind::Definition => "definition",
                ContextKind::Similar => "similar",
            };
            serde_json::json!({"path": item.path, "line": item.line, "name": item.name, "kind": kind})
        })
        .collect();
    value["prompt_lines_dropped"] = prompt.prefix_lines_dropped.into();
    value
}

/// One line about the prefill and the decoding of `completions` (samples of one prompt), with
/// their rates and stop reasons; `None` without completions.
pub fn timing_line(completions: &[Completion]) -> Option<String> {
    let first = completions.first()?;
    let tokens: usize = completions.iter().map(|c| c.completion_tokens).sum();
    let secs = completions
        .iter()
        .map(|c| c.decode_secs)
        .fold(0.0, f64::max);
    let reasons: Vec<&str> = completions.iter().map(|c| c.stop_reason.name()).collect();
    Some(format!(
        "{} prompt tokens in {:.2}s ({:.1} tokens/s), {} generated in {:.2}s ({:.1} tokens/s), stopped by {}",
        first.prompt_tokens,
        first.prefill_secs,
        first.prompt_tokens as f64 / first.prefill_secs.max(1e-9),
        tokens,
        secs,
        tokens as f64 / secs.max(1e-9),
        reasons.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_report_counts_and_rates() {
        let c = Completion {
            text: "x".into(),
            prompt_tokens: 10,
            completion_tokens: 4,
            stop_reason: arbor_lm::StopReason::MaxTokens,
            prefill_secs: 0.5,
            decode_secs: 2.0,
            mean_logprob: None,
        };
        assert_eq!(completion_json(&c)["completion_tokens"], 4);
        let line = timing_line(&[c.clone(), c]).unwrap();
        assert!(
            line.starts_with(
                "10 prompt tokens in 0.50s (20.0 tokens/s), 8 generated in 2.00s (4.0 tokens/s)"
            ),
            "{line}"
        );
        assert!(timing_line(&[]).is_none());
    }
}
