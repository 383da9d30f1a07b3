//! JavaScript samples in the sandbox (node): MultiPL-E's test form, the examples of a JSDoc
//! comment one by one, and samples that try to pass without passing. Node.js is on every
//! machine this project runs on (`node` on PATH).

use std::time::{Duration, Instant};

use arbor_eval::probe::TaskProbe;
use arbor_eval::{Problem, Sandbox, SandboxOptions, Verdict};

/// A MultiPL-E humaneval-js style problem: the prompt ends with the function's `{`.
fn problem() -> Problem {
    Problem {
        task_id: "JS/0".into(),
        prompt: "//Return the sum of the list, or 0 when it is empty.\n// >>> sum_list([1, 2, 3])\n// 6\nfunction sum_list(xs){\n".into(),
        canonical_solution: "  return xs.reduce((a, b) => a + b, 0);\n}\n".into(),
        test: "const assert = require('node:assert');\n\n\nfunction test() {\n  let candidate = sum_list;\n  assert.deepEqual(candidate([1, 2, 3]),6);\n  assert.deepEqual(candidate([]),0);\n  assert.deepEqual(candidate([-5, 5, 10]),10);\n}\n\ntest();\n".into(),
        entry_point: "sum_list".into(),
    }
}

fn sandbox() -> Sandbox {
    Sandbox::new(SandboxOptions {
        timeout: Duration::from_secs(3),
        ..SandboxOptions::default()
    })
    .expect("a sandbox")
}

#[test]
fn a_javascript_problem_is_run_by_node() {
    let p = problem();
    assert_eq!(p.language(), arbor_syntax::Language::JavaScript);
    let sandbox = sandbox();
    assert_eq!(
        sandbox.run_sample(&p, &p.canonical_solution),
        Verdict::Passed
    );
    let wrong = sandbox.run_sample(&p, "  return xs.length;\n}\n");
    match &wrong {
        Verdict::Failed(why) => assert!(why.starts_with("AssertionError"), "{why}"),
        other => panic!("{other:?}"),
    }
    let syntax = sandbox.run_sample(&p, "  return xs.reduce((a, b) => a + b, 0;\n}\n");
    match &syntax {
        Verdict::Failed(why) => assert!(why.starts_with("SyntaxError"), "{why}"),
        other => panic!("{other:?}"),
    }
    let started = Instant::now();
    assert_eq!(
        sandbox.run_sample(&p, "  while (true) {}\n}\n"),
        Verdict::TimedOut
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_javascript_sample_cannot_pass_without_passing() {
    let p = problem();
    let sandbox = sandbox();
    let cases = [
        // Leaves before the tests run, with the status of success.
        ("exit", "  return 0;\n}\nprocess.exit(0);\n"),
        ("exit code", "  return 0;\n}\nprocess.exitCode = 0; process.reallyExit && process.reallyExit(0);\n"),
        // Disarms the assertions the tests call.
        ("assert", "  return 0;\n}\nrequire('node:assert').deepEqual = () => {};\n"),
        (
            "assert strict",
            "  return 0;\n}\nObject.defineProperty(require('node:assert'), 'deepEqual', { value: () => {} });\n",
        ),
        // Reads the program to find the line that says it ran to its end.
        (
            "read itself",
            "  return 0;\n}\nconst t = require('fs').readFileSync(0, 'utf8');\nconsole.log(t.match(/arbor-eval-done-[0-9a-f]+/)[0]);\nprocess.exit(0);\n",
        ),
        // Runs something else.
        (
            "child",
            "  return 0;\n}\nrequire('child_process').execSync('true');\nprocess.exit(0);\n",
        ),
    ];
    for (name, completion) in cases {
        let verdict = sandbox.run_sample(&p, completion);
        assert!(!verdict.passed(), "{name}: {verdict:?}");
    }
    // The file system is out of reach under node's permission model.
    let (verdict, out) = sandbox.run_javascript(
        "let seen = 'none';\ntry { seen = require('fs').readFileSync('/etc/hostname', 'utf8'); } catch (e) { seen = e.code; }\nconsole.log('SEEN ' + seen);\n",
        "",
    );
    assert_eq!(verdict, Verdict::Passed);
    let out = String::from_utf8_lossy(&out);
    assert!(out.contains("SEEN ERR_ACCESS_DENIED"), "{out}");
}

#[test]
fn jsdoc_examples_hold_one_by_one() {
    let p = Problem {
        task_id: "solve::clamp".into(),
        prompt: "/**\n * Clamps x to [lo, hi].\n * @example\n * clamp(5, 0, 3) // => 3\n * clamp(-1, 0, 3) // => 0\n * clamp(2, 0, 3) // => 2\n * clamp(0.1 + 0.2, 0, 1) // => 0.3\n */\nfunction clamp(x, lo, hi) {\n".into(),
        canonical_solution: String::new(),
        test: String::new(),
        entry_point: "clamp".into(),
    };
    let probe = TaskProbe::new(&p, 1);
    assert_eq!(probe.examples.len(), 4, "{:?}", probe.examples);
    let sandbox = sandbox();
    let right = probe.examples(&sandbox, "  return Math.min(hi, Math.max(lo, x));\n}\n");
    assert_eq!(right.held, vec![true; 4]);
    assert!(right.all_held());
    // Only the upper bound: the example below the range fails, the others hold.
    let half = probe.examples(&sandbox, "  return Math.min(hi, x);\n}\n");
    assert_eq!(half.held, vec![true, false, true, true]);
    assert!(!half.all_held());
    // A sample that breaks what the harness compares with still loses.
    let sneaky = probe.examples(
        &sandbox,
        "  return 0;\n}\nArray.isArray = () => true; Number.isNaN = () => true; Math.abs = () => 0;\n",
    );
    assert_eq!(sneaky.held, vec![false, true, false, false]);
    // Nor does one that empties every iterator (an object with the expected keys' count
    // would otherwise equal any other).
    let counts = Problem {
        prompt: "/**\n * Counts.\n * @example\n * tally('ab') // => {a: 1, b: 1}\n */\nfunction tally(s) {\n".into(),
        entry_point: "tally".into(),
        ..p.clone()
    };
    let tally = TaskProbe::new(&counts, 1);
    assert_eq!(tally.examples.len(), 1, "{:?}", tally.examples);
    let right =
        "  const c = {};\n  for (const ch of s) c[ch] = (c[ch] || 0) + 1;\n  return c;\n}\n";
    assert!(tally.examples(&sandbox, right).all_held());
    let emptied =
        "  return {x: 0, y: 0};\n}\nArray.prototype[Symbol.iterator] = function* () {};\n";
    assert!(!tally.examples(&sandbox, emptied).all_held());
    // Throwing in one example fails that one only.
    let throws = probe.examples(
        &sandbox,
        "  if (x < 0) throw new RangeError('negative');\n  return Math.min(hi, x);\n}\n",
    );
    assert_eq!(throws.held, vec![true, false, true, true]);
}

#[test]
fn without_node_the_sandbox_says_so() {
    let sandbox = Sandbox::new(SandboxOptions {
        node: Some("/nonexistent/bin/node".into()),
        ..SandboxOptions::default()
    })
    .expect("a sandbox");
    let err = sandbox
        .can_run(arbor_syntax::Language::JavaScript)
        .unwrap_err();
    assert!(
        err.to_string().contains("no node at /nonexistent/bin/node"),
        "{err}"
    );
    assert!(sandbox.can_run(arbor_syntax::Language::Python).is_ok());
    let p = problem();
    match sandbox.run_sample(&p, &p.canonical_solution) {
        Verdict::Failed(why) => assert!(why.contains("no node at"), "{why}"),
        other => panic!("{other:?}"),
    }
}
