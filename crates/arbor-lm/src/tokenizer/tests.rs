//! [`LmTokenizer`] built from in-memory metadata: a small SentencePiece vocabulary and the
//! tiny byte-level BPE one of [`crate::testing`].

use std::collections::HashMap;

use candle_core::quantized::gguf_file::Value;

use super::LmTokenizer;
use crate::error::LmError;

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::String).collect())
}

/// A SentencePiece vocabulary: `<unk> <s> </s>`, the 256 byte tokens, a few pieces, control
/// tokens, a fill-in-the-middle token typed normal, and `\n` user-defined (as in Gemma).
fn spm_metadata(add_space_prefix: Option<bool>) -> HashMap<String, Value> {
    let mut tokens: Vec<(String, i32, f32)> = vec![
        ("<unk>".into(), 2, 0.0),
        ("<s>".into(), 3, 0.0),
        ("</s>".into(), 3, 0.0),
    ];
    tokens.extend((0..=255u8).map(|b| (format!("<0x{b:02X}>"), 6, 0.0)));
    for (piece, score) in [
        ("▁", -1.0),
        ("a", -2.0),
        ("b", -2.0),
        ("▁a", -3.0),
        ("ab", -1.5),
    ] {
        tokens.push((piece.into(), 1, score));
    }
    tokens.push(("▁ab".into(), 1, -0.5));
    for (special, kind) in [
        ("<start_of_turn>", 3),
        ("<end_of_turn>", 3),
        ("<|fim_prefix|>", 1),
        ("\n", 4),
    ] {
        tokens.push((special.into(), kind, 0.0));
    }
    let texts: Vec<String> = tokens.iter().map(|t| t.0.clone()).collect();
    let mut metadata: HashMap<String, Value> = [
        ("tokenizer.ggml.model", Value::String("llama".into())),
        ("tokenizer.ggml.tokens", strings(&texts)),
        (
            "tokenizer.ggml.token_type",
            Value::Array(tokens.iter().map(|t| Value::I32(t.1)).collect()),
        ),
        (
            "tokenizer.ggml.scores",
            Value::Array(tokens.iter().map(|t| Value::F32(t.2)).collect()),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if let Some(prefix) = add_space_prefix {
        metadata.insert(
            "tokenizer.ggml.add_space_prefix".into(),
            Value::Bool(prefix),
        );
    }
    metadata
}

fn pieces(tokenizer: &LmTokenizer, ids: &[u32]) -> Vec<String> {
    ids.iter()
        .map(|&id| tokenizer.token_text(id).unwrap())
        .collect()
}

#[test]
fn sentencepiece_merges_by_score_with_special_tokens_whole() {
    let t = LmTokenizer::from_metadata(&spm_metadata(None)).unwrap();
    // llama.cpp's defaults: <s> 1, </s> 2, BOS added, a space before text after a special.
    assert_eq!((t.bos, t.eos, t.add_bos), (Some(1), Some(2), true));
    assert!(t.inner().is_none());
    let ids = t.encode("<start_of_turn>ab\n<end_of_turn>").unwrap();
    assert_eq!(
        pieces(&t, &ids),
        ["<s>", "<start_of_turn>", "▁ab", "\n", "<end_of_turn>"]
    );
    assert_eq!(t.decode(&ids, true).unwrap(), " ab\n");
    assert_eq!(
        t.decode(&ids, false).unwrap(),
        "<s><start_of_turn> ab\n<end_of_turn>"
    );
    // "ab" (-1.5) is merged before "▁a" (-3), then "▁"+"ab" is "▁ab".
    assert_eq!(pieces(&t, &t.encode("ab").unwrap()), ["<s>", "▁ab"]);
    assert_eq!(pieces(&t, &t.encode("").unwrap()), ["<s>"]);
}

#[test]
fn sentencepiece_without_the_space_prefix_falls_back_to_bytes() {
    let t = LmTokenizer::from_metadata(&spm_metadata(Some(false))).unwrap();
    let ids = t.encode("ab é<|fim_prefix|>a").unwrap();
    assert_eq!(
        pieces(&t, &ids),
        ["<s>", "ab", "▁", "<0xC3>", "<0xA9>", "<|fim_prefix|>", "a"]
    );
    // Decoding puts the UTF-8 of é back together.
    assert_eq!(t.decode(&ids[1..], false).unwrap(), "ab é<|fim_prefix|>a");
    // The fill-in-the-middle token is typed normal, but llama.cpp makes it a control token.
    let fim = t.token_id("<|fim_prefix|>").unwrap();
    assert!(t.is_control(fim) && t.is_control(1) && !t.is_control(ids[1]));
    assert_eq!(t.decode(&ids[1..], true).unwrap(), "ab éa");
    // A byte cut in two decodes to U+FFFD (a stream waits for the rest).
    assert_eq!(t.decode(&ids[1..4], true).unwrap(), "ab \u{FFFD}");
}

fn bpe_metadata(pre: Option<&str>) -> HashMap<String, Value> {
    let (tokens, merges, types) = crate::testing::tiny_vocabulary();
    let mut metadata: HashMap<String, Value> = [
        ("tokenizer.ggml.model", Value::String("gpt2".into())),
        ("tokenizer.ggml.tokens", strings(&tokens)),
        ("tokenizer.ggml.merges", strings(&merges)),
        (
            "tokenizer.ggml.token_type",
            Value::Array(types.into_iter().map(Value::I32).collect()),
        ),
        ("tokenizer.ggml.bos_token_id", Value::U32(0)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if let Some(pre) = pre {
        metadata.insert("tokenizer.ggml.pre".into(), Value::String(pre.into()));
    }
    metadata
}

#[test]
fn the_pre_tokenizer_decides_digits_and_bos() {
    let encode = |pre: Option<&str>| {
        let t = LmTokenizer::from_metadata(&bpe_metadata(pre)).unwrap();
        let ids = t.encode("x 12").unwrap();
        (t.add_bos, pieces(&t, &ids))
    };
    // smollm: every digit alone; the merge "1 2" never applies.
    assert_eq!(
        encode(Some("smollm")),
        (false, vec!["x".into(), "Ġ".into(), "1".into(), "2".into()])
    );
    // gpt-2: " 12" is a word, "1 2" merges.
    assert_eq!(encode(Some("gpt-2")).1, ["x", "Ġ", "12"]);
    // llama-bpe adds BOS unless the metadata says otherwise; digits in threes.
    let (add_bos, llama) = encode(Some("llama-bpe"));
    assert!(add_bos);
    assert_eq!(llama[1..], ["x", "Ġ", "12"]);
    // Unknown or missing names: llama.cpp's default regexes.
    assert_eq!(encode(Some("no-such-pre")).1, ["x", "Ġ", "12"]);
    assert_eq!(encode(None).1, ["x", "Ġ", "12"]);
}

#[test]
fn bad_metadata_gives_one_line_errors() {
    let error = |metadata: &HashMap<String, Value>| match LmTokenizer::from_metadata(metadata) {
        Err(LmError::Metadata { key, message }) => format!("{key}: {message}"),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("accepted"),
    };
    let mut m = spm_metadata(None);
    m.insert("tokenizer.ggml.model".into(), Value::String("bert".into()));
    assert!(error(&m).starts_with("tokenizer.ggml.model: `bert` tokenizers are not supported"));
    let mut m = spm_metadata(None);
    m.insert(
        "tokenizer.ggml.scores".into(),
        Value::Array(vec![Value::F32(0.0)]),
    );
    assert!(error(&m).contains("1 values for"), "{}", error(&m));
    let mut m = spm_metadata(None);
    m.insert(
        "tokenizer.ggml.token_type".into(),
        Value::Array(vec![Value::String("x".into()); 300]),
    );
    assert!(error(&m).starts_with("tokenizer.ggml.token_type: unexpected"));
    let mut m = spm_metadata(None);
    m.insert("tokenizer.ggml.add_space_prefix".into(), Value::U32(1));
    assert!(error(&m).starts_with("tokenizer.ggml.add_space_prefix: expected a bool"));
    let mut m = spm_metadata(None);
    m.remove("tokenizer.ggml.tokens");
    assert_eq!(error(&m), "tokenizer.ggml.tokens: missing");
    let mut m = bpe_metadata(None);
    m.remove("tokenizer.ggml.merges");
    assert_eq!(error(&m), "tokenizer.ggml.merges: missing");
    // An id outside the vocabulary is ignored, as llama.cpp ignores it.
    let mut m = bpe_metadata(None);
    m.insert("tokenizer.ggml.eos_token_id".into(), Value::U32(1_000_000));
    assert_eq!(LmTokenizer::from_metadata(&m).unwrap().eos, None);
}
