//! Backends run a network on an input tensor and return the outputs the caller needs.

pub mod cpu;
mod runner;
#[cfg(feature = "gpu")]
pub mod wgpu;

pub use runner::{BackendChoice, Runner};

use crate::tensor::Tensor;
use thiserror::Error;

/// The result of one forward pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    /// Outputs kept for the caller (detection heads and layers nothing reads), by layer index.
    pub outputs: Vec<(usize, Tensor)>,
    /// Wall time of each layer in milliseconds.
    pub layer_ms: Vec<f64>,
}

impl Forward {
    /// The output of layer `i`, if it was kept.
    pub fn output(&self, i: usize) -> Option<&Tensor> {
        self.outputs.iter().find(|(j, _)| *j == i).map(|(_, t)| t)
    }
}

/// Why a backend cannot run a network.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BackendError {
    /// A layer kind this backend has no kernel for.
    #[error("layer {layer} ({kind}) is not supported by this backend")]
    Unsupported {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: &'static str,
    },
    /// A layer that cannot run as the cfg describes it (darknet cannot run it either).
    #[error("layer {layer} {reason}")]
    Invalid {
        /// Layer index.
        layer: usize,
        /// Why, as a clause after the layer's number ("shares the weights of …").
        reason: String,
    },
    /// A layer needs more of the GPU than the device allows (a buffer larger than it binds).
    #[error("layer {layer} {detail}")]
    DeviceLimit {
        /// Layer index.
        layer: usize,
        /// What it needs and what the device allows, after the layer's number.
        detail: String,
    },
    /// The input does not have the network's size.
    #[error("the input is {got}, the network needs {want}")]
    InputSize {
        /// What was given.
        got: String,
        /// What the network needs.
        want: String,
    },
    /// No usable GPU adapter or device.
    #[error("no GPU: {0}")]
    NoDevice(String),
    /// The GPU reported an error (validation, out of memory, lost device, timeout).
    #[error("GPU error: {0}")]
    Gpu(String),
    /// A broken invariant (a bug, reported instead of a panic).
    #[error("internal error: {0}")]
    Internal(String),
}
