//! The SARIF 2.1.0 log Arbor writes, as typed structures: one run, the rules in
//! `tool.driver.rules` (results point at them by `ruleIndex`), 1-based regions whose columns
//! count UTF-16 code units (`columnKind: utf16CodeUnits`, what GitHub code scanning and editors
//! expect), and a `partialFingerprints` entry that survives line shifts.

use serde::{Deserialize, Serialize};

use crate::rule::{Finding, RuleInfo, Severity};
use crate::LintReport;

/// The schema the log declares.
pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// A SARIF log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Log {
    /// The JSON schema of the format.
    #[serde(rename = "$schema")]
    pub schema: String,
    /// `2.1.0`.
    pub version: String,
    /// The runs (Arbor writes one).
    pub runs: Vec<Run>,
}

/// One run of one tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// The tool and its rules.
    pub tool: Tool,
    /// What region columns count: `utf16CodeUnits`.
    pub column_kind: String,
    /// The findings.
    pub results: Vec<SarifResult>,
}

/// The tool of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// The tool itself.
    pub driver: Driver,
}

/// The analysis tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Driver {
    /// `arbor`.
    pub name: String,
    /// Arbor's version.
    pub version: String,
    /// Every rule results may refer to.
    pub rules: Vec<ReportingDescriptor>,
}

/// A plain-text message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The text.
    pub text: String,
}

impl Message {
    fn new(text: impl Into<String>) -> Message {
        Message { text: text.into() }
    }
}

/// A rule's description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    /// The rule's id.
    pub id: String,
    /// Its message.
    pub short_description: Message,
    /// Its rationale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_description: Option<Message>,
    /// An example that triggers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Message>,
    /// Its default level.
    pub default_configuration: ReportingConfiguration,
}

/// A rule's default configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportingConfiguration {
    /// `error`, `warning` or `note`.
    pub level: String,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    /// The rule's id.
    pub rule_id: String,
    /// The rule's index in `tool.driver.rules`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_index: Option<usize>,
    /// `error`, `warning` or `note`.
    pub level: String,
    /// What is wrong.
    pub message: Message,
    /// Where (one location).
    pub locations: Vec<Location>,
    /// Arbor's fingerprint, under `arbor/v1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial_fingerprints: Option<PartialFingerprints>,
    /// The safe fix, when the finding has one (the edits `arbor lint --fix` applies).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
}

/// A proposed fix: changes to files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fix {
    /// What the fix does.
    pub description: Message,
    /// The changes, one per file (Arbor's fixes change the finding's file only).
    pub artifact_changes: Vec<ArtifactChange>,
}

/// The changes a fix makes to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactChange {
    /// The file.
    pub artifact_location: ArtifactLocation,
    /// The replacements, in document order, each region relative to the file before any of
    /// them is applied; they do not overlap.
    pub replacements: Vec<Replacement>,
}

/// One replacement: the text of a region replaced by new text (an empty region inserts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Replacement {
    /// The region replaced, in the run's columns (UTF-16 code units).
    pub deleted_region: Region,
    /// The text put there (empty for a deletion).
    pub inserted_content: ArtifactContent,
}

/// Text content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactContent {
    /// The text.
    pub text: String,
}

/// The fingerprints of a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialFingerprints {
    /// Arbor's fingerprint (rule, path and code, not line numbers).
    #[serde(rename = "arbor/v1")]
    pub arbor_v1: String,
}

/// A location of a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// The file and region.
    pub physical_location: PhysicalLocation,
}

/// A region of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    /// The file.
    pub artifact_location: ArtifactLocation,
    /// The region in it.
    pub region: Region,
}

/// A file, by URI (relative paths are relative to where the lint ran).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactLocation {
    /// The path, `/`-separated.
    pub uri: String,
}

/// A text region: 1-based lines, 1-based UTF-16 columns, end exclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// First line.
    pub start_line: usize,
    /// First column.
    pub start_column: usize,
    /// Last line.
    pub end_line: usize,
    /// Column after the end.
    pub end_column: usize,
}

/// The SARIF level of a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The descriptor of a rule.
fn descriptor(rule: &RuleInfo) -> ReportingDescriptor {
    ReportingDescriptor {
        id: rule.id.clone(),
        short_description: Message::new(&rule.message),
        full_description: (!rule.rationale.is_empty()).then(|| Message::new(&rule.rationale)),
        help: (!rule.example.is_empty())
            .then(|| Message::new(format!("Example:\n{}", rule.example))),
        default_configuration: ReportingConfiguration {
            level: level(rule.severity).into(),
        },
    }
}

/// The descriptors of the pseudo-rules.
fn pseudo_descriptors() -> impl Iterator<Item = ReportingDescriptor> {
    [
        (
            crate::SYNTAX_ERROR,
            "the file does not parse",
            Severity::Error,
        ),
        (
            crate::UNUSED_SUPPRESSION,
            "a suppression comment that suppresses nothing",
            Severity::Info,
        ),
    ]
    .into_iter()
    .map(|(id, text, severity)| ReportingDescriptor {
        id: id.into(),
        short_description: Message::new(text),
        full_description: None,
        help: None,
        default_configuration: ReportingConfiguration {
            level: level(severity).into(),
        },
    })
}

/// The result of a finding; `rules` are the run's descriptors.
fn result(f: &Finding, rules: &[ReportingDescriptor]) -> SarifResult {
    SarifResult {
        rule_id: f.rule.clone(),
        rule_index: rules.iter().position(|r| r.id == f.rule),
        level: level(f.severity).into(),
        message: Message::new(&f.message),
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: f.path.clone(),
                },
                region: Region {
                    start_line: f.location.line,
                    start_column: f.utf16.start,
                    end_line: f.location.end_line,
                    end_column: f.utf16.end,
                },
            },
        }],
        partial_fingerprints: (!f.fingerprint.is_empty()).then(|| PartialFingerprints {
            arbor_v1: f.fingerprint.clone(),
        }),
        fixes: fix(f).into_iter().collect(),
    }
}

/// The SARIF fix of a finding with a safe fix whose regions are known.
fn fix(f: &Finding) -> Option<Fix> {
    let edits = f.fix.as_deref().filter(|e| !e.is_empty())?;
    if edits.len() != f.fix_regions.len() {
        return None;
    }
    let mut replacements: Vec<(usize, Replacement)> = edits
        .iter()
        .zip(&f.fix_regions)
        .map(|(edit, r)| {
            let replacement = Replacement {
                deleted_region: Region {
                    start_line: r.start_line,
                    start_column: r.start_column,
                    end_line: r.end_line,
                    end_column: r.end_column,
                },
                inserted_content: ArtifactContent {
                    text: edit.replacement.clone(),
                },
            };
            (edit.start_byte, replacement)
        })
        .collect();
    replacements.sort_by_key(|(start, _)| *start);
    Some(Fix {
        description: Message::new(format!(
            "{} (the safe fix `arbor lint --fix` applies)",
            f.message
        )),
        artifact_changes: vec![ArtifactChange {
            artifact_location: ArtifactLocation {
                uri: f.path.clone(),
            },
            replacements: replacements.into_iter().map(|(_, r)| r).collect(),
        }],
    })
}

/// The report as a SARIF 2.1.0 log; `rules` describes every rule that may appear.
pub fn log(report: &LintReport, rules: &[RuleInfo]) -> Log {
    let descriptors: Vec<ReportingDescriptor> = rules
        .iter()
        .map(descriptor)
        .chain(pseudo_descriptors())
        .collect();
    let results = report
        .findings
        .iter()
        .map(|f| result(f, &descriptors))
        .collect();
    Log {
        schema: SCHEMA.into(),
        version: "2.1.0".into(),
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "arbor".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    rules: descriptors,
                },
            },
            column_kind: "utf16CodeUnits".into(),
            results,
        }],
    }
}
