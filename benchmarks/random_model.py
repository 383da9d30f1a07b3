"""A random-weight GGUF model with the shapes of a real one, quantized by llama.cpp's own
quantizer: speed does not depend on the weights' values, so this measures a model nobody has
to download. Needs the `gguf`, `numpy` and `llama-cpp-python` packages (the benchmark venv).

    python random_model.py SHAPE OUT.gguf [FTYPE]

SHAPE: qwen2.5-coder-0.5b (Qwen2.5-Coder-0.5B: 24 layers, width 896, 14 heads, 2 KV heads,
feed-forward 4864, vocabulary 151936, tied embeddings, Q/K/V biases). FTYPE: a llama.cpp file
type number (default 15, Q4_K_M).
"""
import os
import sys
import tempfile

import numpy as np
import gguf

SHAPES = {
    "qwen2.5-coder-0.5b": dict(
        arch="qwen2", layers=24, width=896, heads=14, kv_heads=2, ff=4864, vocab=151936,
        context=32768, rope_base=1000000.0, eps=1e-6, bias=True,
    ),
}


def write_f16(shape, path):
    s = SHAPES[shape]
    rng = np.random.default_rng(0)
    w = gguf.GGUFWriter(path, s["arch"])
    a = s["arch"]
    head = s["width"] // s["heads"]
    w.add_uint32(f"{a}.block_count", s["layers"])
    w.add_uint32(f"{a}.context_length", s["context"])
    w.add_uint32(f"{a}.embedding_length", s["width"])
    w.add_uint32(f"{a}.feed_forward_length", s["ff"])
    w.add_uint32(f"{a}.attention.head_count", s["heads"])
    w.add_uint32(f"{a}.attention.head_count_kv", s["kv_heads"])
    w.add_float32(f"{a}.rope.freq_base", s["rope_base"])
    w.add_float32(f"{a}.attention.layer_norm_rms_epsilon", s["eps"])
    w.add_file_type(1)
    # A byte-level vocabulary of the model's size: the 256 byte symbols, then filler tokens.
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")
    byte_symbols = [chr(c) for c in range(ord("!"), ord("~") + 1)]
    byte_symbols += [chr(c) for c in range(ord("¡"), ord("¬") + 1)]
    byte_symbols += [chr(c) for c in range(ord("®"), ord("ÿ") + 1)]
    n = 0
    for b in range(256):
        if chr(b) not in byte_symbols:
            byte_symbols.append(chr(256 + n))
            n += 1
    tokens = sorted(byte_symbols)
    tokens += [f"tok{i}" for i in range(s["vocab"] - len(tokens) - 1)]
    tokens.append("<|endoftext|>")
    w.add_token_list(tokens)
    w.add_token_types([1] * (len(tokens) - 1) + [3])
    w.add_token_merges(["Ġ Ġ"])
    w.add_eos_token_id(len(tokens) - 1)
    w.add_bos_token_id(len(tokens) - 1)

    def t(name, *dims):
        w.add_tensor(name, (rng.standard_normal(dims, dtype=np.float32) * 0.02).astype(np.float16))

    def v(name, n, value=None):
        data = np.ones(n, dtype=np.float32) if value is None else rng.standard_normal(n, dtype=np.float32) * value
        w.add_tensor(name, data)

    kv = head * s["kv_heads"]
    t("token_embd.weight", s["vocab"], s["width"])
    v("output_norm.weight", s["width"])
    for i in range(s["layers"]):
        p = f"blk.{i}"
        v(f"{p}.attn_norm.weight", s["width"])
        t(f"{p}.attn_q.weight", s["width"], s["width"])
        t(f"{p}.attn_k.weight", kv, s["width"])
        t(f"{p}.attn_v.weight", kv, s["width"])
        if s["bias"]:
            v(f"{p}.attn_q.bias", s["width"], 0.02)
            v(f"{p}.attn_k.bias", kv, 0.02)
            v(f"{p}.attn_v.bias", kv, 0.02)
        t(f"{p}.attn_output.weight", s["width"], s["width"])
        v(f"{p}.ffn_norm.weight", s["width"])
        t(f"{p}.ffn_gate.weight", s["ff"], s["width"])
        t(f"{p}.ffn_up.weight", s["ff"], s["width"])
        t(f"{p}.ffn_down.weight", s["width"], s["ff"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    shape, out = sys.argv[1], sys.argv[2]
    ftype = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    import llama_cpp

    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(out))) as tmp:
        f16 = os.path.join(tmp, "f16.gguf")
        write_f16(shape, f16)
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = ftype
        params.nthread = os.cpu_count() or 1
        partial = out + ".partial"
        rc = llama_cpp.llama_model_quantize(f16.encode(), partial.encode(), params)
        if rc != 0:
            sys.exit(f"llama_model_quantize failed ({rc})")
        os.replace(partial, out)


if __name__ == "__main__":
    main()
