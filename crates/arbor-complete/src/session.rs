//! The whole completion at a cursor, as one call the command line and a server share: read
//! and parse the file, split it at the cursor, gather the repository context
//! ([`Site::locate`], or [`Site::from_text`] for an editor's unsaved buffer sent over HTTP);
//! pack the prompt for a model's tokenizer ([`Site::prompt`]); generate, stopping at the end
//! of the cursor's block ([`Site::complete`], or a [`Trimmer`] fed by a caller that runs the
//! model itself).

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use arbor_gen::Generate;
use arbor_lm::{Completion, GenerationParams, LmTokenizer};
use arbor_syntax::{Language, ParsedFile};

use crate::context::{gather_context, ContextItem, ContextKind, ContextOptions};
use crate::cursor::{heal, split_at_cursor, strip_healed, CursorSplit};
use crate::error::CompleteError;
use crate::prompt::{build_prompt, Prompt, PromptFormat};
use crate::trim::BlockEnd;

/// Whether the text after the cursor goes in the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FimMode {
    /// When the vocabulary has fill-in-the-middle tokens.
    #[default]
    Auto,
    /// Always; a vocabulary without fill-in-the-middle tokens is an error.
    On,
    /// Never.
    Off,
}

/// Where to complete.
#[derive(Debug, Clone)]
pub struct Request {
    /// The file being edited (as the user named it: errors name it so).
    pub file: PathBuf,
    /// The cursor's line, 1-based.
    pub line: usize,
    /// The cursor's column, 1-based, in characters (one past the end of the line allowed).
    pub col: usize,
    /// The repository (default: the nearest folder above the file with `.git` or `.arbor`).
    pub root: Option<PathBuf>,
    /// The search index (default: `.arbor/index` in the repository, used when it exists).
    pub index: Option<PathBuf>,
}

/// A cursor in a parsed file, with the repository context around it.
#[derive(Debug)]
pub struct Site {
    /// The file's language.
    pub language: Language,
    /// The text before and after the cursor.
    pub cursor: CursorSplit,
    /// The repository's folder.
    pub root: PathBuf,
    /// The file's path relative to it.
    pub path: String,
    /// Definitions and similar code from the file and the repository.
    pub context: Vec<ContextItem>,
}

/// The nearest folder at or above `dir` that holds `.git` or `.arbor`, else `dir`.
pub fn repository_root(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|d| d.join(".git").exists() || d.join(".arbor").is_dir())
        .unwrap_or(dir)
        .to_path_buf()
}

/// The prompt format for `tokenizer` under `fim`; `model` names the model in the error when
/// `fim` is [`FimMode::On`] and the vocabulary has no fill-in-the-middle tokens.
pub fn prompt_format(
    tokenizer: &LmTokenizer,
    fim: FimMode,
    model: &str,
) -> Result<PromptFormat, CompleteError> {
    let format = PromptFormat::for_tokenizer(tokenizer);
    match fim {
        FimMode::Auto => Ok(format),
        FimMode::Off => Ok(format.without_fim()),
        FimMode::On if format.fim.is_some() => Ok(format),
        FimMode::On => Err(CompleteError::Request(format!(
            "--fim on: {model} has no fill-in-the-middle tokens (none named in its metadata, \
             none of <|fim_prefix|>, <fim_prefix>, <｜fim▁begin｜>, <PRE> … in its vocabulary)"
        ))),
    }
}

/// Tokens that end a completion: the vocabulary's file, repository and fill-in-the-middle
/// tokens (a model that writes one has left the code at the cursor: those the metadata names
/// and StarCoder's spellings), `<filename>` and `<|endoftext|>`.
pub fn stop_tokens(tokenizer: &LmTokenizer) -> Vec<u32> {
    let repo = tokenizer.repo_tokens();
    let named = ["<file_sep>", "<repo_name>", "<filename>", "<|endoftext|>"];
    let mut ids: Vec<u32> = named
        .iter()
        .filter_map(|t| tokenizer.token_id(t))
        .chain(
            [repo.repo_name, repo.file_sep]
                .into_iter()
                .flatten()
                .map(|t| t.id),
        )
        .chain(tokenizer.fim_tokens().map(|f| f.ids()).unwrap_or_default())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

impl Site {
    /// Reads and parses the request's file, splits it at the cursor and gathers the context.
    pub fn locate(request: &Request) -> Result<Site, CompleteError> {
        let shown = request.file.display().to_string();
        let file = std::fs::canonicalize(&request.file)
            .map_err(|e| CompleteError::Request(format!("{shown}: {e}")))?;
        let source = arbor_syntax::read_source(&file, arbor_syntax::DEFAULT_MAX_FILE_SIZE)
            .map_err(|reason| CompleteError::Request(format!("{shown}: {reason}")))?;
        let language = Language::detect(&file, source.as_bytes()).ok_or_else(|| {
            CompleteError::Request(format!("{shown}: not a Rust, Python or JavaScript file"))
        })?;
        let cursor = split_at_cursor(&source, request.line, request.col)
            .map_err(|e| CompleteError::Cursor(format!("{shown}: {e}")))?;
        let root = match &request.root {
            Some(root) => std::fs::canonicalize(root)
                .map_err(|e| CompleteError::Request(format!("{}: {e}", root.display())))?,
            None => repository_root(file.parent().unwrap_or(Path::new("."))),
        };
        let path = arbor_index::index::relative_path(&root, &file);
        let parsed = ParsedFile::parse(file, language, source)?;
        let options = ContextOptions {
            index_dir: Some(
                request
                    .index
                    .clone()
                    .unwrap_or_else(|| root.join(".arbor").join("index")),
            ),
            ..ContextOptions::default()
        };
        let context = gather_context(&root, &path, &parsed, cursor.offset, &options)?;
        Ok(Site {
            language,
            cursor,
            root,
            path,
            context,
        })
    }

    /// The prompt for `tokenizer` in `format`, at most `budget` tokens. The prefix's last
    /// line, when it is only indentation, is left to the model (token healing).
    pub fn prompt(
        &self,
        tokenizer: &LmTokenizer,
        format: &PromptFormat,
        budget: usize,
    ) -> Result<Prompt, CompleteError> {
        let repo = self
            .root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        build_prompt(
            tokenizer,
            format,
            self.language,
            &repo,
            &self.path,
            heal(&self.cursor.prefix).0,
            &self.cursor.suffix,
            &self.context,
            budget,
        )
    }

    /// Generates the completion of `prompt` with `model`: the vocabulary's file and
    /// fill-in-the-middle tokens stop it, and it ends with the cursor's block (what follows
    /// the cursor keeps its own line breaks). The healed indentation is not repeated. The
    /// completion's text goes to `on_text` piece by piece as it is generated (the pieces add
    /// up to the returned text); `Break` stops generation.
    pub fn complete(
        &self,
        model: &mut dyn Generate,
        prompt: &Prompt,
        mut params: GenerationParams,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Completion, CompleteError> {
        params.stop_tokens = prompt.stop_tokens.clone();
        params.n = 1;
        let mut trimmer = self.trimmer();
        let mut completion = model.generate_streaming(&prompt.text, &params, &mut |piece| {
            let (shown, ended) = trimmer.push(piece);
            if !shown.is_empty() && on_text(&shown).is_break() {
                return ControlFlow::Break(());
            }
            if ended {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        let rest = trimmer.finish();
        if !rest.is_empty() {
            let _ = on_text(&rest);
        }
        completion.text = trimmer.text();
        Ok(completion)
    }

    /// The cut of a completion at this cursor, for a caller that runs the model itself.
    pub fn trimmer(&self) -> Trimmer {
        Trimmer {
            healed: heal(&self.cursor.prefix).1.to_string(),
            block: BlockEnd::new(self.language, &self.cursor.prefix, &self.cursor.suffix),
            generated: String::new(),
            shown: 0,
            ended: false,
        }
    }

    /// A cursor in text that is not (or not as it stands) on disk: an editor's buffer. The
    /// file's language is `text.language`, else its path's, else the grammar that parses
    /// the text with the fewest errors ([`guess_language`]). The repository's context is
    /// gathered when `text.root` is given (the file counts as `text.path` in it), and the
    /// client's own pieces (`text.extra`) follow it.
    pub fn from_text(text: TextSite) -> Result<Site, CompleteError> {
        let path = text.path.unwrap_or_else(|| "filename".to_string());
        let source = format!("{}{}", text.prefix, text.suffix);
        let language = match text.language {
            Some(language) => language,
            None => Language::detect(Path::new(&path), source.as_bytes())
                .unwrap_or_else(|| guess_language(&source)),
        };
        let cursor = CursorSplit {
            offset: text.prefix.len(),
            prefix: text.prefix,
            suffix: text.suffix,
        };
        let mut context = Vec::new();
        let root = match text.root {
            Some(root) => {
                let parsed = ParsedFile::parse(PathBuf::from(&path), language, source)?;
                let options = ContextOptions {
                    index_dir: text.index,
                    ..ContextOptions::default()
                };
                context = gather_context(&root, &path, &parsed, cursor.offset, &options)?;
                root
            }
            None => PathBuf::new(),
        };
        context.extend(text.extra.into_iter().map(|(path, text)| ContextItem {
            kind: ContextKind::Similar,
            path,
            line: 1,
            name: None,
            text,
        }));
        Ok(Site {
            language,
            cursor,
            root,
            path,
            context,
        })
    }
}

/// A cursor given as text ([`Site::from_text`]).
#[derive(Debug, Clone, Default)]
pub struct TextSite {
    /// The text before the cursor.
    pub prefix: String,
    /// The text after it.
    pub suffix: String,
    /// The file's path, relative to `root` (without one the prompt calls it `filename`, as
    /// llama.cpp's `/infill` does).
    pub path: Option<String>,
    /// The file's language, when the client says.
    pub language: Option<Language>,
    /// The repository whose definitions and similar code go in the prompt.
    pub root: Option<PathBuf>,
    /// Its search index (used when it exists).
    pub index: Option<PathBuf>,
    /// Pieces of other files the client sends, `(path, text)`, most relevant first.
    pub extra: Vec<(String, String)>,
}

/// The language whose grammar parses `text` with the fewest syntax errors (Python on a tie:
/// it is the likeliest in a file with no brackets to tell).
pub fn guess_language(text: &str) -> Language {
    let errors = |language: Language| {
        ParsedFile::parse(PathBuf::from("filename"), language, text.to_string())
            .map_or(usize::MAX, |parsed| parsed.syntax_errors().len())
    };
    [Language::Python, Language::JavaScript, Language::Rust]
        .into_iter()
        .min_by_key(|&language| errors(language))
        .unwrap_or(Language::Python)
}

/// A completion's text as it is generated, cut to the cursor's block ([`Site::trimmer`]):
/// the indentation the editor already has comes off its start and it ends where the block
/// ends. Trailing white space is held back until more text follows it, so the pieces handed
/// out add up to [`Trimmer::text`] whether or not the block ended.
#[derive(Debug, Clone)]
pub struct Trimmer {
    healed: String,
    block: BlockEnd,
    generated: String,
    shown: usize,
    ended: bool,
}

impl Trimmer {
    /// Takes the next piece the model wrote; returns the text to show now, and whether the
    /// block has ended (nothing after this piece belongs to the completion).
    pub fn push(&mut self, piece: &str) -> (String, bool) {
        if !self.ended {
            self.generated.push_str(piece);
        }
        let (text, ended) = self.settle();
        self.ended = ended;
        let visible = if ended {
            text.as_str()
        } else {
            text.trim_end()
        };
        (self.take(visible), ended)
    }

    /// The text not yet shown (held-back white space at the end).
    pub fn finish(&mut self) -> String {
        let text = self.text();
        self.take(&text)
    }

    /// The completion as it stands: cut, healed indentation off.
    pub fn text(&self) -> String {
        self.settle().0
    }

    fn settle(&self) -> (String, bool) {
        let kept = strip_healed(&self.generated, &self.healed);
        match self.block.cut(kept) {
            Some(n) => (kept[..n].trim_end().to_string(), true),
            None => (kept.to_string(), false),
        }
    }

    fn take(&mut self, visible: &str) -> String {
        match visible.get(self.shown..) {
            Some(new) if !new.is_empty() => {
                self.shown = visible.len();
                new.to_string()
            }
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(language: Language, prefix: &str, suffix: &str) -> Site {
        Site::from_text(TextSite {
            prefix: prefix.into(),
            suffix: suffix.into(),
            language: Some(language),
            ..TextSite::default()
        })
        .unwrap()
    }

    /// Feeds `pieces` to a trimmer; returns what it showed, piece by piece, and its text.
    fn feed(site: &Site, pieces: &[&str]) -> (Vec<String>, String) {
        let mut trimmer = site.trimmer();
        let mut shown = Vec::new();
        for piece in pieces {
            let (text, ended) = trimmer.push(piece);
            shown.push(text);
            if ended {
                break;
            }
        }
        shown.push(trimmer.finish());
        (shown, trimmer.text())
    }

    #[test]
    fn a_trimmer_shows_the_block_as_it_grows_and_nothing_past_its_end() {
        let s = site(
            Language::Python,
            "def f(x):\n    ",
            "\n\ndef g():\n    pass\n",
        );
        let (shown, text) = feed(
            &s,
            &[
                "\n    ",
                "y = x",
                " + 1\n",
                "    return y\n",
                "\ndef h",
                "():\n",
            ],
        );
        // The healed indentation is not shown; trailing space waits for what follows it.
        assert_eq!(shown[0], "");
        assert_eq!(shown[1], "y = x");
        assert_eq!(shown[2], " + 1");
        assert_eq!(text, "y = x + 1\n    return y");
        assert_eq!(shown.concat(), text);
        // A completion that never ends its block keeps its trailing white space at the end.
        let (shown, text) = feed(&s, &["\n    ", "return x", "\n"]);
        assert_eq!(text, "return x\n");
        assert_eq!(shown.concat(), text);
    }

    #[test]
    fn a_rust_completion_stops_at_the_brace_that_closes_the_cursors_block() {
        let s = site(Language::Rust, "fn f() -> u8 {\n    let x = ", "\n}\n");
        let (shown, text) = feed(&s, &["1;", "\n    x\n", "}\nfn g() {}\n"]);
        assert_eq!(text, "1;\n    x");
        assert_eq!(shown.concat(), text);
    }

    #[test]
    fn text_sites_guess_their_language_and_keep_the_clients_pieces() {
        assert_eq!(
            guess_language("def f(x):\n    return x\n"),
            Language::Python
        );
        assert_eq!(
            guess_language("fn main() {\n    let x: u8 = 1;\n}\n"),
            Language::Rust
        );
        assert_eq!(
            guess_language("function f(x) {\n  const y = x;\n  return y;\n}\n"),
            Language::JavaScript
        );
        let s = Site::from_text(TextSite {
            prefix: "fn main() {\n    let v = helper(".into(),
            suffix: ");\n}\n".into(),
            extra: vec![("src/util.rs".into(), "fn helper(x: u8) -> u8 { x }".into())],
            ..TextSite::default()
        })
        .unwrap();
        assert_eq!(s.language, Language::Rust);
        assert_eq!(s.path, "filename");
        assert_eq!(s.context.len(), 1);
        assert_eq!(s.context[0].path, "src/util.rs");
        // A path names the language.
        let s = Site::from_text(TextSite {
            prefix: "x = ".into(),
            path: Some("lib/a.js".into()),
            ..TextSite::default()
        })
        .unwrap();
        assert_eq!(s.language, Language::JavaScript);
    }

    #[test]
    fn a_text_site_in_a_repository_finds_definitions_there() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("util.py"),
            "def scale(values, factor):\n    return [v * factor for v in values]\n",
        )
        .unwrap();
        let s = Site::from_text(TextSite {
            prefix: "from util import scale\n\nresult = scale(".into(),
            path: Some("main.py".into()),
            root: Some(dir.path().to_path_buf()),
            ..TextSite::default()
        })
        .unwrap();
        assert!(
            s.context
                .iter()
                .any(|c| c.path == "util.py" && c.text.contains("def scale")),
            "{:?}",
            s.context
        );
    }
}
