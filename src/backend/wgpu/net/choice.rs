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

/// Split-K counts [`GpuNet::fastest`] times each splitting kernel with (besides the size rule).
const SPLIT_TRIALS: [usize; 7] = [1, 2, 4, 8, 16, 32, 64];

/// What [`GpuNet::fastest`] times: each candidate with the size rule, and those that split K
/// with each of [`SPLIT_TRIALS`] too.
fn trials(candidates: &[ConvKernel]) -> Vec<ConvChoice> {
    let mut trials = Vec::new();
    for &kernel in candidates {
        trials.push((kernel, None));
        if kernel.splits_k() {
            trials.extend(SPLIT_TRIALS.iter().map(|&s| (kernel, Some(s))));
        }
    }
    trials
}

/// The trial that ran layer `i` fastest.
fn fastest_at(per_layer: &[(ConvChoice, Vec<f64>)], i: usize) -> Option<ConvChoice> {
    per_layer
        .iter()
        .min_by(|x, y| x.1[i].total_cmp(&y.1[i]))
        .map(|(t, _)| *t)
}

/// A convolution's kernel and split-K count (`None`: the size rule).
pub type ConvChoice = (ConvKernel, Option<usize>);

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
    /// Implicit GEMM with 32 × 32 tiles, 4 × 4 outputs per invocation: four times the
    /// workgroups of `Gemm` on the same layer, split-K where even that is too few.
    Gemm32,
    /// `Gemm32` split over K on every layer (tests).
    Gemm32Split,
    /// One output per invocation: the benchmark baseline.
    Naive,
}

impl ConvKernel {
    /// Every kernel.
    pub const ALL: [Self; 8] = [
        Self::Blocked,
        Self::Blocked4,
        Self::Blocked4Split,
        Self::Gemm,
        Self::GemmSplit,
        Self::Gemm32,
        Self::Gemm32Split,
        Self::Naive,
    ];

    /// Whether the kernel can split a layer's K (input channels or K tiles) over workgroups.
    pub fn splits_k(self) -> bool {
        matches!(self, Self::Gemm | Self::Gemm32 | Self::Blocked4)
    }

    /// The kernel's name as gpu-bench and the app print it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Blocked => "blocked",
            Self::Blocked4 | Self::Blocked4Split => "blocked4",
            Self::Gemm | Self::GemmSplit => "gemm",
            Self::Gemm32 | Self::Gemm32Split => "gemm32",
            Self::Naive => "naive",
        }
    }
}

impl GpuNet {
    /// Uploads the weights and records the network's commands. On a real GPU each convolution
    /// gets whichever of the two implicit-GEMM kernels and the 4 × 4 register-blocked one, and
    /// whichever split-K count, runs it fastest on this device ([`GpuNet::fastest`], measured
    /// once per device and network and remembered in [`tuning_dir`]); on a software adapter
    /// every one gets the kernel measured fastest there (`Gemm`, unsplit).
    pub fn new(ctx: &GpuContext, a: &Analysis, w: &Weights) -> Result<Self, BackendError> {
        if ctx.is_software() {
            return Self::with_options(ctx, a, w, ConvKernel::Gemm, true);
        }
        let candidates = [ConvKernel::Gemm, ConvKernel::Gemm32, ConvKernel::Blocked4];
        Self::tuned(ctx, a, w, &candidates, tuning::default_dir().as_deref())
    }

    /// The network (buffers shared by liveness) with, for each convolution, whichever of
    /// `candidates` and split-K counts runs it fastest on this device: the network is built
    /// with each candidate — those that split K with the size rule and with each of 1, 2, 4 …
    /// 64 splits — and timed per layer (timestamp queries where the device has them), then
    /// built with each layer's fastest choice (medians of three timed inferences); that mix is
    /// kept unless a single trial ran the whole network faster (three inferences each).
    pub fn fastest(
        ctx: &GpuContext,
        a: &Analysis,
        w: &Weights,
        candidates: &[ConvKernel],
    ) -> Result<Self, BackendError> {
        let n = a.network.layers.len();
        let s = a.shapes.input;
        let input = Tensor::zeros(s.c, s.h, s.w);
        let mut best: Option<(f64, ConvChoice, Self)> = None;
        let mut per_layer: Vec<(ConvChoice, Vec<f64>)> = Vec::new();
        let mut failure = None;
        // each layout of each layer's weights is made and uploaded once for all trials
        let mut uploads = conv::Uploads::new();
        for trial in trials(candidates) {
            // a trial that does not fit beside the best so far (memory) is passed over
            let timed = Self::build(
                ctx,
                a,
                w,
                &vec![trial; n],
                true,
                std::mem::take(&mut uploads),
            )
            .and_then(|mut net| {
                uploads = std::mem::take(&mut net.uploads);
                let ms = net.time_encoded(&input, 3)?;
                let layers = net.median_layer_ms(&input, 3)?;
                Ok((ms, layers, net))
            });
            match timed {
                Ok((ms, layers, net)) => {
                    per_layer.push((trial, layers));
                    if best.as_ref().is_none_or(|(fastest, ..)| ms < *fastest) {
                        best = Some((ms, trial, net));
                    }
                }
                Err(e) => failure = Some(e),
            }
        }
        let Some((best_ms, best_trial, best)) = best else {
            return Err(
                failure.unwrap_or_else(|| BackendError::Internal("no convolution kernel".into()))
            );
        };
        let choice: Vec<ConvChoice> = (0..n)
            .map(|i| fastest_at(&per_layer, i).unwrap_or(best_trial))
            .collect();
        if best.kernels.iter().all(|(i, _)| choice[*i] == best_trial) {
            return Ok(best);
        }
        let mixed = Self::build(ctx, a, w, &choice, true, uploads).and_then(|mut net| {
            net.uploads.clear();
            Ok((net.time_encoded(&input, 3)?, net))
        });
        Ok(match mixed {
            Ok((ms, net)) if ms < best_ms => net,
            _ => best,
        })
    }

    /// Each layer's median time over `runs` timed inferences (one timing is a few µs noisy,
    /// as much as some layers take).
    fn median_layer_ms(&self, input: &Tensor, runs: usize) -> Result<Vec<f64>, BackendError> {
        let runs: Vec<Vec<f64>> = (0..runs.max(1))
            .map(|_| Ok(self.forward_timed(input)?.layer_ms))
            .collect::<Result<_, BackendError>>()?;
        Ok((0..self.layers.len())
            .map(|i| run::median(runs.iter().map(|r| r[i]).collect()))
            .collect())
    }

    /// The kernel each ungrouped convolution runs with: (layer, kernel).
    pub fn conv_kernels(&self) -> &[(usize, ConvKernel)] {
        &self.kernels
    }

    /// The split-K count each ungrouped convolution runs with: (layer, splits; 1 = unsplit).
    pub fn conv_splits(&self) -> Vec<(usize, usize)> {
        self.kernels
            .iter()
            .zip(&self.splits)
            .map(|((i, _), s)| (*i, *s))
            .collect()
    }

    /// The convolution kernels in words: one name, or each with its layer count, how many
    /// layers are split over K, and how many yolo heads run in their convolutions.
    pub fn kernel_summary(&self) -> String {
        let mut text = self.kernel_names();
        let split: Vec<usize> = self.splits.iter().copied().filter(|&s| s > 1).collect();
        if let Some(most) = split.iter().max() {
            let all = self.splits.len();
            text += &format!("; split-K on {} of {all} (up to {most})", split.len());
        }
        match self.heads.iter().flatten().count() {
            0 => {}
            1 => text += "; the yolo head in its convolution",
            n => text += &format!("; {n} yolo heads in their convolutions"),
        }
        text
    }

    fn kernel_names(&self) -> String {
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
