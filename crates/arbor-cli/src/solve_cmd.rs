//! `arbor solve FILE --function NAME`: candidates from the model, checked against the
//! documentation's examples in the sandbox, the best one printed (or written with `--write`).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use arbor_eval::solve::{self, SolveOptions, Verdict};
use arbor_eval::{Sandbox, SandboxOptions};
use clap::Args;

use crate::args::{at_least_one, seconds, SamplingArgs};
use crate::generate_cmd::ModelArgs;
use crate::Outcome;

/// Arguments of `arbor solve`.
#[derive(Debug, Args)]
pub struct SolveArgs {
    /// The Python, Rust or JavaScript file that holds the function.
    file: PathBuf,
    /// The function whose body to write (its signature and documentation stay).
    #[arg(long, value_name = "NAME")]
    function: String,
    /// Candidates to draw.
    #[arg(short = 'n', long = "candidates", default_value_t = 20, value_parser = at_least_one)]
    candidates: usize,
    /// Replace the function's body in FILE with the chosen one (only the body; refused when
    /// the file changed meanwhile).
    #[arg(long)]
    write: bool,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    sampling: SamplingArgs,
    #[command(flatten)]
    decode: crate::args::DecodeArgs,
    /// Seconds each candidate may run on the examples.
    #[arg(long, default_value_t = 3.0, value_parser = seconds)]
    timeout: f64,
    /// The outcome as one JSON object.
    #[arg(long)]
    json: bool,
}

/// `arbor solve`: exit 0 with a body that passes every example (or, without examples, the
/// largest behaviour group's), 1 when none passes.
pub fn solve(args: SolveArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    args.model.apply_threads()?;
    let source = std::fs::read_to_string(&args.file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let stub = solve::find_stub(&args.file, source, &args.function)?;
    let sandbox = Sandbox::new(SandboxOptions {
        timeout: Duration::from_secs_f64(args.timeout),
        ..SandboxOptions::default()
    })?;
    if let Some(warning) = arbor_eval::report::isolation_warning(&sandbox) {
        eprintln!("arbor: warning: {warning}");
    }
    let model = &mut args.model.load()?;
    let options = SolveOptions {
        n: args.candidates,
        batch: args.decode.batch,
        params: args
            .sampling
            .params(args.candidates, 0.95, args.decode.max_tokens, Vec::new()),
        format: arbor_lm::catalog::entry(&args.model.model)
            .and_then(|e| e.prompt_format)
            .unwrap_or_else(|| model.prompt_format()),
        workers: arbor_eval::report::default_workers(None),
    };
    let bar = crate::progress_bar(0, "{spinner} {msg}");
    let progress = |message: &str| {
        if let Some(bar) = &bar {
            bar.set_message(message.to_string());
        }
    };
    let solution = solve::solve(model, &stub, &sandbox, &options, &progress);
    crate::finish(bar);
    let solution = solution?;
    let best = solution.best();
    if args.json {
        writeln!(out, "{}", solution.to_json(&stub))?;
    } else {
        write!(out, "{}", best.completion)?;
        if !best.completion.ends_with('\n') {
            writeln!(out)?;
        }
        eprintln!("arbor: {}: {}", args.function, solution.summary());
        if let Some(example) = solution.failed_example() {
            let source: Vec<&str> = example.source.lines().map(str::trim).collect();
            eprintln!("arbor: fails line {}: {}", example.line, source.join(" → "));
        }
    }
    if solution.verdict == Verdict::NoneSatisfies {
        return Ok(Outcome::Findings);
    }
    if args.write {
        solve::write_body(&stub, &best.completion)?;
        eprintln!(
            "arbor: wrote the body of {} in {}",
            args.function,
            args.file.display()
        );
    }
    Ok(Outcome::Ok)
}
