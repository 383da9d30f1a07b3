//! A tiny sentence-transformers BERT for tests, made on the spot: two layers of 32 dimensions
//! with seeded random weights and a word-piece vocabulary of letters, digits, punctuation and
//! the given words. It loads and runs exactly as the real model does; what its vectors mean is
//! nothing in particular, beyond equal texts getting equal vectors.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::bert::{BertModel, Config};
use serde_json::json;

use crate::EmbedError;

/// Writes the tiny model into `dir` (created), its vocabulary holding `words` as whole
/// pieces, its weights drawn from `seed`.
pub fn write_tiny_model(dir: &Path, words: &[&str], seed: u64) -> Result<(), EmbedError> {
    let io = |e: std::io::Error| crate::model_error(dir, e);
    std::fs::create_dir_all(dir.join("1_Pooling")).map_err(io)?;
    let mut vocab: Vec<String> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .map(String::from)
        .to_vec();
    for c in ('a'..='z').chain('0'..='9') {
        vocab.push(c.to_string());
        vocab.push(format!("##{c}"));
    }
    vocab.extend("()[]{}.,:;=+-*/<>_!?\"'#&|%@".chars().map(String::from));
    vocab.extend(words.iter().map(|w| w.to_lowercase()));
    vocab.dedup();
    let config = json!({
        "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
        "hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2,
        "num_hidden_layers": 2, "max_position_embeddings": 512, "type_vocab_size": 2,
        "vocab_size": vocab.len(), "layer_norm_eps": 1e-12, "pad_token_id": 0,
        "hidden_dropout_prob": 0.1, "initializer_range": 0.02,
        "position_embedding_type": "absolute",
    });
    let write = |name: &str, value: &serde_json::Value| {
        std::fs::write(dir.join(name), value.to_string()).map_err(io)
    };
    write("config.json", &config)?;
    write(
        "1_Pooling/config.json",
        &json!({"word_embedding_dimension": 32, "pooling_mode_mean_tokens": true}),
    )?;
    write("tokenizer.json", &tokenizer_json(&vocab))?;
    let config: Config = serde_json::from_value(config)
        .map_err(|e| crate::model_error(&dir.join("config.json"), e))?;
    let varmap = VarMap::new();
    BertModel::load(
        VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
        &config,
    )?;
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let data = varmap.data().lock().unwrap_or_else(|e| e.into_inner());
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        let var = &data[name];
        let values: Vec<f32> = (0..var.elem_count())
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.4
            })
            .collect();
        let mut value = Tensor::from_vec(values, var.shape(), &Device::Cpu)?;
        if name.ends_with("LayerNorm.weight") {
            value = (value + 1.0)?;
        }
        var.set(&value)?;
    }
    drop(data);
    varmap.save(dir.join("model.safetensors"))?;
    Ok(())
}

/// A BERT word-piece tokenizer (lower-casing, as the real one) for `vocab`.
fn tokenizer_json(vocab: &[String]) -> serde_json::Value {
    let id = |token: &str| vocab.iter().position(|v| v == token).unwrap_or(1);
    let special = |token: &str| {
        json!({"id": id(token), "special": true, "content": token, "single_word": false,
               "lstrip": false, "rstrip": false, "normalized": false})
    };
    let vocab_map: serde_json::Map<String, serde_json::Value> = vocab
        .iter()
        .enumerate()
        .map(|(i, v)| (v.clone(), json!(i)))
        .collect();
    let added: Vec<serde_json::Value> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .map(special)
        .to_vec();
    json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": true,
                       "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [id("[CLS]")], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [id("[SEP]")], "tokens": ["[SEP]"]},
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab_map},
    })
}
