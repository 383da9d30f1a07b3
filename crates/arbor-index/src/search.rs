//! Running a [`Query`] against a [`CodeIndex`].

use std::collections::{BTreeSet, HashSet};

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EnableScoring, Explanation, Occur, PhraseQuery,
    Query as TantivyQuery, Scorer, TermQuery, TermSetQuery, Weight,
};
use tantivy::schema::FieldType;
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, TantivyDocument, TantivyError,
    Term as TantivyTerm,
};

use crate::error::IndexError;
use crate::guard::guarded;
use crate::index::CodeIndex;
use crate::query::{phrase_regex, Query, QueryError, Term};

/// The most hits a search returns; a larger [`SearchOptions::limit`] counts as this.
pub const MAX_LIMIT: usize = 10_000;

/// Options of a search.
#[derive(Debug, Clone, Copy)]
pub struct SearchOptions {
    /// At most this many hits (at least 1, at most [`MAX_LIMIT`]).
    pub limit: usize,
    /// At most this many snippet lines per hit.
    pub snippet_lines: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: 20,
            snippet_lines: 3,
        }
    }
}

/// A line of a hit's snippet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnippetLine {
    /// 1-based line number.
    pub line: usize,
    /// The line's text, without its newline.
    pub text: String,
    /// Byte ranges of the text that matched, sorted, not overlapping.
    pub highlights: Vec<(usize, usize)>,
}

/// One search result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// Path relative to the repository root.
    pub path: String,
    /// Language name.
    pub language: String,
    /// 1-based line of the match (of the name, for a definition).
    pub line: usize,
    /// 1-based byte column of the match.
    pub column: usize,
    /// `definition` for a symbol, `code` for a chunk of code.
    #[serde(rename = "type")]
    pub hit_type: &'static str,
    /// The symbol defined here, or the one the code lies in (qualified name).
    pub symbol: Option<String>,
    /// That symbol's kind.
    pub kind: Option<String>,
    /// First line of the symbol's doc, for definitions.
    pub doc: Option<String>,
    /// Relevance; higher is better. Exact-name definitions come first whatever their score.
    pub score: f32,
    /// The matching lines.
    pub snippet: Vec<SnippetLine>,
    #[serde(skip)]
    tier: u8,
    #[serde(skip)]
    merge_key: Option<(String, usize)>,
}

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
/// The most candidates fetched when post-filters (phrases, regexes) reject many.
const MAX_CANDIDATES: usize = 200_000;

#[derive(Default)]
struct Plan {
    words: Vec<String>,
    phrases: Vec<regex::Regex>,
    regexes: Vec<regex::Regex>,
    /// Negated regexes: a chunk matching one is dropped.
    excluded: Vec<regex::Regex>,
    syms: Vec<String>,
    highlight_terms: HashSet<String>,
}

/// Tokens of `text` by the index's analyzer: (text, position), whole identifiers flagged.
fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, bool)> {
    let mut tokens: Vec<(String, usize, bool)> = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        tokens.push((token.text.clone(), token.position, false));
    }
    for i in 0..tokens.len().saturating_sub(1) {
        if tokens[i].1 == tokens[i + 1].1 {
            tokens[i].2 = true; // shares its position with the first part: a whole identifier
        }
    }
    tokens
}

/// `query` for an exclusion: its scorer seeks only by `seek`, not by `seek_danger`. tantivy's
/// phrase scorer asserts (in debug builds, where the assertion is wrong) that a danger seek never
/// goes back behind its current document, which an exclusion does after a danger seek moved it
/// past a target; `seek` keeps every scorer in a valid state.
fn plain_seek(query: Box<dyn TantivyQuery>) -> Box<dyn TantivyQuery> {
    Box::new(PlainSeek(query))
}

#[derive(Debug)]
struct PlainSeek(Box<dyn TantivyQuery>);

impl Clone for PlainSeek {
    fn clone(&self) -> Self {
        PlainSeek(self.0.box_clone())
    }
}

impl TantivyQuery for PlainSeek {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(PlainSeekWeight(self.0.weight(scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a TantivyTerm, bool)) {
        self.0.query_terms(visitor);
    }
}

struct PlainSeekWeight(Box<dyn Weight>);

impl Weight for PlainSeekWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(PlainSeekScorer(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

/// Forwards everything but `seek_danger`, which keeps [`DocSet`]'s default (by `seek`).
struct PlainSeekScorer(Box<dyn Scorer>);

impl DocSet for PlainSeekScorer {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.0.seek(target)
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }

    fn cost(&self) -> u64 {
        self.0.cost()
    }
}

impl Scorer for PlainSeekScorer {
    fn score(&mut self) -> Score {
        self.0.score()
    }
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

fn any_of(queries: Vec<Box<dyn TantivyQuery>>) -> Box<dyn TantivyQuery> {
    Box::new(BooleanQuery::new(
        queries.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

fn text_of(doc: &TantivyDocument, field: Field) -> Option<&str> {
    doc.get_first(field).and_then(|v| v.as_str())
}

fn u64_of(doc: &TantivyDocument, field: Field) -> usize {
    doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0) as usize
}

impl CodeIndex {
    fn analyzer(&self) -> TextAnalyzer {
        self.index
            .tokenizers()
            .get(self.settings().tokenizer.tantivy_name())
            .expect("the index's tokenizer is registered when it is opened")
    }

    /// Every indexed path, from the term dictionary of the path field.
    fn all_paths(&self, searcher: &Searcher) -> Result<BTreeSet<String>, IndexError> {
        let mut paths = BTreeSet::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.path)?;
            let mut stream = inverted.terms().stream().map_err(|source| IndexError::Io {
                path: self.dir().to_path_buf(),
                source,
            })?;
            while stream.advance() {
                paths.insert(String::from_utf8_lossy(stream.key()).into_owned());
            }
        }
        Ok(paths)
    }

    /// Runs `query` and returns its hits, best first.
    pub fn search(&self, query: &Query, options: &SearchOptions) -> Result<Vec<Hit>, IndexError> {
        guarded(self.dir(), || self.run_search(query, options)).map_err(|err| match err {
            // Data tantivy cannot read is damage to the index.
            IndexError::Tantivy(
                err @ (TantivyError::DataCorruption(_)
                | TantivyError::IoError(_)
                | TantivyError::OpenReadError(_)
                | TantivyError::IncompatibleIndex(_)),
            ) => IndexError::Corrupt {
                path: self.dir().to_path_buf(),
                message: err
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            },
            other => other,
        })
    }

    fn run_search(&self, query: &Query, options: &SearchOptions) -> Result<Vec<Hit>, IndexError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let mut analyzer = self.analyzer();
        let mut plan = Plan::default();
        let mut must: Vec<Box<dyn TantivyQuery>> = Vec::new();
        let mut must_not: Vec<Box<dyn TantivyQuery>> = Vec::new();
        let mut scoring: Vec<Box<dyn TantivyQuery>> = Vec::new();
        let (mut langs, mut kinds, mut syms, mut paths) = (vec![], vec![], vec![], vec![]);
        let (mut not_langs, mut not_kinds, mut not_syms, mut not_paths) =
            (vec![], vec![], vec![], vec![]);
        let mut chunks_only = false;
        // Negated words and phrases, also checked against the code of definitions.
        let mut excluded_code: Vec<Box<dyn TantivyQuery>> = Vec::new();

        // In a sentence-like query (3+ free words), English stop words only add noise.
        let free_words = query
            .positive()
            .filter(|t| matches!(t, Term::Word(_)))
            .count();
        let drop_stop_words = free_words >= 3
            && query
                .positive()
                .any(|t| matches!(t, Term::Word(w) if !STOP_WORDS.contains(&w.as_str())));
        for clause in &query.clauses {
            let negated = clause.negated;
            match &clause.term {
                Term::Word(word)
                    if drop_stop_words && !negated && STOP_WORDS.contains(&word.as_str()) => {}
                Term::Word(word) => {
                    let tokens = analyze(&mut analyzer, word);
                    let (Some(anywhere), Some(in_code)) = (
                        self.phrase_query(&tokens, &[f.code, f.name, f.doc]),
                        self.phrase_query(&tokens, &[f.code]),
                    ) else {
                        // No letter or digit to look up (`$`, `()`, an emoji, a token too long
                        // to be indexed): matched literally in the code, as a phrase.
                        let regex = literal_regex(word)?;
                        chunks_only = true;
                        if negated {
                            plan.excluded.push(regex);
                        } else {
                            plan.phrases.push(regex);
                        }
                        continue;
                    };
                    if negated {
                        must_not.push(anywhere);
                        excluded_code.push(in_code);
                        continue;
                    }
                    plan.words.push(word.clone());
                    let mut per_word = Vec::new();
                    for (token, _, whole) in &tokens {
                        plan.highlight_terms.insert(token.clone());
                        let extra = if *whole { WHOLE_BOOST } else { 1.0 };
                        per_word.push(term_query(f.name, token, NAME_BOOST * extra));
                        per_word.push(term_query(f.qualified_name, token, QUALIFIED_BOOST * extra));
                        per_word.push(term_query(f.signature, token, SIGNATURE_BOOST * extra));
                        per_word.push(term_query(f.doc, token, DOC_BOOST * extra));
                        per_word.push(term_query(f.code, token, extra));
                    }
                    scoring.push(any_of(per_word));
                }
                Term::Phrase(phrase) => {
                    let tokens = analyze(&mut analyzer, phrase);
                    let query = self.phrase_query(&tokens, &[f.code]);
                    let regex = literal_regex(phrase)?;
                    if negated {
                        match query {
                            Some(query) => {
                                must_not.push(query.box_clone());
                                excluded_code.push(query);
                            }
                            None => {
                                // Nothing indexed to exclude by: the code is checked instead.
                                chunks_only = true;
                                plan.excluded.push(regex);
                            }
                        }
                        continue;
                    }
                    chunks_only = true;
                    for (token, _, _) in &tokens {
                        plan.highlight_terms.insert(token.clone());
                    }
                    plan.phrases.push(regex);
                    // Without an indexed token (`"()"`), every chunk is a candidate.
                    if let Some(query) = query {
                        must.push(query);
                    }
                }
                Term::Regex(regex) => {
                    chunks_only = true;
                    if negated {
                        &mut plan.excluded
                    } else {
                        &mut plan.regexes
                    }
                    .push(regex.clone());
                }
                Term::Lang(lang) => {
                    let list = if negated { &mut not_langs } else { &mut langs };
                    list.push(TantivyTerm::from_field_text(f.language, lang.name()));
                }
                Term::Kind(kind) => {
                    let list = if negated { &mut not_kinds } else { &mut kinds };
                    list.push(TantivyTerm::from_field_text(f.kind, kind.name()));
                }
                Term::Sym(name) => {
                    let last = name
                        .rsplit(['.', ':'])
                        .find(|s| !s.is_empty())
                        .unwrap_or(name)
                        .to_lowercase();
                    let list = if negated { &mut not_syms } else { &mut syms };
                    list.push(TantivyTerm::from_field_text(f.name_key, &last));
                    if !negated {
                        plan.syms.push(name.to_lowercase());
                        plan.highlight_terms.insert(last);
                    }
                }
                Term::Path(filter) => {
                    if negated { &mut not_paths } else { &mut paths }.push(filter.clone());
                }
            }
        }

        let doc_types: &[&str] = if chunks_only {
            &["chunk"]
        } else if scoring.is_empty() {
            &["symbol"] // only filters (and sym:): list the definitions
        } else {
            &["symbol", "chunk"]
        };
        // Small sets of terms are unions of term queries: TermSetQuery builds an automaton and a
        // bitset over all documents, which costs more than the whole search.
        let one_of = |terms: Vec<TantivyTerm>| -> Box<dyn TantivyQuery> {
            any_of(
                terms
                    .into_iter()
                    .map(|t| {
                        Box::new(TermQuery::new(t, IndexRecordOption::Basic))
                            as Box<dyn TantivyQuery>
                    })
                    .collect(),
            )
        };
        if doc_types.len() == 2 {
            must_not.push(one_of(vec![TantivyTerm::from_field_text(
                f.doc_type, "file",
            )]));
        } else {
            must.push(one_of(
                doc_types
                    .iter()
                    .map(|t| TantivyTerm::from_field_text(f.doc_type, t))
                    .collect(),
            ));
        }
        for terms in [langs, kinds, syms] {
            if !terms.is_empty() {
                must.push(one_of(terms));
            }
        }
        for terms in [not_langs, not_kinds, not_syms] {
            if !terms.is_empty() {
                must_not.push(one_of(terms));
            }
        }
        if !paths.is_empty() || !not_paths.is_empty() {
            let all = self.all_paths(&searcher)?;
            let keep: Vec<TantivyTerm> = all
                .iter()
                .filter(|p| paths.is_empty() || paths.iter().any(|g| g.matches(p)))
                .filter(|p| !not_paths.iter().any(|g| g.matches(p)))
                .map(|p| TantivyTerm::from_field_text(f.path, p))
                .collect();
            if keep.is_empty() {
                return Ok(Vec::new());
            }
            must.push(Box::new(TermSetQuery::new(keep)));
        }
        // Definitions named exactly as a one-word query are fetched on their own as well, so they
        // come first however common the word is.
        let exact_query = (plan.words.len() == 1 && !chunks_only).then(|| {
            let name = plan.words[0].to_lowercase();
            let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> =
                must.iter().map(|q| (Occur::Must, q.box_clone())).collect();
            for term in [
                TantivyTerm::from_field_text(f.name_key, &name),
                TantivyTerm::from_field_text(f.doc_type, "symbol"),
            ] {
                clauses.push((
                    Occur::Must,
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                ));
            }
            clauses.extend(
                must_not
                    .iter()
                    .map(|q| (Occur::MustNot, plain_seek(q.box_clone()))),
            );
            BooleanQuery::new(clauses)
        });
        if !scoring.is_empty() {
            must.push(any_of(scoring));
        }
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
        clauses.extend(must.into_iter().map(|q| (Occur::Must, q)));
        clauses.extend(
            must_not
                .into_iter()
                .map(|q| (Occur::MustNot, plain_seek(q))),
        );
        if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        let tantivy_query = BooleanQuery::new(clauses);

        let limit = options.limit.clamp(1, MAX_LIMIT);
        // Merging definition chunks into definitions removes some: fetch a little more.
        let mut fetch = limit + 10;
        loop {
            let mut top =
                searcher.search(&tantivy_query, &TopDocs::with_limit(fetch).order_by_score())?;
            let exhausted = top.len() < fetch;
            if let Some(exact) = &exact_query {
                for (score, address) in
                    searcher.search(exact, &TopDocs::with_limit(limit).order_by_score())?
                {
                    if !top.iter().any(|(_, a)| *a == address) {
                        top.push((score, address));
                    }
                }
            }
            let mut candidates = self.candidates(&searcher, &top, &plan)?;
            if !excluded_code.is_empty() {
                // A definition whose code holds an excluded word goes too.
                let excluded = any_of(excluded_code.iter().map(|q| q.box_clone()).collect());
                let mut kept = Vec::with_capacity(candidates.len());
                for candidate in candidates {
                    let hit = &candidate.hit;
                    if hit.hit_type != "definition"
                        || !self.code_matches(&searcher, hit, excluded.as_ref())?
                    {
                        kept.push(candidate);
                    }
                }
                candidates = kept;
            }
            let ranked = rank(candidates, limit);
            if ranked.len() >= limit || exhausted || fetch >= MAX_CANDIDATES {
                return Ok(ranked
                    .into_iter()
                    .map(|c| finish(c, &plan, &mut analyzer, options))
                    .collect());
            }
            fetch = (fetch * 4).min(MAX_CANDIDATES);
        }
    }

    /// Whether a chunk of the definition `hit` matches `query`.
    fn code_matches(
        &self,
        searcher: &Searcher,
        hit: &Hit,
        query: &dyn TantivyQuery,
    ) -> Result<bool, IndexError> {
        let f = self.fields;
        let exact = |term: TantivyTerm| -> Box<dyn TantivyQuery> {
            Box::new(TermQuery::new(term, IndexRecordOption::Basic))
        };
        let scoped = BooleanQuery::new(vec![
            (
                Occur::Must,
                exact(TantivyTerm::from_field_text(f.path, &hit.path)),
            ),
            (
                Occur::Must,
                exact(TantivyTerm::from_field_u64(f.symbol_line, hit.line as u64)),
            ),
            (
                Occur::Must,
                exact(TantivyTerm::from_field_text(f.doc_type, "chunk")),
            ),
            (Occur::Must, query.box_clone()),
        ]);
        Ok(searcher.search(&scoped, &tantivy::collector::Count)? > 0)
    }

    /// Whether `field` records positions (phrase queries need them).
    fn has_positions(&self, field: Field) -> bool {
        match self.index.schema().get_field_entry(field).field_type() {
            FieldType::Str(options) => options
                .get_indexing_options()
                .is_some_and(|i| i.index_option().has_positions()),
            _ => false,
        }
    }

    /// A query for consecutive tokens (the parts of identifiers) in any of `fields` (in a field
    /// without positions, for all of them); none when there is no token.
    fn phrase_query(
        &self,
        tokens: &[(String, usize, bool)],
        fields: &[Field],
    ) -> Option<Box<dyn TantivyQuery>> {
        let parts: Vec<&(String, usize, bool)> = tokens.iter().filter(|t| !t.2).collect();
        let first = parts.first()?.1;
        let per_field = fields
            .iter()
            .map(|&field| -> Box<dyn TantivyQuery> {
                if let [(text, _, _)] = parts[..] {
                    term_query(field, text, 1.0)
                } else if !self.has_positions(field) {
                    Box::new(BooleanQuery::new(
                        parts
                            .iter()
                            .map(|(text, _, _)| (Occur::Must, term_query(field, text, 1.0)))
                            .collect(),
                    ))
                } else {
                    Box::new(PhraseQuery::new_with_offset(
                        parts
                            .iter()
                            .map(|(text, position, _)| {
                                (position - first, TantivyTerm::from_field_text(field, text))
                            })
                            .collect(),
                    ))
                }
            })
            .collect();
        Some(any_of(per_field))
    }

    /// The hits for `top`, without snippets: phrases and regexes checked, stored fields read.
    fn candidates(
        &self,
        searcher: &Searcher,
        top: &[(f32, DocAddress)],
        plan: &Plan,
    ) -> Result<Vec<Candidate>, IndexError> {
        let f = self.fields;
        let qualified_syms: Vec<&String> = plan
            .syms
            .iter()
            .filter(|s| s.contains(['.', ':']))
            .collect();
        // The exact-name rule applies to a one-word query and to sym: values.
        let single_word = if plan.words.len() == 1 {
            &plan.words[..]
        } else {
            &[]
        };
        let mut candidates = Vec::new();
        for &(score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let path = text_of(&doc, f.path).unwrap_or_default().to_string();
            let qualified = text_of(&doc, f.qualified_name).map(str::to_string);
            if !qualified_syms.is_empty() {
                let q = qualified.as_deref().unwrap_or("").to_lowercase();
                let wanted = |s: &&String| {
                    q == **s || q.ends_with(&format!(".{s}")) || q.ends_with(&format!("::{s}"))
                };
                if !qualified_syms.iter().any(wanted) {
                    continue;
                }
            }
            let mut hit = Hit {
                language: text_of(&doc, f.language).unwrap_or_default().to_string(),
                line: u64_of(&doc, f.start_line),
                column: 1,
                hit_type: "code",
                symbol: qualified,
                kind: text_of(&doc, f.kind).map(str::to_string),
                doc: None,
                score,
                snippet: Vec::new(),
                tier: 2,
                merge_key: None,
                path,
            };
            if text_of(&doc, f.doc_type) == Some("symbol") {
                let name = text_of(&doc, f.name).unwrap_or_default();
                hit.tier = single_word
                    .iter()
                    .chain(&plan.syms)
                    .map(|w| {
                        if w == name {
                            0
                        } else if w.to_lowercase() == name.to_lowercase() {
                            1
                        } else {
                            2
                        }
                    })
                    .min()
                    .unwrap_or(2);
                hit.hit_type = "definition";
                hit.column = u64_of(&doc, f.start_col);
                hit.doc = text_of(&doc, f.doc_summary).map(str::to_string);
                hit.merge_key = Some((hit.path.clone(), hit.line));
                let line = text_of(&doc, f.line_text).unwrap_or_default().to_string();
                candidates.push(Candidate {
                    hit,
                    source: Source::Line(line),
                    merged: Vec::new(),
                });
                continue;
            }
            let code = text_of(&doc, f.code).unwrap_or_default();
            if !plan
                .phrases
                .iter()
                .chain(&plan.regexes)
                .all(|r| r.is_match(code))
                || plan.excluded.iter().any(|r| r.is_match(code))
            {
                continue;
            }
            let symbol_line = u64_of(&doc, f.symbol_line);
            if text_of(&doc, f.chunk_kind) == Some("definition") && symbol_line > 0 {
                hit.merge_key = Some((hit.path.clone(), symbol_line));
            }
            candidates.push(Candidate {
                source: Source::Code {
                    text: code.to_string(),
                    first_line: hit.line,
                    inner: text_of(&doc, f.inner_symbols).map(str::to_string),
                },
                hit,
                merged: Vec::new(),
            });
        }
        Ok(candidates)
    }
}

/// A hit before its snippet is made (only the hits that are shown get one).
struct Candidate {
    hit: Hit,
    source: Source,
    /// Code chunks merged into a definition: (text, first line).
    merged: Vec<(String, usize)>,
}

enum Source {
    /// A definition: the line holding its name.
    Line(String),
    /// A chunk of code.
    Code {
        text: String,
        first_line: usize,
        inner: Option<String>,
    },
}

/// The lines of `code` (starting at line `first_line`) that match, best first: the lines with
/// the most matches, earlier lines first among equals.
fn matching_lines(
    code: &str,
    first_line: usize,
    plan: &Plan,
    analyzer: &mut TextAnalyzer,
) -> Vec<SnippetLine> {
    let mut lines = Vec::new();
    let needs_text_match = !plan.phrases.is_empty() || !plan.regexes.is_empty();
    for (offset, text) in code.lines().enumerate() {
        // With a phrase or regex, a line shows when one of them matches on it.
        if needs_text_match
            && !plan
                .phrases
                .iter()
                .chain(&plan.regexes)
                .any(|r| r.is_match(text))
        {
            continue;
        }
        let highlights = highlight(text, analyzer, plan);
        if !highlights.is_empty() {
            lines.push(SnippetLine {
                line: first_line + offset,
                text: text.to_string(),
                highlights,
            });
        }
    }
    lines.sort_by_key(|l| (std::cmp::Reverse(l.highlights.len()), l.line));
    lines
}

/// Makes the snippet of a hit that will be shown.
fn finish(
    candidate: Candidate,
    plan: &Plan,
    analyzer: &mut TextAnalyzer,
    options: &SearchOptions,
) -> Hit {
    let mut hit = candidate.hit;
    match candidate.source {
        Source::Line(text) => {
            let highlights = highlight(&text, analyzer, plan);
            hit.snippet.push(SnippetLine {
                line: hit.line,
                text,
                highlights,
            });
            for (code, first_line) in &candidate.merged {
                let extra = matching_lines(code, *first_line, plan, analyzer);
                let extra = extra.into_iter().filter(|l| l.line != hit.line);
                hit.snippet
                    .extend(extra.take(options.snippet_lines.saturating_sub(1)));
            }
            hit.snippet.sort_by_key(|l| l.line);
        }
        Source::Code {
            text,
            first_line,
            inner,
        } => {
            let mut snippet = matching_lines(&text, first_line, plan, analyzer);
            snippet.truncate(options.snippet_lines.max(1));
            snippet.sort_by_key(|l| l.line);
            if snippet.is_empty() {
                // Matched across lines (a phrase or regex over a line break): show where it starts.
                let start = plan
                    .phrases
                    .iter()
                    .chain(&plan.regexes)
                    .filter_map(|r| r.find(&text).map(|m| m.start()))
                    .min()
                    .unwrap_or(0);
                let offset = text[..start].matches('\n').count();
                snippet.push(SnippetLine {
                    line: first_line + offset,
                    text: text.lines().nth(offset).unwrap_or_default().to_string(),
                    highlights: Vec::new(),
                });
            }
            hit.line = snippet[0].line;
            hit.column = snippet[0].highlights.first().map_or(1, |h| h.0 + 1);
            if let Some((kind, name)) = innermost(inner.as_deref(), hit.line) {
                hit.symbol = Some(name);
                hit.kind = Some(kind);
            }
            hit.snippet = snippet;
        }
    }
    hit
}

/// The innermost symbol of a chunk's `inner_symbols` that holds `line`: (kind, qualified name).
fn innermost(inner: Option<&str>, line: usize) -> Option<(String, String)> {
    inner?
        .lines()
        .filter_map(|entry| {
            let mut parts = entry.splitn(4, '\t');
            let start: usize = parts.next()?.parse().ok()?;
            let end: usize = parts.next()?.parse().ok()?;
            let kind = parts.next()?;
            let name = parts.next()?;
            (start <= line && line <= end).then_some((start, end, kind, name))
        })
        .min_by_key(|&(start, end, _, _)| (end - start, std::cmp::Reverse(start)))
        .map(|(_, _, kind, name)| (kind.to_string(), name.to_string()))
}

/// Byte ranges of `line` that match the query: regex and phrase matches, and tokens that are
/// query terms.
fn highlight(line: &str, analyzer: &mut TextAnalyzer, plan: &Plan) -> Vec<(usize, usize)> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for regex in plan.regexes.iter().chain(&plan.phrases) {
        ranges.extend(
            regex
                .find_iter(line)
                .filter(|m| !m.is_empty())
                .map(|m| (m.start(), m.end())),
        );
    }
    if !plan.highlight_terms.is_empty() {
        let mut stream = analyzer.token_stream(line);
        while let Some(token) = stream.next() {
            if plan.highlight_terms.contains(&token.text) {
                ranges.push((token.offset_from, token.offset_to));
            }
        }
    }
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// Merges each definition chunk into its symbol's hit, then orders: exact-name definitions
/// first (case-sensitive before not), then by score.
fn rank(candidates: Vec<Candidate>, limit: usize) -> Vec<Candidate> {
    let mut definitions: std::collections::HashMap<(String, usize), usize> =
        std::collections::HashMap::new();
    let mut out: Vec<Candidate> = Vec::with_capacity(candidates.len());
    let (symbols, chunks): (Vec<Candidate>, Vec<Candidate>) = candidates
        .into_iter()
        .partition(|c| c.hit.hit_type == "definition");
    for candidate in symbols {
        if let Some(key) = candidate.hit.merge_key.clone() {
            definitions.insert(key, out.len());
        }
        out.push(candidate);
    }
    for candidate in chunks {
        match candidate
            .hit
            .merge_key
            .as_ref()
            .and_then(|k| definitions.get(k))
        {
            Some(&index) => {
                let target = &mut out[index];
                target.hit.score += candidate.hit.score;
                if let Source::Code {
                    text, first_line, ..
                } = candidate.source
                {
                    target.merged.push((text, first_line));
                }
            }
            None => out.push(candidate),
        }
    }
    out.sort_by(|a, b| {
        let (a, b) = (&a.hit, &b.hit);
        a.tier
            .cmp(&b.tier)
            .then(b.score.total_cmp(&a.score))
            .then_with(|| a.path.cmp(&b.path))
            .then(a.line.cmp(&b.line))
    });
    out.truncate(limit);
    out
}
