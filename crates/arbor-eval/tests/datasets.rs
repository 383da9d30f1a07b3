//! The built-in problem set: every canonical solution passes, and the tests are real (a body
//! that returns None fails every one of them).

use arbor_eval::{load_problems, score_samples, Sample, Sandbox, SandboxOptions};

#[test]
fn built_in_problems_are_sound() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("arbor-python.jsonl");
    std::fs::write(&path, arbor_eval::datasets::ARBOR_PYTHON).unwrap();
    let problems = load_problems(&path).unwrap();
    assert!(problems.len() >= 20, "{} problems", problems.len());
    let sandbox = Sandbox::new(SandboxOptions::default()).unwrap();
    for (completion, expect_pass) in [(None, true), (Some("    return None\n"), false)] {
        let samples: Vec<Sample> = problems
            .iter()
            .map(|p| Sample {
                task_id: p.task_id.clone(),
                completion: completion.unwrap_or(&p.canonical_solution).to_string(),
                fields: serde_json::Map::new(),
            })
            .collect();
        let results = score_samples(&sandbox, &problems, &samples, 2, &|_| {}).unwrap();
        for r in &results {
            assert_eq!(
                r.verdict.passed(),
                expect_pass,
                "{}: {}",
                r.sample.task_id,
                r.verdict.result_text()
            );
        }
    }
}
