//! Reports of indexing and search, shared by every front end (the `arbor` CLI, a server): an
//! update's summary as a line or JSON, and a search hit as text.

use std::io::Write;
use std::path::Path;

use crate::fresh::Freshness;
use crate::index::{CodeIndex, UpdateStats};
use crate::schema::IndexSettings;
use crate::search::{Hit, HitType};

/// One line about an update: files added, changed, removed, unchanged and skipped, bytes
/// parsed, symbols, chunks and time.
pub fn update_summary(stats: &UpdateStats) -> String {
    format!(
        "indexed {} files ({} added, {} changed, {} removed, {} unchanged, {} skipped): {:.1} MB parsed, {} symbols, {} chunks, in {:.2}s",
        stats.files,
        stats.added,
        stats.changed,
        stats.removed,
        stats.unchanged,
        stats.skipped.len(),
        stats.bytes_indexed as f64 / 1e6,
        stats.symbols,
        stats.chunks,
        stats.elapsed.as_secs_f64()
    )
}

/// An update of the index at `index` as one JSON object (the skipped files counted).
pub fn update_json(index: &Path, stats: &UpdateStats) -> serde_json::Value {
    serde_json::json!({
        "index": index,
        "files": stats.files,
        "added": stats.added,
        "changed": stats.changed,
        "removed": stats.removed,
        "unchanged": stats.unchanged,
        "bytes_indexed": stats.bytes_indexed,
        "symbols": stats.symbols,
        "chunks": stats.chunks,
        "skipped": stats.skipped.len(),
        "committed": stats.committed,
        "seconds": stats.elapsed.as_secs_f64(),
    })
}

/// What a search reports about the index it opened (`note: …` or `warning: …`): `None`
/// when it is as committed or was updated without a commit.
pub fn freshness_note(freshness: &Freshness, dir: &Path) -> Option<String> {
    match freshness {
        Freshness::AsCommitted => None,
        Freshness::Updated(stats) => stats.committed.then(|| update_summary(stats)),
        Freshness::ReadOnly => Some(format!(
            "note: the index at {} is read-only; searching it as last built, without updating it",
            dir.display()
        )),
        Freshness::Locked(err) => Some(format!(
            "warning: {err}; searching the index as last committed"
        )),
    }
}

/// Why `index`, opened at `dir` for an update with `settings`, cannot take it: it was built
/// with other settings (a rebuild makes it anew).
pub fn settings_conflict(
    index: &CodeIndex,
    settings: &IndexSettings,
    dir: &Path,
) -> Option<String> {
    (index.settings() != settings).then(|| {
        format!(
            "the index at {} was built with other settings ({:?}); pass --rebuild to rebuild it with these",
            dir.display(),
            index.settings()
        )
    })
}

/// Hits as JSON lines (`json`) or as text ([`write_hit`]).
pub fn write_hits(
    out: &mut impl Write,
    hits: &[Hit],
    json: bool,
    color: bool,
) -> std::io::Result<()> {
    for hit in hits {
        if json {
            serde_json::to_writer(&mut *out, hit)?;
            writeln!(out)?;
        } else {
            write_hit(out, hit, color)?;
        }
    }
    Ok(())
}

/// A hit as text: `PATH:LINE:COLUMN`, its symbol and doc, then its snippet with line
/// numbers, matches highlighted with ANSI colours when `color`; a blank line after.
pub fn write_hit(out: &mut impl Write, hit: &Hit, color: bool) -> std::io::Result<()> {
    let (bold, match_on, dim, reset) = if color {
        ("\x1b[1m", "\x1b[1;31m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    write!(out, "{bold}{}:{}:{}{reset}", hit.path, hit.line, hit.column)?;
    if let (Some(kind), Some(symbol)) = (&hit.kind, &hit.symbol) {
        let role = if hit.hit_type == HitType::Definition {
            ""
        } else {
            "in "
        };
        write!(out, "  {dim}{role}{kind}{reset} {symbol}")?;
    }
    if let Some(doc) = &hit.doc {
        write!(out, "  {dim}— {doc}{reset}")?;
    }
    writeln!(out)?;
    for line in &hit.snippet {
        write!(out, "{dim}{:>6} │{reset} ", line.line)?;
        let mut at = 0;
        for &(start, end) in &line.highlights {
            // Ranges out of order or off a character boundary are not highlighted.
            let (Some(before), Some(matched)) = (
                line.text.get(at..start.max(at)),
                line.text.get(start.max(at)..end),
            ) else {
                continue;
            };
            write!(out, "{before}{match_on}{matched}{reset}")?;
            at = end;
        }
        writeln!(out, "{}", line.text.get(at..).unwrap_or_default())?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_read_as_one_line_or_json() {
        let stats = UpdateStats {
            files: 3,
            added: 2,
            unchanged: 1,
            bytes_indexed: 1_500_000,
            ..UpdateStats::default()
        };
        let line = update_summary(&stats);
        assert!(
            line.starts_with("indexed 3 files (2 added, 0 changed, 0 removed, 1 unchanged, 0 skipped): 1.5 MB parsed"),
            "{line}"
        );
        let committed = Freshness::Updated(UpdateStats {
            committed: true,
            ..stats.clone()
        });
        assert_eq!(freshness_note(&committed, Path::new("i")), Some(line));
        assert!(freshness_note(&Freshness::ReadOnly, Path::new("i"))
            .unwrap()
            .starts_with("note: "));
        let json = update_json(Path::new("idx"), &stats);
        assert_eq!(
            (json["index"].as_str(), json["files"].as_u64()),
            (Some("idx"), Some(3))
        );
    }
}
