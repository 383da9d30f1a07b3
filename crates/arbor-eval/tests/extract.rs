//! Fixtures of `tests/fixtures/eval/extract/<case>/`: a problem's `prompt.py`, a chat model's
//! `answer.py`, and the completion expected from it (`expected.py`). The entry point is the
//! prompt's last function.

use arbor_eval::prompting::extract_completion;
use arbor_eval::Problem;
use arbor_gen::PromptFormat;
use arbor_syntax::{Language, ParsedFile};

#[test]
fn answers_are_cut_back_to_the_function_body() {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/eval/extract");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 3);
    for case in cases {
        let read = |name: &str| std::fs::read_to_string(case.join(name)).unwrap();
        let prompt = read("prompt.py");
        let entry_point = prompt
            .lines()
            .filter_map(|l| l.strip_prefix("def "))
            .next_back()
            .and_then(|rest| rest.split('(').next())
            .unwrap()
            .to_string();
        let problem = Problem {
            task_id: case.display().to_string(),
            prompt: prompt.clone(),
            canonical_solution: String::new(),
            test: String::new(),
            entry_point,
        };
        let extracted = extract_completion(&problem, &read("answer.py"), PromptFormat::ChatMl);
        assert_eq!(extracted.postprocess, "function-body", "{}", case.display());
        assert_eq!(
            extracted.completion,
            read("expected.py"),
            "{}",
            case.display()
        );
        let program = format!("{prompt}{}", extracted.completion);
        let parsed = ParsedFile::parse("p.py", Language::Python, program).unwrap();
        assert!(
            !parsed.has_errors(),
            "{}: {}",
            case.display(),
            parsed.source()
        );
    }
}
