//! The wgpu backend's roofline ceilings on its device, measured through our own kernels: the
//! best convolution kernel's rate on a 3×3, 128→128 convolution at 32×32 (0.30 GFLOP) and the
//! bandwidth of a copy-like pass (a 1×1 max pool over 64×256×256 floats, read and written).

use super::bench::Timers;
use super::{BuildOptions, ConvKernel, GpuContext, GpuNet};
use crate::backend::{BackendError, synthetic};
use crate::profile::roofline::Ceilings;

/// Inferences timed per measurement.
const ITERS: usize = 4;

/// Measures the ceilings on `ctx`'s device.
pub fn measure(ctx: &GpuContext) -> Result<Ceilings, BackendError> {
    let (a, w, input) = synthetic::network(
        "[net]\nwidth=32\nheight=32\nchannels=128\n\n[convolutional]\nfilters=128\nsize=3\npad=1\nactivation=linear\n",
    )?;
    let flops = f64::from(a.profile.total_bflops) * 1e9;
    let mut best_ms = f64::INFINITY;
    for kernel in ConvKernel::ALL {
        let net = GpuNet::build(ctx, &a, &w, &BuildOptions::kernel(kernel))?;
        best_ms = best_ms.min(Timers(&net).kernels_ms(&input, ITERS)?);
    }
    let (a, w, input) = synthetic::network(
        "[net]\nwidth=256\nheight=256\nchannels=64\n\n[maxpool]\nsize=1\nstride=1\n",
    )?;
    let moved = 4.0 * (a.shapes.layers[0].inputs + a.shapes.layers[0].outputs) as f64;
    let net = GpuNet::build(ctx, &a, &w, &BuildOptions::kernel(ConvKernel::Gemm))?;
    let copy_ms = Timers(&net).kernels_ms(&input, ITERS)?;
    Ok(Ceilings {
        peak_flops: flops / (best_ms.max(1e-6) / 1e3),
        bandwidth: moved / (copy_ms.max(1e-6) / 1e3),
    })
}
