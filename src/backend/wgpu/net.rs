//! A network prepared for the GPU: weights uploaded in the kernels' layouts, one uniform per
//! dispatch, pipelines cached by (kernel, activation), and the command list of one inference.

use super::context::GpuContext;
use super::kernels::{
    ConvParams, EwParams, Kernel, PoolParams, activation_id, elementwise_activation_id,
};
use crate::Analysis;
use crate::backend::{BackendError, Forward};
use crate::network::{Activation, LayerKind, Src, WeightsType};
use crate::shape::LayerShape;
use crate::tensor::Tensor;
use crate::weights::{Weights, fused_batchnorm, fused_connected, fused_conv};
use std::collections::HashMap;
use std::time::Instant;
use wgpu::util::DeviceExt;

/// Threads per workgroup along x (the kernels' `WG` override).
const WG: u32 = 64;
/// Convolutions launching fewer invocations than this on a real GPU are split over input
/// channels (split-K) until they reach it; `CSPLENS_SPLIT_BELOW` overrides it for tuning.
const SPLIT_BELOW: usize = 262_144;

fn split_below() -> usize {
    std::env::var("CSPLENS_SPLIT_BELOW")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(SPLIT_BELOW)
}

/// One recorded step of an inference.
#[derive(Debug)]
enum Command {
    Dispatch {
        kernel: Kernel,
        act: u32,
        bind: wgpu::BindGroup,
        groups: [u32; 3],
    },
    Copy {
        src: Option<usize>,
        src_offset: u64,
        dst: usize,
        dst_offset: u64,
        bytes: u64,
    },
    /// Zero a layer's buffer (for kernels that write only part of it).
    Clear { dst: usize },
}

/// A network ready to run through wgpu.
#[derive(Debug)]
pub struct GpuNet {
    ctx: GpuContext,
    pipelines: HashMap<(Kernel, u32), wgpu::ComputePipeline>,
    /// Commands of each layer, in order.
    layers: Vec<Vec<Command>>,
    /// One storage buffer per layer output.
    buffers: Vec<wgpu::Buffer>,
    input: wgpu::Buffer,
    shapes: Vec<LayerShape>,
    /// Layers whose outputs are read back (heads and layers nothing reads).
    keep: Vec<usize>,
    /// Which kernel ungrouped convolutions use.
    conv_kernel: ConvKernel,
    /// Layers share buffers by liveness.
    shared: bool,
}

/// The kernel for ungrouped convolutions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvKernel {
    /// Register-blocked, 8 channels × 4 columns, no barriers (the default on software adapters).
    Blocked,
    /// Register-blocked, 4 channels × 4 columns (the default on real GPUs), split-K over input
    /// channels where a layer has too few output positions to fill the GPU.
    Blocked4,
    /// `Blocked4` with split-K on every layer that can take it (tests).
    Blocked4Split,
    /// Implicit GEMM through workgroup memory, 64 × 64 tiles (slower than `Blocked` so far).
    Tiled,
    /// One output per invocation: the benchmark baseline.
    Naive,
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

fn upload(ctx: &GpuContext, label: &str, data: &[u8], usage: wgpu::BufferUsages) -> wgpu::Buffer {
    ctx.device
        .create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: data,
            usage,
        })
}

/// Groups for `n` invocations along x (split over y past the 65 535 limit).
fn linear_groups(n: usize) -> [u32; 3] {
    let groups = (n as u32).div_ceil(WG).max(1);
    [groups.min(65_535), groups.div_ceil(65_535), 1]
}

impl GpuNet {
    /// Uploads the weights and records the network's commands.
    pub fn new(ctx: &GpuContext, a: &Analysis, w: &Weights) -> Result<Self, BackendError> {
        // Measured on lavapipe and on an H200: the register-blocked kernel is the faster of the
        // two on both (docs/perf.md), so it is the default everywhere for now.
        let kernel = if ctx.is_software() {
            ConvKernel::Blocked
        } else {
            ConvKernel::Blocked4
        };
        Self::with_options(ctx, a, w, kernel, true)
    }

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
        let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let oom = ctx.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let input_len = a.shapes.layers.first().map_or(0, |s| s.inputs);
        let mut net = Self {
            ctx: ctx.clone(),
            pipelines: HashMap::new(),
            layers: Vec::new(),
            buffers: plan_buffers(ctx, a, shared),
            input: storage(ctx, "input", input_len),
            shapes: a.shapes.layers.clone(),
            keep: Vec::new(),
            conv_kernel,
            shared,
        };
        for i in 0..a.network.layers.len() {
            let cmds = net.record(a, w, i)?;
            net.layers.push(cmds);
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
            return Err(BackendError::Gpu(format!(
                "out of GPU memory while uploading the network: {e}"
            )));
        }
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(BackendError::Gpu(e.to_string()));
        }
        Ok(net)
    }

    fn pipeline(&mut self, kernel: Kernel, act: u32) -> &wgpu::ComputePipeline {
        let device = &self.ctx.device;
        self.pipelines.entry((kernel, act)).or_insert_with(|| {
            let (file, entry) = kernel.entry();
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(file),
                source: wgpu::ShaderSource::Wgsl(kernel.source().into()),
            });
            let mut constants: Vec<(&str, f64)> = vec![("WG", WG as f64)];
            if file != "pool.wgsl" {
                constants.push(("ACT", act as f64));
            }
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: None,
                module: &module,
                entry_point: Some(entry),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants: &constants,
                    ..Default::default()
                },
                cache: None,
            })
        })
    }

    /// A dispatch binding `(binding, buffer)` pairs plus the uniform at binding 0.
    fn dispatch(
        &mut self,
        kernel: Kernel,
        act: u32,
        params: &[u8],
        bufs: &[(u32, &wgpu::Buffer)],
        groups: [u32; 3],
    ) -> Command {
        let uniform = upload(&self.ctx, "params", params, wgpu::BufferUsages::UNIFORM);
        let layout = self.pipeline(kernel, act).get_bind_group_layout(0);
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: uniform.as_entire_binding(),
        }];
        entries.extend(bufs.iter().map(|(b, buf)| wgpu::BindGroupEntry {
            binding: *b,
            resource: buf.as_entire_binding(),
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
            kernel,
            act,
            bind,
            groups,
        }
    }

    /// The dispatch of one convolution (or a connected / batchnorm layer expressed as one):
    /// weights laid out for the kernel, biases padded to vec4 blocks.
    fn conv(
        &mut self,
        act: u32,
        fused: &crate::weights::FusedConv,
        geo: ConvParams,
        input: &wgpu::Buffer,
        out: &wgpu::Buffer,
    ) -> Vec<Command> {
        let (cin, f) = (geo.in_c as usize, geo.out_c as usize);
        let blocks = f.div_ceil(8);
        let mut bias = vec![0f32; blocks * 8];
        bias[..f].copy_from_slice(&fused.biases);
        let params = ConvParams {
            blocks: blocks as u32,
            ..geo
        };
        let c = (geo.size as usize, geo.groups as usize);
        let s_out = (geo.out_h as usize, geo.out_w as usize);
        let biases = upload(
            &self.ctx,
            "biases",
            bytemuck::cast_slice(&bias),
            wgpu::BufferUsages::STORAGE,
        );
        let x_groups = (s_out.0 * s_out.1.div_ceil(4)) as u32;
        if self.conv_kernel == ConvKernel::Tiled && c.1 == 1 {
            // K × out_c, k = (ic·size + ky)·size + kx
            let k = cin * c.0 * c.0;
            let mut t = vec![0f32; k * f];
            for oc in 0..f {
                for kk in 0..k {
                    t[kk * f + oc] = fused.weights[oc * k + kk];
                }
            }
            let wb = upload(
                &self.ctx,
                "weights",
                bytemuck::cast_slice(&t),
                wgpu::BufferUsages::STORAGE,
            );
            let groups = [
                ((s_out.0 * s_out.1) as u32).div_ceil(64),
                (f as u32).div_ceil(64),
                1,
            ];
            vec![self.dispatch(
                Kernel::ConvTiled,
                act,
                bytemuck::bytes_of(&params),
                &[(1, input), (3, &biases), (4, out), (5, &wb)],
                groups,
            )]
        } else if self.conv_kernel == ConvKernel::Naive {
            let wb = upload(
                &self.ctx,
                "weights",
                bytemuck::cast_slice(&fused.weights),
                wgpu::BufferUsages::STORAGE,
            );
            let groups = [((s_out.0 * s_out.1) as u32).div_ceil(WG), f as u32, 1];
            vec![self.dispatch(
                Kernel::ConvNaive,
                act,
                bytemuck::bytes_of(&params),
                &[(1, input), (3, &biases), (4, out), (5, &wb)],
                groups,
            )]
        } else if matches!(
            self.conv_kernel,
            ConvKernel::Blocked4 | ConvKernel::Blocked4Split
        ) && c.1 == 1
        {
            let k = c.0 * c.0;
            let blocks4 = f.div_ceil(4);
            let blocked = channel_blocks(&fused.weights, f, cin, k, 4);
            let wb = upload(
                &self.ctx,
                "weights",
                bytemuck::cast_slice(&blocked),
                wgpu::BufferUsages::STORAGE,
            );
            let invocations = x_groups as usize * blocks4;
            let splits = match self.conv_kernel {
                ConvKernel::Blocked4Split => (cin / 2).clamp(1, 4),
                _ if !self.ctx.is_software() && invocations < split_below() => {
                    split_below().div_ceil(invocations).min(cin / 8).max(1)
                }
                _ => 1,
            };
            let params4 = ConvParams {
                blocks: blocks4 as u32,
                splits: splits as u32,
                ..params
            };
            let groups = [x_groups.div_ceil(WG), blocks4 as u32, 1];
            if splits <= 1 {
                return vec![self.dispatch(
                    Kernel::ConvBlocked4,
                    act,
                    bytemuck::bytes_of(&params4),
                    &[(1, input), (2, &wb), (3, &biases), (4, out)],
                    groups,
                )];
            }
            let partial = storage(
                &self.ctx,
                "split-K partials",
                splits * f * s_out.0 * s_out.1,
            );
            let split = self.dispatch(
                Kernel::ConvBlocked4Split,
                0,
                bytemuck::bytes_of(&params4),
                &[(1, input), (2, &wb), (4, &partial)],
                [groups[0], groups[1], splits as u32],
            );
            let reduce = self.dispatch(
                Kernel::ConvReduce,
                act,
                bytemuck::bytes_of(&params4),
                &[(1, &partial), (3, &biases), (4, out)],
                linear_groups(f * s_out.0 * s_out.1),
            );
            vec![split, reduce]
        } else if c.1 == 1 {
            let blocked = channel_blocks(&fused.weights, f, cin, c.0 * c.0, 8);
            let wb = upload(
                &self.ctx,
                "weights",
                bytemuck::cast_slice(&blocked),
                wgpu::BufferUsages::STORAGE,
            );
            let groups = [x_groups.div_ceil(WG), blocks as u32, 1];
            vec![self.dispatch(
                Kernel::ConvBlocked,
                act,
                bytemuck::bytes_of(&params),
                &[(1, input), (2, &wb), (3, &biases), (4, out)],
                groups,
            )]
        } else {
            let wb = upload(
                &self.ctx,
                "weights",
                bytemuck::cast_slice(&fused.weights),
                wgpu::BufferUsages::STORAGE,
            );
            let groups = [x_groups.div_ceil(WG), f as u32, 1];
            vec![self.dispatch(
                Kernel::ConvGrouped,
                act,
                bytemuck::bytes_of(&params),
                &[(1, input), (3, &biases), (4, out), (5, &wb)],
                groups,
            )]
        }
    }

    fn src_buffer(&self, src: Src) -> &wgpu::Buffer {
        match src {
            Src::Image => &self.input,
            Src::Layer(j) => &self.buffers[j],
        }
    }

    fn record(
        &mut self,
        a: &Analysis,
        w: &Weights,
        i: usize,
    ) -> Result<Vec<Command>, BackendError> {
        let layer = &a.network.layers[i];
        let s = a.shapes.layers[i];
        let unsupported = || BackendError::Unsupported {
            layer: i,
            kind: layer.kind.type_name(),
        };
        let prev = layer.inputs.first().copied().unwrap_or(Src::Image);
        let prev_idx = match prev {
            Src::Image => None,
            Src::Layer(j) => Some(j),
        };
        let copy_prev = Command::Copy {
            src: prev_idx,
            src_offset: 0,
            dst: i,
            dst_offset: 0,
            bytes: (s.outputs * 4) as u64,
        };
        let out = self.buffers[i].clone();
        Ok(match &layer.kind {
            LayerKind::Convolutional(c) => {
                if c.antialiasing > 0 || c.xnor {
                    return Err(unsupported());
                }
                let act = activation_id(c.activation).ok_or_else(unsupported)?;
                let fused = fused_conv(w, c.share_index.unwrap_or(i)).ok_or_else(unsupported)?;
                let geo = ConvParams {
                    in_c: s.input.c as u32,
                    in_h: s.input.h as u32,
                    in_w: s.input.w as u32,
                    out_c: c.filters as u32,
                    out_h: s.output.h as u32,
                    out_w: s.output.w as u32,
                    size: c.size as u32,
                    stride_x: c.stride_x as u32,
                    stride_y: c.stride_y as u32,
                    pad: c.padding as u32,
                    dilation: c.dilation as u32,
                    groups: c.groups as u32,
                    ..Default::default()
                };
                let input = self.src_buffer(prev).clone();
                self.conv(act, &fused, geo, &input, &out)
            }
            LayerKind::Maxpool(pl) | LayerKind::LocalAvgpool(pl) => {
                if pl.maxpool_depth || pl.antialiasing > 0 {
                    return Err(unsupported());
                }
                let kernel = if matches!(layer.kind, LayerKind::Maxpool(_)) {
                    Kernel::MaxPool
                } else {
                    Kernel::AvgPool
                };
                let params = PoolParams {
                    c: s.output.c as u32,
                    in_h: s.input.h as u32,
                    in_w: s.input.w as u32,
                    out_h: s.output.h as u32,
                    out_w: s.output.w as u32,
                    size: pl.size as u32,
                    stride_x: pl.stride_x as u32,
                    stride_y: pl.stride_y as u32,
                    pad: pl.padding as u32,
                    ..Default::default()
                };
                let input = self.src_buffer(prev).clone();
                let groups = [
                    ((s.output.h * s.output.w) as u32).div_ceil(WG),
                    s.output.c as u32,
                    1,
                ];
                vec![self.dispatch(
                    kernel,
                    0,
                    bytemuck::bytes_of(&params),
                    &[(1, &input), (2, &out)],
                    groups,
                )]
            }
            LayerKind::Avgpool => {
                let params = PoolParams {
                    c: s.input.c as u32,
                    in_h: s.input.h as u32,
                    in_w: s.input.w as u32,
                    ..Default::default()
                };
                let input = self.src_buffer(prev).clone();
                vec![self.dispatch(
                    Kernel::AvgGlobal,
                    0,
                    bytemuck::bytes_of(&params),
                    &[(1, &input), (2, &out)],
                    linear_groups(s.input.c),
                )]
            }
            LayerKind::Route(r) => {
                let mut at = 0u64;
                let mut cmds = Vec::new();
                for &j in &r.layers {
                    let part = (a.shapes.layers[j].outputs / r.groups * 4) as u64;
                    cmds.push(Command::Copy {
                        src: Some(j),
                        src_offset: part * r.group_id as u64,
                        dst: i,
                        dst_offset: at,
                        bytes: part,
                    });
                    at += part;
                }
                cmds
            }
            LayerKind::Shortcut(sc) => {
                let act = elementwise_activation_id(sc.activation).ok_or_else(unsupported)?;
                for &j in &sc.from {
                    let fs = a.shapes.layers[j];
                    if (fs.output.w, fs.output.h) != (s.output.w, s.output.h) {
                        return Err(unsupported());
                    }
                }
                let weights = shortcut_weights(sc, w.slice(&w.layers[i].weights), s.output.c);
                let dims = EwParams {
                    n: s.outputs as u32,
                    h: s.output.h as u32,
                    w: s.output.w as u32,
                    ..Default::default()
                };
                let mut cmds = Vec::new();
                match &weights {
                    None => cmds.push(copy_prev),
                    Some(ws) => {
                        let per = ws.len() / (sc.from.len() + 1);
                        let wb = upload(
                            &self.ctx,
                            "shortcut weights",
                            bytemuck::cast_slice(&ws[..per]),
                            wgpu::BufferUsages::STORAGE,
                        );
                        let params = EwParams {
                            c: per as u32,
                            ..dims
                        };
                        let input = self.src_buffer(prev).clone();
                        cmds.push(self.dispatch(
                            Kernel::ScaleByChannel,
                            0,
                            bytemuck::bytes_of(&params),
                            &[(1, &input), (2, &out), (3, &wb)],
                            linear_groups(s.outputs),
                        ));
                    }
                }
                for (k, &j) in sc.from.iter().enumerate() {
                    let from = self.buffers[j].clone();
                    let from_len = a.shapes.layers[j].outputs as u32;
                    match &weights {
                        None => {
                            let params = EwParams { from_len, ..dims };
                            cmds.push(self.dispatch(
                                Kernel::ShortcutAdd,
                                0,
                                bytemuck::bytes_of(&params),
                                &[(1, &from), (2, &out)],
                                linear_groups(s.outputs),
                            ));
                        }
                        Some(ws) => {
                            let per = ws.len() / (sc.from.len() + 1);
                            let part = &ws[(k + 1) * per..(k + 2) * per];
                            let wb = upload(
                                &self.ctx,
                                "shortcut weights",
                                bytemuck::cast_slice(part),
                                wgpu::BufferUsages::STORAGE,
                            );
                            let params = EwParams {
                                c: per as u32,
                                from_len,
                                ..dims
                            };
                            cmds.push(self.dispatch(
                                Kernel::AxpyChannel,
                                0,
                                bytemuck::bytes_of(&params),
                                &[(1, &from), (2, &out), (3, &wb)],
                                linear_groups(s.outputs),
                            ));
                        }
                    }
                }
                if sc.activation != Activation::Linear {
                    cmds.push(self.dispatch(
                        Kernel::Activate,
                        act,
                        bytemuck::bytes_of(&dims),
                        &[(2, &out)],
                        linear_groups(s.outputs),
                    ));
                }
                cmds
            }
            LayerKind::Upsample(u) if u.stride > 0 => {
                let params = EwParams {
                    n: s.outputs as u32,
                    c: s.output.c as u32,
                    h: s.output.h as u32,
                    w: s.output.w as u32,
                    stride: u.stride as u32,
                    scale: u.scale,
                    ..Default::default()
                };
                let input = self.src_buffer(prev).clone();
                vec![self.dispatch(
                    Kernel::Upsample,
                    0,
                    bytemuck::bytes_of(&params),
                    &[(1, &input), (2, &out)],
                    linear_groups(s.outputs),
                )]
            }
            LayerKind::Yolo(y) | LayerKind::GaussianYolo(y) => {
                let params = EwParams {
                    n: s.outputs as u32,
                    h: s.output.h as u32,
                    w: s.output.w as u32,
                    per: (y.classes
                        + if matches!(layer.kind, LayerKind::Yolo(_)) {
                            5
                        } else {
                            9
                        }) as u32,
                    new_coords: y.new_coords as u32,
                    scale_x_y: y.scale_x_y,
                    ..Default::default()
                };
                if matches!(layer.kind, LayerKind::GaussianYolo(_)) {
                    return Err(unsupported());
                }
                let input = self.src_buffer(prev).clone();
                vec![self.dispatch(
                    Kernel::Yolo,
                    0,
                    bytemuck::bytes_of(&params),
                    &[(1, &input), (2, &out)],
                    linear_groups(s.outputs),
                )]
            }
            LayerKind::Connected(c) => {
                let act = activation_id(c.activation).ok_or_else(unsupported)?;
                let fused = fused_connected(w, i, s.inputs).ok_or_else(unsupported)?;
                let geo = ConvParams {
                    in_c: s.inputs as u32,
                    in_h: 1,
                    in_w: 1,
                    out_c: c.output as u32,
                    out_h: 1,
                    out_w: 1,
                    size: 1,
                    stride_x: 1,
                    stride_y: 1,
                    dilation: 1,
                    groups: 1,
                    ..Default::default()
                };
                let input = self.src_buffer(prev).clone();
                self.conv(act, &fused, geo, &input, &out)
            }
            LayerKind::Batchnorm => {
                let fused = fused_batchnorm(w, i).ok_or_else(unsupported)?;
                let c = s.output.c as u32;
                let (h, wd) = (s.output.h as u32, s.output.w as u32);
                let geo = ConvParams {
                    in_c: c,
                    in_h: h,
                    in_w: wd,
                    out_c: c,
                    out_h: h,
                    out_w: wd,
                    size: 1,
                    stride_x: 1,
                    stride_y: 1,
                    dilation: 1,
                    groups: c,
                    ..Default::default()
                };
                let input = self.src_buffer(prev).clone();
                self.conv(0, &fused, geo, &input, &out)
            }
            LayerKind::ScaleChannels(sc) | LayerKind::Sam(sc) => {
                let act = elementwise_activation_id(sc.activation).ok_or_else(unsupported)?;
                let kernel = if matches!(layer.kind, LayerKind::Sam(_)) {
                    Kernel::Sam
                } else {
                    Kernel::ScaleChannels
                };
                let params = EwParams {
                    n: s.outputs as u32,
                    h: s.output.h as u32,
                    w: s.output.w as u32,
                    flag: sc.scale_wh as u32,
                    ..Default::default()
                };
                let (input, from) = (self.src_buffer(prev).clone(), self.buffers[sc.from].clone());
                vec![self.dispatch(
                    kernel,
                    act,
                    bytemuck::bytes_of(&params),
                    &[(1, &input), (2, &out), (3, &from)],
                    linear_groups(s.outputs),
                )]
            }
            LayerKind::Softmax {
                groups,
                temperature,
            } => {
                let params = EwParams {
                    n: s.outputs as u32,
                    groups: *groups as u32,
                    scale: *temperature,
                    ..Default::default()
                };
                let input = self.src_buffer(prev).clone();
                vec![self.dispatch(
                    Kernel::Softmax,
                    0,
                    bytemuck::bytes_of(&params),
                    &[(1, &input), (2, &out)],
                    linear_groups(*groups),
                )]
            }
            LayerKind::Reorg(r) | LayerKind::Reorg3d(r) => {
                // the dims darknet passes to reorg_cpu: the input's for [reorg], the output's for [reorg3d]
                let old = matches!(layer.kind, LayerKind::Reorg(_));
                let (rw, rh, rc) = if old {
                    (s.input.w, s.input.h, s.input.c)
                } else {
                    (s.output.w, s.output.h, s.output.c)
                };
                let params = EwParams {
                    n: (rw * rh * rc) as u32,
                    c: rc as u32,
                    h: rh as u32,
                    w: rw as u32,
                    stride: r.stride as u32,
                    flag: r.reverse as u32,
                    from_len: s.outputs as u32,
                    groups: s.inputs as u32,
                    ..Default::default()
                };
                let input = self.src_buffer(prev).clone();
                let dispatch = self.dispatch(
                    Kernel::Reorg,
                    0,
                    bytemuck::bytes_of(&params),
                    &[(1, &input), (2, &out)],
                    linear_groups(rw * rh * rc),
                );
                vec![Command::Clear { dst: i }, dispatch]
            }
            LayerKind::Region(r) => {
                let params = EwParams {
                    h: s.output.h as u32,
                    w: s.output.w as u32,
                    stride: r.num as u32,
                    per: (r.classes + r.coords + 1) as u32,
                    coords: r.coords as u32,
                    groups: r.classes as u32,
                    flag: r.softmax as u32,
                    ..Default::default()
                };
                let input = self.src_buffer(prev).clone();
                let cells = r.num * s.output.h * s.output.w;
                vec![self.dispatch(
                    Kernel::Region,
                    0,
                    bytemuck::bytes_of(&params),
                    &[(1, &input), (2, &out)],
                    linear_groups(cells),
                )]
            }
            LayerKind::Upsample(u) => {
                let params = EwParams {
                    n: s.outputs as u32,
                    c: s.output.c as u32,
                    h: s.output.h as u32,
                    w: s.output.w as u32,
                    stride: u.stride.unsigned_abs() as u32,
                    scale: u.scale,
                    ..Default::default()
                };
                let input = self.src_buffer(prev).clone();
                vec![self.dispatch(
                    Kernel::Downsample,
                    0,
                    bytemuck::bytes_of(&params),
                    &[(1, &input), (2, &out)],
                    linear_groups(s.outputs),
                )]
            }
            LayerKind::Activation(act) => {
                let id = elementwise_activation_id(*act).ok_or_else(unsupported)?;
                let params = EwParams {
                    n: s.outputs as u32,
                    ..Default::default()
                };
                vec![
                    copy_prev,
                    self.dispatch(
                        Kernel::Activate,
                        id,
                        bytemuck::bytes_of(&params),
                        &[(2, &out)],
                        linear_groups(s.outputs),
                    ),
                ]
            }
            LayerKind::Dropout { .. } | LayerKind::Empty | LayerKind::Cost { .. } => {
                vec![copy_prev]
            }
            _ => return Err(unsupported()),
        })
    }

    /// Records copies and clears (not dispatches) into the encoder.
    fn encode_commands<'c>(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        cmds: impl Iterator<Item = &'c Command>,
    ) {
        for cmd in cmds {
            match cmd {
                Command::Clear { dst } => encoder.clear_buffer(&self.buffers[*dst], 0, None),
                Command::Copy {
                    src,
                    src_offset,
                    dst,
                    dst_offset,
                    bytes,
                } => {
                    let from = src.map_or(&self.input, |j| &self.buffers[j]);
                    encoder.copy_buffer_to_buffer(
                        from,
                        *src_offset,
                        &self.buffers[*dst],
                        *dst_offset,
                        *bytes,
                    );
                }
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
                        kernel,
                        act,
                        bind,
                        groups,
                    } => {
                        let Some(pipeline) = self.pipelines.get(&(*kernel, *act)) else {
                            continue;
                        };
                        let p = pass.get_or_insert_with(|| {
                            encoder
                                .begin_compute_pass(&Default::default())
                                .forget_lifetime()
                        });
                        p.set_pipeline(pipeline);
                        p.set_bind_group(0, bind, &[]);
                        p.dispatch_workgroups(groups[0], groups[1], groups[2]);
                    }
                    Command::Clear { dst } => {
                        pass = None;
                        encoder.clear_buffer(&self.buffers[*dst], 0, None);
                    }
                    Command::Copy {
                        src,
                        src_offset,
                        dst,
                        dst_offset,
                        bytes,
                    } => {
                        pass = None;
                        let from = src.map_or(&self.input, |j| &self.buffers[j]);
                        encoder.copy_buffer_to_buffer(
                            from,
                            *src_offset,
                            &self.buffers[*dst],
                            *dst_offset,
                            *bytes,
                        );
                    }
                }
            }
        }
    }

    fn wait(&self) -> Result<(), BackendError> {
        if self.ctx.is_lost() {
            return Err(BackendError::Gpu("the GPU device was lost".into()));
        }
        self.ctx
            .device
            .poll(wgpu::PollType::Wait {
                submission_index: None,
                timeout: Some(std::time::Duration::from_secs(60)),
            })
            .map(|_| ())
            .map_err(|e| BackendError::Gpu(format!("the GPU did not finish: {e}")))
    }

    /// Runs the network; reads back the heads and the layers nothing reads.
    pub fn forward(&self, input: &Tensor) -> Result<Forward, BackendError> {
        self.run(input, &self.keep, false)
    }

    /// Runs the network and reads back every layer (for layer-by-layer comparison).
    pub fn forward_all(&self, input: &Tensor) -> Result<Forward, BackendError> {
        if self.shared {
            return Err(BackendError::Internal(
                "forward_all needs one buffer per layer (GpuNet::with_conv_kernel)".into(),
            ));
        }
        let all: Vec<usize> = (0..self.layers.len()).collect();
        self.run(input, &all, false)
    }

    /// Runs the network with per-layer times: GPU timestamps around each layer's dispatches
    /// where the device has them (copies untimed), else one submission per layer timed on the CPU.
    pub fn forward_timed(&self, input: &Tensor) -> Result<Forward, BackendError> {
        let n = self.layers.len();
        if !self
            .ctx
            .device
            .features()
            .contains(wgpu::Features::TIMESTAMP_QUERY)
            || n == 0
            || 2 * n > 4096
        {
            return self.run(input, &self.keep, true);
        }
        let mut fwd = self.run(input, &self.keep, false)?;
        fwd.layer_ms = self.timestamps(input)?;
        Ok(fwd)
    }

    /// One inference with a compute pass per layer bracketed by timestamp writes.
    fn timestamps(&self, input: &Tensor) -> Result<Vec<f64>, BackendError> {
        let n = self.layers.len();
        let device = &self.ctx.device;
        let queries = device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("layer times"),
            ty: wgpu::QueryType::Timestamp,
            count: 2 * n as u32,
        });
        let bytes = (2 * n * 8) as u64;
        let resolve = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("timestamps"),
            size: bytes,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let read = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("timestamps read"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.ctx
            .queue
            .write_buffer(&self.input, 0, bytemuck::cast_slice(&input.data));
        let mut enc = device.create_command_encoder(&Default::default());
        for (i, cmds) in self.layers.iter().enumerate() {
            // copies and clears first (every layer orders them before its dispatches)
            self.encode_commands(
                &mut enc,
                cmds.iter()
                    .filter(|c| !matches!(c, Command::Dispatch { .. })),
            );
            let writes = wgpu::ComputePassTimestampWrites {
                query_set: &queries,
                beginning_of_pass_write_index: Some(2 * i as u32),
                end_of_pass_write_index: Some(2 * i as u32 + 1),
            };
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: None,
                timestamp_writes: Some(writes),
            });
            for cmd in cmds {
                if let Command::Dispatch {
                    kernel,
                    act,
                    bind,
                    groups,
                } = cmd
                    && let Some(pipeline) = self.pipelines.get(&(*kernel, *act))
                {
                    pass.set_pipeline(pipeline);
                    pass.set_bind_group(0, bind, &[]);
                    pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
                }
            }
        }
        enc.resolve_query_set(&queries, 0..2 * n as u32, &resolve, 0);
        enc.copy_buffer_to_buffer(&resolve, 0, &read, 0, bytes);
        self.ctx.queue.submit([enc.finish()]);
        read.slice(..).map_async(wgpu::MapMode::Read, |_| {});
        self.wait()?;
        let period = self.ctx.queue.get_timestamp_period() as f64;
        let ticks: Vec<u64> = {
            let view = read
                .slice(..)
                .get_mapped_range()
                .map_err(|e| BackendError::Gpu(format!("reading timestamps: {e}")))?;
            bytemuck::cast_slice(&view).to_vec()
        };
        read.unmap();
        Ok((0..n)
            .map(|i| ticks[2 * i + 1].saturating_sub(ticks[2 * i]) as f64 * period / 1e6)
            .collect())
    }

    fn run(
        &self,
        input: &Tensor,
        keep: &[usize],
        per_layer: bool,
    ) -> Result<Forward, BackendError> {
        if self.ctx.is_lost() {
            return Err(BackendError::Gpu("the GPU device was lost".into()));
        }
        let want = self.shapes.first().map_or(0, |s| s.inputs);
        if input.data.len() != want {
            return Err(BackendError::InputSize {
                got: format!("{}×{}×{}", input.w, input.h, input.c),
                want: format!("{want} values"),
            });
        }
        let scope = self
            .ctx
            .device
            .push_error_scope(wgpu::ErrorFilter::Validation);
        self.ctx
            .queue
            .write_buffer(&self.input, 0, bytemuck::cast_slice(&input.data));
        let mut layer_ms = vec![0.0; self.layers.len()];
        if per_layer {
            for (i, ms) in layer_ms.iter_mut().enumerate() {
                let t = Instant::now();
                let mut enc = self.ctx.device.create_command_encoder(&Default::default());
                self.encode(&mut enc, i..i + 1);
                self.ctx.queue.submit([enc.finish()]);
                self.wait()?;
                *ms = t.elapsed().as_secs_f64() * 1e3;
            }
        }
        let mut enc = self.ctx.device.create_command_encoder(&Default::default());
        if !per_layer {
            self.encode(&mut enc, 0..self.layers.len());
        }
        let staging: Vec<(usize, wgpu::Buffer)> = keep
            .iter()
            .map(|&i| {
                let bytes = (self.shapes[i].outputs.max(1) * 4) as u64;
                let buf = self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("readback"),
                    size: bytes,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                enc.copy_buffer_to_buffer(&self.buffers[i], 0, &buf, 0, bytes);
                (i, buf)
            })
            .collect();
        self.ctx.queue.submit([enc.finish()]);
        for (_, buf) in &staging {
            buf.slice(..).map_async(wgpu::MapMode::Read, |_| {});
        }
        self.wait()?;
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(BackendError::Gpu(e.to_string()));
        }
        let mut outputs = Vec::with_capacity(staging.len());
        for (i, buf) in staging {
            let s = &self.shapes[i];
            let data: Vec<f32> = {
                let view = buf
                    .slice(..)
                    .get_mapped_range()
                    .map_err(|e| BackendError::Gpu(format!("reading layer {i}: {e}")))?;
                bytemuck::cast_slice(&view)[..s.outputs].to_vec()
            };
            buf.unmap();
            let (c, h, w) = if s.output.is_image() {
                (s.output.c, s.output.h, s.output.w)
            } else {
                (s.outputs, 1, 1)
            };
            outputs.push((i, Tensor { c, h, w, data }));
        }
        Ok(Forward { outputs, layer_ms })
    }

    /// Milliseconds per inference of `iters` inferences recorded into one submission, without
    /// upload or readback: the kernels' own time as the CPU sees it.
    pub fn time_encoded(&self, input: &Tensor, iters: usize) -> Result<f64, BackendError> {
        self.ctx
            .queue
            .write_buffer(&self.input, 0, bytemuck::cast_slice(&input.data));
        let scope = self
            .ctx
            .device
            .push_error_scope(wgpu::ErrorFilter::Validation);
        let mut enc = self.ctx.device.create_command_encoder(&Default::default());
        self.encode(&mut enc, 0..self.layers.len());
        self.ctx.queue.submit([enc.finish()]);
        self.wait()?;
        let t = Instant::now();
        let mut enc = self.ctx.device.create_command_encoder(&Default::default());
        for _ in 0..iters {
            self.encode(&mut enc, 0..self.layers.len());
        }
        self.ctx.queue.submit([enc.finish()]);
        self.wait()?;
        let ms = t.elapsed().as_secs_f64() * 1e3 / iters.max(1) as f64;
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(BackendError::Gpu(e.to_string()));
        }
        Ok(ms)
    }

    /// Bytes of all layer buffers (after sharing, when the plan shares them).
    pub fn buffer_bytes(&self) -> u64 {
        let mut seen: Vec<&wgpu::Buffer> = Vec::new();
        for b in &self.buffers {
            if !seen.contains(&b) {
                seen.push(b);
            }
        }
        seen.iter().map(|b| b.size()).sum()
    }

    /// The adapter this network runs on.
    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }
}

/// A weighted shortcut's weights after darknet's normalisation (relu or softmax across the
/// n + 1 inputs, per feature or per channel), input-major `[input][channel]`; `None` for an
/// unweighted shortcut.
fn shortcut_weights(
    sc: &crate::network::Shortcut,
    raw: &[f32],
    channels: usize,
) -> Option<Vec<f32>> {
    let per = match sc.weights_type {
        WeightsType::None => return None,
        WeightsType::PerFeature => 1,
        WeightsType::PerChannel => channels,
    };
    let n = sc.from.len() + 1;
    if raw.len() < n * per {
        return None;
    }
    let mut out = raw[..n * per].to_vec();
    for ch in 0..per {
        let at = |k: usize| raw[k * per + ch];
        match sc.weights_normalization.as_str() {
            "relu" | "avg_relu" => {
                let sum = 0.0001 + (0..n).map(|k| at(k).max(0.0)).sum::<f32>();
                (0..n).for_each(|k| out[k * per + ch] = at(k).max(0.0) / sum);
            }
            "softmax" => {
                let max = (0..n).map(at).fold(f32::MIN, f32::max);
                let sum = 0.0001 + (0..n).map(|k| (at(k) - max).exp()).sum::<f32>();
                (0..n).for_each(|k| out[k * per + ch] = (at(k) - max).exp() / sum);
            }
            _ => {}
        }
    }
    Some(out)
}

/// One storage buffer per layer output; with `shared`, a buffer is reused by a later layer once
/// every reader of its previous occupant has run (outputs read back are never reused).
fn plan_buffers(ctx: &GpuContext, a: &Analysis, shared: bool) -> Vec<wgpu::Buffer> {
    let shapes = &a.shapes.layers;
    if !shared {
        return shapes
            .iter()
            .enumerate()
            .map(|(i, s)| storage(ctx, &format!("layer {i}"), s.outputs))
            .collect();
    }
    let last_use: Vec<usize> = a
        .network
        .last_readers()
        .iter()
        .enumerate()
        .map(|(i, r)| r.map_or(usize::MAX, |c| c.max(i)))
        .collect();
    let mut free: Vec<wgpu::Buffer> = Vec::new();
    let mut held: Vec<(usize, wgpu::Buffer)> = Vec::new();
    let mut out = Vec::with_capacity(shapes.len());
    for (i, s) in shapes.iter().enumerate() {
        let bytes = (s.outputs.max(1) * 4) as u64;
        let pick = free
            .iter()
            .enumerate()
            .filter(|(_, b)| b.size() >= bytes)
            .min_by_key(|(_, b)| b.size())
            .map(|(k, _)| k);
        let buf = match pick {
            Some(k) => free.swap_remove(k),
            None => storage(ctx, &format!("layer {i}"), s.outputs),
        };
        out.push(buf.clone());
        held.push((last_use[i], buf));
        let (done, live): (Vec<_>, Vec<_>) = held.into_iter().partition(|(last, _)| *last == i);
        held = live;
        free.extend(done.into_iter().map(|(_, b)| b));
    }
    out
}

/// Convolution weights (`filters × cin × taps`, darknet's layout) regrouped for the blocked
/// kernels: `[filters/width][cin][tap][width]`, so one invocation reads `width` output channels
/// of a tap as vec4s; filters past the last are zero.
fn channel_blocks(
    weights: &[f32],
    filters: usize,
    cin: usize,
    taps: usize,
    width: usize,
) -> Vec<f32> {
    let mut out = vec![0f32; filters.div_ceil(width) * cin * taps * width];
    for oc in 0..filters {
        for ic in 0..cin {
            for t in 0..taps {
                out[(((oc / width) * cin + ic) * taps + t) * width + oc % width] =
                    weights[(oc * cin + ic) * taps + t];
            }
        }
    }
    out
}
