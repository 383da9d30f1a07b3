//! Real models' chat templates (fixtures/chat_templates, provenance in its README.md)
//! rendered with minijinja and compared with what Hugging Face's jinja2 setup renders.

use std::path::{Path, PathBuf};

use arbor_lm::{ChatMessage, ChatTemplate, LmTokenizer, PromptFormat, Prompter};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chat_templates")
}

fn read(name: &str) -> String {
    let path = fixtures().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fixtures' conversation and each model's BOS/EOS texts.
fn conversation() -> (Vec<ChatMessage>, Vec<(String, String, String)>) {
    let value: serde_json::Value = serde_json::from_str(&read("conversation.json")).unwrap();
    let messages = value["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| ChatMessage::new(m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
        .collect();
    let models = value["models"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, tokens)| {
            (
                name.clone(),
                tokens["bos_token"].as_str().unwrap().to_string(),
                tokens["eos_token"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (messages, models)
}

#[test]
fn real_templates_render_as_hugging_face_renders_them() {
    let (messages, models) = conversation();
    assert_eq!(models.len(), 5);
    for (name, bos, eos) in models {
        let template = ChatTemplate::new(&read(&format!("{name}.jinja")), &bos, &eos)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let rendered = template
            .render(&messages, true)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            rendered,
            read(&format!("{name}.expected")),
            "{name} renders differently"
        );
        // Without the generation prompt the assistant's turn is not opened (Llama 3's
        // first template opens it regardless).
        let closed = template.render(&messages, false).unwrap();
        assert!(rendered.starts_with(&closed), "{name}");
        assert_eq!(rendered.len() > closed.len(), name != "llama3", "{name}");
    }
}

#[test]
fn a_single_user_turn_in_each_template() {
    let user = [ChatMessage::user(
        "Complete the following Python function:\n```python\ndef f():\n```",
    )];
    let expected = [
        ("smollm2", "<|im_start|>", "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\n"),
        ("qwen2.5-coder", "<|endoftext|>", "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n"),
        ("gemma3", "<bos>", "<bos><start_of_turn>user\n"),
        ("llama3", "<|begin_of_text|>", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"),
        ("deepseek-coder", "<｜begin▁of▁sentence｜>", "<｜begin▁of▁sentence｜>You are an AI programming assistant, utilizing the Deepseek Coder model"),
    ];
    let endings = [
        "<|im_start|>assistant\n",
        "<|im_start|>assistant\n",
        "<start_of_turn>model\n",
        "<|start_header_id|>assistant<|end_header_id|>\n\n",
        "### Response:\n",
    ];
    for ((name, bos, start), end) in expected.into_iter().zip(endings) {
        let template = ChatTemplate::new(&read(&format!("{name}.jinja")), bos, "").unwrap();
        let text = template.prompt(&user).unwrap();
        assert!(text.starts_with(start), "{name}: {text}");
        assert!(text.ends_with(end), "{name}: {text:?}");
        assert!(text.contains("def f():"), "{name}: {text}");
    }
}

#[test]
fn gemma_and_llama_lose_their_rendered_bos_when_the_tokenizer_adds_one() {
    let user = [ChatMessage::user("Hi")];
    let gemma = ChatTemplate::new(&read("gemma3.jinja"), "<bos>", "<eos>")
        .unwrap()
        .with_tokenizer_adding_bos(true);
    assert_eq!(
        gemma.prompt(&user).unwrap(),
        "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n"
    );
    let llama = ChatTemplate::new(&read("llama3.jinja"), "<|begin_of_text|>", "<|eot_id|>")
        .unwrap()
        .with_tokenizer_adding_bos(true);
    assert!(llama
        .prompt(&user)
        .unwrap()
        .starts_with("<|start_header_id|>user"));
}

#[test]
fn gemma_refuses_turns_that_do_not_alternate() {
    let gemma = ChatTemplate::new(&read("gemma3.jinja"), "<bos>", "<eos>").unwrap();
    let err = gemma
        .render(&[ChatMessage::user("a"), ChatMessage::user("b")], true)
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("Conversation roles must alternate user/assistant/user/assistant/..."),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
}

/// The tiny tokenizer with `template` as its chat template.
fn tokenizer_with(template: Option<String>) -> LmTokenizer {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    arbor_lm::testing::write_tiny_gguf(&path, "llama").unwrap();
    let gguf = arbor_lm::GgufFile::open(&path).unwrap();
    let mut tokenizer = LmTokenizer::from_metadata(gguf.metadata()).unwrap();
    tokenizer.chat_template = template;
    tokenizer
}

#[test]
fn smollm2s_chatml_prompt_is_byte_identical_to_the_recorded_runs() {
    // What arbor-eval put to SmolLM2 for HumanEval (the `chatml` format) before chat
    // templates: its pass@1 was measured with exactly this text.
    let message =
        "Complete the following Python function:\n```python\ndef add(a, b):\n    \"\"\"Add.\"\"\"\n```";
    let recorded =
        format!("<|im_start|>user\n{message}<|im_end|>\n<|im_start|>assistant\n```python\n");
    let smollm2 = tokenizer_with(Some(read("smollm2.jinja")));
    let chatml = Prompter::new(PromptFormat::ChatMl, &smollm2).unwrap();
    assert_eq!(
        chatml.conversation(message, "```python\n").unwrap(),
        recorded
    );
    // SmolLM2's own template adds its default system turn: a different prompt, the `chat`
    // format.
    let own = Prompter::new(PromptFormat::Chat, &smollm2).unwrap();
    assert_eq!(
        own.conversation(message, "```python\n").unwrap(),
        format!("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n{recorded}")
    );
}

#[test]
fn a_model_without_a_template_is_a_completion_model() {
    assert_eq!(
        PromptFormat::from_chat_template(None),
        PromptFormat::Completion
    );
    let base = tokenizer_with(None);
    assert!(base.chat().unwrap().is_none());
    let err = Prompter::new(PromptFormat::Chat, &base).unwrap_err();
    assert!(err.to_string().starts_with("chat template: "), "{err}");
    let broken = tokenizer_with(Some("{% if %}".into()));
    let err = Prompter::new(PromptFormat::Chat, &broken).unwrap_err();
    assert!(err.to_string().starts_with("chat template: "), "{err}");
}
