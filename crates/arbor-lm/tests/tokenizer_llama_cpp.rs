//! Token ids compared with llama.cpp's own tokenizer, run through llama-cpp-python by
//! `tests/llama_cpp/tokenize.py`, on the texts of `fixtures/tokenizer_texts.json` and two
//! generated 10 KB texts: Gemma 3 (SentencePiece), SmolLM2 (byte-level BPE, `smollm`), and
//! synthetic vocabularies — byte-level BPE under every pre-tokenizer name Arbor knows,
//! SentencePiece with and without the space prefix — that the helper writes and trains on the
//! texts. Ignored by default:
//!
//! ```text
//! ARBOR_GEMMA_GGUF=/path/gemma-3-270m.gguf \
//!   cargo test --release -p arbor-lm --test tokenizer_llama_cpp -- --ignored
//! ```
//!
//! `$ARBOR_TOKENIZER_RANDOM_TEXTS` sets how many pseudo-random texts are added (120).
//! The helper's Python is `$ARBOR_LLAMA_CPP_PYTHON`, else `bench-venv-llama/bin/python` in
//! `$ARBOR_CACHE` (`~/.cache/arbor`), a virtual environment with `llama-cpp-python==0.3.36`
//! and `gguf` (`scripts/llama-cpp-venv.sh`). The models: `$ARBOR_GEMMA_GGUF` and
//! `$ARBOR_SMOLLM_GGUF`, else the catalog's `gemma3-270m` and `smollm2-135m` (fetched when
//! missing).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use arbor_lm::{GgufFile, LmTokenizer};

const NEEDS: &str = "needs llama-cpp-python (ARBOR_LLAMA_CPP_PYTHON or bench-venv-llama)";

fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("ARBOR_LLAMA_CPP_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    arbor_lm::catalog::cache_root().join("bench-venv-llama/bin/python")
}

/// Runs the helper with `args` and an output file as its last argument; its JSON.
fn helper(args: &[&Path]) -> serde_json::Value {
    let python = python();
    assert!(python.exists(), "{} is missing: {NEEDS}", python.display());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/llama_cpp/tokenize.py");
    let output = Command::new(&python)
        .arg(script)
        .args(args)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "tokenize.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
}

/// The fixture's shared texts, those of `extra` (a key of the fixture), and two 10 KB texts.
fn texts(extra: Option<&str>) -> Vec<String> {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/tokenizer_texts.json")).unwrap();
    let list = |key: &str| -> Vec<String> {
        fixture[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let mut texts = list("shared");
    if let Some(key) = extra {
        texts.extend(list(key));
    }
    let code: String = texts[1..8].concat();
    texts.push(code.repeat(10_240 / code.len() + 1));
    // Long runs, where a careless tokenizer turns quadratic.
    for run in [
        "ab",
        "a",
        " ",
        "\n",
        "\t ",
        "1",
        "日",
        "<",
        "<start_of_turn>x",
        "🙂",
    ] {
        texts.push(run.repeat(10_240 / run.len()));
    }
    let random = std::env::var("ARBOR_TOKENIZER_RANDOM_TEXTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(120);
    texts.extend(random_texts(random));
    texts
}

/// The pieces [`random_texts`] joins: where pre-tokenizers and merges disagree (whitespace of
/// every kind, contractions, digits, letters, marks and numbers of many scripts, emoji,
/// punctuation, special token texts).
const PIECES: &[&str] = &[
    " ",
    " ",
    " ",
    "  ",
    "\t",
    "\n",
    "\n",
    "\r\n",
    "\r",
    "\u{a0}",
    "\u{3000}",
    "\u{2028}",
    "\u{85}",
    "\u{b}",
    "\u{c}",
    "a",
    "b",
    "x",
    "y",
    "z",
    "Q",
    "XY",
    "e",
    "return",
    "def",
    "Hello",
    "world",
    "zqjv",
    "qu",
    "xy",
    "'",
    "'s",
    "'S",
    "'ll",
    "'LL",
    "'re",
    "'ve",
    "'d",
    "'m",
    "'t",
    "0",
    "1",
    "7",
    "12",
    "123",
    "4567",
    "3.14",
    "٣",
    "²",
    "½",
    "Ⅻ",
    "①",
    ".",
    ",",
    ";",
    ":",
    "!",
    "?",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "<",
    ">",
    "\"",
    "`",
    "~",
    "|",
    "^",
    "$",
    "+",
    "=",
    "-",
    "_",
    "*",
    "/",
    "\\",
    "@",
    "#",
    "%",
    "&",
    "é",
    "ß",
    "ñ",
    "Ж",
    "λ",
    "日",
    "本",
    "語",
    "한",
    "ह",
    "ि",
    "ا",
    "\u{301}",
    "🙂",
    "👍",
    "🏽",
    "\u{200d}",
    "→",
    "∀",
    "©",
    "™",
    "…",
    "—",
    "“",
    "”",
    "，",
    "。",
    "！",
    "Ａ",
    "ｚ",
    "<|im_start|>",
    "<|im_end|>",
    "<start_of_turn>",
    "<end_of_turn>",
    "<|fim_prefix|>",
    "<|endoftext|>",
    "<unk>",
    "<s>",
    "<0x41>",
    "<tool>",
    "▁",
    "Ġ",
    "\u{7}",
];

/// `n` pseudo-random texts (always the same) of pieces where pre-tokenizers and merges
/// disagree: whitespace of every kind, contractions, digits, letters, marks and numbers of
/// many scripts, emoji, punctuation, special token texts.
fn random_texts(n: usize) -> Vec<String> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    (0..n)
        .map(|_| {
            let len = next(40);
            (0..len).map(|_| PIECES[next(PIECES.len())]).collect()
        })
        .collect()
}

fn write_json(dir: &Path, texts: &[String]) -> PathBuf {
    let path = dir.join("texts.json");
    std::fs::write(&path, serde_json::to_string(texts).unwrap()).unwrap();
    path
}

fn ids(value: &serde_json::Value) -> Vec<Vec<u32>> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|ids| {
            ids.as_array()
                .unwrap()
                .iter()
                .map(|id| id.as_u64().unwrap() as u32)
                .collect()
        })
        .collect()
}

/// Asserts Arbor's ids equal llama.cpp's for every text; with `round_trip`, that decoding
/// them (BOS left out) gives the text back. The number of texts compared.
fn compare(
    name: &str,
    tokenizer: &LmTokenizer,
    texts: &[String],
    expected: &[Vec<u32>],
    round_trip: bool,
) -> usize {
    assert_eq!(texts.len(), expected.len());
    let mut failures = Vec::new();
    for (text, expected) in texts.iter().zip(expected) {
        let ids = tokenizer.encode(text).unwrap();
        if ids != *expected {
            let pieces = |ids: &[u32]| -> Vec<String> {
                ids.iter()
                    .map(|&id| tokenizer.token_text(id).unwrap_or_default())
                    .collect()
            };
            failures.push(format!(
                "{name}: {text:?}\n  llama.cpp: {expected:?}\n             {:?}\n  arbor:     {ids:?}\n             {:?}",
                pieces(expected),
                pieces(&ids)
            ));
            continue;
        }
        // SentencePiece cannot give back a `▁` or a byte token's text (`<0x41>`) written in
        // the text: they are a space and a byte to it.
        if round_trip && !text.contains('▁') && !text.contains("<0x") {
            let body = match (tokenizer.add_bos, ids.first()) {
                (true, Some(&first)) if Some(first) == tokenizer.bos => &ids[1..],
                _ => &ids[..],
            };
            assert_eq!(tokenizer.decode(body, false).unwrap(), *text, "{name}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    texts.len()
}

fn model(env: &str, catalog_name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    arbor_lm::catalog::entry(catalog_name)
        .unwrap_or_else(|| panic!("no catalog entry {catalog_name}; set {env}"))
        .fetch(&|m| eprintln!("{m}"))
        .unwrap()
}

fn tokenizer(path: &Path) -> LmTokenizer {
    let file = GgufFile::open(path).unwrap();
    LmTokenizer::from_metadata(file.metadata()).unwrap()
}

fn real_model(env: &str, catalog_name: &str, extra: &str) {
    let path = model(env, catalog_name);
    let texts = texts(Some(extra));
    let dir = tempfile::tempdir().unwrap();
    let expected = ids(&helper(&[Path::new("ids"), &path, &write_json(dir.path(), &texts)])["ids"]);
    let file = GgufFile::open(&path).unwrap();
    let started = Instant::now();
    let tokenizer = LmTokenizer::from_metadata(file.metadata()).unwrap();
    let built = started.elapsed();
    let n = compare(catalog_name, &tokenizer, &texts, &expected, true);
    let code = texts.iter().find(|t| t.len() >= 10_240).unwrap();
    let started = Instant::now();
    let count = tokenizer.encode(code).unwrap().len();
    let code_time = started.elapsed();
    let (slowest, text) = texts
        .iter()
        .map(|text| {
            let started = Instant::now();
            tokenizer.encode(text).unwrap();
            (started.elapsed(), text)
        })
        .max()
        .unwrap();
    eprintln!(
        "{catalog_name}: {n} texts equal to llama.cpp's; {} tokens built in {built:.2?}; {} bytes \
         of code encoded to {count} tokens in {code_time:.2?}; slowest text: {} bytes ({:?}...) \
         in {slowest:.2?}",
        tokenizer.vocab_size(),
        code.len(),
        text.len(),
        text.chars().take(12).collect::<String>()
    );
}

#[test]
#[ignore = "needs llama-cpp-python (ARBOR_LLAMA_CPP_PYTHON or bench-venv-llama) and Gemma 3 270M"]
fn gemma3_sentencepiece_ids_equal_llama_cpp() {
    real_model("ARBOR_GEMMA_GGUF", "gemma3-270m", "gemma");
}

#[test]
#[ignore = "needs llama-cpp-python (ARBOR_LLAMA_CPP_PYTHON or bench-venv-llama) and SmolLM2"]
fn smollm2_bpe_ids_equal_llama_cpp() {
    real_model("ARBOR_SMOLLM_GGUF", "smollm2-135m", "smollm");
}

#[test]
#[ignore = "needs llama-cpp-python (ARBOR_LLAMA_CPP_PYTHON or bench-venv-llama)"]
fn synthetic_vocabularies_ids_equal_llama_cpp() {
    let dir = tempfile::tempdir().unwrap();
    let texts = texts(None);
    let result = helper(&[
        Path::new("synth"),
        &dir.path().join("vocabularies"),
        &write_json(dir.path(), &texts),
    ]);
    let mut names = Vec::new();
    for case in result["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let texts: Vec<String> = case["texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        let tokenizer = tokenizer(Path::new(case["gguf"].as_str().unwrap()));
        // SentencePiece with the space prefix gives a space back before each stretch of text.
        let round_trip = name != "spm";
        let n = compare(name, &tokenizer, &texts, &ids(&case["ids"]), round_trip);
        names.push(format!("{name} ({n} texts)"));
    }
    eprintln!("equal to llama.cpp: {}", names.join(", "));
    assert_eq!(names.len(), 12);
}
