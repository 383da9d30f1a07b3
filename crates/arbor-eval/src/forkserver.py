# Arbor's fork server for sandboxed samples (run as `python3 -I -S -c <this>`).
#
# It starts once per worker inside the sandbox (same user, namespaces and environment as a
# sample would get), imports the modules HumanEval-style programs use, says "ready", then
# serves requests on stdin: a line with a fresh directory, a line with a byte count, and that
# many bytes of Python source. For each it forks a child that runs the source in that
# directory in a new session, with stdout and stderr going to files there, and answers
# "started PID", then "exit N" or "signal N" when the child has ended and everything it
# started is gone.
import os
import sys

for _name in ("typing", "math", "collections", "itertools", "functools", "re", "string",
              "heapq", "bisect", "hashlib", "fractions", "copy", "operator", "decimal",
              "statistics", "datetime", "json", "random"):
    try:
        __import__(_name)
    except Exception:
        pass

import signal
import traceback
import types

_exit = os._exit
_fork = os.fork
_waitpid = os.waitpid
# PID 1 of its own PID namespace: `kill(-1)` reaches exactly the samples' processes.
_in_namespace = os.getpid() == 1


def _exit_code(e):
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code & 0xFF
    print(e.code, file=sys.stderr)
    return 1


def _run(directory, source):
    code = 1
    try:
        os.setsid()
        os.chdir(directory)
        fd = os.open(os.devnull, os.O_RDONLY)
        os.dup2(fd, 0)
        os.close(fd)
        for target, name in ((1, ".arbor-stdout"), (2, ".arbor-stderr")):
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd, target)
            os.close(fd)
        os.environ.clear()
        os.environ.update(HOME=directory, TMPDIR=directory, PATH="/usr/bin:/bin")
        sys.argv[:] = ["-"]
        if "random" in sys.modules:
            sys.modules["random"].seed()
        main = types.ModuleType("__main__")
        sys.modules["__main__"] = main
        try:
            exec(compile(source, "<stdin>", "exec"), main.__dict__)
            code = 0
        except SystemExit as e:
            code = _exit_code(e)
        except BaseException:
            # As the interpreter does at the top level: through the (replaceable) hook.
            code = 1
            try:
                sys.excepthook(*sys.exc_info())
            except SystemExit as e:
                code = _exit_code(e)
            except BaseException:
                traceback.print_exc()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
    finally:
        _exit(code)


def _reap():
    while True:
        try:
            pid, _ = _waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _serve():
    requests = sys.stdin.buffer
    os.write(1, b"ready\n")
    while True:
        directory = requests.readline()
        size = requests.readline()
        if not directory or not size:
            return
        source = requests.read(int(size))
        pid = _fork()
        if pid == 0:
            _run(directory.decode().rstrip("\n"), source)
        # The child's process group, for a kill from outside at the time limit; inside a
        # namespace its number means nothing outside, and killing the server is enough.
        os.write(1, b"started %d\n" % (0 if _in_namespace else pid))
        _, status = _waitpid(pid, 0)
        if _in_namespace:
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            while True:
                try:
                    _waitpid(-1, 0)
                except ChildProcessError:
                    break
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            _reap()
        if os.WIFSIGNALED(status):
            os.write(1, b"signal %d\n" % os.WTERMSIG(status))
        else:
            os.write(1, b"exit %d\n" % os.WEXITSTATUS(status))


_serve()
