//! HumanEval-style evaluation. Problems and samples in OpenAI human-eval's JSONL format
//! ([`data`]), each sample run in its own sandboxed `python3` process ([`sandbox`]), and the
//! unbiased pass@k estimator ([`passk`]).
//!
//! This first part scores samples produced by any tool; generating them with Arbor's model
//! and the dataset catalog come next.

pub mod data;
pub mod datasets;
pub mod error;
pub mod passk;
pub mod sandbox;
pub mod score;

pub use data::{load_problems, load_samples, Problem, Sample};
pub use error::EvalError;
pub use passk::{pass_at_k, summarize, Summary};
pub use sandbox::{Isolation, Sandbox, SandboxOptions, Verdict};
pub use score::{results_path, score_samples, task_counts, write_results, SampleResult};
