//! The vocabulary every layer kind speaks, below [`crate::kinds`] in the import graph: reading
//! a section's options with darknet's defaults and "Unused field" tracking ([`options`]), the
//! typed keys and references every parser shares ([`keys`]), darknet's activations
//! ([`activation`]), the error of a section that is not a layer ([`error`]), the shapes a rule
//! reads and returns with what it sees while doing so ([`shape`], [`shape_cx`]), and one
//! layer's costs with the counting rules kinds share ([`cost`]).
//!
//! Nothing here names a kind, the network, or a later stage: `network`, `shape` and `profile`
//! drive the kinds, and the kinds use only this.

pub mod activation;
pub mod cost;
pub mod error;
pub mod keys;
pub mod options;
pub mod shape;
pub mod shape_cx;
