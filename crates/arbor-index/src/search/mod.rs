//! Running a [`Query`] against a [`CodeIndex`], in two steps: translation
//! (`compile`: the query becomes tantivy queries and checks, without the index) and
//! execution (here: `path:` filters resolved against the index, candidates fetched, checked,
//! ranked, and the snippets of the hits shown made, in `rank`).

mod compile;
mod hybrid;
mod plain_seek;
mod rank;

pub use hybrid::{SearchMode, SideScores};

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query as TantivyQuery, TermQuery, TermSetQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Searcher, TantivyDocument, TantivyError, Term as TantivyTerm};

use crate::error::IndexError;
use crate::guard::guarded;
use crate::index::CodeIndex;
use crate::query::Query;
use crate::vectors::VectorStore;

use compile::{CompiledQuery, DocScope, MatchPlan, PathFilters, QueryCompiler, SearchQueries};
use rank::{finish, rank, Candidate, Source};

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

/// What a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HitType {
    /// The definition of a symbol (`definition`).
    Definition,
    /// A chunk of code (`code`).
    Code,
}

impl HitType {
    /// The name of the type: `definition` or `code`.
    pub fn name(self) -> &'static str {
        match self {
            HitType::Definition => "definition",
            HitType::Code => "code",
        }
    }
}

impl fmt::Display for HitType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
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
    /// A definition or code (`type` in JSON).
    #[serde(rename = "type")]
    pub hit_type: HitType,
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
    /// For a semantic or hybrid search, each side's score (`score` is then the fused one).
    #[serde(flatten)]
    pub sides: Option<SideScores>,
    #[serde(skip)]
    tier: u8,
    #[serde(skip)]
    merge_key: Option<(String, usize)>,
}

/// The most candidates fetched when post-filters (phrases, regexes) reject many.
const MAX_CANDIDATES: usize = 200_000;

/// Which documents the `path:` filters of a query leave, resolved against an index.
enum PathRestriction {
    /// No filter.
    Any,
    /// The documents of these paths.
    Only(Box<dyn TantivyQuery>),
    /// No indexed path passes.
    Nothing,
}

fn text_of(doc: &TantivyDocument, field: Field) -> Option<&str> {
    doc.get_first(field).and_then(|v| v.as_str())
}

pub(crate) fn u64_of(doc: &TantivyDocument, field: Field) -> usize {
    doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0) as usize
}

/// How a definition's name compares with the one-word query or a `sym:` value: 0 the same,
/// 1 the same but for case, 2 otherwise (lower ranks first).
fn name_tier(name: &str, wanted: &[String], syms: &[String]) -> u8 {
    wanted
        .iter()
        .chain(syms)
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
        .unwrap_or(2)
}

/// Whether a qualified name (lower-cased) is one of the qualified `sym:` values, or ends with
/// one of them.
fn is_qualified_sym(qualified: &str, qualified_syms: &[&String]) -> bool {
    qualified_syms.iter().any(|s| {
        let s: &str = s;
        qualified == s
            || qualified.ends_with(&format!(".{s}"))
            || qualified.ends_with(&format!("::{s}"))
    })
}

impl CodeIndex {
    fn analyzer(&self) -> TextAnalyzer {
        self.index
            .tokenizers()
            .get(self.settings().tokenizer.tantivy_name())
            .expect("the index's tokenizer is registered when it is opened")
    }

    /// The translator of queries for this index.
    fn compiler(&self) -> QueryCompiler {
        QueryCompiler::new(self.fields, self.index.schema(), self.analyzer())
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

    /// Runs `query` and returns its hits, best first (keyword search).
    pub fn search(&self, query: &Query, options: &SearchOptions) -> Result<Vec<Hit>, IndexError> {
        self.search_with(query, options, SearchMode::Keyword, None)
    }

    /// Runs `query` in `mode` and returns its hits, best first. Semantic and hybrid search
    /// need the index's vectors and the model that made them (`model`); a hybrid search of a
    /// query with a phrase or regex, or without a free word, is a keyword search.
    pub fn search_with(
        &self,
        query: &Query,
        options: &SearchOptions,
        mode: SearchMode,
        model: Option<&dyn arbor_embed::Embed>,
    ) -> Result<Vec<Hit>, IndexError> {
        guarded(self.dir(), || self.run_search(query, options, mode, model)).map_err(
            |err| match err {
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
            },
        )
    }

    /// Translates `query`, resolves its `path:` filters, and executes it.
    fn run_search(
        &self,
        query: &Query,
        options: &SearchOptions,
        mode: SearchMode,
        model: Option<&dyn arbor_embed::Embed>,
    ) -> Result<Vec<Hit>, IndexError> {
        let mut compiled: CompiledQuery = self.compiler().compile(query)?;
        let text = hybrid::semantic_text(query).filter(|_| compiled.scope != DocScope::Chunks);
        if mode == SearchMode::Semantic && text.is_none() {
            return Err(IndexError::Semantic(
                "semantic search needs free words, and matches phrases and regexes only exactly: search with `--mode keyword` or `hybrid`".into(),
            ));
        }
        let searcher = self.reader.searcher();
        let paths = match self.resolve_paths(&searcher, &compiled.paths)? {
            PathRestriction::Any => None,
            PathRestriction::Only(query) => Some(query),
            PathRestriction::Nothing => return Ok(Vec::new()),
        };
        let semantic = match (mode, text) {
            (SearchMode::Keyword, _) | (_, None) => None,
            (_, Some(text)) => Some((
                text,
                compiled.filter_query(paths.as_ref().map(|q| q.box_clone())),
                hybrid::RowFilter::of(query),
            )),
        };
        let plan = std::mem::take(&mut compiled.plan);
        let path_filters = std::mem::take(&mut compiled.paths);
        let queries = compiled.into_queries(paths);
        let limit = options.limit.clamp(1, MAX_LIMIT);
        let ranked = match semantic {
            None => self.ranked(&searcher, &queries, &plan, limit)?,
            Some((text, filter, rows)) => {
                // Each side's best `depth` are fused; the query is embedded while the keyword
                // side runs.
                let depth = limit + 30;
                let keep = |s: &VectorStore| rows.keep(s, &path_filters);
                let (side, keyword) = rayon::join(
                    || self.semantic_side(&text, model, keep, filter),
                    || match mode {
                        SearchMode::Hybrid => {
                            self.ranked(&searcher, &queries, &plan, depth).map(Some)
                        }
                        _ => Ok(None),
                    },
                );
                let mut semantic = self.semantic_candidates(&searcher, &side?, &plan, depth)?;
                if let Some(excluded) = &queries.excluded_code {
                    semantic =
                        self.drop_excluded_definitions(&searcher, semantic, excluded.as_ref())?;
                }
                match keyword? {
                    Some(keyword) => hybrid::fuse(keyword, semantic, limit),
                    None => {
                        semantic.truncate(limit);
                        semantic
                    }
                }
            }
        };
        let mut analyzer = self.analyzer();
        Ok(ranked
            .into_iter()
            .map(|c| finish(c, &plan, &mut analyzer, options))
            .collect())
    }

    /// The documents that `filters` leave, from the paths in the index.
    fn resolve_paths(
        &self,
        searcher: &Searcher,
        filters: &PathFilters,
    ) -> Result<PathRestriction, IndexError> {
        if filters.is_empty() {
            return Ok(PathRestriction::Any);
        }
        let keep: Vec<TantivyTerm> = self
            .all_paths(searcher)?
            .iter()
            .filter(|p| filters.keeps(p))
            .map(|p| TantivyTerm::from_field_text(self.fields.path, p))
            .collect();
        Ok(if keep.is_empty() {
            PathRestriction::Nothing
        } else {
            PathRestriction::Only(Box::new(TermSetQuery::new(keep)))
        })
    }

    /// Fetches candidates for `queries`, checks and ranks them, fetching more while the checks
    /// leave fewer than `limit`.
    fn ranked(
        &self,
        searcher: &Searcher,
        queries: &SearchQueries,
        plan: &MatchPlan,
        limit: usize,
    ) -> Result<Vec<Candidate>, IndexError> {
        // Merging definition chunks into definitions removes some: fetch a little more.
        let mut fetch = limit + 10;
        loop {
            let (top, exhausted) = Self::top_docs(searcher, queries, fetch, limit)?;
            let mut candidates = self.candidates(searcher, &top, plan)?;
            if let Some(excluded) = &queries.excluded_code {
                candidates =
                    self.drop_excluded_definitions(searcher, candidates, excluded.as_ref())?;
            }
            let ranked = rank(candidates, limit);
            if ranked.len() >= limit || exhausted || fetch >= MAX_CANDIDATES {
                return Ok(ranked);
            }
            fetch = (fetch * 4).min(MAX_CANDIDATES);
        }
    }

    /// The best `fetch` documents of the main query, and the exact-name definitions (the best
    /// `limit`) among them; whether the main query had no more.
    fn top_docs(
        searcher: &Searcher,
        queries: &SearchQueries,
        fetch: usize,
        limit: usize,
    ) -> Result<(Vec<(f32, DocAddress)>, bool), IndexError> {
        let mut top =
            searcher.search(&queries.main, &TopDocs::with_limit(fetch).order_by_score())?;
        let exhausted = top.len() < fetch;
        if let Some(exact) = &queries.exact {
            for (score, address) in
                searcher.search(exact, &TopDocs::with_limit(limit).order_by_score())?
            {
                if !top.iter().any(|(_, a)| *a == address) {
                    top.push((score, address));
                }
            }
        }
        Ok((top, exhausted))
    }

    /// `candidates` without the definitions whose code holds an excluded word.
    fn drop_excluded_definitions(
        &self,
        searcher: &Searcher,
        candidates: Vec<Candidate>,
        excluded: &dyn TantivyQuery,
    ) -> Result<Vec<Candidate>, IndexError> {
        let mut kept = Vec::with_capacity(candidates.len());
        for candidate in candidates {
            let hit = &candidate.hit;
            if hit.hit_type != HitType::Definition || !self.code_matches(searcher, hit, excluded)? {
                kept.push(candidate);
            }
        }
        Ok(kept)
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

    /// The hits for `top`, without snippets: phrases and regexes checked, stored fields read.
    fn candidates(
        &self,
        searcher: &Searcher,
        top: &[(f32, DocAddress)],
        plan: &MatchPlan,
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
            let qualified = text_of(&doc, f.qualified_name).map(str::to_string);
            if !qualified_syms.is_empty() {
                let q = qualified.as_deref().unwrap_or("").to_lowercase();
                if !is_qualified_sym(&q, &qualified_syms) {
                    continue;
                }
            }
            let hit = Hit {
                path: text_of(&doc, f.path).unwrap_or_default().to_string(),
                language: text_of(&doc, f.language).unwrap_or_default().to_string(),
                line: u64_of(&doc, f.start_line),
                column: 1,
                hit_type: HitType::Code,
                symbol: qualified,
                kind: text_of(&doc, f.kind).map(str::to_string),
                doc: None,
                score,
                snippet: Vec::new(),
                sides: None,
                tier: 2,
                merge_key: None,
            };
            let candidate = if text_of(&doc, f.doc_type) == Some("symbol") {
                let tier = name_tier(
                    text_of(&doc, f.name).unwrap_or_default(),
                    single_word,
                    &plan.syms,
                );
                Some(self.definition_candidate(&doc, hit, tier))
            } else {
                self.code_candidate(&doc, hit, plan)
            };
            candidates.extend(candidate);
        }
        Ok(candidates)
    }

    /// The candidate of a symbol document.
    fn definition_candidate(&self, doc: &TantivyDocument, mut hit: Hit, tier: u8) -> Candidate {
        let f = self.fields;
        hit.tier = tier;
        hit.hit_type = HitType::Definition;
        hit.column = u64_of(doc, f.start_col);
        hit.doc = text_of(doc, f.doc_summary).map(str::to_string);
        hit.merge_key = Some((hit.path.clone(), hit.line));
        let line = text_of(doc, f.line_text).unwrap_or_default().to_string();
        Candidate {
            hit,
            source: Source::Line(line),
            merged: Vec::new(),
        }
    }

    /// The candidate of a chunk document, none when its code fails the phrases and regexes.
    fn code_candidate(
        &self,
        doc: &TantivyDocument,
        mut hit: Hit,
        plan: &MatchPlan,
    ) -> Option<Candidate> {
        let f = self.fields;
        let code = text_of(doc, f.code).unwrap_or_default();
        if !plan
            .phrases
            .iter()
            .chain(&plan.regexes)
            .all(|r| r.is_match(code))
            || plan.excluded.iter().any(|r| r.is_match(code))
        {
            return None;
        }
        let symbol_line = u64_of(doc, f.symbol_line);
        if text_of(doc, f.chunk_kind) == Some("definition") && symbol_line > 0 {
            hit.merge_key = Some((hit.path.clone(), symbol_line));
        }
        Some(Candidate {
            source: Source::Code {
                text: code.to_string(),
                first_line: hit.line,
                inner: text_of(doc, f.inner_symbols).map(str::to_string),
            },
            hit,
            merged: Vec::new(),
        })
    }
}
