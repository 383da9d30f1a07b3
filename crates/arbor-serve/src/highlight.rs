//! Syntax colouring for the file view, from the syntax layer's tree: each byte gets the class
//! of the token it lies in (comment, string, number, keyword, type, function name), and each
//! line becomes HTML with one `<span class=…>` per run of bytes of one class.

use arbor_syntax::tree_sitter::Node;
use arbor_syntax::{Language, ParsedFile};

/// The class of a token, as CSS classes of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Comment,
    String,
    Number,
    Keyword,
    Type,
    Function,
}

impl Class {
    fn css(self) -> &'static str {
        match self {
            Class::Comment => "c",
            Class::String => "s",
            Class::Number => "n",
            Class::Keyword => "k",
            Class::Type => "t",
            Class::Function => "f",
        }
    }
}

/// The lines of `source` as HTML (escaped, coloured when `language` parses it).
pub fn lines(source: &str, language: Option<Language>) -> Vec<String> {
    let mut classes: Vec<Option<Class>> = vec![None; source.len()];
    if let Some(parsed) =
        language.and_then(|l| ParsedFile::parse("<view>", l, source.to_string()).ok())
    {
        let mut stack = vec![parsed.root()];
        while let Some(node) = stack.pop() {
            match class_of(&parsed, node) {
                Some(class) => classes[node.start_byte()..node.end_byte()].fill(Some(class)),
                None => {
                    let mut cursor = node.walk();
                    stack.extend(node.children(&mut cursor));
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut start = 0;
    for line in source.split_inclusive('\n') {
        let text = line.strip_suffix('\n').unwrap_or(line);
        let text = text.strip_suffix('\r').unwrap_or(text);
        out.push(render(text, &classes[start..start + text.len()]));
        start += line.len();
    }
    out
}

/// One line's HTML.
fn render(text: &str, classes: &[Option<Class>]) -> String {
    let mut html = String::new();
    let mut flush = |from: usize, to: usize| {
        let escaped = escape(&text[from..to]);
        match classes[from] {
            Some(class) => {
                html.push_str(&format!("<span class=\"{}\">{escaped}</span>", class.css()))
            }
            None => html.push_str(&escaped),
        }
    };
    let mut run_start = 0;
    for (i, _) in text.char_indices() {
        if i > run_start && classes[i] != classes[run_start] {
            flush(run_start, i);
            run_start = i;
        }
    }
    if run_start < text.len() {
        flush(run_start, text.len());
    }
    html
}

/// `text` safe inside HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The class of `node` as a whole, or `None` to look at its children.
fn class_of(parsed: &ParsedFile, node: Node<'_>) -> Option<Class> {
    let kind = node.kind();
    if kind.contains("comment") {
        return Some(Class::Comment);
    }
    if matches!(
        kind,
        "string"
            | "string_literal"
            | "raw_string_literal"
            | "char_literal"
            | "template_string"
            | "regex"
    ) {
        return Some(Class::String);
    }
    if matches!(
        kind,
        "integer" | "float" | "number" | "integer_literal" | "float_literal"
    ) {
        return Some(Class::Number);
    }
    if matches!(kind, "type_identifier" | "primitive_type") {
        return Some(Class::Type);
    }
    if kind == "identifier" || kind == "property_identifier" {
        let parent = node.parent()?;
        let defines = matches!(
            parent.kind(),
            "function_definition"
                | "function_item"
                | "function_declaration"
                | "method_definition"
                | "class_definition"
                | "class_declaration"
        );
        let is_name = parent
            .child_by_field_name("name")
            .is_some_and(|name| name.id() == node.id());
        return (defines && is_name).then_some(Class::Function);
    }
    // Keywords are the grammar's unnamed tokens made of letters (`def`, `fn`, `return`).
    let keyword = !node.is_named()
        && node.child_count() == 0
        && kind.len() > 1
        && kind.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
        && parsed.text(node) == kind;
    keyword.then_some(Class::Keyword)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_coloured_and_text_escaped() {
        let source = "def f(x):\n    # a <note>\n    return \"s\" + 1\n";
        let html = lines(source, Some(Language::Python));
        assert_eq!(html.len(), 3);
        assert_eq!(
            html[0],
            "<span class=\"k\">def</span> <span class=\"f\">f</span>(x):"
        );
        assert_eq!(html[1], "    <span class=\"c\"># a &lt;note&gt;</span>");
        assert_eq!(
            html[2],
            "    <span class=\"k\">return</span> <span class=\"s\">&quot;s&quot;</span> + <span class=\"n\">1</span>"
        );
        // Without a language, escaped text only; a multi-byte character stays whole.
        assert_eq!(lines("a<é>\n", None), vec!["a&lt;é&gt;"]);
    }
}
