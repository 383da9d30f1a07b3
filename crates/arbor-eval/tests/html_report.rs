//! `arbor eval report`'s page ([`arbor_eval::html::write_report`]) on small hand-made run
//! directories with known passes.

use std::path::{Path, PathBuf};

use arbor_eval::html::{share_colour, write_report};

/// The task with HTML's special characters in its id.
const ODD: &str = "Odd/<&>";

/// Writes a run directory: `run.json` (with `temperature`), `samples.jsonl` and its results
/// file, one line per sample of each task in order (`decode_secs` 0.5 each).
fn write_run(dir: &Path, temperature: f64, tasks: &[(&str, &[bool])], perturb: Option<&str>) {
    std::fs::create_dir_all(dir).unwrap();
    let mut settings = serde_json::json!({
        "dataset": "tiny",
        "model": "model-<x>",
        "prompt_format": "chatml",
        "temperature": temperature,
        "top_p": 0.95,
        "top_k": 0,
        "repeat_penalty": 1.0,
        "max_tokens": 128,
        "seed": 7,
        "partial_code": false,
    });
    if let Some(tag) = perturb {
        settings["perturb"] = tag.into();
    }
    std::fs::write(dir.join("run.json"), settings.to_string()).unwrap();
    let mut samples = String::new();
    let mut results = String::new();
    for (task, passes) in tasks {
        for (i, passed) in passes.iter().enumerate() {
            let mut line = serde_json::json!({
                "task_id": task,
                "completion": "    return 1\n",
                "sample": i,
                "decode_secs": 0.5,
            });
            samples.push_str(&format!("{line}\n"));
            line["result"] = if *passed { "passed" } else { "failed: " }.into();
            line["passed"] = (*passed).into();
            results.push_str(&format!("{line}\n"));
        }
    }
    std::fs::write(dir.join("samples.jsonl"), samples).unwrap();
    std::fs::write(dir.join("samples.jsonl_results.jsonl"), results).unwrap();
}

/// The nominal run: 3 tasks × 4 samples passing 0, 2 and 4 times (pass@1 0.5), with one
/// robustness run (`rename-variables` changed two tasks) and a selection.
fn nominal_run(dir: &Path) {
    write_run(
        dir,
        0.8,
        &[
            ("T/0", &[false; 4]),
            (ODD, &[true, false, true, false]),
            ("T/2", &[true; 4]),
        ],
        None,
    );
    // Changed tasks: ODD nominal 0.5 → 0, T/2 nominal 1 → 0.25: pass@1 0.75 → 0.125.
    write_run(
        &dir.join("perturb-rename-variables"),
        0.8,
        &[(ODD, &[false; 4]), ("T/2", &[true, false, false, false])],
        Some("rename-variables"),
    );
    let selection = serde_json::json!({
        "samples_per_task": 4,
        "tasks": 3,
        "ks": [1, 2, 4],
        "pass_at_k": [0.5, 0.611, 0.667],
        "strategies": [
            {"name": "random", "n_at_k": {"1": [0.5, 0.5, 0.5], "10": [null, null, null]}},
            {"name": "examples", "n_at_k": {"1": [0.5, 0.6, 0.667]}, "extra": true}
        ],
        "generated_by": "a later version"
    });
    std::fs::write(dir.join("selection.json"), selection.to_string()).unwrap();
}

/// The second run: the same tasks passing 4, 0 and 1 times (pass@1 (1 + 0 + 0.25) / 3).
fn other_run(dir: &Path) {
    write_run(
        dir,
        0.2,
        &[
            ("T/0", &[true; 4]),
            (ODD, &[false; 4]),
            ("T/2", &[false, false, true, false]),
        ],
        None,
    );
}

/// Checks that start and end tags nest (HTML's void elements aside; `/>` closes in SVG).
fn assert_tags_balance(html: &str) {
    const VOID: [&str; 4] = ["meta", "br", "link", "img"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find('>').expect("a tag ends");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(!name.is_empty(), "a tag without a name: <{tag}>");
        if let Some(closing) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("</{closing}> closes nothing"));
            assert_eq!(open, name, "<{open}> closed by </{name}>");
        } else if !tag.ends_with('/') && !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "left open: {stack:?}");
}

/// The heat map's cells: `(fill, title)` of each `<rect class="cell" …>`.
fn cells(html: &str) -> Vec<(String, String)> {
    html.match_indices("<rect class=\"cell\"")
        .map(|(at, _)| {
            let rect = &html[at..at + html[at..].find("</rect>").unwrap()];
            let fill = rect
                .split("fill=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let title = rect
                .split("<title>")
                .nth(1)
                .unwrap()
                .trim_end_matches("</title>");
            (fill.to_string(), title.to_string())
        })
        .collect()
}

/// The file names in `dir`.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn one_run_gives_settings_charts_heat_map_and_robustness() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("runs/tiny-model");
    nominal_run(&run);
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("report.html");
    let summary = write_report(std::slice::from_ref(&run), &out).unwrap();
    let html = std::fs::read_to_string(&out).unwrap();

    assert_eq!(summary.runs, vec![run.clone()]);
    assert_eq!(summary.tasks, 3);
    assert_eq!(summary.selections, 1);
    assert_eq!(summary.perturbations, 1);
    assert!(summary.skipped.is_empty());
    assert_eq!(summary.bytes, html.len());
    // pass@k, n@k, heat map, robustness: one inline SVG each.
    assert_eq!(summary.charts, 4);
    assert_eq!(html.matches("<svg").count(), 4);
    assert_eq!(html.matches("</svg>").count(), 4);

    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert_tags_balance(&html);
    assert!(!html.to_lowercase().contains("<script"));
    let without_xmlns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_xmlns.contains("http://"), "an external reference");
    assert!(!without_xmlns.contains("https://"), "an external reference");
    assert!(!html.contains("<link") && !html.contains("<img"));

    // Settings: the directory name as the column's header, run.json's fields, the counts.
    assert!(html.contains("<code>tiny-model</code></th>"));
    assert!(html.contains("<tr><th>temperature</th><td>0.8</td></tr>"));
    assert!(html.contains("<tr><th>model</th><td>model-&lt;x&gt;</td></tr>"));
    assert!(html.contains("<tr><th>tasks</th><td class=\"num\">3</td></tr>"));
    assert!(html.contains("<tr><th>samples per task</th><td class=\"num\">4</td></tr>"));
    assert!(html.contains("<th>passes</th><td class=\"num\">6 / 12 (50.0%)</td>"));
    assert!(html.contains("<th>pass@1</th><td class=\"num\">0.500</td>"));
    assert!(!html.contains("<th>pass@10</th>"), "4 samples: no pass@10");

    // The pass@k chart: k = 1, 2 (5 > 4 samples), the run's line labelled.
    assert!(html.contains("1 tiny-model"));
    // n@k: both strategies with n = 1; n = 10 undefined at every k draws no line.
    assert!(html.contains("random 1@k") && html.contains("examples 1@k"));
    assert!(!html.contains("random 10@k"));

    // The heat map: 3 tasks × 1 run, white / half / dark green, escaped ids in tooltips.
    let cells = cells(&html);
    assert_eq!(cells.len(), 3);
    assert_eq!(cells[0].0, "#ffffff");
    assert_eq!(cells[1].0, "#80b696");
    assert_eq!(cells[2].0, "#006d2c");
    assert_eq!(share_colour(0.5), cells[1].0);
    assert_eq!(cells[0].1, "T/0 (tiny-model): 0/4 passed");
    assert_eq!(cells[1].1, "Odd/&lt;&amp;&gt; (tiny-model): 2/4 passed");
    assert_eq!(cells[2].1, "T/2 (tiny-model): 4/4 passed");
    assert!(!html.contains(ODD), "a task id unescaped");

    // Robustness: nominal 0.75 vs perturbed 0.125 on the two changed tasks.
    assert!(html.contains("<th>rename-variables</th>"));
    assert!(html.contains(
        "<td class=\"num\">2 / 3</td><td class=\"num\">0.750</td><td class=\"num\">0.125</td>"
    ));
    assert!(html.contains("\n 0.75\n</text>"), "the nominal bar's value");

    // Footer: decode time of 12 samples × 0.5 s, the version.
    assert!(html.contains("per-sample decode time 6.0 s summed over 12 samples (0.50 s each"));
    assert!(html.contains(&format!("Arbor {}", env!("CARGO_PKG_VERSION"))));

    // Written atomically: nothing but the report beside it.
    assert_eq!(listing(&out_dir), ["report.html"]);
    // Written again over the old one.
    write_report(std::slice::from_ref(&run), &out).unwrap();
    assert_eq!(listing(&out_dir), ["report.html"]);
}

#[test]
fn two_runs_side_by_side() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("run-a");
    let b = tmp.path().join("run-b");
    nominal_run(&a);
    other_run(&b);
    let out = tmp.path().join("report.html");
    let summary = write_report(&[a, b], &out).unwrap();
    let html = std::fs::read_to_string(&out).unwrap();
    assert_tags_balance(&html);
    // pass@k (both lines), n@k of run-a, heat map, robustness of run-a.
    assert_eq!(summary.charts, 4);
    assert_eq!(html.matches("<svg").count(), 4);
    assert!(html.contains("1 run-a") && html.contains("2 run-b"));
    assert!(html.contains("<tr><th>temperature</th><td>0.8</td><td>0.2</td></tr>"));
    assert!(
        html.contains("<th>pass@1</th><td class=\"num\">0.500</td><td class=\"num\">0.417</td>")
    );
    let cells = cells(&html);
    assert_eq!(cells.len(), 6, "3 tasks × 2 runs");
    let fills: Vec<&str> = cells.iter().map(|c| c.0.as_str()).collect();
    let quarter = share_colour(0.25);
    assert_eq!(
        fills,
        [
            "#ffffff",
            "#006d2c",
            "#80b696",
            "#ffffff",
            "#006d2c",
            quarter.as_str()
        ]
    );
    assert_eq!(cells[1].1, "T/0 (run-b): 4/4 passed");
}

#[test]
fn a_run_without_results_is_an_error_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("unscored");
    nominal_run(&run);
    std::fs::remove_file(run.join("samples.jsonl_results.jsonl")).unwrap();
    let out = tmp.path().join("report.html");
    let error = write_report(std::slice::from_ref(&run), &out)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(
            &run.join("samples.jsonl_results.jsonl")
                .display()
                .to_string()
        ),
        "{error}"
    );
    assert!(!out.exists());
    assert_eq!(listing(tmp.path()), ["unscored"], "no temporary file left");

    let error = write_report(&[tmp.path().join("nowhere")], &out)
        .unwrap_err()
        .to_string();
    assert!(error.contains("nowhere"), "{error}");
    assert!(write_report(&[], &out).is_err());
}

#[test]
fn an_unfinished_robustness_run_is_left_out_and_said() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    nominal_run(&run);
    let unfinished = run.join("perturb-rename-function");
    std::fs::create_dir(&unfinished).unwrap();
    std::fs::write(unfinished.join("samples.jsonl"), "").unwrap();
    let out = tmp.path().join("report.html");
    let summary = write_report(&[run], &out).unwrap();
    assert_eq!(summary.perturbations, 1);
    assert_eq!(summary.skipped.len(), 1);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("perturb-rename-function: no results file"));
}

/// Writes a report to `$ARBOR_REPORT_OUT` for a look in a browser
/// (benchmarks/report_screenshot.sh): on the run directories in `$ARBOR_REPORT_DIRS`
/// (separated as `PATH` is), else on this file's hand-made ones.
#[test]
#[ignore = "writes $ARBOR_REPORT_OUT; run by benchmarks/report_screenshot.sh"]
fn write_sample_report() {
    let out = PathBuf::from(std::env::var_os("ARBOR_REPORT_OUT").expect("ARBOR_REPORT_OUT"));
    let tmp = tempfile::tempdir().unwrap();
    let dirs: Vec<PathBuf> = match std::env::var_os("ARBOR_REPORT_DIRS") {
        Some(dirs) => std::env::split_paths(&dirs).collect(),
        None => {
            let (a, b) = (tmp.path().join("run-a"), tmp.path().join("run-b"));
            nominal_run(&a);
            other_run(&b);
            vec![a, b]
        }
    };
    let summary = write_report(&dirs, &out).unwrap();
    eprintln!("{}: {summary:?}", out.display());
}
