//! One output-shape rule per layer kind.

use super::{LayerShape, Shape, ShapeError};
use crate::diag::Warning;
use crate::network::{Conv, ConvRecurrent, Layer, LayerKind, Pool, Reorg, Scale, Spatial, Yolo};

pub(super) struct Ctx<'a> {
    pub layer: &'a Layer,
    /// Every layer of the network (a convolution checks the one it shares weights with).
    pub layers: &'a [Layer],
    pub done: &'a [LayerShape],
    pub prev: Shape,
    pub prev_flat: usize,
    pub warnings: &'a mut Vec<Warning>,
}

impl Ctx<'_> {
    fn err(&self, message: String) -> ShapeError {
        self.err_at("", message)
    }

    fn err_at(&self, key: &str, message: String) -> ShapeError {
        let l = self.layer;
        ShapeError {
            layer: Some(l.index),
            span: l.span_of(key),
            message: format!(
                "layer {} ({}, line {}): {message}",
                l.index,
                l.kind.type_name(),
                l.span.line
            ),
        }
    }

    fn warn(&mut self, message: String) {
        let l = self.layer;
        let text = format!(
            "layer {} ({}, line {}): {message}",
            l.index,
            l.kind.type_name(),
            l.span.line
        );
        self.warnings.push(Warning::at(l.span, text));
    }

    fn image(&self) -> Result<Shape, ShapeError> {
        if self.prev.is_image() {
            Ok(self.prev)
        } else {
            Err(self.err(format!(
                "needs an image input but the layer before it outputs {} (a flat vector of {} values)",
                self.prev.text(),
                self.prev_flat
            )))
        }
    }

    fn out(&self, input: Shape, output: Shape) -> Result<LayerShape, ShapeError> {
        let outputs = output.volume().ok_or_else(|| {
            self.err(format!(
                "the output {} overflows the address space",
                output.text()
            ))
        })?;
        if outputs == 0 {
            return Err(self.err(format!(
                "the output would be {}, which has no values",
                output.text()
            )));
        }
        Ok(LayerShape {
            input,
            output,
            inputs: self.prev_flat,
            outputs,
            pre_blur: None,
        })
    }

    fn flat(&self, input: Shape, outputs: usize) -> LayerShape {
        LayerShape {
            input,
            output: Shape::default(),
            inputs: self.prev_flat,
            outputs,
            pre_blur: None,
        }
    }

    fn source(&self, index: usize) -> Result<LayerShape, ShapeError> {
        self.done
            .get(index)
            .copied()
            .ok_or_else(|| self.err(format!("reads layer {index}, which does not exist yet")))
    }
}

/// `(size_in + 2·pad − k) / stride + 1`, refusing kernels larger than the padded input.
fn window(
    cx: &Ctx,
    side: usize,
    pad_total: usize,
    k: usize,
    stride: usize,
    what: &str,
) -> Result<usize, ShapeError> {
    let padded = side
        .checked_add(pad_total)
        .ok_or_else(|| cx.err("padding overflows".into()))?;
    if padded < k {
        return Err(cx.err_at(
            "size",
            format!(
                "the {what} {k} is larger than the padded input ({side} + {pad_total} padding)"
            ),
        ));
    }
    Ok((padded - k) / stride + 1)
}

pub(super) fn layer_shape(cx: &mut Ctx) -> Result<LayerShape, ShapeError> {
    let prev = cx.prev;
    match &cx.layer.kind {
        LayerKind::Convolutional(c) => conv(cx, c),
        LayerKind::Route(r) => route(cx, &r.layers, r.groups),
        LayerKind::Shortcut(s) => shortcut(cx, &s.from),
        LayerKind::Maxpool(p) | LayerKind::LocalAvgpool(p) => pool(cx, p),
        LayerKind::Avgpool => {
            let i = cx.image()?;
            cx.out(i, Shape::new(1, 1, i.c))
        }
        LayerKind::Upsample(u) => {
            let i = cx.image()?;
            let s = u.stride.unsigned_abs() as usize;
            let o = if u.stride > 0 {
                Shape::new(i.w.saturating_mul(s), i.h.saturating_mul(s), i.c)
            } else {
                Shape::new(i.w / s, i.h / s, i.c)
            };
            cx.out(i, o)
        }
        LayerKind::Reorg(r) | LayerKind::Reorg3d(r) => reorg(cx, r),
        LayerKind::Yolo(y) => yolo(cx, y, 5),
        LayerKind::GaussianYolo(y) => yolo(cx, y, 9),
        LayerKind::Region(r) => {
            let per = prod(cx, &[r.num, r.classes + r.coords + 1])?;
            let expected = prod(cx, &[prev.w, prev.h, per])?;
            if expected != cx.prev_flat || expected == 0 {
                return Err(cx.err(format!(
                    "[region] expects {}×{}×{per} = {expected} inputs (num·(classes+coords+1) channels) but gets {}; filters= of the layer before does not match classes=/num=",
                    prev.w, prev.h, cx.prev_flat
                )));
            }
            cx.out(prev, Shape::new(prev.w, prev.h, per))
        }
        LayerKind::Detection(d) => {
            let cells = prod(cx, &[1 + d.coords, d.num])?
                .checked_add(d.classes)
                .ok_or_else(|| overflow(cx))?;
            let expected = prod(cx, &[d.side, d.side, cells])?;
            if expected != cx.prev_flat {
                return Err(cx.err(format!(
                    "[detection] expects side²·((1+coords)·num+classes) = {expected} inputs but gets {}",
                    cx.prev_flat
                )));
            }
            Ok(cx.flat(prev, cx.prev_flat))
        }
        LayerKind::Connected(c) => {
            nonzero_input(cx)?;
            cx.out(prev, Shape::new(1, 1, c.output))
        }
        LayerKind::Softmax { .. } | LayerKind::Cost { .. } | LayerKind::Contrastive { .. } => {
            nonzero_input(cx)?;
            Ok(cx.flat(prev, cx.prev_flat))
        }
        LayerKind::Dropout { .. }
        | LayerKind::Empty
        | LayerKind::Activation(_)
        | LayerKind::L2norm
        | LayerKind::Batchnorm
        | LayerKind::Normalization { .. } => {
            nonzero_input(cx)?;
            Ok(LayerShape {
                input: prev,
                output: prev,
                inputs: cx.prev_flat,
                outputs: cx.prev_flat,
                pre_blur: None,
            })
        }
        LayerKind::Crop(c) => {
            let i = cx.image()?;
            if c.crop_width > i.w || c.crop_height > i.h {
                return Err(cx.err(format!(
                    "the crop {}×{} is larger than the input {}",
                    c.crop_width,
                    c.crop_height,
                    i.text()
                )));
            }
            cx.out(i, Shape::new(c.crop_width, c.crop_height, i.c))
        }
        LayerKind::Sam(s) => scale(cx, s, true),
        LayerKind::ScaleChannels(s) => scale(cx, s, false),
        LayerKind::Implicit { filters, .. } => cx.out(Shape::default(), Shape::new(1, 1, *filters)),
        LayerKind::Rnn(r) | LayerKind::Lstm(r) | LayerKind::Gru(r) => {
            nonzero_input(cx)?;
            Ok(cx.flat(prev, r.output))
        }
        LayerKind::Crnn(c) | LayerKind::ConvLstm(c) => conv_recurrent(cx, c),
        LayerKind::Deconvolutional(d) => deconv(cx, d),
        LayerKind::Local(l) => {
            let i = cx.image()?;
            let cut = if l.pad != 0 { 1 } else { l.size };
            if i.w < cut || i.h < cut {
                return Err(cx.err_at(
                    "size",
                    format!(
                        "the kernel {} is larger than the input {}",
                        l.size,
                        i.text()
                    ),
                ));
            }
            cx.out(
                i,
                Shape::new(
                    (i.w - cut) / l.stride + 1,
                    (i.h - cut) / l.stride + 1,
                    l.filters,
                ),
            )
        }
    }
}

fn overflow(cx: &Ctx) -> ShapeError {
    cx.err("its sizes overflow the address space".into())
}

/// The product of `values`, or an error naming the layer when it overflows.
fn prod(cx: &Ctx, values: &[usize]) -> Result<usize, ShapeError> {
    values
        .iter()
        .try_fold(1usize, |acc, &v| acc.checked_mul(v))
        .ok_or_else(|| overflow(cx))
}

fn nonzero_input(cx: &Ctx) -> Result<(), ShapeError> {
    if cx.prev_flat == 0 {
        return Err(cx.err("its input has no values".into()));
    }
    Ok(())
}

/// Output of a blur (antialiasing) step after a stride-1 convolution or pool.
fn blur(cx: &Ctx, host: Shape, kind: usize, sx: usize, sy: usize) -> Result<Shape, ShapeError> {
    let (k, pad) = if kind == 2 { (2, 0) } else { (3, 1) };
    Ok(Shape::new(
        window(cx, host.w, 2 * pad, k, sx, "blur")?,
        window(cx, host.h, 2 * pad, k, sy, "blur")?,
        host.c,
    ))
}

fn conv(cx: &mut Ctx, c: &Conv) -> Result<LayerShape, ShapeError> {
    let i = cx.image()?;
    if i.c < c.groups {
        return Err(cx.err_at(
            "groups",
            format!(
                "groups={} is larger than the {} input channels",
                c.groups, i.c
            ),
        ));
    }
    if i.c % c.groups != 0 {
        cx.warn(format!(
            "{} input channels are not divisible by groups={}; darknet uses {} channels per group",
            i.c,
            c.groups,
            i.c / c.groups
        ));
    }
    let (sx, sy) = if c.antialiasing > 0 {
        (1, 1)
    } else {
        (c.stride_x, c.stride_y)
    };
    let w = window(cx, i.w, 2 * c.padding, c.size, sx, "kernel size")?;
    let h = window(cx, i.h, 2 * c.padding, c.size, sy, "kernel size")?;
    if let Some(s) = c.share_index
        && let Some(LayerKind::Convolutional(shared)) = cx.layers.get(s).map(|l| &l.kind)
        && let Some(message) = share_mismatch((c, i.c), (shared, cx.source(s)?.input.c), s)
    {
        cx.warn(message);
    }
    let host = Shape::new(w, h, c.filters);
    if c.antialiasing == 0 {
        return cx.out(i, host);
    }
    let o = blur(cx, host, c.antialiasing, c.stride_x, c.stride_y)?;
    let mut shape = cx.out(i, o)?;
    shape.pre_blur = Some(host);
    Ok(shape)
}

/// Why a convolution (`this`, with its input channels) cannot use the weights of layer `s`
/// (`shared`, with its input channels): darknet's test of size, weight count, channels and
/// filters. `None` when they match.
pub(super) fn share_mismatch(
    (this, c_in): (&Conv, usize),
    (shared, shared_c_in): (&Conv, usize),
    s: usize,
) -> Option<String> {
    let nweights = |c: &Conv, c_in: usize| {
        (c_in / c.groups.max(1))
            .saturating_mul(c.filters)
            .saturating_mul(c.size * c.size)
    };
    let describe = |c: &Conv, c_in: usize| {
        let groups = match c.groups {
            1 => String::new(),
            g => format!(" in {g} groups"),
        };
        format!(
            "{}×{} with {} filters on {c_in} input channels{groups}",
            c.size, c.size, c.filters
        )
    };
    let same = this.size == shared.size
        && this.filters == shared.filters
        && c_in == shared_c_in
        && nweights(this, c_in) == nweights(shared, shared_c_in);
    (!same).then(|| {
        format!(
            "shares the weights of layer {s} ({}) but is {}: darknet prints \"Layer size, nweights, channels or filters don't match for the share_layer\", waits for a key, then uses layer {s}'s {} weights as this layer's {}, so this network cannot run",
            describe(shared, shared_c_in),
            describe(this, c_in),
            nweights(shared, shared_c_in),
            nweights(this, c_in)
        )
    })
}

fn route(cx: &mut Ctx, layers: &[usize], groups: usize) -> Result<LayerShape, ShapeError> {
    let mut first: Option<(usize, Shape)> = None;
    let (mut c, mut total) = (0usize, 0usize);
    for &idx in layers {
        let s = cx.source(idx)?;
        if let Some((fi, f)) = first {
            if (s.output.w, s.output.h) != (f.w, f.h) {
                return Err(cx.err_at("layers", format!(
                    "joins layer {fi} ({}) and layer {idx} ({}): the widths and heights differ, so no concatenation exists (darknet prints 'The width and height of the input layers are different' and gives 0×0×0)",
                    f.text(), s.output.text()
                )));
            }
        } else {
            first = Some((idx, s.output));
        }
        if s.output.c % groups != 0 {
            cx.warn(format!(
                "layer {idx} has {} channels, not divisible by groups={groups}",
                s.output.c
            ));
        }
        c = c.checked_add(s.output.c).ok_or_else(|| overflow(cx))?;
        total = total.checked_add(s.outputs).ok_or_else(|| overflow(cx))?;
    }
    let (_, f) = first.ok_or_else(|| cx.err("lists no layers".into()))?;
    let output = Shape::new(f.w, f.h, c / groups);
    let outputs = total / groups;
    if outputs == 0 {
        return Err(cx.err(format!(
            "the output would be {}, which has no values",
            output.text()
        )));
    }
    Ok(LayerShape {
        input: f,
        output,
        inputs: total,
        outputs,
        pre_blur: None,
    })
}

fn shortcut(cx: &mut Ctx, from: &[usize]) -> Result<LayerShape, ShapeError> {
    let out = cx.image()?;
    for &idx in from {
        let s = cx.source(idx)?.output;
        if (s.w, s.h) == (out.w, out.h) {
            continue;
        }
        // Early-2020 darknet's shortcut_cpu samples the larger input with an integer stride and
        // asserts that the width and height ratios agree.
        let ok = s.w > 0 && s.h > 0 && s.w / out.w == s.h / out.h && out.w / s.w == out.h / s.h;
        if !ok {
            return Err(cx.err_at("from", format!(
                "adds layer {idx} ({}) to the previous layer ({}): their sizes differ and have no common integer ratio, so neither current darknet (assert) nor early-2020 darknet (resampling) can join them",
                s.text(), out.text()
            )));
        }
        cx.warn(format!(
            "adds layer {idx} ({}) to the previous layer ({}) of another size: current darknet asserts here; loaded with early-2020 darknet's rule (output = the previous layer's shape, the other input resampled)",
            s.text(), out.text()
        ));
    }
    cx.out(out, out)
}

fn pool(cx: &mut Ctx, p: &Pool) -> Result<LayerShape, ShapeError> {
    let i = cx.image()?;
    if p.maxpool_depth {
        return cx.out(i, Shape::new(i.w, i.h, p.out_channels));
    }
    let (sx, sy) = if p.antialiasing > 0 {
        (1, 1)
    } else {
        (p.stride_x, p.stride_y)
    };
    let host = Shape::new(
        window(cx, i.w, p.padding, p.size, sx, "pool size")?,
        window(cx, i.h, p.padding, p.size, sy, "pool size")?,
        i.c,
    );
    if p.antialiasing == 0 {
        return cx.out(i, host);
    }
    let o = blur(cx, host, p.antialiasing, p.stride_x, p.stride_y)?;
    let mut shape = cx.out(i, o)?;
    shape.pre_blur = Some(host);
    Ok(shape)
}

fn reorg(cx: &mut Ctx, r: &Reorg) -> Result<LayerShape, ShapeError> {
    let i = cx.image()?;
    let s2 = r.stride * r.stride;
    let o = if r.reverse {
        if i.c < s2 {
            return Err(cx.err_at(
                "stride",
                format!(
                    "reverse reorg with stride {} needs at least {s2} channels, the input has {}",
                    r.stride, i.c
                ),
            ));
        }
        Shape::new(
            prod(cx, &[i.w, r.stride])?,
            prod(cx, &[i.h, r.stride])?,
            i.c / s2,
        )
    } else {
        Shape::new(i.w / r.stride, i.h / r.stride, prod(cx, &[i.c, s2])?)
    };
    cx.out(i, o)
}

fn yolo(cx: &mut Ctx, y: &Yolo, extra: usize) -> Result<LayerShape, ShapeError> {
    let i = cx.prev;
    let per = prod(cx, &[y.mask.len(), y.classes + extra])?;
    let expected = prod(cx, &[i.w, i.h, per])?;
    if expected != cx.prev_flat || expected == 0 {
        return Err(cx.err(format!(
            "expects {} channels ({} masks × (classes {} + {extra})) but its input is {}; filters= in the [convolutional] layer before does not match classes= or mask=",
            per, y.mask.len(), y.classes, i.text()
        )));
    }
    cx.out(i, i)
}

fn scale(cx: &mut Ctx, s: &Scale, sam: bool) -> Result<LayerShape, ShapeError> {
    let i = cx.prev;
    let from = cx.source(s.from)?.output;
    let fits = if sam {
        i == from
    } else if s.scale_wh {
        (i.w, i.h) == (from.w, from.h)
    } else {
        i.c == from.c
    };
    if !fits {
        return Err(cx.err_at(
            "from",
            format!(
                "cannot scale layer {} ({}) by the previous layer ({})",
                s.from,
                from.text(),
                i.text()
            ),
        ));
    }
    cx.out(i, from)
}

fn conv_recurrent(cx: &mut Ctx, c: &ConvRecurrent) -> Result<LayerShape, ShapeError> {
    let i = cx.image()?;
    let w = window(cx, i.w, 2 * c.padding, c.size, c.stride, "kernel size")?;
    let h = window(cx, i.h, 2 * c.padding, c.size, c.stride, "kernel size")?;
    cx.out(i, Shape::new(w, h, c.output))
}

fn deconv(cx: &mut Ctx, d: &Spatial) -> Result<LayerShape, ShapeError> {
    let i = cx.image()?;
    let side = |n: usize| -> Option<usize> {
        ((n - 1).checked_mul(d.stride)?.checked_add(d.size)?).checked_sub(2 * d.pad)
    };
    match (side(i.w), side(i.h)) {
        (Some(w), Some(h)) => cx.out(i, Shape::new(w, h, d.filters)),
        _ => Err(cx.err_at("pad", format!("the padding {} leaves no output", d.pad))),
    }
}
