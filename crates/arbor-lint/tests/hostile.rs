//! Hostile inputs that made the linter quadratic (or worse): each lints the attack's own size
//! well under a generous bound, and the time for four times the input stays near four times
//! the time (a quadratic rule takes sixteen), so a slow machine does not make them flaky.

use std::time::{Duration, Instant};

use arbor_lint::{Config, Finding, Language, LintOptions, Linter};
use arbor_syntax::ParsedFile;

/// Lints `source` once; returns the findings, the suppressed count and the time taken.
fn lint(linter: &Linter, language: Language, source: &str) -> (Vec<Finding>, usize, Duration) {
    let name = match language {
        Language::Python => "hostile.py",
        Language::JavaScript => "hostile.js",
        Language::Rust => "hostile.rs",
    };
    let file = ParsedFile::parse(name, language, source.to_string()).unwrap();
    let started = Instant::now();
    let (findings, suppressed) = linter.lint_file(&file, name, &LintOptions::default());
    (findings, suppressed, started.elapsed())
}

/// The fastest of two runs, to keep scheduling noise out of the ratios.
fn best_time(linter: &Linter, language: Language, source: &str) -> Duration {
    (0..2)
        .map(|_| lint(linter, language, source).2)
        .min()
        .unwrap()
}

/// Lints `make(n)` (the attack's size) under `bound`, and checks that `make(n / 4)` to
/// `make(n)` grows about linearly. Returns the findings and suppressed count at size `n`.
fn check_linear(
    what: &str,
    language: Language,
    n: usize,
    bound: Duration,
    make: impl Fn(usize) -> String,
) -> (Vec<Finding>, usize) {
    let linter = Linter::new(Config::default()).unwrap();
    let big = make(n);
    let (findings, suppressed, took) = lint(&linter, language, &big);
    assert!(
        took < bound,
        "{what}: {took:?} for n = {n} (bound {bound:?})"
    );
    let small = best_time(&linter, language, &make(n / 4));
    let large = best_time(&linter, language, &big);
    eprintln!("{what}: {took:?}; {small:?} for a quarter, {large:?} for all");
    assert!(
        large < small * 8 + Duration::from_millis(500),
        "{what}: {small:?} for n = {}, {large:?} for n = {n}: not linear",
        n / 4
    );
    (findings, suppressed)
}

fn count(findings: &[Finding], rule: &str) -> usize {
    findings.iter().filter(|f| f.rule == rule).count()
}

/// 40,000 imports took 25 s: each identifier was tested against every import statement.
#[test]
fn unused_imports_are_linear_in_the_number_of_imports() {
    let (findings, _) = check_linear(
        "40,000 imports",
        Language::Python,
        40_000,
        Duration::from_secs(15),
        |n| {
            let mut source: String = (0..n).map(|i| format!("import m{i}\n")).collect();
            source.push_str("print(m7, m11)\n");
            source
        },
    );
    assert_eq!(count(&findings, "py/unused-import"), 40_000 - 2);
}

/// 50,000 nested calls took 18–27 s: tree-sitter's query cursor keeps depths in 16 bits, and
/// past 65,535 levels its matches in progress were never dropped.
#[test]
fn deeply_nested_calls_are_linear_in_the_depth() {
    for (language, make) in [
        (
            Language::Python,
            (|n| format!("x = {}1{}\ny = eval(s)\n", "f(".repeat(n), ")".repeat(n)))
                as fn(usize) -> String,
        ),
        (Language::JavaScript, |n| {
            format!("var x = {}1{};\ndebugger;\n", "f(".repeat(n), ")".repeat(n))
        }),
        (Language::Rust, |n| {
            format!(
                "fn main() {{ let x = {}1{}; dbg!(x); }}\n",
                "f(".repeat(n),
                ")".repeat(n)
            )
        }),
    ] {
        let (findings, _) = check_linear(
            &format!("50,000 nested calls in {language}"),
            language,
            50_000,
            Duration::from_secs(15),
            make,
        );
        // The rules still see the code after the deep part.
        let rule = match language {
            Language::Python => "py/eval-exec",
            Language::JavaScript => "js/no-debugger",
            Language::Rust => "rs/dbg",
        };
        assert_eq!(count(&findings, rule), 1, "{language}: {findings:?}");
    }
}

/// Findings deep inside a very deep tree are still found (the query runs over the tree in
/// parts below 16,384 levels).
#[test]
fn findings_below_the_cursor_depth_limit_are_found() {
    let linter = Linter::new(Config::default()).unwrap();
    let n = 40_000;
    let source = format!("x = {}eval(s){}\n", "f(".repeat(n), ")".repeat(n));
    let (findings, _, _) = lint(&linter, Language::Python, &source);
    assert_eq!(count(&findings, "py/eval-exec"), 1, "{findings:?}");
}

/// 20,000 nested blocks took 90 s: each block was compared with every open block, and asked
/// tree-sitter for its parent (a walk down from the root).
#[test]
fn deeply_nested_blocks_are_linear_in_the_depth() {
    for (language, make) in [
        (
            Language::JavaScript,
            (|n| {
                format!(
                    "function g(a) {{ {}a(){} }}\n",
                    "if (a) {".repeat(n),
                    "}".repeat(n)
                )
            }) as fn(usize) -> String,
        ),
        (Language::Rust, |n| {
            format!(
                "fn g(a: bool) {{ {}a(){} }}\n",
                "if a {".repeat(n),
                "}".repeat(n)
            )
        }),
    ] {
        let (findings, _) = check_linear(
            &format!("20,000 nested blocks in {language}"),
            language,
            20_000,
            Duration::from_secs(15),
            make,
        );
        let nesting: Vec<_> = findings
            .iter()
            .filter(|f| f.rule == "all/nesting-too-deep")
            .collect();
        assert_eq!(nesting.len(), 1, "{language}");
        assert_eq!(nesting[0].message, "blocks nested 5 deep in `g` (limit 4)");
        assert_eq!(count(&findings, "all/complexity"), 1, "{language}");
    }
}

/// A chain of 20,000 `.unwrap()` calls on one line: each finding walked its ancestors (each
/// step a walk from the root) and hashed its whole line and node for the fingerprint.
#[test]
fn a_long_chain_of_findings_is_linear() {
    let (findings, _) = check_linear(
        "20,000 chained unwraps",
        Language::Rust,
        20_000,
        Duration::from_secs(15),
        |n| format!("fn main() {{ let x = a{}; }}\n", ".unwrap()".repeat(n)),
    );
    assert_eq!(count(&findings, "rs/unwrap"), 20_000);
    let mut fingerprints: Vec<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    assert_eq!(
        fingerprints.len(),
        20_000,
        "fingerprints tell the findings apart"
    );
    // Test code is still recognised, through the same regions.
    let linter = Linter::new(Config::default()).unwrap();
    let source = format!(
        "#[cfg(test)]\nmod tests {{\n    fn t() {{ a{}; }}\n}}\nfn main() {{ b.unwrap(); }}\n",
        ".unwrap()".repeat(1000)
    );
    let (findings, _, _) = lint(&linter, Language::Rust, &source);
    let lines: Vec<usize> = findings
        .iter()
        .filter(|f| f.rule == "rs/unwrap")
        .map(|f| f.location.line)
        .collect();
    assert_eq!(lines, [5]);
}

/// Every finding was tested against every suppression comment.
#[test]
fn suppressions_are_linear() {
    let (findings, suppressed) = check_linear(
        "40,000 suppressed imports",
        Language::Python,
        40_000,
        Duration::from_secs(15),
        |n| {
            (0..n)
                .map(|i| format!("import m{i}  # arbor: ignore[py/unused-import]\n"))
                .collect()
        },
    );
    assert!(
        findings.is_empty(),
        "{:?}",
        &findings[..findings.len().min(3)]
    );
    assert_eq!(suppressed, 40_000);
}

/// Unused-variable rules looked each name up in every function (Python) or every capture
/// (JavaScript).
#[test]
fn unused_variables_are_linear() {
    let (findings, _) = check_linear(
        "20,000 Python functions",
        Language::Python,
        20_000,
        Duration::from_secs(15),
        |n| {
            (0..n)
                .map(|i| format!("def f{i}(a):\n    b = a\n    c = 1\n    return b\n"))
                .collect()
        },
    );
    assert_eq!(count(&findings, "py/unused-variable"), 20_000);
    let (findings, _) = check_linear(
        "20,000 JavaScript declarations",
        Language::JavaScript,
        20_000,
        Duration::from_secs(15),
        |n| {
            let body: String = (0..n)
                .map(|i| format!("  const v{i} = v{};\n", i + 1))
                .collect();
            format!("function g() {{\n{body}}}\n")
        },
    );
    // v0 is read by nobody; every other variable by the line above it.
    assert_eq!(count(&findings, "js/unused-variable"), 1);
}

/// `py/fstring-no-placeholder` judges an implicit concatenation whole: each piece looking at
/// every other one would be quadratic in the number of pieces.
#[test]
fn long_f_string_concatenations_are_linear() {
    let (findings, _) = check_linear(
        "20,000 concatenated f-strings",
        Language::Python,
        20_000,
        Duration::from_secs(15),
        |n| {
            let pieces: String = (0..n).map(|_| "    f\"piece \"\n").collect();
            format!("message = (\n{pieces}    f\"{{last}}\"\n)\n")
        },
    );
    assert_eq!(count(&findings, "py/fstring-no-placeholder"), 0);
}
