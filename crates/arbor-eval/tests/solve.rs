//! `solve` with a model that answers from a list (so the right choice is known): a stub found
//! in Python, Rust and JavaScript files, the candidates run on the documented examples in the sandbox,
//! the chosen body written back with the rest of the file byte for byte.

use arbor_eval::solve::{self, SolveOptions, Verdict};
use arbor_eval::{Sandbox, SandboxOptions};
use arbor_gen::{
    Completion, Conversation, Generate, GenerateError, GenerationParams, PromptFormat, StopReason,
};

/// Answers with `bodies` in turn (by sample seed), with the given log-probabilities.
struct Canned {
    bodies: Vec<(&'static str, f64)>,
}

struct Plain;

impl Conversation for Plain {
    fn format(&self) -> PromptFormat {
        PromptFormat::Completion
    }
    fn conversation(&self, message: &str, answer_start: &str) -> Result<String, GenerateError> {
        Ok(format!("{message}{answer_start}"))
    }
}

impl Generate for Canned {
    fn conversation(&self, _: PromptFormat) -> Result<Box<dyn Conversation>, GenerateError> {
        Ok(Box::new(Plain))
    }
    fn generate(
        &mut self,
        _prompt: &str,
        params: &GenerationParams,
    ) -> Result<Vec<Completion>, GenerateError> {
        Ok((0..params.n)
            .map(|i| {
                let (text, logprob) = self.bodies[(params.seed as usize + i) % self.bodies.len()];
                Completion {
                    text: text.to_string(),
                    prompt_tokens: 1,
                    completion_tokens: 1,
                    stop_reason: StopReason::StopSequence,
                    prefill_secs: 0.0,
                    decode_secs: 0.0,
                    mean_logprob: Some(logprob),
                }
            })
            .collect())
    }
}

fn options(n: usize) -> SolveOptions {
    SolveOptions {
        n,
        batch: 3,
        params: GenerationParams::default(),
        format: PromptFormat::Completion,
        workers: 2,
    }
}

fn sandbox() -> Sandbox {
    Sandbox::new(SandboxOptions::default()).expect("a Python interpreter")
}

const PYTHON: &str = "import math\n\n\ndef area(r: float) -> float:\n    \"\"\"The area of a circle of radius r.\n\n    >>> area(1.0)\n    3.141592653589793\n    >>> area(0)\n    0.0\n    \"\"\"\n    raise NotImplementedError  # write me\n\n\ndef other():\n    return 1\n";

#[test]
fn the_largest_group_that_satisfies_the_examples_is_written_and_nothing_else_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("geometry.py");
    std::fs::write(&path, PYTHON).unwrap();
    let stub = solve::find_stub(&path, PYTHON.to_string(), "area").unwrap();
    assert!(stub.problem.prompt.ends_with("    \"\"\"\n"));
    let mut model = Canned {
        bodies: vec![
            ("    return math.pi * r * r\n", -0.9),
            ("    return 3.14 * r * r\n", -0.2), // fails the example
            ("    return math.pi * r ** 2\n", -0.5),
            ("    return math.pi * abs(r) * r\n", -0.1), // satisfies both, differs on r < 0
            ("    return r * r * math.pi\n", -0.8),
        ],
    };
    let solution = solve::solve(&mut model, &stub, &sandbox(), &options(5), &|_| {}).unwrap();
    assert_eq!(solution.verdict, Verdict::Solved);
    assert_eq!(solution.examples.len(), 2);
    assert_eq!(solution.agree, 3, "{:?}", solution.attempts);
    assert_eq!(solution.best().completion, "    return math.pi * r ** 2\n");
    assert_eq!(
        solution.summary(),
        "passes 2/2 examples, 3 of 5 candidates agree"
    );
    solve::write_body(&stub, &solution.best().completion).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        written,
        PYTHON.replace(
            "    raise NotImplementedError  # write me\n",
            "    return math.pi * r ** 2\n"
        )
    );
}

#[test]
fn a_file_changed_since_it_was_read_is_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("geometry.py");
    std::fs::write(&path, PYTHON).unwrap();
    let stub = solve::find_stub(&path, PYTHON.to_string(), "area").unwrap();
    let edited = PYTHON.replace("other", "another");
    std::fs::write(&path, &edited).unwrap();
    let err = solve::write_body(&stub, "    return 0.0\n").unwrap_err();
    assert!(
        err.to_string().contains("changed since it was read"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);
}

#[test]
fn without_examples_the_largest_behaviour_group_wins_and_failures_name_the_example() {
    let source = "def clamp(x: int) -> int:\n    \"\"\"x limited to 0..10.\"\"\"\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.py");
    std::fs::write(&path, source).unwrap();
    let stub = solve::find_stub(&path, source.to_string(), "clamp").unwrap();
    assert_eq!(
        stub.body,
        source.len()..source.len(),
        "an empty body at the end"
    );
    let mut model = Canned {
        bodies: vec![
            ("    return max(0, min(10, x))\n", -1.0),
            ("    return x\n", -0.1),
            ("    return min(max(x, 0), 10)\n", -1.0),
        ],
    };
    let solution = solve::solve(&mut model, &stub, &sandbox(), &options(3), &|_| {}).unwrap();
    assert_eq!(solution.verdict, Verdict::NoExamples);
    assert_eq!(solution.agree, 2);
    assert!(solution.best().completion.contains("max"));
    assert_eq!(
        solve::with_body(&stub, &solution.best().completion),
        format!("{source}{}", solution.best().completion)
    );

    // Examples nobody satisfies: the best attempt, and the first example it fails.
    let source =
        "def inc(x):\n    \"\"\"\n    >>> inc(1)\n    2\n    >>> inc(5)\n    6\n    \"\"\"\n";
    std::fs::write(&path, source).unwrap();
    let stub = solve::find_stub(&path, source.to_string(), "inc").unwrap();
    let mut model = Canned {
        bodies: vec![("    return 2\n", -1.0), ("    return x\n", -0.5)],
    };
    let solution = solve::solve(&mut model, &stub, &sandbox(), &options(2), &|_| {}).unwrap();
    assert_eq!(solution.verdict, Verdict::NoneSatisfies);
    assert_eq!(solution.best().completion, "    return 2\n");
    assert_eq!(solution.failed_example().unwrap().line, 5);
}

#[test]
fn rust_bodies_are_checked_with_doc_asserts_and_written_through_the_closing_brace() {
    let source = "/// Twice `x`.\n///\n/// ```\n/// assert_eq!(twice(4), 8);\n/// ```\npub fn twice(x: i64) -> i64 {\n    todo!()\n}\n\nfn main() {}\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lib.rs");
    std::fs::write(&path, source).unwrap();
    let stub = solve::find_stub(&path, source.to_string(), "twice").unwrap();
    assert!(stub.problem.prompt.ends_with("-> i64 {\n"));
    // `8` satisfies the example and is the most likely; the two right answers agree on the
    // example's call with its argument moved (and on values of the parameter's type).
    let mut model = Canned {
        bodies: vec![
            ("    x + x", -0.5),
            ("    x * 3", -0.1),
            ("    8", -0.05),
            ("    x * 2", -0.6),
        ],
    };
    let solution = solve::solve(&mut model, &stub, &sandbox(), &options(4), &|_| {}).unwrap();
    assert_eq!(solution.verdict, Verdict::Solved, "{:?}", solution.attempts);
    assert_eq!(solution.best().completion, "    x + x\n}\n");
    assert_eq!(solution.agree, 2);
    assert_eq!(
        solution.summary(),
        "passes 1/1 examples, 2 of 4 candidates agree"
    );
    let behaviour = |i: usize| solution.attempts[i].behaviour;
    assert!(behaviour(0).is_some());
    assert_eq!(behaviour(0), behaviour(3));
    assert_ne!(behaviour(0), behaviour(2));
    solve::write_body(&stub, &solution.best().completion).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        source.replace("    todo!()\n}", "    x + x\n}")
    );
}

#[test]
fn methods_and_missing_functions_are_refused_by_name() {
    let source = "class A:\n    def area(self):\n        \"\"\"1.\"\"\"\n\n\ndef outer():\n    def inner():\n        pass\n";
    let path = std::path::Path::new("shapes.py");
    for (name, expected) in [
        ("area", "`area` is a method or a nested function"),
        ("inner", "`inner` is a method or a nested function"),
        ("volume", "no function `volume`"),
    ] {
        let err = solve::find_stub(path, source.to_string(), name).unwrap_err();
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
    assert!(solve::find_stub(path, source.to_string(), "outer").is_ok());
    let rust = "struct S;\nimpl S {\n    fn get(&self) -> i32 {\n        0\n    }\n}\n";
    let err = solve::find_stub(std::path::Path::new("s.rs"), rust.to_string(), "get").unwrap_err();
    assert!(err.to_string().contains("method"), "{err}");
}

#[test]
fn javascript_bodies_are_checked_with_jsdoc_examples_one_by_one() {
    let source = "'use strict';\nconst { max } = Math;\n\n/**\n * Clamps x to [lo, hi].\n * @example\n * clamp(5, 0, 3) // => 3\n * clamp(-1, 0, 3) // => 0\n */\nexport function clamp(x, lo, hi) {\n  throw new Error('todo');\n}\n\nclamp.doc = 'clamp';\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clamp.js");
    std::fs::write(&path, source).unwrap();
    let stub = solve::find_stub(&path, source.to_string(), "clamp").unwrap();
    // The sandbox runs a script: the prompt has no `export`, and ends after the `{` line.
    assert!(
        stub.problem
            .prompt
            .ends_with(" */\nfunction clamp(x, lo, hi) {\n"),
        "{}",
        stub.problem.prompt
    );
    let mut model = Canned {
        bodies: vec![
            ("  return Math.min(hi, x);", -0.1),
            ("  return Math.min(hi, max(lo, x));", -0.5),
            ("  return x", -0.2),
        ],
    };
    let solution = solve::solve(&mut model, &stub, &sandbox(), &options(3), &|_| {}).unwrap();
    assert_eq!(solution.verdict, Verdict::Solved, "{:?}", solution.attempts);
    assert_eq!(
        solution.best().completion,
        "  return Math.min(hi, max(lo, x));\n}\n"
    );
    // The upper bound alone satisfies the first example, not the second.
    assert_eq!(solution.attempts[0].examples.held, vec![true, false]);
    assert!(solution.summary().starts_with("passes 2/2 examples"));
    solve::write_body(&stub, &solution.best().completion).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        source.replace(
            "  throw new Error('todo');",
            "  return Math.min(hi, max(lo, x));"
        )
    );
    // A module with imports cannot run as a script: refused by name.
    let module = "import fs from 'node:fs';\n\n/** @example f(1) // => 1 */\nfunction f(x) {\n  return x;\n}\n";
    let err = solve::find_stub(&path, module.to_string(), "f").unwrap_err();
    assert!(err.to_string().contains("ES module"), "{err}");
}
