//! What a sample does, beyond pass or fail: which of its prompt's examples hold, and a
//! digest of its outputs on inputs that tell behaviours apart (AlphaCode's clustering). Both
//! run in the sandbox like the tests do, one program per sample (`probe.py` after the sample's
//! code); the report comes back on stdout, each line marked with a nonce the sample cannot
//! know.
//!
//! Behaviour inputs are the examples' own calls, the same calls with one argument mutated
//! (an integer moved, a character dropped, a list shortened or shuffled) and values drawn
//! from the parameters' annotations (`List[int]`, `str`, `Tuple[int, int]`, …), made from the
//! prompt alone under a seed, so every sample of a task gets the same inputs. Rust problems
//! get the same kinds of inputs from their examples' calls and parameter types (see
//! `rust_probe`; one compiled test program per sample, whose examples hold or fail
//! together). JavaScript problems have example checks only, judged one by one.

use std::hash::{Hash, Hasher};

use crate::data::Problem;
use crate::examples::{self, Example, Expected};
use crate::rust_probe;
use crate::sandbox::{Sandbox, Verdict};

/// The probe's source, run after the sample's code.
const SOURCE: &str = include_str!("probe.py");

/// How many inputs beyond the examples' own calls a behaviour probe makes.
pub const BEHAVIOUR_INPUTS: usize = 20;

/// A report line of the probe: kind (`e` example, `b` behaviour input), index, whether it
/// held, digest.
type ReportLine = (String, usize, bool, String);

/// What a probe learned of one sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleOutcome {
    /// Per example of the task, whether it held (false where the probe did not get to it).
    pub held: Vec<bool>,
    /// The probe's verdict (a sample that timed out on an example holds none).
    pub verdict: Verdict,
}

impl ExampleOutcome {
    /// Whether every example held (and the probe ran to its end); true when there are none.
    pub fn all_held(&self) -> bool {
        self.verdict.passed() && self.held.iter().all(|&h| h)
    }

    /// How many examples held.
    pub fn count(&self) -> usize {
        self.held.iter().filter(|&&h| h).count()
    }
}

/// A task's examples with what probing them needs.
#[derive(Debug, Clone)]
pub struct TaskProbe<'a> {
    problem: &'a Problem,
    /// The prompt's examples.
    pub examples: Vec<Example>,
    /// Seed of the behaviour inputs.
    seed: u64,
    nonce: String,
    /// A Rust problem's behaviour probe (its test module; `None` without inputs to try),
    /// made once for all the task's samples.
    rust_probe: std::sync::OnceLock<Option<String>>,
}

impl<'a> TaskProbe<'a> {
    /// The probe of `problem` (its examples extracted from the prompt); `seed` decides the
    /// behaviour inputs.
    pub fn new(problem: &'a Problem, seed: u64) -> Self {
        Self::with_examples(problem, examples::extract(problem), seed)
    }

    /// The probe of `problem` with the given examples.
    pub fn with_examples(problem: &'a Problem, examples: Vec<Example>, seed: u64) -> Self {
        let mut bytes = [0u8; 12];
        // Without randomness the nonce is only harder to use, not needed for correctness.
        let _ = getrandom::fill(&mut bytes);
        let nonce = format!(
            "arbor-probe-{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        TaskProbe {
            problem,
            examples,
            seed,
            nonce,
            rust_probe: std::sync::OnceLock::new(),
        }
    }

    /// Whether the examples and behaviour inputs run in Python (else the examples run as the
    /// problem's own kind of test).
    fn python(&self) -> bool {
        self.problem.language() == arbor_syntax::Language::Python
    }

    /// Which examples `completion` satisfies.
    pub fn examples(&self, sandbox: &Sandbox, completion: &str) -> ExampleOutcome {
        if self.examples.is_empty() {
            return ExampleOutcome {
                held: Vec::new(),
                verdict: Verdict::Passed,
            };
        }
        if self.problem.language() == arbor_syntax::Language::JavaScript {
            let test = examples::javascript_test_source(&self.examples, Some(&self.nonce));
            let (verdict, stdout) = sandbox.run_javascript(&self.code(completion), &test);
            return ExampleOutcome {
                held: self.held(&self.report_lines(&stdout)),
                verdict,
            };
        }
        if !self.python() {
            let problem = examples::example_problem(self.problem, &self.examples);
            let verdict = sandbox.run_sample(&problem, completion);
            return ExampleOutcome {
                held: vec![verdict.passed(); self.examples.len()],
                verdict,
            };
        }
        let (verdict, lines) = self.run(sandbox, completion, "examples");
        ExampleOutcome {
            held: self.held(&lines),
            verdict,
        }
    }

    /// Per example, whether a report line says it held.
    fn held(&self, lines: &[ReportLine]) -> Vec<bool> {
        let mut held = vec![false; self.examples.len()];
        for (kind, index, ok, _) in lines {
            if kind == "e" {
                if let Some(slot) = held.get_mut(*index) {
                    *slot = *ok;
                }
            }
        }
        held
    }

    /// A digest of what `completion` returns (or raises, or panics on) on the behaviour
    /// inputs; samples with the same digest behave alike on every input tried. `None` for
    /// JavaScript problems, and when the prompt gave no inputs to try (no literal examples,
    /// no annotations or types values can be made for) and the sample ran.
    pub fn behaviour(&self, sandbox: &Sandbox, completion: &str) -> Option<u64> {
        let (verdict, lines) = match self.problem.language() {
            arbor_syntax::Language::Python => self.run(sandbox, completion, "behaviour"),
            arbor_syntax::Language::Rust => self.run_rust(sandbox, completion)?,
            arbor_syntax::Language::JavaScript => return None,
        };
        let tried = lines.iter().any(|(kind, ..)| kind == "b");
        if !tried && verdict.passed() {
            return None;
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        match verdict {
            // Ran out of time (an input it loops on): alike with the others that did.
            Verdict::TimedOut => "timed out".hash(&mut hasher),
            _ => (verdict.passed(), lines).hash(&mut hasher),
        }
        Some(hasher.finish())
    }

    /// Runs a Rust problem's behaviour probe (see `rust_probe`) on `completion`: its verdict
    /// and report lines, floats rounded; `None` when there is no input to try.
    fn run_rust(&self, sandbox: &Sandbox, completion: &str) -> Option<(Verdict, Vec<ReportLine>)> {
        let test = self.rust_probe.get_or_init(|| {
            let entry = &self.problem.entry_point;
            let inputs = rust_probe::inputs(
                &self.problem.prompt,
                entry,
                &self.examples,
                self.seed,
                BEHAVIOUR_INPUTS,
            );
            (!inputs.is_empty()).then(|| rust_probe::test_module(entry, &inputs, &self.nonce))
        });
        let problem = Problem {
            test: test.clone()?,
            ..self.problem.clone()
        };
        let (verdict, stdout) = sandbox.run_rust(&problem, completion);
        let lines = self
            .report_lines(&stdout)
            .into_iter()
            .map(|(kind, index, ok, text)| (kind, index, ok, rust_probe::canonical_floats(&text)))
            .collect();
        Some((verdict, lines))
    }

    /// Runs the probe in `mode` on `completion`: its verdict and report lines.
    fn run(&self, sandbox: &Sandbox, completion: &str, mode: &str) -> (Verdict, Vec<ReportLine>) {
        let (verdict, stdout) = sandbox.run_with_output(&self.code(completion), &self.source(mode));
        (verdict, self.report_lines(&stdout))
    }

    /// The sample's program: the prompt, then `completion`.
    fn code(&self, completion: &str) -> String {
        format!("{}{}\n", self.problem.prompt, completion)
    }

    /// The lines of `stdout` marked with this probe's nonce.
    fn report_lines(&self, stdout: &[u8]) -> Vec<ReportLine> {
        String::from_utf8_lossy(stdout)
            .lines()
            .filter_map(|line| {
                let mut words = line.split(' ');
                if words.next()? != self.nonce {
                    return None;
                }
                let kind = words.next()?.to_string();
                let index = words.next()?.parse().ok()?;
                let ok = words.next()? == "1";
                // The rest of the line: a digest (Python) or a result's `Debug` text (Rust).
                let digest = words.collect::<Vec<_>>().join(" ");
                Some((kind, index, ok, digest))
            })
            .collect()
    }

    /// The probe program for `mode` (`examples` or `behaviour`).
    fn source(&self, mode: &str) -> String {
        let examples: Vec<serde_json::Value> = self
            .examples
            .iter()
            .map(|example| {
                let raises = match &example.expected {
                    Expected::Raises(name) => Some(name.clone()),
                    _ => None,
                };
                serde_json::json!({
                    "call": example.call,
                    "check": examples::python_check(example, "got"),
                    "raises": raises,
                })
            })
            .collect();
        let config = serde_json::json!({
            "nonce": self.nonce,
            "mode": mode,
            "entry": self.problem.entry_point,
            "prompt": self.problem.prompt,
            "examples": examples,
            "seed": self.seed,
            "count": BEHAVIOUR_INPUTS,
        });
        // A JSON string literal is a Python string literal too.
        let literal = serde_json::Value::String(config.to_string()).to_string();
        format!(
            "{}\n{SOURCE}\nimport json as _arbor_json\n_arbor_probe(_arbor_json.loads({literal}))\n",
            examples::PYTHON_HELPERS
        )
    }
}
