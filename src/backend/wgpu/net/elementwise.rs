//! Recording of the layers without convolution weights: routes (views, in-place writes or
//! copies), shortcuts, the heads and the element-wise layers of elementwise.wgsl.

use super::super::kernels::{EwParams, Kernel, ew_binding as bind};
use super::recorder::Recorder;
use super::view::{Command, View, linear_groups};
use crate::backend::BackendError;
use crate::backend::Model;
use crate::kinds::{LayerKind, Route, Shortcut, WeightsType, Yolo};
use crate::vocab::shape::LayerShape;
use crate::weights::Weights;

impl Recorder<'_> {
    /// A route: nothing when it is a view or all its inputs were written into it, else a copy
    /// of each input (or its group slice) that was not.
    pub(super) fn route(
        &self,
        a: Model<'_>,
        i: usize,
        r: &Route,
    ) -> Result<Vec<Command>, BackendError> {
        if self.plan.is_view(a, i) {
            return Ok(Vec::new());
        }
        let out = &self.outputs[i];
        let mut at = 0u64;
        let mut cmds = Vec::new();
        for &j in &r.layers {
            let part =
                (a.shapes.layers[j].outputs / r.groups.max(1)) as u64 * self.precision.bytes();
            // in place, or stored there a second time by its convolution: nothing to copy
            let second = self.plan.second[j] == Some((i, at));
            if !self.plan.writes_in_place(j, i) && !second {
                let src = self.outputs[j].slice(part * r.group_id as u64, part);
                cmds.push(self.copy(&src, &out.slice(at, part))?);
            }
            at += part;
        }
        Ok(cmds)
    }

    /// A shortcut: the first operand (weighted, or summed with the first `from` of the same
    /// size without a copy), each further `from` added (resampled when its W×H differs, as
    /// darknet's shortcut_cpu), then the activation unless a kernel fused it.
    pub(super) fn shortcut(
        &mut self,
        a: Model<'_>,
        w: &Weights,
        i: usize,
        sc: &Shortcut,
        prev: &View,
    ) -> Result<Vec<Command>, BackendError> {
        let s = a.shapes.layers[i];
        let out = self.outputs[i].clone();
        let raw = w.slice(&w.layers[i].weights).unwrap_or_default();
        let weights = shortcut_weights(sc, raw, s.output.c);
        let (act, post) = self.epilogue(sc.activation, &out, &s)?;
        let dims = output_dims(&s);
        let same = |j: usize| {
            let fs = a.shapes.layers[j].output;
            (fs.w, fs.h) == (s.output.w, s.output.h)
        };
        let per = weights
            .as_ref()
            .map_or(0, |ws| ws.len() / (sc.from.len() + 1));
        let term = |k: usize| weights.as_ref().map(|ws| &ws[k * per..(k + 1) * per]);
        let mut cmds = Vec::new();
        let mut fused = false;
        let mut rest = &sc.from[..];
        match (term(0), sc.from.first()) {
            (None, Some(&j)) if same(j) => {
                // out = prev + from₀ in one pass (the activation too when nothing follows)
                fused = sc.from.len() == 1;
                let params = EwParams {
                    from_len: a.shapes.layers[j].outputs as u32,
                    ..dims
                };
                let from = self.outputs[j].clone();
                cmds.push(self.dispatch(
                    Kernel::ShortcutSum,
                    if fused { act } else { 0 },
                    bytemuck::bytes_of(&params),
                    &[
                        (bind::INPUT, prev),
                        (bind::OUTPUT, &out),
                        (bind::SECOND, &from),
                    ],
                    linear_groups(s.outputs),
                )?);
                rest = &sc.from[1..];
            }
            (None, _) => cmds.push(self.copy(&prev.prefix(out.bytes), &out)?),
            (Some(own), _) => {
                cmds.push(self.weighted(Kernel::ScaleByChannel, prev, &out, own, dims)?);
            }
        }
        let first = sc.from.len() - rest.len();
        for (k, &j) in rest.iter().enumerate() {
            cmds.push(self.add_term(a, j, &out, dims, term(first + k + 1))?);
        }
        if act != 0 && !fused {
            cmds.push(self.activate(act, &out, dims)?);
        }
        cmds.extend(post);
        Ok(cmds)
    }

    /// `out += from` for one shortcut input: plain, weighted per feature or channel, or
    /// resampled for another W×H (unweighted, as darknet).
    fn add_term(
        &mut self,
        a: Model<'_>,
        j: usize,
        out: &View,
        dims: EwParams,
        weights: Option<&[f32]>,
    ) -> Result<Command, BackendError> {
        let fs = a.shapes.layers[j];
        let from = self.outputs[j].clone();
        let params = EwParams {
            from_len: fs.outputs as u32,
            ..dims
        };
        if (fs.output.w, fs.output.h) != (dims.w as usize, dims.h as usize) {
            let (w1, h1, c1) = (fs.output.w, fs.output.h, fs.output.c);
            let (minw, minh) = (w1.min(dims.w as usize), h1.min(dims.h as usize));
            let params = EwParams {
                in_c: c1 as u32,
                in_h: h1 as u32,
                in_w: w1 as u32,
                ..params
            };
            return self.dispatch(
                Kernel::ShortcutResampled,
                0,
                bytemuck::bytes_of(&params),
                &[(bind::INPUT, &from), (bind::OUTPUT, out)],
                linear_groups(minw * minh * c1.min(dims.c as usize)),
            );
        }
        match weights {
            None => self.dispatch(
                Kernel::ShortcutAdd,
                0,
                bytemuck::bytes_of(&params),
                &[(bind::INPUT, &from), (bind::OUTPUT, out)],
                linear_groups(dims.n as usize),
            ),
            Some(part) => self.weighted(Kernel::AxpyChannel, &from, out, part, params),
        }
    }

    /// The element-wise activation `id` over `out` in place (`dims.n` values).
    fn activate(&self, id: u32, out: &View, dims: EwParams) -> Result<Command, BackendError> {
        self.dispatch(
            Kernel::Activate,
            id,
            bytemuck::bytes_of(&dims),
            &[(bind::OUTPUT, out)],
            linear_groups(dims.n as usize),
        )
    }

    /// A weighted shortcut term (`ScaleByChannel` for the layer's own input, `AxpyChannel`
    /// for each `from`): one weight per input or per channel, `c` of them.
    fn weighted(
        &mut self,
        kernel: Kernel,
        input: &View,
        out: &View,
        weights: &[f32],
        params: EwParams,
    ) -> Result<Command, BackendError> {
        let wb = self.upload_values("shortcut weights", weights, STORAGE);
        let params = EwParams {
            c: weights.len() as u32,
            ..params
        };
        self.dispatch(
            kernel,
            0,
            bytemuck::bytes_of(&params),
            &[
                (bind::INPUT, input),
                (bind::OUTPUT, out),
                (bind::SECOND, &wb),
            ],
            linear_groups(params.n as usize),
        )
    }

    /// The yolo head's activation.
    pub(super) fn yolo(
        &self,
        y: &Yolo,
        s: &LayerShape,
        prev: &View,
        out: &View,
    ) -> Result<Vec<Command>, BackendError> {
        let params = EwParams {
            n: s.outputs as u32,
            h: s.output.h as u32,
            w: s.output.w as u32,
            per: (y.classes + 5) as u32,
            new_coords: y.new_coords as u32,
            scale_x_y: y.scale_x_y,
            ..Default::default()
        };
        Ok(vec![self.dispatch(
            Kernel::Yolo,
            0,
            bytemuck::bytes_of(&params),
            &[(bind::INPUT, prev), (bind::OUTPUT, out)],
            linear_groups(s.outputs),
        )?])
    }

    /// The one-kernel layers of elementwise.wgsl; `None` for a kind the GPU does not run.
    pub(super) fn elementwise(
        &self,
        a: Model<'_>,
        i: usize,
        kind: &LayerKind,
        prev: &View,
    ) -> Result<Option<Vec<Command>>, BackendError> {
        let s = a.shapes.layers[i];
        let out = self.outputs[i].clone();
        let dims = output_dims(&s);
        let (kernel, act, params, second, threads, mut post) = match kind {
            LayerKind::Upsample(u) => {
                let params = EwParams {
                    stride: u.stride.unsigned_abs() as u32,
                    scale: u.scale,
                    ..dims
                };
                let kernel = if u.stride > 0 {
                    Kernel::Upsample
                } else {
                    Kernel::Downsample
                };
                (kernel, 0, params, None, s.outputs, Vec::new())
            }
            LayerKind::ScaleChannels(sc) | LayerKind::Sam(sc) => {
                let (act, post) = self.epilogue(sc.activation, &out, &s)?;
                let kernel = if matches!(kind, LayerKind::Sam(_)) {
                    Kernel::Sam
                } else {
                    Kernel::ScaleChannels
                };
                let params = EwParams {
                    flag: sc.scale_wh as u32,
                    ..dims
                };
                let from = self.outputs[sc.from].clone();
                (kernel, act, params, Some(from), s.outputs, post)
            }
            LayerKind::Softmax(sm) => {
                let params = EwParams {
                    groups: sm.groups as u32,
                    scale: sm.temperature,
                    ..dims
                };
                (Kernel::Softmax, 0, params, None, sm.groups, Vec::new())
            }
            LayerKind::Reorg(r) | LayerKind::Reorg3d(r) => {
                // the dims darknet passes to reorg_cpu: the input's for [reorg], the output's
                // for [reorg3d]; the kernel writes only part of the output, so it is cleared
                let old = matches!(kind, LayerKind::Reorg(_));
                let d = if old { s.input } else { s.output };
                let params = EwParams {
                    n: (d.w * d.h * d.c) as u32,
                    c: d.c as u32,
                    h: d.h as u32,
                    w: d.w as u32,
                    stride: r.stride as u32,
                    flag: r.reverse as u32,
                    from_len: s.outputs as u32,
                    groups: s.inputs as u32,
                    ..Default::default()
                };
                let clear = self.clear(&out)?;
                let run = self.dispatch(
                    Kernel::Reorg,
                    0,
                    bytemuck::bytes_of(&params),
                    &[(bind::INPUT, prev), (bind::OUTPUT, &out)],
                    linear_groups(d.w * d.h * d.c),
                )?;
                return Ok(Some(vec![clear, run]));
            }
            LayerKind::Region(r) => {
                let params = EwParams {
                    stride: r.num as u32,
                    per: (r.classes + r.coords + 1) as u32,
                    coords: r.coords as u32,
                    groups: r.classes as u32,
                    flag: r.softmax as u32,
                    ..dims
                };
                let cells = r.num * s.output.h * s.output.w;
                (Kernel::Region, 0, params, None, cells, Vec::new())
            }
            LayerKind::Crop(_) => {
                let params = EwParams {
                    in_c: s.input.c as u32,
                    in_h: s.input.h as u32,
                    in_w: s.input.w as u32,
                    ..dims
                };
                (Kernel::Crop, 0, params, None, s.outputs, Vec::new())
            }
            LayerKind::Activation(act) => {
                let (id, post) = self.epilogue(act.activation, &out, &s)?;
                let mut cmds = vec![self.copy(&prev.prefix(out.bytes), &out)?];
                if id != 0 {
                    cmds.push(self.activate(id, &out, dims)?);
                }
                cmds.extend(post);
                return Ok(Some(cmds));
            }
            // recorded by `record` itself, or not run on the GPU
            LayerKind::Convolutional(_)
            | LayerKind::Route(_)
            | LayerKind::Shortcut(_)
            | LayerKind::Maxpool(_)
            | LayerKind::LocalAvgpool(_)
            | LayerKind::Avgpool(_)
            | LayerKind::Yolo(_)
            | LayerKind::GaussianYolo(_)
            | LayerKind::Detection(_)
            | LayerKind::Connected(_)
            | LayerKind::Dropout(_)
            | LayerKind::Cost(_)
            | LayerKind::Batchnorm(_)
            | LayerKind::Implicit(_)
            | LayerKind::Contrastive(_)
            | LayerKind::Empty(_)
            | LayerKind::Rnn(_)
            | LayerKind::Lstm(_)
            | LayerKind::Gru(_)
            | LayerKind::Crnn(_)
            | LayerKind::ConvLstm(_)
            | LayerKind::Deconvolutional(_)
            | LayerKind::Local(_)
            | LayerKind::Normalization(_)
            | LayerKind::L2norm(_) => return Ok(None),
        };
        // `second` only for the kernels that read a second operand (pipeline layouts hold
        // only the bindings an entry point uses)
        let mut bufs = vec![(bind::INPUT, prev), (bind::OUTPUT, &out)];
        if let Some(second) = &second {
            bufs.push((bind::SECOND, second));
        }
        let run = self.dispatch(
            kernel,
            act,
            bytemuck::bytes_of(&params),
            &bufs,
            linear_groups(threads),
        )?;
        post.insert(0, run);
        Ok(Some(post))
    }
}

/// The element-wise kernels' parameters for a layer's output: values, channels, height, width.
pub(super) fn output_dims(s: &LayerShape) -> EwParams {
    EwParams {
        n: s.outputs as u32,
        c: s.output.c as u32,
        h: s.output.h as u32,
        w: s.output.w as u32,
        ..Default::default()
    }
}

const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE;

/// A weighted shortcut's weights after darknet's normalisation (relu or softmax across the
/// n + 1 inputs, per feature or per channel), input-major `[input][channel]`; `None` for an
/// unweighted shortcut.
fn shortcut_weights(sc: &crate::kinds::Shortcut, raw: &[f32], channels: usize) -> Option<Vec<f32>> {
    let per = match sc.weights_type {
        WeightsType::None => return None,
        WeightsType::PerFeature => 1,
        WeightsType::PerChannel => channels,
    };
    let n = sc.from.len() + 1;
    if raw.len() < n * per {
        return None;
    }
    let out = sc.weights_normalization.normalize(raw, n, per);
    Some(out)
}
