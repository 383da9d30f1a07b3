//! Fill-in-the-middle tokens, found as llama.cpp finds them (`llama-vocab.cpp`): the ids the
//! GGUF names in `tokenizer.ggml.fim_{pre,suf,mid,pad,rep,sep}_token_id` (or the older
//! `tokenizer.ggml.{prefix,suffix,middle}_token_id`) first, otherwise the spellings the
//! common code models use, looked up in the vocabulary:
//!
//! | family | prefix | suffix | middle |
//! |---|---|---|---|
//! | Qwen2.5-Coder, CodeGemma | `<\|fim_prefix\|>` | `<\|fim_suffix\|>` | `<\|fim_middle\|>` |
//! | StarCoder, StarCoder2, SmolLM, Granite | `<fim_prefix>` | `<fim_suffix>` | `<fim_middle>` |
//! | DeepSeek-Coder | `<｜fim▁begin｜>` | `<｜fim▁hole｜>` | `<｜fim▁end｜>` |
//! | CodeLlama | `<PRE>` / `▁<PRE>` | `<SUF>` / `▁<SUF>` | `<MID>` / `▁<MID>` |
//! | others llama.cpp knows | `<fim-prefix>`, `<\|code_prefix\|>`, `<\|prefix\|>` | … | … |
//!
//! A prompt is written prefix–suffix–middle (PSM), as llama.cpp's `/infill` writes it:
//! `{pre}{prefix}{suf}{suffix}{mid}`, and the model continues with the middle.

use std::collections::HashMap;

use candle_core::quantized::gguf_file::Value;

use crate::error::LmError;
use crate::gguf::metadata_u32;
use crate::tokenizer::LmTokenizer;

/// A special token: its id and its text in the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SpecialToken {
    /// The token id.
    pub id: u32,
    /// Its text, as written in a prompt.
    pub text: String,
}

/// The fill-in-the-middle tokens of a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FimTokens {
    /// Begins the text before the cursor.
    pub prefix: SpecialToken,
    /// Begins the text after the cursor.
    pub suffix: SpecialToken,
    /// Asks for the middle.
    pub middle: SpecialToken,
    /// Padding (`<|fim_pad|>`); the model may end with it.
    pub pad: Option<SpecialToken>,
    /// The repository's name (`<|repo_name|>`).
    pub repo: Option<SpecialToken>,
    /// Separates files (`<|file_sep|>`).
    pub file_sep: Option<SpecialToken>,
}

impl FimTokens {
    /// The prefix–suffix–middle prompt for the text before (`prefix`) and after
    /// (`suffix`) the cursor.
    pub fn prompt(&self, prefix: &str, suffix: &str) -> String {
        format!(
            "{}{prefix}{}{suffix}{}",
            self.prefix.text, self.suffix.text, self.middle.text
        )
    }

    /// Every id here: where a completion should stop.
    pub fn ids(&self) -> Vec<u32> {
        [&self.prefix, &self.suffix, &self.middle]
            .into_iter()
            .chain(
                [&self.pad, &self.repo, &self.file_sep]
                    .into_iter()
                    .flatten(),
            )
            .map(|t| t.id)
            .collect()
    }
}

/// The repository-level tokens of a vocabulary: a prompt of several files names the
/// repository after `repo_name` and starts each file with `file_sep` and its path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoTokens {
    /// `<|repo_name|>` (Qwen2.5-Coder) or `<repo_name>` (StarCoder2, SmolLM).
    pub repo_name: Option<SpecialToken>,
    /// `<|file_sep|>` (Qwen2.5-Coder) or `<file_sep>` (StarCoder2, SmolLM).
    pub file_sep: Option<SpecialToken>,
}

/// The fill-in-the-middle ids a GGUF file's metadata names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FimIds {
    /// `tokenizer.ggml.fim_pre_token_id` (or `prefix_token_id`).
    pub prefix: Option<u32>,
    /// `tokenizer.ggml.fim_suf_token_id` (or `suffix_token_id`).
    pub suffix: Option<u32>,
    /// `tokenizer.ggml.fim_mid_token_id` (or `middle_token_id`).
    pub middle: Option<u32>,
    /// `tokenizer.ggml.fim_pad_token_id`.
    pub pad: Option<u32>,
    /// `tokenizer.ggml.fim_rep_token_id`.
    pub repo: Option<u32>,
    /// `tokenizer.ggml.fim_sep_token_id`.
    pub file_sep: Option<u32>,
}

impl FimIds {
    /// The ids in `metadata` (a key that is not a number is an error).
    pub fn from_metadata(metadata: &HashMap<String, Value>) -> Result<FimIds, LmError> {
        let id = |keys: &[&str]| -> Result<Option<u32>, LmError> {
            for key in keys {
                let key = format!("tokenizer.ggml.{key}_token_id");
                if let Some(value) = metadata.get(&key) {
                    return metadata_u32(value, &key).map(Some);
                }
            }
            Ok(None)
        };
        Ok(FimIds {
            prefix: id(&["fim_pre", "prefix"])?,
            suffix: id(&["fim_suf", "suffix"])?,
            middle: id(&["fim_mid", "middle"])?,
            pad: id(&["fim_pad"])?,
            repo: id(&["fim_rep"])?,
            file_sep: id(&["fim_sep"])?,
        })
    }
}

/// The vocabulary's spellings of prefix, suffix and middle, in the order they are tried.
/// A family is taken only whole; where a family has two spellings of a token (CodeLlama's
/// `<PRE>` and `▁<PRE>`), the first the vocabulary has is used.
const FIM_FAMILIES: &[[&[&str]; 3]] = &[
    [
        &["<|fim_prefix|>"],
        &["<|fim_suffix|>"],
        &["<|fim_middle|>"],
    ],
    [&["<fim_prefix>"], &["<fim_suffix>"], &["<fim_middle>"]],
    [
        &["<\u{ff5c}fim\u{2581}begin\u{ff5c}>"],
        &["<\u{ff5c}fim\u{2581}hole\u{ff5c}>"],
        &["<\u{ff5c}fim\u{2581}end\u{ff5c}>"],
    ],
    [
        &["<PRE>", "\u{2581}<PRE>"],
        &["<SUF>", "\u{2581}<SUF>"],
        &["<MID>", "\u{2581}<MID>"],
    ],
    // Further spellings llama.cpp knows.
    [&["<fim-prefix>"], &["<fim-suffix>"], &["<fim-middle>"]],
    [
        &["<|code_prefix|>"],
        &["<|code_suffix|>"],
        &["<|code_middle|>"],
    ],
    [&["<|prefix|>"], &["<|suffix|>"], &["<|middle|>"]],
];

/// llama.cpp's spellings of the padding token.
const PAD: &[&str] = &["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"];
/// llama.cpp's spellings of the repository token.
const REPO: &[&str] = &[
    "<|fim_repo|>",
    "<|repo_name|>",
    "<fim-repo>",
    "<REPO>",
    "<reponame>",
];
/// The repository token of repository-level prompts (a file separator goes with it).
const REPO_NAME: &[&str] = &["<|repo_name|>", "<repo_name>"];
/// The file separator (llama.cpp knows the first; StarCoder2 and SmolLM have the second).
const FILE_SEP: &[&str] = &["<|file_sep|>", "<file_sep>"];

impl LmTokenizer {
    /// The token of `id` with its vocabulary text, when the vocabulary has it.
    fn special(&self, id: u32) -> Option<SpecialToken> {
        let text = self.token_text(id)?;
        Some(SpecialToken { id, text })
    }

    /// The first of `spellings` the vocabulary has.
    fn first_of(&self, spellings: &[&str]) -> Option<SpecialToken> {
        spellings.iter().find_map(|s| {
            self.token_id(s).map(|id| SpecialToken {
                id,
                text: s.to_string(),
            })
        })
    }

    /// The token the metadata names (when the vocabulary has that id), else the first of
    /// `spellings` the vocabulary has.
    fn metadata_or(&self, id: Option<u32>, spellings: &[&str]) -> Option<SpecialToken> {
        id.and_then(|id| self.special(id))
            .or_else(|| self.first_of(spellings))
    }

    /// The vocabulary's fill-in-the-middle tokens, when it has all three of prefix, suffix
    /// and middle: those the GGUF metadata names first, else the first family of spellings
    /// (see the module's table) the vocabulary has whole.
    pub fn fim_tokens(&self) -> Option<FimTokens> {
        let ids = &self.fim_ids;
        let named =
            [ids.prefix, ids.suffix, ids.middle].map(|id| id.and_then(|id| self.special(id)));
        let [prefix, suffix, middle] = if named.iter().all(Option::is_some) {
            named
        } else {
            let family = FIM_FAMILIES.iter().find_map(|family| {
                let found = family.map(|spellings| self.first_of(spellings));
                found.iter().all(Option::is_some).then_some(found)
            })?;
            // A token the metadata names wins over the family's spelling.
            let [p, s, m] = named;
            let [fp, fs, fm] = family;
            [p.or(fp), s.or(fs), m.or(fm)]
        };
        Some(FimTokens {
            prefix: prefix?,
            suffix: suffix?,
            middle: middle?,
            pad: self.metadata_or(ids.pad, PAD),
            repo: self.metadata_or(ids.repo, REPO),
            file_sep: self.metadata_or(ids.file_sep, FILE_SEP),
        })
    }

    /// The vocabulary's repository-level tokens (the metadata's `fim_rep`/`fim_sep` first).
    pub fn repo_tokens(&self) -> RepoTokens {
        RepoTokens {
            repo_name: self.metadata_or(self.fim_ids.repo, REPO_NAME),
            file_sep: self.metadata_or(self.fim_ids.file_sep, FILE_SEP),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::tiny_vocabulary;

    /// The tiny vocabulary with `specials` added as control tokens, and `extra` metadata.
    fn tokenizer(specials: &[&str], extra: &[(&str, u32)]) -> LmTokenizer {
        let (mut tokens, merges, mut types) = tiny_vocabulary();
        for special in specials {
            tokens.push(special.to_string());
            types.push(3);
        }
        let strings =
            |items: &[String]| Value::Array(items.iter().cloned().map(Value::String).collect());
        let mut metadata: HashMap<String, Value> = [
            ("tokenizer.ggml.model", Value::String("gpt2".into())),
            ("tokenizer.ggml.tokens", strings(&tokens)),
            ("tokenizer.ggml.merges", strings(&merges)),
            (
                "tokenizer.ggml.token_type",
                Value::Array(types.into_iter().map(Value::I32).collect()),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (key, id) in extra {
            metadata.insert(key.to_string(), Value::U32(*id));
        }
        LmTokenizer::from_metadata(&metadata).unwrap()
    }

    fn texts(fim: &FimTokens) -> [&str; 3] {
        [&fim.prefix, &fim.suffix, &fim.middle].map(|t| t.text.as_str())
    }

    #[test]
    fn every_common_spelling_is_found() {
        let cases: [(&[&str], [&str; 3]); 5] = [
            (
                &[
                    "<|fim_prefix|>",
                    "<|fim_middle|>",
                    "<|fim_suffix|>",
                    "<|fim_pad|>",
                    "<|repo_name|>",
                    "<|file_sep|>",
                ],
                ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"],
            ),
            (
                &[
                    "<fim_prefix>",
                    "<fim_middle>",
                    "<fim_suffix>",
                    "<fim_pad>",
                    "<repo_name>",
                    "<file_sep>",
                ],
                ["<fim_prefix>", "<fim_suffix>", "<fim_middle>"],
            ),
            (
                &["<｜fim▁hole｜>", "<｜fim▁begin｜>", "<｜fim▁end｜>"],
                ["<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"],
            ),
            (
                &["▁<PRE>", "▁<SUF>", "▁<MID>", "▁<EOT>"],
                ["▁<PRE>", "▁<SUF>", "▁<MID>"],
            ),
            (&["<PRE>", "<SUF>", "<MID>"], ["<PRE>", "<SUF>", "<MID>"]),
        ];
        for (specials, expected) in cases {
            let t = tokenizer(specials, &[]);
            let fim = t.fim_tokens().unwrap_or_else(|| panic!("{specials:?}"));
            assert_eq!(texts(&fim), expected);
            assert_eq!(t.token_id(expected[0]), Some(fim.prefix.id));
            assert_eq!(
                fim.prompt("a(", ")\n"),
                format!("{}a({})\n{}", expected[0], expected[1], expected[2])
            );
        }
        let qwen = tokenizer(cases[0].0, &[]).fim_tokens().unwrap();
        assert_eq!(qwen.ids().len(), 6);
        assert_eq!(qwen.pad.unwrap().text, "<|fim_pad|>");
        assert_eq!(qwen.repo.unwrap().text, "<|repo_name|>");
        assert_eq!(qwen.file_sep.unwrap().text, "<|file_sep|>");
    }

    #[test]
    fn a_family_counts_only_whole_and_in_order() {
        // Half of one family, all of a later one: the later one.
        let t = tokenizer(
            &[
                "<|fim_prefix|>",
                "<fim_prefix>",
                "<fim_suffix>",
                "<fim_middle>",
            ],
            &[],
        );
        assert_eq!(
            texts(&t.fim_tokens().unwrap()),
            ["<fim_prefix>", "<fim_suffix>", "<fim_middle>"]
        );
        // Both families whole: Qwen's first.
        let t = tokenizer(
            &[
                "<fim_prefix>",
                "<fim_suffix>",
                "<fim_middle>",
                "<|fim_prefix|>",
                "<|fim_suffix|>",
                "<|fim_middle|>",
            ],
            &[],
        );
        assert_eq!(texts(&t.fim_tokens().unwrap())[0], "<|fim_prefix|>");
        // None whole: no fill-in-the-middle.
        assert!(tokenizer(&["<fim_prefix>", "<fim_middle>"], &[])
            .fim_tokens()
            .is_none());
        assert!(tokenizer(&[], &[]).fim_tokens().is_none());
    }

    #[test]
    fn ids_named_in_the_metadata_come_first() {
        // Tokens with unusual names, named by the metadata; a <fim_*> family is there too.
        let specials = [
            "[P]",
            "[S]",
            "[M]",
            "<fim_prefix>",
            "<fim_suffix>",
            "<fim_middle>",
        ];
        let probe = tokenizer(&specials, &[]);
        let id = |s: &str| probe.token_id(s).unwrap();
        let t = tokenizer(
            &specials,
            &[
                ("tokenizer.ggml.fim_pre_token_id", id("[P]")),
                ("tokenizer.ggml.fim_suf_token_id", id("[S]")),
                ("tokenizer.ggml.fim_mid_token_id", id("[M]")),
            ],
        );
        assert_eq!(texts(&t.fim_tokens().unwrap()), ["[P]", "[S]", "[M]"]);
        // The older keys; one named token with the rest from the vocabulary.
        let t = tokenizer(&specials, &[("tokenizer.ggml.prefix_token_id", id("[P]"))]);
        assert_eq!(
            texts(&t.fim_tokens().unwrap()),
            ["[P]", "<fim_suffix>", "<fim_middle>"]
        );
        // An id past the vocabulary is ignored, as llama.cpp ignores it.
        let t = tokenizer(&specials, &[("tokenizer.ggml.fim_pre_token_id", 1_000_000)]);
        assert_eq!(texts(&t.fim_tokens().unwrap())[0], "<fim_prefix>");
    }

    #[test]
    fn repository_tokens_are_found_without_fim() {
        // SmolLM2's vocabulary: <repo_name>, <reponame>, <file_sep>, no FIM tokens.
        let t = tokenizer(
            &["<repo_name>", "<reponame>", "<file_sep>", "<filename>"],
            &[],
        );
        assert!(t.fim_tokens().is_none());
        let repo = t.repo_tokens();
        assert_eq!(repo.repo_name.unwrap().text, "<repo_name>");
        assert_eq!(repo.file_sep.unwrap().text, "<file_sep>");
        assert_eq!(tokenizer(&[], &[]).repo_tokens(), RepoTokens::default());
    }
}
