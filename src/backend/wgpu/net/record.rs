//! Per-layer recording: each layer kind becomes dispatches of the shader kernels (with their
//! weights uploaded in the kernel's layout) and buffer copies.

use super::*;

impl GpuNet {
    /// The dispatch of one convolution (or a connected / batchnorm layer expressed as one):
    /// weights laid out for the kernel, biases padded to vec4 blocks.
    pub(super) fn conv(
        &mut self,
        act: u32,
        fused: &crate::weights::FusedConv,
        geo: ConvParams,
        input: &View,
        out: &View,
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
            let partial = View::whole(storage(
                &self.ctx,
                "split-K partials",
                splits * f * s_out.0 * s_out.1,
            ));
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
                if c.antialiasing > 0 || c.xnor {
                    return Err(unsupported());
                }
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
                let (act, post) = self.epilogue(c.activation, &out, &s);
                let mut cmds = self.conv(act, &fused, geo, &prev, &out);
                cmds.extend(post);
                cmds
            }
            LayerKind::Maxpool(pl) if pl.antialiasing > 0 => return Err(unsupported()),
            LayerKind::Maxpool(pl) | LayerKind::LocalAvgpool(pl) => {
                let avg = matches!(layer.kind, LayerKind::LocalAvgpool(_));
                vec![self.pool(pl, avg, &s, &prev, &out)]
            }
            LayerKind::Avgpool => {
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
            LayerKind::Batchnorm => match fused_batchnorm(w, i) {
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
            LayerKind::Yolo(y) => self.yolo(y, &s, &prev, &out),
            LayerKind::Implicit { .. } => {
                let values = w.slice(&w.layers[i].weights);
                if values.len() * 4 < out.bytes as usize {
                    return Err(unsupported());
                }
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
            LayerKind::Dropout { .. }
            | LayerKind::Empty
            | LayerKind::Cost { .. }
            | LayerKind::Contrastive { .. } => vec![copy_prev],
            kind => self
                .elementwise(a, i, kind, &prev, copy_prev)
                .ok_or_else(unsupported)?,
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
