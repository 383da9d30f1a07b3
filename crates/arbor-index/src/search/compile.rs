//! Query translation: a parsed [`Query`] becomes the tantivy queries that find candidates and
//! the checks made on them afterwards ([`CompiledQuery`]). Nothing here reads an index (as
//! tantivy keeps its query parser apart from its searcher): the schema's fields and the
//! index's analyzer are all it needs, so translation is tested on its own.

use std::collections::HashSet;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query as TantivyQuery, TermQuery,
};
use tantivy::schema::{Field, FieldType, IndexRecordOption, Schema};
use tantivy::tokenizer::{TextAnalyzer, TokenizerManager};
use tantivy::Term as TantivyTerm;

use crate::error::IndexError;
use crate::query::{phrase_regex, PathFilter, Query, QueryError, Term};
use crate::schema::{build_schema, register_tokenizers_in, Fields, IndexSettings};

use super::plain_seek::plain_seek;

/// Boosts of the symbol fields for a free word; code counts 1.
const NAME_BOOST: f32 = 1.5;
const QUALIFIED_BOOST: f32 = 2.0;
const SIGNATURE_BOOST: f32 = 2.0;
const DOC_BOOST: f32 = 1.0;
/// Extra weight of a whole identifier over its parts.
const WHOLE_BOOST: f32 = 2.0;
/// Lower-case English words that carry no meaning in a sentence-like query (Lucene's list).
const STOP_WORDS: [&str; 33] = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// One token of a query word or phrase, as the index's analyzer makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// The token's text (lower-cased, stemmed: as indexed).
    pub text: String,
    /// Its position in the analyzed text.
    pub position: usize,
    /// A whole identifier (`parsehttp`), which shares its position with its first part.
    pub whole: bool,
}

/// Which kinds of documents a query looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum DocScope {
    /// Chunks of code only: the query has a phrase, regex or literal word to check in code.
    Chunks,
    /// Definitions only: the query has no free word (only filters and `sym:`).
    #[default]
    Symbols,
    /// Definitions and chunks of code.
    SymbolsAndChunks,
}

/// What candidates are checked against after tantivy found them, and what is highlighted.
#[derive(Debug, Default)]
pub(crate) struct MatchPlan {
    /// The free words, as written.
    pub words: Vec<String>,
    /// Phrases (and words matched literally) that a chunk's code must hold.
    pub phrases: Vec<regex::Regex>,
    /// Regexes that a chunk's code must match.
    pub regexes: Vec<regex::Regex>,
    /// Negated regexes: a chunk matching one is dropped.
    pub excluded: Vec<regex::Regex>,
    /// `sym:` values, lower-cased.
    pub syms: Vec<String>,
    /// Tokens highlighted in snippets.
    pub highlight_terms: HashSet<String>,
}

/// The `path:` filters of a query; only an index knows which paths they leave.
#[derive(Debug, Default)]
pub(crate) struct PathFilters {
    /// A path must match one of these (when there are any).
    pub include: Vec<PathFilter>,
    /// A path must match none of these.
    pub exclude: Vec<PathFilter>,
}

impl PathFilters {
    /// Whether there is no path filter.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether `path` passes the filters.
    pub fn keeps(&self, path: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|g| g.matches(path)))
            && !self.exclude.iter().any(|g| g.matches(path))
    }
}

/// A query translated for the index, before its `path:` filters are resolved against it.
#[derive(Debug)]
pub(crate) struct CompiledQuery {
    /// The fields of the index's schema.
    fields: Fields,
    /// Required clauses, in order: phrases, the document scope, `lang:`, `kind:`, `sym:`.
    pub must: Vec<Box<dyn TantivyQuery>>,
    /// Excluded clauses, in order: negated words and phrases, then the filters.
    pub must_not: Vec<Box<dyn TantivyQuery>>,
    /// One query per free word: they score the hits, and one of them must match.
    pub scoring: Vec<Box<dyn TantivyQuery>>,
    /// Negated words and phrases, also checked against the code of definitions.
    pub excluded_code: Vec<Box<dyn TantivyQuery>>,
    /// The documents looked at.
    pub scope: DocScope,
    /// The `path:` filters.
    pub paths: PathFilters,
    /// The lower-cased word of a one-word query, whose exact-name definitions are fetched on
    /// their own as well, so that they come first however common the word is.
    pub exact_name: Option<String>,
    /// The checks and highlights after tantivy.
    pub plan: MatchPlan,
}

/// The tantivy queries a search runs.
#[derive(Debug)]
pub(crate) struct SearchQueries {
    /// Finds and scores the candidates.
    pub main: BooleanQuery,
    /// The definitions named exactly as a one-word query.
    pub exact: Option<BooleanQuery>,
    /// A definition whose code matches this is dropped (negated words and phrases).
    pub excluded_code: Option<Box<dyn TantivyQuery>>,
}

impl CompiledQuery {
    /// The queries to run, `paths` (the documents that the `path:` filters leave, resolved
    /// against an index) among the required clauses.
    pub fn into_queries(mut self, paths: Option<Box<dyn TantivyQuery>>) -> SearchQueries {
        self.must.extend(paths);
        let exact = self
            .exact_name
            .as_deref()
            .map(|name| self.exact_name_query(name));
        if !self.scoring.is_empty() {
            self.must.push(any_of(self.scoring));
        }
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
        clauses.extend(self.must.into_iter().map(|q| (Occur::Must, q)));
        clauses.extend(
            self.must_not
                .into_iter()
                .map(|q| (Occur::MustNot, plain_seek(q))),
        );
        if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        let excluded_code = (!self.excluded_code.is_empty()).then(|| any_of(self.excluded_code));
        SearchQueries {
            main: BooleanQuery::new(clauses),
            exact,
            excluded_code,
        }
    }

    /// The required and excluded clauses (not the scoring ones), `paths` among them: what
    /// semantic search's candidates must pass.
    pub fn filter_query(&self, paths: Option<Box<dyn TantivyQuery>>) -> Box<dyn TantivyQuery> {
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = self
            .must
            .iter()
            .map(|q| (Occur::Must, q.box_clone()))
            .chain(paths.map(|q| (Occur::Must, q)))
            .collect();
        if clauses.is_empty() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        clauses.extend(
            self.must_not
                .iter()
                .map(|q| (Occur::MustNot, plain_seek(q.box_clone()))),
        );
        Box::new(BooleanQuery::new(clauses))
    }

    /// The definitions named `name` (lower-cased) that the required and excluded clauses
    /// (not the scoring ones) leave.
    fn exact_name_query(&self, name: &str) -> BooleanQuery {
        let fields = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = self
            .must
            .iter()
            .map(|q| (Occur::Must, q.box_clone()))
            .collect();
        for term in [
            TantivyTerm::from_field_text(fields.name_key, name),
            TantivyTerm::from_field_text(fields.doc_type, "symbol"),
        ] {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
            ));
        }
        clauses.extend(
            self.must_not
                .iter()
                .map(|q| (Occur::MustNot, plain_seek(q.box_clone()))),
        );
        BooleanQuery::new(clauses)
    }
}

/// `-` or not: the terms of one filter field that a document must have one of, and those it
/// must have none of.
#[derive(Default)]
struct TermFilter {
    wanted: Vec<TantivyTerm>,
    unwanted: Vec<TantivyTerm>,
}

impl TermFilter {
    fn push(&mut self, term: TantivyTerm, negated: bool) {
        if negated {
            self.unwanted.push(term);
        } else {
            self.wanted.push(term);
        }
    }
}

/// Translates queries for an index with the given fields, schema and analyzer.
pub(crate) struct QueryCompiler {
    fields: Fields,
    schema: Schema,
    analyzer: TextAnalyzer,
}

impl QueryCompiler {
    /// A compiler for an index's `fields` and `schema`, its text analyzed by `analyzer`.
    pub fn new(fields: Fields, schema: Schema, analyzer: TextAnalyzer) -> QueryCompiler {
        QueryCompiler {
            fields,
            schema,
            analyzer,
        }
    }

    /// A compiler for an index created with `settings`, without the index.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn for_settings(settings: &IndexSettings) -> QueryCompiler {
        let (schema, fields) = build_schema(settings);
        let manager = TokenizerManager::default();
        register_tokenizers_in(&manager);
        let analyzer = manager
            .get(settings.tokenizer.tantivy_name())
            .expect("the index's tokenizer is registered");
        QueryCompiler::new(fields, schema, analyzer)
    }

    /// Translates `query`. Fails on a word or phrase whose literal regex cannot be built.
    pub fn compile(&mut self, query: &Query) -> Result<CompiledQuery, IndexError> {
        let mut out = CompiledQuery {
            fields: self.fields,
            must: Vec::new(),
            must_not: Vec::new(),
            scoring: Vec::new(),
            excluded_code: Vec::new(),
            scope: DocScope::default(),
            paths: PathFilters::default(),
            exact_name: None,
            plan: MatchPlan::default(),
        };
        let mut chunks_only = false;
        let (mut langs, mut kinds, mut syms) = (
            TermFilter::default(),
            TermFilter::default(),
            TermFilter::default(),
        );
        let drop_stop_words = drops_stop_words(query);
        for clause in &query.clauses {
            let negated = clause.negated;
            match &clause.term {
                Term::Word(word)
                    if drop_stop_words && !negated && STOP_WORDS.contains(&word.as_str()) => {}
                Term::Word(word) => chunks_only |= self.word(&mut out, word, negated)?,
                Term::Phrase(phrase) => chunks_only |= self.phrase(&mut out, phrase, negated)?,
                Term::Regex(regex) => {
                    chunks_only = true;
                    let plan = &mut out.plan;
                    if negated {
                        &mut plan.excluded
                    } else {
                        &mut plan.regexes
                    }
                    .push(regex.clone());
                }
                Term::Lang(lang) => {
                    langs.push(self.text_term(self.fields.language, lang.name()), negated)
                }
                Term::Kind(kind) => {
                    kinds.push(self.text_term(self.fields.kind, kind.name()), negated)
                }
                Term::Sym(name) => self.sym(&mut out, &mut syms, name, negated),
                Term::Path(filter) => if negated {
                    &mut out.paths.exclude
                } else {
                    &mut out.paths.include
                }
                .push(filter.clone()),
            }
        }
        out.scope = if chunks_only {
            DocScope::Chunks
        } else if out.scoring.is_empty() {
            DocScope::Symbols
        } else {
            DocScope::SymbolsAndChunks
        };
        self.add_filters(&mut out, [langs, kinds, syms]);
        if out.plan.words.len() == 1 && !chunks_only {
            out.exact_name = Some(out.plan.words[0].to_lowercase());
        }
        Ok(out)
    }

    fn text_term(&self, field: Field, text: &str) -> TantivyTerm {
        TantivyTerm::from_field_text(field, text)
    }

    /// Adds a free word; returns whether it restricts the search to chunks (a word matched
    /// literally).
    fn word(
        &mut self,
        out: &mut CompiledQuery,
        word: &str,
        negated: bool,
    ) -> Result<bool, IndexError> {
        let f = self.fields;
        let tokens = analyze(&mut self.analyzer, word);
        let (Some(anywhere), Some(in_code)) = (
            self.phrase_query(&tokens, &[f.code, f.name, f.doc]),
            self.phrase_query(&tokens, &[f.code]),
        ) else {
            // No letter or digit to look up (`$`, `()`, an emoji, a token too long to be
            // indexed): matched literally in the code, as a phrase.
            let regex = literal_regex(word)?;
            if negated {
                out.plan.excluded.push(regex);
            } else {
                out.plan.phrases.push(regex);
            }
            return Ok(true);
        };
        if negated {
            out.must_not.push(anywhere);
            out.excluded_code.push(in_code);
            return Ok(false);
        }
        out.plan.words.push(word.to_string());
        let mut per_word = Vec::new();
        for token in &tokens {
            out.plan.highlight_terms.insert(token.text.clone());
            let extra = if token.whole { WHOLE_BOOST } else { 1.0 };
            let text = token.text.as_str();
            per_word.push(term_query(f.name, text, NAME_BOOST * extra));
            per_word.push(term_query(f.qualified_name, text, QUALIFIED_BOOST * extra));
            per_word.push(term_query(f.signature, text, SIGNATURE_BOOST * extra));
            per_word.push(term_query(f.doc, text, DOC_BOOST * extra));
            per_word.push(term_query(f.code, text, extra));
        }
        out.scoring.push(any_of(per_word));
        Ok(false)
    }

    /// Adds an exact phrase; returns whether it restricts the search to chunks.
    fn phrase(
        &mut self,
        out: &mut CompiledQuery,
        phrase: &str,
        negated: bool,
    ) -> Result<bool, IndexError> {
        let tokens = analyze(&mut self.analyzer, phrase);
        let query = self.phrase_query(&tokens, &[self.fields.code]);
        let regex = literal_regex(phrase)?;
        if negated {
            return Ok(match query {
                Some(query) => {
                    out.must_not.push(query.box_clone());
                    out.excluded_code.push(query);
                    false
                }
                None => {
                    // Nothing indexed to exclude by: the code is checked instead.
                    out.plan.excluded.push(regex);
                    true
                }
            });
        }
        for token in &tokens {
            out.plan.highlight_terms.insert(token.text.clone());
        }
        out.plan.phrases.push(regex);
        // Without an indexed token (`"()"`), every chunk is a candidate.
        out.must.extend(query);
        Ok(true)
    }

    /// Adds `sym:name`: the last part of the name, as a key.
    fn sym(&self, out: &mut CompiledQuery, syms: &mut TermFilter, name: &str, negated: bool) {
        let last = name
            .rsplit(['.', ':'])
            .find(|s| !s.is_empty())
            .unwrap_or(name)
            .to_lowercase();
        syms.push(self.text_term(self.fields.name_key, &last), negated);
        if !negated {
            out.plan.syms.push(name.to_lowercase());
            out.plan.highlight_terms.insert(last);
        }
    }

    /// Adds the document scope, then the `lang:`, `kind:` and `sym:` filters.
    fn add_filters(&self, out: &mut CompiledQuery, filters: [TermFilter; 3]) {
        let doc_type = |t: &str| self.text_term(self.fields.doc_type, t);
        match out.scope {
            DocScope::SymbolsAndChunks => out.must_not.push(one_of(vec![doc_type("file")])),
            DocScope::Symbols => out.must.push(one_of(vec![doc_type("symbol")])),
            DocScope::Chunks => out.must.push(one_of(vec![doc_type("chunk")])),
        }
        let mut unwanted = Vec::new();
        for filter in filters {
            if !filter.wanted.is_empty() {
                out.must.push(one_of(filter.wanted));
            }
            if !filter.unwanted.is_empty() {
                unwanted.push(one_of(filter.unwanted));
            }
        }
        out.must_not.extend(unwanted);
    }

    /// Whether `field` records positions (phrase queries need them).
    fn has_positions(&self, field: Field) -> bool {
        match self.schema.get_field_entry(field).field_type() {
            FieldType::Str(options) => options
                .get_indexing_options()
                .is_some_and(|i| i.index_option().has_positions()),
            _ => false,
        }
    }

    /// A query for consecutive tokens (the parts of identifiers) in any of `fields` (in a field
    /// without positions, for all of them); none when there is no token.
    fn phrase_query(&self, tokens: &[Token], fields: &[Field]) -> Option<Box<dyn TantivyQuery>> {
        let parts: Vec<&Token> = tokens.iter().filter(|t| !t.whole).collect();
        let first = parts.first()?.position;
        let per_field = fields
            .iter()
            .map(|&field| -> Box<dyn TantivyQuery> {
                if let [token] = parts[..] {
                    term_query(field, &token.text, 1.0)
                } else if !self.has_positions(field) {
                    Box::new(BooleanQuery::new(
                        parts
                            .iter()
                            .map(|t| (Occur::Must, term_query(field, &t.text, 1.0)))
                            .collect(),
                    ))
                } else {
                    Box::new(PhraseQuery::new_with_offset(
                        parts
                            .iter()
                            .map(|t| {
                                (
                                    t.position - first,
                                    TantivyTerm::from_field_text(field, &t.text),
                                )
                            })
                            .collect(),
                    ))
                }
            })
            .collect();
        Some(any_of(per_field))
    }
}

/// Whether the query is sentence-like (3+ free words, one of them not a stop word): English
/// stop words then only add noise and are dropped.
fn drops_stop_words(query: &Query) -> bool {
    let free_words = query
        .positive()
        .filter(|t| matches!(t, Term::Word(_)))
        .count();
    free_words >= 3
        && query
            .positive()
            .any(|t| matches!(t, Term::Word(w) if !STOP_WORDS.contains(&w.as_str())))
}

/// The tokens of `text` by the index's analyzer, whole identifiers flagged.
pub(crate) fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        tokens.push(Token {
            text: token.text.clone(),
            position: token.position,
            whole: false,
        });
    }
    for i in 0..tokens.len().saturating_sub(1) {
        if tokens[i].position == tokens[i + 1].position {
            tokens[i].whole = true; // shares its position with the first part: a whole identifier
        }
    }
    tokens
}

/// [`phrase_regex`], its error as a query error.
fn literal_regex(text: &str) -> Result<regex::Regex, IndexError> {
    phrase_regex(text).map_err(|message| {
        IndexError::Query(QueryError {
            column: 1,
            token: text.to_string(),
            message,
        })
    })
}

fn term_query(field: Field, text: &str, boost: f32) -> Box<dyn TantivyQuery> {
    let query = TermQuery::new(
        TantivyTerm::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    );
    if (boost - 1.0).abs() < f32::EPSILON {
        Box::new(query)
    } else {
        Box::new(BoostQuery::new(Box::new(query), boost))
    }
}

/// A query matching any of `queries`, scored by the sum of those that match.
pub(crate) fn any_of(queries: Vec<Box<dyn TantivyQuery>>) -> Box<dyn TantivyQuery> {
    Box::new(BooleanQuery::new(
        queries.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

/// A document holding any of `terms`. Small sets of terms are unions of term queries:
/// TermSetQuery builds an automaton and a bitset over all documents, which costs more than the
/// whole search.
fn one_of(terms: Vec<TantivyTerm>) -> Box<dyn TantivyQuery> {
    any_of(
        terms
            .into_iter()
            .map(|t| Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Box<dyn TantivyQuery>)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(text: &str) -> CompiledQuery {
        let query = Query::parse(text).unwrap();
        QueryCompiler::for_settings(&IndexSettings::default())
            .compile(&query)
            .unwrap()
    }

    /// The terms of `queries`, as `field:text`, in order.
    fn terms(queries: &[Box<dyn TantivyQuery>]) -> Vec<String> {
        let (schema, _) = build_schema(&IndexSettings::default());
        let mut out = Vec::new();
        for query in queries {
            query.query_terms(&mut |term, _| {
                let field = schema.get_field_name(term.field());
                let value = term.value();
                let text = value.as_str().unwrap_or_default();
                out.push(format!("{field}:{text}"));
            });
        }
        out
    }

    fn sorted<T: Ord + Clone>(items: impl IntoIterator<Item = T>) -> Vec<T> {
        let mut items: Vec<T> = items.into_iter().collect();
        items.sort();
        items
    }

    #[test]
    fn identifiers_are_analyzed_into_their_whole_and_parts() {
        let mut analyzer = QueryCompiler::for_settings(&IndexSettings::default()).analyzer;
        let tokens = analyze(&mut analyzer, "parseHTTP request");
        let shown: Vec<(&str, usize, bool)> = tokens
            .iter()
            .map(|t| (t.text.as_str(), t.position, t.whole))
            .collect();
        assert_eq!(
            shown,
            [
                ("parsehttp", 0, true),
                ("pars", 0, false),
                ("http", 1, false),
                ("request", 2, false),
            ]
        );
    }

    /// Each clause of `query` as `+` (must) or `-` (must not) and its terms.
    fn clauses(query: &BooleanQuery) -> Vec<(char, Vec<String>)> {
        query
            .clauses()
            .iter()
            .map(|(occur, q)| {
                let sign = if *occur == Occur::MustNot { '-' } else { '+' };
                (sign, terms(std::slice::from_ref(q)))
            })
            .collect()
    }

    #[test]
    fn free_words_score_in_every_field_and_identifiers_count_whole() {
        let c = compile("parse request");
        assert_eq!(c.scope, DocScope::SymbolsAndChunks);
        assert!(c.must.is_empty());
        assert_eq!(terms(&c.must_not), ["doc_type:file"]);
        assert_eq!(c.scoring.len(), 2, "one query per word");
        assert_eq!(
            terms(&c.scoring[..1]),
            [
                "name:pars",
                "qualified_name:pars",
                "signature:pars",
                "doc:pars",
                "code:pars"
            ]
        );
        assert_eq!(c.plan.words, ["parse", "request"]);
        assert_eq!(c.exact_name, None, "two words: no exact-name rule");

        let c = compile("parseRequest");
        assert_eq!(c.exact_name.as_deref(), Some("parserequest"));
        assert_eq!(
            terms(&c.scoring)
                .iter()
                .filter(|t| t.starts_with("code:"))
                .collect::<Vec<_>>(),
            ["code:parserequest", "code:pars", "code:request"]
        );
        assert_eq!(
            sorted(c.plan.highlight_terms),
            ["pars", "parserequest", "request"]
        );
        // The whole identifier weighs more than its parts.
        let debug = format!("{:?}", c.scoring[0]);
        assert!(debug.contains(r#""parserequest")), boost=3)"#), "{debug}");
        assert!(debug.contains(r#""pars")), boost=1.5)"#), "{debug}");
    }

    #[test]
    fn stop_words_are_dropped_from_sentences_only() {
        assert_eq!(
            compile("how to parse the request").plan.words,
            ["how", "parse", "request"]
        );
        assert_eq!(compile("to parse").plan.words, ["to", "parse"]);
        assert_eq!(
            compile("the a of").plan.words,
            ["the", "a", "of"],
            "nothing but stop words: all kept"
        );
        assert_eq!(
            compile("-the x y z").must_not.len(),
            2,
            "negated words stay"
        );
    }

    #[test]
    fn filters_alone_list_definitions() {
        let c = compile("lang:python kind:function -lang:js sym:Shape.area -sym:x");
        assert_eq!(c.scope, DocScope::Symbols);
        assert!(c.scoring.is_empty());
        assert_eq!(
            terms(&c.must),
            [
                "doc_type:symbol",
                "language:python",
                "kind:function",
                "name_key:area"
            ]
        );
        assert_eq!(terms(&c.must_not), ["language:javascript", "name_key:x"]);
        assert_eq!(c.plan.syms, ["shape.area"]);
        assert_eq!(sorted(c.plan.highlight_terms), ["area"]);
        assert_eq!(c.exact_name, None);
    }

    #[test]
    fn phrases_regexes_and_literal_words_search_chunks() {
        let c = compile("\"exact phrase\" foo");
        assert_eq!(c.scope, DocScope::Chunks);
        assert_eq!(
            terms(&c.must),
            ["code:exact", "code:phrase", "doc_type:chunk"]
        );
        assert_eq!(c.plan.phrases[0].as_str(), r"exact\s+phrase");
        assert_eq!(c.exact_name, None, "chunks only: no exact-name rule");

        let c = compile("$ foo");
        assert_eq!(c.scope, DocScope::Chunks);
        assert_eq!(terms(&c.must), ["doc_type:chunk"]);
        assert_eq!(c.plan.phrases[0].as_str(), r"\$");
        assert_eq!(c.plan.words, ["foo"]);

        let c = compile("/fo+/ -/x/ -$ bar");
        assert_eq!(c.scope, DocScope::Chunks);
        assert_eq!(c.plan.regexes[0].as_str(), "fo+");
        let excluded: Vec<&str> = c.plan.excluded.iter().map(|r| r.as_str()).collect();
        assert_eq!(excluded, ["x", r"\$"]);
    }

    #[test]
    fn negated_words_and_phrases_exclude_documents_and_definitions() {
        let c = compile("-foo -\"a b\" bar");
        assert_eq!(c.scope, DocScope::SymbolsAndChunks);
        assert_eq!(
            terms(&c.must_not),
            [
                "code:foo",
                "name:foo",
                "doc:foo",
                "code:a",
                "code:b",
                "doc_type:file"
            ]
        );
        assert_eq!(terms(&c.excluded_code), ["code:foo", "code:a", "code:b"]);
        assert_eq!(c.exact_name.as_deref(), Some("bar"));
        assert!(c.plan.highlight_terms.iter().all(|t| t == "bar"));
    }

    #[test]
    fn path_filters_wait_for_the_index() {
        let c = compile("path:src/** -path:tests foo");
        assert!(!c.paths.is_empty());
        assert!(c.paths.keeps("src/lib.rs"));
        assert!(!c.paths.keeps("src/tests/a.rs"));
        assert!(!c.paths.keeps("lib.rs"));
        assert!(compile("foo").paths.is_empty());
    }

    #[test]
    fn queries_put_paths_before_scoring_and_fetch_exact_names_apart() {
        let (_, fields) = build_schema(&IndexSettings::default());
        let paths: Box<dyn TantivyQuery> = Box::new(TermQuery::new(
            TantivyTerm::from_field_text(fields.path, "src/a.rs"),
            IndexRecordOption::Basic,
        ));
        let queries = compile("lang:rust -foo bar").into_queries(Some(paths));
        let main = clauses(&queries.main);
        let signs: Vec<char> = main.iter().map(|c| c.0).collect();
        assert_eq!(signs, ['+', '+', '+', '-', '-']);
        assert_eq!(main[0].1, ["language:rust"]);
        assert_eq!(main[1].1, ["path:src/a.rs"]);
        assert_eq!(main[2].1[0], "name:bar", "scoring last among the required");
        assert_eq!(main[4].1, ["doc_type:file"]);
        let exact = clauses(queries.exact.as_ref().unwrap());
        let exact: Vec<(char, String)> = exact.into_iter().map(|(s, t)| (s, t.join(" "))).collect();
        assert_eq!(
            exact,
            [
                ('+', "language:rust".to_string()),
                ('+', "path:src/a.rs".to_string()),
                ('+', "name_key:bar".to_string()),
                ('+', "doc_type:symbol".to_string()),
                ('-', "code:foo name:foo doc:foo".to_string()),
                ('-', "doc_type:file".to_string()),
            ]
        );
        assert!(queries.excluded_code.is_some());

        // Only exclusions left among the clauses: everything else is a candidate.
        let queries = compile("lang:rust").into_queries(None);
        assert!(queries.exact.is_none() && queries.excluded_code.is_none());
        assert_eq!(clauses(&queries.main).len(), 2);
    }
}
