//! Hostile inputs that made `rename-variables` quadratic in the nesting depth (10,000 nested
//! JavaScript arrows took 107 s: every function walked everything inside it again, and asked
//! tree-sitter for parents, a walk down from the root each time). Each case runs the attack's
//! size under a generous bound, and four times the input must take about four times as long.

use std::time::{Duration, Instant};

use arbor_augment::{augment, by_id, AugmentOptions, Augmented};
use arbor_syntax::Language;

fn rename(language: Language, source: &str) -> (Augmented, Duration) {
    let transform = by_id("rename-variables").unwrap();
    let started = Instant::now();
    let result = augment(
        source,
        language,
        &[transform],
        &AugmentOptions {
            seed: 1,
            ..Default::default()
        },
    )
    .unwrap();
    (result, started.elapsed())
}

/// Renames `make(n)` under `bound` and checks that it applied; `make(n / 4)` to `make(n)`
/// must grow about linearly (best of two runs each).
fn check_linear(
    what: &str,
    language: Language,
    n: usize,
    bound: Duration,
    make: impl Fn(usize) -> String,
) -> Augmented {
    let big = make(n);
    let (result, took) = rename(language, &big);
    assert_eq!(
        result.applied,
        ["rename-variables"],
        "{what}: {:?}",
        result.skipped
    );
    assert!(took < bound, "{what}: {took:?} (bound {bound:?})");
    let best = |source: &str| (0..2).map(|_| rename(language, source).1).min().unwrap();
    let small = best(&make(n / 4));
    let large = best(&big);
    eprintln!("{what}: {took:?}; {small:?} for a quarter, {large:?} for all");
    assert!(
        large < small * 8 + Duration::from_millis(500),
        "{what}: {small:?} for n = {}, {large:?} for n = {n}: not linear",
        n / 4
    );
    result
}

#[test]
fn nested_javascript_arrows_are_linear() {
    let result = check_linear(
        "10,000 nested arrows",
        Language::JavaScript,
        10_000,
        Duration::from_secs(20),
        |n| {
            let params: String = (0..n).map(|i| format!("(a{i}) => ")).collect();
            format!("const f = {params}a0 + a{};\n", n - 1)
        },
    );
    // The parameters are renamed, but for `a0`, which a nested arrow uses.
    assert!(
        result.text.starts_with("const f = (a0) => ("),
        "{}",
        &result.text[..200]
    );
    assert!(!result.text.contains("(a1)"), "{}", &result.text[..200]);
    let result = check_linear(
        "10,000 nested arrows with blocks",
        Language::JavaScript,
        10_000,
        Duration::from_secs(20),
        |n| {
            let open: String = (0..n)
                .map(|i| format!("(a{i}) => {{ const b{i} = a{i}; return "))
                .collect();
            format!("const f = {open}1{};\n", "}".repeat(n))
        },
    );
    assert!(!result.text.contains("const b0 "));
}

#[test]
fn nested_rust_functions_and_closures_are_linear() {
    check_linear(
        "10,000 nested closures",
        Language::Rust,
        10_000,
        Duration::from_secs(20),
        |n| {
            let closures: String = (0..n).map(|i| format!("|a{i}: u8| ")).collect();
            format!("fn main() {{ let x = 1; let f = {closures}x; }}\n")
        },
    );
    check_linear(
        "5,000 nested functions",
        Language::Rust,
        5_000,
        Duration::from_secs(20),
        |n| {
            let open: String = (0..n)
                .map(|i| format!("fn f{i}(a{i}: u8) -> u8 {{ let b = a{i}; "))
                .collect();
            format!("{open}1{}\n", "}".repeat(n))
        },
    );
}

#[test]
fn deep_python_expressions_in_a_function_are_linear() {
    check_linear(
        "10,000 nested lambdas",
        Language::Python,
        10_000,
        Duration::from_secs(20),
        |n| {
            format!(
                "def f(a):\n    return {}a{}\n",
                "(lambda b: ".repeat(n),
                ")".repeat(n)
            )
        },
    );
    check_linear(
        "40,000 nested calls",
        Language::Python,
        40_000,
        Duration::from_secs(20),
        |n| {
            format!(
                "def f(a):\n    return {}a{}\n",
                "g(".repeat(n),
                ")".repeat(n)
            )
        },
    );
}

/// What the rewrite must keep doing: a name bound again in a nested function is left alone in
/// the outer one, a generator declared inside a function is a scope of its own, and a
/// function whose body is itself a function does not rename the inner one's names twice.
#[test]
fn nested_scopes_keep_their_names_apart() {
    let (result, _) = rename(
        Language::JavaScript,
        "function outer(a, b) {\n  function* gen(a) { const c = a; yield c; }\n  return gen(b);\n}\n",
    );
    assert_eq!(result.applied, ["rename-variables"], "{:?}", result.skipped);
    let text = &result.text;
    // `a` is also gen's parameter: outer keeps it; `b` is outer's alone.
    assert!(text.starts_with("function outer(a, "), "{text}");
    assert!(!text.contains(", b)"), "{text}");
    let (result, _) = rename(Language::JavaScript, "const f = (x) => (y) => x + y;\n");
    assert_eq!(result.applied, ["rename-variables"], "{:?}", result.skipped);
    assert!(
        !result.text.contains("(x)") && !result.text.contains("(y)"),
        "{}",
        result.text
    );
}
