//! `arbor complete FILE --line L --col C`: code completion at a cursor with a local model.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use anyhow::Context;
use arbor_complete::{BlockEnd, ContextKind, ContextOptions, PromptFormat};
use arbor_lm::{GgufFile, LmTokenizer};
use arbor_syntax::{Language, ParsedFile};
use clap::Args;

use crate::generate_cmd::{completion_json, report, ModelArgs, SamplingArgs};
use crate::Outcome;

/// Arguments of `arbor complete`.
#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// The file being edited.
    file: PathBuf,
    /// The cursor's line (1-based).
    #[arg(long)]
    line: usize,
    /// The cursor's column (1-based, in characters; one past the end of the line is allowed).
    #[arg(long)]
    col: usize,
    #[command(flatten)]
    model: ModelArgs,
    /// At most this many new tokens.
    #[arg(long, default_value_t = 128)]
    max_tokens: usize,
    /// The prompt's size in tokens (context, the lines before the cursor and, with
    /// fill-in-the-middle models, after it).
    #[arg(long, default_value_t = 1024)]
    budget: usize,
    /// The repository (default: the nearest folder above the file with .git or .arbor).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// The search index (default: .arbor/index in the repository; used when it exists).
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,
    #[command(flatten)]
    sampling: SamplingArgs,
    /// Fill-in-the-middle: with `auto` the text after the cursor goes in the prompt when the
    /// model's vocabulary has fill-in-the-middle tokens (any common spelling); `on` requires
    /// them; `off` completes from the text before the cursor alone.
    #[arg(long, value_enum, default_value_t = FimMode::Auto, value_name = "MODE")]
    fim: FimMode,
    /// Print the prompt and stop (only the tokenizer is loaded).
    #[arg(long)]
    show_prompt: bool,
    /// One JSON object: the completion, its counts and timings, and the context used.
    #[arg(long)]
    json: bool,
}

/// `--fim`: whether the text after the cursor goes in the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FimMode {
    /// When the vocabulary has fill-in-the-middle tokens.
    Auto,
    /// Always; a vocabulary without fill-in-the-middle tokens is an error.
    On,
    /// Never.
    Off,
}

/// The prompt format for `tokenizer` under `--fim`.
fn prompt_format(
    tokenizer: &LmTokenizer,
    fim: FimMode,
    model: &str,
) -> anyhow::Result<PromptFormat> {
    let format = PromptFormat::for_tokenizer(tokenizer);
    match fim {
        FimMode::Auto => Ok(format),
        FimMode::Off => Ok(format.without_fim()),
        FimMode::On if format.fim.is_some() => Ok(format),
        FimMode::On => anyhow::bail!(
            "--fim on: {model} has no fill-in-the-middle tokens (none named in its metadata, \
             none of <|fim_prefix|>, <fim_prefix>, <｜fim▁begin｜>, <PRE> … in its vocabulary)"
        ),
    }
}

/// The nearest folder at or above `dir` that holds `.git` or `.arbor`, else `dir`.
fn repository_root(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|d| d.join(".git").exists() || d.join(".arbor").is_dir())
        .unwrap_or(dir)
        .to_path_buf()
}

/// The tokenizer alone (for `--show-prompt`), as `LlamaModel::load` would build it.
fn load_tokenizer(path: &Path) -> anyhow::Result<LmTokenizer> {
    let gguf = GgufFile::open(path)?;
    let sibling = path.with_file_name("tokenizer.json");
    Ok(if sibling.is_file() {
        LmTokenizer::from_json_file(&sibling, gguf.metadata())?
    } else {
        LmTokenizer::from_metadata(gguf.metadata())?
    })
}

/// Tokens that end a completion: the vocabulary's file, repository and fill-in-the-middle
/// tokens (a model that writes one has left the code at the cursor) and `<|endoftext|>`.
fn stop_tokens(tokenizer: &LmTokenizer) -> Vec<u32> {
    let named = ["<file_sep>", "<repo_name>", "<filename>", "<|endoftext|>"];
    let repo = tokenizer.repo_tokens();
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

pub fn run(args: CompleteArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    args.model.apply_threads()?;
    let file =
        std::fs::canonicalize(&args.file).with_context(|| format!("{}", args.file.display()))?;
    let source = arbor_syntax::read_source(&file, arbor_syntax::DEFAULT_MAX_FILE_SIZE)
        .map_err(|reason| anyhow::anyhow!("{}: {reason}", args.file.display()))?;
    let language = Language::detect(&file, source.as_bytes()).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: not a Rust, Python or JavaScript file",
            args.file.display()
        )
    })?;
    let cursor = arbor_complete::split_at_cursor(&source, args.line, args.col)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let root = match &args.root {
        Some(root) => std::fs::canonicalize(root).with_context(|| format!("{}", root.display()))?,
        None => repository_root(file.parent().unwrap_or(Path::new("."))),
    };
    let rel = arbor_index::index::relative_path(&root, &file);
    let parsed = ParsedFile::parse(file.clone(), language, source.clone())?;
    let options = ContextOptions {
        index_dir: Some(
            args.index
                .clone()
                .unwrap_or_else(|| root.join(".arbor").join("index")),
        ),
        ..ContextOptions::default()
    };
    let context = arbor_complete::gather_context(&root, &rel, &parsed, cursor.offset, &options)?;
    let model_path = arbor_lm::catalog::resolve(&args.model.model, &|m| eprintln!("arbor: {m}"))?;
    let repo = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (prompt_prefix, healed) = arbor_complete::heal(&cursor.prefix);
    let build = |tokenizer: &LmTokenizer| -> anyhow::Result<arbor_complete::Prompt> {
        let format = prompt_format(tokenizer, args.fim, &args.model.model)?;
        Ok(arbor_complete::build_prompt(
            tokenizer,
            &format,
            language,
            &repo,
            &rel,
            prompt_prefix,
            &cursor.suffix,
            &context,
            args.budget,
        )?)
    };
    if args.show_prompt {
        let prompt = build(&load_tokenizer(&model_path)?)?;
        write!(out, "{}", prompt.text)?;
        return Ok(Outcome::Ok);
    }
    if args.fim == FimMode::On {
        // Refuse before the weights are loaded.
        prompt_format(&load_tokenizer(&model_path)?, args.fim, &args.model.model)?;
    }
    let mut model = args.model.load()?;
    let prompt = build(model.tokenizer())?;
    let mut params = args.sampling.params(args.max_tokens, Vec::new())?;
    params.stop_tokens = stop_tokens(model.tokenizer());
    let block = BlockEnd::new(language, &cursor.prefix, &cursor.suffix);
    let mut text = String::new();
    let mut cut: Option<usize> = None;
    let mut completion = model.generate_streaming(&prompt.text, &params, &mut |piece| {
        text.push_str(piece);
        cut = block.cut(arbor_complete::strip_healed(&text, healed));
        if cut.is_some() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    let mut kept = arbor_complete::strip_healed(&completion.text, healed).to_string();
    if let Some(n) = block.cut(&kept) {
        // The block ended: what follows the cursor already has its own line breaks.
        kept.truncate(kept[..n].trim_end().len());
    }
    completion.text = kept;
    if args.json {
        let mut value = completion_json(&completion);
        value["context"] = prompt
            .context
            .iter()
            .map(|item| {
                serde_json::json!({
                    "path": item.path,
                    "line": item.line,
                    "name": item.name,
                    "kind": match item.kind {
                        ContextKind::Definition => "definition",
                        ContextKind::Similar => "similar",
                    },
                })
            })
            .collect();
        value["prompt_lines_dropped"] = prompt.prefix_lines_dropped.into();
        writeln!(out, "{value}")?;
    } else {
        write!(out, "{}", completion.text)?;
        if std::io::stdout().is_terminal() && !completion.text.ends_with('\n') {
            writeln!(out)?;
        }
    }
    out.flush()?;
    report(&[completion]);
    Ok(Outcome::Ok)
}
