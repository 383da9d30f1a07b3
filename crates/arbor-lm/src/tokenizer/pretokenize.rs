//! llama.cpp's BPE pre-tokenizers (`unicode_regex_split` in its `src/unicode.cpp`), chosen by
//! `tokenizer.ggml.pre`: the text is cut by a list of regexes in turn, each one cutting the
//! pieces the previous left, matched and unmatched stretches both kept. llama.cpp runs the
//! GPT-2, Llama 3 and Qwen2 regexes through hand-written matchers and the others through
//! `std::regex` on a text whose codepoints are collapsed to their Unicode category; this
//! module ports the hand-written matchers line by line and writes the few `std::regex` ones
//! as scanners with the same leftmost-first results, with llama.cpp's own Unicode tables
//! ([`super::unicode_flags`]).

use super::unicode_flags::{CATEGORY_RANGES, WHITESPACE};

const NUMBER: u8 = 0x02;
const LETTER: u8 = 0x04;
const PUNCTUATION: u8 = 0x20;

/// A codepoint's category flag (0 outside the segment being split) and whitespace bit.
#[derive(Clone, Copy, Default)]
struct Flags {
    category: u8,
    whitespace: bool,
}

impl Flags {
    fn of(cpt: u32) -> Flags {
        let i = CATEGORY_RANGES.partition_point(|&(start, _)| start <= cpt);
        let category = if i == 0 || i == CATEGORY_RANGES.len() {
            0x01
        } else {
            CATEGORY_RANGES[i - 1].1
        };
        Flags {
            category,
            whitespace: is_whitespace(cpt),
        }
    }
    fn letter(self) -> bool {
        self.category == LETTER
    }
    fn number(self) -> bool {
        self.category == NUMBER
    }
    /// Inside the segment (llama.cpp: `flags.as_uint() != 0`).
    fn any(self) -> bool {
        self.category != 0
    }
}

fn is_whitespace(cpt: u32) -> bool {
    matches!(cpt, 0x09..=0x0D | 0x20) || (cpt > 0x7F && WHITESPACE.binary_search(&cpt).is_ok())
}

fn category(cpt: u32) -> u8 {
    Flags::of(cpt).category
}

/// `\s` of `std::regex`: ASCII whitespace, and the non-ASCII whitespace llama.cpp rewrites to
/// a vertical tab before matching.
fn regex_space(cpt: u32) -> bool {
    is_whitespace(cpt)
}

/// The codepoint `std::wregex` sees: non-ASCII whitespace becomes a vertical tab.
fn wide(cpt: u32) -> u32 {
    if cpt > 0x7F && is_whitespace(cpt) {
        0x0B
    } else {
        cpt
    }
}

/// The pre-tokenizers: llama.cpp's `LLAMA_VOCAB_PRE_TYPE_*` whose regexes Arbor knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreTokenizer {
    /// llama.cpp's default (also for names it does not know): punctuation runs, GPT-2, digit
    /// runs, three ASCII digits.
    Default,
    /// GPT-2's regex alone (`gpt-2`, `mpt`, `olmo`, `phi-2`, ...).
    Gpt2,
    /// Every digit alone, then GPT-2 (`starcoder`, `smollm`, `refact`, `codeshell`, ...).
    StarCoder,
    /// Llama 3: contractions, letters, digits in threes, ... (`llama-bpe`, `llama3`, `dbrx`, ...).
    Llama3,
    /// Qwen2: as Llama 3 with every digit alone (`qwen2`, `stablelm2`, `deepseek-r1-qwen`, ...).
    Qwen2,
    /// DeepSeek Coder: line breaks, letters, punctuation, CJK, digits.
    DeepSeekCoder,
    /// DeepSeek LLM: line breaks, Latin/Greek/... letters, punctuation, trailing spaces, CJK,
    /// digit runs.
    DeepSeekLlm,
}

/// What llama.cpp does for a `tokenizer.ggml.pre` value, beyond the regexes.
pub struct PreConfig {
    /// The regexes.
    pub pre: PreTokenizer,
    /// A word that is a whole token is taken as it is, merges or not (llama.cpp's
    /// `ignore_merges`, set for Llama 3).
    pub ignore_merges: bool,
    /// BOS is added unless `tokenizer.ggml.add_bos_token` says otherwise.
    pub add_bos: bool,
}

impl PreTokenizer {
    /// llama.cpp's pre-tokenizer for a `tokenizer.ggml.pre` name; the default for names it
    /// does not list (llama.cpp refuses those; `gpt2` is read as `gpt-2`).
    pub fn from_name(name: &str) -> PreConfig {
        let config = |pre, ignore_merges, add_bos| PreConfig {
            pre,
            ignore_merges,
            add_bos,
        };
        match name {
            "llama3" | "llama-v3" | "llama-bpe" | "falcon3" | "falcon-h1" | "pixtral"
            | "midm-2.0" | "lfm2" | "jina-v5-nano" => config(PreTokenizer::Llama3, true, true),
            "dbrx" | "smaug-bpe" => config(PreTokenizer::Llama3, false, false),
            "qwen2" | "deepseek-r1-qwen" | "kormo" | "f2llmv2" | "megrez" | "stablelm2"
            | "hunyuan" | "solar-open" => config(PreTokenizer::Qwen2, false, false),
            "starcoder" | "refact" | "command-r" | "smollm" | "codeshell" | "exaone"
            | "minerva-7b" | "mellum2" => config(PreTokenizer::StarCoder, false, false),
            "gpt-2" | "gpt2" | "phi-2" | "jina-es" | "jina-de" | "gigachat" | "jina-v2-es"
            | "jina-v2-de" | "a.x-4.0" | "mellum" | "modern-bert" | "mpt" | "olmo" | "jais"
            | "trillion" | "granite-docling" | "exaone4" | "jina-v1-en" | "jina-v2-code"
            | "roberta-bpe" => config(PreTokenizer::Gpt2, false, false),
            "deepseek-coder" => config(PreTokenizer::DeepSeekCoder, false, false),
            "deepseek-llm" => config(PreTokenizer::DeepSeekLlm, false, false),
            _ => config(PreTokenizer::Default, false, false),
        }
    }

    fn steps(self) -> &'static [Step] {
        match self {
            PreTokenizer::Default => &[
                Step::Run(default_punctuation),
                Step::Gpt2,
                Step::Run(number),
                Step::DigitTriples,
            ],
            PreTokenizer::Gpt2 => &[Step::Gpt2],
            PreTokenizer::StarCoder => &[Step::Each(number), Step::Gpt2],
            PreTokenizer::Llama3 => &[Step::Llama3],
            PreTokenizer::Qwen2 => &[Step::Qwen2],
            PreTokenizer::DeepSeekCoder => &[
                Step::Each(line_break),
                Step::SpaceThen(letter),
                Step::SpaceThen(punctuation),
                Step::Run(deepseek_cjk),
                Step::Each(number),
            ],
            PreTokenizer::DeepSeekLlm => &[
                Step::Each(line_break),
                Step::SpaceThen(deepseek_llm_letter),
                Step::SpaceThen(deepseek_llm_punctuation),
                Step::TrailingSpace,
                Step::Run(deepseek_cjk),
                Step::Run(number),
            ],
        }
    }

    /// The words of `text`, in order, together exactly `text`.
    pub fn split(self, text: &str) -> Vec<&str> {
        let cpts: Vec<u32> = text.chars().map(u32::from).collect();
        if cpts.is_empty() {
            return Vec::new();
        }
        let mut lengths = vec![cpts.len()];
        for step in self.steps() {
            lengths = step.apply(&cpts, &lengths);
        }
        let mut bounds = text.char_indices().map(|(i, _)| i).chain([text.len()]);
        let mut start = bounds.next().unwrap_or(0);
        let mut consumed = 0;
        let mut words = Vec::with_capacity(lengths.len());
        for length in lengths {
            let end = bounds.nth(length - 1).unwrap_or(text.len());
            consumed += length;
            words.push(&text[start..end]);
            start = end;
        }
        debug_assert_eq!(consumed, cpts.len());
        words
    }
}

fn number(cpt: u32) -> bool {
    category(cpt) == NUMBER
}
fn letter(cpt: u32) -> bool {
    category(cpt) == LETTER
}
fn punctuation(cpt: u32) -> bool {
    category(cpt) == PUNCTUATION
}
/// `[\p{P}\$\+<=>\^~\|]`
fn default_punctuation(cpt: u32) -> bool {
    punctuation(cpt)
        || matches!(
            char::from_u32(cpt),
            Some('$' | '+' | '<' | '=' | '>' | '^' | '~' | '|')
        )
}
/// `[\r\n]`
fn line_break(cpt: u32) -> bool {
    cpt == 0x0D || cpt == 0x0A
}
/// `[一-龥ࠀ-一가-퟿]`
fn deepseek_cjk(cpt: u32) -> bool {
    let c = wide(cpt);
    (0x4E00..=0x9FA5).contains(&c)
        || (0x0800..=0x4E00).contains(&c)
        || (0xAC00..=0xD7FF).contains(&c)
}
/// DeepSeek LLM's letter class `[A-Za-zµÀ-ÖØ-ö...𞤀-𞥃]`.
fn deepseek_llm_letter(cpt: u32) -> bool {
    #[rustfmt::skip]
    const RANGES: &[(u32, u32)] = &[
        (0x41, 0x5A), (0x61, 0x7A), (0xB5, 0xB5), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x1BA),
        (0x1BC, 0x1BF), (0x1C4, 0x293), (0x295, 0x2AF), (0x370, 0x373), (0x376, 0x377),
        (0x37B, 0x37D), (0x37F, 0x37F), (0x386, 0x386), (0x388, 0x38A), (0x38C, 0x38C),
        (0x38E, 0x3A1), (0x3A3, 0x3F5), (0x3F7, 0x481), (0x48A, 0x52F), (0x531, 0x556),
        (0x10A0, 0x10C5), (0x13A0, 0x13F5), (0x13F8, 0x13FD), (0x1C90, 0x1CBA), (0x1CBD, 0x1CBF),
        (0x1D00, 0x1D2B), (0x1D6B, 0x1D77), (0x1D79, 0x1D9A), (0x1E00, 0x1F15), (0x1F18, 0x1F1D),
        (0x1F20, 0x1F45), (0x1F48, 0x1F4D), (0x1F50, 0x1F57), (0x1F59, 0x1F59), (0x1F5B, 0x1F5B),
        (0x1F5D, 0x1F5D), (0x1F5F, 0x1F7D), (0x1F80, 0x1FB4), (0x1FB6, 0x1FBC), (0x1FBE, 0x1FBE),
        (0x1FC2, 0x1FC4), (0x1FC6, 0x1FCC), (0x1FD0, 0x1FD3), (0x1FD6, 0x1FDB), (0x1FE0, 0x1FEC),
        (0x1FF2, 0x1FF4), (0x1FF6, 0x1FFC), (0x2102, 0x2102), (0x2107, 0x2107), (0x210A, 0x2113),
        (0x2115, 0x2115), (0x2119, 0x211D), (0x2124, 0x2124), (0x2126, 0x2126), (0x2128, 0x2128),
        (0x212A, 0x212D), (0x212F, 0x2134), (0x2139, 0x2139), (0x213C, 0x213F), (0x2145, 0x2149),
        (0x214E, 0x214E), (0x2183, 0x2184), (0x2C00, 0x2C7B), (0x2C7E, 0x2CE4), (0x2CEB, 0x2CEE),
        (0x2CF2, 0x2CF3), (0xA640, 0xA66D), (0xA680, 0xA69B), (0xA722, 0xA76F), (0xA771, 0xA787),
        (0xA78B, 0xA78E), (0xAB70, 0xABBF), (0xFB00, 0xFB06), (0xFB13, 0xFB17), (0xFF21, 0xFF3A),
        (0xFF41, 0xFF5A), (0x10400, 0x1044F), (0x104B0, 0x104D3), (0x104D8, 0x104FB),
        (0x10C80, 0x10CB2), (0x10CC0, 0x10CF2), (0x118A0, 0x118DF), (0x1E900, 0x1E943),
    ];
    let c = wide(cpt);
    RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}
/// DeepSeek LLM's punctuation class `[!-/:-~！-／：-～‘-‟　-。]`.
fn deepseek_llm_punctuation(cpt: u32) -> bool {
    #[rustfmt::skip]
    const RANGES: &[(u32, u32)] = &[
        (0x21, 0x2F), (0x3A, 0x7E), (0xFF01, 0xFF0F), (0xFF1A, 0xFF5E), (0x2018, 0x201F),
        (0x3000, 0x3002),
    ];
    let c = wide(cpt);
    RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// One regex of a pre-tokenizer.
enum Step {
    /// llama.cpp's hand-written GPT-2 regex
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`.
    Gpt2,
    /// llama.cpp's hand-written Llama 3 regex `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+
    /// |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    Llama3,
    /// Llama 3's with `\p{N}` for `\p{N}{1,3}`.
    Qwen2,
    /// `X`: each matching codepoint alone.
    Each(fn(u32) -> bool),
    /// `X+`
    Run(fn(u32) -> bool),
    /// `\s?X+`
    SpaceThen(fn(u32) -> bool),
    /// `[0-9][0-9][0-9]`
    DigitTriples,
    /// `\s+$`
    TrailingSpace,
}

impl Step {
    /// Cuts the segments (lengths in codepoints) of `cpts` further.
    fn apply(&self, cpts: &[u32], lengths: &[usize]) -> Vec<usize> {
        match self {
            Step::Gpt2 => custom(cpts, lengths, gpt2),
            Step::Llama3 => custom(cpts, lengths, |s, e| llama3(s, e, false)),
            Step::Qwen2 => custom(cpts, lengths, |s, e| llama3(s, e, true)),
            Step::Each(class) => matches(cpts, lengths, |seg, from| {
                let start = from + seg[from..].iter().position(|&c| class(c))?;
                Some((start, start + 1))
            }),
            Step::Run(class) => matches(cpts, lengths, |seg, from| {
                let start = from + seg[from..].iter().position(|&c| class(c))?;
                Some((start, run_end(seg, start, *class)))
            }),
            Step::SpaceThen(class) => matches(cpts, lengths, |seg, from| {
                (from..seg.len()).find_map(|i| {
                    if regex_space(seg[i]) && i + 1 < seg.len() && class(seg[i + 1]) {
                        Some((i, run_end(seg, i + 1, *class)))
                    } else if class(seg[i]) {
                        Some((i, run_end(seg, i, *class)))
                    } else {
                        None
                    }
                })
            }),
            Step::DigitTriples => matches(cpts, lengths, |seg, from| {
                let digit = |c: &u32| (0x30..=0x39).contains(c);
                (from..seg.len().saturating_sub(2))
                    .find(|&i| seg[i..i + 3].iter().all(digit))
                    .map(|i| (i, i + 3))
            }),
            Step::TrailingSpace => matches(cpts, lengths, |seg, from| {
                let start = seg.len() - seg.iter().rev().take_while(|&&c| regex_space(c)).count();
                (start < seg.len() && start >= from).then_some((start, seg.len()))
            }),
        }
    }
}

fn run_end(seg: &[u32], start: usize, class: fn(u32) -> bool) -> usize {
    start + seg[start..].iter().take_while(|&&c| class(c)).count()
}

/// llama.cpp's `unicode_regex_split_stl`: successive leftmost matches of `find` (which gives
/// the first match at or after a position of a segment) and the stretches between them.
fn matches(
    cpts: &[u32],
    lengths: &[usize],
    find: impl Fn(&[u32], usize) -> Option<(usize, usize)>,
) -> Vec<usize> {
    let mut out = Vec::with_capacity(lengths.len());
    let mut start = 0;
    for &length in lengths {
        let seg = &cpts[start..start + length];
        let mut at = 0;
        while at < seg.len() {
            let Some((from, to)) = find(seg, at) else {
                break;
            };
            if from > at {
                out.push(from - at);
            }
            out.push(to - from);
            at = to;
        }
        if at < seg.len() {
            out.push(seg.len() - at);
        }
        start += length;
    }
    out
}

const OUT_OF_RANGE: u32 = 0xFFFF_FFFF;

/// A segment as llama.cpp's hand-written matchers read it: codepoints and flags, with
/// [`OUT_OF_RANGE`] and empty flags outside it; and the words cut so far.
struct Segment<'a> {
    cpts: &'a [u32],
    start: usize,
    end: usize,
    prev_end: usize,
    out: &'a mut Vec<usize>,
}

impl Segment<'_> {
    fn cpt(&self, pos: usize) -> u32 {
        if pos >= self.start && pos < self.end {
            self.cpts[pos]
        } else {
            OUT_OF_RANGE
        }
    }
    fn flags(&self, pos: usize) -> Flags {
        if pos >= self.start && pos < self.end {
            Flags::of(self.cpts[pos])
        } else {
            Flags::default()
        }
    }
    /// Ends a word at `end` (nothing when empty).
    fn add(&mut self, end: usize) {
        if end > self.prev_end {
            self.out.push(end - self.prev_end);
        }
        self.prev_end = end;
    }
}

fn custom(cpts: &[u32], lengths: &[usize], matcher: impl Fn(&mut Segment, usize)) -> Vec<usize> {
    let mut out = Vec::with_capacity(lengths.len());
    let mut start = 0;
    for &length in lengths {
        let mut segment = Segment {
            cpts,
            start,
            end: start + length,
            prev_end: start,
            out: &mut out,
        };
        matcher(&mut segment, start);
        start += length;
    }
    out
}

fn is(cpt: u32, c: char) -> bool {
    cpt == u32::from(c)
}

/// `'s|'t|'m|'d|'re|'ve|'ll` at `pos` (any case when `any_case`): the end of the match.
fn contraction(s: &Segment, pos: usize, any_case: bool) -> Option<usize> {
    if !is(s.cpt(pos), '\'') || pos + 1 >= s.end {
        return None;
    }
    let lower = |c: u32| {
        if any_case && (0x41..=0x5A).contains(&c) {
            c + 0x20
        } else {
            c
        }
    };
    let next = lower(s.cpt(pos + 1));
    if ['s', 't', 'm', 'd'].iter().any(|&c| is(next, c)) {
        return Some(pos + 2);
    }
    if pos + 2 < s.end {
        let after = lower(s.cpt(pos + 2));
        if (is(next, 'r') && is(after, 'e'))
            || (is(next, 'v') && is(after, 'e'))
            || (is(next, 'l') && is(after, 'l'))
        {
            return Some(pos + 3);
        }
    }
    None
}

/// llama.cpp's `unicode_regex_split_custom_gpt2`.
fn gpt2(s: &mut Segment, start: usize) {
    let mut pos = start;
    while pos < s.end {
        let cpt = s.cpt(pos);
        let flags = s.flags(pos);
        if let Some(end) = contraction(s, pos, false) {
            pos = end;
            s.add(pos);
            continue;
        }
        let space = is(cpt, ' ');
        let mut flags2 = if space { s.flags(pos + 1) } else { flags };
        // <space>?\p{L}+
        if flags2.letter() {
            pos += usize::from(space);
            while flags2.letter() {
                pos += 1;
                flags2 = s.flags(pos);
            }
            s.add(pos);
            continue;
        }
        // <space>?\p{N}+
        if flags2.number() {
            pos += usize::from(space);
            while flags2.number() {
                pos += 1;
                flags2 = s.flags(pos);
            }
            s.add(pos);
            continue;
        }
        // <space>?[^\s\p{L}\p{N}]+
        let other = |f: Flags| !(f.whitespace || f.letter() || f.number()) && f.any();
        if other(flags2) {
            pos += usize::from(space);
            while other(flags2) {
                pos += 1;
                flags2 = s.flags(pos);
            }
            s.add(pos);
            continue;
        }
        let mut spaces = 0;
        while s.flags(pos + spaces).whitespace {
            spaces += 1;
        }
        pos = whitespace_end(s, pos, spaces);
        s.add(pos);
    }
}

/// Where the last alternatives of GPT-2's and Llama 3's patterns end the piece starting at
/// `pos` with `spaces` whitespace characters: `\s+(?!\S)` (the run less its last space when
/// something follows), else `\s+`, else the one character alone.
fn whitespace_end(s: &Segment, pos: usize, spaces: usize) -> usize {
    if spaces > 1 && s.cpt(pos + spaces) != OUT_OF_RANGE {
        pos + spaces - 1
    } else if spaces > 0 {
        pos + spaces
    } else {
        pos + 1
    }
}

/// llama.cpp's `unicode_regex_split_custom_llama3`, or `_qwen2` when `single_digits`.
fn llama3(s: &mut Segment, start: usize, single_digits: bool) {
    let mut pos = start;
    while pos < s.end {
        let cpt = s.cpt(pos);
        let flags = s.flags(pos);
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if let Some(end) = contraction(s, pos, true) {
            pos = end;
            s.add(pos);
            continue;
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if !(is(cpt, '\r') || is(cpt, '\n') || flags.number())
            && (flags.letter() || s.flags(pos + 1).letter())
        {
            pos += 1;
            while s.flags(pos).letter() {
                pos += 1;
            }
            s.add(pos);
            continue;
        }
        // \p{N}{1,3} (Qwen2: \p{N})
        if flags.number() {
            pos = llama3_digits(s, pos, single_digits);
            continue;
        }
        // <space>?[^\s\p{L}\p{N}]+[\r\n]*
        let space = is(cpt, ' ');
        let mut flags2 = if space { s.flags(pos + 1) } else { flags };
        let other = |f: Flags| !(f.whitespace || f.letter() || f.number());
        if other(flags2) && flags.any() {
            pos += usize::from(space);
            while other(flags2) && flags2.any() {
                pos += 1;
                flags2 = s.flags(pos);
            }
            while is(s.cpt(pos), '\r') || is(s.cpt(pos), '\n') {
                pos += 1;
            }
            s.add(pos);
            continue;
        }
        pos = llama3_whitespace_end(s, pos);
        s.add(pos);
    }
}

/// `\p{N}{1,3}` (Qwen2: `\p{N}`) from the digit at `pos`: adds each piece and returns where
/// the last ends.
#[inline]
fn llama3_digits(s: &mut Segment, mut pos: usize, single_digits: bool) -> usize {
    if single_digits {
        pos += 1;
        s.add(pos);
        return pos;
    }
    let mut first = pos;
    while s.flags(pos).number() {
        pos += 1;
        if pos - first >= 3 {
            s.add(pos);
            first = pos;
        }
    }
    s.add(pos);
    pos
}

/// Where Llama 3's whitespace alternatives end the piece starting at `pos`: `\s*[\r\n]+`
/// (up to the last line break of the run), else as [`whitespace_end`].
#[inline]
fn llama3_whitespace_end(s: &Segment, pos: usize) -> usize {
    let mut spaces = 0;
    let mut last_line_break_end = 0;
    while s.flags(pos + spaces).whitespace {
        let c = s.cpt(pos + spaces);
        if is(c, '\r') || is(c, '\n') {
            last_line_break_end = pos + spaces + 1;
        }
        spaces += 1;
    }
    // \s*[\r\n]+
    if last_line_break_end > 0 {
        return last_line_break_end;
    }
    whitespace_end(s, pos, spaces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(pre: &str, text: &str) -> Vec<String> {
        PreTokenizer::from_name(pre)
            .pre
            .split(text)
            .into_iter()
            .map(String::from)
            .collect()
    }

    #[test]
    fn ascii_categories_match_the_collapsed_regex_classes() {
        // llama.cpp's `k_ucat_map`: the ASCII members of \p{N}, \p{L}, \p{P}, \p{S}.
        for c in 0u32..128 {
            let ch = char::from_u32(c).unwrap();
            assert_eq!(number(c), ch.is_ascii_digit(), "{c:#x}");
            assert_eq!(letter(c), ch.is_ascii_alphabetic(), "{c:#x}");
            assert_eq!(
                punctuation(c),
                "!\"#%&'()*,-./:;?@[\\]_{}".contains(ch),
                "{c:#x}"
            );
            assert_eq!(category(c) == 0x40, "$+<=>^`|~".contains(ch), "{c:#x}");
        }
        assert!(letter(u32::from('é')) && letter(u32::from('变')));
        assert!(number(u32::from('٣')) && !letter(u32::from('٣')));
        assert!(is_whitespace(0x3000) && is_whitespace(0xA0) && !is_whitespace(0x1C));
    }

    #[test]
    fn gpt2_keeps_a_space_with_the_next_word() {
        assert_eq!(
            split("gpt-2", "Hello world's  12345 !!\n\tx"),
            ["Hello", " world", "'s", " ", " 12345", " !!", "\n", "\t", "x"]
        );
    }

    #[test]
    fn starcoder_splits_every_digit() {
        assert_eq!(split("smollm", "x = 123"), ["x", " =", " ", "1", "2", "3"]);
    }

    #[test]
    fn llama3_groups_digits_in_threes_and_ends_lines() {
        assert_eq!(
            split("llama-bpe", "I'LL pay 1234567.\n\n  x"),
            ["I", "'LL", " pay", " ", "123", "456", "7", ".\n\n", " ", " x"]
        );
        assert_eq!(split("qwen2", "ab 123"), ["ab", " ", "1", "2", "3"]);
    }

    #[test]
    fn default_splits_punctuation_then_three_digits() {
        assert_eq!(
            split("no-such-pre", "a+=12345;"),
            ["a", "+=", "123", "45", ";"]
        );
    }

    #[test]
    fn deepseek_coder_splits_lines_letters_punctuation_and_digits() {
        assert_eq!(
            split("deepseek-coder", "def f(x):\n  return 42 变量"),
            ["def", " f", "(", "x", "):", "\n", " ", " return", " ", "4", "2", " ", "变量"]
        );
    }
}
