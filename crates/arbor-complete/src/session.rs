//! The whole completion at a cursor, as one call the command line and a server share: read
//! and parse the file, split it at the cursor, gather the repository context
//! ([`Site::locate`]); pack the prompt for a model's tokenizer ([`Site::prompt`]); generate,
//! stopping at the end of the cursor's block ([`Site::complete`]).

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use arbor_lm::{Completion, GenerationParams, LlamaModel, LmTokenizer};
use arbor_syntax::{Language, ParsedFile};

use crate::context::{gather_context, ContextItem, ContextOptions};
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
    /// the cursor keeps its own line breaks). The healed indentation is not repeated.
    pub fn complete(
        &self,
        model: &mut LlamaModel,
        prompt: &Prompt,
        mut params: GenerationParams,
    ) -> Result<Completion, CompleteError> {
        params.stop_tokens = stop_tokens(model.tokenizer());
        let healed = heal(&self.cursor.prefix).1;
        let block = BlockEnd::new(self.language, &self.cursor.prefix, &self.cursor.suffix);
        let mut text = String::new();
        let mut completion = model.generate_streaming(&prompt.text, &params, &mut |piece| {
            text.push_str(piece);
            match block.cut(strip_healed(&text, healed)) {
                Some(_) => ControlFlow::Break(()),
                None => ControlFlow::Continue(()),
            }
        })?;
        let mut kept = strip_healed(&completion.text, healed).to_string();
        if let Some(n) = block.cut(&kept) {
            kept.truncate(kept[..n].trim_end().len());
        }
        completion.text = kept;
        Ok(completion)
    }
}
