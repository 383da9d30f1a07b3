//! The model catalog as front ends list it (`arbor model list`, a server).

use std::io::Write;

use crate::catalog::CATALOG;

/// Every catalog model, three lines each: name, package and description; its licence; where
/// it is cached, or its size when it is not fetched yet.
pub fn write_catalog(out: &mut impl Write) -> std::io::Result<()> {
    let entries = CATALOG.iter().map(|model| &model.file);
    let width = entries.clone().map(|e| e.package.len()).max().unwrap_or(0);
    for entry in entries {
        let state = if entry.is_cached() {
            entry.cached_path().display().to_string()
        } else {
            format!("not fetched ({} MB)", entry.size_mb)
        };
        writeln!(
            out,
            "{:<16} {:<width$} {}",
            entry.name, entry.package, entry.description
        )?;
        writeln!(out, "{:<16} licence: {}", "", entry.license)?;
        writeln!(out, "{:<16} {state}", "")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_model_has_three_lines() {
        let mut out = Vec::new();
        super::write_catalog(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 3 * super::CATALOG.len());
        assert!(text.starts_with(super::CATALOG[0].file.name));
        assert!(text.contains("licence: Apache-2.0"), "{text}");
    }
}
