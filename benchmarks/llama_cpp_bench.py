"""llama.cpp (through llama-cpp-python) on the same measurement as Arbor's lm_bench example:
prefill of PROMPT_TOKENS tokens of a text, then DECODE_TOKENS greedy tokens one at a time.
One JSON line per run.

    python llama_cpp_bench.py MODEL.gguf THREADS PROMPT_TOKENS DECODE_TOKENS RUNS TEXT_FILE
"""
import sys, time, json
from llama_cpp import Llama
path, threads, n_prompt, n_decode, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
llm = Llama(model_path=path, n_threads=threads, n_threads_batch=threads, n_ctx=2048, n_batch=2048, verbose=False)
text = open(sys.argv[6]).read()
toks = llm.tokenize(text.encode(), add_bos=False, special=False)[:n_prompt]
for run in range(runs):
    llm.reset()
    t0 = time.perf_counter(); llm.eval(toks); t1 = time.perf_counter()
    n = 0
    t2 = time.perf_counter()
    for _ in range(n_decode):
        tok = int(llm.scores[llm.n_tokens - 1].argmax())
        llm.eval([tok]); n += 1
    t3 = time.perf_counter()
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"run": run, "prompt_tokens": len(toks), "prefill_tok_s": round(len(toks)/(t1-t0),1), "decode_tokens": n, "decode_tok_s": round(n/(t3-t2),1), "peak_rss_mb": round(peak, 1)}))
