//! AST-aware, semantics-preserving program transforms for data augmentation and robustness
//! tests (ReCode, NatGen and the transforms of the code-model literature).
//!
//! Every transform reads the syntax tree of the syntax layer and answers with byte-range
//! [`Edit`]s; the engine applies them, re-parses the result and refuses it when the parse has
//! errors, so a transform either produces valid code or leaves its input unchanged with the
//! reason ([`Outcome::Skipped`]). Randomness comes from a generator seeded by the run's seed
//! and the transform's id: the same seed gives the same output.

pub mod batch;
pub mod engine;
pub mod error;
pub mod names;
pub mod pipeline;
pub mod transforms;
mod tree;

pub use engine::{
    apply, augment, augment_parsed, AugmentOptions, Augmented, Context, Edit, Naming, Outcome, Skip,
};
pub use error::AugmentError;
pub use transforms::{by_id, Transform, TRANSFORMS};
