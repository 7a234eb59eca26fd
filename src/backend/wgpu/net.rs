//! A network prepared for the GPU, in parts: `plan` (where every output lives: views,
//! in-place concatenations, fused heads; no GPU code), `recorder` (a plan and a device → the
//! commands of one inference, with `conv`, `elementwise` and `local` recording the kinds),
//! `build` (the one entry point and its [`BuildOptions`]), `tune` (the per-layer kernel
//! search and its cache), and this file's runnable [`GpuNet`]: only what an inference needs,
//! run by `run` (submission, readback, per-layer times) and `batch`.

use super::context::GpuContext;
use super::kernels::Precision;
use crate::vocab::shape::LayerShape;

mod batch;
mod build;
mod choice;
mod conv;
mod elementwise;
mod layouts;
mod local;
mod plan;
mod recorder;
mod run;
mod tune;
mod view;

pub use build::{BuildOptions, Kernels};
pub use choice::{Baseline, ConvChoice, ConvKernel};
pub(super) use run::{Encode, median_ms};
use view::{Command, View};

/// A network ready to run through wgpu: its recorded commands, the buffers they bind, and
/// how it was built.
#[derive(Debug)]
pub struct GpuNet {
    ctx: GpuContext,
    /// Commands of each layer, in order.
    layers: Vec<Vec<Command>>,
    /// Where each layer's output lives (a range of one of the plan's buffers).
    outputs: Vec<View>,
    input: View,
    shapes: Vec<LayerShape>,
    /// Layers whose outputs are read back (heads and layers nothing reads).
    keep: Vec<usize>,
    /// The mappable buffer outputs are read back through.
    readback: std::sync::Mutex<Option<run::Readback>>,
    /// Layers share buffers by liveness ([`GpuNet::forward_all`] needs them apart).
    shared: bool,
    /// How values are stored.
    precision: Precision,
    /// What the convolutions were built with.
    built: Built,
}

/// How a network's convolutions were built.
#[derive(Debug, Clone, Default)]
struct Built {
    /// Each layer's choice (the tuning cache stores them).
    choices: Vec<ConvChoice>,
    /// (layer, splits it got) of each ungrouped convolution.
    convs: Vec<(usize, usize)>,
    /// The benchmark baseline every ungrouped convolution ran instead, if any.
    baseline: Option<Baseline>,
    /// Yolo heads that run in their convolution's epilogue.
    fused_heads: usize,
    /// Max pools that run in their convolution's epilogue.
    fused_pools: usize,
    /// The choices came from the tuning cache.
    remembered: bool,
    /// Bytes of the weight buffers the commands bind.
    weight_bytes: u64,
}

impl GpuNet {
    /// Records copies and clears (not dispatches) into the encoder.
    fn encode_commands<'c>(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        cmds: impl Iterator<Item = &'c Command>,
    ) {
        for cmd in cmds {
            match cmd {
                Command::Clear { dst } => {
                    encoder.clear_buffer(&dst.buffer, dst.offset, Some(dst.bytes));
                }
                Command::Copy { src, dst } => encoder.copy_buffer_to_buffer(
                    &src.buffer,
                    src.offset,
                    &dst.buffer,
                    dst.offset,
                    src.bytes.min(dst.bytes),
                ),
                Command::Dispatch { .. } => {}
            }
        }
    }

    /// Records `layers` into one encoder (dispatches batched into compute passes, copies
    /// between them).
    pub(in crate::backend::wgpu) fn encode(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        layers: std::ops::Range<usize>,
    ) {
        let mut pass: Option<wgpu::ComputePass<'_>> = None;
        for cmds in &self.layers[layers] {
            for cmd in cmds {
                match cmd {
                    Command::Dispatch {
                        pipeline,
                        bind,
                        groups,
                    } => {
                        let p = pass.get_or_insert_with(|| {
                            encoder
                                .begin_compute_pass(&Default::default())
                                .forget_lifetime()
                        });
                        p.set_pipeline(pipeline);
                        p.set_bind_group(0, bind, &[]);
                        p.dispatch_workgroups(groups[0], groups[1], groups[2]);
                    }
                    Command::Clear { .. } | Command::Copy { .. } => {
                        // copies and clears are encoder commands: end the pass first
                        pass = None;
                        self.encode_commands(encoder, std::iter::once(cmd));
                    }
                }
            }
        }
    }

    /// Layers in the network.
    pub(in crate::backend::wgpu) fn layer_count(&self) -> usize {
        self.layers.len()
    }

    /// Bytes of all layer buffers (after sharing, when the plan shares them).
    pub fn buffer_bytes(&self) -> u64 {
        let mut seen: Vec<&wgpu::Buffer> = Vec::new();
        for v in &self.outputs {
            if !seen.contains(&&v.buffer) {
                seen.push(&v.buffer);
            }
        }
        seen.iter().map(|b| b.size()).sum()
    }

    /// Bytes of the weights, biases and other constant values the network binds, as laid out
    /// for its kernels (padding included; the GEMM kernels' index tables not counted).
    pub fn weight_bytes(&self) -> u64 {
        self.built.weight_bytes
    }

    /// Buffer copies one inference records (routes that could not be placed in place, the
    /// identity layers).
    pub fn copies(&self) -> usize {
        self.layers
            .iter()
            .flatten()
            .filter(|c| matches!(c, Command::Copy { .. }))
            .count()
    }

    /// Compute dispatches one inference records (kernels, split-K reductions included).
    pub fn dispatches(&self) -> usize {
        self.layers
            .iter()
            .flatten()
            .filter(|c| matches!(c, Command::Dispatch { .. }))
            .count()
    }

    /// How activations and weights are stored.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The adapter this network runs on.
    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }

    /// The kernel each ungrouped convolution runs with: (layer, kernel).
    pub fn conv_kernels(&self) -> Vec<(usize, ConvKernel)> {
        let b = &self.built;
        b.convs
            .iter()
            .map(|&(i, _)| (i, b.choices[i].kernel))
            .collect()
    }

    /// The split-K count each ungrouped convolution runs with: (layer, splits; 1 = unsplit).
    pub fn conv_splits(&self) -> Vec<(usize, usize)> {
        self.built.convs.clone()
    }

    /// True when the convolution kernels came from a stored measurement (the tuning cache).
    pub fn remembered(&self) -> bool {
        self.built.remembered
    }

    /// The convolution kernels in words: one name, or each with its layer count, how many
    /// layers are split over K, and how many yolo heads run in their convolutions.
    pub fn kernel_summary(&self) -> String {
        let mut text = self.kernel_names();
        let splits = self.built.convs.iter().map(|&(_, s)| s);
        let split: Vec<usize> = splits.filter(|&s| s > 1).collect();
        if let Some(most) = split.iter().max() {
            let all = self.built.convs.len();
            text += &format!("; split-K on {} of {all} (up to {most})", split.len());
        }
        match self.built.fused_pools {
            0 => {}
            1 => text += "; a max pool in its convolution",
            n => text += &format!("; {n} max pools in their convolutions"),
        }
        match self.built.fused_heads {
            0 => {}
            1 => text += "; the yolo head in its convolution",
            n => text += &format!("; {n} yolo heads in their convolutions"),
        }
        text
    }

    fn kernel_names(&self) -> String {
        if let Some(b) = self.built.baseline {
            return format!("{} (baseline)", b.name());
        }
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for (_, k) in self.conv_kernels() {
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
