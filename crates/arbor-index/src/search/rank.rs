//! Ranking candidates, and the snippets of the hits that are shown.

use std::collections::HashMap;

use tantivy::tokenizer::TextAnalyzer;

use super::compile::MatchPlan;
use super::{Hit, HitType, SearchOptions, SnippetLine};

/// A hit before its snippet is made (only the hits that are shown get one).
pub(crate) struct Candidate {
    /// The hit, its snippet still empty.
    pub hit: Hit,
    /// What its snippet is made from.
    pub source: Source,
    /// Code chunks merged into a definition: (text, first line).
    pub merged: Vec<(String, usize)>,
}

/// What a hit's snippet is made from.
pub(crate) enum Source {
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
    plan: &MatchPlan,
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
pub(crate) fn finish(
    candidate: Candidate,
    plan: &MatchPlan,
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
fn highlight(line: &str, analyzer: &mut TextAnalyzer, plan: &MatchPlan) -> Vec<(usize, usize)> {
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
pub(crate) fn rank(candidates: Vec<Candidate>, limit: usize) -> Vec<Candidate> {
    let mut definitions: HashMap<(String, usize), usize> = HashMap::new();
    let mut out: Vec<Candidate> = Vec::with_capacity(candidates.len());
    let (symbols, chunks): (Vec<Candidate>, Vec<Candidate>) = candidates
        .into_iter()
        .partition(|c| c.hit.hit_type == HitType::Definition);
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
