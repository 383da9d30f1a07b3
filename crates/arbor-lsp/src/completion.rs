//! Completion from a local model, through `arbor complete`'s pipeline (the repository's
//! definitions and similar code, fill-in-the-middle where the vocabulary has it, the
//! completion cut at the end of the cursor's block): `textDocument/inlineCompletion` (LSP
//! 3.18, shown as ghost text) and one `textDocument/completion` item. The model is loaded on
//! the first request. A generation stops as soon as the client cancels the request or edits
//! or closes the document (the server reads its messages between tokens).

use arbor_complete::{PromptFormat, Site, TextSite};
use arbor_gen::{Generate, GenerationParams};
use arbor_lm::LmTokenizer;

use crate::documents::Document;

/// A model to complete with, and its vocabulary (for packing prompts).
pub struct CodeModel {
    /// Its name, shown beside completion items.
    pub name: String,
    /// The model.
    pub model: Box<dyn Generate + Send>,
    /// Its vocabulary.
    pub tokenizer: LmTokenizer,
}

/// Loads the model (called on the first completion request).
pub type ModelLoader = Box<dyn FnOnce() -> Result<CodeModel, String> + Send>;

/// The model: not yet loaded, loaded, or why it did not load.
pub enum ModelState {
    /// Loaded on first use.
    Pending(ModelLoader),
    /// Ready.
    Ready(CodeModel),
    /// Failed to load.
    Failed(String),
}

impl ModelState {
    /// The model, loaded now if it was not.
    pub fn get(&mut self) -> Result<&mut CodeModel, String> {
        // Taken out to be called (a loader runs once); a state that was not pending goes
        // back as it was.
        *self = match std::mem::replace(self, ModelState::Failed(String::new())) {
            ModelState::Pending(loader) => match loader() {
                Ok(model) => ModelState::Ready(model),
                Err(why) => ModelState::Failed(why),
            },
            other => other,
        };
        match self {
            ModelState::Ready(model) => Ok(model),
            ModelState::Failed(why) => Err(format!("the model did not load: {why}")),
            ModelState::Pending(_) => Err("the model is not loaded".into()),
        }
    }
}

/// The most tokens a completion may have.
pub const MAX_TOKENS: usize = 128;

/// The completion at byte `offset` of `doc`: the text to insert there, or `None` when `doc`
/// is not code Arbor reads. `keep_going` is asked between tokens; `false` stops generation
/// (the result is then `Ok(None)`).
pub fn complete(
    model: &mut CodeModel,
    doc: &Document,
    offset: usize,
    site_root: Option<(&std::path::Path, String)>,
    keep_going: &mut dyn FnMut() -> bool,
) -> Result<Option<String>, String> {
    let Some(language) = doc.language else {
        return Ok(None);
    };
    let (root, path) = match site_root {
        Some((root, path)) => (Some(root.to_path_buf()), Some(path)),
        None => (None, None),
    };
    let index = root
        .as_ref()
        .map(|r| r.join(".arbor").join("index"))
        .filter(|d| d.is_dir());
    let site = Site::from_text(TextSite {
        prefix: doc.text[..offset].to_string(),
        suffix: doc.text[offset..].to_string(),
        path,
        language: Some(language),
        root,
        index,
        extra: Vec::new(),
    })
    .map_err(|e| e.to_string())?;
    let format = PromptFormat::for_tokenizer(&model.tokenizer);
    let budget = model
        .model
        .context_length()
        .map_or(1024, |c| c.saturating_sub(MAX_TOKENS))
        .min(1024);
    let prompt = site
        .prompt(&model.tokenizer, &format, budget)
        .map_err(|e| e.to_string())?;
    let params = GenerationParams {
        max_tokens: MAX_TOKENS,
        ..GenerationParams::default()
    };
    let mut stopped = false;
    let completion = site
        .complete(&mut *model.model, &prompt, params, &mut |_| {
            if keep_going() {
                std::ops::ControlFlow::Continue(())
            } else {
                stopped = true;
                std::ops::ControlFlow::Break(())
            }
        })
        .map_err(|e| e.to_string())?;
    Ok((!stopped).then_some(completion.text))
}
