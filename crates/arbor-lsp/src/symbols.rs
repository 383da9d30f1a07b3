//! A document's outline: the syntax layer's definitions, nested as they are in the code.

use arbor_syntax::{ParsedFile, SymbolKind as Kind};
use lsp_types::{DocumentSymbol, SymbolKind};

use crate::documents::Document;

fn kind(kind: Kind) -> SymbolKind {
    match kind {
        Kind::Function => SymbolKind::FUNCTION,
        Kind::Method => SymbolKind::METHOD,
        Kind::Class => SymbolKind::CLASS,
        Kind::Struct => SymbolKind::STRUCT,
        Kind::Enum => SymbolKind::ENUM,
        Kind::Trait => SymbolKind::INTERFACE,
        Kind::Impl => SymbolKind::OBJECT,
        Kind::Module => SymbolKind::MODULE,
        Kind::Constant => SymbolKind::CONSTANT,
        Kind::Macro => SymbolKind::FUNCTION,
        Kind::Type => SymbolKind::TYPE_PARAMETER,
    }
}

/// The syntax layer's definitions in `doc`: from its kept tree, or (a document too large or
/// binary to lint) from a parse of its own; none for a language Arbor does not read.
fn symbols_of(doc: &mut Document) -> Vec<arbor_syntax::Symbol> {
    if let Some(parsed) = doc.parsed() {
        return parsed.symbols().unwrap_or_default();
    }
    doc.language
        .and_then(|language| {
            ParsedFile::parse("outline", language, doc.text.clone())
                .and_then(|parsed| parsed.symbols())
                .ok()
        })
        .unwrap_or_default()
}

/// The definitions of `doc`, each with the ones nested in it; empty for a document Arbor
/// does not parse.
pub fn document_symbols(doc: &mut Document) -> Vec<DocumentSymbol> {
    let symbols = symbols_of(doc);
    let range = |s: &arbor_syntax::Span| doc.lines.range(&doc.text, s.start_byte, s.end_byte);
    #[allow(deprecated)] // `deprecated` is a field the type still requires.
    let mut nodes: Vec<Option<DocumentSymbol>> = symbols
        .iter()
        .map(|s| {
            Some(DocumentSymbol {
                name: s.name.clone(),
                detail: Some(s.signature.clone()),
                kind: kind(s.kind),
                tags: None,
                deprecated: None,
                range: range(&s.span),
                selection_range: range(&s.name_span),
                children: None,
            })
        })
        .collect();
    let mut top = Vec::new();
    // Children come after their parents: from the end, each goes into its parent, in order.
    for i in (0..symbols.len()).rev() {
        let Some(node) = nodes[i].take() else {
            continue;
        };
        match symbols[i]
            .parent
            .and_then(|p| nodes.get_mut(p))
            .and_then(Option::as_mut)
        {
            Some(parent) => parent.children.get_or_insert_with(Vec::new).insert(0, node),
            None => top.insert(0, node),
        }
    }
    top
}

/// The name ranges of the definitions of `doc` named `name`.
pub fn definitions_named(doc: &mut Document, name: &str) -> Vec<lsp_types::Range> {
    symbols_of(doc)
        .iter()
        .filter(|s| s.name == name)
        .map(|s| {
            doc.lines
                .range(&doc.text, s.name_span.start_byte, s.name_span.end_byte)
        })
        .collect()
}
