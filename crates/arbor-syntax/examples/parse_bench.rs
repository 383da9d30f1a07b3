//! Throughput of the syntax layer, for `benchmarks/parse.sh`.
//!
//! ```text
//! parse_bench raw PATH...                 read every file first, then time tree-sitter parsing alone (1 thread)
//! parse_bench pipeline THREADS PATH...    time walk + read + parse + symbols with THREADS workers
//! ```
//! Prints one line of `key=value` pairs per run.

use std::path::PathBuf;
use std::time::Instant;

use arbor_syntax::{parse_files, read_source, walk, ParsedFile, WalkOptions};

fn usage() -> ! {
    eprintln!("usage: parse_bench raw PATH... | parse_bench pipeline THREADS PATH...");
    std::process::exit(2);
}

fn report(mode: &str, threads: usize, files: usize, bytes: u64, symbols: usize, secs: f64) {
    println!(
        "mode={mode} threads={threads} files={files} bytes={bytes} symbols={symbols} secs={secs:.3} mb_per_s={:.2} files_per_s={:.1}",
        bytes as f64 / 1e6 / secs,
        files as f64 / secs
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(mode) = args.first() else { usage() };
    let options = WalkOptions::default();
    match mode.as_str() {
        "raw" => {
            let mut sources = Vec::new();
            for root in &args[1..] {
                let walked = walk(&PathBuf::from(root), &options).expect("walk");
                for file in walked.files {
                    if let Ok(text) = read_source(&file.path, options.max_file_size) {
                        sources.push((file.path, file.language, text));
                    }
                }
            }
            let bytes: u64 = sources.iter().map(|s| s.2.len() as u64).sum();
            let files = sources.len();
            let started = Instant::now();
            let mut nodes = 0usize;
            for (path, language, text) in sources {
                let parsed = ParsedFile::parse(path, language, text).expect("parse");
                nodes += parsed.root().child_count();
            }
            let secs = started.elapsed().as_secs_f64();
            std::hint::black_box(nodes);
            report("raw", 1, files, bytes, 0, secs);
        }
        "pipeline" => {
            let threads: usize = args
                .get(1)
                .and_then(|t| t.parse().ok())
                .unwrap_or_else(|| usage());
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            let started = Instant::now();
            let (mut files, mut bytes, mut symbols) = (0usize, 0u64, 0usize);
            for root in &args[2..] {
                let walked = walk(&PathBuf::from(root), &options).expect("walk");
                let results = pool.install(|| {
                    parse_files(&walked.files, options.max_file_size, |file| {
                        let count = file.symbols().map_or(0, |s| s.len());
                        (file.source().len() as u64, count)
                    })
                });
                for (size, count) in results.into_iter().flatten() {
                    files += 1;
                    bytes += size;
                    symbols += count;
                }
            }
            let secs = started.elapsed().as_secs_f64();
            report("pipeline", threads, files, bytes, symbols, secs);
        }
        _ => usage(),
    }
}
