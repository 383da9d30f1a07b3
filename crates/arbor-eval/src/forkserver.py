# Arbor's sample server (run as `python3 -I -S -c <this> serve|once private|shared CAP LIMITS`).
#
# It starts inside the sandbox (same user, namespaces and filesystem as a sample), says
# "ready", then serves requests on stdin. A request is a line `run N1 N2 N3 ENTRY` and N1 + N2
# + N3 bytes: the sample's unit (prompt + completion), the test unit (test + `check(...)`), and
# for --strict the reference unit (prompt + canonical solution) whose ENTRY the candidate's
# return types are checked against; a sixth word `out` asks for the tail of the child's stdout
# too. For each request it forks a child that runs the units in
# a fresh module, answers "started PID", and when the child has ended and everything it
# started is gone, "end exit|signal N DONE LEN" followed by the tail of the child's stderr
# (its stdout is kept in memory, up to the file-size limit, and dropped; with `out`, the line
# is "end exit|signal N DONE LEN OUTLEN" and the tail of stdout follows that of stderr). `once` serves one
# request without importing anything first (a new interpreter per sample); `serve` imports the
# modules such programs use, then serves until stdin closes.
#
# DONE is 1 only when the child's runner connected to this server's socket after every unit
# returned. The child cannot fake that: nothing secret is in its memory, the socket accepts
# only the child's own process id, and an audit hook (PEP 578) installed before the sample
# runs lets a connection through only from the runner's own frame -- the frame that started
# the units, which reaches its `connect` only when they returned (see _guard). The same hook
# refuses introspection the tests never need (frames, gc, trace and profile functions,
# ctypes, signal handlers, new processes), and a sample that tries to kill its parent, load
# native code, add audit hooks or forge the runner's report fails outright. The server makes
# itself non-dumpable first, so a child of the same user cannot read its memory or open its
# pipes through /proc.
import os
import sys

MODE, FILESYSTEM, CAP, LIMITS = sys.argv[1:5]
PRIVATE = FILESYSTEM == "private"
CAP = int(CAP)

if MODE == "serve":
    for _name in ("typing", "math", "collections", "itertools", "functools", "re", "string",
                  "heapq", "bisect", "hashlib", "fractions", "copy", "operator", "decimal",
                  "statistics", "datetime", "json", "random"):
        try:
            __import__(_name)
        except Exception:
            pass

import _socket
import _thread
import resource
import select


def _undumpable():
    """PR_SET_DUMPABLE 0: no process of the same user may ptrace this one or open its
    /proc files (fd, mem, environ); inherited by the children, which keep their own."""
    try:
        import ctypes
        ok = ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0) == 0
    except Exception:
        ok = False
    for name in [m for m in sys.modules if m == "ctypes" or m.startswith("ctypes.")]:
        del sys.modules[name]
    return ok


UNDUMPABLE = _undumpable()
_exit = os._exit
_fork = os.fork
_waitpid = os.waitpid
# PID 1 of its own PID namespace: `kill(-1)` reaches exactly the samples' processes.
_in_namespace = os.getpid() == 1
if PRIVATE:
    WORK, TMP = "/sandbox", "/tmp"
    SCRATCH = ("/sandbox", "/tmp", "/var/tmp", "/dev/shm")
LIMITS = [(getattr(resource, k), int(v)) for k, v in (i.split("=") for i in LIMITS.split(",") if i)]


def _exit_code(e):
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code & 0xFF
    print(e.code, file=sys.stderr)
    return 1


class _Refused(PermissionError):
    pass


def _guard():
    """Installs the audit hook that decides whether the runner may report.

    The report is a connection to the server's socket, allowed only when the frame making it
    is the runner's own: the frame that announced itself with the `arbor.begin` event before
    any sample code ran. That frame reaches its `connect` only after every unit returned; a
    frame of the sample's never is the runner's, whatever it reads or calls. The hook keeps
    its state in cells of its own closure, which no other function shares: a sample that gets
    hold of the hook's frame (through a traceback of a refused event) reads the values and
    can change nothing.
    """
    getframe = sys._getframe
    get_ident = _thread.get_ident
    write = os.write
    getpid = os.getpid
    runner = None
    tainted = None
    inside = 0
    frames = ("sys._getframe", "sys._current_frames")
    refused = ("sys.settrace", "sys.setprofile", "gc.get_objects", "gc.get_referrers",
               "gc.get_referents", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
               "subprocess.Popen", "pty.spawn", "signal.pthread_kill")
    Refused = _Refused

    def hook(event, args):
        nonlocal runner, tainted, inside
        if inside and inside == get_ident():
            return
        why = None
        if event in frames:
            raise ValueError("frames are not available in Arbor's sandbox")
        if event in refused:
            raise Refused("refused in Arbor's sandbox: " + event)
        if event.startswith("ctypes."):
            why = "native code (%s)" % event
        elif event == "sys.addaudithook":
            why = "another audit hook"
        elif event in ("os.kill", "os.killpg"):
            if event == "os.kill" and args[0] == getpid():
                return
            why = "a signal to another process (%s)" % event
        elif event == "arbor.refuse":
            why = str(args[0]) if args else "arbor.refuse"
        elif event == "socket.connect" or event.startswith("arbor."):
            inside = get_ident()
            try:
                caller = getframe(1)
            finally:
                inside = 0
            if event == "arbor.begin" and runner is None:
                runner = caller
                return
            if event == "socket.connect" and caller is runner and tainted is None:
                return
            why = ("a connection to a local socket" if event == "socket.connect"
                   else "a forged report of the runner (%s)" % event)
        if why is None:
            return
        if tainted is None:
            tainted = why
            try:
                write(2, ("SandboxError: refused in Arbor's sandbox: %s\n" % why).encode())
            except OSError:
                pass
        raise Refused("refused in Arbor's sandbox: " + why)

    sys.addaudithook(hook)
    # Signal handlers receive the interrupted frame: none may be installed (the defaults and
    # SIG_IGN still can). pidfd_send_signal raises no audit event: refused here. The wrappers
    # are made apart, sharing nothing with the hook but the audit event they raise.
    import _signal
    wrappers = {"original": _signal.signal, "audit": sys.audit, "Refused": _Refused}
    exec(_WRAPPERS, wrappers)
    for module in (_signal, sys.modules.get("signal")):
        if module is not None:
            module.signal = wrappers["no_handlers"]
            module.pidfd_send_signal = wrappers["no_pidfd_signals"]


_WRAPPERS = """
def no_handlers(signalnum, handler, original=original, Refused=Refused, callable=callable):
    if callable(handler):
        raise Refused("refused in Arbor's sandbox: a signal handler")
    return original(signalnum, handler)

def no_pidfd_signals(pidfd, sig, siginfo=None, flags=0, audit=audit):
    audit("arbor.refuse", "a signal to another process (pidfd_send_signal)")
"""

# --strict: made apart from the server's globals, like the wrappers above. A type check in
# the sample's own process, as EvalPlus's: it catches answers of the wrong type, not code
# written to rewrite the checker.
_STRICT = """
def same_shape(got, expected, depth=0):
    numbers = (int, float)
    tg, te = type(got), type(expected)
    if tg is not te and not (tg in numbers and te in numbers):
        return False
    if depth >= 32:
        return True
    if te in (list, tuple) and len(got) == len(expected):
        return all(same_shape(g, e, depth + 1) for g, e in zip(got, expected))
    if te is dict:
        return all(same_shape(got[k], v, depth + 1) for k, v in expected.items() if k in got)
    return True

def strict(candidate, reference, name):
    def checked(*args, **kwargs):
        try:
            expected = reference(*deepcopy(args), **deepcopy(kwargs))
        except BaseException:
            return candidate(*args, **kwargs)
        got = candidate(*args, **kwargs)
        if not same_shape(got, expected):
            raise AssertionError(
                "--strict: %s returned %s where the reference solution returns %s"
                % (name, type(got).__name__, type(expected).__name__))
        return got
    return checked
"""


def _run(units, reference, entry, address):
    """The child: runs the units in a fresh module, then reports to the server."""
    code = 1
    try:
        os.setsid()
        os.chdir(WORK)
        os.environ.clear()
        os.environ.update(HOME=WORK, TMPDIR=TMP, PATH="/usr/bin:/bin")
        sys.argv[:] = ["-"]
        if "random" in sys.modules:
            sys.modules["random"].seed()
        for limit, value in LIMITS:
            resource.setrlimit(limit, (value, value))
        main = type(sys)("__main__")
        sys.modules["__main__"] = main
        audit, exec_, compile_, callable_ = sys.audit, exec, compile, callable
        new_socket, AF_UNIX, SOCK_STREAM = _socket.socket, _socket.AF_UNIX, _socket.SOCK_STREAM
        flush_out, flush_err = sys.stdout.flush, sys.stderr.flush
        strict = None
        if reference:
            from copy import deepcopy
            helpers = {"deepcopy": deepcopy}
            exec(_STRICT, helpers)
            ref_globals = {"__name__": "__reference__"}
            exec(compile(reference, "<reference>", "exec"), ref_globals)
            if callable(ref_globals.get(entry)):
                strict = (helpers["strict"], ref_globals[entry])
        _guard()
        try:
            codes = [compile_(unit, "<stdin>", "exec") for unit in units]
            audit("arbor.begin")
            for i, unit in enumerate(codes):
                exec_(unit, main.__dict__)
                if i == 0 and strict is not None and callable_(main.__dict__.get(entry)):
                    main.__dict__[entry] = strict[0](main.__dict__[entry], strict[1], entry)
            try:
                flush_out()
                flush_err()
            except BaseException:
                pass
            # The report: allowed only from this frame (see _guard).
            new_socket(AF_UNIX, SOCK_STREAM).connect(address)
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
                pass
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
    finally:
        _exit(code)


def _wipe(root):
    """Removes everything below `root` (not `root`), at any depth, following no link."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW

    def enter(name):
        try:
            os.chmod(name, 0o700, follow_symlinks=False)
        except OSError:
            pass
        fd = os.open(name, flags)
        try:
            os.fchdir(fd)
        finally:
            os.close(fd)
        subdirs = []
        with os.scandir(".") as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    subdirs.append(entry.name)
                else:
                    try:
                        os.unlink(entry.name)
                    except OSError:
                        pass
        return subdirs

    try:
        stack = [enter(root)]
    except OSError:
        return
    names = []
    while stack:
        if stack[-1]:
            name = stack[-1].pop()
            try:
                stack.append(enter(name))
                names.append(name)
            except OSError:
                pass
        else:
            stack.pop()
            if names:
                os.chdir("..")
                try:
                    os.rmdir(names.pop())
                except OSError:
                    pass
    os.chdir("/")


def _tail(fd):
    size = os.lseek(fd, 0, os.SEEK_END)
    start = max(0, size - CAP)
    data = os.pread(fd, size - start, start) if size > start else b""
    os.close(fd)
    return data


def _peer_pid(conn):
    creds = conn.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)
    return int.from_bytes(creds[:4], sys.byteorder, signed=True)


def _listen():
    """A socket listening at a fresh abstract address, for the runner's report."""
    address = "\0arbor-" + os.urandom(12).hex()
    listener = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(8)
    return address, listener


def _make_work():
    """A fresh directory of the server's user (tempfile's mkdtemp, without importing it)."""
    global WORK, TMP
    WORK = TMP = os.path.join(os.environ.get("TMPDIR") or "/tmp",
                              "arbor-eval-" + os.urandom(8).hex())
    os.mkdir(WORK, 0o700)


def _child_files(out, err):
    """In the child: stdin from /dev/null, stdout to `out`, stderr to `err`, nothing else open."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.closerange(3, 1 << 16)


def _note_report(conn, pid, done):
    """Closes an accepted connection: `done` from then on if it came from the child `pid`."""
    done = done or _peer_pid(conn) == pid
    conn.close()
    return done


def _wait_child(listener, pid):
    """Accepts connections until the child `pid` has ended: its wait status, and whether its
    runner reported."""
    done = False
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    status = None
    while status is None:
        waiting = [listener] + ([pidfd] if pidfd is not None else [])
        ready, _, _ = select.select(waiting, [], [], None if pidfd is not None else 0.01)
        if listener in ready:
            conn = _socket.socket(fileno=listener._accept()[0])
            done = _note_report(conn, pid, done)
        if pidfd is None or pidfd in ready:
            ended, status_ = _waitpid(pid, 0 if pidfd is not None else os.WNOHANG)
            if ended == pid:
                status = status_
    if pidfd is not None:
        os.close(pidfd)
    return status, done


def _kill_the_rest(pid):
    """Kills and reaps everything the child started: every other process of the namespace,
    or outside one the child's process group."""
    if _in_namespace:
        try:
            os.kill(-1, 9)
        except OSError:
            pass
        while True:
            try:
                _waitpid(-1, 0)
            except ChildProcessError:
                break
    else:
        try:
            os.killpg(pid, 9)
        except OSError:
            pass
        while True:
            try:
                if _waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break


def _drain_reports(listener, pid, done):
    """Accepts the connections still queued (one made just before the child ended is)."""
    listener.setblocking(False)
    while True:
        try:
            conn = _socket.socket(fileno=listener._accept()[0])
        except OSError:
            break
        done = _note_report(conn, pid, done)
    return done


def _clean_files():
    """Empties the sandbox's scratch directories, or removes the shared-filesystem WORK."""
    if PRIVATE:
        for root in SCRATCH:
            _wipe(root)
    else:
        _wipe(WORK)
        os.rmdir(WORK)


def _reply(status, done, out, err, want_out):
    """Writes "end exit|signal N DONE LEN" and the tail of the child's stderr (with
    `want_out`, " OUTLEN" and the tail of its stdout after that)."""
    if os.WIFSIGNALED(status):
        kind, value = b"signal", os.WTERMSIG(status)
    else:
        kind, value = b"exit", os.WEXITSTATUS(status)
    data = _tail(err)
    if want_out:
        stdout = _tail(out)
        reply = b"end %s %d %d %d %d\n" % (kind, value, done, len(data), len(stdout))
        reply += data + stdout
    else:
        os.close(out)
        reply = b"end %s %d %d %d\n" % (kind, value, done, len(data)) + data
    while reply:
        reply = reply[os.write(1, reply):]


def _serve_one(units, reference, entry, want_out):
    address, listener = _listen()
    out = os.memfd_create("arbor-stdout")
    err = os.memfd_create("arbor-stderr")
    if not PRIVATE:
        _make_work()
    pid = _fork()
    if pid == 0:
        # The child, which _run ends: called here, not in a helper, so that the stack above
        # the sample holds no more frames.
        try:
            _child_files(out, err)
        finally:
            _run(units, reference, entry, address)
    # The child's process group, for a kill from outside at the time limit; inside a
    # namespace its number means nothing outside, and killing the server is enough.
    os.write(1, b"started %d\n" % (0 if _in_namespace else pid))
    status, done = _wait_child(listener, pid)
    _kill_the_rest(pid)
    done = _drain_reports(listener, pid, done)
    listener.close()
    _clean_files()
    _reply(status, done, out, err, want_out)


def _serve():
    requests = sys.stdin.buffer
    os.write(1, b"ready %s\n" % (b"undumpable" if UNDUMPABLE else b"dumpable"))
    while True:
        header = requests.readline().split()
        if len(header) not in (5, 6) or header[0] != b"run" or header[5:] not in ([], [b"out"]):
            return
        sizes = [int(n) for n in header[1:4]]
        parts = [requests.read(n).decode("utf-8", "surrogateescape") for n in sizes]
        units = parts[:1] + parts[1:2] * (sizes[1] > 0)
        _serve_one(units, parts[2], header[4].decode(), len(header) == 6)
        if MODE == "once":
            _exit(0)  # nothing to tear down: the interpreter's own finalisation is wasted time


_serve()
