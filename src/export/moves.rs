//! The kinds that move values without weights: `[reorg]` and `[reorg3d]` (darknet's flat
//! `reorg_cpu` permutation, as a reshape, a transpose and a reshape), `[crop]` (the centre
//! window), `[softmax]` (over `groups` equal parts of the flattened input, with its
//! temperature), `maxpool_depth` (the maximum over channel groups) and the shortcut of a
//! map of another size (early-2020 darknet's integer sampling).

use super::builder::{Attr, Graph, Refusal};
use crate::kinds::{Pool, Reorg, Softmax};
use crate::vocab::shape::LayerShape;

/// darknet's `reorg_cpu` on `x`: `dims` = (w, h, c) as darknet passes them (the input's for
/// `[reorg]`, the output's for `[reorg3d]`) and `forward` its direction (the layer's
/// `reverse`). Forward reads `x` as `[c, h, w]` and writes `[c/s², h·s, w·s]`; backward the
/// other way; both are one permutation of the flat values.
pub(super) fn reorg(
    g: &mut Graph,
    r: &Reorg,
    x: &str,
    (w, h, c): (usize, usize, usize),
    forward: bool,
    shape: &LayerShape,
) -> Result<String, Refusal> {
    let s = r.stride;
    let (i, o) = (shape.input, shape.output);
    let len = c * h * w;
    if s == 0 || c % (s * s) != 0 || i.c * i.h * i.w != len || o.c * o.h * o.w != len {
        return Err(format!(
            "its {}×{}×{} input does not split into stride {s} blocks, so darknet's reorg indices run out of range: not exported",
            i.w, i.h, i.c
        ));
    }
    let (s, cc, h, w) = (s as i64, (c / (s * s)) as i64, h as i64, w as i64);
    // the channel k = (row offset · s + column offset) · c/s² + channel c2; the big map's
    // pixel (j·s + row offset, i·s + column offset) of channel c2
    let (dims, perm) = if forward {
        ([0, s, s, cc, h, w], [0, 3, 4, 1, 5, 2])
    } else {
        ([0, cc, h, s, w, s], [0, 3, 5, 1, 2, 4])
    };
    let y = g.reshape(x, &dims);
    let y = g.op("Transpose", &[&y], &[Attr::Ints("perm", &perm)], "reorg");
    Ok(g.reshape(&y, &[0, o.c as i64, o.h as i64, o.w as i64]))
}

/// `[crop]` at test time: the centre `crop_width × crop_height` window.
pub(super) fn crop(g: &mut Graph, x: &str, shape: &LayerShape) -> String {
    let (i, o) = (shape.input, shape.output);
    let (dy, dx) = (((i.h - o.h) / 2) as i64, ((i.w - o.w) / 2) as i64);
    let starts = g.i64s("starts", &[dy, dx]);
    let ends = g.i64s("ends", &[dy + o.h as i64, dx + o.w as i64]);
    let axes = g.i64s("axes", &[2, 3]);
    g.op("Slice", &[x, &starts, &ends, &axes], &[], "crop")
}

/// `[softmax]`: the flattened input in `groups` equal parts, each divided by the
/// temperature and normalised.
pub(super) fn softmax(
    g: &mut Graph,
    sm: &Softmax,
    x: &str,
    (c, h, w): (usize, usize, usize),
) -> Result<String, Refusal> {
    let (len, groups) = (c * h * w, sm.groups.max(1));
    if len % groups != 0 || sm.temperature == 0.0 {
        return Err(format!(
            "{len} values in {groups} groups at temperature {}: darknet's parts would not be equal",
            sm.temperature
        ));
    }
    let parts = g.reshape(x, &[0, groups as i64, (len / groups) as i64]);
    let t = g.scalar(sm.temperature);
    let scaled = g.op("Div", &[&parts, &t], &[], "softmax_temperature");
    let y = g.op("Softmax", &[&scaled], &[Attr::Int("axis", -1)], "softmax");
    // darknet's output is flat: the input's shape
    Ok(g.reshape(&y, &[-1, c as i64, h as i64, w as i64]))
}

/// `maxpool_depth=1`: output channel g is the maximum of channels g, g + out, g + 2·out, …
pub(super) fn max_depth(
    g: &mut Graph,
    p: &Pool,
    x: &str,
    (c, h, w): (usize, usize, usize),
) -> Result<String, Refusal> {
    let out = p.out_channels;
    if out == 0 || c % out != 0 {
        return Err(format!(
            "maxpool_depth over {c} channels into {out}: the groups are not equal, not exported"
        ));
    }
    let (out, h, w) = (out as i64, h as i64, w as i64);
    let y = g.reshape(x, &[0, c as i64 / out, out, h, w]);
    let y = g.reduce("ReduceMax", &y, &[1]);
    Ok(g.reshape(&y, &[0, out, h, w]))
}

/// What early-2020 darknet's `shortcut_cpu` adds to a `to` = (c, h, w) map from `x`, a map of
/// another size `from`: every `stride`-th value of `x` (x larger) or each value of `x` at
/// every `sample`-th position (x smaller), over the channels and rows both have, zeros
/// elsewhere; as a tensor of `to`'s shape.
pub(super) fn resampled(
    g: &mut Graph,
    x: &str,
    from: (usize, usize, usize),
    to: (usize, usize, usize),
) -> Result<String, Refusal> {
    let ((c1, h1, w1), (c2, h2, w2)) = (from, to);
    let stride = (w1 / w2.max(1)).max(1);
    let sample = (w2 / w1.max(1)).max(1);
    let (minc, minh, minw) = (c1.min(c2), h1.min(h2), w1.min(w2));
    // darknet's flat indices past a row or a channel land in the next one: not exported
    if minh == 0 || (minh - 1) * stride >= h1 || (minh - 1) * sample >= h2 {
        return Err(format!(
            "it adds a {w1}×{h1} map to a {w2}×{h2} one, which darknet's sampling reads across rows: not exported"
        ));
    }
    let ends = [
        minc as i64,
        ((minh - 1) * stride + 1) as i64,
        ((minw - 1) * stride + 1) as i64,
    ];
    let (starts, ends) = (g.i64s("starts", &[0, 0, 0]), g.i64s("ends", &ends));
    let (axes, steps) = (
        g.i64s("axes", &[1, 2, 3]),
        g.i64s("steps", &[1, stride as i64, stride as i64]),
    );
    let mut y = g.op("Slice", &[x, &starts, &ends, &axes, &steps], &[], "sampled");
    let (mut h, mut w) = (minh, minw);
    if sample > 1 {
        // each value followed by sample − 1 zeros in both directions
        let (c, hh, ww, s) = (minc as i64, h as i64, w as i64, sample as i64);
        let cells = g.reshape(&y, &[0, c, hh, 1, ww, 1]);
        let pads = g.i64s("pads", &[0, 0, 0, 0, 0, 0, 0, 0, 0, s - 1, 0, s - 1]);
        let spread = g.op("Pad", &[&cells, &pads], &[], "spread");
        y = g.reshape(&spread, &[0, c, hh * s, ww * s]);
        (h, w) = (h * sample, w * sample);
        if h > h2 || w > w2 {
            y = crop_to(g, &y, h2.min(h), w2.min(w));
            (h, w) = (h.min(h2), w.min(w2));
        }
    }
    let pads = [
        0,
        0,
        0,
        0,
        0,
        (c2 - minc) as i64,
        (h2 - h) as i64,
        (w2 - w) as i64,
    ];
    if pads.iter().all(|p| *p == 0) {
        return Ok(y);
    }
    let pads = g.i64s("pads", &pads);
    Ok(g.op("Pad", &[&y, &pads], &[], "resampled"))
}

/// `x[:, :, :h, :w]`.
fn crop_to(g: &mut Graph, x: &str, h: usize, w: usize) -> String {
    let starts = g.i64s("starts", &[0, 0]);
    let ends = g.i64s("ends", &[h as i64, w as i64]);
    let axes = g.i64s("axes", &[2, 3]);
    g.op("Slice", &[x, &starts, &ends, &axes], &[], "crop_to")
}
