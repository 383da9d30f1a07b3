//! New names for renaming transforms: never a name the file already uses, a keyword or a
//! built-in of the language.

use std::collections::HashSet;

use arbor_syntax::tree_sitter::Node;
use arbor_syntax::{Language, ParsedFile};
use rand::seq::SliceRandom;

use crate::engine::{Context, Naming};

/// Natural-looking variable names.
pub const VARIABLES: &[&str] = &[
    "value", "item", "result", "total", "count", "index", "current", "element", "entry", "temp",
    "data", "acc", "node", "key", "number", "text", "part", "piece", "token", "left", "right",
    "first", "last", "prev", "size", "length", "step", "flag", "found", "pos", "idx", "buf",
    "chunk", "ans", "res", "out", "tmp", "cur", "elem", "word", "letter", "digit", "row", "col",
    "cell", "pair", "group", "seq", "arr", "val", "num", "head", "tail", "lo", "hi", "mid",
    "target", "source", "state", "score", "limit", "offset", "delta", "weight", "label",
];

/// Natural-looking function names.
pub const FUNCTIONS: &[&str] = &[
    "compute",
    "solve",
    "process",
    "evaluate",
    "calculate",
    "transform",
    "handle",
    "run_task",
    "get_result",
    "find_answer",
    "apply_rule",
    "check_value",
    "helper",
    "do_work",
    "perform",
    "resolve",
    "analyze",
    "derive",
    "build_output",
    "make_result",
];

const PYTHON_RESERVED: &[&str] = &[
    "False",
    "None",
    "True",
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "while",
    "with",
    "yield",
    "match",
    "case",
    "type",
    "abs",
    "all",
    "any",
    "bin",
    "bool",
    "bytes",
    "callable",
    "chr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "list",
    "locals",
    "map",
    "max",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "str",
    "sum",
    "super",
    "tuple",
    "vars",
    "zip",
    "self",
    "cls",
];

const JAVASCRIPT_RESERVED: &[&str] = &[
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "export",
    "extends",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "new",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
    "let",
    "static",
    "enum",
    "await",
    "implements",
    "package",
    "protected",
    "interface",
    "private",
    "public",
    "arguments",
    "eval",
    "undefined",
    "NaN",
    "Infinity",
    "Math",
    "Object",
    "Array",
    "String",
    "Number",
    "Boolean",
    "JSON",
    "Map",
    "Set",
    "console",
    "value",
];

const RUST_RESERVED: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "union",
];

/// Keywords and built-ins a new name must not be.
pub fn reserved(language: Language) -> &'static [&'static str] {
    match language {
        Language::Python => PYTHON_RESERVED,
        Language::JavaScript => JAVASCRIPT_RESERVED,
        Language::Rust => RUST_RESERVED,
    }
}

/// Every identifier-like word of the file (identifiers, and words in strings and comments,
/// so that a new name never collides with anything the code spells).
pub fn words_of(file: &ParsedFile) -> HashSet<String> {
    let mut words = HashSet::new();
    let mut word = String::new();
    for c in file.source().chars().chain(std::iter::once(' ')) {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else if !word.is_empty() {
            words.insert(std::mem::take(&mut word));
        }
    }
    words
}

/// Makes new names, each used once.
#[derive(Debug)]
pub struct NameGen {
    used: HashSet<String>,
    variables: Vec<&'static str>,
    functions: Vec<&'static str>,
    naming: Naming,
    counter: usize,
}

/// What a name is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A variable or parameter.
    Variable,
    /// A function.
    Function,
}

impl NameGen {
    /// A generator for `file`, its vocabulary shuffled by the context's generator.
    pub fn new(file: &ParsedFile, context: &mut Context) -> NameGen {
        let mut used = words_of(file);
        used.extend(reserved(file.language()).iter().map(|s| s.to_string()));
        let mut variables = VARIABLES.to_vec();
        variables.shuffle(&mut context.rng);
        let mut functions = FUNCTIONS.to_vec();
        functions.shuffle(&mut context.rng);
        NameGen {
            used,
            variables,
            functions,
            naming: context.naming,
            counter: 0,
        }
    }

    /// A name nothing in the file uses, for a `kind`.
    pub fn next(&mut self, kind: NameKind) -> String {
        if self.naming == Naming::Natural {
            let pool = match kind {
                NameKind::Variable => &mut self.variables,
                NameKind::Function => &mut self.functions,
            };
            while let Some(name) = pool.pop() {
                if self.used.insert(name.to_string()) {
                    return name.to_string();
                }
            }
        }
        let prefix = match kind {
            NameKind::Variable => "var",
            NameKind::Function => "func",
        };
        loop {
            let name = format!("{prefix}_{}", self.counter);
            self.counter += 1;
            if self.used.insert(name.clone()) {
                return name;
            }
        }
    }
}

/// Whether `node` is an identifier spelled `name`.
pub fn is_named(file: &ParsedFile, node: Node<'_>, name: &str) -> bool {
    node.kind() == "identifier" && file.text(node) == name
}
