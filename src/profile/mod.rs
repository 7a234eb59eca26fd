//! Network + shapes → per-layer costs, memory, gradient paths and traffic: side tables keyed
//! by layer index (the network is never changed).

pub mod flops;
pub mod gradient;
pub mod memory;
pub mod traffic;

pub use flops::{LayerCost, Profile, ProfileError, profile};
pub use gradient::{Gradient, gradient};
pub use memory::{Memory, memory};
pub use traffic::{Traffic, traffic};
