#!/usr/bin/env python3
"""llama.cpp's token ids, for Arbor's tokenizer tests (crates/arbor-lm/tests/tokenizer_llama_cpp.rs).

    tokenize.py ids MODEL.gguf TEXTS.json OUT.json
        llama.cpp's ids for each text of TEXTS.json (a JSON list of strings) with the vocabulary
        of MODEL.gguf: `Llama(vocab_only=True).tokenize(text, add_bos=True, special=True)`, so
        BOS/EOS as the vocabulary asks and special tokens in the text parsed.
        OUT.json: {"ids": [[...], ...]}

    tokenize.py synth OUT_DIR TEXTS.json OUT.json
        Writes vocab-only GGUF files with synthetic vocabularies trained on the texts: byte-level
        BPE whose merges were learnt across the whole texts (so they cross every boundary a
        pre-tokenizer draws: digit runs, contractions, spaces before punctuation, line breaks),
        once per `tokenizer.ggml.pre` name, and SentencePiece ones with and without the space
        prefix; and llama.cpp's ids for the texts with each.
        OUT.json: {"cases": [{"name": ..., "gguf": ..., "ids": [[...], ...]}]}

Needs llama-cpp-python and gguf (both in ~/.cache/arbor/bench-venv-llama).
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter

BPE_PRES = [
    "default",
    "gpt-2",
    "smollm",
    "starcoder",
    "refact",
    "codeshell",
    "qwen2",
    "llama-bpe",
    "deepseek-coder",
    "deepseek-llm",
]
CONTROL = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|fim_prefix|>",
    "<|fim_suffix|>",
    "<|fim_middle|>",
    "<start_of_turn>",
    "<end_of_turn>",
]
# Typed normal, but control to llama.cpp by their text; and a user-defined token.
NORMAL_SPECIAL = ["<|fim_pad|>"]
USER_DEFINED = ["<tool>"]
EXTRA_TEXTS = ["pad<|fim_pad|>pad<tool>x <tool> y", "zqjv zqjv,zqjv"]


def llama_ids(model_path: str, texts: list[str]) -> list[list[int]]:
    import llama_cpp

    model = llama_cpp.Llama(model_path=model_path, vocab_only=True, verbose=False)
    return [model.tokenize(t.encode("utf-8"), add_bos=True, special=True) for t in texts]


def byte_chars() -> list[str]:
    """GPT-2's bytes_to_unicode, by byte."""
    printable = set(range(0x21, 0x7F)) | set(range(0xA1, 0xAD)) | set(range(0xAE, 0x100))
    chars, n = [], 0
    for b in range(256):
        if b in printable:
            chars.append(chr(b))
        else:
            chars.append(chr(256 + n))
            n += 1
    return chars


def learn_merges(seqs: list[list[str]], count: int) -> list[tuple[str, str]]:
    """Greedy BPE training over whole sequences (no pre-tokenization)."""
    merges = []
    for _ in range(count):
        pairs = Counter()
        for s in seqs:
            pairs.update(zip(s, s[1:]))
        if not pairs:
            break
        (a, b), n = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        if n < 2:
            break
        merges.append((a, b))
        for i, s in enumerate(seqs):
            out, j = [], 0
            while j < len(s):
                if j + 1 < len(s) and s[j] == a and s[j + 1] == b:
                    out.append(a + b)
                    j += 2
                else:
                    out.append(s[j])
                    j += 1
            seqs[i] = out
    return merges


def writer(path: str):
    import gguf

    w = gguf.GGUFWriter(path, "llama")
    w.add_name("arbor-synthetic-vocab")
    w.add_context_length(256)
    w.add_embedding_length(64)
    w.add_block_count(1)
    w.add_feed_forward_length(128)
    w.add_head_count(4)
    w.add_head_count_kv(4)
    w.add_rope_dimension_count(16)
    w.add_layer_norm_rms_eps(1e-5)
    return w


def finish(w) -> None:
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def add_unique(tokens: list[str], types: list[int], items: list[str], kind: int) -> None:
    """Appends the items not in `tokens` yet; those there already take type `kind`."""
    position = {t: i for i, t in enumerate(tokens)}
    for t in items:
        if t in position:
            types[position[t]] = kind
        else:
            position[t] = len(tokens)
            tokens.append(t)
            types.append(kind)


def bpe_vocab(texts: list[str]) -> tuple[list[str], list[int], list[str]]:
    chars = byte_chars()
    seqs = [[chars[b] for b in t.encode("utf-8")] for t in texts if t]
    # A merge whose result is not a token ("xy"), though merges build on it, first.
    merges = [("x", "y")] + [m for m in learn_merges(seqs, 700) if m != ("x", "y")]
    tokens, types = list(chars), [1] * 256
    add_unique(tokens, types, [a + b for a, b in merges if a + b != "xy"], 1)
    # Whole words no merge builds (llama-bpe takes them as they are: ignore_merges).
    add_unique(tokens, types, ["Ġzqjv", "zqjv", "Ġreturn", "Ġgreet", "Ġspaces"], 1)
    add_unique(tokens, types, CONTROL, 3)
    add_unique(tokens, types, NORMAL_SPECIAL, 1)
    add_unique(tokens, types, USER_DEFINED, 4)
    return tokens, types, [f"{a} {b}" for a, b in merges]


def write_bpe(path: str, pre: str, tokens, types, merges) -> None:
    w = writer(path)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    eot = tokens.index("<|endoftext|>")
    w.add_bos_token_id(eot)
    w.add_eos_token_id(eot)
    finish(w)


def write_spm(path: str, texts: list[str], space_prefix: bool) -> None:
    escaped = [("▁" if space_prefix else "") + t.replace(" ", "▁") for t in texts if t]
    seqs = [list(t) for t in escaped]
    merges = learn_merges(seqs, 700)
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [2, 3, 3] + [6] * 256
    scores = [0.0] * len(tokens)
    # Characters below U+2000 and ▁ are pieces; the others (CJK, emoji, arrows) fall back
    # to bytes.
    chars = sorted({c for t in escaped for c in t if ord(c) < 0x2000 or c == "▁"})
    pieces = [(c, -1000.0 - i) for i, c in enumerate(chars)]
    pieces += [(a + b, -float(rank)) for rank, (a, b) in enumerate(merges)]
    seen = set(tokens)
    for piece, score in pieces:
        if piece not in seen:
            seen.add(piece)
            tokens.append(piece)
            types.append(1)
            scores.append(score)
    specials = [(t, 3) for t in CONTROL] + [(t, 4) for t in USER_DEFINED]
    if not space_prefix:
        # As Gemma: line breaks and tab runs are user-defined tokens.
        specials += [("\n", 4), ("\n\n", 4), ("\t\t", 4)]
    for t, kind in specials:
        if t in seen:
            i = tokens.index(t)
            types[i] = kind
        else:
            seen.add(t)
            tokens.append(t)
            types.append(kind)
            scores.append(0.0)
    w = writer(path)
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_scores(scores)
    w.add_unk_token_id(0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    if not space_prefix:
        w.add_add_space_prefix(False)
        w.add_add_bos_token(True)
    finish(w)


def main() -> None:
    command = sys.argv[1]
    if command == "ids":
        model, texts_path, out = sys.argv[2:5]
        texts = json.load(open(texts_path, encoding="utf-8"))
        result = {"ids": llama_ids(model, texts)}
    elif command == "synth":
        out_dir, texts_path, out = sys.argv[2:5]
        texts = json.load(open(texts_path, encoding="utf-8")) + EXTRA_TEXTS
        os.makedirs(out_dir, exist_ok=True)
        cases = []
        tokens, types, merges = bpe_vocab(texts)
        for pre in BPE_PRES:
            path = os.path.join(out_dir, f"bpe-{pre}.gguf")
            write_bpe(path, pre, tokens, types, merges)
            cases.append({"name": f"bpe/{pre}", "gguf": path, "texts": texts})
        for name, prefix in [("spm", True), ("spm-no-prefix", False)]:
            path = os.path.join(out_dir, f"{name}.gguf")
            write_spm(path, texts, prefix)
            cases.append({"name": name, "gguf": path, "texts": texts})
        for case in cases:
            case["ids"] = llama_ids(case["gguf"], case["texts"])
        result = {"cases": cases}
    else:
        sys.exit(f"unknown command {command!r} (ids, synth)")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
