//! Suppression comments: `# arbor: ignore[rule-id, …]` (or `// …`) on a finding's line or alone
//! on the line above it; `arbor: ignore-file[rule-id, …]` anywhere in the file. Without a list,
//! every rule is suppressed. Ids may be prefixes (`py`). Only real comments count, not strings.

use arbor_syntax::tree_sitter::Node;
use arbor_syntax::ParsedFile;

use crate::rule::Location;

/// One suppression comment.
#[derive(Debug, Clone)]
pub struct Suppression {
    /// Where the comment is.
    pub location: Location,
    /// The rules it names (empty: all).
    pub rules: Vec<String>,
    /// Whole file, or lines.
    pub file_wide: bool,
    /// The lines it covers (its own, and the next when it stands alone on its line).
    pub lines: (usize, usize),
    /// How many findings it suppressed.
    pub used: usize,
}

impl Suppression {
    fn covers(&self, rule: &str, line: usize) -> bool {
        (self.file_wide || (self.lines.0 <= line && line <= self.lines.1))
            && (self.rules.is_empty()
                || self.rules.iter().any(|r| crate::selector_matches(r, rule)))
    }
}

/// The suppression comments of a file.
pub fn find(file: &ParsedFile) -> Vec<Suppression> {
    let source = file.source();
    if !source.contains("arbor:") {
        return Vec::new(); // the common case: no tree walk at all
    }
    let mut found = Vec::new();
    let mut stack: Vec<Node<'_>> = vec![file.root()];
    while let Some(node) = stack.pop() {
        if node.kind().ends_with("comment") {
            let text = &source[node.byte_range()];
            if let Some(s) = parse(text, node, source) {
                found.push(s);
            }
            continue;
        }
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor));
    }
    found.sort_by_key(|s| s.location.start_byte);
    found
}

fn parse(text: &str, node: Node<'_>, source: &str) -> Option<Suppression> {
    let at = text.find("arbor:")?;
    let rest = text[at + "arbor:".len()..].trim_start();
    let (file_wide, rest) = if let Some(rest) = rest.strip_prefix("ignore-file") {
        (true, rest)
    } else {
        (false, rest.strip_prefix("ignore")?)
    };
    let rules = match rest.strip_prefix('[') {
        Some(list) => {
            let list = &list[..list.find(']')?];
            list.split(',')
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .collect()
        }
        None if rest.is_empty()
            || rest.starts_with(char::is_whitespace)
            || rest.starts_with("*/") =>
        {
            Vec::new()
        }
        None => return None,
    };
    let location = Location::of(node);
    let line_start = source[..node.start_byte()].rfind('\n').map_or(0, |i| i + 1);
    let alone = source[line_start..node.start_byte()].trim().is_empty();
    let lines = (
        location.line,
        if alone {
            location.end_line + 1
        } else {
            location.end_line
        },
    );
    Some(Suppression {
        location,
        rules,
        file_wide,
        lines,
        used: 0,
    })
}

/// Whether a finding of `rule` at `line` is suppressed; counts the use.
pub fn suppressed(suppressions: &mut [Suppression], rule: &str, line: usize) -> bool {
    match suppressions.iter_mut().find(|s| s.covers(rule, line)) {
        Some(s) => {
            s.used += 1;
            true
        }
        None => false,
    }
}

/// A file's suppressions indexed by the lines they cover, so that each finding looks only at
/// the few comments on or above its line ([`suppressed`] tests every comment, quadratic when
/// a file has thousands of both).
pub struct Suppressions {
    list: Vec<Suppression>,
    /// For each line, the line suppressions covering it, in order.
    by_line: std::collections::HashMap<usize, Vec<usize>>,
    /// The file-wide suppressions, in order.
    file_wide: Vec<usize>,
    /// For each rule asked about, the first file-wide suppression covering it.
    first_file_wide: std::collections::HashMap<String, Option<usize>>,
}

impl Suppressions {
    /// The index of `list` (in the order of [`find`]).
    pub fn new(list: Vec<Suppression>) -> Suppressions {
        let mut by_line: std::collections::HashMap<usize, Vec<usize>> =
            std::collections::HashMap::new();
        let mut file_wide = Vec::new();
        for (i, s) in list.iter().enumerate() {
            if s.file_wide {
                file_wide.push(i);
            } else {
                for line in s.lines.0..=s.lines.1 {
                    by_line.entry(line).or_default().push(i);
                }
            }
        }
        Suppressions {
            list,
            by_line,
            file_wide,
            first_file_wide: std::collections::HashMap::new(),
        }
    }

    /// The suppressions, with how often each was used.
    pub fn list(&self) -> &[Suppression] {
        &self.list
    }

    /// Whether a finding of `rule` at `line` is suppressed; counts the use (on the first
    /// comment in the file that covers it, as [`suppressed`] does).
    pub fn suppressed(&mut self, rule: &str, line: usize) -> bool {
        let list = &self.list;
        let on_line = self
            .by_line
            .get(&line)
            .and_then(|ids| ids.iter().copied().find(|&i| list[i].covers(rule, line)));
        let file_wide = *self
            .first_file_wide
            .entry(rule.to_string())
            .or_insert_with(|| {
                self.file_wide
                    .iter()
                    .copied()
                    .find(|&i| list[i].covers(rule, line))
            });
        match on_line.into_iter().chain(file_wide).min() {
            Some(i) => {
                self.list[i].used += 1;
                true
            }
            None => false,
        }
    }
}
