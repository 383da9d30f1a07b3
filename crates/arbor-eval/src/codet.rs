//! CodeT (Chen et al. 2022): tests written by the model itself, for ranking its samples by
//! dual agreement. For each Python task the run's model is asked for `assert` statements
//! about the entry point (CodeT's prompt: the function, then `# check the correctness of f`
//! and `assert f(`; a chat model gets the same in a user turn), sampled several times; the
//! statements that parse as `assert f(…) == value`, `assert f(…)` or `assert not f(…)` become
//! examples ([`crate::examples::Example`]) kept in `codet-tests.jsonl` of the run directory.
//! [`crate::select`] groups samples by the set of these tests they pass and ranks a group by
//! its size times the tests it passes.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use arbor_gen::{Generate, GenerationParams, PromptFormat};
use arbor_syntax::{Language, ParsedFile};

use crate::data::Problem;
use crate::error::EvalError;
use crate::examples::{Example, Expected};

/// The file of a run directory that keeps the model's tests.
pub const TESTS_FILE: &str = "codet-tests.jsonl";

/// The most tests kept per task.
pub const MAX_TESTS: usize = 50;

/// How tests are drawn from the model.
#[derive(Debug, Clone)]
pub struct TestOptions {
    /// Generations per task (each may hold several asserts).
    pub generations: usize,
    /// Tokens per generation.
    pub max_tokens: usize,
    /// Sampling temperature.
    pub temperature: f64,
    /// Seed of the first generation.
    pub seed: u64,
    /// How problems are put to the model.
    pub format: PromptFormat,
}

impl TestOptions {
    /// The options for a run with `settings`: 10 generations of up to 128 tokens per task
    /// at the run's temperature (0.8 for a greedy run), its seed and prompt format.
    pub fn for_run(settings: &crate::RunSettings) -> Result<TestOptions, EvalError> {
        Ok(TestOptions {
            generations: 10,
            max_tokens: 128,
            temperature: if settings.temperature > 0.0 {
                settings.temperature
            } else {
                0.8
            },
            seed: settings.seed,
            format: settings.prompt_format.parse().map_err(|e: String| {
                EvalError::Mismatch(format!("the run's prompt format: {e}"))
            })?,
        })
    }
}

/// The model's `assert` statements about `entry` in `text` (the answer, with the `assert
/// entry(` it was started with), in order, duplicates and anything that does not parse left
/// out.
pub fn parse_asserts(text: &str, entry: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with("assert ") || !line.contains(&format!("{entry}(")) {
            continue;
        }
        let Ok(parsed) = ParsedFile::parse("<test>", Language::Python, line.to_string()) else {
            continue;
        };
        let root = parsed.root();
        let single = root.named_child_count() == 1
            && root
                .named_child(0)
                .is_some_and(|n| n.kind() == "assert_statement");
        if single && !root.has_error() && !found.iter().any(|f| f == line) {
            found.push(line.to_string());
        }
    }
    found
}

/// An `assert` statement as an example: `assert f(x) == y` is `f(x)` with the value `y`,
/// `assert f(x)` and `assert not f(x)` must hold. `None` for other forms.
pub fn assert_example(statement: &str, entry: &str, line: usize) -> Option<Example> {
    let parsed = ParsedFile::parse("<test>", Language::Python, statement.to_string()).ok()?;
    let assert = parsed.root().named_child(0)?;
    if assert.kind() != "assert_statement" || assert.named_child_count() != 1 {
        return None;
    }
    let condition = assert.named_child(0)?;
    let calls_entry = |node: arbor_syntax::tree_sitter::Node<'_>| {
        node.kind() == "call"
            && node
                .child_by_field_name("function")
                .is_some_and(|f| parsed.text(f) == entry)
    };
    let (call, expected) = match condition.kind() {
        "comparison_operator" if condition.named_child_count() == 2 => {
            let operator = condition.child(1).map(|o| parsed.text(o));
            let left = condition.named_child(0)?;
            let right = condition.named_child(1)?;
            if operator != Some("==") || !calls_entry(left) {
                return None;
            }
            (
                parsed.text(left).to_string(),
                Expected::Value(parsed.text(right).to_string()),
            )
        }
        "call" if calls_entry(condition) => (parsed.text(condition).to_string(), Expected::Holds),
        "not_operator" => {
            let inner = condition.child_by_field_name("argument")?;
            if !calls_entry(inner) {
                return None;
            }
            (parsed.text(condition).to_string(), Expected::Holds)
        }
        _ => return None,
    };
    Some(Example {
        line,
        source: statement.to_string(),
        call,
        expected,
    })
}

/// The prompt that asks for tests of `problem` in `format`, and where to stop.
fn test_prompt(
    problem: &Problem,
    model: &dyn Generate,
    format: PromptFormat,
) -> Result<(String, Vec<String>), EvalError> {
    let entry = &problem.entry_point;
    let mut function = problem.prompt.clone();
    if !function.ends_with('\n') {
        function.push('\n');
    }
    function.push_str("    pass\n");
    let start = format!("assert {entry}(");
    let prompter = model.conversation(format)?;
    if format.is_chat() {
        let message = format!(
            "Write five assert statements that test the following Python function:\n```python\n\
             {function}```"
        );
        let text = prompter.conversation(&message, &format!("```python\n{start}"))?;
        return Ok((text, vec!["```".to_string()]));
    }
    let text = format!("{function}\n\n# check the correctness of {entry}\n{start}");
    let stop = ["\ndef ", "\nclass ", "\nif ", "\nprint(", "\n```"];
    Ok((text, stop.iter().map(|s| s.to_string()).collect()))
}

/// The model's tests of one Python problem (none for another language).
fn task_tests(
    model: &mut dyn Generate,
    problem: &Problem,
    options: &TestOptions,
) -> Result<Vec<String>, EvalError> {
    let mut found: Vec<String> = Vec::new();
    if problem.language() != Language::Python {
        return Ok(found);
    }
    let (prompt, stop) = test_prompt(problem, model, options.format)?;
    let params = GenerationParams {
        max_tokens: options.max_tokens,
        temperature: options.temperature,
        top_p: 0.95,
        seed: options.seed,
        stop,
        n: options.generations,
        ..GenerationParams::default()
    };
    let start = format!("assert {}(", problem.entry_point);
    for c in model.generate(&prompt, &params)? {
        let text = format!("{start}{}", c.text);
        for statement in parse_asserts(&text, &problem.entry_point) {
            if !found.contains(&statement) && found.len() < MAX_TESTS {
                found.push(statement);
            }
        }
    }
    Ok(found)
}

/// Draws tests for every Python problem from `model`; `progress` hears the tasks done.
pub fn generate_tests(
    model: &mut dyn Generate,
    problems: &[Problem],
    options: &TestOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<HashMap<String, Vec<String>>, EvalError> {
    let mut tests = HashMap::new();
    for (done, problem) in problems.iter().enumerate() {
        tests.insert(
            problem.task_id.clone(),
            task_tests(model, problem, options)?,
        );
        progress(done + 1, problems.len());
    }
    Ok(tests)
}

/// Where [`generate_tests_into`] keeps each task's tests as soon as they are drawn, one line
/// `{task_id, tests}` per task, until every task has its tests.
pub const PARTIAL_FILE: &str = "codet-tests.jsonl.partial";

/// Draws tests for every problem into `dir` (see [`generate_tests`]), resumably: the tasks
/// already in `dir`'s partial file are not drawn again, each new task's tests are appended to
/// it at once, and when all are drawn [`TESTS_FILE`] is written whole and the partial file
/// removed. A run killed half-way loses at most the task it was drawing.
pub fn generate_tests_into(
    dir: &Path,
    model: &mut dyn Generate,
    problems: &[Problem],
    options: &TestOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(), EvalError> {
    let path = dir.join(PARTIAL_FILE);
    let io = |source| EvalError::Io {
        path: path.clone(),
        source,
    };
    let mut text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(e)),
    };
    // A line cut short by a kill is dropped (its task is drawn again).
    text.truncate(text.rfind('\n').map_or(0, |i| i + 1));
    std::fs::write(&path, &text).map_err(io)?;
    let mut tests: HashMap<String, Vec<String>> = HashMap::new();
    for line in text.lines() {
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| EvalError::Format {
                path: path.clone(),
                line: 0,
                message: format!("not a line of drawn tests: {e}"),
            })?;
        if let (Some(id), Ok(drawn)) = (
            value["task_id"].as_str(),
            serde_json::from_value::<Vec<String>>(value["tests"].clone()),
        ) {
            tests.insert(id.to_string(), drawn);
        }
    }
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .map_err(io)?;
    for (done, problem) in problems.iter().enumerate() {
        if !tests.contains_key(&problem.task_id) {
            let drawn = task_tests(model, problem, options)?;
            let line = serde_json::json!({"task_id": problem.task_id, "tests": drawn});
            writeln!(file, "{line}")
                .and_then(|()| file.flush())
                .map_err(io)?;
            tests.insert(problem.task_id.clone(), drawn);
        }
        progress(done + 1, problems.len());
    }
    write_tests(dir, &tests)?;
    std::fs::remove_file(&path).map_err(io)
}

/// Writes the tests into `dir`, atomically: one line per task, `{task_id, tests}`.
pub fn write_tests(dir: &Path, tests: &HashMap<String, Vec<String>>) -> Result<(), EvalError> {
    let mut ids: Vec<&String> = tests.keys().collect();
    ids.sort();
    let text: String = ids
        .into_iter()
        .map(|id| {
            format!(
                "{}\n",
                serde_json::json!({"task_id": id, "tests": tests[id]})
            )
        })
        .collect();
    crate::atomic::write_file(&dir.join(TESTS_FILE), text.as_bytes())
}

/// The tests kept in `dir`, as examples per task; `None` when there is no tests file.
pub fn load_tests(
    dir: &Path,
    problems: &[Problem],
) -> Result<Option<HashMap<String, Vec<Example>>>, EvalError> {
    let path = dir.join(TESTS_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(EvalError::Io { path, source }),
    };
    let entries: HashMap<&str, &str> = problems
        .iter()
        .map(|p| (p.task_id.as_str(), p.entry_point.as_str()))
        .collect();
    let mut tests = HashMap::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let error = |message: String| EvalError::Format {
            path: path.clone(),
            line: i + 1,
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| error(format!("not JSON: {e}")))?;
        let (Some(task), Some(list)) = (value["task_id"].as_str(), value["tests"].as_array())
        else {
            return Err(error("needs `task_id` and `tests`".into()));
        };
        let Some(entry) = entries.get(task) else {
            continue;
        };
        let examples = list
            .iter()
            .filter_map(|t| t.as_str())
            .enumerate()
            .filter_map(|(j, t)| assert_example(t, entry, j + 1))
            .collect();
        tests.insert(task.to_string(), examples);
    }
    Ok(Some(tests))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbor_gen::{Completion, Conversation, GenerateError, StopReason};

    /// Answers `1) == 2` to every prompt, counting the prompts.
    struct Counting(usize);

    struct Plain;

    impl Conversation for Plain {
        fn format(&self) -> PromptFormat {
            PromptFormat::Completion
        }
        fn conversation(&self, message: &str, start: &str) -> Result<String, GenerateError> {
            Ok(format!("{message}{start}"))
        }
    }

    impl Generate for Counting {
        fn conversation(&self, _: PromptFormat) -> Result<Box<dyn Conversation>, GenerateError> {
            Ok(Box::new(Plain))
        }
        fn generate(
            &mut self,
            _prompt: &str,
            params: &GenerationParams,
        ) -> Result<Vec<Completion>, GenerateError> {
            self.0 += 1;
            Ok((0..params.n)
                .map(|_| Completion {
                    text: "1) == 2\n".into(),
                    prompt_tokens: 1,
                    completion_tokens: 1,
                    stop_reason: StopReason::StopSequence,
                    prefill_secs: 0.0,
                    decode_secs: 0.0,
                    mean_logprob: None,
                })
                .collect())
        }
    }

    #[test]
    fn drawing_tests_resumes_after_the_last_whole_task() {
        let problem = |id: &str, entry: &str| Problem {
            task_id: id.into(),
            prompt: format!("def {entry}(x):\n    \"\"\"Doc.\"\"\"\n"),
            canonical_solution: String::new(),
            test: "def check(c):\n    pass\n".into(),
            entry_point: entry.into(),
        };
        let problems = [
            problem("T/0", "inc"),
            problem("T/1", "dec"),
            problem("T/2", "neg"),
        ];
        let dir = tempfile::tempdir().unwrap();
        // T/0 was drawn before a kill, which cut T/1's line short.
        std::fs::write(
            dir.path().join(PARTIAL_FILE),
            "{\"task_id\": \"T/0\", \"tests\": [\"assert inc(0) == 1\"]}\n{\"task_id\": \"T/1\", \"te",
        )
        .unwrap();
        let options = TestOptions {
            generations: 2,
            max_tokens: 8,
            temperature: 0.8,
            seed: 1,
            format: PromptFormat::Completion,
        };
        let mut model = Counting(0);
        let mut seen = Vec::new();
        generate_tests_into(dir.path(), &mut model, &problems, &options, &mut |d, n| {
            seen.push((d, n))
        })
        .unwrap();
        assert_eq!(model.0, 2, "T/1 and T/2 drawn, T/0 kept");
        assert_eq!(seen, [(1, 3), (2, 3), (3, 3)]);
        assert!(!dir.path().join(PARTIAL_FILE).exists());
        let kept = load_tests(dir.path(), &problems).unwrap().unwrap();
        assert_eq!(kept["T/0"][0].call, "inc(0)");
        assert_eq!(kept["T/1"][0].call, "dec(1)");
        assert_eq!(kept["T/2"][0].call, "neg(1)");
    }

    #[test]
    fn asserts_are_read_from_the_models_text() {
        let text = "assert add(1, 2) == 3\nassert add(0, 0) == 0\n    assert add(1, 2) == 3\nassert add(2,\nassert mul(2, 2) == 4\nprint(add(1, 1))\nassert not add(0, 0)\n";
        assert_eq!(
            parse_asserts(text, "add"),
            [
                "assert add(1, 2) == 3",
                "assert add(0, 0) == 0",
                "assert not add(0, 0)"
            ]
        );
    }

    #[test]
    fn asserts_become_examples() {
        let e = assert_example("assert add(1, 2) == 3", "add", 4).unwrap();
        assert_eq!(
            (e.line, e.call.as_str(), e.expected),
            (4, "add(1, 2)", Expected::Value("3".into()))
        );
        let e = assert_example("assert is_even(4)", "is_even", 1).unwrap();
        assert_eq!(
            (e.call.as_str(), e.expected),
            ("is_even(4)", Expected::Holds)
        );
        let e = assert_example("assert not is_even(3)", "is_even", 1).unwrap();
        assert_eq!(
            (e.call.as_str(), e.expected),
            ("not is_even(3)", Expected::Holds)
        );
        for other in [
            "assert add(1, 2) != 4",
            "assert 3 == add(1, 2)",
            "assert sub(1, 2) == -1",
            "assert add(1, 2) == 3, 'message'",
            "x = add(1, 2)",
        ] {
            assert_eq!(assert_example(other, "add", 1), None, "{other}");
        }
    }

    #[test]
    fn tests_round_trip_through_the_run_directory() {
        let dir = tempfile::tempdir().unwrap();
        let problem = Problem {
            task_id: "T/0".into(),
            prompt: "def add(a, b):\n".into(),
            canonical_solution: String::new(),
            test: String::new(),
            entry_point: "add".into(),
        };
        assert!(load_tests(dir.path(), std::slice::from_ref(&problem))
            .unwrap()
            .is_none());
        let mut tests = HashMap::new();
        tests.insert(
            "T/0".to_string(),
            vec![
                "assert add(1, 2) == 3".to_string(),
                "assert add(0, 1)".to_string(),
            ],
        );
        write_tests(dir.path(), &tests).unwrap();
        let loaded = load_tests(dir.path(), &[problem]).unwrap().unwrap();
        assert_eq!(loaded["T/0"].len(), 2);
        assert_eq!(loaded["T/0"][1].expected, Expected::Holds);
    }
}
