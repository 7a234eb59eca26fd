//! A network prepared for the GPU: weights uploaded in the kernels' layouts, one uniform per
//! dispatch, each dispatch holding its pipeline (compiled once per device), and the command
//! list of one inference.

use super::context::GpuContext;
use super::kernels::{ConvParams, EwParams, Kernel, PoolParams, activation_id, normalization};
use crate::Analysis;
use crate::backend::{BackendError, Forward};
use crate::network::{Activation, LayerKind, Src, WeightsType};
use crate::shape::LayerShape;
use crate::tensor::Tensor;
use crate::weights::{Weights, fused_batchnorm, fused_connected, fused_conv};
use std::time::Instant;
use wgpu::util::DeviceExt;

mod batch;
mod choice;
mod conv;
mod elementwise;
mod local;
mod plan;
mod record;
mod run;
mod tuning;

use choice::split_below;
pub use choice::{ConvChoice, ConvKernel};
use run::Readback;
pub use tuning::default_dir as tuning_dir;

use plan::Plan;

/// Threads per workgroup along x (the kernels' `WG` override).
const WG: u32 = 64;
/// One recorded step of an inference.
#[derive(Debug)]
enum Command {
    Dispatch {
        pipeline: wgpu::ComputePipeline,
        bind: wgpu::BindGroup,
        groups: [u32; 3],
    },
    Copy {
        src: View,
        dst: View,
    },
    /// Zero a layer's output (for kernels that write only part of it).
    Clear {
        dst: View,
    },
}

/// A range of a buffer: a layer's output (maybe inside another layer's region) or a whole
/// constant buffer.
#[derive(Debug, Clone)]
struct View {
    buffer: wgpu::Buffer,
    offset: u64,
    bytes: u64,
}

impl View {
    fn whole(buffer: wgpu::Buffer) -> Self {
        Self {
            bytes: buffer.size(),
            buffer,
            offset: 0,
        }
    }

    /// The first `bytes` of this view.
    fn prefix(&self, bytes: u64) -> Self {
        Self {
            bytes: bytes.min(self.bytes),
            ..self.clone()
        }
    }

    /// `bytes` at `offset` inside this view.
    fn slice(&self, offset: u64, bytes: u64) -> Self {
        Self {
            buffer: self.buffer.clone(),
            offset: self.offset + offset,
            bytes,
        }
    }

    fn binding(&self) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.buffer,
            offset: self.offset,
            size: wgpu::BufferSize::new(self.bytes.max(4)),
        })
    }
}

/// A network ready to run through wgpu.
#[derive(Debug)]
pub struct GpuNet {
    ctx: GpuContext,
    /// Commands of each layer, in order.
    layers: Vec<Vec<Command>>,
    /// Where each layer's output lives (a range of one of the plan's buffers).
    outputs: Vec<View>,
    /// The placement the views come from.
    plan: Plan,
    input: View,
    shapes: Vec<LayerShape>,
    /// Layers whose outputs are read back (heads and layers nothing reads).
    keep: Vec<usize>,
    /// The kernel the layer being recorded uses for an ungrouped convolution.
    conv_kernel: ConvKernel,
    /// The split-K count asked for the layer being recorded (`None`: the size rule).
    split: Option<usize>,
    /// The split-K count the layer being recorded got (1: not split).
    recorded_splits: usize,
    /// The kernel and split-K count of each ungrouped convolution layer.
    kernels: Vec<(usize, ConvKernel)>,
    splits: Vec<usize>,
    /// The choice each layer was built with.
    choices: Vec<ConvChoice>,
    /// Built from a stored measurement (`tuned`).
    remembered: bool,
    /// Layers share buffers by liveness.
    shared: bool,
    /// The yolo head fused into each convolution (`plan::fused_heads`).
    heads: Vec<Option<usize>>,
    /// While building: the weight buffers uploaded so far (shared between trial builds).
    uploads: conv::Uploads,
    /// While building: (layer, convolutions recorded in it so far).
    conv_slot: (usize, usize),
    /// The mappable buffer outputs are read back through.
    readback: std::sync::Mutex<Option<Readback>>,
    /// While building: the largest binding the layer being recorded asked for beyond the
    /// device's limit, in bytes.
    oversize: Option<u64>,
}

fn storage(ctx: &GpuContext, label: &str, floats: usize) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: (floats.max(1) * 4) as u64,
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

fn upload(ctx: &GpuContext, label: &str, data: &[u8], usage: wgpu::BufferUsages) -> View {
    View::whole(
        ctx.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: data,
                usage,
            }),
    )
}

/// Groups for `n` invocations along x (split over y past the 65 535 limit).
fn linear_groups(n: usize) -> [u32; 3] {
    let groups = (n as u32).div_ceil(WG).max(1);
    [groups.min(65_535), groups.div_ceil(65_535), 1]
}

impl GpuNet {
    /// As [`GpuNet::new`] with the convolution kernel chosen by the caller (benchmarks, tests).
    pub fn with_conv_kernel(
        ctx: &GpuContext,
        a: &Analysis,
        w: &Weights,
        conv_kernel: ConvKernel,
    ) -> Result<Self, BackendError> {
        Self::with_options(ctx, a, w, conv_kernel, false)
    }

    /// The general constructor: `shared` lets layers whose lifetimes do not overlap share
    /// buffers (the plan the profiler's liveness peak predicts); without it every layer keeps
    /// its own buffer, which [`GpuNet::forward_all`] needs.
    pub fn with_options(
        ctx: &GpuContext,
        a: &Analysis,
        w: &Weights,
        conv_kernel: ConvKernel,
        shared: bool,
    ) -> Result<Self, BackendError> {
        let kernels = vec![conv_kernel; a.network.layers.len()];
        Self::with_layer_kernels(ctx, a, w, &kernels, shared)
    }

    /// As [`GpuNet::with_options`] with a convolution kernel per layer (`kernels[i]` for
    /// layer `i`; ignored by layers that are not ungrouped convolutions).
    pub fn with_layer_kernels(
        ctx: &GpuContext,
        a: &Analysis,
        w: &Weights,
        kernels: &[ConvKernel],
        shared: bool,
    ) -> Result<Self, BackendError> {
        let choices: Vec<ConvChoice> = kernels.iter().map(|&k| (k, None)).collect();
        Self::with_layer_choices(ctx, a, w, &choices, shared)
    }

    /// As [`GpuNet::with_layer_kernels`] with each layer's split-K count too: `Some(s)` splits
    /// the layer's K into `s` ranges (fewer where K has fewer tiles or input channels), `None`
    /// applies the size rule (split on real GPUs where a layer has too few workgroups).
    pub fn with_layer_choices(
        ctx: &GpuContext,
        a: &Analysis,
        w: &Weights,
        choices: &[ConvChoice],
        shared: bool,
    ) -> Result<Self, BackendError> {
        let mut net = Self::build(ctx, a, w, choices, shared, conv::Uploads::new())?;
        // the buffers the commands bind stay alive through them; no other layout is kept
        net.uploads.clear();
        Ok(net)
    }

    /// [`GpuNet::with_layer_choices`] reusing the weight buffers `uploads` holds (from earlier
    /// builds of the same network and weights); the result keeps them with its own added.
    fn build(
        ctx: &GpuContext,
        a: &Analysis,
        w: &Weights,
        choices: &[ConvChoice],
        shared: bool,
        uploads: conv::Uploads,
    ) -> Result<Self, BackendError> {
        let n = a.network.layers.len();
        if choices.len() != n {
            return Err(BackendError::Internal(format!(
                "{} convolution kernels for {n} layers",
                choices.len()
            )));
        }
        let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let oom = ctx.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let input_len = a.shapes.layers.first().map_or(0, |s| s.inputs);
        let align = ctx.device.limits().min_storage_buffer_offset_alignment as u64;
        let asked = plan::fused_heads(a, shared);
        let plan = plan::plan(a, align, &asked);
        let heads = plan.placed_heads(&asked);
        let mut net = Self {
            ctx: ctx.clone(),
            layers: Vec::new(),
            outputs: allocate(ctx, &plan, shared),
            plan,
            input: View::whole(storage(ctx, "input", input_len)),
            shapes: a.shapes.layers.clone(),
            keep: Vec::new(),
            conv_kernel: ConvKernel::Blocked,
            split: None,
            recorded_splits: 1,
            kernels: Vec::new(),
            splits: Vec::new(),
            choices: choices.to_vec(),
            remembered: false,
            shared,
            heads,
            uploads,
            conv_slot: (0, 0),
            readback: std::sync::Mutex::new(None),
            oversize: None,
        };
        for (i, layer) in a.network.layers.iter().enumerate() {
            (net.conv_kernel, net.split) = choices[i];
            net.recorded_splits = 1;
            net.conv_slot = (i, 0);
            let cmds = net.record(a, w, i)?;
            if let Some(bytes) = net.oversize.take() {
                let limit = ctx.device.limits().max_storage_buffer_binding_size;
                return Err(BackendError::DeviceLimit {
                    layer: i,
                    detail: format!(
                        "({}) reads or writes {:.1} MB in one buffer; this GPU binds at most {:.1} MB",
                        layer.kind.type_name(),
                        bytes as f64 / 1e6,
                        limit as f64 / 1e6
                    ),
                });
            }
            net.layers.push(cmds);
            if matches!(&layer.kind, LayerKind::Convolutional(c) if c.groups == 1) {
                net.kernels.push((i, choices[i].0));
                net.splits.push(net.recorded_splits);
            }
        }
        net.keep = a
            .network
            .last_readers()
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_none())
            .map(|(i, _)| i)
            .collect();
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
        Ok(net)
    }

    /// A dispatch binding `(binding, buffer)` pairs plus the uniform at binding 0.
    fn dispatch(
        &mut self,
        kernel: Kernel,
        act: u32,
        params: &[u8],
        bufs: &[(u32, &View)],
        groups: [u32; 3],
    ) -> Command {
        let limit = self.ctx.device.limits().max_storage_buffer_binding_size;
        if let Some(big) = bufs
            .iter()
            .map(|(_, v)| v.bytes)
            .filter(|&b| b > limit)
            .max()
        {
            // the bind group below fails validation; the build reports the layer instead
            self.oversize = self.oversize.max(Some(big));
        }
        let uniform = upload(&self.ctx, "params", params, wgpu::BufferUsages::UNIFORM);
        // compiled once per device, shared by every network built on it
        let pipeline = self.ctx.pipeline(kernel, act, WG);
        let layout = pipeline.get_bind_group_layout(0);
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: uniform.binding(),
        }];
        entries.extend(bufs.iter().map(|(b, buf)| wgpu::BindGroupEntry {
            binding: *b,
            resource: buf.binding(),
        }));
        let bind = self
            .ctx
            .device
            .create_bind_group(&wgpu::BindGroupDescriptor {
                label: None,
                layout: &layout,
                entries: &entries,
            });
        Command::Dispatch {
            pipeline,
            bind,
            groups,
        }
    }

    fn src_view(&self, src: Src) -> View {
        match src {
            Src::Image => self.input.clone(),
            Src::Layer(j) => self.outputs[j].clone(),
        }
    }

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
    fn encode(&self, encoder: &mut wgpu::CommandEncoder, layers: std::ops::Range<usize>) {
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

    /// The adapter this network runs on.
    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }
}

/// Buffers for the plan's regions (shared by liveness with `shared`) and each layer's view.
fn allocate(ctx: &GpuContext, plan: &Plan, shared: bool) -> Vec<View> {
    let (slot_of, sizes) = plan::share(&plan.regions, shared);
    let buffers: Vec<wgpu::Buffer> = sizes
        .iter()
        .enumerate()
        .map(|(k, &bytes)| storage(ctx, &format!("activations {k}"), (bytes / 4) as usize))
        .collect();
    plan.places
        .iter()
        .map(|p| View {
            buffer: buffers[slot_of[p.region]].clone(),
            offset: p.offset,
            bytes: p.bytes,
        })
        .collect()
}
