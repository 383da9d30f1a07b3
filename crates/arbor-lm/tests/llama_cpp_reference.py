#!/usr/bin/env python3
"""Reference logits from llama.cpp (llama-cpp-python) for Arbor's forward pass.

    llama_cpp_reference.py tiny OUT_DIR [--archs llama,qwen2,...] [--types F32,Q4_0,...] [--check]
        Writes a tiny random-weight F32 GGUF of each architecture (the metadata keys and tensor
        names llama.cpp's loader expects), quantizes it with llama.cpp's own quantizer to each
        type, runs llama.cpp teacher-forced on a fixed token sequence and writes every
        position's logits. OUT_DIR/manifest.json lists the cases:
          {"tokens": [...], "cases": [{"arch", "type", "gguf", "logits", "positions", "vocab",
                                       "tensor_types": {name: type}, "type_counts": {...}}]}
        each `logits` file holding positions x vocab little-endian f32, row by row.
        --check also runs two float64 numpy forward passes on the dequantized weights of each
        file and prints their max |logit difference| from llama.cpp's: "exact" (the model's
        semantics, exact arithmetic) and "ggml" (the activations rounded as ggml's CPU backend
        rounds them before each matrix: to 8 bits in blocks, Q8_0/Q8_1 for Q4_0..Q8_0 and Q8_K
        for the k-quants, to f16 for F16 matrices and bf16 for BF16 ones; GELU from ggml's f16
        table). The first shows what llama.cpp's arithmetic contributes, the second what is
        left once it is copied, as Arbor's kernels do.

    llama_cpp_reference.py gemma MODEL.gguf OUT.json [--tokens 64]
        For a few fixed code prompts, llama.cpp's tokenization and greedy continuation (one
        token at a time, with the KV cache) and, at each continuation position, its best and
        second-best logits, and the best tokens of the same sequence teacher-forced in one
        batch (where they differ from the greedy run's, llama.cpp disagrees with itself).

llama.cpp runs on one thread, the KV cache in f32, flash attention off, without repacking
matrices (see open_llama): ggml's CPU arithmetic, which Arbor's kernels copy. Needs llama-cpp-python, numpy and gguf
(scripts/llama-cpp-venv.sh makes that environment).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import gguf
from gguf.quants import dequantize

# --- the tiny vocabulary (crates/arbor-lm/src/testing.rs, tiny_vocabulary) -------------------

TINY_MERGES = [
    "d e", "de f", "r e", "re t", "ret u", "retu r", "retur n", "Ġ return",
    "Ġ a", "Ġ b", "Ġ Ġ", "ĠĠ ĠĠ", "1 2", "Ġ +",
]
TINY_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def byte_level_alphabet() -> list[str]:
    """GPT-2's byte-to-unicode symbols (the ByteLevel alphabet), sorted by code point."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars = list(printable)
    n = 0
    for b in range(256):
        if b not in printable:
            chars.append(256 + n)
            n += 1
    return sorted(chr(c) for c in chars)


def tiny_vocabulary() -> tuple[list[str], list[str], list[int]]:
    tokens = byte_level_alphabet()
    tokens += [m.replace(" ", "") for m in TINY_MERGES]
    types = [1] * len(tokens)
    tokens += TINY_SPECIALS
    types += [3] * len(TINY_SPECIALS)
    return tokens, list(TINY_MERGES), types


# --- the tiny models ------------------------------------------------------------------------

# Every matrix's row length (ne0) is a multiple of 256, so that k-quants apply to every
# matrix without llama.cpp's fallback to other types.
ARCHS = {
    # Untied output, rope.dimension_count written (as llama converters do), NORM rope.
    "llama": dict(n_embd=256, n_head=4, n_head_kv=2, head_dim=64, n_ff=512, n_layer=2,
                  tied=False, rope_base=10000.0, eps=1e-5, seed=11),
    # Biases on q, k and v; tied output; NEOX rope.
    "qwen2": dict(n_embd=256, n_head=4, n_head_kv=2, head_dim=64, n_ff=768, n_layer=2,
                  tied=True, rope_base=1000000.0, eps=1e-6, seed=12),
    # Per-head q/k RMS norms; 8 heads of 64 (query width 512 != embedding 256, key_length
    # written, as Qwen3 converters do); untied.
    "qwen3": dict(n_embd=256, n_head=8, n_head_kv=2, head_dim=64, n_ff=512, n_layer=2,
                  tied=False, rope_base=1000000.0, eps=1e-6, seed=13),
    # Gemma 3: embeddings scaled by sqrt(n_embd), norms stored already +1 (as
    # convert_hf_to_gguf.py writes them), q/k norms, post-attention and post-FFN norms,
    # GELU(tanh) gate, six layers of which llama.cpp's pattern (6) makes layer 5 global and
    # layers 0-4 sliding with an 8-token window, rope base 1e6 (global) / 20000 (sliding,
    # written as rope.freq_base_swa; without it llama.cpp uses 10000, as for the real 270M
    # file), final logit soft-cap 15, tied output, one KV head (like the 270M model).
    "gemma3": dict(n_embd=256, n_head=4, n_head_kv=1, head_dim=64, n_ff=512, n_layer=6,
                   tied=True, rope_base=1000000.0, rope_base_swa=20000.0, eps=1e-6,
                   window=8, softcap=15.0, emb_std=0.05, post_norm=2.0, output_norm=3.0,
                   seed=14),
    # LayerNorm with bias, GELU MLP (up, down) with biases, q/k/v/o biases, tied, NEOX rope.
    "starcoder2": dict(n_embd=256, n_head=4, n_head_kv=2, head_dim=64, n_ff=1024, n_layer=2,
                       tied=True, rope_base=100000.0, eps=1e-5, seed=15),
}

# Type name -> llama_ftype for llama.cpp's quantizer (F32: the written file itself).
FTYPES = {
    "F32": 0, "F16": 1, "BF16": 32, "Q8_0": 7, "Q5_0": 8, "Q5_1": 9, "Q4_0": 2, "Q4_1": 3,
    "Q6_K": 18, "Q5_K_M": 17, "Q5_K_S": 16, "Q4_K_M": 15, "Q4_K_S": 14,
}

N_TOKENS = 40          # >= 2x the gemma3 window, several times over
CONTEXT = 512


def fixed_tokens(vocab: int) -> list[int]:
    """40 fixed ids among the non-special tokens."""
    rng = np.random.default_rng(20240601)
    return [int(t) for t in rng.integers(0, vocab - len(TINY_SPECIALS), N_TOKENS)]


def write_tiny(path: Path, arch: str) -> None:
    c = ARCHS[arch]
    rng = np.random.default_rng(c["seed"])
    d, hd, nh, nkv, ff = c["n_embd"], c["head_dim"], c["n_head"], c["n_head_kv"], c["n_ff"]
    tokens, merges, types = tiny_vocabulary()
    vocab = len(tokens)

    w = gguf.GGUFWriter(str(path), arch)
    w.add_name(f"arbor-tiny-{arch}")
    w.add_context_length(CONTEXT)
    w.add_embedding_length(d)
    w.add_block_count(c["n_layer"])
    w.add_feed_forward_length(ff)
    w.add_head_count(nh)
    w.add_head_count_kv(nkv)
    w.add_rope_freq_base(c["rope_base"])
    if arch == "starcoder2":
        w.add_layer_norm_eps(c["eps"])
    else:
        w.add_layer_norm_rms_eps(c["eps"])
    if arch == "llama":
        w.add_rope_dimension_count(hd)
    if arch in ("qwen3", "gemma3"):
        w.add_key_length(hd)
        w.add_value_length(hd)
    if arch == "gemma3":
        w.add_sliding_window(c["window"])
        w.add_rope_freq_base_swa(c["rope_base_swa"])
        w.add_final_logit_softcapping(c["softcap"])
    w.add_file_type(0)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("smollm")
    w.add_token_list(tokens)
    w.add_token_merges(merges)
    w.add_token_types(types)
    eos = vocab - len(TINY_SPECIALS)
    w.add_bos_token_id(eos)
    w.add_eos_token_id(eos)
    w.add_add_bos_token(False)

    def normal(shape, std):
        return (rng.standard_normal(shape) * std).astype(np.float32)

    def matrix(rows, cols):  # (out, in): GGUF ne = [in, out]
        return normal((rows, cols), 1.0 / math.sqrt(cols))

    def norm(n, scale=1.0):  # around `scale` (for Gemma: the stored, already +1 value)
        return (scale * (1.0 + normal((n,), 0.1))).astype(np.float32)

    tensors: list[tuple[str, np.ndarray]] = []
    # A tied embedding is also the output matrix: as small as an output matrix. Gemma's
    # embedding, scaled by sqrt(n_embd) on the way in and tied, would make each position's
    # own token its best next token: a smaller embedding, larger post-norms and final norm
    # keep the ranking of the logits up to the layers.
    emb_std = c.get("emb_std", 0.15 if c["tied"] else 1.0)
    post = c.get("post_norm", 1.0)
    tensors.append(("token_embd.weight", normal((vocab, d), emb_std)))
    tensors.append(("output_norm.weight", norm(d, c.get("output_norm", 1.0))))
    if arch == "starcoder2":
        tensors.append(("output_norm.bias", normal((d,), 0.1)))
    if not c["tied"]:
        tensors.append(("output.weight", normal((vocab, d), 0.15)))
    q = nh * hd
    kv = nkv * hd
    for i in range(c["n_layer"]):
        p = f"blk.{i}"
        tensors.append((f"{p}.attn_norm.weight", norm(d)))
        if arch == "starcoder2":
            tensors.append((f"{p}.attn_norm.bias", normal((d,), 0.1)))
        tensors += [
            (f"{p}.attn_q.weight", matrix(q, d)),
            (f"{p}.attn_k.weight", matrix(kv, d)),
            (f"{p}.attn_v.weight", matrix(kv, d)),
            (f"{p}.attn_output.weight", matrix(d, q)),
        ]
        if arch in ("qwen2", "starcoder2"):
            tensors += [
                (f"{p}.attn_q.bias", normal((q,), 0.5)),
                (f"{p}.attn_k.bias", normal((kv,), 0.5)),
                (f"{p}.attn_v.bias", normal((kv,), 0.5)),
            ]
        if arch == "starcoder2":
            tensors.append((f"{p}.attn_output.bias", normal((d,), 0.1)))
        if arch in ("qwen3", "gemma3"):
            tensors += [
                (f"{p}.attn_q_norm.weight", norm(hd)),
                (f"{p}.attn_k_norm.weight", norm(hd)),
            ]
        if arch == "gemma3":
            tensors.append((f"{p}.post_attention_norm.weight", norm(d, post)))
        tensors.append((f"{p}.ffn_norm.weight", norm(d)))
        if arch == "starcoder2":
            tensors += [
                (f"{p}.ffn_norm.bias", normal((d,), 0.1)),
                (f"{p}.ffn_up.weight", matrix(ff, d)),
                (f"{p}.ffn_up.bias", normal((ff,), 0.1)),
                (f"{p}.ffn_down.weight", matrix(d, ff)),
                (f"{p}.ffn_down.bias", normal((d,), 0.1)),
            ]
        else:
            tensors += [
                (f"{p}.ffn_gate.weight", matrix(ff, d)),
                (f"{p}.ffn_up.weight", matrix(ff, d)),
                (f"{p}.ffn_down.weight", matrix(d, ff)),
            ]
        if arch == "gemma3":
            tensors.append((f"{p}.post_ffw_norm.weight", norm(d, post)))
    for name, data in tensors:
        w.add_tensor(name, data)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# --- llama.cpp ------------------------------------------------------------------------------

def llama_cpp():
    import llama_cpp as lc
    # The table above against the library's own enum.
    for name, value in FTYPES.items():
        if name == "F32":
            continue
        attr = "LLAMA_FTYPE_MOSTLY_" + name
        if getattr(lc, attr) != value:
            raise SystemExit(f"{attr} is {getattr(lc, attr)}, not {value}")
    return lc


def quantize(lc, src: Path, dst: Path, ftype: int) -> None:
    params = lc.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = 1
    rc = lc.llama_model_quantize(str(src).encode(), str(dst).encode(), params)
    if rc != 0:
        raise SystemExit(f"llama_model_quantize {src} -> {dst} (ftype {ftype}) returned {rc}")


def open_llama(lc, path: Path, n_ctx: int, repack: bool = False):
    """llama.cpp on one thread, all logits kept, the KV cache in f32, flash attention off.

    Unless `repack`, without llama.cpp's "extra buffer types": on an AVX2 CPU these repack
    Q4_0 and Q4_K matrices at load time for a GEMM whose arithmetic differs from ggml's
    vec_dot kernels (up to 0.1 in these logits), and the vec_dot arithmetic is the one Arbor
    copies. llama-cpp-python has no argument for it: its model parameters are patched."""
    import llama_cpp.llama_cpp as raw
    default = raw.llama_model_default_params

    def without_repack():
        params = default()
        params.use_extra_bufts = repack
        return params

    raw.llama_model_default_params = without_repack
    try:
        return lc.Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_batch=n_ctx,
            n_ubatch=n_ctx,
            n_threads=1,
            n_threads_batch=1,
            logits_all=True,
            type_k=lc.GGML_TYPE_F32,
            type_v=lc.GGML_TYPE_F32,
            flash_attn=False,
            verbose=False,
        )
    finally:
        raw.llama_model_default_params = default


def llama_logits(lc, path: Path, tokens: list[int], repack: bool = False) -> np.ndarray:
    llm = open_llama(lc, path, 64, repack)
    llm.eval(tokens)
    logits = np.array(llm.scores[: len(tokens)], dtype=np.float32)
    llm.close()
    return logits


def tensor_types(path: Path) -> dict[str, str]:
    reader = gguf.GGUFReader(str(path))
    return {t.name: t.tensor_type.name for t in reader.tensors}


# --- a float64 numpy forward pass, for --check -------------------------------------------------

def load_weights(path: Path):
    """The dequantized tensors (float64), their types, and the per-block minimums `m` of
    Q4_1/Q5_1 matrices (ggml's dot product with Q8_1 activations treats them apart)."""
    reader = gguf.GGUFReader(str(path))
    weights, types, mins = {}, {}, {}
    for t in reader.tensors:
        shape = [int(n) for n in reversed(t.shape)]
        weights[t.name] = dequantize(t.data, t.tensor_type).astype(np.float64).reshape(shape)
        types[t.name] = t.tensor_type.name
        if t.tensor_type.name in ("Q4_1", "Q5_1"):
            size = 20 if t.tensor_type.name == "Q4_1" else 24  # f16 d, f16 m, quants
            blocks = np.ascontiguousarray(np.asarray(t.data, dtype=np.uint8).reshape(-1, size))
            m = blocks[:, 2:4].copy().view(np.float16).astype(np.float64)
            mins[t.name] = m.reshape(shape[0], shape[1] // 32)
    return weights, types, mins


def round_half_even(x):
    return np.rint(x)


def to_f16(x):
    return np.asarray(x, dtype=np.float32).astype(np.float16).astype(np.float64)


def to_bf16(x):
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    return u.astype(np.uint32).view(np.float32).astype(np.float64)


def ggml_activations(x, weight_type: str):
    """The activations as ggml's CPU backend hands them to a matrix of `weight_type`: its
    vec_dot_type (f16, bf16, Q8_0/Q8_1 blocks of 32, Q8_K blocks of 256), dequantized; for
    Q8_1 also each block's `s = d·Σq` (f16), which multiplies the weights' minimums."""
    if weight_type == "F32":
        return x, None
    if weight_type == "F16":
        return to_f16(x), None
    if weight_type == "BF16":
        return to_bf16(x), None
    x32 = np.asarray(x, dtype=np.float32)
    shape = x32.shape
    if weight_type.endswith("_K"):  # Q8_K: quantize_row_q8_K_ref
        b = x32.reshape(-1, 256)
        idx = np.abs(b).argmax(-1)
        mx = np.take_along_axis(b, idx[:, None], -1)
        with np.errstate(divide="ignore", invalid="ignore"):
            iscale = np.where(mx != 0, np.float32(-127.0) / mx, 0).astype(np.float32)
        q = np.minimum(127, round_half_even((iscale * b).astype(np.float32)))
        with np.errstate(divide="ignore"):
            d = np.where(iscale != 0, np.float32(1.0) / iscale, 0).astype(np.float32)
        return (q * d).astype(np.float64).reshape(shape), None
    # Q8_0 / Q8_1, as x86's quantize_row_q8_0/q8_1: d = amax/127 kept as f16,
    # q = round(x * 127/amax) (half to even).
    b = x32.reshape(-1, 32)
    amax = np.abs(b).max(-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(amax > 0, np.float32(127.0) / amax, 0).astype(np.float32)
    q = round_half_even((b * inv).astype(np.float32))
    d32 = (amax / np.float32(127.0)).astype(np.float32)
    values = (q * to_f16(d32)).reshape(shape)
    sums = None
    if weight_type in ("Q4_1", "Q5_1"):
        sums = to_f16(d32[:, 0] * q.sum(-1)).reshape(shape[:-1] + (shape[-1] // 32,))
    return values, sums


def ggml_gelu(x):
    """ggml's GELU on f32 (GGML_GELU_FP16): an f16 table of the tanh form, within (-10, 10)."""
    xh = to_f16(x)
    y = to_f16(gelu_tanh(xh))
    return np.where(x <= -10.0, 0.0, np.where(x >= 10.0, x, y))


def rms_norm(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def rope(x, base, neox):
    """x: (positions, heads, head_dim)."""
    n, _, hd = x.shape
    half = hd // 2
    inv = base ** (-np.arange(half) * 2.0 / hd)
    ang = np.arange(n)[:, None] * inv[None, :]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    out = x.copy()
    if neox:
        a, b = x[..., :half], x[..., half:]
        out[..., :half] = a * cos - b * sin
        out[..., half:] = a * sin + b * cos
    else:
        a, b = x[..., 0::2], x[..., 1::2]
        out[..., 0::2] = a * cos - b * sin
        out[..., 1::2] = a * sin + b * cos
    return out


def numpy_logits(path: Path, arch: str, tokens: list[int], ggml: bool = False) -> np.ndarray:
    """The model's logits in float64 from the dequantized weights; with `ggml`, the activations
    rounded as ggml rounds them before each matrix and GELU taken from its f16 table."""
    c = ARCHS[arch]
    W, T, M = load_weights(path)
    d, hd, nh, nkv = c["n_embd"], c["head_dim"], c["n_head"], c["n_head_kv"]
    eps = c["eps"]
    n = len(tokens)

    def mm(x, name):
        if not ggml:
            return x @ W[name].T
        x, sums = ggml_activations(x, T[name])
        if sums is None:
            return x @ W[name].T
        # Q4_1/Q5_1 x Q8_1: Σ d_x·d_y·Σ q_x·q_y + m_x·s_y over blocks.
        m = M[name]
        return x @ (W[name] - np.repeat(m, 32, axis=1)).T + sums @ m.T

    gelu = ggml_gelu if ggml else gelu_tanh
    x = W["token_embd.weight"][tokens]
    if arch == "gemma3":
        x = x * math.sqrt(d)
    neox = arch != "llama"
    for i in range(c["n_layer"]):
        p = f"blk.{i}."
        if arch == "starcoder2":
            h = layer_norm(x, W[p + "attn_norm.weight"], W[p + "attn_norm.bias"], eps)
        else:
            h = rms_norm(x, W[p + "attn_norm.weight"], eps)
        q, k, v = mm(h, p + "attn_q.weight"), mm(h, p + "attn_k.weight"), mm(h, p + "attn_v.weight")
        if p + "attn_q.bias" in W:
            q, k, v = q + W[p + "attn_q.bias"], k + W[p + "attn_k.bias"], v + W[p + "attn_v.bias"]
        q, k, v = q.reshape(n, nh, hd), k.reshape(n, nkv, hd), v.reshape(n, nkv, hd)
        if p + "attn_q_norm.weight" in W:
            q = rms_norm(q, W[p + "attn_q_norm.weight"], eps)
            k = rms_norm(k, W[p + "attn_k_norm.weight"], eps)
        base = c["rope_base"]
        # llama.cpp's gemma3: every 6th layer global, the others sliding.
        sliding = arch == "gemma3" and (i % 6) < 5
        if sliding:
            base = c["rope_base_swa"]
        q, k = rope(q, base, neox), rope(k, base, neox)
        scores = np.einsum("qhd,khd->hqk", q, np.repeat(k, nh // nkv, axis=1)) / math.sqrt(hd)
        qi, ki = np.arange(n)[:, None], np.arange(n)[None, :]
        masked = ki > qi
        if sliding:
            # A query sees itself and the window - 1 keys before it.
            masked |= (qi - ki) >= c["window"]
        scores = np.where(masked[None], -np.inf, scores)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        o = np.einsum("hqk,khd->qhd", scores, np.repeat(v, nh // nkv, axis=1)).reshape(n, nh * hd)
        o = mm(o, p + "attn_output.weight")
        if p + "attn_output.bias" in W:
            o = o + W[p + "attn_output.bias"]
        if arch == "gemma3":
            o = rms_norm(o, W[p + "post_attention_norm.weight"], eps)
        x = x + o
        if arch == "starcoder2":
            h = layer_norm(x, W[p + "ffn_norm.weight"], W[p + "ffn_norm.bias"], eps)
            f = gelu(mm(h, p + "ffn_up.weight") + W[p + "ffn_up.bias"])
            f = mm(f, p + "ffn_down.weight") + W[p + "ffn_down.bias"]
        else:
            h = rms_norm(x, W[p + "ffn_norm.weight"], eps)
            g = mm(h, p + "ffn_gate.weight")
            u = mm(h, p + "ffn_up.weight")
            act = gelu(g) if arch == "gemma3" else g / (1.0 + np.exp(-g))
            f = mm(act * u, p + "ffn_down.weight")
        if arch == "gemma3":
            f = rms_norm(f, W[p + "post_ffw_norm.weight"], eps)
        x = x + f
    if arch == "starcoder2":
        x = layer_norm(x, W["output_norm.weight"], W["output_norm.bias"], eps)
    else:
        x = rms_norm(x, W["output_norm.weight"], eps)
    logits = mm(x, "output.weight" if "output.weight" in W else "token_embd.weight")
    if c.get("softcap"):
        logits = c["softcap"] * np.tanh(logits / c["softcap"])
    return logits


def top2_margin(row: np.ndarray) -> float:
    a, b = np.partition(row, -2)[-2:]
    return float(abs(b - a))


# --- commands ---------------------------------------------------------------------------------

def cmd_tiny(args) -> None:
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    archs = args.archs.split(",") if args.archs else list(ARCHS)
    types = args.types.split(",") if args.types else list(FTYPES)
    for name in archs:
        if name not in ARCHS:
            raise SystemExit(f"unknown architecture {name}: one of {', '.join(ARCHS)}")
    for name in types:
        if name not in FTYPES:
            raise SystemExit(f"unknown type {name}: one of {', '.join(FTYPES)}")
    lc = llama_cpp()
    vocab = len(tiny_vocabulary()[0])
    tokens = fixed_tokens(vocab)
    cases = []
    for arch in archs:
        base = out / f"{arch}-F32.gguf"
        write_tiny(base, arch)
        for ty in types:
            path = base if ty == "F32" else out / f"{arch}-{ty}.gguf"
            if ty != "F32":
                quantize(lc, base, path, FTYPES[ty])
            logits = llama_logits(lc, path, tokens)
            if not np.isfinite(logits).all():
                raise SystemExit(f"{path.name}: llama.cpp gave non-finite logits")
            logits_file = out / f"{arch}-{ty}.logits.f32"
            logits.astype("<f4").tofile(logits_file)
            types_of = tensor_types(path)
            counts = dict(sorted(Counter(types_of.values()).items()))
            case = {
                "arch": arch,
                "type": ty,
                "gguf": path.name,
                "logits": logits_file.name,
                "positions": len(tokens),
                "vocab": int(logits.shape[1]),
                "size_bytes": path.stat().st_size,
                "tensor_types": types_of,
                "type_counts": counts,
                "logit_range": [float(logits.min()), float(logits.max())],
                "min_top2_margin": float(min(top2_margin(r) for r in logits)),
            }
            line = (f"{arch:<10} {ty:<7} {path.stat().st_size / 1e6:6.2f} MB  logits "
                    f"[{logits.min():7.2f}, {logits.max():6.2f}]  {counts}")
            if args.check:
                repacked = llama_logits(lc, path, tokens, repack=True)
                case["repack_max_abs_diff"] = float(np.abs(repacked - logits).max())
                line += f"  repack: max|d| {case['repack_max_abs_diff']:.1e}"
                for label, ggml in (("exact", False), ("ggml", True)):
                    ref = numpy_logits(path, arch, tokens, ggml=ggml)
                    diff = np.abs(ref - logits)
                    agree = int((ref.argmax(-1) == logits.argmax(-1)).sum())
                    case[f"{label}_max_abs_diff"] = float(diff.max())
                    case[f"{label}_top1_agreement"] = agree
                    line += f"  {label}: max|d| {diff.max():.1e} top-1 {agree}/{len(tokens)}"
            print(line, flush=True)
            cases.append(case)
    manifest = {
        "llama_cpp_python": lc.__version__,
        "gguf": getattr(gguf, "__version__", None) or package_version("gguf"),
        "tokens": tokens,
        "cases": cases,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))


def package_version(name: str):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:
        return None


GEMMA_PROMPTS = [
    'def fibonacci(n: int) -> int:\n    """Return the n-th Fibonacci number."""\n',
    "/// Returns the largest element of a slice, or None when it is empty.\n"
    "pub fn largest(items: &[i32]) -> Option<i32> {\n",
    "// Debounce: call `fn` only after `ms` milliseconds without another call.\n"
    "function debounce(fn, ms) {\n",
]


def cmd_gemma(args) -> None:
    lc = llama_cpp()
    llm = open_llama(lc, Path(args.model), 256)
    results = []
    for text in GEMMA_PROMPTS:
        llm.reset()
        prompt = llm.tokenize(text.encode(), add_bos=True, special=False)
        llm.eval(prompt)
        ids, top1, second = [], [], []
        row = np.array(llm.scores[llm.n_tokens - 1])
        for _ in range(args.tokens):
            order = np.argsort(row)[::-1][:2]
            token = int(order[0])
            ids.append(token)
            top1.append(float(row[order[0]]))
            second.append(float(row[order[1]]))
            llm.eval([token])
            row = np.array(llm.scores[llm.n_tokens - 1])
        continuation = llm.detokenize(ids).decode("utf-8", "replace")
        # The same tokens teacher-forced in one batch, as Arbor runs them: llama.cpp's own
        # arithmetic noise (other kernels for a batch than for one token) shows where its
        # best tokens differ from its greedy run's.
        llm.reset()
        llm.eval(list(prompt) + ids)
        batch = np.array(llm.scores[len(prompt) - 1 : len(prompt) - 1 + len(ids)])
        results.append({
            "prompt": text,
            "prompt_ids": [int(t) for t in prompt],
            "continuation_ids": ids,
            "continuation": continuation,
            "top1_logit": top1,
            "second_logit": second,
            "batch_top1_ids": [int(t) for t in batch.argmax(-1)],
        })
        print(f"--- {len(prompt)} prompt tokens, continuation:\n{text}{continuation}\n",
              file=sys.stderr)
    llm.close()
    Path(args.out).write_text(json.dumps({
        "llama_cpp_python": lc.__version__,
        "model": os.path.abspath(args.model),
        "prompts": results,
    }, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    tiny = sub.add_parser("tiny", help="tiny random models of each architecture and type")
    tiny.add_argument("out_dir")
    tiny.add_argument("--archs", help=f"comma-separated, of {','.join(ARCHS)}")
    tiny.add_argument("--types", help=f"comma-separated, of {','.join(FTYPES)}")
    tiny.add_argument("--check", action="store_true",
                      help="also compare with a float64 numpy forward pass")
    gemma = sub.add_parser("gemma", help="greedy continuations of code prompts with a real model")
    gemma.add_argument("model")
    gemma.add_argument("out")
    gemma.add_argument("--tokens", type=int, default=64)
    args = parser.parse_args()
    if args.command == "tiny":
        cmd_tiny(args)
    else:
        cmd_gemma(args)


if __name__ == "__main__":
    main()
