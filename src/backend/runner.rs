//! Backend choice as `--backend cpu|wgpu|auto` means it: `auto` takes wgpu on a real GPU
//! (discrete or integrated) and the CPU backend on software adapters (lavapipe, llvmpipe) or
//! when there is no adapter, and says which it chose and why.

use super::cpu::CpuNet;
use super::{BackendError, Forward, Precision};
use crate::backend::Model;
use crate::tensor::Tensor;
use crate::weights::Weights;

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendChoice {
    /// The CPU backend.
    Cpu,
    /// wgpu on whatever adapter exists.
    Wgpu,
    /// wgpu on a real GPU, else the CPU backend.
    Auto,
}

/// How a [`Runner`] is prepared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// The backend asked for.
    pub backend: BackendChoice,
    /// How values are stored (f16: wgpu on an adapter with `SHADER_F16`).
    pub precision: Precision,
    /// CPU threads.
    pub threads: usize,
    /// Where the wgpu backend remembers the kernel choices it measured on a real GPU
    /// ([`super::tuning_dir`] in the CLI and the app; `None`: measured at every build).
    pub tuning_cache: Option<std::path::PathBuf>,
}

impl RunOptions {
    /// `backend` at `precision` on `threads` CPU threads, no tuning cache.
    pub fn new(backend: BackendChoice, precision: Precision, threads: usize) -> Self {
        Self {
            backend,
            precision,
            threads,
            tuning_cache: None,
        }
    }
}

/// A prepared network on the chosen backend.
#[derive(Debug)]
pub enum Runner {
    /// On the CPU.
    Cpu(CpuNet, usize),
    /// Through wgpu.
    #[cfg(feature = "gpu")]
    Gpu(Box<super::wgpu::GpuNet>),
}

impl Runner {
    /// Prepares `a` with weights `w` on the backend `o.backend` leads to, storing values at
    /// `o.precision` (f16: wgpu on an adapter with `SHADER_F16`; `auto` falls back to f32 and
    /// says so, the others refuse). The string says what was chosen and why (for stderr or a
    /// status line).
    pub fn new<'m>(
        o: &RunOptions,
        a: impl Into<Model<'m>>,
        w: &Weights,
    ) -> Result<(Self, String), BackendError> {
        Self::with_device(o, a, w, None)
    }

    /// As [`Runner::new`], on `device` when one is given (the app passes its renderer's), else
    /// on a device of its own.
    pub fn with_device<'m>(
        o: &RunOptions,
        a: impl Into<Model<'m>>,
        w: &Weights,
        #[cfg(feature = "gpu")] device: Option<super::wgpu::GpuContext>,
        #[cfg(not(feature = "gpu"))] device: Option<std::convert::Infallible>,
    ) -> Result<(Self, String), BackendError> {
        let a: Model = a.into();
        let (choice, precision, threads) = (o.backend, o.precision, o.threads);
        let cpu = |why: String| -> Result<(Self, String), BackendError> {
            let f32_note = match precision {
                Precision::F16 => ", f32 (the CPU backend has no f16)",
                Precision::F32 => "",
            };
            Ok((
                Self::Cpu(CpuNet::new(a, w, threads)?, threads),
                format!("backend: cpu ({threads} threads){why}{f32_note}"),
            ))
        };
        match choice {
            BackendChoice::Cpu if precision == Precision::F16 => Err(BackendError::NoF16 {
                backend: "the CPU backend".into(),
            }),
            BackendChoice::Cpu => cpu(String::new()),
            #[cfg(feature = "gpu")]
            BackendChoice::Wgpu | BackendChoice::Auto => {
                use super::wgpu::{BuildOptions, GpuContext, GpuNet};
                let ctx = match device.map_or_else(GpuContext::new, Ok) {
                    Ok(ctx) => ctx,
                    Err(e) if choice == BackendChoice::Auto => return cpu(format!(": {e}")),
                    Err(e) => return Err(e),
                };
                if choice == BackendChoice::Auto && ctx.is_software() {
                    return cpu(format!(
                        ": the only adapter, {}, is a software rasteriser",
                        ctx.info.name
                    ));
                }
                let mut options = BuildOptions {
                    precision,
                    tuning_cache: o.tuning_cache.clone(),
                    ..BuildOptions::default()
                };
                let mut note = "";
                if choice == BackendChoice::Auto && precision == Precision::F16 && !ctx.has_f16() {
                    options.precision = Precision::F32;
                    note = ", f32 (no SHADER_F16 on this adapter)";
                }
                let stored = match options.precision {
                    Precision::F16 => ", f16 storage",
                    Precision::F32 => "",
                };
                match GpuNet::build(&ctx, a, w, &options) {
                    Ok(net) => Ok((
                        Self::Gpu(Box::new(net)),
                        format!("backend: wgpu on {}{stored}{note}", ctx.describe()),
                    )),
                    Err(
                        e @ (BackendError::Unsupported { .. } | BackendError::DeviceLimit { .. }),
                    ) if choice == BackendChoice::Auto => cpu(format!(": {e}")),
                    Err(e) => Err(e),
                }
            }
            #[cfg(not(feature = "gpu"))]
            BackendChoice::Wgpu if device.is_none() => Err(BackendError::NoDevice(
                "this build has no wgpu backend (feature `gpu`)".into(),
            )),
            #[cfg(not(feature = "gpu"))]
            BackendChoice::Wgpu | BackendChoice::Auto => {
                cpu(": this build has no wgpu backend".into())
            }
        }
    }

    /// One inference.
    pub fn forward(&self, input: &Tensor) -> Result<Forward, BackendError> {
        match self {
            Self::Cpu(net, _) => net.forward(input),
            #[cfg(feature = "gpu")]
            Self::Gpu(net) => net.forward(input),
        }
    }

    /// A batch of inferences in one pass: on the CPU the images side by side over the threads,
    /// on the GPU one command encoder and one submission for all of them. Results in input
    /// order, equal to one `forward` per input.
    pub fn forward_batch(&self, inputs: &[Tensor]) -> Result<Vec<Forward>, BackendError> {
        match self {
            Self::Cpu(net, _) => net.forward_batch(inputs),
            #[cfg(feature = "gpu")]
            Self::Gpu(net) => net.forward_batch(inputs),
        }
    }

    /// One inference with per-layer times (the GPU then submits and waits layer by layer).
    pub fn forward_timed(&self, input: &Tensor) -> Result<Forward, BackendError> {
        match self {
            Self::Cpu(net, _) => net.forward(input),
            #[cfg(feature = "gpu")]
            Self::Gpu(net) => net.forward_timed(input),
        }
    }

    /// `cpu` or `wgpu`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Cpu(..) => "cpu",
            #[cfg(feature = "gpu")]
            Self::Gpu(_) => "wgpu",
        }
    }

    /// How values are stored.
    pub fn precision(&self) -> Precision {
        match self {
            Self::Cpu(..) => Precision::F32,
            #[cfg(feature = "gpu")]
            Self::Gpu(net) => net.precision(),
        }
    }

    /// The device in words.
    pub fn device(&self) -> String {
        match self {
            Self::Cpu(_, threads) => format!("CPU, {threads} threads"),
            #[cfg(feature = "gpu")]
            Self::Gpu(net) => format!(
                "{}, {}; convolutions: {}{}",
                net.context().describe(),
                net.precision().name(),
                net.kernel_summary(),
                if net.remembered() {
                    " (choice remembered from an earlier measurement)"
                } else {
                    ""
                }
            ),
        }
    }
}
