//! `arbor solve FILE --function NAME`: write a function's body from its signature and
//! documentation by drawing candidates from the model, running them on the documentation's
//! examples in the sandbox, and choosing the one the evidence supports: among the
//! candidates that satisfy every example, the largest group that behaves alike on further
//! inputs (AlphaCode's filtering and clustering), its most likely member first. Without
//! examples the largest behaviour group of all candidates is chosen; when none satisfies the
//! examples, the best attempt is shown with the example it fails.
//!
//! `--write` replaces only the body (the bytes after the docstring, or after the `{` of a
//! Rust or JavaScript function, through the function's end), refusing a file that changed
//! since it was read.

use std::ops::Range;
use std::path::{Path, PathBuf};

use arbor_gen::{Generate, GenerationParams, PromptFormat};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::{Language, ParsedFile};
use rayon::prelude::*;

use crate::data::Problem;
use crate::error::EvalError;
use crate::examples::Example;
use crate::probe::{ExampleOutcome, TaskProbe};
use crate::prompting::{extract_completion, task_prompt};
use crate::sandbox::Sandbox;

/// A function to write, found in a file.
#[derive(Debug, Clone)]
pub struct Stub {
    /// The file.
    pub path: PathBuf,
    /// The file's text when it was read.
    pub original: String,
    /// The function as a problem: the file up to the body as the prompt, no tests.
    pub problem: Problem,
    /// The bytes of `original` a new body replaces.
    pub body: Range<usize>,
}

/// Finds function `name` in `source` (the text of `path`): a top-level Python, Rust or
/// JavaScript function (exported or not); a missing function, a method, another language or
/// a file that does not parse is an error.
pub fn find_stub(path: &Path, source: String, name: &str) -> Result<Stub, EvalError> {
    let mismatch = |m: String| EvalError::Mismatch(format!("{}: {m}", path.display()));
    let language = Language::from_path(path).ok_or_else(|| {
        mismatch("not a Python, Rust or JavaScript file (by its extension)".into())
    })?;
    let parsed = ParsedFile::parse(path, language, source.clone())
        .map_err(|e| mismatch(format!("cannot parse: {e}")))?;
    let kinds: &[&str] = match language {
        Language::Python => &["function_definition"],
        Language::Rust => &["function_item"],
        Language::JavaScript => &["function_declaration", "generator_function_declaration"],
    };
    let function = arbor_syntax::node::descendants(parsed.root())
        .into_iter()
        .find(|n| {
            kinds.contains(&n.kind())
                && n.child_by_field_name("name")
                    .is_some_and(|id| parsed.text(id) == name)
        })
        .ok_or_else(|| mismatch(format!("no function `{name}`")))?;
    // Examples call the function by its name: a method or a nested function cannot be run so.
    let top_level = function
        .parent()
        .map(|p| match p.kind() {
            "decorated_definition" | "export_statement" => p.parent(),
            _ => Some(p),
        })
        .is_some_and(|p| {
            p.is_some_and(|p| matches!(p.kind(), "module" | "source_file" | "program"))
        });
    if !top_level {
        return Err(mismatch(format!(
            "`{name}` is a method or a nested function; solve writes top-level functions"
        )));
    }
    let block = function
        .child_by_field_name("body")
        .ok_or_else(|| mismatch(format!("`{name}` has no body")))?;
    let (prompt_end, body) = match language {
        Language::Python => python_body(&parsed, block),
        _ => braced_body(&source, block),
    };
    let mut prompt = source[..prompt_end].to_string();
    if language == Language::JavaScript {
        prompt = javascript_script(&parsed, function, prompt).map_err(mismatch)?;
    }
    if !prompt.ends_with('\n') {
        prompt.push('\n');
    }
    let test = match language {
        Language::Rust => "#[cfg(test)]\nmod tests {\n    #[test]\n    fn none() {}\n}\n".into(),
        Language::JavaScript => String::new(),
        Language::Python => "def check(candidate):\n    pass\n".into(),
    };
    Ok(Stub {
        path: path.to_path_buf(),
        original: source,
        problem: Problem {
            task_id: format!("{}::{name}", path.display()),
            prompt,
            canonical_solution: String::new(),
            test,
            entry_point: name.to_string(),
        },
        body,
    })
}

/// A Rust or JavaScript function's prompt end and body: after the `{` and the rest of its
/// line when that is blank, else right after the `{`; through the block's end.
fn braced_body(source: &str, block: Node<'_>) -> (usize, Range<usize>) {
    let after = block.start_byte() + 1;
    let start = match source[after..].find('\n') {
        Some(i) if source[after..after + i].trim().is_empty() => after + i + 1,
        _ => after,
    };
    (start, start..block.end_byte())
}

/// A JavaScript prompt as the sandbox runs it (a script, not a module): the `export` before
/// the function left out; a module's `import` declarations cannot run there and are refused.
fn javascript_script(
    parsed: &ParsedFile,
    function: Node<'_>,
    prompt: String,
) -> Result<String, String> {
    let root = parsed.root();
    let mut cursor = root.walk();
    let imports = root
        .named_children(&mut cursor)
        .any(|n| n.kind() == "import_statement" && n.start_byte() < prompt.len());
    if imports {
        return Err(
            "an ES module (`import` before the function): the sandbox runs JavaScript as \
                    a script; use `require` or move the function to a file without imports"
                .into(),
        );
    }
    Ok(
        match function.parent().filter(|p| p.kind() == "export_statement") {
            Some(export) => format!(
                "{}{}",
                &prompt[..export.start_byte()],
                &prompt[function.start_byte()..]
            ),
            None => prompt,
        },
    )
}

/// A Python function's prompt end (after its docstring's line, else after the `:` line) and
/// the body's bytes (from there through the block's end).
fn python_body(parsed: &ParsedFile, block: Node<'_>) -> (usize, Range<usize>) {
    let source = parsed.source();
    let docstring = block.named_child(0).filter(|first| {
        first.kind() == "expression_statement"
            && first.named_child(0).is_some_and(|s| s.kind() == "string")
    });
    let after = match docstring {
        Some(doc) => doc.end_byte(),
        // The line of the signature's colon.
        None => block.start_byte().saturating_sub(1),
    };
    let line_end = source[after..]
        .find('\n')
        .map_or(source.len(), |i| after + i + 1);
    // A body of only the docstring (or `...`/`pass` after it) ends where the block ends.
    let end = block.end_byte().max(line_end);
    (line_end, line_end..end)
}

/// A Python body without the docstring it opens with (a chat model repeats the stub's),
/// up to the end of that line; the body unchanged when it opens otherwise.
pub fn without_docstring(body: &str) -> String {
    let wrapped = format!("def f():\n{body}");
    let Ok(parsed) = ParsedFile::parse("<body>", Language::Python, wrapped.clone()) else {
        return body.to_string();
    };
    let first = parsed
        .root()
        .named_child(0)
        .and_then(|f| f.child_by_field_name("body"))
        .and_then(|b| b.named_child(0));
    let Some(doc) = first.filter(|n| {
        n.kind() == "expression_statement" && n.named_child(0).is_some_and(|s| s.kind() == "string")
    }) else {
        return body.to_string();
    };
    let rest = wrapped[doc.end_byte()..]
        .find('\n')
        .map_or("", |i| &wrapped[doc.end_byte() + i + 1..]);
    // Keep the body's leading lines before the docstring (blank or comments).
    let before =
        &wrapped["def f():\n".len()..arbor_syntax::node::line_start(&wrapped, doc.start_byte())];
    if rest.trim().is_empty() {
        return body.to_string();
    }
    format!("{before}{rest}")
}

/// How `solve` runs.
#[derive(Debug, Clone)]
pub struct SolveOptions {
    /// Candidates to draw.
    pub n: usize,
    /// Candidates decoded together.
    pub batch: usize,
    /// Sampling settings (`n` and `seed` are set per batch).
    pub params: GenerationParams,
    /// The prompt format.
    pub format: PromptFormat,
    /// Sandbox processes at a time.
    pub workers: usize,
}

/// One candidate body and what the sandbox said of it.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The body (the text that follows the prompt).
    pub completion: String,
    /// Which examples it satisfies.
    pub examples: ExampleOutcome,
    /// Its behaviour digest.
    pub behaviour: Option<u64>,
    /// Its mean token log-probability.
    pub logprob: Option<f64>,
}

/// What `solve` decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The chosen candidate satisfies every example.
    Solved,
    /// The documentation has no examples: the largest behaviour group was chosen.
    NoExamples,
    /// No candidate satisfies every example: the chosen one satisfies the most.
    NoneSatisfies,
}

/// The outcome of `solve`.
#[derive(Debug, Clone)]
pub struct Solution {
    /// The examples found in the documentation.
    pub examples: Vec<Example>,
    /// Every candidate.
    pub attempts: Vec<Attempt>,
    /// The index of the chosen one.
    pub chosen: usize,
    /// Candidates that behave like the chosen one (it included).
    pub agree: usize,
    /// The kind of choice.
    pub verdict: Verdict,
    /// Seconds spent generating and running candidates.
    pub generate_secs: f64,
    /// Seconds spent running candidates in the sandbox.
    pub run_secs: f64,
}

impl Solution {
    /// The chosen candidate.
    pub fn best(&self) -> &Attempt {
        &self.attempts[self.chosen]
    }

    /// The first example the chosen candidate fails.
    pub fn failed_example(&self) -> Option<&Example> {
        let held = &self.best().examples.held;
        self.examples
            .iter()
            .zip(held)
            .find(|(_, &h)| !h)
            .map(|(e, _)| e)
    }

    /// The outcome as one JSON object.
    pub fn to_json(&self, stub: &Stub) -> serde_json::Value {
        let best = self.best();
        serde_json::json!({
            "file": stub.path.display().to_string(),
            "function": stub.problem.entry_point,
            "verdict": match self.verdict {
                Verdict::Solved => "solved",
                Verdict::NoExamples => "no-examples",
                Verdict::NoneSatisfies => "none-satisfies",
            },
            "body": best.completion,
            "examples": self.examples.len(),
            "examples_passed": best.examples.count(),
            "candidates": self.attempts.len(),
            "agree": self.agree,
            "mean_logprob": best.logprob,
            "failed_example": self.failed_example().map(|e| serde_json::json!({
                "line": e.line, "source": e.source,
            })),
            "generate_secs": (self.generate_secs * 1000.0).round() / 1000.0,
            "run_secs": (self.run_secs * 1000.0).round() / 1000.0,
        })
    }

    /// The one-line summary: "passes 4/4 examples, 7 of 20 candidates agree".
    pub fn summary(&self) -> String {
        let n = self.attempts.len();
        match self.verdict {
            // Behaviours not compared (Rust): how many satisfy the examples.
            Verdict::Solved if self.best().behaviour.is_none() => format!(
                "passes {0}/{0} examples ({1} of {n} candidates do)",
                self.examples.len(),
                self.attempts
                    .iter()
                    .filter(|a| a.examples.all_held())
                    .count()
            ),
            Verdict::Solved => format!(
                "passes {0}/{0} examples, {1} of {n} candidates agree",
                self.examples.len(),
                self.agree
            ),
            Verdict::NoExamples if self.best().behaviour.is_none() => {
                "no examples in the documentation and no inputs to compare the candidates on: \
                 chose the most likely one"
                    .to_string()
            }
            Verdict::NoExamples => format!(
                "no examples in the documentation: chose the largest group of candidates that \
                 behave alike ({} of {n})",
                self.agree
            ),
            Verdict::NoneSatisfies => format!(
                "no candidate passes every example; the best attempt passes {}/{}",
                self.best().examples.count(),
                self.examples.len()
            ),
        }
    }
}

/// Draws `options.n` candidates for `stub` from `model`, runs them in `sandbox` and chooses;
/// `progress` hears each step as text.
pub fn solve(
    model: &mut dyn Generate,
    stub: &Stub,
    sandbox: &Sandbox,
    options: &SolveOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Solution, EvalError> {
    if options.n == 0 {
        return Err(EvalError::Mismatch("at least one candidate".into()));
    }
    let problem = &stub.problem;
    // Before the model runs: a candidate nobody can run is not worth drawing.
    sandbox.can_run(problem.language())?;
    let started = std::time::Instant::now();
    let prompter = model.conversation(options.format)?;
    let prompt = task_prompt(problem, prompter.as_ref(), problem.language())?;
    let mut drawn: Vec<(String, Option<f64>)> = Vec::new();
    while drawn.len() < options.n {
        let count = (options.n - drawn.len()).min(options.batch.max(1));
        let params = GenerationParams {
            n: count,
            seed: options.params.seed.wrapping_add(drawn.len() as u64),
            stop: prompt.stop.clone(),
            ..options.params.clone()
        };
        for c in model.generate(&prompt.text, &params)? {
            let extracted = extract_completion(problem, &c.text, options.format);
            let body = match problem.language() {
                // The stub keeps its docstring: a chat answer's own copy is left out.
                Language::Python => without_docstring(&extracted.completion),
                _ => extracted.completion,
            };
            drawn.push((body, c.mean_logprob));
        }
        progress(&format!(
            "{} of {} candidates drawn",
            drawn.len(),
            options.n
        ));
    }
    let generate_secs = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    let probe = TaskProbe::new(problem, options.params.seed);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.workers.max(1))
        .build()
        .map_err(|e| EvalError::Sandbox(e.to_string()))?;
    progress(&format!(
        "running {} candidates on {} examples",
        drawn.len(),
        probe.examples.len()
    ));
    let attempts: Vec<Attempt> = pool.install(|| {
        drawn
            .par_iter()
            .map(|(completion, logprob)| {
                let examples = probe.examples(sandbox, completion);
                // Behaviours of the candidates that could be chosen for them.
                let behaviour = (examples.all_held() || probe.examples.is_empty())
                    .then(|| probe.behaviour(sandbox, completion))
                    .flatten();
                Attempt {
                    completion: completion.clone(),
                    examples,
                    behaviour,
                    logprob: *logprob,
                }
            })
            .collect()
    });
    let run_secs = started.elapsed().as_secs_f64();
    Ok(choose(probe.examples, attempts, generate_secs, run_secs))
}

/// The choice among `attempts`: see the module documentation.
pub fn choose(
    examples: Vec<Example>,
    attempts: Vec<Attempt>,
    generate_secs: f64,
    run_secs: f64,
) -> Solution {
    let logprob = |i: usize| attempts[i].logprob.unwrap_or(f64::NEG_INFINITY);
    // Groups of the candidates that may be chosen, by behaviour, in order of first member.
    let mut groups: Vec<(Option<u64>, Vec<usize>)> = Vec::new();
    for (i, attempt) in attempts.iter().enumerate() {
        if !examples.is_empty() && !attempt.examples.all_held() {
            continue;
        }
        let behaviour = attempt.behaviour;
        match groups.iter_mut().find(|(b, _)| *b == behaviour) {
            Some((_, members)) => members.push(i),
            None => groups.push((behaviour, vec![i])),
        }
    }
    // A group's most likely member (the first among equals).
    let best_of = |members: &[usize]| {
        members
            .iter()
            .copied()
            .reduce(|best, i| if logprob(i) > logprob(best) { i } else { best })
    };
    // The largest group; among equals, the one with the most likely member; then the first.
    let mut chosen: Option<(usize, usize, bool)> = None;
    for (behaviour, members) in &groups {
        let Some(best) = best_of(members) else {
            continue;
        };
        let better = chosen.is_none_or(|(size, current, _)| {
            members.len() > size || members.len() == size && logprob(best) > logprob(current)
        });
        if better {
            chosen = Some((members.len(), best, behaviour.is_some()));
        }
    }
    let (verdict, chosen, agree) = match chosen {
        // Without digests (nothing told the candidates apart) no agreement is known.
        Some((size, best, compared)) => (
            if examples.is_empty() {
                Verdict::NoExamples
            } else {
                Verdict::Solved
            },
            best,
            if compared { size } else { 1 },
        ),
        None => {
            // The most examples satisfied, then the most likely, then the first.
            let best = (0..attempts.len()).reduce(|best, i| {
                let (held, held_best) = (
                    attempts[i].examples.count(),
                    attempts[best].examples.count(),
                );
                if held > held_best || held == held_best && logprob(i) > logprob(best) {
                    i
                } else {
                    best
                }
            });
            (Verdict::NoneSatisfies, best.unwrap_or(0), 1)
        }
    };
    Solution {
        examples,
        attempts,
        chosen,
        agree,
        verdict,
        generate_secs,
        run_secs,
    }
}

/// The file's text with the stub's body replaced by `completion`.
pub fn with_body(stub: &Stub, completion: &str) -> String {
    let mut text = stub.original[..stub.body.start].to_string();
    // The prompt was given a line end that the file lacks there (`{ return 0; }`).
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let suffix = &stub.original[stub.body.end..];
    text.push_str(completion.trim_end_matches(['\n', ' ', '\t', '\r']));
    if !suffix.starts_with('\n') {
        text.push('\n');
    }
    text.push_str(suffix);
    text
}

/// Writes `completion` as the stub's body into its file, atomically, keeping the file's
/// permissions; refuses when the file is no longer what was read.
pub fn write_body(stub: &Stub, completion: &str) -> Result<(), EvalError> {
    let io = |source| EvalError::Io {
        path: stub.path.clone(),
        source,
    };
    let now = std::fs::read_to_string(&stub.path).map_err(io)?;
    if now != stub.original {
        return Err(EvalError::Mismatch(format!(
            "{} changed since it was read; nothing written",
            stub.path.display()
        )));
    }
    crate::atomic::write_file(&stub.path, with_body(stub, completion).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_docstring_is_left_out_of_the_body() {
        let body = "    \"\"\"Whether it is.\n\n    >>> f(1)\n    True\n    \"\"\"\n    x = 1\n    return x\n";
        assert_eq!(without_docstring(body), "    x = 1\n    return x\n");
        let plain = "    # a comment\n    return 1\n";
        assert_eq!(without_docstring(plain), plain);
        // A body that is only a docstring stays (nothing else would be left).
        assert_eq!(
            without_docstring("    \"\"\"Doc.\"\"\"\n"),
            "    \"\"\"Doc.\"\"\"\n"
        );
        assert_eq!(
            without_docstring("    'x'; return 2\n"),
            "    'x'; return 2\n"
        );
    }
}
