//! Network + shapes → per-layer costs, a side table keyed by layer index.

pub mod flops;

pub use flops::{LayerCost, Profile, ProfileError, profile};
