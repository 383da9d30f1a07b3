//! A wrapper that keeps tantivy's phrase scorer valid under an exclusion.

use tantivy::query::{EnableScoring, Explanation, Query as TantivyQuery, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term as TantivyTerm};

/// `query` for an exclusion: its scorer seeks only by `seek`, not by `seek_danger`. tantivy's
/// phrase scorer asserts (in debug builds, where the assertion is wrong) that a danger seek never
/// goes back behind its current document, which an exclusion does after a danger seek moved it
/// past a target; `seek` keeps every scorer in a valid state.
pub(crate) fn plain_seek(query: Box<dyn TantivyQuery>) -> Box<dyn TantivyQuery> {
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
