//! `arbor eval report`: one self-contained HTML page for one or more run directories of
//! `arbor eval run` ([`crate::run`]): the settings side by side, pass@k against k (and n@k
//! when a run has a `selection.json`), a per-task heat map, and the robustness runs in its
//! `perturb-*` subdirectories ([`crate::robust`]) as grouped bars.
//!
//! The page has no JavaScript and loads nothing: CSS and SVG are inline. The line and bar
//! charts are drawn with `plotters`' SVG backend (text stays SVG `<text>`, no font is read);
//! the heat map is written directly, for a `<title>` tooltip on each cell. Every text taken
//! from a file (task ids, directory names, settings) is escaped.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Deserialize;

use crate::data::{load_samples, Sample};
use crate::error::EvalError;
use crate::passk::{summarize, Summary};
use crate::robust::{compare, Comparison};
use crate::run::{SAMPLES_FILE, SETTINGS_FILE};
use crate::sandbox::Verdict;
use crate::score::{results_path, SampleResult};

/// The file the selection step (`arbor eval select`) adds to a run directory; optional.
pub const SELECTION_FILE: &str = "selection.json";

/// The k of the pass@k chart, those up to the samples per task.
const CHART_KS: [usize; 7] = [1, 2, 5, 10, 20, 50, 100];
/// The k of pass@k in the settings table.
const TABLE_KS: [usize; 3] = [1, 10, 100];
/// The n of the n@k chart.
const SELECTION_NS: [usize; 2] = [1, 10];
/// Line colours, one per run or strategy (cycled).
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x17, 0xbe, 0xcf),
];
/// The robustness chart's nominal bars.
const NOMINAL_COLOUR: RGBColor = RGBColor(0x8c, 0xa6, 0xc4);
/// The robustness chart's perturbed bars.
const PERTURBED_COLOUR: RGBColor = RGBColor(0xd6, 0x5f, 0x27);
/// The heat map's colour for a share of 1 (0 is white).
const FULL: (u8, u8, u8) = (0x00, 0x6d, 0x2c);
/// The settings of `run.json` in the order of [`crate::run::RunSettings`]; others follow.
const SETTINGS_ORDER: [&str; 11] = [
    "dataset",
    "model",
    "prompt_format",
    "temperature",
    "top_p",
    "top_k",
    "repeat_penalty",
    "max_tokens",
    "seed",
    "perturb",
    "partial_code",
];

/// What went into a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSummary {
    /// The run directories, in the order given (one column or line each).
    pub runs: Vec<PathBuf>,
    /// Distinct tasks over all runs (rows of the heat map).
    pub tasks: usize,
    /// Charts on the page (each one inline `<svg>`).
    pub charts: usize,
    /// Runs with a `selection.json` (one n@k chart each).
    pub selections: usize,
    /// `perturb-*` directories read, over all runs.
    pub perturbations: usize,
    /// `perturb-*` directories left out (no results file yet), as `dir: why`.
    pub skipped: Vec<String>,
    /// Bytes written.
    pub bytes: usize,
}

/// Writes the report on the run directories `dirs` to `out` (through a temporary file
/// beside it, renamed into place). Each directory needs its results file
/// (`samples.jsonl_results.jsonl`); `run.json`, `selection.json` and `perturb-*`
/// subdirectories are shown when present.
pub fn write_report(dirs: &[PathBuf], out: &Path) -> Result<ReportSummary, EvalError> {
    if dirs.is_empty() {
        return Err(EvalError::Mismatch(
            "a report needs at least one run directory".into(),
        ));
    }
    let mut runs = Vec::with_capacity(dirs.len());
    for dir in dirs {
        runs.push(load_run(dir)?);
    }
    disambiguate(&mut runs);
    let page = render(&runs)?;
    let summary = ReportSummary {
        runs: dirs.to_vec(),
        tasks: task_order(&runs).len(),
        charts: page.charts,
        selections: runs.iter().filter(|r| r.selection.is_some()).count(),
        perturbations: runs
            .iter()
            .flat_map(|r| &r.robustness)
            .map(|b| b.dirs)
            .sum(),
        skipped: runs.iter().flat_map(|r| r.skipped.clone()).collect(),
        bytes: page.html.len(),
    };
    crate::atomic::write_file(out, page.html.as_bytes())?;
    Ok(summary)
}

/// One run directory, read.
struct Run {
    /// The directory's name (made unique among the runs).
    name: String,
    /// The directory as given.
    dir: PathBuf,
    /// `run.json`, when there is one.
    settings: Option<serde_json::Map<String, serde_json::Value>>,
    /// `(task_id, samples, passed)` in the order of the results file.
    counts: Vec<(String, usize, usize)>,
    /// pass@k for [`CHART_KS`] and [`TABLE_KS`].
    summary: Summary,
    /// Seconds of decoding recorded with the samples, and how many samples recorded it.
    decode: Option<(f64, usize)>,
    /// `selection.json`, when there is one.
    selection: Option<Selection>,
    /// One entry per transform with a `perturb-*` directory.
    robustness: Vec<RobustBar>,
    /// `perturb-*` directories left out, as `dir: why`.
    skipped: Vec<String>,
}

impl Run {
    /// The most samples any task has.
    fn samples_per_task(&self) -> usize {
        self.counts.iter().map(|(_, n, _)| *n).max().unwrap_or(0)
    }

    /// The k of the pass@k chart.
    fn chart_ks(&self) -> Vec<usize> {
        let n = self.samples_per_task();
        CHART_KS.into_iter().filter(|&k| k <= n.max(1)).collect()
    }
}

/// `selection.json` as the selection step writes it (fields this page does not use are
/// ignored).
#[derive(Debug, Clone, Deserialize)]
struct Selection {
    /// The k of every list.
    ks: Vec<usize>,
    /// pass@k at each k.
    #[serde(default)]
    pass_at_k: Vec<Option<f64>>,
    /// n@k per strategy.
    #[serde(default)]
    strategies: Vec<Strategy>,
}

/// One selection strategy's n@k.
#[derive(Debug, Clone, Deserialize)]
struct Strategy {
    /// Its name.
    name: String,
    /// n → n@k at each k of [`Selection::ks`] (`null`: undefined or not computed).
    #[serde(default)]
    n_at_k: BTreeMap<String, Vec<Option<f64>>>,
}

/// One transform's bars: nominal and perturbed pass@1 on the tasks it changed.
#[derive(Debug, Clone)]
struct RobustBar {
    /// The transform's id.
    transform: String,
    /// Its `perturb-*` directories (versions).
    dirs: usize,
    /// The scores on the tasks some version changed.
    changed: Comparison,
    /// The scores over every task (unchanged ones count with their nominal results), as
    /// `arbor eval run --perturb` reports them.
    whole: Comparison,
}

/// Reads a run directory: its results (required), settings, selection and perturbations.
fn load_run(dir: &Path) -> Result<Run, EvalError> {
    if !dir.is_dir() {
        return Err(EvalError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "not a run directory (no such directory)",
            ),
        });
    }
    let results = load_results(dir)?;
    let settings = read_settings(&dir.join(SETTINGS_FILE))?;
    let counts = counts_in_order(&results);
    let mut ks: Vec<usize> = CHART_KS.into_iter().chain(TABLE_KS).collect();
    ks.sort_unstable();
    ks.dedup();
    let summary = summarize(&counts, &ks);
    let decode = decode_time(&results);
    let selection = read_selection(&dir.join(SELECTION_FILE))?;
    let (robustness, skipped) = load_robustness(dir, &results)?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
    Ok(Run {
        name,
        dir: dir.to_path_buf(),
        settings,
        counts,
        summary,
        decode,
        selection,
        robustness,
        skipped,
    })
}

/// Runs with the same directory name are told apart by their paths.
fn disambiguate(runs: &mut [Run]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for run in runs.iter() {
        *seen.entry(run.name.clone()).or_default() += 1;
    }
    for run in runs.iter_mut() {
        if seen[&run.name] > 1 {
            run.name = run.dir.display().to_string();
        }
    }
}

/// The results file of a run directory, each line's `passed` as the verdict.
fn load_results(dir: &Path) -> Result<Vec<SampleResult>, EvalError> {
    let path = results_path(&dir.join(SAMPLES_FILE));
    if !path.exists() {
        return Err(EvalError::Mismatch(format!(
            "{}: no results file (a run directory holds `{}`, written when its samples are \
             scored by `arbor eval run` or `arbor eval score`)",
            path.display(),
            path.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        )));
    }
    let samples = load_samples(&path)?;
    samples
        .into_iter()
        .enumerate()
        .map(|(i, sample)| result_of(&path, i + 1, sample))
        .collect()
}

/// A results line as a scored sample (`passed` must be a boolean).
fn result_of(path: &Path, line: usize, sample: Sample) -> Result<SampleResult, EvalError> {
    let passed = match sample.fields.get("passed") {
        Some(serde_json::Value::Bool(b)) => *b,
        _ => {
            return Err(EvalError::Format {
                path: path.to_path_buf(),
                line,
                message: "`passed` is missing or not a boolean (not a results file?)".into(),
            })
        }
    };
    let verdict = if passed {
        Verdict::Passed
    } else {
        let why = sample
            .fields
            .get("result")
            .and_then(|r| r.as_str())
            .unwrap_or("failed");
        Verdict::Failed(why.to_string())
    };
    Ok(SampleResult {
        sample,
        verdict,
        seconds: 0.0,
    })
}

/// `(task_id, samples, passed)` per task in the order tasks first appear.
fn counts_in_order(results: &[SampleResult]) -> Vec<(String, usize, usize)> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut counts: Vec<(String, usize, usize)> = Vec::new();
    for r in results {
        let task = r.sample.task_id.as_str();
        let i = *index.entry(task).or_insert_with(|| {
            counts.push((task.to_string(), 0, 0));
            counts.len() - 1
        });
        counts[i].1 += 1;
        counts[i].2 += usize::from(r.verdict.passed());
    }
    counts
}

/// The total of the samples' `decode_secs`, and how many samples had it.
fn decode_time(results: &[SampleResult]) -> Option<(f64, usize)> {
    let secs: Vec<f64> = results
        .iter()
        .filter_map(|r| r.sample.fields.get("decode_secs")?.as_f64())
        .collect();
    (!secs.is_empty()).then(|| (secs.iter().sum(), secs.len()))
}

/// `run.json` as a JSON object; `None` when there is none.
fn read_settings(
    path: &Path,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, EvalError> {
    let Some(text) = read_optional(path)? else {
        return Ok(None);
    };
    match serde_json::from_str(&text) {
        Ok(serde_json::Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err(EvalError::Format {
            path: path.to_path_buf(),
            line: 1,
            message: "not a JSON object".into(),
        }),
        Err(e) => Err(EvalError::Format {
            path: path.to_path_buf(),
            line: e.line(),
            message: format!("not JSON: {e}"),
        }),
    }
}

/// `selection.json`; `None` when there is none.
fn read_selection(path: &Path) -> Result<Option<Selection>, EvalError> {
    let Some(text) = read_optional(path)? else {
        return Ok(None);
    };
    let selection: Selection = serde_json::from_str(&text).map_err(|e| EvalError::Format {
        path: path.to_path_buf(),
        line: e.line(),
        message: format!("not a selection: {e}"),
    })?;
    Ok(Some(selection))
}

/// A file's text, `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<String>, EvalError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(EvalError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The transform and version of a `perturb-*` directory: from its `run.json` (`perturb`:
/// `id` or `id variant v`), else from the name (`perturb-id` or `perturb-id-v`, `id` a known
/// transform where the name is ambiguous).
fn transform_version(
    name: &str,
    settings: Option<&serde_json::Map<String, serde_json::Value>>,
) -> (String, usize) {
    if let Some(tag) = settings.and_then(|s| s.get("perturb")?.as_str()) {
        return match tag.split_once(" variant ") {
            Some((id, v)) => (id.to_string(), v.trim().parse().unwrap_or(0)),
            None => (tag.to_string(), 0),
        };
    }
    let rest = name.strip_prefix("perturb-").unwrap_or(name);
    if arbor_augment::by_id(rest).is_some() {
        return (rest.to_string(), 0);
    }
    match rest.rsplit_once('-') {
        Some((id, v))
            if !id.is_empty() && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (id.to_string(), v.parse().unwrap_or(0))
        }
        _ => (rest.to_string(), 0),
    }
}

/// The robustness runs under a nominal run directory, compared with its `nominal` results
/// as [`crate::robust::compare`] does. A version's directory holds only the prompts no
/// earlier version had: a task missing from version `v` but present in an earlier one is
/// taken as a repeat of that version's prompt (as the robustness run copies them), which
/// gives the same worst case.
fn load_robustness(
    dir: &Path,
    nominal: &[SampleResult],
) -> Result<(Vec<RobustBar>, Vec<String>), EvalError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) => {
            return Err(EvalError::Io {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n.starts_with("perturb-"))
        .collect();
    names.sort();
    let mut skipped = Vec::new();
    let mut by_transform: BTreeMap<String, Vec<(usize, Vec<SampleResult>)>> = BTreeMap::new();
    for name in names {
        let sub = dir.join(&name);
        if !results_path(&sub.join(SAMPLES_FILE)).exists() {
            skipped.push(format!(
                "{name}: no results file (the run has not finished)"
            ));
            continue;
        }
        let settings = read_settings(&sub.join(SETTINGS_FILE))?;
        let (transform, version) = transform_version(&name, settings.as_ref());
        let results = load_results(&sub)?;
        by_transform
            .entry(transform)
            .or_default()
            .push((version, results));
    }
    let mut bars = Vec::new();
    for (transform, mut versions) in by_transform {
        versions.sort_by_key(|(v, _)| *v);
        let dirs = versions.len();
        let mut filled: Vec<Vec<SampleResult>> = Vec::with_capacity(dirs);
        for (_, mut results) in versions {
            let mut have: HashSet<String> =
                results.iter().map(|r| r.sample.task_id.clone()).collect();
            // A task an earlier version had and this one lacks: that version's results
            // (the first one that had it).
            for earlier in &filled {
                let supplied: Vec<SampleResult> = earlier
                    .iter()
                    .filter(|r| !have.contains(&r.sample.task_id))
                    .cloned()
                    .collect();
                have.extend(supplied.iter().map(|r| r.sample.task_id.clone()));
                results.extend(supplied);
            }
            filled.push(results);
        }
        let changed_tasks: HashSet<&str> = filled
            .iter()
            .flatten()
            .map(|r| r.sample.task_id.as_str())
            .collect();
        let nominal_changed: Vec<SampleResult> = nominal
            .iter()
            .filter(|r| changed_tasks.contains(r.sample.task_id.as_str()))
            .cloned()
            .collect();
        bars.push(RobustBar {
            transform,
            dirs,
            changed: compare(&nominal_changed, &filled, &[1]),
            whole: compare(nominal, &filled, &[1]),
        });
    }
    Ok((bars, skipped))
}

/// Every task over the runs, in the order of the first run's results file, then the tasks
/// only later runs have.
fn task_order(runs: &[Run]) -> Vec<&str> {
    let mut seen = HashSet::new();
    runs.iter()
        .flat_map(|r| r.counts.iter().map(|(t, _, _)| t.as_str()))
        .filter(|t| seen.insert(*t))
        .collect()
}

/// Text escaped for HTML (element content and quoted attributes alike).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The heat map's colour of a share of passed samples: white at 0, dark green at 1,
/// linear in between (`#rrggbb`).
pub fn share_colour(share: f64) -> String {
    let s = if share.is_finite() {
        share.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mix = |full: u8| (255.0 + (f64::from(full) - 255.0) * s).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(FULL.0), mix(FULL.1), mix(FULL.2))
}

/// The page, and how many charts it has.
struct Page {
    html: String,
    charts: usize,
}

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;\
margin:0 auto;padding:1.5rem 2rem 3rem;max-width:1340px;color:#1b1f24;background:#fff;line-height:1.4}\
h1{font-size:1.6rem;margin:0 0 .3rem}h2{font-size:1.25rem;margin:2rem 0 .6rem;\
border-bottom:1px solid #d0d7de;padding-bottom:.25rem}h3{font-size:1.02rem;margin:1.2rem 0 .4rem}\
p.lead,p.note{color:#57606a;margin:.3rem 0 .8rem}\
table{border-collapse:collapse;font-size:.9rem;margin:.4rem 0 1rem}\
th,td{border:1px solid #d0d7de;padding:.22rem .55rem;text-align:left;vertical-align:top}\
thead th{background:#f6f8fa}tbody th{font-weight:600;background:#fbfcfd;white-space:nowrap}\
td.num{text-align:right;font-variant-numeric:tabular-nums}\
tr.score td,tr.score th{background:#eef7f0}\
.charts{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}\
figure{display:inline-block;vertical-align:top;margin:0;padding:.5rem;border:1px solid #d0d7de;border-radius:6px;background:#fff}\
figcaption{font-size:.85rem;color:#57606a;margin-top:.3rem;max-width:600px}\
svg{display:block;max-width:100%;height:auto}\
footer{margin-top:2.5rem;font-size:.85rem;color:#57606a;border-top:1px solid #d0d7de;padding-top:.6rem}\
code{font-size:.9em}\
span.key{display:inline-block;width:.8em;height:.8em;vertical-align:-.05em;border-radius:2px}";

/// The whole page.
fn render(runs: &[Run]) -> Result<Page, EvalError> {
    let mut h = String::new();
    page_head(&mut h, runs);

    // 1. Settings.
    h.push_str("<section id=\"settings\">\n<h2>Runs and settings</h2>\n");
    settings_table(&mut h, runs);
    h.push_str("</section>\n");

    // 2. pass@k and n@k.
    let mut charts = pass_at_k_section(&mut h, runs)?;
    // 3. Heat map.
    charts += tasks_section(&mut h, runs);
    // 4. Robustness.
    charts += robustness_section(&mut h, runs)?;
    // 5. Footer.
    footer(&mut h, runs);
    Ok(Page { html: h, charts })
}

/// The document's head, the title and the numbered list of runs.
fn page_head(h: &mut String, runs: &[Run]) {
    let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"arbor {}\">\n<title>Arbor evaluation report: {}</title>\n\
         <style>{STYLE}</style>\n</head>\n<body>\n<h1>Evaluation report</h1>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&names.join(", ")),
    );
    let _ = writeln!(
        h,
        "<p class=\"lead\">{} run{}: {}</p>",
        runs.len(),
        if runs.len() == 1 { "" } else { "s" },
        runs.iter()
            .enumerate()
            .map(|(i, r)| format!("<b>{}</b>&nbsp;<code>{}</code>", i + 1, escape(&r.name)))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// The pass@k chart and each run's n@k chart, in a section; returns how many charts it drew.
fn pass_at_k_section(h: &mut String, runs: &[Run]) -> Result<usize, EvalError> {
    let mut charts = 0;
    h.push_str("<section id=\"pass-at-k\">\n<h2>pass@k</h2>\n<div class=\"charts\">\n");
    h.push_str("<figure>");
    h.push_str(&pass_at_k_chart(runs)?);
    charts += 1;
    h.push_str(
        "<figcaption>The unbiased estimator of Chen et al. (2021) at k = 1, 2, 5, 10, 20, 50, \
         100 up to the samples per task; x axis logarithmic.</figcaption></figure>\n",
    );
    for run in runs {
        if let Some(selection) = &run.selection {
            h.push_str("<figure>");
            h.push_str(&n_at_k_chart(run, selection)?);
            charts += 1;
            let _ = writeln!(
                h,
                "<figcaption>n@k of <code>{}</code> (AlphaCode's: the share of tasks solved \
                 when n of k samples may be submitted), per selection strategy, from its \
                 <code>{SELECTION_FILE}</code>; pass@k (dashed) is the upper bound.\
                 </figcaption></figure>",
                escape(&run.name)
            );
        }
    }
    h.push_str("</div>\n</section>\n");
    Ok(charts)
}

/// The per-task heat map with its note, in a section; returns how many charts it drew.
fn tasks_section(h: &mut String, runs: &[Run]) -> usize {
    h.push_str("<section id=\"tasks\">\n<h2>Per task</h2>\n");
    let tasks = task_order(runs);
    let solved: Vec<String> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let solved = r.counts.iter().filter(|(_, _, c)| *c > 0).count();
            format!("<b>{}</b>&nbsp;{solved}/{}", i + 1, r.counts.len())
        })
        .collect();
    let _ = writeln!(
        h,
        "<p class=\"note\">Share of samples passed per task (white: none, dark green: all); \
         hover a cell for its task and counts. Tasks solved by some sample: {}.</p>",
        solved.join(", ")
    );
    h.push_str("<figure>");
    h.push_str(&heat_map(runs, &tasks));
    h.push_str("</figure>\n</section>\n");
    1
}

/// Each run's robustness chart and table (or a note that there are none), in a section;
/// returns how many charts it drew.
fn robustness_section(h: &mut String, runs: &[Run]) -> Result<usize, EvalError> {
    let mut charts = 0;
    h.push_str("<section id=\"robustness\">\n<h2>Robustness</h2>\n");
    let mut any = false;
    for run in runs {
        for note in &run.skipped {
            let _ = writeln!(
                h,
                "<p class=\"note\"><code>{}</code>: left out {}</p>",
                escape(&run.name),
                escape(note)
            );
        }
        if run.robustness.is_empty() {
            continue;
        }
        any = true;
        let _ = writeln!(h, "<h3><code>{}</code></h3>", escape(&run.name));
        h.push_str("<div class=\"charts\">\n<figure>");
        h.push_str(&robustness_chart(run)?);
        charts += 1;
        h.push_str(&format!(
            "<figcaption>pass@1 on the tasks each transform changed: on the \
                 <span class=\"key\" style=\"background:{}\"></span>&nbsp;nominal prompts \
                 and on the <span class=\"key\" style=\"background:{}\"></span>&nbsp;perturbed \
                 ones (with several versions, ReCode's worst case: a sample counts only if it \
                 passes in every version).</figcaption></figure>\n",
            hex(NOMINAL_COLOUR),
            hex(PERTURBED_COLOUR)
        ));
        robustness_table(h, run);
        h.push_str("</div>\n");
    }
    if !any {
        h.push_str(
            "<p class=\"note\">No robustness runs (<code>perturb-*</code> directories) in \
             these run directories.</p>\n",
        );
    }
    h.push_str("</section>\n");
    Ok(charts)
}

/// The footer: each run's directory and summed decode time, and the generator.
fn footer(h: &mut String, runs: &[Run]) {
    h.push_str("<footer>\n");
    for (i, run) in runs.iter().enumerate() {
        let _ = write!(
            h,
            "<b>{}</b>&nbsp;<code>{}</code>: ",
            i + 1,
            escape(&run.dir.display().to_string())
        );
        match run.decode {
            Some((secs, count)) => {
                let _ = write!(
                    h,
                    "per-sample decode time {} summed over {count} samples ({:.2} s each; \
                     samples decoded in one batch overlap, so the wall time is shorter)",
                    duration(secs),
                    secs / count as f64
                );
            }
            None => h.push_str("no generation time recorded"),
        }
        h.push_str(".<br>\n");
    }
    let _ = writeln!(
        h,
        "Written by <code>arbor eval report</code>, Arbor {}.\n</footer>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
}

/// A colour as `#rrggbb`.
fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Seconds as `1 h 02 min`, `3 min 05 s` or `12.3 s`.
fn duration(secs: f64) -> String {
    let whole = secs.round() as u64;
    if whole >= 3600 {
        format!("{} h {:02} min", whole / 3600, whole % 3600 / 60)
    } else if whole >= 60 {
        format!("{} min {:02} s", whole / 60, whole % 60)
    } else {
        format!("{secs:.1} s")
    }
}

/// A JSON value as a table cell's text.
fn cell_text(value: Option<&serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => "—".into(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

/// Section 1: one column per run, a row per setting, then the counts and pass@k.
fn settings_table(h: &mut String, runs: &[Run]) {
    h.push_str("<table>\n<thead><tr><th></th>");
    for (i, run) in runs.iter().enumerate() {
        let _ = write!(
            h,
            "<th title=\"{}\">{}&nbsp;<code>{}</code></th>",
            escape(&run.dir.display().to_string()),
            i + 1,
            escape(&run.name)
        );
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    let mut keys: Vec<String> = SETTINGS_ORDER.iter().map(|k| k.to_string()).collect();
    let mut extra: Vec<String> = runs
        .iter()
        .filter_map(|r| r.settings.as_ref())
        .flat_map(|s| s.keys().cloned())
        .filter(|k| !SETTINGS_ORDER.contains(&k.as_str()))
        .collect();
    extra.sort();
    extra.dedup();
    keys.extend(extra);
    for key in &keys {
        let _ = write!(h, "<tr><th>{}</th>", escape(key));
        for run in runs {
            let text = match &run.settings {
                Some(s) => cell_text(s.get(key)),
                None if key == "dataset" => "(no run.json)".into(),
                None => "—".into(),
            };
            let _ = write!(h, "<td>{}</td>", escape(&text));
        }
        h.push_str("</tr>\n");
    }
    let row = |h: &mut String, label: &str, cells: Vec<String>, class: &str| {
        let _ = write!(h, "<tr{class}><th>{label}</th>");
        for c in cells {
            let _ = write!(h, "<td class=\"num\">{c}</td>");
        }
        h.push_str("</tr>\n");
    };
    row(
        h,
        "tasks",
        runs.iter().map(|r| r.counts.len().to_string()).collect(),
        "",
    );
    row(
        h,
        "samples per task",
        runs.iter()
            .map(|r| {
                let min = r.counts.iter().map(|(_, n, _)| *n).min().unwrap_or(0);
                let max = r.samples_per_task();
                if min == max {
                    max.to_string()
                } else {
                    format!("{min}–{max}")
                }
            })
            .collect(),
        "",
    );
    row(
        h,
        "passes",
        runs.iter()
            .map(|r| {
                let share = if r.summary.samples == 0 {
                    0.0
                } else {
                    100.0 * r.summary.passed as f64 / r.summary.samples as f64
                };
                format!("{} / {} ({share:.1}%)", r.summary.passed, r.summary.samples)
            })
            .collect(),
        "",
    );
    for k in TABLE_KS {
        if k > 1 && runs.iter().all(|r| r.samples_per_task() < k) {
            continue;
        }
        row(
            h,
            &format!("pass@{k}"),
            runs.iter()
                .map(|r| match r.summary.pass_at.get(&k) {
                    Some(v) if r.samples_per_task() >= k => format!("{v:.3}"),
                    _ => "—".into(),
                })
                .collect(),
            " class=\"score\"",
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

// plotters draws a font of size `s` at `s / 1.24` pixels: the sizes below are 17, 13 and
// 11 pixels on the page.

/// A plotters error as ours.
fn chart_error<E: std::fmt::Display>(e: E) -> EvalError {
    EvalError::Chart(e.to_string())
}

/// The top of a y axis of scores: a tenth above the largest, at most 1.
fn y_top(max: f64) -> f64 {
    if max.is_nan() || max <= 0.0 {
        return 0.1;
    }
    ((max * 1.1 * 10.0).ceil() / 10.0).min(1.0)
}

/// A line on a chart of scores against k.
struct Line {
    label: String,
    colour: RGBColor,
    /// Runs of consecutive points (a `null` breaks the line).
    points: Vec<Vec<(f64, f64)>>,
    dashed: bool,
    thin: bool,
}

/// Splits `(k, value)` pairs at the missing values.
fn segments(ks: &[usize], values: &[Option<f64>]) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for (k, v) in ks.iter().zip(values) {
        match v {
            Some(v) if v.is_finite() => current.push((*k as f64, *v)),
            _ if !current.is_empty() => out.push(std::mem::take(&mut current)),
            _ => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A chart of scores against k (log scale) with `lines`.
fn k_chart(title: &str, y_desc: &str, ks: &[usize], lines: &[Line]) -> Result<String, EvalError> {
    let k_max = ks.iter().copied().max().unwrap_or(1).max(1) as f64;
    let y_max = y_top(
        lines
            .iter()
            .flat_map(|l| l.points.iter().flatten())
            .map(|p| p.1)
            .fold(0.0, f64::max),
    );
    let keys: Vec<f64> = ks.iter().map(|&k| k as f64).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (600, 380)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 21))
            .margin(14)
            .x_label_area_size(42)
            .y_label_area_size(52)
            .build_cartesian_2d(
                (0.8f64..k_max * 1.25).log_scale().with_key_points(keys),
                0f64..y_max,
            )
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .x_desc("k")
            .y_desc(y_desc)
            .x_label_formatter(&|x| format!("{}", x.round()))
            .y_label_formatter(&|y| format!("{y:.2}"))
            .y_labels(6)
            .bold_line_style(RGBColor(0xe1, 0xe4, 0xe8))
            .light_line_style(TRANSPARENT)
            .label_style(("sans-serif", 16))
            .draw()
            .map_err(chart_error)?;
        for line in lines {
            let colour = line.colour;
            let style = colour.stroke_width(if line.thin { 1 } else { 2 });
            let mut labelled = false;
            for seg in &line.points {
                let series = if line.dashed {
                    chart.draw_series(DashedLineSeries::new(seg.iter().copied(), 7, 5, style))
                } else {
                    chart.draw_series(LineSeries::new(seg.iter().copied(), style))
                }
                .map_err(chart_error)?;
                if !labelled {
                    labelled = true;
                    let dashed = line.dashed;
                    series.label(line.label.as_str()).legend(move |(x, y)| {
                        let points = vec![(x, y), (x + 22, y)];
                        if dashed {
                            plotters::element::DashedPathElement::new(points, 5, 3, style)
                                .into_dyn()
                        } else {
                            PathElement::new(points, style).into_dyn()
                        }
                    });
                }
                if !line.dashed {
                    let marker = if line.thin {
                        colour.stroke_width(1)
                    } else {
                        colour.filled()
                    };
                    chart
                        .draw_series(seg.iter().map(|&p| Circle::new(p, 3, marker)))
                        .map_err(chart_error)?;
                }
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 16))
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(0xd0, 0xd7, 0xde))
            .draw()
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// Section 2: pass@k against k, one line per run.
fn pass_at_k_chart(runs: &[Run]) -> Result<String, EvalError> {
    let mut all_ks: Vec<usize> = runs.iter().flat_map(Run::chart_ks).collect();
    all_ks.sort_unstable();
    all_ks.dedup();
    let lines: Vec<Line> = runs
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let ks = run.chart_ks();
            let values: Vec<Option<f64>> = ks
                .iter()
                .map(|k| run.summary.pass_at.get(k).copied())
                .collect();
            Line {
                label: format!("{} {}", i + 1, run.name),
                colour: PALETTE[i % PALETTE.len()],
                points: segments(&ks, &values),
                dashed: false,
                thin: false,
            }
        })
        .collect();
    k_chart("pass@k", "pass@k", &all_ks, &lines)
}

/// Section 2: n@k against k for n = 1 and 10, one colour per strategy, pass@k dashed.
fn n_at_k_chart(run: &Run, selection: &Selection) -> Result<String, EvalError> {
    let ks = &selection.ks;
    let mut lines = Vec::new();
    for (i, strategy) in selection.strategies.iter().enumerate() {
        for n in SELECTION_NS {
            if let Some(values) = strategy.n_at_k.get(&n.to_string()) {
                lines.push(Line {
                    label: format!("{} {n}@k", strategy.name),
                    colour: PALETTE[i % PALETTE.len()],
                    points: segments(ks, values),
                    dashed: false,
                    thin: n != 1,
                });
            }
        }
    }
    let upper: Vec<Option<f64>> = if selection.pass_at_k.len() == ks.len() {
        selection.pass_at_k.clone()
    } else {
        ks.iter()
            .map(|k| run.summary.pass_at.get(k).copied())
            .collect()
    };
    lines.push(Line {
        label: "pass@k".into(),
        colour: RGBColor(0x44, 0x44, 0x44),
        points: segments(ks, &upper),
        dashed: true,
        thin: false,
    });
    k_chart(&format!("n@k: {}", run.name), "n@k", ks, &lines)
}

/// Section 4: grouped horizontal bars per transform, nominal and perturbed pass@1 on the
/// tasks it changed.
fn robustness_chart(run: &Run) -> Result<String, EvalError> {
    let bars = &run.robustness;
    let count = bars.len();
    let labels: Vec<String> = bars.iter().map(|b| b.transform.clone()).collect();
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(4);
    let label_area = (longest as u32 * 8 + 16).clamp(80, 260);
    let height = 90 + 44 * count as u32;
    let score = |c: &Comparison, nominal: bool| {
        let m = if nominal { &c.nominal } else { &c.perturbed };
        m.get(&1).copied().unwrap_or(0.0)
    };
    let x_max = y_top(
        bars.iter()
            .flat_map(|b| [score(&b.changed, true), score(&b.changed, false)])
            .fold(0.0, f64::max)
            * 1.12,
    );
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (600, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("Robustness: {}", run.name), ("sans-serif", 21))
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(label_area)
            .build_cartesian_2d(0f64..x_max, 0f64..count as f64)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .x_desc("pass@1 on the changed tasks")
            .x_label_formatter(&|x| format!("{x:.2}"))
            .x_labels(6)
            .y_labels(0)
            .bold_line_style(RGBColor(0xe1, 0xe4, 0xe8))
            .light_line_style(TRANSPARENT)
            .disable_y_mesh()
            .label_style(("sans-serif", 16))
            .draw()
            .map_err(chart_error)?;
        // The transforms' names beside their bars (row i from the top).
        let name_style = TextStyle::from(("sans-serif", 16).into_font())
            .color(&RGBColor(0x1b, 0x1f, 0x24))
            .pos(Pos::new(HPos::Right, VPos::Center));
        for (i, label) in labels.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(0.0, (count - 1 - i) as f64 + 0.5));
            root.draw(&Text::new(label.clone(), (x - 8, y), name_style.clone()))
                .map_err(chart_error)?;
        }
        let value_style = TextStyle::from(("sans-serif", 14).into_font())
            .color(&RGBColor(0x33, 0x33, 0x33))
            .pos(Pos::new(HPos::Left, VPos::Center));
        for (nominal, colour, (lo, hi)) in [
            (true, NOMINAL_COLOUR, (0.52, 0.86)),
            (false, PERTURBED_COLOUR, (0.14, 0.48)),
        ] {
            chart
                .draw_series(bars.iter().enumerate().map(|(i, b)| {
                    let y = (count - 1 - i) as f64;
                    Rectangle::new(
                        [(0.0, y + lo), (score(&b.changed, nominal), y + hi)],
                        colour.filled(),
                    )
                }))
                .map_err(chart_error)?;
            chart
                .draw_series(bars.iter().enumerate().map(|(i, b)| {
                    let y = (count - 1 - i) as f64 + (lo + hi) / 2.0;
                    let v = score(&b.changed, nominal);
                    Text::new(format!(" {v:.2}"), (v, y), value_style.clone())
                }))
                .map_err(chart_error)?;
        }
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// Section 4: the numbers behind the bars, and ReCode's over every task.
fn robustness_table(h: &mut String, run: &Run) {
    h.push_str(
        "<table>\n<thead><tr><th rowspan=\"2\">transform</th><th rowspan=\"2\">versions</th>\
         <th colspan=\"4\">changed tasks: pass@1</th><th colspan=\"2\">all tasks (ReCode)</th>\
         </tr>\n<tr><th>tasks</th><th>nominal</th><th>perturbed</th><th>flipped</th>\
         <th>Robust Pass@1</th><th>Drop@1</th></tr></thead>\n<tbody>\n",
    );
    let f = |m: &BTreeMap<usize, f64>| m.get(&1).map_or_else(|| "—".into(), |v| format!("{v:.3}"));
    for b in &run.robustness {
        let _ = writeln!(
            h,
            "<tr><th>{}</th><td class=\"num\">{}</td><td class=\"num\">{} / {}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&b.transform),
            b.dirs,
            b.changed.changed,
            b.whole.tasks,
            f(&b.changed.nominal),
            f(&b.changed.perturbed),
            b.changed.flipped,
            f(&b.whole.perturbed),
            f(&b.whole.drop),
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

/// The part of the task ids all of them share up to a `/` (`HumanEval/`), if any.
fn common_prefix<'a>(tasks: &[&'a str]) -> &'a str {
    let Some(first) = tasks.first() else {
        return "";
    };
    let Some(cut) = first.rfind('/') else {
        return "";
    };
    let prefix = &first[..=cut];
    if tasks.len() > 1
        && tasks
            .iter()
            .all(|t| t.starts_with(prefix) && t.len() > prefix.len())
    {
        prefix
    } else {
        ""
    }
}

/// The width of a heat map cell (one run), in pixels.
const CELL_W: usize = 26;
/// The height of a heat map cell (one task), in pixels.
const CELL_H: usize = 12;

/// Section 3: the heat map, written directly as SVG (a `<title>` tooltip on each cell).
/// Long task lists wrap into blocks of rows side by side.
fn heat_map(runs: &[Run], tasks: &[&str]) -> String {
    const GAP: usize = 26;
    const TOP: usize = 58;
    const MIN_ROWS: usize = 20;
    const MAX_ROWS: usize = 42;
    const WIDTH: usize = 1240;
    let by_run: Vec<HashMap<&str, (usize, usize)>> = runs
        .iter()
        .map(|r| {
            r.counts
                .iter()
                .map(|(t, n, c)| (t.as_str(), (*n, *c)))
                .collect()
        })
        .collect();
    let prefix = common_prefix(tasks);
    let labels: Vec<&str> = tasks.iter().map(|t| &t[prefix.len()..]).collect();
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1);
    let every = if labels.len() <= 60 || longest <= 6 {
        1
    } else {
        5
    };
    let label_w = (longest.min(40) * 6 + 12).max(26);
    let block_w = label_w + runs.len() * CELL_W;
    // As many blocks side by side as fit (rows of at least 20), fewer than 43 rows each.
    let fit = ((WIDTH + GAP) / (block_w + GAP)).max(1);
    let blocks = tasks
        .len()
        .div_ceil(MIN_ROWS)
        .min(fit)
        .max(tasks.len().div_ceil(MAX_ROWS))
        .max(1);
    let rows = tasks.len().div_ceil(blocks).max(1);
    let width = (blocks * block_w + (blocks - 1) * GAP + 20).max(560);
    let height = TOP + rows * CELL_H + 16;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" role=\"img\" \
         aria-label=\"Share of samples passed per task and run\">"
    );
    let _ = writeln!(
        s,
        "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
    );
    heat_map_key(&mut s, prefix);
    for block in 0..blocks {
        let x0 = 10 + block * (block_w + GAP);
        // Column headers: the run numbers.
        for (r, run) in runs.iter().enumerate() {
            let _ = writeln!(
                s,
                "<text x=\"{}\" y=\"{}\" font-size=\"11\" font-weight=\"bold\" \
                 text-anchor=\"middle\" fill=\"#333333\">{}<title>{}</title></text>",
                x0 + label_w + r * CELL_W + CELL_W / 2,
                TOP - 6,
                r + 1,
                escape(&run.name)
            );
        }
        for row in 0..rows {
            let t = block * rows + row;
            let Some(task) = tasks.get(t) else {
                break;
            };
            let y = TOP + row * CELL_H;
            if row % every == 0 {
                let _ = writeln!(
                    s,
                    "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\" \
                     fill=\"#444444\">{}</text>",
                    x0 + label_w - 4,
                    y + CELL_H - 2,
                    escape(labels[t])
                );
            }
            for (r, counts) in by_run.iter().enumerate() {
                let x = x0 + label_w + r * CELL_W;
                heat_map_cell(
                    &mut s,
                    (x, y),
                    task,
                    &runs[r].name,
                    counts.get(task).copied(),
                );
            }
        }
    }
    s.push_str("</svg>\n");
    s
}

/// The heat map's colour key, and the prefix its row labels leave out.
fn heat_map_key(s: &mut String, prefix: &str) {
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"16\" font-size=\"12\" fill=\"#333333\">share of samples passed</text>"
    );
    for (i, share) in [0.0, 0.25, 0.5, 0.75, 1.0].into_iter().enumerate() {
        let x = 160 + i * 40;
        let _ = writeln!(
            s,
            "<rect class=\"swatch\" x=\"{x}\" y=\"6\" width=\"14\" height=\"12\" fill=\"{}\" \
             stroke=\"#c8c8c8\" stroke-width=\"0.5\"/><text x=\"{}\" y=\"16\" font-size=\"11\" \
             fill=\"#333333\">{share}</text>",
            share_colour(share),
            x + 17
        );
    }
    if !prefix.is_empty() {
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"16\" font-size=\"11\" fill=\"#57606a\">rows: {}…</text>",
            160 + 5 * 40 + 10,
            escape(prefix)
        );
    }
}

/// One heat map cell at `(x, y)`: the share of `task`'s samples that passed in the run `run`
/// (`counts` is samples and passes), or grey when the run does not have the task.
fn heat_map_cell(
    s: &mut String,
    (x, y): (usize, usize),
    task: &str,
    run: &str,
    counts: Option<(usize, usize)>,
) {
    let Some((n, c)) = counts else {
        let _ = writeln!(
            s,
            "<rect class=\"cell none\" x=\"{x}\" y=\"{y}\" width=\"{CELL_W}\" \
             height=\"{CELL_H}\" fill=\"#eeeeee\" stroke=\"#d8dde3\" \
             stroke-width=\"0.5\"><title>{} ({}): not in this run</title></rect>",
            escape(task),
            escape(run)
        );
        return;
    };
    let share = if n == 0 { 0.0 } else { c as f64 / n as f64 };
    let _ = writeln!(
        s,
        "<rect class=\"cell\" x=\"{x}\" y=\"{y}\" width=\"{CELL_W}\" \
         height=\"{CELL_H}\" fill=\"{}\" stroke=\"#d8dde3\" \
         stroke-width=\"0.5\"><title>{} ({}): {c}/{n} passed</title></rect>",
        share_colour(share),
        escape(task),
        escape(run)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_map_from_white_to_dark_green() {
        assert_eq!(share_colour(0.0), "#ffffff");
        assert_eq!(share_colour(1.0), "#006d2c");
        assert_eq!(share_colour(0.5), "#80b696");
        assert_eq!(share_colour(f64::NAN), "#ffffff");
        assert_eq!(share_colour(2.0), "#006d2c");
    }

    #[test]
    fn perturb_directories_name_their_transform_and_version() {
        assert_eq!(
            transform_version("perturb-rename-variables", None),
            ("rename-variables".into(), 0)
        );
        assert_eq!(
            transform_version("perturb-rename-variables-2", None),
            ("rename-variables".into(), 2)
        );
        let settings = serde_json::json!({"perturb": "my-thing variant 3"});
        assert_eq!(
            transform_version("perturb-x", settings.as_object()),
            ("my-thing".into(), 3)
        );
    }

    #[test]
    fn missing_values_break_lines() {
        let s = segments(&[1, 2, 5, 10], &[None, Some(0.1), None, Some(0.3)]);
        assert_eq!(s, vec![vec![(2.0, 0.1)], vec![(10.0, 0.3)]]);
        assert_eq!(
            common_prefix(&["HumanEval/0", "HumanEval/12"]),
            "HumanEval/"
        );
        assert_eq!(common_prefix(&["a/0", "b/1"]), "");
        assert_eq!(escape("<a&'\">"), "&lt;a&amp;&#39;&quot;&gt;");
    }
}
