//! The sandbox against correct, wrong and hostile samples: only correct code passes, every
//! hostile sample ends within its time limit, and the host is unharmed.

use std::time::{Duration, Instant};

use arbor_eval::{Isolation, Problem, Sandbox, SandboxOptions, Verdict};

fn problem() -> Problem {
    Problem {
        task_id: "Test/0".into(),
        prompt: "def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n".into(),
        canonical_solution: "    return a + b\n".into(),
        test: "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n".into(),
        entry_point: "add".into(),
    }
}

fn sandbox() -> Sandbox {
    Sandbox::new(SandboxOptions {
        timeout: Duration::from_secs(2),
        ..SandboxOptions::default()
    })
    .expect("a Python interpreter")
}

/// The default sandbox (samples forked from a warm interpreter) and one that starts a new
/// interpreter per sample.
fn both_modes() -> [(&'static str, Sandbox); 2] {
    let exec = Sandbox::new(SandboxOptions {
        timeout: Duration::from_secs(2),
        fork_server: false,
        ..SandboxOptions::default()
    })
    .expect("a Python interpreter");
    [("fork server", sandbox()), ("new interpreter", exec)]
}

#[test]
fn without_isolation_the_verdicts_are_the_same() {
    for fork_server in [true, false] {
        without_isolation(fork_server);
    }
}

fn without_isolation(fork_server: bool) {
    let plain = Sandbox::new(SandboxOptions {
        timeout: Duration::from_secs(1),
        isolate: false,
        fork_server,
        ..SandboxOptions::default()
    })
    .unwrap();
    assert!(!plain.isolation().namespaces && !plain.isolation().as_nobody);
    let p = problem();
    assert_eq!(plain.run_sample(&p, &p.canonical_solution), Verdict::Passed);
    assert!(!plain.run_sample(&p, "    return a - b\n").passed());
    assert!(!plain
        .run_sample(&p, "    import os\n    os._exit(0)\n")
        .passed());
    assert_eq!(
        plain.run_sample(&p, "    while True:\n        pass\n"),
        Verdict::TimedOut
    );
}

#[test]
fn correct_and_wrong_code() {
    for (_, sandbox) in both_modes() {
        correct_and_wrong(&sandbox);
    }
}

fn correct_and_wrong(sandbox: &Sandbox) {
    let p = problem();
    assert_eq!(
        sandbox.run_sample(&p, &p.canonical_solution),
        Verdict::Passed
    );
    match sandbox.run_sample(&p, "    return a - b\n") {
        Verdict::Failed(why) => assert!(why.starts_with("AssertionError"), "{why}"),
        other => panic!("{other:?}"),
    }
    match sandbox.run_sample(&p, "    return undefined_name\n") {
        Verdict::Failed(why) => {
            assert!(why.starts_with("NameError: name 'undefined_name'"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    match sandbox.run_sample(&p, "    return (a +\n") {
        Verdict::Failed(why) => assert!(why.starts_with("SyntaxError"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn hostile_samples_never_pass_and_never_hang() {
    for (mode, sandbox) in both_modes() {
        eprintln!("--- {mode}");
        hostile_samples(&sandbox);
    }
}

fn hostile_samples(sandbox: &Sandbox) {
    let Isolation {
        namespaces: isolated,
        as_nobody,
        process_limit,
        ..
    } = sandbox.isolation();
    let outside = tempfile::tempdir().unwrap();
    let precious = outside.path().join("precious.txt");
    std::fs::write(&precious, "keep me").unwrap();
    let mut cases: Vec<(&str, String)> = vec![
        ("exit(0) before the tests", "    return a + b\nimport sys\nsys.exit(0)\n".into()),
        ("os._exit(0) inside the call", "    import os\n    os._exit(0)\n".into()),
        (
            "exit(0) from an exception hook",
            "    return 0\nimport sys\nsys.excepthook = lambda *a: sys.exit(0)\n".into(),
        ),
        (
            "an answer whose == ends the process",
            "    class _Eq:\n        def __eq__(self, other):\n            import os\n            os._exit(0)\n    return _Eq()\n".into(),
        ),
        (
            "assert switched off by -O",
            "    import os, sys\n    os.execv(sys.executable, [sys.executable, '-O', '-c', 'pass'])\n".into(),
        ),
        ("infinite loop", "    while True:\n        pass\n".into()),
        ("10 GB allocation", "    x = bytearray(10 * 1024 ** 3)\n    return a + b\n".into()),
        (
            "2 GB file",
            "    with open('big', 'wb') as f:\n        for _ in range(2048):\n            f.write(b'0' * 2 ** 20)\n    return a + b\n".into(),
        ),
        (
            "a nonce look-alike",
            "    print('arbor-eval-done-' + '0' * 32, flush=True)\n    import os\n    os._exit(0)\n".into(),
        ),
        (
            "overriding check",
            "    return 0\ndef check(candidate):\n    pass\nimport builtins\nbuiltins.check = check\n".into(),
        ),
        (
            "a string that swallows the tests",
            "    return a + b\n_rest = \"\"\"\n".into(),
        ),
    ];
    if process_limit {
        cases.push((
            "fork bomb",
            "    import os\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n".into(),
        ));
    } else {
        eprintln!("no process limit here (root without setpriv): fork bomb case skipped");
    }
    if as_nobody {
        cases.push((
            "deleting a file outside its directory",
            format!(
                "    import os\n    os.remove({:?})\n    return a + b\n",
                precious.display().to_string()
            ),
        ));
    }
    if isolated {
        cases.push((
            "a network connection",
            "    import socket\n    socket.create_connection(('1.1.1.1', 53), timeout=1).close()\n    return a + b\n".into(),
        ));
        cases.push((
            "killing its parent",
            "    import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)\n    os.kill(0, signal.SIGKILL)\n    raise SystemExit(0)\n".into(),
        ));
    } else {
        eprintln!("no namespaces here: network, parent and file cases skipped");
    }
    let p = problem();
    for (name, completion) in &cases {
        let started = Instant::now();
        let verdict = sandbox.run_sample(&p, completion);
        let took = started.elapsed();
        assert!(!verdict.passed(), "{name}: passed");
        assert!(took < Duration::from_secs(6), "{name}: took {took:?}");
        eprintln!("{name}: {} in {took:.2?}", verdict.result_text());
    }
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    // The sandbox still works after all that.
    assert_eq!(
        sandbox.run_sample(&p, &p.canonical_solution),
        Verdict::Passed
    );
}

#[test]
fn endless_output_is_capped() {
    for (mode, sandbox) in both_modes() {
        let p = problem();
        let started = Instant::now();
        let verdict = sandbox.run_sample(&p, "    while True:\n        print('x' * 1000)\n");
        // Into a pipe it runs until the time limit; into a file, until the file-size limit.
        assert!(
            verdict == Verdict::TimedOut || verdict.result_text().contains("File too large"),
            "{mode}: {verdict:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            sandbox.run_sample(&p, &p.canonical_solution),
            Verdict::Passed
        );
    }
}

#[test]
fn samples_do_not_see_each_other() {
    let sandbox = sandbox();
    let p = problem();
    // A sample that changes the interpreter's state (a module, a built-in, a file in its
    // directory) leaves the next sample unaffected.
    let meddler = "    import math, builtins, os\n    math.sqrt = None\n    builtins.len = None\n    open('mark', 'w').write('x')\n    return a + b\n";
    assert_eq!(sandbox.run_sample(&p, meddler), Verdict::Passed);
    let checker = "    import math, os\n    assert math.sqrt(4) == 2 and len('ab') == 2\n    assert not os.path.exists('mark')\n    assert os.environ['HOME'] == os.getcwd()\n    return a + b\n";
    assert_eq!(sandbox.run_sample(&p, checker), Verdict::Passed);
}

fn rust_problem() -> Problem {
    Problem {
        task_id: "Rust/0".into(),
        prompt: "// Add two numbers.\nfn add(a: i32, b: i32) -> i32 {".into(),
        canonical_solution: "\n    a + b\n}\n".into(),
        test: "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn test_add() {\n        assert_eq!(add(2, 3), 5);\n        assert_eq!(add(-1, 1), 0);\n    }\n}".into(),
        entry_point: "add".into(),
    }
}

#[test]
fn rust_samples_are_compiled_and_their_tests_run() {
    let sandbox = sandbox();
    let p = rust_problem();
    assert_eq!(p.language(), arbor_syntax::Language::Rust);
    assert_eq!(
        sandbox.run_sample(&p, &p.canonical_solution),
        Verdict::Passed
    );
    match sandbox.run_sample(&p, "\n    a - b\n}\n") {
        Verdict::Failed(why) => assert!(why.contains("assertion `left == right` failed"), "{why}"),
        other => panic!("{other:?}"),
    }
    match sandbox.run_sample(&p, "\n    a + \"b\"\n}\n") {
        Verdict::Failed(why) => assert!(why.starts_with("compile error: "), "{why}"),
        other => panic!("{other:?}"),
    }
    let hostile = [
        ("exit(0) inside the call", "\n    std::process::exit(0)\n}\n"),
        ("an endless loop", "\n    loop {}\n}\n"),
        (
            "a nonce look-alike, then exit(0)",
            "\n    println!(\"\\narbor-eval-done-{}\", \"0\".repeat(32));\n    std::process::exit(0)\n}\n",
        ),
        (
            "a huge allocation",
            "\n    let v = vec![1u8; 10 << 30];\n    v.len() as i32 + a + b\n}\n",
        ),
    ];
    for (name, completion) in hostile {
        let started = Instant::now();
        let verdict = sandbox.run_sample(&p, completion);
        assert!(!verdict.passed(), "{name}: passed");
        assert!(started.elapsed() < Duration::from_secs(20), "{name}");
        eprintln!("{name}: {}", verdict.result_text());
    }
}
