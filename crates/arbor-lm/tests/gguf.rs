//! GGUF loading and the tokenizer built from GGUF metadata, on a tiny file the test writes.

use arbor_lm::testing::{tiny_vocabulary, write_tiny_gguf, TINY_SPECIALS};
use arbor_lm::{GgufFile, LmError, LmTokenizer};

fn tiny() -> (tempfile::TempDir, GgufFile) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_tiny_gguf(&path, "llama").unwrap();
    let file = GgufFile::open(&path).unwrap();
    (dir, file)
}

#[test]
fn the_tokenizer_round_trips_code() {
    let (_dir, file) = tiny();
    let tokenizer = LmTokenizer::from_metadata(file.metadata()).unwrap();
    let (tokens, _, _) = tiny_vocabulary();
    assert_eq!(tokenizer.vocab_size(), tokens.len());
    for text in [
        "def add(a, b):\n    return a + b\n",
        "naïve café — ünïcödé ✓ 变量\t\r\n",
        "",
        "    \n\n   ",
    ] {
        let ids = tokenizer.encode(text).unwrap();
        assert_eq!(tokenizer.decode(&ids, false).unwrap(), text, "{ids:?}");
    }
}

#[test]
fn merges_apply_and_digits_split_one_by_one() {
    let (_dir, file) = tiny();
    let tokenizer = LmTokenizer::from_metadata(file.metadata()).unwrap();
    let ids = tokenizer.encode("def f():\n    return 12").unwrap();
    let pieces: Vec<String> = ids
        .iter()
        .map(|&id| tokenizer.token_text(id).unwrap())
        .collect();
    assert_eq!(
        pieces,
        ["def", "Ġ", "f", "(", ")", ":", "Ċ", "ĠĠ", "Ġ", "Ġreturn", "Ġ", "1", "2"]
    );
    assert!(pieces.contains(&"def".to_string()), "{pieces:?}");
    assert!(pieces.contains(&"Ġreturn".to_string()), "{pieces:?}");
    // The smollm pre-tokenizer isolates digits: the merge `1 2` never applies.
    assert!(
        pieces.ends_with(&["1".to_string(), "2".to_string()]),
        "{pieces:?}"
    );
    assert!(!pieces.contains(&"12".to_string()));
}

#[test]
fn special_tokens_are_single_ids_and_can_be_skipped() {
    let (_dir, file) = tiny();
    let tokenizer = LmTokenizer::from_metadata(file.metadata()).unwrap();
    let ids = tokenizer.encode("<|im_start|>def<|im_end|>").unwrap();
    let start = tokenizer.token_id("<|im_start|>").unwrap();
    let end = tokenizer.token_id("<|im_end|>").unwrap();
    assert_eq!(ids.first(), Some(&start));
    assert_eq!(ids.last(), Some(&end));
    assert_eq!(ids.len(), 3);
    assert_eq!(tokenizer.decode(&ids, true).unwrap(), "def");
    assert_eq!(
        tokenizer.decode(&ids, false).unwrap(),
        "<|im_start|>def<|im_end|>"
    );
    let eos = tokenizer.token_id(TINY_SPECIALS[0]).unwrap();
    assert_eq!(tokenizer.eos, Some(eos));
    assert!(!tokenizer.add_bos);
    assert!(tokenizer
        .chat_template
        .as_deref()
        .unwrap()
        .contains("<|im_start|>"));
}

#[test]
fn bad_files_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = GgufFile::open(&dir.path().join("missing.gguf"))
        .err()
        .unwrap();
    assert!(matches!(missing, LmError::Io { .. }), "{missing}");

    let text = dir.path().join("text.gguf");
    std::fs::write(&text, "not a model").unwrap();
    let err = GgufFile::open(&text).err().unwrap();
    assert!(
        err.to_string()
            .contains("text.gguf: not a readable GGUF file"),
        "{err}"
    );

    let whole = dir.path().join("whole.gguf");
    write_tiny_gguf(&whole, "llama").unwrap();
    let bytes = std::fs::read(&whole).unwrap();
    let truncated = dir.path().join("truncated.gguf");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = GgufFile::open(&truncated).err().unwrap();
    assert!(matches!(err, LmError::NotGguf { .. }), "{err}");

    let gpt = dir.path().join("gpt.gguf");
    write_tiny_gguf(&gpt, "mamba").unwrap();
    let err = GgufFile::open(&gpt).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: architecture `mamba` is not supported (expected one of: llama, qwen2, qwen3, gemma3, starcoder2)",
            gpt.display()
        )
    );
}
