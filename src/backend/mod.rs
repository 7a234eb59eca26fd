//! Backends run a network on an input tensor and return the outputs the caller needs.

pub mod cpu;
mod runner;
pub mod synthetic;
#[cfg(feature = "gpu")]
pub mod wgpu;

pub use runner::{BackendChoice, RunOptions, Runner};

use crate::network::Network;
use crate::shape::Shapes;
use crate::tensor::Tensor;
use thiserror::Error;

/// The standard place for the wgpu backend's measured kernel choices, for the front ends to
/// put in [`RunOptions::tuning_cache`]: `$CSPLENS_TUNING_DIR`, else
/// `$XDG_CACHE_HOME/csplens/tuning`, else `$HOME/.cache/csplens/tuning`; `None` when none of
/// them is set. Nothing in the library reads the environment itself.
pub fn tuning_dir() -> Option<std::path::PathBuf> {
    use std::path::PathBuf;
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    var("CSPLENS_TUNING_DIR").map(PathBuf::from).or_else(|| {
        var("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .map(|c| c.join("csplens").join("tuning"))
    })
}

/// What a backend reads of an analysis: the network and its shapes (each layer's kind,
/// inputs and sizes). Made from an [`crate::Analysis`] by `From`, so callers pass `&analysis`.
#[derive(Debug, Clone, Copy)]
pub struct Model<'a> {
    /// The typed layers and the DAG.
    pub network: &'a Network,
    /// Every layer's input and output shape.
    pub shapes: &'a Shapes,
}

impl<'a> From<&'a crate::Analysis> for Model<'a> {
    fn from(a: &'a crate::Analysis) -> Self {
        Self {
            network: &a.network,
            shapes: &a.shapes,
        }
    }
}

/// How a backend stores activations and weights; arithmetic is f32 either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Precision {
    /// 32-bit floats (the CPU backend's only precision).
    #[default]
    F32,
    /// 16-bit floats, on GPUs whose shaders store f16 (`SHADER_F16`): half the memory and
    /// traffic.
    F16,
}

impl Precision {
    /// Bytes per stored value.
    pub fn bytes(self) -> u64 {
        match self {
            Self::F32 => 4,
            Self::F16 => 2,
        }
    }

    /// The name `--precision` takes.
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::F16 => "f16",
        }
    }
}

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
    #[error("the input is {}×{}×{} ({} values), the network needs {want} values", got.0, got.1, got.2, got.0 * got.1 * got.2)]
    InputSize {
        /// Width, height and channels of what was given.
        got: (usize, usize, usize),
        /// Values the network reads.
        want: usize,
    },
    /// A layer's weights are missing from the loaded `.weights` (or lie outside it).
    #[error("layer {layer} has no {what} in the loaded weights")]
    MissingWeights {
        /// Layer index.
        layer: usize,
        /// Which part ("weights", "biases" …).
        what: &'static str,
    },
    /// The GPU device was lost (driver reset, removal): a new context is needed.
    #[error("the GPU device was lost")]
    DeviceLost,
    /// No usable GPU adapter or device.
    #[error("no GPU: {0}")]
    NoDevice(String),
    /// Half precision was asked of a backend that has none.
    #[error(
        "f16 needs a GPU whose shaders store f16 (SHADER_F16), and {backend} has none: use f32"
    )]
    NoF16 {
        /// The backend or adapter, in words.
        backend: String,
    },
    /// The GPU ran out of memory (a caller can retry smaller or on the CPU).
    #[error("out of GPU memory while {during}: {detail}")]
    OutOfMemory {
        /// What was being done.
        during: &'static str,
        /// wgpu's message.
        detail: String,
    },
    /// The GPU reported an error (validation, timeout) while doing something.
    #[error("GPU error {during}: {detail}")]
    Gpu {
        /// What was being done ("submitting", "reading the outputs back" …).
        during: &'static str,
        /// The driver's or wgpu's message.
        detail: String,
    },
    /// A broken invariant (a bug, reported instead of a panic).
    #[error("internal error: {0}")]
    Internal(String),
}
