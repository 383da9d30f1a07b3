//! Compiling and running tree-sitter queries: the tags queries of symbol extraction, and
//! [`for_each_match`] for any query. The query files themselves are in [`crate::queries`].

use std::sync::OnceLock;

use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Query, QueryCursor, QueryMatch};

use crate::error::SyntaxError;
use crate::language::Language;
use crate::parse::{depth_first, Step};
use crate::queries;
use crate::symbols::SymbolKind;

/// One query file of the project: where it lives and its text.
#[derive(Debug, Clone, Copy)]
pub struct QuerySource {
    /// The language whose grammar the query is written against.
    pub language: Language,
    /// Its name in [`crate::queries`]: the path under `grammars/<lang>/` without `.scm`
    /// (`tags`, `lint/unwrap`).
    pub name: &'static str,
    /// Path relative to the repository root, e.g. `grammars/rust/tags.scm`.
    pub file: &'static str,
    /// The query text.
    pub text: &'static str,
}

/// The symbol (tags) queries, one per language, in the order of [`Language::ALL`].
pub const TAGS_QUERIES: [QuerySource; 3] = [
    *queries::file(Language::Rust, "tags"),
    *queries::file(Language::Python, "tags"),
    *queries::file(Language::JavaScript, "tags"),
];

impl QuerySource {
    /// Compiles the query against its language's grammar. Errors name the file and the 1-based
    /// line and column of the offending text.
    pub fn compile(&self) -> Result<Query, SyntaxError> {
        compile_query(self.language, self.file, self.text)
    }
}

/// Compiles `text` (read from `file`) as a query for `language`, with errors that point into the file.
pub fn compile_query(language: Language, file: &str, text: &str) -> Result<Query, SyntaxError> {
    Query::new(&language.grammar(), text).map_err(|e| SyntaxError::Query {
        file: file.to_string(),
        row: e.row + 1,
        column: e.column + 1,
        message: format!("{:?}: {}", e.kind, e.message.trim()),
    })
}

/// A compiled tags query with the indices of its captures resolved.
#[derive(Debug)]
pub(crate) struct TagsQuery {
    pub query: Query,
    pub name_capture: u32,
    /// For each capture index: the symbol kind, if the capture is `@definition.<kind>`.
    pub definition_kinds: Vec<Option<SymbolKind>>,
}

impl TagsQuery {
    fn compile(source: &QuerySource) -> Result<TagsQuery, SyntaxError> {
        let query = source.compile()?;
        let invalid = |message: String| SyntaxError::Query {
            file: source.file.to_string(),
            row: 1,
            column: 1,
            message,
        };
        let mut name_capture = None;
        let mut definition_kinds = Vec::new();
        for (index, name) in query.capture_names().iter().enumerate() {
            let kind =
                if *name == "name" {
                    name_capture = Some(index as u32);
                    None
                } else if let Some(kind) = name.strip_prefix("definition.") {
                    Some(kind.parse::<SymbolKind>().map_err(|_| {
                        invalid(format!("unknown symbol kind in capture `@{name}`"))
                    })?)
                } else {
                    return Err(invalid(format!(
                        "unexpected capture `@{name}` (use @name and @definition.<kind>)"
                    )));
                };
            definition_kinds.push(kind);
        }
        let name_capture =
            name_capture.ok_or_else(|| invalid("the query has no @name capture".into()))?;
        Ok(TagsQuery {
            query,
            name_capture,
            definition_kinds,
        })
    }
}

/// The compiled tags query of `language`, compiled on first use and shared by all threads.
pub(crate) fn tags_query(language: Language) -> Result<&'static TagsQuery, SyntaxError> {
    static CELLS: [OnceLock<Result<TagsQuery, String>>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let index = Language::ALL
        .iter()
        .position(|l| *l == language)
        .expect("every language is in Language::ALL");
    let source = &TAGS_QUERIES[index];
    debug_assert_eq!(source.language, language);
    CELLS[index]
        .get_or_init(|| TagsQuery::compile(source).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|message| SyntaxError::BuiltinQuery(message.clone()))
}

/// The index of capture `name` in `language`'s tags query (the query compiled once and shared
/// with symbol extraction), for callers that run the tags patterns inside a query of their own.
pub fn tags_capture_index(language: Language, name: &str) -> Result<Option<u32>, SyntaxError> {
    Ok(tags_query(language)?.query.capture_index_for_name(name))
}

/// How deep below the node a query run's matches may start before the tree is split.
///
/// tree-sitter's query cursor keeps the depth where a match started in 16 bits: past 65,535
/// levels (50,000 nested calls are twice that) the value wraps, matches in progress are never
/// dropped, and every later node is checked against all of them, which is quadratic (a minute
/// for one file). Even below that, a match waiting for a node after a deep subtree (the field
/// name of `a.unwrap()` comes after all of `a`) stays in progress while the cursor walks the
/// subtree, so a chain of such nodes costs its depth times its size. [`for_each_match`]
/// therefore lets a cursor start matches only this deep and runs a fresh cursor on each
/// subtree below, where depths count from zero again: the cost is at most this times the size.
/// Ordinary code is far shallower and runs in one part.
pub const MATCH_SPLIT_DEPTH: u32 = 256;

/// Calls `f` with every match of `query` in the tree under `node`, in linear time however
/// deep the tree is (see [`MATCH_SPLIT_DEPTH`]). Matches come in document order of the nodes
/// where they start within each split part, not across parts; each match comes once.
pub fn for_each_match<'t, F>(query: &Query, node: Node<'t>, source: &[u8], mut f: F)
where
    F: FnMut(&QueryMatch<'_, 't>),
{
    for_each_match_split(query, node, source, MATCH_SPLIT_DEPTH, &mut f);
}

/// [`for_each_match`] with the split depth given (tests use a small one).
fn for_each_match_split<'t>(
    query: &Query,
    node: Node<'t>,
    source: &[u8],
    split: u32,
    f: &mut dyn FnMut(&QueryMatch<'_, 't>),
) {
    let mut cursor = QueryCursor::new();
    // Matches start at depths 0..=split below each part's root.
    cursor.set_max_start_depth(Some(split));
    let mut parts = vec![node];
    while let Some(part) = parts.pop() {
        let mut matches = cursor.matches(query, part, source);
        while let Some(m) = matches.next() {
            f(m);
        }
        let first = parts.len();
        nodes_at_depth(part, split as usize + 1, &mut parts);
        parts[first..].reverse(); // popped in document order
    }
}

/// Appends the nodes exactly `depth` levels below `root` (visible nodes, as query cursors count
/// them) in document order. Subtrees too small to reach that deep are not entered, so this
/// costs almost nothing on ordinary trees.
fn nodes_at_depth<'t>(root: Node<'t>, depth: usize, out: &mut Vec<Node<'t>>) {
    if root.descendant_count() <= depth {
        return; // a chain `depth` levels deep needs depth + 1 nodes
    }
    let _ = depth_first::<std::convert::Infallible>(root, |cursor, step| {
        let Step::Enter { depth: level } = step else {
            return Ok(false);
        };
        let node = cursor.node();
        if level == depth {
            out.push(node);
            return Ok(false);
        }
        Ok(node.descendant_count() > depth - level)
    });
}

/// Compiles every query file of the project, reporting the first that fails.
pub fn validate_all() -> Result<(), SyntaxError> {
    for source in &TAGS_QUERIES {
        TagsQuery::compile(source)?;
    }
    for source in queries::FILES {
        queries::query(source.language, source.name)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_compiles_against_its_grammar() {
        for source in &TAGS_QUERIES {
            let tags = TagsQuery::compile(source)
                .unwrap_or_else(|e| panic!("{} does not compile: {e}", source.file));
            assert!(
                tags.definition_kinds.iter().any(Option::is_some),
                "{} defines no symbols",
                source.file
            );
            assert!(tags.query.pattern_count() > 0);
        }
        validate_all().unwrap();
    }

    fn deep_calls(depth: usize) -> crate::ParsedFile {
        let source = format!("x = {}1{}\n", "f(".repeat(depth), ")".repeat(depth));
        crate::ParsedFile::parse("deep.py", Language::Python, source).unwrap()
    }

    /// Splitting the tree at any depth finds exactly the matches of one plain cursor.
    #[test]
    fn split_matches_are_the_matches_of_one_cursor() {
        let file = deep_calls(300);
        let query = Query::new(
            &Language::Python.grammar(),
            "(call function: (identifier) @f arguments: (argument_list (call) @inner))\n\
             (integer) @int\n(argument_list) @args",
        )
        .unwrap();
        let source = file.source().as_bytes();
        let all = |split: u32| {
            let mut found = Vec::new();
            for_each_match_split(&query, file.root(), source, split, &mut |m| {
                let mut captures: Vec<_> =
                    m.captures.iter().map(|c| (c.index, c.node.id())).collect();
                captures.sort();
                found.push((m.pattern_index, captures));
            });
            found.sort();
            found
        };
        let whole = all(u32::MAX);
        assert_eq!(whole.len(), 299 + 1 + 300);
        for split in [0, 1, 2, 3, 7, 50, 299, 600, 601, 602, 1000] {
            assert_eq!(all(split), whole, "split at {split}");
        }
    }

    /// 50,000 nested calls are 100,000 levels: past the cursor's 16-bit depths. Counting the
    /// matches must take about as long as for a shallow file of the same size (it took a
    /// minute when the cursor ran over the whole tree).
    #[test]
    fn matches_in_very_deep_trees_are_found_in_linear_time() {
        let query = Query::new(&Language::Python.grammar(), "(call) @c").unwrap();
        let count = |file: &crate::ParsedFile| {
            let mut n = 0;
            let started = std::time::Instant::now();
            for_each_match(&query, file.root(), file.source().as_bytes(), |_| n += 1);
            (n, started.elapsed())
        };
        let deep = deep_calls(50_000);
        let flat =
            crate::ParsedFile::parse("flat.py", Language::Python, "x = f(1)\n".repeat(50_000))
                .unwrap();
        let (n_deep, t_deep) = count(&deep);
        let (n_flat, t_flat) = count(&flat);
        assert_eq!((n_deep, n_flat), (50_000, 50_000));
        // Generous: the quadratic cursor was hundreds of times slower.
        assert!(
            t_deep < t_flat * 20 + std::time::Duration::from_secs(2),
            "deep {t_deep:?}, flat {t_flat:?}"
        );
    }

    #[test]
    fn query_errors_point_at_the_offending_position() {
        let err = compile_query(
            Language::Python,
            "bad.scm",
            "(function_definition)\n(no_such_node) @x",
        )
        .unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("bad.scm:2:2: invalid query"),
            "{message}"
        );
        assert!(message.contains("NodeType"), "{message}");
    }
}
