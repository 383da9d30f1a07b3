//! Findings as the protocol shows them: diagnostics (the rule id as `code`), and the code
//! actions over them — each safe fix as a quick fix, all of them at once as
//! `source.fixAll.arbor`, and a comment that suppresses a rule on a line.

use std::collections::HashMap;
use std::path::Path;

use arbor_lint::{Finding, Language, Severity};
use arbor_syntax::ParsedFile;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeDescription, Diagnostic,
    DiagnosticSeverity, DiagnosticTag, NumberOrString, Range, TextEdit, WorkspaceEdit,
};

use crate::documents::{uri_of, Document};
use crate::workspace::Workspace;

/// The kind of the action that applies every safe fix.
pub const FIX_ALL: &str = "source.fixAll.arbor";

/// What linting a document gave, for its version.
#[derive(Debug, Clone, Default)]
pub struct Linted {
    /// The document version linted.
    pub version: i32,
    /// The findings.
    pub findings: Vec<Finding>,
    /// Why the document was not linted (too large, binary, not a language Arbor reads).
    pub skipped: Option<String>,
}

/// Lints the unsaved text of `doc` with the workspace's configuration (its tree brought up to
/// date first).
pub fn lint(workspace: &Workspace, doc: &mut Document) -> Linted {
    let skipped = |why: String| Linted {
        version: doc.version,
        findings: Vec::new(),
        skipped: Some(why),
    };
    if doc.language.is_none() {
        return skipped("not a Python, JavaScript or Rust document".into());
    }
    if let Some(why) = crate::documents::unlintable(&doc.text) {
        return skipped(why);
    }
    let path = match &doc.path {
        Some(path) => workspace.relative(path),
        None => doc.uri.as_str().to_string(),
    };
    let findings = match doc.parsed() {
        Some(parsed) => {
            let options = arbor_lint::LintOptions::default();
            workspace.linter.lint_file(parsed, &path, &options).0
        }
        None => Vec::new(),
    };
    Linted {
        version: doc.version,
        findings,
        skipped: None,
    }
}

/// The diagnostic of `finding` in `doc`; its rule's page under `docs`, when there is one.
pub fn diagnostic(doc: &Document, finding: &Finding, docs: Option<&Path>) -> Diagnostic {
    let severity = match finding.severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    };
    let unused =
        finding.rule.ends_with("unused-import") || finding.rule.ends_with("unused-variable");
    Diagnostic {
        range: range_of(doc, finding),
        severity: Some(severity),
        code: Some(NumberOrString::String(finding.rule.clone())),
        code_description: docs
            .and_then(|dir| uri_of(&crate::docs::page(dir, &finding.rule)))
            .map(|href| CodeDescription { href }),
        source: Some("arbor".into()),
        message: finding.message.clone(),
        tags: unused.then(|| vec![DiagnosticTag::UNNECESSARY]),
        data: Some(serde_json::json!({"fingerprint": finding.fingerprint})),
        ..Diagnostic::default()
    }
}

fn range_of(doc: &Document, finding: &Finding) -> Range {
    let l = &finding.location;
    doc.lines.range(&doc.text, l.start_byte, l.end_byte)
}

/// Whether a client asking for `only` these kinds wants an action of `kind`.
fn wanted(only: Option<&[CodeActionKind]>, kind: &CodeActionKind) -> bool {
    only.is_none_or(|only| {
        only.iter().any(|k| {
            kind.as_str() == k.as_str() || kind.as_str().starts_with(&format!("{}.", k.as_str()))
        })
    })
}

/// The code actions for `range` of `doc`, given its findings.
pub fn code_actions(
    doc: &Document,
    findings: &[Finding],
    range: Range,
    only: Option<&[CodeActionKind]>,
    docs: Option<&Path>,
) -> Vec<CodeActionOrCommand> {
    let mut actions = Vec::new();
    let Ok(wanted_bytes) = doc.lines.bytes(&doc.text, range) else {
        return actions;
    };
    let touches = |f: &Finding| {
        f.location.start_byte <= wanted_bytes.end && wanted_bytes.start <= f.location.end_byte
    };
    for finding in findings.iter().filter(|f| touches(f)) {
        let diagnostics = Some(vec![diagnostic(doc, finding, docs)]);
        if let (Some(fix), true) = (&finding.fix, wanted(only, &CodeActionKind::QUICKFIX)) {
            let edits = fix
                .iter()
                .map(|e| {
                    TextEdit::new(
                        doc.lines.range(&doc.text, e.start_byte, e.end_byte),
                        e.replacement.clone(),
                    )
                })
                .collect();
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Fix {}: {}", finding.rule, finding.message),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: diagnostics.clone(),
                edit: Some(edit(doc, edits)),
                is_preferred: Some(true),
                ..CodeAction::default()
            }));
        }
        if let (Some(language), true) = (doc.language, wanted(only, &CodeActionKind::QUICKFIX)) {
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Suppress {} on this line", finding.rule),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics,
                edit: Some(edit(doc, vec![suppression(doc, language, finding)])),
                ..CodeAction::default()
            }));
        }
    }
    let fix_all = CodeActionKind::new(FIX_ALL);
    if wanted(only, &fix_all) {
        if let Some(fixed) = fix_all_text(doc, findings) {
            let whole = doc.lines.range(&doc.text, 0, doc.text.len());
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: "Arbor: fix all safely fixable problems".into(),
                kind: Some(fix_all),
                edit: Some(edit(doc, vec![TextEdit::new(whole, fixed)])),
                ..CodeAction::default()
            }));
        }
    }
    actions
}

fn edit(doc: &Document, edits: Vec<TextEdit>) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(HashMap::from([(doc.uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    }
}

/// The text with every safe fix of `findings` applied, when there is one and the result
/// parses with no more syntax errors than the text did (as `arbor lint --fix` checks).
pub fn fix_all_text(doc: &Document, findings: &[Finding]) -> Option<String> {
    let language = doc.language?;
    let (fixed, count) = arbor_lint::fix::apply(&doc.text, findings);
    if count == 0 || fixed == doc.text {
        return None;
    }
    let errors = |text: &str| {
        ParsedFile::parse("fix", language, text.to_string())
            .map_or(usize::MAX, |p| p.syntax_errors().len())
    };
    (errors(&fixed) <= errors(&doc.text)).then_some(fixed)
}

/// The edit that suppresses `finding`'s rule on its line: its id added to an `arbor:
/// ignore[…]` comment already there, else such a comment at the end of the line.
fn suppression(doc: &Document, language: Language, finding: &Finding) -> TextEdit {
    let line = finding.location.line.saturating_sub(1);
    let start = doc
        .lines
        .offset(&doc.text, lsp_types::Position::new(line as u32, 0))
        .unwrap_or(0);
    let end = doc
        .lines
        .offset(&doc.text, lsp_types::Position::new(line as u32, u32::MAX))
        .unwrap_or(doc.text.len());
    let text = &doc.text[start..end];
    let at = |offset: usize| {
        let p = doc.lines.position(&doc.text, offset);
        Range::new(p, p)
    };
    if let Some(i) = text.find("arbor: ignore[") {
        if let Some(close) = text[i..].find(']') {
            return TextEdit::new(at(start + i + close), format!(", {}", finding.rule));
        }
    }
    let marker = if language == Language::Python {
        "#"
    } else {
        "//"
    };
    TextEdit::new(
        at(end),
        format!("  {marker} arbor: ignore[{}]", finding.rule),
    )
}
