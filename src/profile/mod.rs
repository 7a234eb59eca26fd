//! Network + shapes → per-layer costs, memory, gradient paths, traffic and CSP stages: side
//! tables keyed by layer index (the network is never changed).

pub mod csp;
pub mod flops;
pub mod gradient;
pub mod memory;
pub mod receptive;
pub mod roofline;
pub mod traffic;

pub use csp::{CspStages, csp_stages};
pub use flops::{Profile, ProfileError, profile};
pub use gradient::{Gradient, gradient};
pub use memory::{Memory, memory};
pub use receptive::receptive_fields;
pub use traffic::{Traffic, layer_traffic, traffic};
