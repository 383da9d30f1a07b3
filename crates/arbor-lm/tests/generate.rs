//! Generation with a tiny llama model with random weights that the test writes itself.

use std::ops::ControlFlow;

use arbor_lm::testing::write_tiny_model;
use arbor_lm::{Completion, GenerationParams, LlamaModel, StopReason};

/// The single completion of a one-sample call.
fn one(model: &mut LlamaModel, prompt: &str, params: &GenerationParams) -> Completion {
    let mut all = model.generate(prompt, params).unwrap();
    assert_eq!(all.len(), 1);
    all.remove(0)
}

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
    let first = one(&mut model, "def add(a, b):\n", &params);
    let second = one(&mut model, "def add(a, b):\n", &params);
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
    let a = one(&mut model, "return", &params(1));
    let b = one(&mut model, "return", &params(1));
    assert_eq!(a.text, b.text, "same seed, same completion");
    let others: Vec<String> = (2..6)
        .map(|seed| one(&mut model, "return", &params(seed)).text)
        .collect();
    assert!(
        others.iter().any(|t| *t != a.text),
        "different seeds never differ: {others:?}"
    );
}

#[test]
fn stop_sequences_cut_the_completion() {
    let (_dir, mut model) = tiny_model();
    let free = one(
        &mut model,
        "def",
        &GenerationParams {
            max_tokens: 24,
            temperature: 1.0,
            seed: 3,
            ..GenerationParams::default()
        },
    );
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
    let cut = one(&mut model, "def", &params);
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

#[test]
fn samples_share_the_prefill_and_match_single_runs() {
    let (_dir, mut model) = tiny_model();
    // A stop sequence that some samples meet early: finished rows leave the batch.
    let params = GenerationParams {
        max_tokens: 20,
        temperature: 1.2,
        seed: 40,
        stop: vec!["e".into()],
        n: 5,
        ..GenerationParams::default()
    };
    let batch = model.generate("class A:\n", &params).unwrap();
    assert_eq!(batch.len(), 5);
    let mut lengths = std::collections::HashSet::new();
    for (i, sample) in batch.iter().enumerate() {
        let single = one(
            &mut model,
            "class A:\n",
            &GenerationParams {
                n: 1,
                seed: 40 + i as u64,
                ..params.clone()
            },
        );
        assert_eq!(sample.text, single.text, "sample {i}");
        assert_eq!(sample.completion_tokens, single.completion_tokens);
        assert_eq!(sample.stop_reason, single.stop_reason);
        assert_eq!(sample.prefill_secs, batch[0].prefill_secs, "one prefill");
        lengths.insert(sample.completion_tokens);
    }
    assert!(lengths.len() > 1, "all samples ended together: {batch:?}");
}

#[test]
fn zero_samples_or_tokens() {
    let (_dir, mut model) = tiny_model();
    let none = GenerationParams {
        n: 0,
        ..GenerationParams::default()
    };
    assert!(model.generate("x", &none).unwrap().is_empty());
    let empty = one(
        &mut model,
        "x",
        &GenerationParams {
            max_tokens: 0,
            ..GenerationParams::default()
        },
    );
    assert_eq!((empty.text.as_str(), empty.completion_tokens), ("", 0));
    assert_eq!(empty.stop_reason, StopReason::MaxTokens);
}

#[test]
fn streaming_pieces_add_up_and_can_stop() {
    let (_dir, mut model) = tiny_model();
    let params = GenerationParams {
        max_tokens: 30,
        temperature: 1.0,
        seed: 9,
        ..GenerationParams::default()
    };
    let whole = one(&mut model, "def f(x):", &params);
    let mut pieces = Vec::new();
    let streamed = model
        .generate_streaming("def f(x):", &params, &mut |p| {
            pieces.push(p.to_string());
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(streamed.text, whole.text);
    assert_eq!(pieces.concat(), whole.text);
    assert!(pieces.iter().all(|p| !p.is_empty()));
    // Stopping after the first piece.
    let mut first = None;
    let stopped = model
        .generate_streaming("def f(x):", &params, &mut |p| {
            first.get_or_insert_with(|| p.to_string());
            ControlFlow::Break(())
        })
        .unwrap();
    if stopped.completion_tokens < whole.completion_tokens {
        assert_eq!(stopped.stop_reason, StopReason::Stopped);
        assert!(whole.text.starts_with(&stopped.text));
    }
    assert_eq!(Some(stopped.text.clone()), first.or(Some(String::new())));
}

#[test]
fn streaming_holds_back_a_possible_stop_sequence() {
    let (_dir, mut model) = tiny_model();
    let base = GenerationParams {
        max_tokens: 24,
        temperature: 1.0,
        seed: 3,
        ..GenerationParams::default()
    };
    let free = one(&mut model, "def", &base);
    let chars: Vec<char> = free.text.chars().collect();
    if chars.len() < 4 {
        return;
    }
    // A stop sequence the model writes from its third character on, plus a character it
    // never writes there: a prefix of it must never be streamed.
    let stop: String = chars[2..4].iter().collect::<String>() + "\u{1F600}";
    let params = GenerationParams {
        stop: vec![stop.clone()],
        ..base
    };
    let mut pieces = Vec::new();
    let done = model
        .generate_streaming("def", &params, &mut |p| {
            pieces.push(p.to_string());
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(pieces.concat(), done.text);
    assert_eq!(done.text, free.text);
    // Until the end, what was shown never ended with the start of the stop sequence.
    let prefixes: Vec<&str> = stop
        .char_indices()
        .skip(1)
        .map(|(i, _)| &stop[..i])
        .collect();
    let mut shown = String::new();
    for piece in &pieces[..pieces.len() - 1] {
        shown.push_str(piece);
        assert!(
            prefixes.iter().all(|p| !shown.ends_with(p)),
            "{shown:?} was shown; it may begin {stop:?}"
        );
    }
}

#[test]
fn the_mean_log_probability_is_the_models_own() {
    let (_dir, mut model) = tiny_model();
    let prompt = "def add(a, b):\n";
    let ids = model.tokenizer().encode(prompt).unwrap();
    let last = model.logits_all(&ids).unwrap().pop().unwrap();
    let max = last.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let log_sum: f64 = last
        .iter()
        .map(|&v| (v as f64 - max).exp())
        .sum::<f64>()
        .ln();
    // Greedy, one token: the arg max, whose log-probability is -log_sum.
    let params = GenerationParams {
        max_tokens: 1,
        ..GenerationParams::default()
    };
    let c = one(&mut model, prompt, &params);
    let got = c.mean_logprob.expect("a log-probability");
    assert!((got + log_sum).abs() < 1e-3, "{got} vs {}", -log_sum);
    // More tokens at a high temperature: a mean of log-probabilities, below 0, and the same
    // again for the same seed.
    let mut sampled = || {
        one(
            &mut model,
            prompt,
            &GenerationParams {
                max_tokens: 10,
                temperature: 1.5,
                repeat_penalty: 1.1,
                seed: 3,
                ..GenerationParams::default()
            },
        )
    };
    let a = sampled();
    let mean = a.mean_logprob.unwrap();
    assert!(mean < 0.0 && mean.is_finite());
    assert_eq!(sampled().mean_logprob, Some(mean));
    // Nothing generated: no mean.
    let none = one(
        &mut model,
        prompt,
        &GenerationParams {
            max_tokens: 0,
            ..GenerationParams::default()
        },
    );
    assert_eq!(none.mean_logprob, None);
}

#[test]
fn requests_that_join_a_batch_at_different_steps_decode_as_they_would_alone() {
    let (_dir, mut model) = tiny_model();
    let sampled = |seed, n| GenerationParams {
        max_tokens: 14,
        temperature: 1.2,
        top_p: 0.95,
        repeat_penalty: 1.1,
        seed,
        n,
        ..GenerationParams::default()
    };
    let greedy = GenerationParams {
        max_tokens: 9,
        stop: vec!["\n\n".into()],
        ..GenerationParams::default()
    };
    let requests = [
        ("def add(a, b):\n", sampled(3, 2)),
        (
            "import os\nimport sys\n\n# read the config file",
            greedy.clone(),
        ),
        ("x", sampled(11, 1)),
    ];
    let alone: Vec<Vec<Completion>> = requests
        .iter()
        .map(|(prompt, params)| model.generate(prompt, params).unwrap())
        .collect();
    // The first joins, then one step later the second, two steps later the third.
    let mut batch = model.batch_decoder();
    let mut ids = Vec::new();
    let mut done = std::collections::HashMap::new();
    for (i, (prompt, params)) in requests.iter().enumerate() {
        ids.push(batch.join(prompt, params, None).unwrap());
        for _ in 0..i {
            done.extend(batch.step().unwrap());
        }
    }
    assert!(batch.active() > 0, "the requests overlap");
    while done.len() < requests.len() {
        done.extend(batch.step().unwrap());
    }
    assert_eq!(batch.active(), 0);
    for (i, id) in ids.iter().enumerate() {
        let together: Vec<(&str, usize, StopReason)> = done[id]
            .iter()
            .map(|c| (c.text.as_str(), c.completion_tokens, c.stop_reason))
            .collect();
        let apart: Vec<(&str, usize, StopReason)> = alone[i]
            .iter()
            .map(|c| (c.text.as_str(), c.completion_tokens, c.stop_reason))
            .collect();
        assert_eq!(together, apart, "request {i}");
    }
}

#[test]
fn a_callback_that_stops_ends_its_request_and_only_its_request() {
    let (_dir, model) = tiny_model();
    let params = |n| GenerationParams {
        max_tokens: 20,
        temperature: 1.0,
        n,
        ignore_eos: true,
        ..GenerationParams::default()
    };
    let mut batch = model.batch_decoder();
    let pieces = std::rc::Rc::new(std::cell::Cell::new(0));
    let seen = pieces.clone();
    // Three samples; the callback stops them all after its third piece of text.
    let stopped = batch
        .join(
            "def f():",
            &params(3),
            Some(Box::new(move |_: &str| {
                seen.set(seen.get() + 1);
                if seen.get() >= 3 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })),
        )
        .unwrap();
    let other = batch.join("class A:", &params(1), None).unwrap();
    let mut done = std::collections::HashMap::new();
    while done.len() < 2 {
        done.extend(batch.step().unwrap());
    }
    assert_eq!(pieces.get(), 3, "no text after the stop");
    assert!(done[&stopped]
        .iter()
        .all(|c| c.stop_reason == StopReason::Stopped && c.completion_tokens < 20));
    assert_eq!(done[&other][0].completion_tokens, 20);
    assert_eq!(done[&other][0].stop_reason, StopReason::MaxTokens);
}
