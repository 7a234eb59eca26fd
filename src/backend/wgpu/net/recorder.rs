//! The recorder: turns a plan (where every output lives) and a device into the commands of
//! one inference, layer by layer. Each layer kind becomes dispatches of the shader kernels
//! (their weights uploaded in the kernel's layout) and buffer copies; a dispatch the device
//! cannot bind is an error naming the layer. The convolutions are in `conv.rs`, the layers
//! without weights in `elementwise.rs`, `[local]` in `local.rs`.

use super::super::context::GpuContext;
use super::super::kernels::{
    ConvParams, EwParams, Kernel, PoolParams, Precision, Variant, activation_id, ew_binding,
    normalization, pool_binding,
};
use super::choice::{Baseline, ConvChoice};
use super::layouts::Uploads;
use super::plan::Plan;
use super::view::{Command, View, WG, linear_groups, storage, stored, upload};
use crate::backend::BackendError;
use crate::backend::Model;
use crate::kinds::{LayerKind, Pool, Src};
use crate::vocab::activation::Activation;
use crate::vocab::shape::LayerShape;
use crate::weights::{Weights, fused_batchnorm, fused_connected};

/// What one layer was recorded as.
pub(super) struct Recorded {
    /// Its commands, in order.
    pub(super) commands: Vec<Command>,
    /// The split-K count its ungrouped convolution got (1: not split, or none).
    pub(super) splits: usize,
}

/// Records layers against one plan's buffers.
pub(super) struct Recorder<'p> {
    pub(super) ctx: &'p GpuContext,
    pub(super) plan: &'p Plan,
    /// Where each layer's output lives.
    pub(super) outputs: &'p [View],
    /// The network's input.
    pub(super) input: &'p View,
    /// The yolo head fused into each convolution (`plan::fused_heads`, as placed).
    pub(super) heads: &'p [Option<usize>],
    /// Weight buffers by layout, shared with earlier builds of the same network.
    pub(super) uploads: Uploads,
    /// A benchmark baseline every ungrouped convolution runs instead of its choice.
    pub(super) baseline: Option<Baseline>,
    /// How values are stored.
    pub(super) precision: Precision,
    /// What the GEMM kernels accumulate in.
    pub(super) accumulate: super::super::kernels::Accumulate,
    /// The split-K size rule's threshold (invocations).
    pub(super) split_below: usize,
    /// Bytes of the weight buffers this build binds (each upload counted once).
    pub(super) weight_bytes: u64,
    /// The cached uploads this build binds (counted in `weight_bytes`).
    pub(super) bound: std::collections::HashSet<(usize, usize, super::layouts::Layout)>,
    /// The layer being recorded.
    pub(super) at: At,
    /// The second place of the layer's convolution (`Plan::second`), taken by the first
    /// convolution it records.
    pub(super) second_place: Option<View>,
}

/// The layer being recorded and what it asked for.
#[derive(Debug, Clone, Copy)]
pub(super) struct At {
    pub(super) layer: usize,
    pub(super) kind: &'static str,
    /// Its ungrouped convolution's kernel and split-K count.
    pub(super) choice: ConvChoice,
    /// Convolutions recorded in it so far (the upload cache's second key).
    pub(super) convs: usize,
    /// The split-K count its ungrouped convolution got.
    pub(super) splits: usize,
}

impl Recorder<'_> {
    /// Records layer `i` with `choice` for its ungrouped convolution.
    pub(super) fn layer(
        &mut self,
        a: Model<'_>,
        w: &Weights,
        i: usize,
        choice: ConvChoice,
    ) -> Result<Recorded, BackendError> {
        self.second_place = None;
        self.at = At {
            layer: i,
            kind: a.network.layers[i].kind.type_name(),
            choice,
            convs: 0,
            splits: 1,
        };
        let commands = self.record(a, w, i)?;
        Ok(Recorded {
            commands,
            splits: self.at.splits,
        })
    }

    fn unsupported(&self) -> BackendError {
        BackendError::Unsupported {
            layer: self.at.layer,
            kind: self.at.kind,
        }
    }

    fn record(
        &mut self,
        a: Model<'_>,
        w: &Weights,
        i: usize,
    ) -> Result<Vec<Command>, BackendError> {
        let layer = &a.network.layers[i];
        let s = a.shapes.layers[i];
        let prev = self.src_view(layer.inputs.first().copied().unwrap_or(Src::Image));
        let out = self.outputs[i].clone();
        Ok(match &layer.kind {
            LayerKind::Convolutional(c) => self.convolutional(a, w, i, c, &prev)?,
            // fused into the convolution before it
            LayerKind::Maxpool(_) if self.plan.pools.contains(&Some(i)) => Vec::new(),
            LayerKind::Maxpool(pl) | LayerKind::LocalAvgpool(pl) => {
                let avg = matches!(layer.kind, LayerKind::LocalAvgpool(_));
                let (host, target) = self.before_blur(&s, pl.antialiasing, &out);
                let blurred = s.pre_blur.is_some();
                let unblurred = Pool {
                    stride_x: if blurred { 1 } else { pl.stride_x },
                    stride_y: if blurred { 1 } else { pl.stride_y },
                    ..pl.clone()
                };
                let mut cmds = vec![self.pool(&unblurred, avg, &host, &prev, &target)?];
                let stride = (pl.stride_x, pl.stride_y);
                cmds.extend(self.blur(pl.antialiasing, stride, &host, &target, &out, &s)?);
                cmds
            }
            LayerKind::Avgpool(_) => {
                let params = PoolParams {
                    c: s.input.c as u32,
                    in_h: s.input.h as u32,
                    in_w: s.input.w as u32,
                    ..Default::default()
                };
                vec![self.dispatch(
                    Kernel::AvgGlobal,
                    0,
                    bytemuck::bytes_of(&params),
                    &[(pool_binding::INPUT, &prev), (pool_binding::OUTPUT, &out)],
                    linear_groups(s.input.c),
                )?]
            }
            LayerKind::Connected(c) => {
                // darknet's connected layer applies activations element-wise only
                let act = activation_id(c.activation).unwrap_or(0);
                let fused = fused_connected(w, i, s.inputs).ok_or_else(|| self.unsupported())?;
                let geo = ConvParams {
                    in_c: s.inputs as u32,
                    out_c: c.output as u32,
                    ..pointwise(1, 1)
                };
                self.conv(act, &fused, geo, &prev, &out)?
            }
            LayerKind::Batchnorm(_) => match fused_batchnorm(w, i) {
                // without its statistics the layer passes its input on (as the CPU backend)
                None => vec![self.copy(&prev.prefix(out.bytes), &out)?],
                Some(fused) => {
                    let c = s.output.c as u32;
                    let geo = ConvParams {
                        in_c: c,
                        out_c: c,
                        groups: c,
                        ..pointwise(s.output.h as u32, s.output.w as u32)
                    };
                    self.conv(0, &fused, geo, &prev, &out)?
                }
            },
            LayerKind::Route(r) => self.route(a, i, r)?,
            LayerKind::Shortcut(sc) => self.shortcut(a, w, i, sc, &prev)?,
            // fused into the convolution before it
            LayerKind::Yolo(_) if self.heads.contains(&Some(i)) => Vec::new(),
            LayerKind::Yolo(y) => self.yolo(y, &s, &prev, &out)?,
            LayerKind::Local(l) => self.local(a, w, i, l, &prev)?,
            LayerKind::Implicit { .. } => {
                let values = w
                    .slice(&w.layers[i].weights)
                    .filter(|v| v.len() * 4 >= out.bytes as usize)
                    .ok_or(BackendError::MissingWeights {
                        layer: i,
                        what: "values",
                    })?;
                let usage = wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::STORAGE;
                let constant = self.upload_values("implicit", values, usage);
                vec![self.copy(&constant.prefix(out.bytes), &out)?]
            }
            LayerKind::Dropout(_)
            | LayerKind::Empty(_)
            | LayerKind::Cost(_)
            | LayerKind::Contrastive(_) => vec![self.copy(&prev.prefix(out.bytes), &out)?],
            kind @ (LayerKind::Upsample(_)
            | LayerKind::ScaleChannels(_)
            | LayerKind::Sam(_)
            | LayerKind::Softmax(_)
            | LayerKind::Reorg(_)
            | LayerKind::Reorg3d(_)
            | LayerKind::Region(_)
            | LayerKind::Crop(_)
            | LayerKind::Activation(_)) => self
                .elementwise(a, i, kind, &prev)?
                .ok_or_else(|| self.unsupported())?,
            // Gaussian_yolo lays its entries out differently (σ per coordinate); the rest
            // are kinds the CPU backend does not run either
            LayerKind::GaussianYolo(_)
            | LayerKind::Detection(_)
            | LayerKind::Rnn(_)
            | LayerKind::Lstm(_)
            | LayerKind::Gru(_)
            | LayerKind::Crnn(_)
            | LayerKind::ConvLstm(_)
            | LayerKind::Deconvolutional(_)
            | LayerKind::Normalization(_)
            | LayerKind::L2norm(_) => return Err(self.unsupported()),
        })
    }

    /// A dispatch binding `(binding, buffer)` pairs plus the uniform at binding 0; an error
    /// naming the layer when a buffer is larger than the device binds.
    pub(super) fn dispatch(
        &self,
        kernel: Kernel,
        act: u32,
        params: &[u8],
        bufs: &[(u32, &View)],
        groups: [u32; 3],
    ) -> Result<Command, BackendError> {
        let limit = self.ctx.device.limits().max_storage_buffer_binding_size;
        if let Some(big) = bufs
            .iter()
            .map(|(_, v)| v.bytes)
            .filter(|&b| b > limit)
            .max()
        {
            return Err(BackendError::DeviceLimit {
                layer: self.at.layer,
                detail: format!(
                    "({}) reads or writes {:.1} MB in one buffer; this GPU binds at most {:.1} MB",
                    self.at.kind,
                    big as f64 / 1e6,
                    limit as f64 / 1e6
                ),
            });
        }
        let uniform = upload(self.ctx, "params", params, wgpu::BufferUsages::UNIFORM);
        // compiled once per device, shared by every network built on it
        let pipeline = self.ctx.pipeline(Variant {
            kernel,
            act,
            wg: WG,
            precision: self.precision,
            accumulate: self.accumulate,
        });
        let layout = pipeline.get_bind_group_layout(0);
        // binding 0 is every family's uniform `p`
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
        Ok(Command::Dispatch {
            pipeline,
            bind,
            groups,
        })
    }

    /// `values` in a buffer of their own, stored at the build's precision.
    pub(super) fn upload_values(
        &mut self,
        label: &str,
        values: &[f32],
        usage: wgpu::BufferUsages,
    ) -> View {
        let bytes = stored(values, self.precision);
        let view = upload(self.ctx, label, &bytes, usage);
        self.weight_bytes += view.bytes;
        view.prefix(values.len() as u64 * self.precision.bytes())
    }

    /// A copy of `src` into `dst` (as many bytes as the smaller holds): a buffer copy where
    /// both offsets and the size are whole 4-byte words, else (f16) the `copy_values` kernel.
    pub(super) fn copy(&self, src: &View, dst: &View) -> Result<Command, BackendError> {
        let bytes = src.bytes.min(dst.bytes);
        if (src.offset | dst.offset | bytes).is_multiple_of(4) {
            return Ok(Command::Copy {
                src: src.prefix(bytes),
                dst: dst.prefix(bytes),
            });
        }
        let elem = self.precision.bytes();
        let (input, in_offset) = self.aligned(src);
        let (output, out_offset) = self.aligned(dst);
        let params = EwParams {
            n: (bytes / elem) as u32,
            in_offset: (in_offset / elem) as u32,
            out_offset: (out_offset / elem) as u32,
            ..Default::default()
        };
        self.dispatch(
            Kernel::CopyValues,
            0,
            bytemuck::bytes_of(&params),
            &[(ew_binding::INPUT, &input), (ew_binding::OUTPUT, &output)],
            linear_groups(params.n as usize),
        )
    }

    /// Zeros over `dst`: a buffer clear where its offset and size are whole 4-byte words,
    /// else (f16) the `zero_values` kernel.
    pub(super) fn clear(&self, dst: &View) -> Result<Command, BackendError> {
        if (dst.offset | dst.bytes).is_multiple_of(4) {
            return Ok(Command::Clear { dst: dst.clone() });
        }
        let elem = self.precision.bytes();
        let (output, out_offset) = self.aligned(dst);
        let params = EwParams {
            n: (dst.bytes / elem) as u32,
            out_offset: (out_offset / elem) as u32,
            ..Default::default()
        };
        self.dispatch(
            Kernel::ZeroValues,
            0,
            bytemuck::bytes_of(&params),
            &[(ew_binding::OUTPUT, &output)],
            linear_groups(params.n as usize),
        )
    }

    /// `view` widened to start at the device's storage-offset alignment below it (a binding
    /// must start there), and `view`'s offset in bytes within the widened one.
    fn aligned(&self, view: &View) -> (View, u64) {
        let align = u64::from(self.ctx.device.limits().min_storage_buffer_offset_alignment);
        let base = view.offset - view.offset % align.max(4);
        let widened = View {
            buffer: view.buffer.clone(),
            offset: base,
            bytes: view.offset + view.bytes - base,
        };
        (widened, view.offset - base)
    }

    pub(super) fn src_view(&self, src: Src) -> View {
        match src {
            Src::Image => self.input.clone(),
            Src::Layer(j) => self.outputs[j].clone(),
        }
    }

    /// The activation a kernel fuses (its `ACT`) and, for the normalize_channels family, the
    /// dispatch after it that normalises across channels.
    pub(super) fn epilogue(
        &self,
        act: Activation,
        out: &View,
        s: &LayerShape,
    ) -> Result<(u32, Vec<Command>), BackendError> {
        let Some(flag) = normalization(act) else {
            return Ok((activation_id(act).unwrap_or(0), Vec::new()));
        };
        let (h, w) = if s.output.is_image() {
            (s.output.h, s.output.w)
        } else {
            (1, 1)
        };
        let params = EwParams {
            n: s.outputs as u32,
            h: h as u32,
            w: w as u32,
            flag,
            ..Default::default()
        };
        let norm = self.dispatch(
            Kernel::NormalizeChannels,
            0,
            bytemuck::bytes_of(&params),
            &[(ew_binding::OUTPUT, out)],
            linear_groups(h * w),
        )?;
        Ok((0, vec![norm]))
    }

    /// A layer with antialiasing computes at stride 1 into a buffer of its own (shape
    /// `pre_blur`) that the blur then reads; without it, its output directly.
    pub(super) fn before_blur(
        &self,
        s: &LayerShape,
        antialiasing: usize,
        out: &View,
    ) -> (LayerShape, View) {
        match (antialiasing, s.pre_blur) {
            (1.., Some(host)) => {
                let floats = host.c * host.h * host.w;
                let shape = LayerShape {
                    output: host,
                    outputs: floats,
                    ..*s
                };
                (
                    shape,
                    View::whole(storage(
                        self.ctx,
                        "before the blur",
                        floats as u64 * self.precision.bytes(),
                    )),
                )
            }
            _ => (*s, out.clone()),
        }
    }

    /// darknet's antialiasing blur ([`crate::weights::blur`]) from the stride-1 result
    /// `input` (shape `host`) into the layer's output `out` at the layer's `stride`; nothing
    /// without antialiasing.
    pub(super) fn blur(
        &mut self,
        kind: usize,
        stride: (usize, usize),
        host: &LayerShape,
        input: &View,
        out: &View,
        s: &LayerShape,
    ) -> Result<Vec<Command>, BackendError> {
        if kind == 0 || s.pre_blur.is_none() {
            return Ok(Vec::new());
        }
        let c = host.output.c;
        let (size, pad, fused) = crate::weights::blur(kind, c);
        let geo = ConvParams {
            in_c: c as u32,
            in_h: host.output.h as u32,
            in_w: host.output.w as u32,
            out_c: c as u32,
            out_h: s.output.h as u32,
            out_w: s.output.w as u32,
            size: size as u32,
            stride_x: stride.0 as u32,
            stride_y: stride.1 as u32,
            pad: pad as u32,
            dilation: 1,
            groups: c as u32,
            ..Default::default()
        };
        self.conv(0, &fused, geo, input, out)
    }

    /// Max or local-average pooling, or `maxpool_depth` (the maximum across channel groups).
    fn pool(
        &self,
        pl: &Pool,
        avg: bool,
        s: &LayerShape,
        input: &View,
        out: &View,
    ) -> Result<Command, BackendError> {
        let params = PoolParams {
            c: s.output.c as u32,
            in_c: s.input.c as u32,
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
        let kernel = match (avg, pl.maxpool_depth) {
            (true, _) => Kernel::AvgPool,
            (false, true) => Kernel::MaxDepth,
            (false, false) => Kernel::MaxPool,
        };
        let groups = [
            ((s.output.h * s.output.w) as u32).div_ceil(WG),
            s.output.c as u32,
            1,
        ];
        self.dispatch(
            kernel,
            0,
            bytemuck::bytes_of(&params),
            &[(pool_binding::INPUT, input), (pool_binding::OUTPUT, out)],
            groups,
        )
    }
}

/// A 1×1, stride-1, ungrouped convolution's parameters over an `h` × `w` plane (channels
/// left for the caller).
fn pointwise(h: u32, w: u32) -> ConvParams {
    ConvParams {
        in_h: h,
        in_w: w,
        out_h: h,
        out_w: w,
        size: 1,
        stride_x: 1,
        stride_y: 1,
        dilation: 1,
        groups: 1,
        ..Default::default()
    }
}
