//! The convolution kernels and their choice: on a real GPU each convolution gets the
//! candidate that timestamps show fastest on the device; split-K sizes where a layer is small.

use super::*;

/// Convolutions launching fewer invocations than this on a real GPU are split over input
/// channels (split-K) until they reach it; `CSPLENS_SPLIT_BELOW` overrides it for tuning.
const SPLIT_BELOW: usize = 262_144;

pub(super) fn split_below() -> usize {
    std::env::var("CSPLENS_SPLIT_BELOW")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(SPLIT_BELOW)
}

/// The kernel for ungrouped convolutions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvKernel {
    /// Register-blocked, 8 channels × 4 columns, no barriers.
    Blocked,
    /// Register-blocked, 4 channels × 4 columns (a candidate on real GPUs), split-K over input
    /// channels where a layer has too few output positions to fill the GPU.
    Blocked4,
    /// `Blocked4` with split-K on every layer that can take it (tests).
    Blocked4Split,
    /// Implicit GEMM through workgroup memory: 64 × 64 tiles, 8 × 8 outputs per invocation,
    /// split-K on real GPUs where a layer has too few tiles to fill the GPU.
    Gemm,
    /// `Gemm` split over K on every layer (tests).
    GemmSplit,
    /// `Gemm` never split over K: one dispatch, no partial sums, fewer workgroups.
    GemmWhole,
    /// Implicit GEMM with 32 × 32 tiles, 4 × 4 outputs per invocation: four times the
    /// workgroups of `Gemm` on the same layer, split-K where even that is too few.
    Gemm32,
    /// `Gemm32` split over K on every layer (tests).
    Gemm32Split,
    /// `Gemm32` never split over K.
    Gemm32Whole,
    /// One output per invocation: the benchmark baseline.
    Naive,
}

impl ConvKernel {
    /// The kernel's name as gpu-bench and the app print it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Blocked => "blocked",
            Self::Blocked4 | Self::Blocked4Split => "blocked4",
            Self::Gemm | Self::GemmSplit => "gemm",
            Self::GemmWhole => "gemm unsplit",
            Self::Gemm32 | Self::Gemm32Split => "gemm32",
            Self::Gemm32Whole => "gemm32 unsplit",
            Self::Naive => "naive",
        }
    }
}

impl GpuNet {
    /// Uploads the weights and records the network's commands. On a real GPU each convolution
    /// gets whichever of the two implicit-GEMM kernels (each split over K where the layer is
    /// small, and unsplit) and the 4 × 4 register-blocked one runs it fastest on this device
    /// ([`GpuNet::fastest`]); on a software adapter every one gets the kernel measured fastest
    /// there (`Gemm`).
    pub fn new(ctx: &GpuContext, a: &Analysis, w: &Weights) -> Result<Self, BackendError> {
        if ctx.is_software() {
            return Self::with_options(ctx, a, w, ConvKernel::Gemm, true);
        }
        Self::fastest(
            ctx,
            a,
            w,
            &[
                ConvKernel::Gemm,
                ConvKernel::GemmWhole,
                ConvKernel::Gemm32,
                ConvKernel::Gemm32Whole,
                ConvKernel::Blocked4,
            ],
        )
    }

    /// The network (buffers shared by liveness) with, for each convolution, whichever of
    /// `candidates` runs it fastest on this device: the network is built with each candidate
    /// and timed per layer (timestamp queries where the device has them), then built with each
    /// layer's fastest kernel; that mix is kept unless a single kernel ran the whole network
    /// faster (three inferences each).
    pub fn fastest(
        ctx: &GpuContext,
        a: &Analysis,
        w: &Weights,
        candidates: &[ConvKernel],
    ) -> Result<Self, BackendError> {
        let s = a.shapes.input;
        let input = Tensor::zeros(s.c, s.h, s.w);
        let mut best: Option<(f64, Self)> = None;
        let mut per_layer: Vec<(ConvKernel, Vec<f64>)> = Vec::new();
        let mut failure = None;
        for &kernel in candidates {
            // a candidate that does not fit beside the best so far (memory) is passed over
            let timed = Self::with_options(ctx, a, w, kernel, true).and_then(|net| {
                let ms = net.time_encoded(&input, 3)?;
                let layers = net.forward_timed(&input)?.layer_ms;
                Ok((ms, layers, net))
            });
            match timed {
                Ok((ms, layers, net)) => {
                    per_layer.push((kernel, layers));
                    if best.as_ref().is_none_or(|(fastest, _)| ms < *fastest) {
                        best = Some((ms, net));
                    }
                }
                Err(e) => failure = Some(e),
            }
        }
        let Some((best_ms, best)) = best else {
            return Err(
                failure.unwrap_or_else(|| BackendError::Internal("no convolution kernel".into()))
            );
        };
        let choice: Vec<ConvKernel> = (0..a.network.layers.len())
            .map(|i| {
                per_layer
                    .iter()
                    .min_by(|x, y| x.1[i].total_cmp(&y.1[i]))
                    .map_or(best.conv_kernel, |(k, _)| *k)
            })
            .collect();
        let uniform = best.kernels.iter().all(|(i, k)| choice[*i] == *k);
        if uniform {
            return Ok(best);
        }
        let mixed = Self::with_layer_kernels(ctx, a, w, &choice, true)
            .and_then(|net| Ok((net.time_encoded(&input, 3)?, net)));
        Ok(match mixed {
            Ok((ms, net)) if ms < best_ms => net,
            _ => best,
        })
    }

    /// The kernel each ungrouped convolution runs with: (layer, kernel).
    pub fn conv_kernels(&self) -> &[(usize, ConvKernel)] {
        &self.kernels
    }

    /// The convolution kernels in words: one name, or each with its layer count.
    pub fn kernel_summary(&self) -> String {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for (_, k) in &self.kernels {
            match counts.iter_mut().find(|(name, _)| *name == k.name()) {
                Some((_, n)) => *n += 1,
                None => counts.push((k.name(), 1)),
            }
        }
        match counts[..] {
            [] => "no".into(),
            [(name, _)] => name.into(),
            _ => counts
                .iter()
                .map(|(name, n)| format!("{name} ×{n}"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}
