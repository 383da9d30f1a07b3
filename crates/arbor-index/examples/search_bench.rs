//! Search benchmarks, for `benchmarks/search_quality.sh` and `benchmarks/search_speed.sh`.
//!
//! ```text
//! search_bench quality CORPUS WORKDIR [MAX_QUERIES]
//!     For every Python function or method with a docstring: index the corpus with docstrings
//!     blanked, query with the docstring's first sentence, and report MRR@10 and Recall@10 for the
//!     code-aware tokenizer and for tantivy's default tokenizer.
//! search_bench speed CORPUS WORKDIR ARBOR_BIN [QUERIES]
//!     Full build time and MB/s, index size / corpus size, re-index after changing one file, and
//!     latency of QUERIES queries (symbol names and words from the corpus) in-process, through
//!     the `arbor` binary, and with `rg -F` over the same tree.
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use std::sync::Arc;

use arbor_embed::Embed;
use arbor_index::{
    CodeIndex, HitType, IndexSettings, Progress, Query, SearchMode, SearchOptions, TokenizerKind,
    UpdateOptions,
};
use arbor_syntax::{parse_files, walk, SymbolKind, WalkOptions};

struct Target {
    path: String,
    line: usize,
    qualified: String,
    query: String,
}

fn first_sentence(doc: &str) -> String {
    let paragraph = doc.split("\n\n").next().unwrap_or("");
    let flat: String = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    let end = flat.find(". ").map_or(flat.len(), |i| i + 1);
    flat[..end].to_string()
}

/// Keeps letters, digits, `_` and spaces, so a sentence is a list of free words.
fn sanitize(sentence: &str) -> String {
    sentence
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn targets(corpus: &Path, max: usize) -> Vec<Target> {
    let walked = walk(corpus, &WalkOptions::default()).expect("walk");
    let per_file = parse_files(
        &walked.files,
        WalkOptions::default().max_file_size,
        |file| {
            let rel = arbor_index::index::relative_path(corpus, file.path());
            let symbols = file.symbols().unwrap_or_default();
            symbols
                .into_iter()
                .filter(|s| matches!(s.kind, SymbolKind::Function | SymbolKind::Method))
                .filter_map(|s| {
                    let query = sanitize(&first_sentence(s.doc.as_deref()?));
                    (query.split(' ').count() >= 3).then(|| Target {
                        path: rel.clone(),
                        line: s.name_span.start.line,
                        qualified: s.qualified_name.clone(),
                        query,
                    })
                })
                .collect::<Vec<_>>()
        },
    );
    let all: Vec<Target> = per_file.into_iter().flatten().flatten().collect();
    // A deterministic, evenly spread sample.
    let step = all.len().div_ceil(max.max(1)).max(1);
    all.into_iter().step_by(step).collect()
}

fn build(corpus: &Path, dir: &Path, settings: IndexSettings) -> (CodeIndex, f64, u64) {
    let _ = std::fs::remove_dir_all(dir);
    let index = CodeIndex::create(dir, settings).expect("create");
    let started = Instant::now();
    let stats = index
        .update(corpus, &UpdateOptions::default(), &|_| {})
        .expect("index");
    (index, started.elapsed().as_secs_f64(), stats.bytes_indexed)
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let meta = e.metadata().unwrap();
                    if meta.is_dir() {
                        dir_size(&e.path())
                    } else {
                        meta.len()
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// MRR@10, Recall@10 and Recall@1 of `queries` (query, target) in `mode`.
fn score(
    index: &CodeIndex,
    queries: &[(String, &Target)],
    mode: SearchMode,
    model: Option<&dyn Embed>,
) -> (f64, f64, f64) {
    let options = SearchOptions {
        limit: 10,
        snippet_lines: 1,
    };
    let (mut rr, mut at10, mut at1) = (0.0, 0usize, 0usize);
    for (text, target) in queries {
        let Ok(query) = Query::parse(text) else {
            continue;
        };
        // Semantic search refuses a query that must match exactly (a word with no letter to
        // index, a token too long to index): a miss.
        let hits = match index.search_with(&query, &options, mode, model) {
            Ok(hits) => hits,
            Err(arbor_index::IndexError::Semantic(_)) => Vec::new(),
            Err(err) => panic!("search: {err}"),
        };
        let rank = hits.iter().position(|h| {
            h.path == target.path
                && ((h.hit_type == HitType::Definition && h.line == target.line)
                    || h.symbol.as_deref() == Some(target.qualified.as_str()))
        });
        if let Some(rank) = rank {
            rr += 1.0 / (rank + 1) as f64;
            at10 += 1;
            at1 += usize::from(rank == 0);
        }
    }
    let n = queries.len().max(1) as f64;
    (rr / n, at10 as f64 / n, at1 as f64 / n)
}

fn quality(corpus: &Path, work: &Path, max: usize) {
    let targets = targets(corpus, max);
    println!(
        "queries: {} (functions and methods with a doc of 3+ words)",
        targets.len()
    );
    println!(
        "{:<18} {:>8} {:>10} {:>10} {:>12}",
        "search", "MRR@10", "Recall@10", "Recall@1", "index secs"
    );
    let sentences: Vec<(String, &Target)> = targets.iter().map(|t| (t.query.clone(), t)).collect();
    for (name, kind) in [
        ("code", TokenizerKind::Code),
        ("default", TokenizerKind::Default),
    ] {
        let settings = IndexSettings {
            tokenizer: kind,
            strip_docs: true,
            ..IndexSettings::default()
        };
        let (index, secs, _) = build(corpus, &work.join(format!("quality-{name}")), settings);
        let (mrr, r10, r1) = score(&index, &sentences, SearchMode::Keyword, None);
        println!(
            "{:<18} {mrr:>8.4} {r10:>10.3} {r1:>10.3} {secs:>12.1}",
            format!("keyword/{name}")
        );
    }
    if std::env::var("SEMANTIC").is_ok_and(|v| v == "0") {
        return;
    }
    semantic_quality(corpus, work, &targets, &sentences);
}

/// The semantic and hybrid rows: one index (code tokenizer, docs blanked) with vectors, kept
/// in WORKDIR between runs (an unchanged corpus is not embedded again).
fn semantic_quality(
    corpus: &Path,
    work: &Path,
    targets: &[Target],
    sentences: &[(String, &Target)],
) {
    let model: Arc<dyn Embed> = Arc::new(
        arbor_embed::load(None, arbor_embed::SEARCH_TOKENS, &|m| eprintln!("{m}")).expect("model"),
    );
    let dir = work.join("quality-semantic");
    let settings = IndexSettings {
        strip_docs: true,
        ..IndexSettings::default()
    };
    let index = CodeIndex::open_or_create(&dir, settings, false).expect("index");
    let options = UpdateOptions {
        embedder: Some(model.clone()),
        ..UpdateOptions::default()
    };
    let embedded = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    index
        .update(corpus, &options, &|p| {
            if let Progress::Embedded(n) = p {
                let done = embedded.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
                if done % 4096 < n {
                    eprintln!(
                        "embedded {done} units, {:.0} s",
                        started.elapsed().as_secs_f64()
                    );
                }
            }
        })
        .expect("index");
    let secs = started.elapsed().as_secs_f64();
    let model: &dyn Embed = model.as_ref();
    for (name, mode) in [
        ("keyword", SearchMode::Keyword),
        ("semantic", SearchMode::Semantic),
        ("hybrid", SearchMode::Hybrid),
    ] {
        let (mrr, r10, r1) = score(&index, sentences, mode, Some(model));
        println!("{name:<18} {mrr:>8.4} {r10:>10.3} {r1:>10.3} {secs:>12.1}");
    }
    println!("one-word queries: the function's own name");
    let names: Vec<(String, &Target)> = targets
        .iter()
        .map(|t| {
            (
                t.qualified
                    .rsplit('.')
                    .next()
                    .unwrap_or(&t.qualified)
                    .to_string(),
                t,
            )
        })
        .collect();
    for (name, mode) in [
        ("keyword", SearchMode::Keyword),
        ("hybrid", SearchMode::Hybrid),
    ] {
        let (mrr, r10, r1) = score(&index, &names, mode, Some(model));
        println!(
            "{:<18} {mrr:>8.4} {r10:>10.3} {r1:>10.3}",
            format!("{name} (names)")
        );
    }
    let store = arbor_index::vectors::VectorStore::open(&dir)
        .expect("vectors")
        .expect("vectors");
    let vectors =
        std::fs::metadata(dir.join(arbor_index::vectors::VECTORS_FILE)).map_or(0, |m| m.len());
    let total = dir_size(&dir);
    let count = embedded.into_inner();
    println!(
        "units: {} ({count} embedded by this run in {secs:.0} s: {:.1}/s, 2 threads); vector file {:.1} MB, +{:.0}% over the keyword index ({:.1} MB)",
        store.len(),
        count as f64 / secs,
        vectors as f64 / 1e6,
        vectors as f64 * 100.0 / (total - vectors) as f64,
        (total - vectors) as f64 / 1e6
    );
    if std::env::var("SEMANTIC_SPEED").map_or(true, |v| v != "0") {
        semantic_speed(corpus, &index, model, sentences);
    }
}

/// Units embedded per second on 1 and 2 threads (256 texts: 30 lines from each of 256
/// definitions), and in-process latency of keyword and hybrid queries.
fn semantic_speed(
    corpus: &Path,
    index: &CodeIndex,
    model: &dyn Embed,
    sentences: &[(String, &Target)],
) {
    let corpus_texts: Vec<String> = sentences
        .iter()
        .step_by((sentences.len() / 256).max(1))
        .take(256)
        .filter_map(|(_, t)| {
            let source = std::fs::read_to_string(corpus.join(&t.path)).ok()?;
            Some(
                source
                    .lines()
                    .skip(t.line - 1)
                    .take(30)
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })
        .collect();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let started = Instant::now();
        pool.install(|| {
            use rayon::prelude::*;
            let texts: Vec<&str> = corpus_texts.iter().map(String::as_str).collect();
            texts.par_chunks(16).for_each(|batch| {
                model.embed(batch).expect("embed");
            })
        });
        println!(
            "embedding, {threads} thread(s): {:.1} units/s ({} texts of 30 lines)",
            corpus_texts.len() as f64 / started.elapsed().as_secs_f64(),
            corpus_texts.len()
        );
    }
    let options = SearchOptions {
        limit: 10,
        snippet_lines: 1,
    };
    for (name, mode) in [
        ("keyword", SearchMode::Keyword),
        ("hybrid", SearchMode::Hybrid),
        ("semantic", SearchMode::Semantic),
    ] {
        let mut times = Vec::new();
        for (text, _) in sentences.iter().take(300) {
            let query = Query::parse(text).expect("query");
            let started = Instant::now();
            let _ = index.search_with(&query, &options, mode, Some(model));
            times.push(started.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{name} query latency (in-process, {} queries): p50 {:.1} ms, p95 {:.1} ms",
            times.len(),
            percentile(&times, 0.5) * 1e3,
            percentile(&times, 0.95) * 1e3
        );
    }
    // The semantic side's two fixed costs, apart.
    let store = arbor_index::vectors::VectorStore::open(index.dir())
        .expect("vectors")
        .expect("vectors");
    let keep = vec![true; store.len()];
    let queries: Vec<&str> = sentences
        .iter()
        .take(200)
        .map(|(t, _)| t.as_str())
        .collect();
    let started = Instant::now();
    let vectors: Vec<Vec<f32>> = queries
        .iter()
        .map(|q| model.embed(&[q]).expect("embed").remove(0))
        .collect();
    let embedding = started.elapsed().as_secs_f64() * 1e3 / queries.len() as f64;
    let started = Instant::now();
    for v in &vectors {
        std::hint::black_box(store.nearest(v, 80, &keep));
    }
    println!(
        "of which: embedding the query {embedding:.1} ms (mean of {}), the exact nearest-row pass {:.1} ms",
        queries.len(),
        started.elapsed().as_secs_f64() * 1e3 / queries.len() as f64
    );
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Times re-indexing after changing one file (appending a function), and after changing
/// nothing.
fn reindex_speed(corpus: &Path, index: &CodeIndex) {
    let walked = walk(corpus, &WalkOptions::default()).expect("walk");
    let victim = &walked.files[walked.files.len() / 2].path;
    let original = std::fs::read_to_string(victim).expect("read");
    std::fs::write(
        victim,
        format!("{original}\n\ndef arbor_bench_marker():\n    return 1\n"),
    )
    .expect("write");
    let started = Instant::now();
    let stats = index
        .update(corpus, &UpdateOptions::default(), &|_| {})
        .expect("update");
    let one = started.elapsed().as_secs_f64();
    std::fs::write(victim, &original).expect("restore");
    let restore = index
        .update(corpus, &UpdateOptions::default(), &|_| {})
        .expect("update");
    let started = Instant::now();
    index
        .update(corpus, &UpdateOptions::default(), &|_| {})
        .expect("update");
    let none = started.elapsed().as_secs_f64();
    println!(
        "re-index one file: {one:.3} s (changed {}, restored {}); no change: {none:.3} s",
        stats.changed, restore.changed
    );
}

/// Queries for the speed test: symbol names and words from the corpus, every k-th for spread.
fn speed_queries(corpus: &Path, count: usize) -> Vec<String> {
    let names = targets(corpus, usize::MAX);
    let mut queries: Vec<String> = Vec::new();
    let step = (names.len() / count.max(1)).max(1);
    for (i, target) in names.iter().step_by(step).enumerate() {
        if queries.len() >= count {
            break;
        }
        let name = target
            .qualified
            .rsplit('.')
            .next()
            .unwrap_or(&target.qualified)
            .to_string();
        if i % 2 == 0 {
            queries.push(name);
        } else if let Some(word) = target.query.split(' ').find(|w| w.len() >= 5) {
            queries.push(word.to_lowercase());
        } else {
            queries.push(name);
        }
    }
    queries
}

fn speed(corpus: &Path, work: &Path, arbor: &Path, count: usize) {
    let dir = work.join("speed-index");
    let (index, secs, bytes) = build(corpus, &dir, IndexSettings::default());
    let size = dir_size(&dir);
    println!(
        "full build:        {secs:.2} s, {:.2} MB/s ({:.1} MB of source)",
        bytes as f64 / 1e6 / secs,
        bytes as f64 / 1e6
    );
    println!(
        "index size:        {:.1} MB = {:.2} x corpus",
        size as f64 / 1e6,
        size as f64 / bytes as f64
    );

    reindex_speed(corpus, &index);
    let queries = speed_queries(corpus, count);
    let options = SearchOptions {
        limit: 20,
        snippet_lines: 3,
    };
    for q in &queries {
        index.search(&Query::parse(q).unwrap(), &options).unwrap(); // warm-up
    }
    let mut lib = Vec::new();
    for q in &queries {
        let started = Instant::now();
        index.search(&Query::parse(q).unwrap(), &options).unwrap();
        lib.push(started.elapsed().as_secs_f64());
    }
    let time_command = |cmd: &mut Command| {
        let started = Instant::now();
        let status = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run");
        assert!(status.code().is_some_and(|c| c <= 1), "{cmd:?}: {status}");
        started.elapsed().as_secs_f64()
    };
    let mut cli = Vec::new();
    let mut rg = Vec::new();
    for q in &queries {
        cli.push(time_command(
            Command::new(arbor)
                .args(["search", "--no-update", "--index"])
                .arg(&dir)
                .args(["--path"])
                .arg(corpus)
                .arg(q),
        ));
        rg.push(time_command(
            Command::new("rg")
                .args(["-F", "-n", "-i", "--", q])
                .arg(corpus),
        ));
    }
    for v in [&mut lib, &mut cli, &mut rg] {
        v.sort_by(f64::total_cmp);
    }
    println!(
        "queries:           {} (half symbol names, half words from docstrings)",
        queries.len()
    );
    println!(
        "{:<28} {:>12} {:>12} {:>14}",
        "", "median ms", "p95 ms", "rg / this (median)"
    );
    let rg_median = percentile(&rg, 0.5);
    for (name, v) in [
        ("arbor search (in-process)", &lib),
        ("arbor search (process)", &cli),
        ("rg -F -n -i (process)", &rg),
    ] {
        println!(
            "{name:<28} {:>12.2} {:>12.2} {:>14.1}",
            percentile(v, 0.5) * 1e3,
            percentile(v, 0.95) * 1e3,
            rg_median / percentile(v, 0.5)
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || -> ! {
        eprintln!("usage: search_bench quality CORPUS WORKDIR [MAX] | speed CORPUS WORKDIR ARBOR_BIN [QUERIES]");
        std::process::exit(2)
    };
    match args.first().map(String::as_str) {
        Some("quality") if args.len() >= 3 => quality(
            Path::new(&args[1]),
            Path::new(&args[2]),
            args.get(3).and_then(|m| m.parse().ok()).unwrap_or(5000),
        ),
        Some("speed") if args.len() >= 4 => speed(
            Path::new(&args[1]),
            Path::new(&args[2]),
            &PathBuf::from(&args[3]),
            args.get(4).and_then(|m| m.parse().ok()).unwrap_or(200),
        ),
        _ => usage(),
    }
}
