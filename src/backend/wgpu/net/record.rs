//! Per-layer recording: each layer kind becomes dispatches of the shader kernels (with their
//! weights uploaded in the kernel's layout) and buffer copies.

use super::*;

impl GpuNet {
    pub(super) fn record(
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
        let prev = self.src_view(layer.inputs.first().copied().unwrap_or(Src::Image));
        let out = self.outputs[i].clone();
        let copy_prev = Command::Copy {
            src: prev.prefix(out.bytes),
            dst: out.clone(),
        };
        Ok(match &layer.kind {
            LayerKind::Convolutional(c) => {
                if c.xnor {
                    return Err(BackendError::Unsupported {
                        layer: i,
                        kind: "XNOR convolutional",
                    });
                }
                if let Some(reason) = crate::shape::share_mismatch(&a.network, &a.shapes, i) {
                    return Err(BackendError::Invalid { layer: i, reason });
                }
                let fused = fused_conv(w, c.share_index.unwrap_or(i)).ok_or_else(unsupported)?;
                // a fused yolo head (the plan placed this output in the head's region)
                let head = self.heads[i].map(|k| &a.network.layers[k].kind);
                // with antialiasing: at stride 1 into a buffer of its own, then the blur
                let (host, target) = self.before_blur(&s, c.antialiasing, &out);
                let (sx, sy) = match s.pre_blur {
                    None => (c.stride_x, c.stride_y),
                    Some(_) => (1, 1),
                };
                let geo = ConvParams {
                    in_c: s.input.c as u32,
                    in_h: s.input.h as u32,
                    in_w: s.input.w as u32,
                    out_c: c.filters as u32,
                    out_h: host.output.h as u32,
                    out_w: host.output.w as u32,
                    size: c.size as u32,
                    stride_x: sx as u32,
                    stride_y: sy as u32,
                    pad: c.padding as u32,
                    dilation: c.dilation as u32,
                    groups: c.groups as u32,
                    ..head_params(head)
                };
                let (act, post) = self.epilogue(c.activation, &target, &host);
                let mut cmds = self.conv(act, &fused, geo, &prev, &target);
                cmds.extend(post);
                let stride = (c.stride_x, c.stride_y);
                cmds.extend(self.blur(c.antialiasing, stride, &host, &target, &out, &s));
                cmds
            }
            LayerKind::Maxpool(pl) | LayerKind::LocalAvgpool(pl) => {
                let avg = matches!(layer.kind, LayerKind::LocalAvgpool(_));
                let (host, target) = self.before_blur(&s, pl.antialiasing, &out);
                let blurred = s.pre_blur.is_some();
                let unblurred = crate::network::Pool {
                    stride_x: if blurred { 1 } else { pl.stride_x },
                    stride_y: if blurred { 1 } else { pl.stride_y },
                    ..pl.clone()
                };
                let mut cmds = vec![self.pool(&unblurred, avg, &host, &prev, &target)];
                let stride = (pl.stride_x, pl.stride_y);
                cmds.extend(self.blur(pl.antialiasing, stride, &host, &target, &out, &s));
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
                    &[(1, &prev), (2, &out)],
                    linear_groups(s.input.c),
                )]
            }
            LayerKind::Connected(c) => {
                // darknet's connected layer applies activations element-wise only
                let act = activation_id(c.activation).unwrap_or(0);
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
                self.conv(act, &fused, geo, &prev, &out)
            }
            LayerKind::Batchnorm(_) => match fused_batchnorm(w, i) {
                // without its statistics the layer passes its input on (as the CPU backend)
                None => vec![copy_prev],
                Some(fused) => {
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
                    self.conv(0, &fused, geo, &prev, &out)
                }
            },
            LayerKind::Route(r) => self.route(a, i, r),
            LayerKind::Shortcut(sc) => self.shortcut(a, w, i, sc, &prev),
            // fused into the convolution before it
            LayerKind::Yolo(_) if self.heads.contains(&Some(i)) => Vec::new(),
            LayerKind::Yolo(y) => self.yolo(y, &s, &prev, &out),
            LayerKind::Local(l) => self.local(a, w, i, l, &prev)?,
            LayerKind::Implicit { .. } => {
                let values = w
                    .slice(&w.layers[i].weights)
                    .filter(|v| v.len() * 4 >= out.bytes as usize)
                    .ok_or(BackendError::MissingWeights {
                        layer: i,
                        what: "values",
                    })?;
                let constant = upload(
                    &self.ctx,
                    "implicit",
                    bytemuck::cast_slice(values),
                    wgpu::BufferUsages::COPY_SRC,
                );
                vec![Command::Copy {
                    src: constant,
                    dst: out,
                }]
            }
            LayerKind::Dropout(_)
            | LayerKind::Empty(_)
            | LayerKind::Cost(_)
            | LayerKind::Contrastive(_) => vec![copy_prev],
            kind @ (LayerKind::Upsample(_)
            | LayerKind::ScaleChannels(_)
            | LayerKind::Sam(_)
            | LayerKind::Softmax(_)
            | LayerKind::Reorg(_)
            | LayerKind::Reorg3d(_)
            | LayerKind::Region(_)
            | LayerKind::Crop(_)
            | LayerKind::Activation(_)) => self
                .elementwise(a, i, kind, &prev, copy_prev)
                .ok_or_else(unsupported)?,
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
            | LayerKind::L2norm(_) => return Err(unsupported()),
        })
    }

    /// The activation a kernel fuses (its `ACT`) and, for the normalize_channels family, the
    /// dispatch after it that normalises across channels.
    pub(super) fn epilogue(
        &mut self,
        act: Activation,
        out: &View,
        s: &LayerShape,
    ) -> (u32, Vec<Command>) {
        let Some(flag) = normalization(act) else {
            return (activation_id(act).unwrap_or(0), Vec::new());
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
            &[(2, out)],
            linear_groups(h * w),
        );
        (0, vec![norm])
    }

    /// A layer with antialiasing computes at stride 1 into a buffer of its own (shape
    /// `pre_blur`) that the blur then reads; without it, its output directly.
    fn before_blur(&self, s: &LayerShape, antialiasing: usize, out: &View) -> (LayerShape, View) {
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
                    View::whole(storage(&self.ctx, "before the blur", floats)),
                )
            }
            _ => (*s, out.clone()),
        }
    }

    /// darknet's antialiasing blur ([`crate::weights::blur`]) from the stride-1 result
    /// `input` (shape `host`) into the layer's output `out` at the layer's `stride`; nothing
    /// without antialiasing.
    fn blur(
        &mut self,
        kind: usize,
        stride: (usize, usize),
        host: &LayerShape,
        input: &View,
        out: &View,
        s: &LayerShape,
    ) -> Vec<Command> {
        if kind == 0 || s.pre_blur.is_none() {
            return Vec::new();
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
        &mut self,
        pl: &crate::network::Pool,
        avg: bool,
        s: &LayerShape,
        input: &View,
        out: &View,
    ) -> Command {
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
            &[(1, input), (2, out)],
            groups,
        )
    }
}

/// The convolution parameters of a fused yolo head (`kind`), none without one.
fn head_params(kind: Option<&LayerKind>) -> ConvParams {
    match kind {
        Some(LayerKind::Yolo(y)) => ConvParams {
            head_per: (y.classes + 5) as u32,
            head_new_coords: y.new_coords as u32,
            head_scale_x_y: y.scale_x_y,
            ..Default::default()
        },
        _ => ConvParams::default(),
    }
}
