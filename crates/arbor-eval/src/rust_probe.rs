//! Behaviour inputs for Rust problems (AlphaCode's clustering, as `probe.py` does for
//! Python): the examples' own calls of the entry point, the same calls with one argument
//! mutated (an integer moved by one, a character dropped from a string, an element from a
//! `vec![…]`), and values made from the parameters' types (integers, floats, `bool`, `char`,
//! `String`, `&str`, `Vec<T>`, `&[T]`, `Option<T>`, tuples), under a seed, so every sample
//! of a task gets the same inputs. Every input keeps the parameter's type, so the probe
//! compiles for any sample with the prompt's signature.
//!
//! The probe is a test module of one `#[test]` per input that prints a marked line with the
//! result's `Debug` text; a panicking input prints nothing (its test fails, the others run).

use arbor_syntax::tree_sitter::Node;
use arbor_syntax::{Language, ParsedFile};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::examples::Example;

/// A parameter type values can be made for.
#[derive(Debug, Clone, PartialEq)]
enum Ty {
    Int {
        signed: bool,
    },
    Float,
    Bool,
    Char,
    String,
    Str,
    Vec(Box<Ty>),
    /// `&T` (`&[T]` is `&Vec<T>` here: a `&vec![…]` coerces to both), `&mut T` with `mutable`.
    Ref {
        inner: Box<Ty>,
        mutable: bool,
    },
    Option(Box<Ty>),
    Tuple(Vec<Ty>),
}

/// The types of `entry`'s parameters in `prompt` (`None` when the function is not there or
/// a type is not one values can be made for).
fn parameter_types(prompt: &str, entry: &str) -> Option<Vec<Ty>> {
    // The prompt ends inside the function's body: close it so the signature parses.
    let source = format!("{prompt}\n}}\n");
    let parsed = ParsedFile::parse("<prompt>", Language::Rust, source).ok()?;
    let function = arbor_syntax::node::descendants(parsed.root())
        .into_iter()
        .find(|n| {
            n.kind() == "function_item"
                && n.child_by_field_name("name")
                    .is_some_and(|id| parsed.text(id) == entry)
        })?;
    if function.child_by_field_name("type_parameters").is_some() {
        return None;
    }
    let parameters = function.child_by_field_name("parameters")?;
    let mut cursor = parameters.walk();
    let children: Vec<Node<'_>> = parameters.named_children(&mut cursor).collect();
    children
        .iter()
        .map(|p| match p.kind() {
            "parameter" => ty(&parsed, p.child_by_field_name("type")?),
            _ => None,
        })
        .collect()
}

/// The named children of `node`.
fn named(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

/// The type `node` names, when values can be made for it.
fn ty(parsed: &ParsedFile, node: Node<'_>) -> Option<Ty> {
    let text = parsed.text(node);
    match node.kind() {
        "primitive_type" => match text {
            "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => Some(Ty::Int { signed: true }),
            "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => Some(Ty::Int { signed: false }),
            "f32" | "f64" => Some(Ty::Float),
            "bool" => Some(Ty::Bool),
            "char" => Some(Ty::Char),
            _ => None,
        },
        "type_identifier" if text == "String" => Some(Ty::String),
        "reference_type" => {
            let inner = node.child_by_field_name("type")?;
            let mutable = named(node).iter().any(|c| c.kind() == "mutable_specifier");
            let inner = match inner.kind() {
                "primitive_type" if parsed.text(inner) == "str" && !mutable => {
                    return Some(Ty::Str)
                }
                // `[T]`: a slice (no length).
                "array_type" if inner.child_by_field_name("length").is_none() => {
                    Ty::Vec(Box::new(ty(parsed, inner.child_by_field_name("element")?)?))
                }
                _ => ty(parsed, inner)?,
            };
            Some(Ty::Ref {
                inner: Box::new(inner),
                mutable,
            })
        }
        "generic_type" => {
            let outer = parsed.text(node.child_by_field_name("type")?);
            let arguments = named(node.child_by_field_name("type_arguments")?);
            let [argument] = arguments.as_slice() else {
                return None;
            };
            let inner = Box::new(ty(parsed, *argument)?);
            match outer {
                "Vec" => Some(Ty::Vec(inner)),
                "Option" => Some(Ty::Option(inner)),
                _ => None,
            }
        }
        "tuple_type" => named(node)
            .into_iter()
            .map(|t| ty(parsed, t))
            .collect::<Option<Vec<_>>>()
            .map(Ty::Tuple),
        _ => None,
    }
}

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";

/// A random value of `ty` as Rust source.
fn value(ty: &Ty, rng: &mut ChaCha8Rng, depth: usize) -> String {
    match ty {
        Ty::Int { signed } => {
            let n: i64 = match rng.random_range(0..4) {
                0 => rng.random_range(-5..=20),
                1 => rng.random_range(0..=100),
                2 => 0,
                _ => 1,
            };
            let n = if *signed { n } else { n.abs() };
            if n < 0 {
                format!("({n})")
            } else {
                n.to_string()
            }
        }
        Ty::Float => {
            let x = f64::from(rng.random_range(-1000..=1000)) / 100.0;
            format!("({x:?})")
        }
        Ty::Bool => rng.random_bool(0.5).to_string(),
        Ty::Char => format!("{:?}", random_text(rng, 1, 1).chars().next().unwrap_or('a')),
        Ty::String => format!("String::from({:?})", random_text(rng, 0, 8)),
        Ty::Str => format!("{:?}", random_text(rng, 0, 8)),
        Ty::Vec(inner) => {
            let size = if depth > 2 {
                0
            } else {
                rng.random_range(0..=6)
            };
            let items: Vec<String> = (0..size).map(|_| value(inner, rng, depth + 1)).collect();
            format!("vec![{}]", items.join(", "))
        }
        Ty::Ref { inner, mutable } => {
            let reference = if *mutable { "&mut " } else { "&" };
            format!("{reference}{}", value(inner, rng, depth))
        }
        Ty::Option(inner) => {
            if rng.random_bool(0.2) {
                "None".into()
            } else {
                format!("Some({})", value(inner, rng, depth + 1))
            }
        }
        Ty::Tuple(items) => {
            let items: Vec<String> = items.iter().map(|t| value(t, rng, depth + 1)).collect();
            match items.len() {
                1 => format!("({},)", items[0]),
                _ => format!("({})", items.join(", ")),
            }
        }
    }
}

fn random_text(rng: &mut ChaCha8Rng, min: usize, max: usize) -> String {
    let size = rng.random_range(min..=max);
    (0..size)
        .map(|_| char::from(LETTERS[rng.random_range(0..LETTERS.len())]))
        .collect()
}

/// The argument lists (source text) of the examples' calls of `entry`.
fn example_calls(entry: &str, examples: &[Example]) -> Vec<Vec<String>> {
    let mut calls = Vec::new();
    for example in examples {
        let source = format!("fn _arbor() {{\n    {};\n}}\n", example.call);
        let Ok(parsed) = ParsedFile::parse("<call>", Language::Rust, source) else {
            continue;
        };
        let Some(call) = arbor_syntax::node::descendants(parsed.root())
            .into_iter()
            .find(|n| n.kind() == "call_expression")
        else {
            continue;
        };
        let function = call.child_by_field_name("function");
        if function.is_none_or(|f| parsed.text(f) != entry) || call.has_error() {
            continue;
        }
        let Some(arguments) = call.child_by_field_name("arguments") else {
            continue;
        };
        let mut cursor = arguments.walk();
        let arguments: Vec<String> = arguments
            .named_children(&mut cursor)
            .filter(|a| a.kind() != "line_comment" && a.kind() != "block_comment")
            .map(|a| parsed.text(a).to_string())
            .collect();
        if !calls.contains(&arguments) {
            calls.push(arguments);
        }
    }
    calls
}

/// `argument` (source text of type `ty`, when known) changed a little, keeping its type;
/// `None` when there is nothing to change safely.
fn mutate(argument: &str, ty: Option<&Ty>, rng: &mut ChaCha8Rng) -> Option<String> {
    let text = argument.trim();
    let unsigned = matches!(ty, Some(Ty::Int { signed: false }));
    let integer = text
        .trim_start_matches('(')
        .trim_end_matches(')')
        .parse::<i64>()
        .ok();
    if let Some(n) = integer {
        let moved = if rng.random_bool(0.5) || (unsigned && n == 0) {
            n.checked_add(1)?
        } else {
            n.checked_sub(1)?
        };
        return Some(if moved < 0 {
            format!("({moved})")
        } else {
            moved.to_string()
        });
    }
    // A plain string literal (no escapes), possibly inside `String::from(…)` or `.to_string()`.
    if let (Some(open), Some(close)) = (text.find('"'), text.rfind('"')) {
        let inner = &text[open + 1..close];
        if close > open && !inner.contains(['\\', '"']) && !inner.is_empty() {
            let mut chars: Vec<char> = inner.chars().collect();
            chars.remove(rng.random_range(0..chars.len()));
            let shorter: String = chars.into_iter().collect();
            return Some(format!("{}{shorter}{}", &text[..=open], &text[close..]));
        }
        return None;
    }
    // `vec![a, b, c]` (or `&vec![…]`) with elements that hold no brackets: one left out.
    let start = text.find("vec![")?;
    let body = text[start + 5..].strip_suffix(']')?;
    if body.contains(['[', '(', '{', '"', '\'']) {
        return None;
    }
    let mut items: Vec<&str> = body
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return None;
    }
    items.remove(rng.random_range(0..items.len()));
    Some(format!("{}vec![{}]", &text[..start], items.join(", ")))
}

/// The behaviour inputs of `entry` (argument lists as Rust source): the examples' calls, then
/// up to `count` more, alternating mutated calls and values made from the parameters' types.
pub fn inputs(
    prompt: &str,
    entry: &str,
    examples: &[Example],
    seed: u64,
    count: usize,
) -> Vec<Vec<String>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let calls = example_calls(entry, examples);
    let types = parameter_types(prompt, entry);
    let mut inputs = calls.clone();
    for j in 0..count {
        let made = if !calls.is_empty() && (j % 2 == 0 || types.is_none()) {
            let mut call = calls[rng.random_range(0..calls.len())].clone();
            if call.is_empty() {
                continue;
            }
            let i = rng.random_range(0..call.len());
            let ty = types.as_ref().and_then(|t| t.get(i));
            match mutate(&call[i], ty, &mut rng) {
                Some(changed) => call[i] = changed,
                None => continue,
            }
            call
        } else if let Some(types) = &types {
            types.iter().map(|t| value(t, &mut rng, 0)).collect()
        } else {
            break;
        };
        if !inputs.contains(&made) {
            inputs.push(made);
        }
    }
    inputs
}

/// The probe's test module: one `#[test]` per input, each printing `\nMARKER b INDEX 1 DEBUG`
/// with the `Debug` text of `entry`'s result.
pub fn test_module(entry: &str, inputs: &[Vec<String>], marker: &str) -> String {
    let mut out = String::from(
        "#[cfg(test)]\nmod arbor_probe {\n    #[allow(unused_imports)]\n    use super::*;\n",
    );
    for (i, arguments) in inputs.iter().enumerate() {
        out.push_str(&format!(
            "\n    #[test]\n    fn input_{i:04}() {{\n        let got = {entry}({});\n        \
             println!(\"\\n{{}} b {i} 1 {{:?}}\", {marker:?}, got);\n    }}\n",
            arguments.join(", ")
        ));
    }
    out.push_str("}\n");
    out
}

/// `text` with every decimal number (`1.2345678901234`, `-3e-7`) rounded to 10 significant
/// digits, so results that differ only in the last bits of a float computation match.
pub fn canonical_floats(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit()
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
        if !starts_number {
            let c = text[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        let mut end = i;
        while end < bytes.len()
            && (bytes[end].is_ascii_alphanumeric() || b".+-".contains(&bytes[end]))
        {
            // A sign belongs to the number only right after its exponent's `e`.
            if b"+-".contains(&bytes[end]) && !(end > i && matches!(bytes[end - 1], b'e' | b'E')) {
                break;
            }
            end += 1;
        }
        let token = &text[i..end];
        let float = token.contains(['.', 'e', 'E']);
        match token.parse::<f64>() {
            Ok(x) if float && x.is_finite() => out.push_str(&format!("{:.9e}", x)),
            _ => out.push_str(token),
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::examples::Expected;

    fn example(call: &str) -> Example {
        Example {
            line: 1,
            source: call.into(),
            call: call.into(),
            expected: Expected::Value("0".into()),
        }
    }

    #[test]
    fn parameter_types_are_read_from_the_signature() {
        let prompt = "/// Doc.\npub fn f(a: i32, b: &str, c: Vec<u8>, d: &[f64], e: Option<String>, g: (bool, char), h: &mut Vec<i64>) -> i32 {\n";
        let types = parameter_types(prompt, "f").unwrap();
        assert_eq!(types.len(), 7);
        assert_eq!(types[0], Ty::Int { signed: true });
        assert_eq!(types[1], Ty::Str);
        assert_eq!(types[2], Ty::Vec(Box::new(Ty::Int { signed: false })));
        assert_eq!(
            types[3],
            Ty::Ref {
                inner: Box::new(Ty::Vec(Box::new(Ty::Float))),
                mutable: false
            }
        );
        assert_eq!(types[4], Ty::Option(Box::new(Ty::String)));
        assert_eq!(types[5], Ty::Tuple(vec![Ty::Bool, Ty::Char]));
        assert!(matches!(types[6], Ty::Ref { mutable: true, .. }));
        // Generics and unknown types make no values.
        assert!(parameter_types("fn g<T: Ord>(x: Vec<T>) -> T {\n", "g").is_none());
        assert!(parameter_types("fn g(x: HashMap<i32, i32>) -> i32 {\n", "g").is_none());
        assert!(parameter_types("fn g(x: i32) -> i32 {\n", "h").is_none());
    }

    #[test]
    fn inputs_are_the_examples_calls_then_mutations_and_typed_values_under_the_seed() {
        let prompt = "fn count(xs: Vec<u32>, word: &str) -> usize {\n";
        let examples = [example("count(vec![1, 2, 3], \"abc\")")];
        let made = inputs(prompt, "count", &examples, 7, 12);
        assert_eq!(made[0], vec!["vec![1, 2, 3]", "\"abc\""]);
        assert!(made.len() > 6, "{made:?}");
        // The same seed, the same inputs; each keeps the parameters' types.
        assert_eq!(made, inputs(prompt, "count", &examples, 7, 12));
        for input in &made {
            assert_eq!(input.len(), 2, "{input:?}");
            assert!(input[0].starts_with("vec!["), "{input:?}");
            assert!(!input[0].contains('-'), "unsigned: {input:?}");
            assert!(input[1].starts_with('"'), "{input:?}");
        }
        // Another call's name, or no types and no examples: nothing to run.
        assert!(inputs(prompt, "count", &[example("other(1)")], 7, 12)
            .iter()
            .all(|i| i.len() == 2));
        assert!(inputs("fn g<T>(x: T) -> T {\n", "g", &[], 7, 12).is_empty());
    }

    #[test]
    fn floats_are_compared_to_ten_digits() {
        assert_eq!(
            canonical_floats("[0.30000000000000004, 1, -2.5e-3] x1.5"),
            canonical_floats("[0.3, 1, -0.0025] x1.5")
        );
        assert_ne!(canonical_floats("0.3"), canonical_floats("0.31"));
        assert_eq!(canonical_floats("Some(12) \"é\""), "Some(12) \"é\"");
    }
}
