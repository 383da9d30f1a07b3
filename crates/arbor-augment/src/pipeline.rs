//! The steps of an augmentation run that every front end shares (the `arbor augment` CLI, a
//! server): choosing transforms by name, loading files or functions as units, and writing the
//! [`Record`]s as JSONL or as an output tree, plus the texts that report them.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::batch::{self, Record, Tallied, Unit};
use crate::error::AugmentError;
use crate::transforms::{by_id, Transform, TRANSFORMS};

/// The transforms with these ids (surrounding spaces ignored), or every transform for `None`.
pub fn select(names: Option<&[String]>) -> Result<Vec<&'static Transform>, AugmentError> {
    let Some(names) = names else {
        return Ok(TRANSFORMS.iter().collect());
    };
    names
        .iter()
        .map(|n| {
            by_id(n.trim()).ok_or_else(|| {
                let ids: Vec<&str> = TRANSFORMS.iter().map(|t| t.id).collect();
                AugmentError::Usage(format!(
                    "unknown transform `{n}` (one of {})",
                    ids.join(", ")
                ))
            })
        })
        .collect()
}

/// The transforms, one a line: id, category, languages and summary.
pub fn write_transform_list(out: &mut impl Write) -> std::io::Result<()> {
    for t in TRANSFORMS {
        let languages: Vec<&str> = t.languages().iter().map(|l| l.name()).collect();
        writeln!(
            out,
            "{:<22} {:<10} {:<28} {}",
            t.id,
            t.category,
            languages.join(","),
            t.summary
        )?;
    }
    Ok(())
}

/// The units of a source file or directory ([`batch::load_sources`]), each function and
/// method its own unit when `functions` ([`batch::function_units`]); with the inputs skipped
/// and why.
pub fn load_units(input: &Path, functions: bool) -> Result<(Vec<Unit>, Vec<String>), AugmentError> {
    let (mut units, mut skipped) = batch::load_sources(input)?;
    if functions {
        let (split, not_alone) = batch::function_units(&units);
        units = split;
        skipped.extend(not_alone);
    }
    Ok((units, skipped))
}

/// The error for an input without Rust, Python or JavaScript code.
pub fn no_input(input: &Path) -> AugmentError {
    AugmentError::Usage(format!(
        "{}: no Rust, Python or JavaScript input",
        input.display()
    ))
}

/// Where records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// JSONL to the caller's writer.
    Writer,
    /// JSONL into this file.
    Jsonl(PathBuf),
    /// The transformed files into this directory ([`write_tree`]).
    Tree(PathBuf),
}

impl Destination {
    /// `None`: the writer; a path ending in `.jsonl`: that file; any other: a directory.
    pub fn of(path: Option<&Path>) -> Destination {
        match path {
            None => Destination::Writer,
            Some(p) if p.to_string_lossy().ends_with(".jsonl") => Destination::Jsonl(p.into()),
            Some(p) => Destination::Tree(p.into()),
        }
    }
}

/// Writes the records to `destination` (`out` for [`Destination::Writer`]); `variants`: put
/// each variant in its own folder of a tree.
pub fn write_records(
    records: &[Record],
    destination: &Destination,
    variants: bool,
    out: &mut impl Write,
) -> Result<(), AugmentError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| AugmentError::Io { path, source }
    };
    match destination {
        Destination::Tree(dir) => write_tree(dir, records, variants),
        Destination::Jsonl(file) => {
            let mut writer =
                std::io::BufWriter::new(std::fs::File::create(file).map_err(io(file))?);
            write_jsonl(records, &mut writer).map_err(io(file))?;
            writer.flush().map_err(io(file))
        }
        Destination::Writer => write_jsonl(records, out).map_err(io(Path::new("<output>"))),
    }
}

/// The records as JSONL, one a line.
pub fn write_jsonl(records: &[Record], out: &mut impl Write) -> std::io::Result<()> {
    for r in records {
        serde_json::to_writer(&mut *out, r)?;
        writeln!(out)?;
    }
    Ok(())
}

/// The transformed files under `dir/TRANSFORMS/[vN/]RELATIVE` (`vN` when `variants`).
pub fn write_tree(dir: &Path, records: &[Record], variants: bool) -> Result<(), AugmentError> {
    for r in records {
        let relative = r
            .relative
            .clone()
            .or_else(|| Path::new(&r.id).file_name().map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("input"));
        let mut path = dir.join(r.transforms.join("+"));
        if variants {
            path = path.join(format!("v{}", r.variant));
        }
        let path = path.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| AugmentError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, &r.transformed).map_err(|source| AugmentError::Io {
            path: path.clone(),
            source,
        })?;
    }
    Ok(())
}

/// One line per transform (or chain): `NAME: A applied, S left unchanged`, with the most
/// common reason it left inputs unchanged.
pub fn tally_lines(tallies: &[Tallied]) -> Vec<String> {
    tallies
        .iter()
        .map(|(name, tally)| {
            let reason = tally
                .reasons
                .iter()
                .max_by_key(|(_, n)| **n)
                .map(|(r, n)| format!(" (most often: {r}, {n})"))
                .unwrap_or_default();
            format!(
                "{name}: {} applied, {} left unchanged{reason}",
                tally.applied, tally.skipped
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::Tally;

    #[test]
    fn transforms_are_chosen_by_id() {
        assert_eq!(select(None).unwrap().len(), TRANSFORMS.len());
        let id = TRANSFORMS[0].id.to_string();
        assert_eq!(select(Some(&[format!(" {id}")])).unwrap()[0].id, id);
        let err = select(Some(&["no-such".into()])).unwrap_err().to_string();
        assert!(
            err.starts_with("unknown transform `no-such` (one of "),
            "{err}"
        );
    }

    #[test]
    fn destinations_and_tallies() {
        assert_eq!(Destination::of(None), Destination::Writer);
        let file = Path::new("out.jsonl");
        assert_eq!(Destination::of(Some(file)), Destination::Jsonl(file.into()));
        assert_eq!(
            Destination::of(Some(Path::new("out"))),
            Destination::Tree("out".into())
        );
        let mut tally = Tally {
            applied: 2,
            skipped: 3,
            ..Tally::default()
        };
        tally.reasons.insert("no loop".into(), 3);
        assert_eq!(
            tally_lines(&[("a+b".into(), tally)]),
            ["a+b: 2 applied, 3 left unchanged (most often: no loop, 3)"]
        );
    }

    #[test]
    fn files_go_into_a_tree_and_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.py"), "def f(x):\n    return x\n").unwrap();
        let (units, skipped) = load_units(dir.path(), true).unwrap();
        assert!(skipped.is_empty());
        assert_eq!(
            units[0].id,
            format!("{}:1:f", dir.path().join("a.py").display())
        );
        let record = Record {
            id: units[0].id.clone(),
            language: "python",
            original: units[0].source.clone(),
            transformed: "changed\n".into(),
            transforms: vec!["t1", "t2"],
            seed: 0,
            variant: 1,
            renamed: Vec::new(),
            relative: units[0].relative.clone(),
            unit: 0,
        };
        let out = dir.path().join("out");
        write_records(
            std::slice::from_ref(&record),
            &Destination::Tree(out.clone()),
            true,
            &mut Vec::new(),
        )
        .unwrap();
        let written = out.join("t1+t2").join("v1").join("a.py").join("1-f.py");
        assert_eq!(std::fs::read_to_string(written).unwrap(), "changed\n");
        let mut jsonl = Vec::new();
        write_records(&[record], &Destination::Writer, false, &mut jsonl).unwrap();
        let line: serde_json::Value = serde_json::from_slice(&jsonl).unwrap();
        assert_eq!(line["transforms"][1], "t2");
        let empty = tempfile::tempdir().unwrap();
        assert!(load_units(empty.path(), false).unwrap().0.is_empty());
        assert!(no_input(empty.path())
            .to_string()
            .ends_with(": no Rust, Python or JavaScript input"));
    }
}
