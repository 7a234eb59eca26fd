//! The GPU backend: our WGSL kernels (`shaders/`) driven through wgpu on any adapter, with the
//! device injected. One command encoder per inference, no CPU round trips between layers;
//! only the outputs the caller needs are read back.

pub mod bench;
pub mod ceilings;
mod context;
pub mod kernels;
mod net;

pub use context::GpuContext;
pub use net::{BuildOptions, ConvChoice, ConvKernel, GpuNet, Kernels};
