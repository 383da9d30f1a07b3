//! Semantic and hybrid search: the query's free words embedded and compared with every row of
//! the vector file (exact: one pass over `i8` rows), the nearest rows turned into hits through
//! the tantivy index (so that every filter of the query applies to them as to keyword hits),
//! and, for hybrid search, the two rankings fused by reciprocal rank.
//!
//! `lang:`, `path:`, `kind:` and `sym:` filter the rows before they are compared, then every
//! required and excluded clause is checked on the row's document. A query with a phrase or a
//! regex (or a word with nothing to index) is answered exactly, by the keyword side alone.

use std::collections::HashMap;
use std::sync::Arc;

use arbor_embed::Embed;
use serde::Serialize;
use tantivy::collector::DocSetCollector;
use tantivy::query::{BooleanQuery, Occur, Query as TantivyQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Searcher, TantivyDocument, Term as TantivyTerm};

use crate::error::IndexError;
use crate::index::CodeIndex;
use crate::query::{Query, Term};
use crate::vectors::VectorStore;

use super::compile::PathFilters;
use super::rank::{Candidate, Source};
use super::{u64_of, HitType};

/// The constant of reciprocal rank fusion. Cormack et al. use 60; a small one weighs the top
/// of each ranking more, which finds more here: on the json, http, email and logging packages
/// of the standard library (571 queries of `benchmarks/search_quality.sh`'s task), MRR@10 was
/// 0.464 with 60, 0.469 with 20, 0.478 with 10 and 0.491 with 5.
const RRF_K: f32 = 5.0;

/// The keyword side's weight in the fusion (the semantic side's is 1): on the whole task
/// (4,120 queries), MRR@10 0.336 with 1, 0.344 with 0.7, 0.342 with 0.5; on the subset above,
/// 0.478 with 1 and 0.489 with 0.7 (k = 10). A linear blend of normalised scores did no better
/// (0.347 at best, with a lower Recall@10). (Measured before definitions were embedded with
/// their module's words, which took the whole task's 0.344 to 0.350.)
const KEYWORD_WEIGHT: f32 = 0.7;

/// The most rows checked against the index in one search, however many filters reject.
const MAX_CHECKED: usize = 4_000;

/// How a search finds its hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    /// Words in the tantivy index (BM25 and Arbor's rules).
    Keyword,
    /// Nearest vectors to the embedded query.
    Semantic,
    /// Both, fused by reciprocal rank.
    Hybrid,
}

impl SearchMode {
    /// Parses `keyword`, `semantic` or `hybrid`.
    pub fn parse(name: &str) -> Option<SearchMode> {
        match name {
            "keyword" => Some(SearchMode::Keyword),
            "semantic" => Some(SearchMode::Semantic),
            "hybrid" => Some(SearchMode::Hybrid),
            _ => None,
        }
    }
}

/// The two sides' scores of a hybrid or semantic hit (`score_keyword`, `score_semantic` in
/// JSON; null for a side that did not find it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SideScores {
    /// The keyword side's score (BM25 with Arbor's boosts).
    pub score_keyword: Option<f32>,
    /// The cosine of the query's and the hit's vectors.
    pub score_semantic: Option<f32>,
}

/// The text embedded for a query: its free words as written, none when it has none.
pub(crate) fn semantic_text(query: &Query) -> Option<String> {
    let words: Vec<&str> = query
        .positive()
        .filter_map(|t| match t {
            Term::Word(w) => Some(w.as_str()),
            _ => None,
        })
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// What filters the rows before they are compared: per file (paths, languages) and per unit
/// (kinds, `sym:` names).
pub(crate) struct RowFilter {
    langs: (Vec<String>, Vec<String>),
    kinds: (Vec<String>, Vec<String>),
    syms: (Vec<String>, Vec<String>),
}

impl RowFilter {
    /// The row filters of `query`.
    pub fn of(query: &Query) -> RowFilter {
        let mut f = RowFilter {
            langs: Default::default(),
            kinds: Default::default(),
            syms: Default::default(),
        };
        for clause in &query.clauses {
            let (list, value) = match &clause.term {
                Term::Lang(l) => (&mut f.langs, l.name().to_string()),
                Term::Kind(k) => (&mut f.kinds, k.name().to_string()),
                Term::Sym(s) => (
                    &mut f.syms,
                    s.rsplit(['.', ':'])
                        .find(|p| !p.is_empty())
                        .unwrap_or(s)
                        .to_lowercase(),
                ),
                _ => continue,
            };
            if clause.negated {
                list.1.push(value);
            } else {
                list.0.push(value);
            }
        }
        f
    }

    fn passes((wanted, unwanted): &(Vec<String>, Vec<String>), value: &str) -> bool {
        (wanted.is_empty() || wanted.iter().any(|w| w == value))
            && !unwanted.iter().any(|u| u == value)
    }

    /// Which rows may match: one flag per unit of `store`. The per-unit tests run only when
    /// the query has `kind:` or `sym:` (a query is not slowed by lower-casing every name).
    pub fn keep(&self, store: &VectorStore, paths: &PathFilters) -> Vec<bool> {
        let files: Vec<bool> = store
            .header
            .files
            .iter()
            .map(|f| paths.keeps(&f.path) && Self::passes(&self.langs, &f.language))
            .collect();
        let any = |(wanted, unwanted): &(Vec<String>, Vec<String>)| {
            !wanted.is_empty() || !unwanted.is_empty()
        };
        let (by_kind, by_name) = (any(&self.kinds), any(&self.syms));
        store
            .header
            .units
            .iter()
            .map(|u| {
                files[u.file as usize]
                    && (!by_kind || Self::passes(&self.kinds, &u.kind))
                    && (!by_name || Self::passes(&self.syms, &u.name.to_lowercase()))
            })
            .collect()
    }
}

/// Everything a search's semantic side needs.
pub(crate) struct SemanticSide {
    /// The vectors.
    pub store: Arc<VectorStore>,
    /// The embedded query.
    pub vector: Vec<f32>,
    /// The rows the query's filters leave.
    pub keep: Vec<bool>,
    /// The required and excluded clauses.
    pub filter: Box<dyn TantivyQuery>,
}

impl CodeIndex {
    /// The vector file, read once; an error when the index should have one and it is missing
    /// or unreadable, none when the index never had vectors.
    pub(crate) fn vector_store(&self) -> Result<Option<Arc<VectorStore>>, IndexError> {
        let mut cached = self.vectors.lock().unwrap_or_else(|e| e.into_inner());
        // Another process may have replaced the file (a rename: another inode, other times).
        let stamp = crate::vectors::stamp(self.dir());
        if let Some((seen, store)) = &*cached {
            if *seen == stamp {
                return Ok(Some(store.clone()));
            }
        }
        match VectorStore::open(self.dir())? {
            Some(store) => {
                let store = Arc::new(store);
                *cached = Some((stamp, store.clone()));
                Ok(Some(store))
            }
            None if self.is_semantic() => Err(IndexError::Corrupt {
                path: self.dir().to_path_buf(),
                message: format!("its vectors ({}) are missing", crate::vectors::VECTORS_FILE),
            }),
            None => Ok(None),
        }
    }

    /// The semantic side of a search: the vectors, checked against `model`, and the query
    /// embedded. Errors name what to do.
    pub(crate) fn semantic_side(
        &self,
        text: &str,
        model: Option<&dyn Embed>,
        keep: impl FnOnce(&VectorStore) -> Vec<bool>,
        filter: Box<dyn TantivyQuery>,
    ) -> Result<SemanticSide, IndexError> {
        let Some(store) = self.vector_store()? else {
            return Err(IndexError::Semantic(format!(
                "the index at {} has no vectors for semantic search: run `arbor index --semantic`, or search with `--mode keyword`",
                self.dir().display()
            )));
        };
        let Some(model) = model else {
            return Err(IndexError::Semantic(
                "semantic search needs the embedding model".into(),
            ));
        };
        if store.header.model != model.id() || store.header.dimensions != model.dimensions() {
            return Err(crate::vectors::model_mismatch(
                &store.header.model,
                model.id(),
            ));
        }
        let vector = model
            .embed(&[text])
            .map_err(|e| IndexError::Embed(e.to_string()))?
            .pop()
            .unwrap_or_default();
        let keep = keep(&store);
        Ok(SemanticSide {
            store,
            vector,
            keep,
            filter,
        })
    }

    /// The semantic side's candidates, nearest first (score: the cosine), at most `depth`:
    /// the nearest rows that the query's clauses leave.
    pub(crate) fn semantic_candidates(
        &self,
        searcher: &Searcher,
        side: &SemanticSide,
        plan: &super::compile::MatchPlan,
        depth: usize,
    ) -> Result<Vec<Candidate>, IndexError> {
        let mut k = (depth * 2).min(MAX_CHECKED);
        loop {
            let nearest = side.store.nearest(&side.vector, k, &side.keep);
            let exhausted = nearest.len() < k || k >= MAX_CHECKED;
            let mut top: Vec<(f32, DocAddress)> = Vec::new();
            for &(row, score) in &nearest {
                if let Some(address) = self.row_document(searcher, side, row)? {
                    top.push((score, address));
                    if top.len() == depth {
                        break;
                    }
                }
            }
            if top.len() >= depth || exhausted {
                let mut candidates = self.candidates(searcher, &top, plan)?;
                for c in &mut candidates {
                    c.hit.sides = Some(SideScores {
                        score_keyword: None,
                        score_semantic: Some(c.hit.score),
                    });
                }
                return Ok(candidates);
            }
            k = (k * 4).min(MAX_CHECKED);
        }
    }

    /// The document of row `row` (a definition's symbol document, or a window's chunk) when
    /// the query's clauses leave it.
    fn row_document(
        &self,
        searcher: &Searcher,
        side: &SemanticSide,
        row: usize,
    ) -> Result<Option<DocAddress>, IndexError> {
        let f = self.fields;
        let unit = &side.store.header.units[row];
        let path = &side.store.header.files[unit.file as usize].path;
        let term = |t: TantivyTerm| -> (Occur, Box<dyn TantivyQuery>) {
            (
                Occur::Must,
                Box::new(TermQuery::new(t, IndexRecordOption::Basic)),
            )
        };
        let mut clauses = vec![
            (Occur::Must, side.filter.box_clone()),
            term(TantivyTerm::from_field_text(f.path, path)),
        ];
        if unit.name.is_empty() {
            clauses.push(term(TantivyTerm::from_field_text(f.doc_type, "chunk")));
            clauses.push(term(TantivyTerm::from_field_u64(f.symbol_line, 0)));
        } else {
            clauses.push(term(TantivyTerm::from_field_text(f.doc_type, "symbol")));
            clauses.push(term(TantivyTerm::from_field_text(
                f.name_key,
                &unit.name.to_lowercase(),
            )));
        }
        let mut found: Vec<DocAddress> = searcher
            .search(&BooleanQuery::new(clauses), &DocSetCollector)?
            .into_iter()
            .collect();
        found.sort();
        for address in found {
            let doc: TantivyDocument = searcher.doc(address)?;
            if u64_of(&doc, f.start_line) == unit.line as usize {
                return Ok(Some(address));
            }
        }
        Ok(None)
    }
}

/// The key under which a candidate of one side meets the same code found by the other.
fn key(c: &Candidate) -> (String, usize) {
    c.hit
        .merge_key
        .clone()
        .unwrap_or_else(|| (c.hit.path.clone(), c.hit.line))
}

/// Reciprocal rank fusion of the keyword and semantic rankings: each candidate scores
/// `Σ weight / (k + rank)` (rank from 1) over the sides that found it; a definition found by one
/// side and its code by the other are one hit. Exact-name definitions (the keyword side's first
/// tiers) stay first, in the keyword side's order: what a name query finds is keyword search's
/// answer.
pub(crate) fn fuse(
    keyword: Vec<Candidate>,
    semantic: Vec<Candidate>,
    limit: usize,
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::with_capacity(keyword.len() + semantic.len());
    let mut at: HashMap<(String, usize), usize> = HashMap::new();
    let keyword_count = keyword.len();
    for (rank, mut c) in keyword.into_iter().enumerate() {
        c.hit.sides = Some(SideScores {
            score_keyword: Some(c.hit.score),
            score_semantic: None,
        });
        c.hit.score = KEYWORD_WEIGHT / (RRF_K + rank as f32 + 1.0);
        at.entry(key(&c)).or_insert(out.len());
        out.push(c);
    }
    for (rank, mut c) in semantic.into_iter().enumerate() {
        let rrf = 1.0 / (RRF_K + rank as f32 + 1.0);
        let cosine = c.hit.score;
        match at.get(&key(&c)) {
            Some(&i) => {
                let target = &mut out[i];
                let mut sides = target.hit.sides.unwrap_or_default();
                if sides.score_semantic.is_some() {
                    continue;
                }
                sides.score_semantic = Some(cosine);
                let score = target.hit.score + rrf;
                let tier = target.hit.tier.min(c.hit.tier);
                if target.hit.hit_type == HitType::Code && c.hit.hit_type == HitType::Definition {
                    // The definition is the better hit; the code found by keywords shows in it.
                    let old = std::mem::replace(target, c);
                    if let Source::Code {
                        text, first_line, ..
                    } = old.source
                    {
                        target.merged.push((text, first_line));
                    }
                }
                target.hit.sides = Some(sides);
                target.hit.score = score;
                target.hit.tier = tier;
            }
            None => {
                c.hit.score = rrf;
                at.insert(key(&c), out.len());
                out.push(c);
            }
        }
    }
    // The keyword side's candidates are the first `keyword_count`, in its order.
    let mut order: Vec<(usize, Candidate)> = out.into_iter().enumerate().collect();
    order.sort_by(|(i, a), (j, b)| {
        let exact_order = |i: &usize| if *i < keyword_count { *i } else { usize::MAX };
        let (a, b) = (&a.hit, &b.hit);
        let by_keywords = if a.tier < 2 {
            exact_order(i).cmp(&exact_order(j))
        } else {
            std::cmp::Ordering::Equal
        };
        a.tier
            .cmp(&b.tier)
            .then(by_keywords)
            .then(b.score.total_cmp(&a.score))
            .then_with(|| a.path.cmp(&b.path))
            .then(a.line.cmp(&b.line))
    });
    order.truncate(limit);
    order.into_iter().map(|(_, c)| c).collect()
}
