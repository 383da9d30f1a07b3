//! Generation with a tiny llama model with random weights that the test writes itself.

use arbor_lm::testing::write_tiny_model;
use arbor_lm::{GenerationParams, LlamaModel, StopReason};

fn tiny_model() -> (tempfile::TempDir, LlamaModel) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny-llama.gguf");
    write_tiny_model(&path, 7).unwrap();
    let model = LlamaModel::load(&path).unwrap();
    (dir, model)
}

#[test]
fn greedy_generation_is_deterministic_and_bounded() {
    let (_dir, mut model) = tiny_model();
    let params = GenerationParams {
        max_tokens: 12,
        ..GenerationParams::default()
    };
    let first = model.generate("def add(a, b):\n", &params).unwrap();
    let second = model.generate("def add(a, b):\n", &params).unwrap();
    assert_eq!(
        first.text, second.text,
        "greedy decoding twice, with the KV cache reset"
    );
    assert!(first.completion_tokens <= 12);
    assert_eq!(
        first.prompt_tokens,
        model.tokenizer().encode("def add(a, b):\n").unwrap().len()
    );
    if first.stop_reason == StopReason::MaxTokens {
        assert_eq!(first.completion_tokens, 12);
    }
}

#[test]
fn sampling_follows_the_seed() {
    let (_dir, mut model) = tiny_model();
    let params = |seed| GenerationParams {
        max_tokens: 16,
        temperature: 1.5,
        top_p: 0.95,
        top_k: 50,
        repeat_penalty: 1.1,
        seed,
        ..GenerationParams::default()
    };
    let a = model.generate("return", &params(1)).unwrap();
    let b = model.generate("return", &params(1)).unwrap();
    assert_eq!(a.text, b.text, "same seed, same completion");
    let others: Vec<String> = (2..6)
        .map(|seed| model.generate("return", &params(seed)).unwrap().text)
        .collect();
    assert!(
        others.iter().any(|t| *t != a.text),
        "different seeds never differ: {others:?}"
    );
}

#[test]
fn stop_sequences_cut_the_completion() {
    let (_dir, mut model) = tiny_model();
    let free = model
        .generate(
            "def",
            &GenerationParams {
                max_tokens: 24,
                temperature: 1.0,
                seed: 3,
                ..GenerationParams::default()
            },
        )
        .unwrap();
    // Stop at the second character the model wrote: the completion is cut before it.
    let Some(stop) = free.text.chars().nth(1).map(String::from) else {
        return; // the model ended at once; nothing to cut
    };
    let params = GenerationParams {
        max_tokens: 24,
        temperature: 1.0,
        seed: 3,
        stop: vec![stop.clone()],
        ..GenerationParams::default()
    };
    let cut = model.generate("def", &params).unwrap();
    assert_eq!(cut.stop_reason, StopReason::StopSequence);
    assert!(
        !cut.text.contains(&stop),
        "{:?} still holds {stop:?}",
        cut.text
    );
    assert!(free.text.starts_with(&cut.text));
    assert!(cut.completion_tokens <= free.completion_tokens);
}

#[test]
fn an_empty_prompt_is_an_error() {
    let (_dir, mut model) = tiny_model();
    assert!(model.generate("", &GenerationParams::default()).is_err());
}
