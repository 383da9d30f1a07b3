//! SentencePiece-style tokenization (`tokenizer.ggml.model = "llama"`: Llama 2, CodeLlama,
//! Gemma), as llama.cpp's `llm_tokenizer_spm_session` does it: spaces become `▁`, the text
//! starts as one symbol per character, and the adjacent pair whose concatenation is the
//! highest-scoring vocabulary token is merged until no pair is a token; what is left and is
//! not a token is written as byte tokens `<0xXX>`.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::vocab::Vocab;

/// The SentencePiece model: token scores and byte fallback.
pub struct Spm {
    scores: Vec<f32>,
    /// The token for each byte: `<0xXX>`, else the byte itself as a token, else unknown.
    bytes: Vec<Option<u32>>,
    /// Whether a space is put before text that starts the input or follows a special token
    /// (`tokenizer.ggml.add_space_prefix`).
    pub add_space_prefix: bool,
}

struct Symbol {
    start: usize,
    len: usize,
    prev: i32,
    next: i32,
}

struct Bigram {
    score: f32,
    left: i32,
    right: i32,
    size: usize,
}

impl PartialEq for Bigram {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Bigram {}
impl PartialOrd for Bigram {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Bigram {
    /// Highest score first, then the leftmost (llama.cpp's `llm_bigram_spm::comparator`).
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .partial_cmp(&other.score)
            .unwrap_or(Ordering::Equal)
            .then_with(|| other.left.cmp(&self.left))
    }
}

impl Spm {
    /// The model of `vocab` with `scores` (one per token), unknown token `unk`.
    pub fn new(vocab: &Vocab, scores: Vec<f32>, unk: Option<u32>, add_space_prefix: bool) -> Spm {
        let bytes = (0..=255u8)
            .map(|b| {
                vocab
                    .id(&format!("<0x{b:02X}>"))
                    .or_else(|| std::str::from_utf8(&[b]).ok().and_then(|s| vocab.id(s)))
                    .or(unk)
            })
            .collect();
        Spm {
            scores,
            bytes,
            add_space_prefix,
        }
    }

    /// Tokenizes `text` (a stretch without special tokens; `after_special` when it starts the
    /// input or follows a special token) into `out`.
    pub fn encode(&self, vocab: &Vocab, text: &str, after_special: bool, out: &mut Vec<u32>) {
        let mut escaped = String::with_capacity(text.len() + 8);
        if self.add_space_prefix && after_special {
            escaped.push('▁');
        }
        for c in text.chars() {
            if c == ' ' {
                escaped.push('▁');
            } else {
                escaped.push(c);
            }
        }
        let text = escaped.as_str();
        let mut symbols: Vec<Symbol> = Vec::with_capacity(text.len());
        for (i, (start, c)) in text.char_indices().enumerate() {
            let len = c.len_utf8();
            symbols.push(Symbol {
                start,
                len,
                prev: i as i32 - 1,
                next: if start + len == text.len() {
                    -1
                } else {
                    i as i32 + 1
                },
            });
        }
        if symbols.is_empty() {
            return;
        }
        let mut queue = BinaryHeap::with_capacity(symbols.len());
        let try_add =
            |symbols: &[Symbol], queue: &mut BinaryHeap<Bigram>, left: i32, right: i32| {
                if left < 0 || right < 0 {
                    return;
                }
                let (l, r) = (&symbols[left as usize], &symbols[right as usize]);
                let piece = &text[l.start..l.start + l.len + r.len];
                if let Some(id) = vocab.id(piece) {
                    queue.push(Bigram {
                        score: self.scores.get(id as usize).copied().unwrap_or(0.0),
                        left,
                        right,
                        size: piece.len(),
                    });
                }
            };
        for i in 1..symbols.len() as i32 {
            try_add(&symbols, &mut queue, i - 1, i);
        }
        while let Some(bigram) = queue.pop() {
            let (left, right) = (bigram.left as usize, bigram.right as usize);
            let (l, r) = (symbols[left].len, symbols[right].len);
            // One of the two was merged since: skip.
            if l == 0 || r == 0 || l + r != bigram.size {
                continue;
            }
            symbols[left].len += r;
            symbols[right].len = 0;
            let next = symbols[right].next;
            symbols[left].next = next;
            if next >= 0 {
                symbols[next as usize].prev = bigram.left;
            }
            let prev = symbols[left].prev;
            try_add(&symbols, &mut queue, prev, bigram.left);
            try_add(&symbols, &mut queue, bigram.left, next);
        }
        let mut i = 0i32;
        while i != -1 {
            let symbol = &symbols[i as usize];
            let piece = &text[symbol.start..symbol.start + symbol.len];
            match vocab.id(piece) {
                Some(id) => out.push(id),
                None => out.extend(piece.bytes().filter_map(|b| self.bytes[b as usize])),
            }
            i = symbol.next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vocabulary of `(text, score)`; `<0xXX>` texts are byte tokens.
    fn model(tokens: &[(&str, f32)], add_space_prefix: bool) -> (Vocab, Spm) {
        let types: Vec<i32> = tokens
            .iter()
            .map(|(t, _)| if t.starts_with("<0x") { 6 } else { 1 })
            .collect();
        let vocab = Vocab::new(
            tokens.iter().map(|(t, _)| t.to_string()).collect(),
            &types,
            |_| false,
        );
        let scores = tokens.iter().map(|(_, s)| *s).collect();
        let spm = Spm::new(&vocab, scores, Some(0), add_space_prefix);
        (vocab, spm)
    }

    fn pieces(vocab: &Vocab, spm: &Spm, text: &str) -> Vec<String> {
        let mut ids = Vec::new();
        spm.encode(vocab, text, true, &mut ids);
        ids.iter()
            .map(|&id| vocab.tokens[id as usize].clone())
            .collect()
    }

    #[test]
    fn the_best_scoring_merge_wins() {
        let tokens = [
            ("<unk>", 0.0),
            ("a", -1.0),
            ("b", -1.0),
            ("c", -1.0),
            ("ab", -5.0),
            ("bc", -2.0),
        ];
        let (vocab, spm) = model(&tokens, false);
        // "bc" scores higher than "ab", and "a"+"bc" is not a token: a, bc.
        assert_eq!(pieces(&vocab, &spm, "abc"), ["a", "bc"]);
        let mut tokens = tokens.to_vec();
        tokens.push(("▁a", -1.5));
        tokens.push(("▁abc", -0.5));
        let (vocab, spm) = model(&tokens, true);
        // With the space prefix: "▁a" first (-1.5 beats "bc" -2), then "▁a"+"bc" = "▁abc".
        assert_eq!(pieces(&vocab, &spm, "abc"), ["▁abc"]);
    }

    #[test]
    fn symbols_outside_the_vocabulary_fall_back_to_bytes() {
        let mut tokens = vec![("<unk>", 0.0), ("x", -1.0)];
        let names: Vec<String> = (0..=255u8).map(|b| format!("<0x{b:02X}>")).collect();
        tokens.extend(names.iter().map(|n| (n.as_str(), 0.0)));
        let (vocab, spm) = model(&tokens, false);
        assert_eq!(
            pieces(&vocab, &spm, "xé"),
            ["x", "<0xC3>", "<0xA9>"],
            "é is UTF-8 C3 A9"
        );
        // Without byte tokens, the unknown token.
        let (vocab, spm) = model(&[("<unk>", 0.0), ("x", -1.0)], false);
        assert_eq!(pieces(&vocab, &spm, "x!"), ["x", "<unk>"]);
    }

    #[test]
    fn spaces_are_escaped_and_prefixed_when_asked() {
        let tokens = [
            ("<unk>", 0.0),
            ("▁", -1.0),
            ("a", -1.0),
            ("▁a", -0.5),
            ("b", -1.0),
        ];
        let (vocab, spm) = model(&tokens, true);
        assert_eq!(pieces(&vocab, &spm, "a b"), ["▁a", "▁", "b"]);
        let (vocab, spm) = model(&tokens, false);
        assert_eq!(pieces(&vocab, &spm, "a b"), ["a", "▁", "b"]);
        let mut ids = Vec::new();
        spm.encode(&vocab, "", true, &mut ids);
        assert!(ids.is_empty());
    }
}
