//! The convolution kernels a network is built with: the production kernels and how each
//! layer's is chosen ([`ConvChoice`]: kernel and split-K count), the benchmark baselines kept
//! apart from them ([`Baseline`], reached through `wgpu::bench`), the split-K size rule, and
//! one build's settings ([`Recipe`]).

use super::super::kernels::{Accumulate, Precision};

/// Convolutions launching fewer invocations than this on a real GPU are split over input
/// channels (split-K) until they reach it (the default of [`super::BuildOptions::split_below`]).
pub const SPLIT_BELOW: usize = 262_144;

/// A production kernel for ungrouped convolutions (grouped and depthwise layers always run
/// `conv_grouped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConvKernel {
    /// Implicit GEMM through workgroup memory: 64 × 64 tiles, 8 × 8 outputs per invocation.
    Gemm,
    /// Implicit GEMM with 32 × 32 tiles, 4 × 4 outputs per invocation: four times the
    /// workgroups of `Gemm` on the same layer.
    Gemm32,
    /// Register-blocked, 4 channels × 4 columns per invocation, no barriers.
    Blocked4,
}

impl ConvKernel {
    /// Every production kernel.
    pub const ALL: [Self; 3] = [Self::Gemm, Self::Gemm32, Self::Blocked4];

    /// The kernel's name as gpu-bench and the app print it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gemm => "gemm",
            Self::Gemm32 => "gemm32",
            Self::Blocked4 => "blocked4",
        }
    }
}

/// One convolution's kernel and split-K count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConvChoice {
    /// The kernel.
    pub kernel: ConvKernel,
    /// `Some(s)`: K (input channels, or K tiles) split into `s` ranges, fewer where K has
    /// fewer; `None`: the size rule (split on real GPUs where a layer has too few workgroups
    /// to fill the device, never on software adapters).
    pub splits: Option<usize>,
}

impl Default for ConvChoice {
    /// `Gemm` with the size rule: what a software adapter runs.
    fn default() -> Self {
        Self::rule(ConvKernel::Gemm)
    }
}

impl ConvChoice {
    /// `kernel` with the size rule.
    pub const fn rule(kernel: ConvKernel) -> Self {
        Self {
            kernel,
            splits: None,
        }
    }

    /// `kernel` split into `splits` ranges of K.
    pub const fn split(kernel: ConvKernel, splits: usize) -> Self {
        Self {
            kernel,
            splits: Some(splits),
        }
    }
}

/// Convolution kernels kept only as baselines for `gpu-bench` and the parity tests: never
/// chosen for a network the app or the CLI runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Baseline {
    /// One output per invocation, weights in darknet's layout.
    Naive,
    /// Register-blocked, 8 channels × 4 columns per invocation.
    Blocked8,
}

impl Baseline {
    /// Every baseline.
    pub const ALL: [Self; 2] = [Self::Naive, Self::Blocked8];

    /// The kernel's name as gpu-bench prints it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Naive => "naive",
            Self::Blocked8 => "blocked",
        }
    }
}

/// One build's settings, as the recorder takes them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Recipe<'c> {
    /// Layer `i`'s convolution choice at `i`.
    pub(super) choices: &'c [ConvChoice],
    /// A baseline every ungrouped convolution runs instead.
    pub(super) baseline: Option<Baseline>,
    pub(super) shared: bool,
    pub(super) precision: Precision,
    pub(super) accumulate: Accumulate,
    /// The split-K size rule's threshold (invocations).
    pub(super) split_below: usize,
}
