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
