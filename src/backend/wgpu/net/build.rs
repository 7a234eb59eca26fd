//! Building a [`GpuNet`]: one entry point, [`GpuNet::build`], and its [`BuildOptions`]. The
//! plan places every output, the recorder turns each layer into commands against the plan's
//! buffers, and the result keeps only what an inference needs.

use super::super::context::GpuContext;
use super::super::kernels::{Accumulate, Precision};
use super::choice::{Baseline, ConvChoice, ConvKernel, Recipe, SPLIT_BELOW};
use super::layouts::Uploads;
use super::recorder::{At, Recorder};
use super::view::{View, allocate, storage};
use super::{Built, GpuNet, plan, tune};
use crate::backend::BackendError;
use crate::backend::Model;
use crate::kinds::LayerKind;
use crate::weights::Weights;
use std::path::PathBuf;

/// How a network is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOptions {
    /// How each ungrouped convolution's kernel is chosen.
    pub kernels: Kernels,
    /// Layers whose lifetimes do not overlap share buffers (the plan the profiler's liveness
    /// peak predicts); without it every layer keeps its own buffer, which
    /// [`GpuNet::forward_all`] needs, and no yolo head is fused into its convolution.
    pub shared: bool,
    /// How activations and weights are stored (f16 needs an adapter with `SHADER_F16`).
    pub precision: Precision,
    /// What the implicit-GEMM kernels accumulate in: f32 (the default), or f16 as a measured
    /// option only (`gpu-bench`), with f16 storage.
    pub accumulate: Accumulate,
    /// Where [`Kernels::Auto`] remembers each device's measured choices (the front ends pass
    /// [`crate::backend::tuning_dir`]); `None`: measured at every build.
    pub tuning_cache: Option<PathBuf>,
    /// The split-K size rule: on a real GPU a convolution launching fewer invocations than
    /// this is split over its input channels until it reaches it ([`SPLIT_BELOW`]).
    pub split_below: usize,
}

/// How the ungrouped convolutions' kernels are chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kernels {
    /// The device's own choice: on a software adapter every convolution runs `Gemm` (measured
    /// fastest there, docs/perf.md); on a real GPU each gets the fastest of every production
    /// kernel and split-K count, measured once per device and network and remembered in
    /// [`BuildOptions::tuning_cache`].
    Auto,
    /// Each convolution's fastest of `candidates` and split-K counts, measured on this
    /// device and remembered in `cache` (`None`: measured every time).
    Tuned {
        /// The kernels tried.
        candidates: Vec<ConvKernel>,
        /// The tuning cache's directory.
        cache: Option<PathBuf>,
    },
    /// Every convolution with this choice.
    Each(ConvChoice),
    /// Layer `i`'s choice at `i` (ignored by layers that are not ungrouped convolutions).
    PerLayer(Vec<ConvChoice>),
}

impl Default for BuildOptions {
    /// The device's own kernels, buffers shared: what the app and the CLI run.
    fn default() -> Self {
        Self {
            kernels: Kernels::Auto,
            shared: true,
            precision: Precision::F32,
            accumulate: Accumulate::F32,
            tuning_cache: None,
            split_below: SPLIT_BELOW,
        }
    }
}

impl BuildOptions {
    /// Every convolution with `kernel` (the size rule for split-K), buffers shared.
    pub fn kernel(kernel: ConvKernel) -> Self {
        Self {
            kernels: Kernels::Each(ConvChoice::rule(kernel)),
            ..Self::default()
        }
    }

    /// These options with `choices` for the convolutions.
    fn recipe<'c>(&self, choices: &'c [ConvChoice]) -> Recipe<'c> {
        Recipe {
            choices,
            baseline: None,
            shared: self.shared,
            precision: self.precision,
            accumulate: self.accumulate,
            split_below: self.split_below,
        }
    }

    /// The same, every layer with a buffer of its own (for [`GpuNet::forward_all`]).
    pub fn unshared(self) -> Self {
        Self {
            shared: false,
            ..self
        }
    }
}

impl GpuNet {
    /// Uploads the weights and records the network's commands as `options` ask.
    pub fn build<'m>(
        ctx: &GpuContext,
        a: impl Into<Model<'m>>,
        w: &Weights,
        options: &BuildOptions,
    ) -> Result<Self, BackendError> {
        let a: Model = a.into();
        let n = a.network.layers.len();
        if options.accumulate == Accumulate::F16 && options.precision != Precision::F16 {
            return Err(BackendError::Internal(
                "f16 accumulation needs f16 storage (BuildOptions::precision)".into(),
            ));
        }
        if options.precision == Precision::F16 && !ctx.has_f16() {
            return Err(BackendError::NoF16 {
                backend: ctx.info.name.clone(),
            });
        }
        let fixed = |choices: &[ConvChoice]| {
            let recipe = options.recipe(choices);
            Self::assemble(ctx, a, w, recipe, Uploads::new()).map(|(net, _)| net)
        };
        match &options.kernels {
            Kernels::Auto if ctx.is_software() => {
                fixed(&vec![ConvChoice::rule(ConvKernel::Gemm); n])
            }
            Kernels::Auto => tune::tuned(
                ctx,
                a,
                w,
                &ConvKernel::ALL,
                options.tuning_cache.as_deref(),
                options.recipe(&[]),
            ),
            Kernels::Tuned { candidates, cache } => {
                tune::tuned(ctx, a, w, candidates, cache.as_deref(), options.recipe(&[]))
            }
            Kernels::Each(choice) => fixed(&vec![*choice; n]),
            Kernels::PerLayer(choices) if choices.len() == n => fixed(choices),
            Kernels::PerLayer(choices) => Err(BackendError::Internal(format!(
                "{} convolution choices for {n} layers",
                choices.len()
            ))),
        }
    }

    /// Builds as `recipe` says, reusing the weight buffers `uploads` holds from earlier
    /// builds of the same network, weights and precision; returns them with this build's
    /// added.
    pub(super) fn assemble(
        ctx: &GpuContext,
        a: Model<'_>,
        w: &Weights,
        recipe: Recipe<'_>,
        uploads: Uploads,
    ) -> Result<(Self, Uploads), BackendError> {
        let Recipe {
            choices,
            baseline,
            shared,
            precision,
            accumulate,
            split_below,
        } = recipe;
        let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let oom = ctx.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let input_len = a.shapes.layers.first().map_or(0, |s| s.inputs);
        let align = ctx.device.limits().min_storage_buffer_offset_alignment as u64;
        let asked = plan::fused_heads(a, shared);
        let gemm: Vec<bool> = (choices.iter())
            .map(|c| {
                baseline.is_none() && matches!(c.kernel, ConvKernel::Gemm | ConvKernel::Gemm32)
            })
            .collect();
        let pools = plan::fused_pools(a, shared, &gemm);
        let plan = plan::plan(a, align, precision.bytes(), &asked, &pools);
        let heads = plan.placed_heads(&asked);
        let outputs = allocate(ctx, &plan, shared);
        let input = View::whole(storage(ctx, "input", input_len as u64 * precision.bytes()));
        let mut recorder = Recorder {
            ctx,
            plan: &plan,
            outputs: &outputs,
            input: &input,
            heads: &heads,
            uploads,
            baseline,
            precision,
            accumulate,
            split_below,
            weight_bytes: 0,
            bound: Default::default(),
            second_place: None,
            at: At {
                layer: 0,
                kind: "",
                choice: ConvChoice::rule(ConvKernel::Gemm),
                convs: 0,
                splits: 1,
            },
        };
        let mut layers = Vec::with_capacity(choices.len());
        let mut convs = Vec::new();
        for (i, layer) in a.network.layers.iter().enumerate() {
            let recorded = recorder.layer(a, w, i, choices[i])?;
            layers.push(recorded.commands);
            if matches!(&layer.kind, LayerKind::Convolutional(c) if c.groups == 1) {
                convs.push((i, recorded.splits));
            }
        }
        let weight_bytes = recorder.weight_bytes;
        let uploads = recorder.uploads;
        if let Some(e) = pollster::block_on(oom.pop()) {
            return Err(BackendError::OutOfMemory {
                during: "uploading the network",
                detail: e.to_string(),
            });
        }
        if let Some(e) = pollster::block_on(scope.pop()) {
            // a pipeline compiled in a failed build may be the failure: compile afresh next time
            ctx.forget_pipelines();
            return Err(BackendError::Gpu {
                during: "building the network",
                detail: e.to_string(),
            });
        }
        let keep = (a.network.last_readers().iter().enumerate())
            .filter(|(_, r)| r.is_none())
            .map(|(i, _)| i)
            .collect();
        let net = Self {
            ctx: ctx.clone(),
            layers,
            outputs,
            input,
            shapes: a.shapes.layers.clone(),
            keep,
            readback: std::sync::Mutex::new(None),
            shared,
            precision,
            built: Built {
                choices: choices.to_vec(),
                convs,
                baseline,
                fused_heads: heads.iter().flatten().count(),
                fused_pools: pools.iter().flatten().count(),
                weight_bytes,
                remembered: false,
            },
        };
        Ok((net, uploads))
    }

    /// Every ungrouped convolution on a benchmark baseline (`wgpu::bench`).
    pub(in crate::backend::wgpu) fn with_baseline(
        ctx: &GpuContext,
        a: Model<'_>,
        w: &Weights,
        baseline: Baseline,
        shared: bool,
    ) -> Result<Self, BackendError> {
        let choices = vec![ConvChoice::default(); a.network.layers.len()];
        let recipe = Recipe {
            choices: &choices,
            baseline: Some(baseline),
            shared,
            precision: Precision::F32,
            accumulate: Accumulate::F32,
            split_below: SPLIT_BELOW,
        };
        Self::assemble(ctx, a, w, recipe, Uploads::new()).map(|(net, _)| net)
    }

    /// Each layer's convolution choice (what the tuning cache stores).
    pub(super) fn choices(&self) -> &[ConvChoice] {
        &self.built.choices
    }

    /// Marks the choices as read from the tuning cache.
    pub(super) fn set_remembered(&mut self) {
        self.built.remembered = true;
    }
}
