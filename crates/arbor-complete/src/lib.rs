//! Code completion at a cursor. The text before and after the cursor, the definitions the text
//! before it refers to (found through the syntax layer, in the file and the repository) and,
//! when the repository has a search index, the chunks that best match the lines before the
//! cursor are packed into a prompt within a token budget ([`prompt`]); the model's output is
//! cut at the end of the block the cursor is in ([`trim`]).
//!
//! The prompt format is documented on [`prompt::build_prompt`].

pub mod context;
pub mod cursor;
pub mod error;
pub mod prompt;
pub mod report;
pub mod session;
pub mod trim;

pub use context::{gather_context, ContextItem, ContextKind, ContextOptions};
pub use cursor::{heal, split_at_cursor, strip_healed, CursorSplit};
pub use error::CompleteError;
pub use prompt::{build_prompt, Prompt, PromptFormat};
pub use session::{
    guess_language, prompt_format, stop_tokens, FimMode, Request, Site, TextSite, Trimmer,
};
pub use trim::BlockEnd;
