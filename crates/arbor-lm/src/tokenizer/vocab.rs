//! A GGUF vocabulary as llama.cpp reads it (`llama_vocab::impl::load` in its
//! `src/llama-vocab.cpp`): token texts and attributes, a text → id index (the last of
//! duplicate texts wins), and the special tokens that are cut out of a text before it is
//! tokenized (`tokenizer_st_partition`).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Token attributes (llama.cpp's `LLAMA_TOKEN_ATTR_*`, from `tokenizer.ggml.token_type`).
pub mod attr {
    /// An ordinary token.
    pub const NORMAL: u8 = 1 << 0;
    /// The unknown token (`<unk>`).
    pub const UNKNOWN: u8 = 1 << 1;
    /// Unused (never produced, decodes to nothing).
    pub const UNUSED: u8 = 1 << 2;
    /// A control token (`<bos>`, `<|im_end|>`).
    pub const CONTROL: u8 = 1 << 3;
    /// A user-defined token, matched whole in text and decoded as written.
    pub const USER_DEFINED: u8 = 1 << 4;
    /// A byte token (`<0x0A>`).
    pub const BYTE: u8 = 1 << 5;
    /// Any other type.
    pub const UNDEFINED: u8 = 1 << 6;
}

/// The attribute of a `tokenizer.ggml.token_type` value.
pub fn attr_of_type(token_type: i32) -> u8 {
    match token_type {
        1 => attr::NORMAL,
        2 => attr::UNKNOWN,
        3 => attr::CONTROL,
        4 => attr::USER_DEFINED,
        5 => attr::UNUSED,
        6 => attr::BYTE,
        _ => attr::UNDEFINED,
    }
}

/// A fast hasher for integer keys and short strings (FxHash's mixing, then a finaliser).
#[derive(Default)]
pub struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            self.write_u64(word);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(word) ^ (rest.len() as u64) << 59);
        }
    }
    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
    fn finish(&self) -> u64 {
        // murmur3's fmix64, so the low bits depend on every input bit.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// A `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

fn hash_str(s: &str) -> u64 {
    let mut hasher = FastHasher::default();
    hasher.write(s.as_bytes());
    hasher.write_u64(s.len() as u64);
    hasher.finish()
}

/// An open-addressing index from the strings of a `Vec<String>` to their positions; it holds
/// positions only, the strings stay in the vector.
pub struct StrIndex {
    slots: Vec<u32>,
    mask: usize,
}

const EMPTY: u32 = u32::MAX;

impl StrIndex {
    /// Indexes `strings`; of equal strings the last one wins.
    pub fn new(strings: &[String]) -> StrIndex {
        let capacity = (strings.len() * 2).next_power_of_two().max(16);
        let mut index = StrIndex {
            slots: vec![EMPTY; capacity],
            mask: capacity - 1,
        };
        for (id, s) in strings.iter().enumerate() {
            let mut slot = hash_str(s) as usize & index.mask;
            loop {
                let held = index.slots[slot];
                if held == EMPTY || strings[held as usize] == *s {
                    index.slots[slot] = id as u32;
                    break;
                }
                slot = (slot + 1) & index.mask;
            }
        }
        index
    }

    /// The position of `key` in `strings` (the vector the index was built from).
    pub fn get(&self, strings: &[String], key: &str) -> Option<u32> {
        let mut slot = hash_str(key) as usize & self.mask;
        loop {
            let held = self.slots[slot];
            if held == EMPTY {
                return None;
            }
            if strings[held as usize] == key {
                return Some(held);
            }
            slot = (slot + 1) & self.mask;
        }
    }
}

/// A stretch of the text to tokenize, or a special token found in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fragment {
    /// Text, as a byte range.
    Text(usize, usize),
    /// A special token.
    Token(u32),
}

/// A byte trie of the special tokens' texts.
struct Trie {
    edges: FastMap<u64, u32>,
    /// For each node, the special token ending there (its rank in [`Vocab::special_order`]).
    rank: Vec<u32>,
}

impl Trie {
    fn child(&self, node: u32, byte: u8) -> Option<u32> {
        self.edges
            .get(&(u64::from(node) << 8 | u64::from(byte)))
            .copied()
    }
}

/// A vocabulary.
pub struct Vocab {
    /// Token texts by id (an empty text reads `[EMPTY_<id>]`, as in llama.cpp).
    pub tokens: Vec<String>,
    /// Token attributes ([`attr`]) by id.
    pub attrs: Vec<u8>,
    index: StrIndex,
    /// The special tokens (control, user-defined, unknown), longest text first: the order
    /// llama.cpp cuts them out of a text.
    special_order: Vec<u32>,
    trie: Trie,
}

/// Texts llama.cpp makes control tokens whatever their type: end-of-generation tokens always,
/// and the end-of-turn and fill-in-the-middle ones when the metadata names none (`load`).
pub(crate) const EOG_TEXTS: &[&str] = &[
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<|return|>",
    "<|call|>",
    "<|flush|>",
    "<|calls|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "</s>",
    "<|eom_id|>",
    "<EOT>",
    "_<EOT>",
    "[EOT]",
    "[EOS]",
    "<|end_of_text|>",
    "<end_of_utterance>",
    "<eos>",
    "<turn|>",
    "<|tool_response>",
    "<｜end▁of▁sentence｜>",
    "[e~[",
];

/// `(metadata keys naming the token, texts detected when none does)`.
const DETECTED: &[(&[&str], &[&str])] = &[
    (
        &["tokenizer.ggml.eot_token_id"],
        &[
            "<|eot_id|>",
            "<|im_end|>",
            "<|end|>",
            "<end_of_turn>",
            "<|endoftext|>",
            "<|end_of_text|>",
            "<EOT>",
            "_<EOT>",
            "[EOT]",
            "<｜end▁of▁sentence｜>",
            "<end_of_utterance>",
        ],
    ),
    (&["tokenizer.ggml.eom_token_id"], &["<|eom_id|>"]),
    (
        &[
            "tokenizer.ggml.fim_pre_token_id",
            "tokenizer.ggml.prefix_token_id",
        ],
        &[
            "<|fim_prefix|>",
            "<fim-prefix>",
            "<fim_prefix>",
            "<｜fim▁begin｜>",
            "<PRE>",
            "▁<PRE>",
            "<|code_prefix|>",
            "<|prefix|>",
        ],
    ),
    (
        &[
            "tokenizer.ggml.fim_suf_token_id",
            "tokenizer.ggml.suffix_token_id",
        ],
        &[
            "<|fim_suffix|>",
            "<fim-suffix>",
            "<fim_suffix>",
            "<｜fim▁hole｜>",
            "<SUF>",
            "▁<SUF>",
            "<|code_suffix|>",
            "<|suffix|>",
        ],
    ),
    (
        &[
            "tokenizer.ggml.fim_mid_token_id",
            "tokenizer.ggml.middle_token_id",
        ],
        &[
            "<|fim_middle|>",
            "<fim-middle>",
            "<fim_middle>",
            "<｜fim▁end｜>",
            "<MID>",
            "▁<MID>",
            "<|code_middle|>",
            "<|middle|>",
        ],
    ),
    (
        &["tokenizer.ggml.fim_pad_token_id"],
        &["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"],
    ),
    (
        &["tokenizer.ggml.fim_rep_token_id"],
        &[
            "<|fim_repo|>",
            "<|repo_name|>",
            "<fim-repo>",
            "<REPO>",
            "<reponame>",
        ],
    ),
    (&["tokenizer.ggml.fim_sep_token_id"], &["<|file_sep|>"]),
];

impl Vocab {
    /// The vocabulary of `tokens` with their `tokenizer.ggml.token_type` values;
    /// `has_key(k)` tells whether the metadata names a special token under key `k`.
    pub fn new(mut tokens: Vec<String>, types: &[i32], has_key: impl Fn(&str) -> bool) -> Vocab {
        for (id, token) in tokens.iter_mut().enumerate() {
            if token.is_empty() {
                *token = format!("[EMPTY_{id}]");
            }
        }
        let mut attrs: Vec<u8> = (0..tokens.len())
            .map(|i| types.get(i).map_or(attr::NORMAL, |&t| attr_of_type(t)))
            .collect();
        let index = StrIndex::new(&tokens);
        let id_of = |text: &str| index.get(&tokens, text);
        let control = |text: &str, attrs: &mut Vec<u8>| {
            if let Some(id) = id_of(text) {
                attrs[id as usize] |= attr::CONTROL;
            }
        };
        for (keys, texts) in DETECTED {
            if !keys.iter().any(|k| has_key(k)) {
                for text in *texts {
                    control(text, &mut attrs);
                }
            }
        }
        for text in EOG_TEXTS {
            control(text, &mut attrs);
        }
        // llama.cpp's gpt-oss workaround: these are shown, not controls.
        for text in ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"] {
            if let Some(id) = id_of(text) {
                attrs[id as usize] = attr::USER_DEFINED;
            }
        }
        let special = attr::CONTROL | attr::USER_DEFINED | attr::UNKNOWN;
        let mut special_order: Vec<u32> = (0..tokens.len() as u32)
            .filter(|&id| attrs[id as usize] & special != 0)
            .collect();
        special_order.sort_by_key(|&id| std::cmp::Reverse(tokens[id as usize].len()));
        let mut trie = Trie {
            edges: FastMap::default(),
            rank: vec![u32::MAX],
        };
        for (rank, &id) in special_order.iter().enumerate() {
            let mut node = 0u32;
            for &byte in tokens[id as usize].as_bytes() {
                let next = trie.rank.len() as u32;
                node = *trie
                    .edges
                    .entry(u64::from(node) << 8 | u64::from(byte))
                    .or_insert_with(|| {
                        trie.rank.push(u32::MAX);
                        next
                    });
            }
            if trie.rank[node as usize] == u32::MAX {
                trie.rank[node as usize] = rank as u32;
            }
        }
        Vocab {
            tokens,
            attrs,
            index,
            special_order,
            trie,
        }
    }

    /// The id of a token text.
    pub fn id(&self, text: &str) -> Option<u32> {
        self.index.get(&self.tokens, text)
    }

    /// The attributes of a token (0 for an id outside the vocabulary).
    pub fn attr(&self, id: u32) -> u8 {
        self.attrs.get(id as usize).copied().unwrap_or(0)
    }

    /// The special tokens of `text` cut out, as llama.cpp does with `parse_special`: each
    /// special token in turn, longest first, splits every stretch of text left where it
    /// occurs. Only the special tokens that occur in `text` (found with a trie) are tried.
    pub fn partition(&self, text: &str) -> Vec<Fragment> {
        if text.is_empty() {
            return Vec::new();
        }
        let bytes = text.as_bytes();
        let mut ranks: Vec<u32> = Vec::new();
        for start in 0..bytes.len() {
            let mut node = 0;
            for &byte in &bytes[start..] {
                let Some(next) = self.trie.child(node, byte) else {
                    break;
                };
                node = next;
                let rank = self.trie.rank[node as usize];
                if rank != u32::MAX {
                    ranks.push(rank);
                }
            }
        }
        ranks.sort_unstable();
        ranks.dedup();
        let mut fragments = vec![Fragment::Text(0, bytes.len())];
        for rank in ranks {
            let id = self.special_order[rank as usize];
            let pattern = self.tokens[id as usize].as_bytes();
            let mut next = Vec::with_capacity(fragments.len() + 2);
            for fragment in fragments {
                let Fragment::Text(mut start, end) = fragment else {
                    next.push(fragment);
                    continue;
                };
                while let Some(at) = find(&bytes[start..end], pattern) {
                    if at > 0 {
                        next.push(Fragment::Text(start, start + at));
                    }
                    next.push(Fragment::Token(id));
                    start += at + pattern.len();
                }
                if start < end {
                    next.push(Fragment::Text(start, end));
                }
            }
            fragments = next;
        }
        fragments
    }
}

/// The first position of `needle` (not empty) in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > haystack.len() {
        return None;
    }
    let first = needle[0];
    let mut at = 0;
    while at + needle.len() <= haystack.len() {
        let offset = haystack[at..=haystack.len() - needle.len()]
            .iter()
            .position(|&b| b == first)?;
        at += offset;
        if haystack[at..at + needle.len()] == *needle {
            return Some(at);
        }
        at += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(tokens: &[&str], types: &[i32]) -> Vocab {
        Vocab::new(
            tokens.iter().map(|t| t.to_string()).collect(),
            types,
            |_| false,
        )
    }

    #[test]
    fn the_index_finds_every_token_and_the_last_duplicate() {
        let tokens: Vec<String> = (0..5000).map(|i| format!("t{i}")).collect();
        let index = StrIndex::new(&tokens);
        for (i, t) in tokens.iter().enumerate() {
            assert_eq!(index.get(&tokens, t), Some(i as u32));
        }
        assert_eq!(index.get(&tokens, "t5000"), None);
        let dup: Vec<String> = ["a", "b", "a"].iter().map(|s| s.to_string()).collect();
        assert_eq!(StrIndex::new(&dup).get(&dup, "a"), Some(2));
    }

    #[test]
    fn longer_special_tokens_are_cut_first() {
        // llama.cpp's order: "bcd" (longer) before "ab", though "ab" starts earlier.
        let v = vocab(&["a", "ab", "bcd", "<x>"], &[1, 3, 3, 4]);
        assert_eq!(
            v.partition("abcd<x>ab"),
            [
                Fragment::Text(0, 1),
                Fragment::Token(2),
                Fragment::Token(3),
                Fragment::Token(1),
            ]
        );
        assert_eq!(v.partition("zz"), [Fragment::Text(0, 2)]);
        assert_eq!(v.partition(""), []);
    }

    #[test]
    fn end_of_turn_texts_become_control_tokens() {
        let v = vocab(&["<|im_end|>", "<|fim_prefix|>", "x"], &[1, 1, 1]);
        assert_ne!(v.attr(0) & attr::CONTROL, 0);
        assert_ne!(v.attr(1) & attr::CONTROL, 0);
        assert_eq!(v.attr(2), attr::NORMAL);
        let named = Vocab::new(vec!["<|fim_prefix|>".to_string()], &[1], |k| {
            k == "tokenizer.ggml.fim_pre_token_id"
        });
        assert_eq!(named.attr(0), attr::NORMAL);
    }
}
