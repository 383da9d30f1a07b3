//! Examples extracted from prompts (`arbor_eval::examples`).
//!
//! Fixtures: `tests/fixtures/eval/examples/<case>/prompt.py` (or `prompt.rs`, `prompt.js`) and
//! `expected.txt`, one extracted example a line: `LINE<TAB>KIND<TAB>CALL<TAB>EXPECTED` (line
//! breaks inside a call or value written `⏎`). The entry point is the prompt's last function.
//! Then the checks run in the sandbox: the reference passes, wrong code fails.

use std::time::Duration;

use arbor_eval::examples::{
    example_problem, extract, extract_javascript, python_check, test_source, Example, Expected,
    PYTHON_HELPERS,
};
use arbor_eval::{Problem, Sandbox, SandboxOptions, Verdict};

/// The name of the last function `keyword NAME(` defines in `prompt`.
fn last_function(prompt: &str, keyword: &str) -> String {
    prompt
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix(keyword))
        .next_back()
        .and_then(|rest| rest.split(['(', '<']).next())
        .unwrap()
        .trim()
        .to_string()
}

/// One line of `expected.txt` for an example.
fn line_of(example: &Example) -> String {
    let flat = |s: &str| s.replace('\n', "⏎");
    format!(
        "{}\t{}\t{}\t{}",
        example.line,
        example.expected.kind(),
        flat(&example.call),
        flat(example.expected.text())
    )
}

#[test]
fn fixtures_extract_the_stated_examples() {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/eval/examples");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "{cases:?}");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let read = |file: &str| std::fs::read_to_string(case.join(file)).ok();
        let examples = if let Some(prompt) = read("prompt.py") {
            extract(&Problem {
                task_id: name.clone(),
                entry_point: last_function(&prompt, "def "),
                prompt,
                canonical_solution: String::new(),
                test: String::new(),
            })
        } else if let Some(prompt) = read("prompt.rs") {
            let problem = Problem {
                task_id: name.clone(),
                entry_point: last_function(&prompt, "fn "),
                prompt,
                canonical_solution: String::new(),
                test: "#[test]".into(),
            };
            assert_eq!(problem.language(), arbor_syntax::Language::Rust);
            extract(&problem)
        } else if let Some(prompt) = read("prompt.js") {
            extract_javascript(&prompt, &last_function(&prompt, "function "))
        } else {
            panic!("{name}: no prompt.py, prompt.rs or prompt.js");
        };
        let actual: String = examples.iter().map(|e| line_of(e) + "\n").collect();
        match read("expected.txt") {
            Some(expected) if expected == actual => {}
            Some(expected) => failures.push(format!(
                "{name}: expected\n{expected}--- but extracted\n{actual}---"
            )),
            None => failures.push(format!("{name}: no expected.txt; extracted\n{actual}---")),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn odd_prompts_give_no_examples_and_no_panic() {
    let odd = [
        "",
        "def f(",
        "\"\"\"",
        "def f(x):\n    \"\"\"\n    >>>\n    >>> f(\n    ...\n    f(1) ==\n    f(1) -> [\n    f() ➞\n    Input:\n    Output:\n    For x = \n    \"\"\"\n",
        "def f(x):\n    '''f(1) == 'é'x\n    f(\"\\\"\") == 1 ((((\n    >>> f(1)\n    Traceback (most recent call last):\n    '''\n",
        "def f(x):\n    \"\"\"\u{3000}>>> f(1)\n\u{3000}\u{3000}1\n    f(1) == ``\n    x = `1` return\n    \"\"\"\n",
        "fn f(x: i32) -> i32 {\n/// ```\n/// assert_eq!(f(1\n",
    ];
    for prompt in odd {
        for test in ["", "#[test]"] {
            let problem = Problem {
                task_id: "odd".into(),
                prompt: prompt.into(),
                canonical_solution: String::new(),
                test: test.into(),
                entry_point: "f".into(),
            };
            let examples = extract(&problem);
            // Whatever comes out makes a test unit.
            let _ = test_source(&problem, &examples);
        }
        let _ = extract_javascript(prompt, "f");
    }
    let nested = format!(
        "def f(x):\n    \"\"\"f({}1{}) == 1\"\"\"\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let problem = Problem {
        task_id: "deep".into(),
        prompt: nested,
        canonical_solution: String::new(),
        test: String::new(),
        entry_point: "f".into(),
    };
    let _ = extract(&problem);
}

fn sandbox() -> Sandbox {
    Sandbox::new(SandboxOptions {
        timeout: Duration::from_secs(5),
        ..SandboxOptions::default()
    })
    .expect("a Python interpreter")
}

fn python_problem() -> Problem {
    Problem {
        task_id: "Examples/0".into(),
        prompt: concat!(
            "def half(n):\n",
            "    \"\"\"Half of n; a ValueError for negative n.\n\n",
            "    >>> half(3)\n",
            "    1.5\n",
            "    >>> half(1) / 3\n",
            "    0.16666666666666666\n",
            "    >>> half(-2)\n",
            "    Traceback (most recent call last):\n",
            "    ValueError: negative\n\n",
            "    half(4) == 2\n",
            "    half(0.2) ➞ 0.1\n",
            "    \"\"\"\n",
        )
        .into(),
        canonical_solution: concat!(
            "    if n < 0:\n",
            "        raise ValueError('negative')\n",
            "    return n / 2\n",
        )
        .into(),
        test: "def check(candidate):\n    assert candidate(8) == 4\n".into(),
        entry_point: "half".into(),
    }
}

#[test]
fn examples_run_in_the_sandbox() {
    let p = python_problem();
    let examples = extract(&p);
    let kinds: Vec<&str> = examples.iter().map(|e| e.expected.kind()).collect();
    assert_eq!(
        kinds,
        ["value", "value", "raises", "value", "value"],
        "{examples:#?}"
    );
    assert_eq!(examples[2].expected, Expected::Raises("ValueError".into()));
    let sandbox = sandbox();
    let checks = example_problem(&p, &examples);
    assert_eq!(checks.task_id, p.task_id);
    assert!(checks.test.contains("def check(candidate):"));
    // The reference passes every example, together and one by one: float results within the
    // tolerance (half(0.2) is 0.1 only nearly), the exception where it is stated.
    assert_eq!(
        sandbox.run_sample(&checks, &p.canonical_solution),
        Verdict::Passed
    );
    for e in &examples {
        let one = example_problem(&p, std::slice::from_ref(e));
        assert_eq!(
            sandbox.run_sample(&one, &p.canonical_solution),
            Verdict::Passed,
            "{e:?}"
        );
    }
    // A wrong answer fails, and says which example.
    match sandbox.run_sample(&checks, "    return n // 2\n") {
        Verdict::Failed(why) => assert!(why.contains("line 4"), "{why}"),
        other => panic!("{other:?}"),
    }
    // Not raising where an exception is stated fails; raising another class fails too.
    let raises = example_problem(&p, &examples[2..3]);
    assert!(!sandbox.run_sample(&raises, "    return n / 2\n").passed());
    assert!(!sandbox
        .run_sample(&raises, "    raise TypeError('no')\n")
        .passed());
    // A subclass of the stated class is that class.
    assert_eq!(
        sandbox.run_sample(
            &raises,
            "    class Negative(ValueError):\n        pass\n    raise Negative()\n"
        ),
        Verdict::Passed
    );
    // A float result far from the stated one fails.
    let float = example_problem(&p, &examples[4..5]);
    assert!(!sandbox
        .run_sample(&float, "    return n / 2 + 0.001\n")
        .passed());
    assert_eq!(
        sandbox.run_sample(&float, "    return n / 2 + 1e-9\n"),
        Verdict::Passed
    );
}

#[test]
fn value_text_and_helpers_in_python() {
    let example = |expected: Expected| Example {
        line: 1,
        source: String::new(),
        call: "f()".into(),
        expected,
    };
    let sandbox = sandbox();
    let cases: &[(&str, Expected, bool)] = &[
        (
            "[1, (2.0, 3)]",
            Expected::Value("[1, (2.0000000001, 3)]".into()),
            true,
        ),
        ("[1, 2]", Expected::Value("(1, 2)".into()), false),
        ("True", Expected::Value("1".into()), false),
        (
            "{'a': [0.1 + 0.2]}",
            Expected::Value("{'a': [0.3]}".into()),
            true,
        ),
        ("{0.1 + 0.2, 1}", Expected::Value("{1, 0.3}".into()), true),
        ("None", Expected::Value("None".into()), true),
        ("'x'", Expected::Value("None".into()), false),
        ("set()", Expected::Text("set( )".into()), false),
        ("set()", Expected::Text("set()".into()), true),
        ("{'a':  1}", Expected::Text("{'a':\n 1}".into()), true),
        ("3 > 2", Expected::Holds, true),
    ];
    for (value, expected, holds) in cases {
        let check = python_check(&example(expected.clone()), "got").unwrap();
        let program = format!("{PYTHON_HELPERS}\ngot = {value}\nassert {check}\n");
        assert_eq!(
            sandbox.run_program(&program).passed(),
            *holds,
            "{value} against {expected:?}"
        );
    }
    assert_eq!(
        python_check(&example(Expected::Raises("ValueError".into())), "got"),
        None
    );
}

#[test]
fn rust_examples_compile_and_run() {
    let p = Problem {
        task_id: "Examples/Rust".into(),
        prompt: concat!(
            "/// Half of n.\n",
            "///\n",
            "/// ```\n",
            "/// assert_eq!(half(3), 1.5);\n",
            "/// assert!(half(2) > 0.5);\n",
            "/// assert_eq!(half(0), 0.0);\n",
            "/// ```\n",
            "fn half(n: i32) -> f64 {",
        )
        .into(),
        canonical_solution: "\n    n as f64 / 2.0\n}\n".into(),
        test: "#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn t() { assert_eq!(half(4), 2.0); }\n}\n".into(),
        entry_point: "half".into(),
    };
    let examples = extract(&p);
    let kinds: Vec<&str> = examples.iter().map(|e| e.expected.kind()).collect();
    assert_eq!(kinds, ["value", "holds", "value"], "{examples:#?}");
    let source = test_source(&p, &examples);
    assert!(source.contains("mod arbor_examples"), "{source}");
    assert_eq!(source.matches("#[test]").count(), 3, "{source}");
    let checks = example_problem(&p, &examples);
    assert_eq!(checks.language(), arbor_syntax::Language::Rust);
    // Without examples the unit is still a Rust test module.
    assert_eq!(
        example_problem(&p, &[]).language(),
        arbor_syntax::Language::Rust
    );
    if which("rustc").is_none() {
        eprintln!("no rustc: the Rust examples are not run");
        return;
    }
    let sandbox = sandbox();
    assert_eq!(
        sandbox.run_sample(&checks, &p.canonical_solution),
        Verdict::Passed
    );
    // Within the tolerance passes; off by a little more fails.
    assert_eq!(
        sandbox.run_sample(&checks, "\n    n as f64 / 2.0 + 1e-9\n}\n"),
        Verdict::Passed
    );
    assert!(!sandbox
        .run_sample(&checks, "\n    n as f64 / 2.0 + 0.01\n}\n")
        .passed());
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(program))
            .find(|p| p.is_file())
    })
}
