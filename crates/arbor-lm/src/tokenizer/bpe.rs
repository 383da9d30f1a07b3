//! Byte-level BPE (`tokenizer.ggml.model = "gpt2"`), as llama.cpp's
//! `llm_tokenizer_bpe_session` does it: the text is cut into words by the pre-tokenizer named
//! in `tokenizer.ggml.pre`, each word's UTF-8 bytes are written as GPT-2's byte characters
//! (`Ġ` for a space), and within a word the adjacent pair with the lowest merge rank is merged
//! until none is in `tokenizer.ggml.merges`.

use std::collections::BinaryHeap;

use super::pretokenize::{PreConfig, PreTokenizer};
use super::vocab::{FastMap, StrIndex, Vocab};

/// GPT-2's byte ↔ character mapping (`bytes_to_unicode`).
pub struct ByteChars {
    to_char: Vec<char>,
    /// `to_byte[c]` for the characters below U+0144 that stand for a byte.
    to_byte: Vec<Option<u8>>,
}

impl ByteChars {
    /// The mapping.
    pub fn new() -> ByteChars {
        let mut to_char = vec!['\0'; 256];
        let mut next = 256u32;
        for b in 0..=255u8 {
            let printable = matches!(b, 0x21..=0x7E | 0xA1..=0xAC | 0xAE..=0xFF);
            let cpt = if printable {
                u32::from(b)
            } else {
                next += 1;
                next - 1
            };
            to_char[b as usize] = char::from_u32(cpt).unwrap_or('\0');
        }
        let mut to_byte = vec![None; 0x144];
        for (b, c) in to_char.iter().enumerate() {
            to_byte[*c as usize] = Some(b as u8);
        }
        ByteChars { to_char, to_byte }
    }

    /// `text`'s bytes as byte characters.
    pub fn encode(&self, text: &str) -> String {
        text.bytes().map(|b| self.to_char[b as usize]).collect()
    }

    /// A token's bytes: each byte character as its byte, other characters as they are.
    pub fn decode_into(&self, token: &str, out: &mut Vec<u8>) {
        for c in token.chars() {
            match self.to_byte.get(c as usize).copied().flatten() {
                Some(b) => out.push(b),
                None => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
    }
}

/// The BPE model: merge ranks and the pre-tokenizer.
pub struct Bpe {
    config: PreConfig,
    /// `(left, right)` string ids → rank; string ids are token ids, then `extra` ones.
    merges: FastMap<u64, u32>,
    /// Merge halves that are not tokens.
    extra: Vec<String>,
    extra_index: StrIndex,
    bytes: ByteChars,
}

struct Symbol {
    start: usize,
    len: usize,
    prev: i32,
    next: i32,
    /// The string id of the symbol's text, if it is a token or a merge half.
    sid: Option<u32>,
}

#[derive(PartialEq, Eq)]
struct Bigram {
    rank: u32,
    left: i32,
    right: i32,
    left_len: usize,
    right_len: usize,
}

impl PartialOrd for Bigram {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Bigram {
    /// Lowest rank first, then the leftmost (llama.cpp's `llm_bigram_bpe::comparator`).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other
            .rank
            .cmp(&self.rank)
            .then_with(|| other.left.cmp(&self.left))
    }
}

fn key(left: u32, right: u32) -> u64 {
    u64::from(left) << 32 | u64::from(right)
}

impl Bpe {
    /// The model of `vocab` with `merges` (`"left right"`, highest priority first; llama.cpp
    /// splits at the first space after the first byte and keeps the first of duplicates)
    /// and the pre-tokenizer named `pre`.
    pub fn new(vocab: &Vocab, merges: &[String], pre: &str) -> Bpe {
        let mut extra: Vec<String> = Vec::new();
        let mut extra_ids: FastMap<String, u32> = FastMap::default();
        let n_tokens = vocab.tokens.len() as u32;
        let mut sid = |text: &str| -> u32 {
            if let Some(id) = vocab.id(text) {
                return id;
            }
            if let Some(&id) = extra_ids.get(text) {
                return id;
            }
            let id = n_tokens + extra.len() as u32;
            extra.push(text.to_string());
            extra_ids.insert(text.to_string(), id);
            id
        };
        let mut ranks: FastMap<u64, u32> = FastMap::default();
        ranks.reserve(merges.len());
        for (rank, merge) in merges.iter().enumerate() {
            let Some(space) = merge.bytes().skip(1).position(|b| b == b' ') else {
                continue;
            };
            let (left, right) = (&merge[..space + 1], &merge[space + 2..]);
            if right.is_empty() {
                continue;
            }
            let k = key(sid(left), sid(right));
            ranks.entry(k).or_insert(rank as u32);
        }
        let extra_index = StrIndex::new(&extra);
        Bpe {
            config: PreTokenizer::from_name(pre),
            merges: ranks,
            extra,
            extra_index,
            bytes: ByteChars::new(),
        }
    }

    /// The pre-tokenizer and what goes with it.
    pub fn config(&self) -> &PreConfig {
        &self.config
    }

    /// The byte ↔ character mapping.
    pub fn byte_chars(&self) -> &ByteChars {
        &self.bytes
    }

    fn sid(&self, vocab: &Vocab, text: &str) -> Option<u32> {
        vocab.id(text).or_else(|| {
            self.extra_index
                .get(&self.extra, text)
                .map(|i| vocab.tokens.len() as u32 + i)
        })
    }

    /// Tokenizes `text` (a stretch without special tokens) into `out`.
    pub fn encode(&self, vocab: &Vocab, text: &str, out: &mut Vec<u32>) {
        for word in self.config.pre.split(text) {
            let word = self.bytes.encode(word);
            self.encode_word(vocab, &word, out);
        }
    }

    fn encode_word(&self, vocab: &Vocab, word: &str, out: &mut Vec<u32>) {
        if self.config.ignore_merges {
            if let Some(id) = vocab.id(word) {
                out.push(id);
                return;
            }
        }
        let mut symbols: Vec<Symbol> = Vec::with_capacity(word.len());
        for (i, (start, c)) in word.char_indices().enumerate() {
            let len = c.len_utf8();
            symbols.push(Symbol {
                start,
                len,
                prev: i as i32 - 1,
                next: if start + len == word.len() {
                    -1
                } else {
                    i as i32 + 1
                },
                sid: self.sid(vocab, &word[start..start + len]),
            });
        }
        let mut queue = BinaryHeap::new();
        let add = |symbols: &[Symbol], queue: &mut BinaryHeap<Bigram>, left: i32, right: i32| {
            if left < 0 || right < 0 {
                return;
            }
            let (l, r) = (&symbols[left as usize], &symbols[right as usize]);
            let (Some(a), Some(b)) = (l.sid, r.sid) else {
                return;
            };
            if let Some(&rank) = self.merges.get(&key(a, b)) {
                queue.push(Bigram {
                    rank,
                    left,
                    right,
                    left_len: l.len,
                    right_len: r.len,
                });
            }
        };
        for i in 1..symbols.len() as i32 {
            add(&symbols, &mut queue, i - 1, i);
        }
        while let Some(bigram) = queue.pop() {
            let (left, right) = (bigram.left as usize, bigram.right as usize);
            // Outdated: one of the two has changed since.
            if symbols[left].len != bigram.left_len || symbols[right].len != bigram.right_len {
                continue;
            }
            let len = symbols[left].len + symbols[right].len;
            let start = symbols[left].start;
            symbols[left].len = len;
            symbols[left].sid = self.sid(vocab, &word[start..start + len]);
            symbols[right].len = 0;
            let next = symbols[right].next;
            symbols[left].next = next;
            if next >= 0 {
                symbols[next as usize].prev = bigram.left;
            }
            let prev = symbols[left].prev;
            add(&symbols, &mut queue, prev, bigram.left);
            add(&symbols, &mut queue, bigram.left, next);
        }
        let n_tokens = vocab.tokens.len() as u32;
        for symbol in symbols.iter().filter(|s| s.len > 0) {
            match symbol.sid {
                Some(id) if id < n_tokens => out.push(id),
                _ => {
                    // Not a token: each byte of the text that is a token on its own.
                    let piece = &word[symbol.start..symbol.start + symbol.len];
                    for b in piece.bytes() {
                        if let Some(id) = std::str::from_utf8(&[b]).ok().and_then(|s| vocab.id(s)) {
                            out.push(id);
                        }
                    }
                }
            }
        }
    }
}

impl Default for ByteChars {
    fn default() -> Self {
        ByteChars::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_characters_round_trip() {
        let chars = ByteChars::new();
        let text = "a b\n\té✓";
        let encoded = chars.encode(text);
        assert!(encoded.starts_with("aĠbĊĉ"), "{encoded}");
        let mut bytes = Vec::new();
        chars.decode_into(&encoded, &mut bytes);
        assert_eq!(bytes, text.as_bytes());
    }

    #[test]
    fn merges_apply_lowest_rank_first_within_words() {
        let chars = ByteChars::new();
        let mut tokens: Vec<String> = (0..=255u8)
            .map(|b| chars.to_char[b as usize].to_string())
            .collect();
        tokens.extend(["ab", "bc", "Ġa", "Ġab"].map(String::from));
        let vocab = Vocab::new(tokens, &[], |_| false);
        let merges: Vec<String> = ["b c", "a b", "Ġ a", "Ġa b"].map(String::from).to_vec();
        let bpe = Bpe::new(&vocab, &merges, "gpt-2");
        let mut ids = Vec::new();
        bpe.encode(&vocab, "abc ab", &mut ids);
        let pieces: Vec<&str> = ids
            .iter()
            .map(|&i| vocab.tokens[i as usize].as_str())
            .collect();
        // "b c" outranks "a b"; " ab" is a word of its own, where "a b" outranks "Ġ a".
        assert_eq!(pieces, ["a", "bc", "Ġ", "ab"]);
    }
}
