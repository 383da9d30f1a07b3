//! Example tests from a problem's prompt: the examples its documentation states, extracted as
//! runnable checks of the entry point.
//!
//! Python prompts state examples as doctests (`>>> f(x)` and the expected output) or in prose
//! (`f(x) == y`, `f(x) ➞ y`, `f(x) should return y`, "For lst = [1, 2] the output should be 3",
//! "Input: arr = [..] Output: [..]", …); Rust prompts as `assert_eq!`/`assert!` lines in the
//! fenced code blocks of their comments, or in the same prose forms. Every call and expected value
//! is checked with tree-sitter before it is kept: a call must be one expression calling the entry
//! point, prose arguments and expected values must be literals, so wrong checks are left out
//! rather than produced.
//!
//! [`test_source`] turns examples into a test unit in the dataset's own form, so
//! [`Sandbox::run_sample`] runs them like the real tests ([`example_problem`]); [`coverage`]
//! measures how many prompts have examples and how many of those the canonical solution passes.

use std::collections::HashSet;

use arbor_syntax::tree_sitter::Node;
use arbor_syntax::{Language, ParsedFile};
use rayon::prelude::*;

use crate::data::Problem;
use crate::sandbox::Sandbox;

/// One example stated in a problem's documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// 1-based line of the prompt where the example starts.
    pub line: usize,
    /// The example as written (one line or a few), for messages.
    pub source: String,
    /// An expression in the problem's language that calls the entry point by name, e.g. `add(2, 3)`.
    pub call: String,
    /// What the call should give.
    pub expected: Expected,
}

/// What an example's call should give.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expected {
    /// A literal expression in the problem's language (Python: `ast.literal_eval`-able, or True/False/None;
    /// Rust: an expression); compared as a value (floats with a small tolerance, recursively in lists/tuples).
    Value(String),
    /// Python doctest output that is not a literal: compared as text with `repr(result)` (whitespace-normalised).
    Text(String),
    /// The call raises this exception class (Python doctest `Traceback ... ValueError: ...` → "ValueError").
    Raises(String),
    /// Rust `assert!(expr)`: `call` holds the whole boolean expression; it must be true.
    Holds,
}

impl Expected {
    /// `value`, `text`, `raises` or `holds`.
    pub fn kind(&self) -> &'static str {
        match self {
            Expected::Value(_) => "value",
            Expected::Text(_) => "text",
            Expected::Raises(_) => "raises",
            Expected::Holds => "holds",
        }
    }

    /// The value, text or exception class; empty for [`Expected::Holds`].
    pub fn text(&self) -> &str {
        match self {
            Expected::Value(s) | Expected::Text(s) | Expected::Raises(s) => s,
            Expected::Holds => "",
        }
    }
}

/// The examples of `problem`'s prompt, in order, duplicates removed.
pub fn extract(problem: &Problem) -> Vec<Example> {
    let lang = match problem.language() {
        Language::Rust => Lang::Rust,
        Language::JavaScript => Lang::JavaScript,
        Language::Python => Lang::Python,
    };
    extract_in(lang, &problem.prompt, &problem.entry_point)
}

/// The examples of calls of `function` that the comments of JavaScript `source` state: JSDoc
/// `@example` lines with a result (`f(x) // => y`, `f(x); // y`) and the prose forms of
/// [`extract`] (`f(x) === y`, `f(x) returns y`, …), arguments and results JavaScript literals.
pub fn extract_javascript(source: &str, function: &str) -> Vec<Example> {
    extract_in(Lang::JavaScript, source, function)
}

/// Python source defining `_arbor_same(got, expected) -> bool` (value comparison with float tolerance,
/// recursive into list/tuple/dict/set) and `_arbor_text(got, text) -> bool` (repr comparison,
/// whitespace-normalised), for programs that check examples.
pub const PYTHON_HELPERS: &str = r#"import math as _arbor_math


def _arbor_same(got, expected):
    """Whether got equals expected as a value: floats within a small tolerance, lists, tuples,
    dicts and sets element by element (a list is not a tuple, a bool is not a number)."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return isinstance(got, bool) and isinstance(expected, bool) and got == expected
    if isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        if isinstance(expected, float) or isinstance(got, float):
            if got != got or expected != expected:
                return got != got and expected != expected
            return _arbor_math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-6)
        return got == expected
    if isinstance(expected, (list, tuple)):
        return (
            isinstance(got, (list, tuple))
            and isinstance(got, list) == isinstance(expected, list)
            and len(got) == len(expected)
            and all(_arbor_same(g, e) for g, e in zip(got, expected))
        )
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and set(got) == set(expected)
            and all(_arbor_same(got[k], expected[k]) for k in expected)
        )
    if isinstance(expected, (set, frozenset)):
        if not isinstance(got, (set, frozenset)) or len(got) != len(expected):
            return False
        rest = list(got)
        for e in expected:
            found = next((i for i, g in enumerate(rest) if _arbor_same(g, e)), None)
            if found is None:
                return False
            rest.pop(found)
        return True
    try:
        return bool(got == expected)
    except Exception:
        return False


def _arbor_text(got, text):
    """Whether repr(got) reads text, runs of whitespace counting as one space."""
    return " ".join(repr(got).split()) == " ".join(str(text).split())
"#;

/// A boolean Python expression checking `example` against the variable named `got` (uses PYTHON_HELPERS);
/// None for `Expected::Raises` (the caller catches the exception instead).
pub fn python_check(example: &Example, got: &str) -> Option<String> {
    match &example.expected {
        Expected::Value(value) => Some(format!("_arbor_same({got}, ({value}\n))")),
        Expected::Text(text) => Some(format!("_arbor_text({got}, {})", quoted(text))),
        Expected::Holds => Some(format!("bool({got})")),
        Expected::Raises(_) => None,
    }
}

/// A test unit in the dataset's own form checking every example, so `Sandbox::run_sample` runs it like the
/// real tests: Python `PYTHON_HELPERS` + `def check(candidate):` … (each example in order; `Raises` via try/except);
/// Rust a `#[cfg(test)] mod arbor_examples { use super::*; #[test] fn example_1() { … } … }` (one #[test] per example,
/// `assert_eq!(call, expected)` / `assert!(call)`; float expected values compared with a tolerance);
/// JavaScript [`javascript_test_source`] without a marker.
pub fn test_source(problem: &Problem, examples: &[Example]) -> String {
    match problem.language() {
        Language::Rust => rust_test_source(examples),
        Language::JavaScript => javascript_test_source(examples, None),
        Language::Python => python_test_source(&problem.entry_point, examples),
    }
}

/// A JavaScript test of `examples` for the sandbox's harness (`__arbor.examples`): each call
/// and expected value as a function, compared as values (numbers within 1e-6 relative, arrays
/// and plain objects member by member). With a `marker`, every example's outcome is printed
/// as a line `MARKER e INDEX 1|0 -` and nothing is thrown; without one, the program throws
/// naming the first example that failed.
pub fn javascript_test_source(examples: &[Example], marker: Option<&str>) -> String {
    let quoted = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    let mut out = String::from("__arbor.examples([\n");
    for example in examples {
        let what = format!("line {}: {}", example.line, first_line(&example.source));
        let expected = match &example.expected {
            Expected::Value(value) => format!("() => ({value})"),
            Expected::Text(text) | Expected::Raises(text) => quoted(text),
            Expected::Holds => "null".to_string(),
        };
        out.push_str(&format!(
            "  [{}, {}, () => ({}), {expected}],\n",
            quoted(&what),
            quoted(example.expected.kind()),
            example.call
        ));
    }
    out.push_str(&format!(
        "], {});\n",
        marker.map_or_else(|| "null".to_string(), quoted)
    ));
    out
}

/// `problem` with its test replaced by `test_source(problem, examples)` (for running examples with the sandbox).
pub fn example_problem(problem: &Problem, examples: &[Example]) -> Problem {
    Problem {
        test: test_source(problem, examples),
        ..problem.clone()
    }
}

/// How many of a dataset's prompts state examples, and whether the canonical solutions pass them.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// Problems looked at.
    pub prompts: usize,
    /// Problems with at least one example.
    pub with_examples: usize,
    /// Examples in all.
    pub examples: usize,
    /// Examples the canonical solution passes (each run alone).
    pub reference_passes: usize,
    /// `(task_id, example, verdict text)` of every example the canonical solution fails.
    pub failures: Vec<(String, Example, String)>,
}

impl Coverage {
    /// `reference_passes / examples` (1 when there are no examples).
    pub fn pass_share(&self) -> f64 {
        if self.examples == 0 {
            1.0
        } else {
            self.reference_passes as f64 / self.examples as f64
        }
    }
}

/// Extracts every problem's examples and runs each example alone against the canonical solution in `sandbox`
/// (`Sandbox::run_sample(&example_problem(p, &[ex]), &p.canonical_solution)`), `workers` at a time.
pub fn coverage(problems: &[Problem], sandbox: &Sandbox, workers: usize) -> Coverage {
    let extracted: Vec<(&Problem, Vec<Example>)> =
        problems.iter().map(|p| (p, extract(p))).collect();
    let jobs: Vec<(&Problem, &Example)> = extracted
        .iter()
        .flat_map(|(p, examples)| examples.iter().map(move |e| (*p, e)))
        .collect();
    let run = |job: &(&Problem, &Example)| {
        let (p, e) = *job;
        sandbox.run_sample(
            &example_problem(p, std::slice::from_ref(e)),
            &p.canonical_solution,
        )
    };
    let verdicts: Vec<_> = match rayon::ThreadPoolBuilder::new()
        .num_threads(workers.max(1))
        .build()
    {
        Ok(pool) => pool.install(|| jobs.par_iter().map(run).collect()),
        Err(_) => jobs.iter().map(run).collect(),
    };
    let mut report = Coverage {
        prompts: problems.len(),
        with_examples: extracted.iter().filter(|(_, e)| !e.is_empty()).count(),
        examples: jobs.len(),
        ..Coverage::default()
    };
    for ((p, e), verdict) in jobs.iter().zip(verdicts) {
        if verdict.passed() {
            report.reference_passes += 1;
        } else {
            report
                .failures
                .push((p.task_id.clone(), (*e).clone(), verdict.result_text()));
        }
    }
    report
}

// ---------------------------------------------------------------------------------------------
// Test sources

/// A Python string literal holding `text` (JSON's escapes are Python's).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "''".into())
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim()
}

fn python_test_source(entry: &str, examples: &[Example]) -> String {
    let mut out = String::from(PYTHON_HELPERS);
    out.push_str("\n\ndef check(candidate):\n");
    if is_identifier(entry) {
        out.push_str(&format!("    {entry} = candidate\n"));
    }
    if examples.is_empty() {
        out.push_str("    pass\n");
    }
    for example in examples {
        let what = format!("line {}: {}", example.line, first_line(&example.source));
        out.push_str(&format!("    # {}\n", what.replace(['\n', '\r'], " ")));
        match &example.expected {
            Expected::Raises(class) => {
                let name = class.rsplit('.').next().unwrap_or(class);
                out.push_str(&format!(
                    "    try:\n        {call}\n    except BaseException as _arbor_error:\n        \
                     if not any(c.__name__ == {name} for c in type(_arbor_error).__mro__):\n            \
                     raise\n    else:\n        raise AssertionError({msg})\n",
                    call = example.call,
                    name = quoted(name),
                    msg = quoted(&format!("{what}: expected {class}, nothing was raised")),
                ));
            }
            _ => {
                let check = python_check(example, "_arbor_got").unwrap_or_else(|| "True".into());
                out.push_str(&format!(
                    "    _arbor_got = {call}\n    assert {check}, {msg} + repr(_arbor_got)\n",
                    call = example.call,
                    msg = quoted(&format!("{what}: got ")),
                ));
            }
        }
    }
    out
}

/// A Rust string literal holding `text`.
fn rust_quoted(text: &str) -> String {
    format!("{text:?}")
}

fn rust_test_source(examples: &[Example]) -> String {
    let mut out = String::from(
        "#[cfg(test)]\nmod arbor_examples {\n    #[allow(unused_imports)]\n    use super::*;\n",
    );
    if examples.is_empty() {
        out.push_str("    // No examples, so no #[test] functions.\n");
    }
    for (i, example) in examples.iter().enumerate() {
        let what = rust_quoted(&format!(
            "line {}: {}",
            example.line,
            first_line(&example.source)
        ));
        let attribute = if matches!(example.expected, Expected::Raises(_)) {
            "    #[should_panic]\n"
        } else {
            ""
        };
        out.push_str(&format!(
            "\n    #[test]\n{attribute}    fn example_{}() {{\n",
            i + 1
        ));
        let call = &example.call;
        match &example.expected {
            Expected::Value(value) if is_rust_float(value) => out.push_str(&format!(
                "        let got = {call};\n        let expected: f64 = {value};\n        \
                 assert!(((got as f64) - expected).abs() <= 1e-5 * expected.abs().max(1.0), \
                 \"{{}}: got {{:?}}\", {what}, got);\n"
            )),
            Expected::Value(value) => out.push_str(&format!(
                "        assert_eq!({call}, {value}, \"{{}}\", {what});\n"
            )),
            Expected::Text(text) => out.push_str(&format!(
                "        assert_eq!(format!(\"{{:?}}\", {call}), {}, \"{{}}\", {what});\n",
                rust_quoted(text)
            )),
            Expected::Holds => {
                out.push_str(&format!("        assert!({call}, \"{{}}\", {what});\n"))
            }
            Expected::Raises(_) => out.push_str(&format!("        let _ = {call};\n")),
        }
        out.push_str("    }\n");
    }
    out.push_str("}\n");
    out
}

/// Whether a Rust expression is a float literal (maybe negated).
fn is_rust_float(value: &str) -> bool {
    let v = value.trim().trim_start_matches('-').trim();
    let v = v
        .trim_end_matches("f64")
        .trim_end_matches("f32")
        .trim_end_matches('_');
    !v.is_empty()
        && v.contains(['.', 'e', 'E'])
        && v.chars().next().is_some_and(|c| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '_' | '-' | '+'))
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

// ---------------------------------------------------------------------------------------------
// Extraction

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Python,
    Rust,
    JavaScript,
}

impl Lang {
    fn language(self) -> Language {
        match self {
            Lang::Python => Language::Python,
            Lang::Rust => Language::Rust,
            Lang::JavaScript => Language::JavaScript,
        }
    }
}

/// Names a doctest expression may use besides the entry point and the prompt's functions.
const PYTHON_BUILTINS: &[&str] = &[
    "abs",
    "all",
    "any",
    "bool",
    "bytes",
    "chr",
    "dict",
    "divmod",
    "enumerate",
    "filter",
    "float",
    "frozenset",
    "hex",
    "int",
    "isinstance",
    "len",
    "list",
    "map",
    "max",
    "min",
    "oct",
    "ord",
    "pow",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "sorted",
    "str",
    "sum",
    "tuple",
    "type",
    "zip",
];

/// Identifiers a Rust or JavaScript value or argument may use.
const RUST_NAMES: &[&str] = &[
    "vec", "String", "Vec", "Some", "None", "Ok", "Err", "from", "new", "MAX", "MIN", "EPSILON",
    "INFINITY", "NAN",
];
const JS_NAMES: &[&str] = &["undefined", "NaN", "Infinity"];

/// What extraction knows of the prompt.
struct Ctx {
    lang: Lang,
    entry: String,
    /// The entry point's parameters: name and whether it must be given.
    params: Vec<(String, bool)>,
    /// Functions the prompt defines (helpers a doctest may call).
    known: HashSet<String>,
}

/// A line of documentation: its 1-based line in the prompt and its text (comment markers and
/// string quotes removed).
#[derive(Debug, Clone)]
struct DocLine {
    line: usize,
    text: String,
}

fn extract_in(lang: Lang, source: &str, entry: &str) -> Vec<Example> {
    if entry.is_empty() || source.len() > 1 << 20 {
        return Vec::new();
    }
    let Ok(parsed) = ParsedFile::parse("<prompt>", lang.language(), source.to_string()) else {
        return Vec::new();
    };
    let (params, known) = signature(&parsed, lang, entry);
    let ctx = Ctx {
        lang,
        entry: entry.to_string(),
        params,
        known,
    };
    let mut out: Vec<Example> = Vec::new();
    for block in doc_blocks(&parsed, lang) {
        scan_block(&ctx, &block, &mut out);
    }
    out.sort_by_key(|e| e.line);
    let mut seen = HashSet::new();
    out.retain(|e| seen.insert((e.call.clone(), e.expected.clone())));
    out
}

/// Every node under `root` (any order), without recursion.
fn all_nodes(root: Node<'_>) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        out.push(node);
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor));
    }
    out
}

/// The entry point's parameters and the names of the functions the prompt defines.
fn signature(
    parsed: &ParsedFile,
    lang: Lang,
    entry: &str,
) -> (Vec<(String, bool)>, HashSet<String>) {
    let mut params = Vec::new();
    let mut known = HashSet::new();
    let mut found = false;
    for node in all_nodes(parsed.root()) {
        if lang == Lang::Python && node.kind() == "class_definition" {
            if let Some(n) = node.child_by_field_name("name") {
                known.insert(parsed.text(n).to_string());
            }
        }
        let Some((name, list)) = function_definition(parsed, lang, node) else {
            continue;
        };
        known.insert(name.clone());
        if name != entry || found {
            continue;
        }
        found = true;
        let Some(list) = list else { continue };
        let mut cursor = list.walk();
        params.extend(
            list.named_children(&mut cursor)
                .filter_map(|p| parameter(parsed, lang, p))
                .filter(|(name, _)| name != "self"),
        );
    }
    (params, known)
}

/// The name and the parameter list of the function `node` defines, if it defines one (for
/// Rust, `node` is the parameter list itself).
fn function_definition<'t>(
    parsed: &ParsedFile,
    lang: Lang,
    node: Node<'t>,
) -> Option<(String, Option<Node<'t>>)> {
    let def_kind = match lang {
        Lang::Python => "function_definition",
        Lang::Rust => "parameters",
        Lang::JavaScript => "function_declaration",
    };
    if node.kind() != def_kind {
        return None;
    }
    if lang == Lang::Rust {
        // `fn name<T>(…)`: the parameters follow the name (also in an unfinished item).
        let mut prev = node.prev_sibling();
        while let Some(p) = prev.filter(|p| p.kind() == "type_parameters") {
            prev = p.prev_sibling();
        }
        let n = prev.filter(|p| p.kind() == "identifier")?;
        return Some((parsed.text(n).to_string(), Some(node)));
    }
    let n = node.child_by_field_name("name")?;
    Some((
        parsed.text(n).to_string(),
        node.child_by_field_name("parameters"),
    ))
}

/// One parameter's name and whether a call must pass it; `None` for a parameter form the
/// examples cannot name (patterns, `*args`, …).
fn parameter(parsed: &ParsedFile, lang: Lang, p: Node<'_>) -> Option<(String, bool)> {
    match (lang, p.kind()) {
        (Lang::Python, "identifier") | (Lang::JavaScript, "identifier") => {
            Some((parsed.text(p).to_string(), true))
        }
        (Lang::Python, "typed_parameter") => {
            let mut c = p.walk();
            let first = p.named_children(&mut c).next();
            let n = first.filter(|n| n.kind() == "identifier")?;
            Some((parsed.text(n).to_string(), true))
        }
        (Lang::Python, "default_parameter" | "typed_default_parameter") => {
            let n = p.child_by_field_name("name")?;
            Some((parsed.text(n).to_string(), false))
        }
        (Lang::Rust, "parameter") => {
            let n = p
                .child_by_field_name("pattern")
                .filter(|n| n.kind() == "identifier")?;
            Some((parsed.text(n).to_string(), true))
        }
        _ => None,
    }
}

/// The documentation of the prompt in blocks: each docstring, and each run of comments on
/// consecutive lines, in order.
fn doc_blocks(parsed: &ParsedFile, lang: Lang) -> Vec<Vec<DocLine>> {
    let source = parsed.source();
    let mut pieces: Vec<(usize, Vec<DocLine>, bool)> = Vec::new(); // (start byte, lines, comment)
    for node in all_nodes(parsed.root()) {
        match (lang, node.kind()) {
            (Lang::Python, "expression_statement") => {
                if let Some(lines) = docstring_lines(source, node) {
                    pieces.push((node.start_byte(), lines, false));
                }
            }
            (Lang::Python, "comment") | (Lang::JavaScript, "comment") => {
                pieces.push((node.start_byte(), comment_lines(source, node), true));
            }
            (Lang::Rust, "line_comment" | "block_comment") => {
                pieces.push((node.start_byte(), comment_lines(source, node), true));
            }
            _ => {}
        }
    }
    pieces.sort_by_key(|p| p.0);
    let mut blocks: Vec<Vec<DocLine>> = Vec::new();
    let mut last_comment_line: Option<usize> = None;
    for (_, lines, comment) in pieces {
        let first = lines.first().map(|l| l.line);
        let joins = comment
            && lines.len() == 1
            && last_comment_line.is_some()
            && first.is_some_and(|f| Some(f) == last_comment_line.map(|l| l + 1));
        if joins {
            if let Some(block) = blocks.last_mut() {
                block.extend(lines);
            }
        } else {
            blocks.push(lines);
        }
        last_comment_line = if comment {
            blocks.last().and_then(|b| b.last()).map(|l| l.line)
        } else {
            None
        };
    }
    blocks
}

/// The lines of an expression statement that is a lone string (a docstring), if it is one.
fn docstring_lines(source: &str, statement: Node<'_>) -> Option<Vec<DocLine>> {
    let mut cursor = statement.walk();
    let children: Vec<Node<'_>> = statement.named_children(&mut cursor).collect();
    let [string] = children[..] else { return None };
    if string.kind() != "string" {
        return None;
    }
    string_lines(source, string)
}

/// The lines inside a Python string node (prefix and quotes removed).
fn string_lines(source: &str, node: Node<'_>) -> Option<Vec<DocLine>> {
    let text = &source[node.byte_range()];
    let prefix = text.find(['"', '\''])?;
    let rest = &text[prefix..];
    let quote = if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
        3
    } else {
        1
    };
    let start = prefix + quote;
    let end = text.len().saturating_sub(quote).max(start);
    let inner = text.get(start..end)?;
    let first_line = node.start_position().row + 1;
    Some(
        inner
            .split('\n')
            .enumerate()
            .map(|(i, l)| DocLine {
                line: first_line + i,
                text: l.trim_end_matches('\r').to_string(),
            })
            .collect(),
    )
}

/// The lines of a comment node, comment markers removed.
fn comment_lines(source: &str, node: Node<'_>) -> Vec<DocLine> {
    let text = source[node.byte_range()].trim_end();
    let first_line = node.start_position().row + 1;
    if let Some(rest) = text.strip_prefix("/*") {
        let rest = rest.strip_suffix("*/").unwrap_or(rest);
        let rest = rest.strip_prefix(['*', '!']).unwrap_or(rest);
        return rest
            .split('\n')
            .enumerate()
            .map(|(i, l)| {
                let t = l.trim_end_matches('\r');
                let trimmed = t.trim_start();
                let t = match trimmed.strip_prefix('*') {
                    Some(after) if !after.starts_with('/') => after,
                    _ => t,
                };
                DocLine {
                    line: first_line + i,
                    text: t.to_string(),
                }
            })
            .collect();
    }
    let body = ["///", "//!", "//", "#"]
        .iter()
        .find_map(|m| text.strip_prefix(m))
        .unwrap_or(text);
    vec![DocLine {
        line: first_line,
        text: body.to_string(),
    }]
}

/// Finds the examples of one documentation block.
fn scan_block(ctx: &Ctx, block: &[DocLine], out: &mut Vec<Example>) {
    let mut consumed = vec![false; block.len()];
    match ctx.lang {
        Lang::Python => doctests(ctx, block, &mut consumed, out),
        Lang::Rust => rust_code_blocks(ctx, block, &mut consumed, out),
        Lang::JavaScript => {}
    }
    let recurrence = has_recurrence(ctx, block);
    let example_lines = jsdoc_example_lines(ctx, block);
    let mut i = 0;
    while i < block.len() {
        if consumed[i] {
            i += 1;
            continue;
        }
        let para = Para::new(block, i);
        let mut found = false;
        let mut from = 0;
        // Every call of the entry point on the line, in order.
        while let Some(start) = find_call(&para.text, &ctx.entry, from, para.line_end(0)) {
            from = start + ctx.entry.len();
            if let Some((example, end)) =
                prose_call(ctx, &para, start, recurrence, example_lines[i])
            {
                let last = para.line_of(end);
                for c in consumed.iter_mut().skip(i).take(last + 1) {
                    *c = true;
                }
                out.push(example);
                found = true;
                if last > 0 {
                    break;
                }
                from = end;
            }
        }
        if !found {
            if let Some((example, last)) = assignment_example(ctx, &para) {
                for c in consumed.iter_mut().skip(i).take(last + 1) {
                    *c = true;
                }
                out.push(example);
            }
        }
        i += 1;
    }
}

/// For JavaScript, which lines belong to a JSDoc `@example` section (where `f(x); // y` needs
/// no connector).
fn jsdoc_example_lines(ctx: &Ctx, block: &[DocLine]) -> Vec<bool> {
    let mut inside = false;
    block
        .iter()
        .map(|l| {
            if ctx.lang != Lang::JavaScript {
                return false;
            }
            let t = l.text.trim();
            if t.starts_with('@') {
                inside = t.starts_with("@example");
                return inside && t.len() > "@example".len();
            }
            inside
        })
        .collect()
}

/// Lines `i..` up to the next blank line (at most 40), joined, for examples over several lines.
struct Para {
    text: String,
    /// Byte offset of each line in `text`.
    starts: Vec<usize>,
    /// The block's lines.
    lines: Vec<DocLine>,
}

impl Para {
    fn new(block: &[DocLine], i: usize) -> Para {
        let mut text = String::new();
        let mut starts = Vec::new();
        let mut lines = Vec::new();
        for (k, l) in block.iter().enumerate().skip(i).take(40) {
            if k > i && l.text.trim().is_empty() {
                break;
            }
            if k > i {
                text.push('\n');
            }
            starts.push(text.len());
            text.push_str(&l.text);
            lines.push(l.clone());
        }
        Para {
            text,
            starts,
            lines,
        }
    }

    /// The index (in the paragraph) of the line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// The byte offset where line `k` ends.
    fn line_end(&self, k: usize) -> usize {
        self.starts
            .get(k + 1)
            .map_or(self.text.len(), |&s| s.saturating_sub(1))
    }

    /// Lines `from..=to` trimmed and joined, for an example's source.
    fn source(&self, from: usize, to: usize) -> String {
        self.lines
            .iter()
            .skip(from)
            .take(to + 1 - from)
            .map(|l| l.text.trim())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The offset of the next `entry(` in `text[from..limit]` that starts a word.
fn find_call(text: &str, entry: &str, from: usize, limit: usize) -> Option<usize> {
    let mut at = from;
    while at < limit.min(text.len()) {
        let i = at + text.get(at..)?.find(entry)?;
        if i >= limit {
            return None;
        }
        let before_ok = text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '$'));
        let after = &text[i + entry.len()..];
        if before_ok && after.trim_start_matches([' ', '\t']).starts_with('(') {
            return Some(i);
        }
        at = i + entry.len();
    }
    None
}

/// The offset just after the bracket matching the one at `open`, skipping string literals.
fn balanced_end(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text[open..].char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            } else if c == '\n' && q != '`' {
                return None;
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(open + i + c.len_utf8());
                }
            }
            _ => {}
        }
    }
    None
}

/// Bracket depth at the end of `text` (strings skipped), or None when it closes more than it opens.
fn open_depth(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.checked_sub(1)?,
            _ => {}
        }
    }
    (quote.is_none()).then_some(depth)
}

/// Words after the prefix that make a call part of a larger expression.
const OPERATOR_WORDS: &[&str] = &["not", "in", "is", "return", "lambda", "await", "if", "else"];

/// Whether the text before a call on its line lets it stand alone: nothing, a bullet, a label
/// ending in `:`, or words.
fn prefix_ok(before: &str) -> bool {
    let t = before.trim();
    if t.is_empty() {
        return true;
    }
    let is_bullet = |s: &str| {
        matches!(s, "*" | "-" | "•" | "+")
            || (s.len() <= 4
                && s.ends_with(['.', ')'])
                && s[..s.len() - 1].chars().all(|c| c.is_ascii_digit()))
    };
    if is_bullet(t) {
        return true;
    }
    let Some(last) = t.chars().next_back() else {
        return true;
    };
    if last == ':' || last == '`' {
        return true;
    }
    // "For example, f(1) == 2": a comma of prose, not of an argument list.
    if matches!(last, ',' | ';') {
        return open_depth(t) == Some(0);
    }
    if last.is_alphabetic() {
        let word = t
            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        return !OPERATOR_WORDS.contains(&word);
    }
    false
}

/// Connectors between a call and its result, longest first.
const CONNECTORS: &[&str] = &[
    "==>",
    "===",
    "==",
    "-->",
    "->",
    "=>",
    "➞",
    "→",
    "⇒",
    "should return",
    "should be",
    "will return",
    "will be",
    "would return",
    "returns",
    "return",
    "gives",
    "equals",
    "is equal to",
    "=",
];

/// After a call: the connector's end, and whether it was `is` (which takes nothing after the value).
fn connector(rest: &str, ctx: &Ctx, recurrence: bool, bare_comment: bool) -> Option<(usize, bool)> {
    let mut offset = 0;
    let mut text = rest;
    let skip_ws = |s: &str| s.len() - s.trim_start_matches([' ', '\t']).len();
    if matches!(ctx.lang, Lang::Rust | Lang::JavaScript) {
        let n = skip_ws(text);
        if text[n..].starts_with(';') {
            offset += n + 1;
            text = &rest[offset..];
        }
    }
    let n = skip_ws(text);
    offset += n;
    text = &rest[offset..];
    let mut in_comment = false;
    let comment = match ctx.lang {
        Lang::Python => "#",
        _ => "//",
    };
    if let Some(after) = text.strip_prefix(comment) {
        in_comment = true;
        offset += comment.len();
        let n = skip_ws(after);
        offset += n;
        text = &rest[offset..];
    }
    for c in CONNECTORS {
        if let Some(after) = text.strip_prefix(c) {
            let wordy = c.chars().next().is_some_and(char::is_alphabetic);
            if wordy
                && after
                    .chars()
                    .next()
                    .is_some_and(|d| d.is_alphanumeric() || d == '_')
            {
                continue;
            }
            if *c == "=" && (recurrence || after.starts_with(['=', '>'])) {
                return None;
            }
            let mut end = offset + c.len();
            let after = &rest[end..];
            let after_colon = after.trim_start_matches([' ', '\t']);
            if let Some(a) = after_colon.strip_prefix(':') {
                end = rest.len() - a.len();
            }
            return Some((end, false));
        }
    }
    if let Some(after) = text.strip_prefix("is") {
        if after.starts_with([' ', '\t']) && !after.trim_start().starts_with("not") {
            return Some((offset + 2, true));
        }
    }
    if in_comment && bare_comment {
        return Some((offset, false));
    }
    None
}

/// Whether the block defines the entry point by a recurrence (`f(n) = f(n - 1) + …`, a call
/// with a parameter in its arguments before `=` or `==`), where `f(3) = …` lines state the
/// sequence rather than the function's results.
fn has_recurrence(ctx: &Ctx, block: &[DocLine]) -> bool {
    block.iter().any(|l| {
        let text = &l.text;
        let mut from = 0;
        while let Some(start) = find_call(text, &ctx.entry, from, text.len()) {
            from = start + ctx.entry.len();
            let Some(open) = text[start..].find('(').map(|o| start + o) else {
                break;
            };
            let Some(end) = balanced_end(text, open) else {
                break;
            };
            let rest = text[end..].trim_start();
            let arguments = &text[open + 1..end - 1];
            let names_a_parameter = arguments
                .split(|c: char| !is_word_char(c))
                .any(|w| ctx.params.iter().any(|(p, _)| p == w));
            if rest.starts_with('=') && names_a_parameter {
                return true;
            }
        }
        false
    })
}

/// A prose example at `start` (the entry point's name) in `para`: the example and the offset
/// where it ends.
fn prose_call(
    ctx: &Ctx,
    para: &Para,
    start: usize,
    recurrence: bool,
    bare_comment: bool,
) -> Option<(Example, usize)> {
    let text = &para.text;
    let line_start = para.starts[para.line_of(start)];
    if !prefix_ok(&text[line_start..start]) {
        return None;
    }
    let open = start + text[start..].find('(')?;
    let end = balanced_end(text, open)?;
    let call = &text[start..end];
    if !ctx.prose_call_ok(call) {
        return None;
    }
    let mut rest_start = end;
    if text[line_start..start].trim_end().ends_with('`') && text[end..].starts_with('`') {
        rest_start += 1;
    }
    let line_end = para.line_end(para.line_of(rest_start));
    let rest = &text[rest_start..line_end];
    let (offset, strict) = connector(rest, ctx, recurrence, bare_comment)?;
    let value_at = rest_start + offset;
    let (value, value_end) = take_value(ctx, text, value_at, strict, false)?;
    let last = para.line_of(value_end.saturating_sub(1).max(value_at));
    let first = para.line_of(start);
    let call = normalize_call(call);
    Some((
        Example {
            line: para.lines[first].line,
            source: para.source(first, last),
            call,
            expected: Expected::Value(value),
        },
        value_end,
    ))
}

/// A call over several lines keeps its lines (trailing spaces removed).
fn normalize_call(call: &str) -> String {
    call.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Words after a value that make it part of a condition or a larger statement.
const STOP_WORDS: &[&str] = &[
    "if",
    "when",
    "unless",
    "else",
    "or",
    "and",
    "otherwise",
    "only",
    "except",
    "whenever",
    "provided",
    "for",
];

/// Whether what follows a value ends it: nothing, punctuation, a comment, or prose that does
/// not continue the expression. `strict` (after `is`): nothing but punctuation or a comment.
fn remainder_ok(rest: &str, strict: bool, comment: &str) -> bool {
    let line = rest.split('\n').next().unwrap_or("");
    if line.trim().is_empty() {
        return true;
    }
    let Some(c) = line.chars().next() else {
        return true;
    };
    if line.starts_with(comment) {
        return true;
    }
    if c == ' ' || c == '\t' {
        let w = line.trim_start();
        if w.starts_with(comment) {
            return true;
        }
        if strict {
            return w.starts_with('(');
        }
        if w.starts_with([
            '+', '-', '*', '/', '%', '<', '>', '=', '&', '|', '^', '@', '[', '.',
        ]) {
            return false;
        }
        let word = w
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("")
            .to_lowercase();
        return !STOP_WORDS.contains(&word.as_str());
    }
    if matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | ')') {
        let next = line[c.len_utf8()..].chars().next();
        return next.is_none_or(|n| !(n.is_alphanumeric() || n == '_' || n == '(' || n == '['));
    }
    false
}

/// The value starting at `at` in `text` (spaces skipped, a line break allowed before it): the
/// longest literal prefix that what follows lets end there; or, for `19 - 5 - 6 = 8`, the
/// literal after the last `=` of a line of arithmetic. With `assignment`, a following `,` or
/// words of any kind end the value.
fn take_value(
    ctx: &Ctx,
    text: &str,
    at: usize,
    strict: bool,
    assignment: bool,
) -> Option<(String, usize)> {
    let start = value_start(text, at);
    let rest = &text[start..];
    if rest.is_empty() {
        return None;
    }
    let comment = if ctx.lang == Lang::Python { "#" } else { "//" };
    // `value` in backticks.
    if let Some(inner) = rest.strip_prefix('`') {
        let close = inner.find('`')?;
        let candidate = inner[..close].trim();
        let value = ctx.value(candidate)?;
        return Some((value, start + 1 + close + 1));
    }
    let region = value_region(rest);
    let ok_after = |after: &str| {
        if assignment {
            assignment_value_ends(after, comment)
        } else {
            remainder_ok(after, strict, comment)
        }
    };
    if let Some((value, end)) = longest_literal(ctx, region, ok_after) {
        return Some((value, start + end));
    }
    if assignment {
        return None;
    }
    let (value, end) = arithmetic_result(ctx, region)?;
    Some((value, start + end))
}

/// Where a value after `at` starts: spaces skipped, and one line break with the next line's
/// indentation.
fn value_start(text: &str, at: usize) -> usize {
    let skip_blanks = |from: usize| {
        let after = &text[from..];
        from + after.len() - after.trim_start_matches([' ', '\t']).len()
    };
    let start = skip_blanks(at);
    if text[start..].starts_with('\n') {
        skip_blanks(start + 1)
    } else {
        start
    }
}

/// The region a value may span: the rest of the line, and following lines while brackets are
/// open (at most 4000 bytes).
fn value_region(rest: &str) -> &str {
    let mut region_end = rest.find('\n').map_or(rest.len(), |n| n);
    while let Some(depth) = open_depth(&rest[..region_end]) {
        if depth == 0 || region_end >= rest.len() {
            break;
        }
        region_end = rest[region_end + 1..]
            .find('\n')
            .map_or(rest.len(), |n| region_end + 1 + n);
    }
    &rest[..region_end.min(4000)]
}

/// Whether what follows an assigned value ends it: nothing, words of any kind (after a space),
/// or whatever ends a value elsewhere.
fn assignment_value_ends(after: &str, comment: &str) -> bool {
    let line = after.split('\n').next().unwrap_or("");
    let w = line.trim_start();
    line.trim().is_empty()
        || (line.starts_with([' ', '\t'])
            && !w.starts_with([
                '+', '-', '*', '/', '%', '<', '>', '=', '&', '|', '^', '@', '[', '(', '.',
            ]))
        || remainder_ok(after, false, comment)
}

/// The longest balanced literal prefix of `region` that `ok_after` lets end where it does, with
/// its end (a sentence's final `.` left out when the value reads the same without it).
fn longest_literal(
    ctx: &Ctx,
    region: &str,
    ok_after: impl Fn(&str) -> bool,
) -> Option<(String, usize)> {
    let mut ends: Vec<usize> = region
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .filter(|&e| {
            let last = region[..e].chars().next_back().unwrap_or(' ');
            let next = region[e..].chars().next();
            !(last.is_whitespace() || (is_word_char(last) && next.is_some_and(is_word_char)))
        })
        .collect();
    ends.reverse();
    for e in ends {
        let candidate = &region[..e];
        if open_depth(candidate) != Some(0) || !ok_after(&region[e..]) {
            continue;
        }
        let Some(value) = ctx.value(candidate) else {
            continue;
        };
        // `16.` at the end of a sentence is 16.
        let short = candidate
            .strip_suffix('.')
            .and_then(|short| ctx.value(short));
        return Some(match short {
            Some(v) => (v, e - 1),
            None => (value, e),
        });
    }
    None
}

/// `19 - 5 - 6 = 8`: the literal after the last `=` of the region's first line, when what comes
/// before it is arithmetic, with its end.
fn arithmetic_result(ctx: &Ctx, region: &str) -> Option<(String, usize)> {
    let line = &region[..region.find('\n').unwrap_or(region.len())];
    let bytes = line.as_bytes();
    let eq = (0..bytes.len()).rev().find(|&i| {
        bytes[i] == b'='
            && bytes.get(i + 1).is_none_or(|&b| b != b'=' && b != b'>')
            && (i == 0 || !matches!(bytes[i - 1], b'=' | b'<' | b'>' | b'!'))
    })?;
    let arithmetic = line[..eq]
        .chars()
        .all(|c| c.is_ascii_digit() || " +-*/()%.^x×".contains(c));
    if arithmetic && line[..eq].chars().any(|c| c.is_ascii_digit()) {
        take_value(ctx, line, eq + 1, true, false)
    } else {
        None
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Markers before an expected output in "For x = 1 the output should be 2" forms.
const OUTPUT_MARKERS: &[&str] = &[
    "output should be",
    "result should be",
    "output will be",
    "result will be",
    "should return",
    "output:",
    "output is",
    "result is",
    "answer is",
    "returns",
    "return",
];

/// Finds `needle` in `hay` (ASCII case-insensitive) from `from`, at a word start.
fn find_word_ci(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let lower = hay.to_ascii_lowercase();
    let needle = needle.to_ascii_lowercase();
    let needle = needle.as_str();
    let mut at = from;
    while let Some(i) = lower.get(at..).and_then(|s| s.find(needle)).map(|i| i + at) {
        let before = lower[..i].chars().next_back();
        let after = lower[i + needle.len()..].chars().next();
        let last = needle.chars().next_back().unwrap_or(' ');
        if before.is_none_or(|c| !is_word_char(c))
            && (!is_word_char(last) || after.is_none_or(|c| !is_word_char(c)))
        {
            return Some(i);
        }
        at = i + needle.len();
    }
    None
}

/// "For lst = [1, 2] the output should be 3", "Input: arr = [..], k = 2 … Output: [..]",
/// "arr = [..] … return [..]": the example starting on the paragraph's first line, and the
/// paragraph line it ends on.
fn assignment_example(ctx: &Ctx, para: &Para) -> Option<(Example, usize)> {
    if ctx.params.is_empty() {
        return None;
    }
    let text = &para.text;
    let first_end = para.line_end(0);
    let input = find_word_ci(&text[..first_end], "input", 0).and_then(|i| {
        let after = &text[i + 5..first_end];
        let colon = after.len() - after.trim_start().len();
        after[colon..].starts_with(':').then_some(i + 5 + colon + 1)
    });
    let region_start = input.unwrap_or(0);
    // The output marker: the first after the arguments, within 8 lines.
    let limit = para.line_end(para.lines.len().min(8).saturating_sub(1));
    let (marker_at, marker_len) = OUTPUT_MARKERS
        .iter()
        .filter_map(|m| find_word_ci(&text[..limit], m, region_start).map(|i| (i, m.len())))
        .min_by_key(|&(i, len)| (i, std::cmp::Reverse(len)))?;
    let args_text = &text[region_start..marker_at];
    if input.is_none() && !line_assigns(ctx, &text[..first_end]) {
        return None;
    }
    let mut values: Vec<Option<String>> = ctx
        .params
        .iter()
        .map(|(name, _)| assigned_value(ctx, args_text, name, input.is_some()))
        .collect();
    if values.iter().all(Option::is_none) {
        // "Input: [4, 2, 3]" for a function of one parameter.
        if input.is_none() || ctx.params.len() != 1 {
            return None;
        }
        let (v, end) = take_value(ctx, args_text, 0, false, true)?;
        if !args_text[end..].trim().is_empty() {
            return None;
        }
        values[0] = Some(v);
    }
    let call = format!("{}({})", ctx.entry, call_args(ctx, &values)?.join(", "));
    if !ctx.prose_call_ok(&call) {
        return None;
    }
    let mut value_at = marker_at + marker_len;
    let w = &text[value_at..];
    let trimmed = w.trim_start_matches([' ', '\t']);
    if let Some(after) = trimmed.strip_prefix(['=', ':']) {
        if !after.starts_with('=') {
            value_at += w.len() - after.len();
        }
    }
    let (value, value_end) = take_value(ctx, text, value_at, false, false)?;
    let last = para.line_of(value_end.saturating_sub(1).max(value_at));
    Some((
        Example {
            line: para.lines[0].line,
            source: para.source(0, last),
            call,
            expected: Expected::Value(value),
        },
        last,
    ))
}

/// The value `args_text` assigns to the parameter `name` (`name = value`, or `name: value` when
/// `colon` allows it): the first such assignment whose value reads.
fn assigned_value(ctx: &Ctx, args_text: &str, name: &str, colon: bool) -> Option<String> {
    let mut from = 0;
    while let Some(i) = find_word_ci(args_text, name, from) {
        from = i + name.len();
        if !args_text[i..].starts_with(name) {
            continue;
        }
        let before = args_text[..i].chars().next_back();
        if before.is_some_and(|c| matches!(c, '.' | '[' | '(' | '\'' | '"')) {
            continue;
        }
        let after = &args_text[i + name.len()..];
        let w = after.trim_start_matches([' ', '\t']);
        let assigns = w.starts_with('=') && !w.starts_with("==");
        if !(assigns || (colon && w.starts_with(':'))) {
            continue;
        }
        // After the `=` or `:`.
        let at = i + name.len() + (after.len() - w.len()) + 1;
        if let Some((v, _)) = take_value(ctx, args_text, at, false, true) {
            return Some(v);
        }
    }
    None
}

/// The call's arguments for the parameters' `values`: positional until a parameter is left
/// out, keyword after that (Python only); `None` when a required parameter has no value.
fn call_args(ctx: &Ctx, values: &[Option<String>]) -> Option<Vec<String>> {
    let mut args = Vec::new();
    let mut gap = false;
    for ((name, required), value) in ctx.params.iter().zip(values) {
        match value {
            Some(v) if gap => args.push(if ctx.lang == Lang::Python {
                format!("{name}={v}")
            } else {
                return None;
            }),
            Some(v) => args.push(v.clone()),
            None if *required => return None,
            None => gap = true,
        }
    }
    Some(args)
}

/// Whether a line assigns a parameter (`name = …`), for examples whose output comes lines later.
fn line_assigns(ctx: &Ctx, line: &str) -> bool {
    ctx.params.iter().any(|(name, _)| {
        let mut from = 0;
        while let Some(i) = find_word_ci(line, name, from) {
            from = i + name.len();
            let w = line[from..].trim_start();
            if line[i..].starts_with(name.as_str()) && w.starts_with('=') && !w.starts_with("==") {
                return true;
            }
        }
        false
    })
}

// ---------------------------------------------------------------------------------------------
// Python doctests

fn doctests(ctx: &Ctx, block: &[DocLine], consumed: &mut [bool], out: &mut Vec<Example>) {
    let mut setup = false;
    let mut i = 0;
    while i < block.len() {
        let text = &block[i].text;
        let trimmed = text.trim_start();
        let Some(first) = trimmed.strip_prefix(">>>") else {
            i += 1;
            continue;
        };
        let indent = text.len() - trimmed.len();
        let start = i;
        let mut source = vec![first.strip_prefix(' ').unwrap_or(first).to_string()];
        i += 1;
        while i < block.len() {
            let t = block[i].text.trim_start();
            match t.strip_prefix("...") {
                Some(rest) if !t.starts_with("....") => {
                    source.push(rest.strip_prefix(' ').unwrap_or(rest).to_string());
                    i += 1;
                }
                _ => break,
            }
        }
        let mut output: Vec<String> = Vec::new();
        while i < block.len() {
            let t = &block[i].text;
            if t.trim().is_empty() || t.trim_start().starts_with(">>>") {
                break;
            }
            let dedent = t.len() - t.trim_start().len();
            let kept = t.get(dedent.min(indent)..).unwrap_or(t.trim_start());
            output.push(kept.trim_end().to_string());
            i += 1;
        }
        // Output that is not a literal but begins with one, followed by prose: the literal
        // lines are the output, the prose is left to the prose forms.
        let joined = output.join("\n");
        if output.len() > 1 && !python_literal(joined.trim()) {
            if let Some(k) = (1..output.len())
                .rev()
                .find(|&k| python_literal(output[..k].join("\n").trim()))
            {
                i -= output.len() - k;
                output.truncate(k);
            }
        }
        for c in consumed.iter_mut().take(i).skip(start) {
            *c = true;
        }
        let source_text = source.join("\n");
        let example_source = block[start..i]
            .iter()
            .map(|l| l.text.trim())
            .collect::<Vec<_>>()
            .join("\n");
        match doctest(ctx, &source_text, &output, setup) {
            Doctest::Example(call, expected) => out.push(Example {
                line: block[start].line,
                source: example_source,
                call,
                expected,
            }),
            Doctest::Setup => setup = true,
            Doctest::Skip => {}
        }
    }
}

enum Doctest {
    Example(String, Expected),
    /// A statement or an expression with names of its own: later examples may depend on it.
    Setup,
    Skip,
}

fn doctest(ctx: &Ctx, source: &str, output: &[String], setup: bool) -> Doctest {
    if source.contains("doctest:") && source.contains("SKIP") {
        return Doctest::Skip;
    }
    let Ok(parsed) = ParsedFile::parse("<doctest>", Language::Python, source.to_string()) else {
        return Doctest::Skip;
    };
    if parsed.has_errors() {
        return Doctest::Skip;
    }
    let Some(expr) = python_expression(&parsed) else {
        return Doctest::Setup;
    };
    let (calls_entry, names_ok) = python_names(ctx, &parsed, expr);
    if !names_ok {
        return Doctest::Setup;
    }
    if !calls_entry || setup {
        return Doctest::Skip;
    }
    let call = parsed.text(expr).to_string();
    let output_text = output.join("\n");
    let output_trimmed = output_text.trim();
    // `>>> f(x) == y` (with no output, or `True`).
    if output_trimmed.is_empty() || output_trimmed == "True" {
        if let Some(example) = comparison_doctest(ctx, &parsed, expr) {
            return example;
        }
    }
    if output_trimmed.is_empty() {
        // `>>> f(x) [1, 2]`: a result written after the call.
        return trailing_result_doctest(ctx, &parsed, source, expr)
            .unwrap_or(Doctest::Example(call, Expected::Value("None".into())));
    }
    if output_trimmed.starts_with("Traceback (most recent call last)") {
        return match raised_class(output) {
            Some(class) => Doctest::Example(call, Expected::Raises(class.to_string())),
            None => Doctest::Skip,
        };
    }
    if output_trimmed.contains("<BLANKLINE>") {
        return Doctest::Skip;
    }
    if python_literal(output_trimmed) {
        return Doctest::Example(call, Expected::Value(output_trimmed.to_string()));
    }
    if output_trimmed.contains("...") {
        return Doctest::Skip;
    }
    Doctest::Example(call, Expected::Text(output_trimmed.to_string()))
}

/// `>>> f(x) == y` with `y` a literal: the example `f(x)` → `y`.
fn comparison_doctest(ctx: &Ctx, parsed: &ParsedFile, expr: Node<'_>) -> Option<Doctest> {
    if expr.kind() != "comparison_operator" || expr.named_child_count() != 2 {
        return None;
    }
    let ops: Vec<&str> = {
        let mut c = expr.walk();
        expr.children(&mut c)
            .filter(|n| !n.is_named())
            .map(|n| parsed.text(n))
            .collect()
    };
    let (["=="], Some(left), Some(right)) = (&ops[..], expr.named_child(0), expr.named_child(1))
    else {
        return None;
    };
    let (l_calls, _) = python_names(ctx, parsed, left);
    let right_text = parsed.text(right);
    (l_calls && python_literal(right_text)).then(|| {
        Doctest::Example(
            parsed.text(left).to_string(),
            Expected::Value(right_text.to_string()),
        )
    })
}

/// `>>> f(x) [1, 2]` (parsed as a subscript): the call with the literal written after it.
fn trailing_result_doctest(
    ctx: &Ctx,
    parsed: &ParsedFile,
    source: &str,
    expr: Node<'_>,
) -> Option<Doctest> {
    if expr.kind() != "subscript" {
        return None;
    }
    let value = expr.child_by_field_name("value")?;
    let rest = &source[value.end_byte()..expr.end_byte()];
    let literal = rest.trim();
    let ok = rest.starts_with([' ', '\t'])
        && value.kind() == "call"
        && python_names(ctx, parsed, value).0
        && python_literal(literal);
    ok.then(|| {
        Doctest::Example(
            parsed.text(value).to_string(),
            Expected::Value(literal.to_string()),
        )
    })
}

/// The exception class a doctest's traceback output ends with (`ValueError: …`), if it names one.
fn raised_class(output: &[String]) -> Option<&str> {
    let last = output
        .iter()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.starts_with([' ', '\t']))
        .map(|l| l.trim());
    last.and_then(|l| l.split(':').next())
        .map(str::trim)
        .filter(|c| !c.is_empty() && c.split('.').all(is_identifier) && !c.starts_with("Traceback"))
}

/// The one expression of a parsed fragment (a module of one expression statement).
fn python_expression(parsed: &ParsedFile) -> Option<Node<'_>> {
    let root = parsed.root();
    let mut cursor = root.walk();
    let statements: Vec<Node<'_>> = root
        .named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect();
    let [statement] = statements[..] else {
        return None;
    };
    if statement.kind() != "expression_statement" {
        return None;
    }
    let mut cursor = statement.walk();
    let children: Vec<Node<'_>> = statement
        .named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect();
    match children[..] {
        [expr] if statement.end_byte() == expr.end_byte() => Some(expr),
        _ => None,
    }
}

/// Whether `expr` calls the entry point, and whether its names are all the entry point's, the
/// prompt's functions' or builtins.
fn python_names(ctx: &Ctx, parsed: &ParsedFile, expr: Node<'_>) -> (bool, bool) {
    let mut calls = false;
    let mut ok = true;
    for node in all_nodes(expr) {
        match node.kind() {
            "call"
                if node
                    .child_by_field_name("function")
                    .is_some_and(|f| f.kind() == "identifier" && parsed.text(f) == ctx.entry) =>
            {
                calls = true;
            }
            "identifier" => {
                let parent = node.parent();
                let field_of = |kind: &str, field: &str| {
                    parent.is_some_and(|p| {
                        p.kind() == kind
                            && p.child_by_field_name(field)
                                .is_some_and(|f| f.id() == node.id())
                    })
                };
                if field_of("keyword_argument", "name") || field_of("attribute", "attribute") {
                    continue;
                }
                let name = parsed.text(node);
                if name != ctx.entry
                    && !ctx.known.contains(name)
                    && !PYTHON_BUILTINS.contains(&name)
                {
                    ok = false;
                }
            }
            "lambda"
            | "list_comprehension"
            | "generator_expression"
            | "dictionary_comprehension"
            | "set_comprehension"
            | "named_expression"
            | "await" => ok = false,
            _ => {}
        }
    }
    (calls, ok)
}

/// Node kinds a Python literal is made of.
const PYTHON_LITERAL_KINDS: &[&str] = &[
    "integer",
    "float",
    "string",
    "string_start",
    "string_content",
    "string_end",
    "escape_sequence",
    "concatenated_string",
    "true",
    "false",
    "none",
    "list",
    "tuple",
    "set",
    "dictionary",
    "pair",
    "parenthesized_expression",
    "unary_operator",
    "comment",
];

/// Whether `fragment` is one Python literal expression (`ast.literal_eval`-able).
fn python_literal(fragment: &str) -> bool {
    python_literal_node(fragment).is_some()
}

/// The kind of the literal's top node, when `fragment` is one Python literal expression.
fn python_literal_node(fragment: &str) -> Option<&'static str> {
    let fragment = fragment.trim();
    if fragment.is_empty() || fragment.len() > 100_000 {
        return None;
    }
    let parsed = ParsedFile::parse("<value>", Language::Python, fragment.to_string()).ok()?;
    if parsed.has_errors() {
        return None;
    }
    let expr = python_expression(&parsed)?;
    if parsed.text(expr) != fragment {
        return None;
    }
    for node in all_nodes(expr) {
        if !node.is_named() {
            let t = node.kind();
            if node.parent().is_some_and(|p| p.kind() == "unary_operator") && t == "~" {
                return None;
            }
            continue;
        }
        if !PYTHON_LITERAL_KINDS.contains(&node.kind()) {
            return None;
        }
        if node.kind() == "string" && parsed.text(node).starts_with(['f', 'F']) {
            return None;
        }
    }
    Some(match expr.kind() {
        "parenthesized_expression" => "parenthesized_expression",
        _ => "literal",
    })
}

// ---------------------------------------------------------------------------------------------
// Validation per language

impl Ctx {
    /// The expected value `fragment` stands for, when it is a literal of the language:
    /// Python `true`/`false` read as `True`/`False` (Rust the other way), and a parenthesised
    /// Python value `("a")` read as the one-element tuple it stands for in prose.
    fn value(&self, fragment: &str) -> Option<String> {
        let fragment = fragment.trim();
        match self.lang {
            Lang::Python => {
                let fragment = match fragment {
                    "true" => "True",
                    "false" => "False",
                    "none" | "null" => "None",
                    other => other,
                };
                match python_literal_node(fragment)? {
                    "parenthesized_expression" => {
                        let inner = fragment[1..fragment.len() - 1].trim();
                        if inner.starts_with(|c: char| c.is_ascii_digit() || "+-.".contains(c)) {
                            Some(fragment.to_string())
                        } else {
                            Some(format!("({inner},)"))
                        }
                    }
                    _ => Some(fragment.to_string()),
                }
            }
            Lang::Rust => {
                let fragment = match fragment {
                    "True" => "true",
                    "False" => "false",
                    other => other,
                };
                let (parsed, range) = other_expression(Lang::Rust, fragment)?;
                names_ok(&parsed, range, RUST_NAMES, None).then(|| fragment.to_string())
            }
            Lang::JavaScript => {
                let (parsed, range) = other_expression(Lang::JavaScript, fragment)?;
                names_ok(&parsed, range, JS_NAMES, None).then(|| fragment.to_string())
            }
        }
    }

    /// Whether `call` is a call of the entry point whose arguments are literals.
    fn prose_call_ok(&self, call: &str) -> bool {
        match self.lang {
            Lang::Python => {
                let Ok(parsed) = ParsedFile::parse("<call>", Language::Python, call.to_string())
                else {
                    return false;
                };
                if parsed.has_errors() {
                    return false;
                }
                let Some(expr) = python_expression(&parsed) else {
                    return false;
                };
                if expr.kind() != "call" || parsed.text(expr) != call.trim() {
                    return false;
                }
                let Some(function) = expr.child_by_field_name("function") else {
                    return false;
                };
                if parsed.text(function) != self.entry {
                    return false;
                }
                let Some(arguments) = expr.child_by_field_name("arguments") else {
                    return false;
                };
                let mut cursor = arguments.walk();
                let ok = arguments
                    .named_children(&mut cursor)
                    .filter(|a| a.kind() != "comment")
                    .all(|a| {
                        let value = if a.kind() == "keyword_argument" {
                            a.child_by_field_name("value")
                        } else {
                            Some(a)
                        };
                        value.is_some_and(|v| python_literal(parsed.text(v)))
                    });
                ok
            }
            Lang::Rust | Lang::JavaScript => {
                let Some((parsed, range)) = other_expression(self.lang, call) else {
                    return false;
                };
                let names = if self.lang == Lang::Rust {
                    RUST_NAMES
                } else {
                    JS_NAMES
                };
                let Some(expr) = node_at(&parsed, range.clone()) else {
                    return false;
                };
                expr.kind() == "call_expression"
                    && expr
                        .child_by_field_name("function")
                        .is_some_and(|f| f.kind() == "identifier" && parsed.text(f) == self.entry)
                    && names_ok(&parsed, range, names, Some(&self.entry))
            }
        }
    }

    /// Whether a Rust expression calls the entry point and uses no names but its own, the
    /// prompt's functions' and a few of the standard library's.
    fn rust_call_ok(&self, call: &str) -> bool {
        let Some((parsed, range)) = other_expression(Lang::Rust, call) else {
            return false;
        };
        let Some(expr) = node_at(&parsed, range) else {
            return false;
        };
        let calls = all_nodes(expr).iter().any(|n| {
            n.kind() == "call_expression"
                && n.child_by_field_name("function")
                    .is_some_and(|f| f.kind() == "identifier" && parsed.text(f) == self.entry)
        });
        let known_ok = all_nodes(expr).iter().all(|n| {
            n.kind() != "identifier" || {
                let t = parsed.text(*n);
                t == self.entry || self.known.contains(t) || RUST_NAMES.contains(&t)
            }
        });
        calls && known_ok
    }
}

/// Parses a Rust or JavaScript expression inside a small wrapper; the parsed wrapper and the
/// expression's byte range in it, when it is exactly one expression without errors.
fn other_expression(lang: Lang, fragment: &str) -> Option<(ParsedFile, std::ops::Range<usize>)> {
    let fragment = fragment.trim();
    if fragment.is_empty() || fragment.len() > 100_000 || fragment.contains("*/") {
        return None;
    }
    let (prefix, suffix) = match lang {
        Lang::Rust => ("fn __arbor() { let _ = ", "; }\n"),
        _ => ("__arbor = ", ";\n"),
    };
    let source = format!("{prefix}{fragment}{suffix}");
    let parsed = ParsedFile::parse("<fragment>", lang.language(), source).ok()?;
    if parsed.has_errors() {
        return None;
    }
    let range = prefix.len()..prefix.len() + fragment.len();
    let node = node_at(&parsed, range.clone())?;
    let parent_ok = node.parent().is_some_and(|p| {
        matches!(p.kind(), "let_declaration" | "assignment_expression")
            && p.child_by_field_name(if lang == Lang::Rust { "value" } else { "right" })
                .is_some_and(|v| v.id() == node.id())
    });
    parent_ok.then_some((parsed, range))
}

/// The largest named node covering exactly `range`.
fn node_at(parsed: &ParsedFile, range: std::ops::Range<usize>) -> Option<Node<'_>> {
    let node = parsed
        .root()
        .named_descendant_for_byte_range(range.start, range.end)?;
    (node.byte_range() == range).then_some(node)
}

/// Whether the identifiers in `range` are all in `allowed` (or the entry point).
fn names_ok(
    parsed: &ParsedFile,
    range: std::ops::Range<usize>,
    allowed: &[&str],
    entry: Option<&str>,
) -> bool {
    let Some(node) = node_at(parsed, range) else {
        return false;
    };
    all_nodes(node).iter().all(|n| match n.kind() {
        "identifier" | "shorthand_property_identifier" => {
            let t = parsed.text(*n);
            allowed.contains(&t) || Some(t) == entry
        }
        "closure_expression"
        | "arrow_function"
        | "function_expression"
        | "block"
        | "statement_block"
        | "this"
        | "self" => false,
        _ => true,
    })
}

// ---------------------------------------------------------------------------------------------
// Rust code blocks

/// `assert_eq!(call, value)` and `assert!(expr)` lines in the fenced code blocks of a Rust
/// comment block.
fn rust_code_blocks(ctx: &Ctx, block: &[DocLine], consumed: &mut [bool], out: &mut Vec<Example>) {
    let mut i = 0;
    while i < block.len() {
        let fence = block[i].text.trim();
        if !fence.starts_with("```") {
            i += 1;
            continue;
        }
        let info = fence.trim_start_matches('`').trim();
        let code_block = info.is_empty()
            || info
                .split(',')
                .any(|w| matches!(w.trim(), "rust" | "should_panic" | "no_run" | "edition2021"));
        let ignored = info
            .split(',')
            .any(|w| matches!(w.trim(), "ignore" | "text" | "compile_fail"));
        let start = i + 1;
        let mut end = start;
        while end < block.len() && !block[end].text.trim().starts_with("```") {
            end += 1;
        }
        if code_block && !ignored {
            rust_asserts(ctx, &block[start..end], &mut consumed[start..end], out);
        }
        i = end + 1;
    }
}

fn rust_asserts(ctx: &Ctx, lines: &[DocLine], consumed: &mut [bool], out: &mut Vec<Example>) {
    let mut code = String::new();
    let mut starts = Vec::new();
    for l in lines {
        starts.push(code.len());
        let t = l.text.trim_start();
        let t = t
            .strip_prefix("# ")
            .unwrap_or(if t == "#" { "" } else { t });
        code.push_str(t);
        code.push('\n');
    }
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset).saturating_sub(1);
    let mut at = 0;
    while at < code.len() {
        let Some(found) = ["assert_eq!", "assert!"]
            .iter()
            .filter_map(|m| code[at..].find(m).map(|i| (at + i, *m)))
            .min()
        else {
            break;
        };
        let (start, macro_name) = found;
        at = start + macro_name.len();
        if code[..start]
            .chars()
            .next_back()
            .is_some_and(|c| is_word_char(c) || c == '.')
        {
            continue;
        }
        let rest = &code[at..];
        let open = at + (rest.len() - rest.trim_start().len());
        if !code[open..].starts_with('(') {
            continue;
        }
        let Some(end) = balanced_end(&code, open) else {
            continue;
        };
        at = end;
        let args = split_top_level(&code[open + 1..end - 1]);
        let example = match (macro_name, &args[..]) {
            ("assert_eq!", [a, b, ..]) => {
                let (call, value) = if ctx.rust_call_ok(a) { (a, b) } else { (b, a) };
                (ctx.rust_call_ok(call) && !ctx.rust_call_ok(value))
                    .then(|| {
                        ctx.value(value)
                            .map(|v| (call.trim().to_string(), Expected::Value(v)))
                    })
                    .flatten()
            }
            ("assert!", [e, ..]) => ctx
                .rust_call_ok(e)
                .then(|| (e.trim().to_string(), Expected::Holds)),
            _ => None,
        };
        if let Some((call, expected)) = example {
            let first = line_of(start);
            let last = line_of(end.saturating_sub(1));
            for c in consumed.iter_mut().take(last + 1).skip(first) {
                *c = true;
            }
            let source = lines[first..=last.min(lines.len() - 1)]
                .iter()
                .map(|l| l.text.trim())
                .collect::<Vec<_>>()
                .join("\n");
            out.push(Example {
                line: lines[first].line,
                source,
                call: normalize_call(&call),
                expected,
            });
        }
    }
}

/// `text` split at its commas outside brackets and strings.
fn split_top_level(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut current = String::new();
    for c in text.chars() {
        if let Some(q) = quote {
            current.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        parts.push(current);
    }
    parts
}
