//! Each layer kind as ONNX nodes, computing what darknet's forward pass computes: the
//! convolution with its batch norm folded in (`weights::fused_conv`, as the backends run it)
//! and its antialiasing blur, max pooling with darknet's padding split (`padding/2` before,
//! the rest after) and local averages over the inside of each window, global averages,
//! routes with `groups`/`group_id` as channel slices, nearest upsampling, shortcuts (the
//! channels both layers have, weighted or not), scale_channels and sam as broadcasting
//! products; the rest in `moves`, `dense` and `activations`. A kind or option with no exact
//! equivalent is refused with a sentence.

use super::activations::activation;
use super::builder::{Attr, Graph, Inputs, Refusal};
use super::{dense, moves};
use crate::kinds::{Conv, LayerKind, Pool, Route, Shortcut, Upsample, WeightsType};
use crate::network::Layer;
use crate::vocab::shape::LayerShape;
use crate::weights::Weights;

/// Writes `layer`'s nodes; returns the name of its output.
pub(super) fn emit(
    g: &mut Graph,
    layer: &Layer,
    shape: &LayerShape,
    ins: &Inputs,
    w: &Weights,
) -> Result<String, Refusal> {
    // `[implicit]` alone reads nothing
    let first = match ins.names.first() {
        Some(first) => *first,
        None if matches!(layer.kind, LayerKind::Implicit(_)) => "",
        None => return Err("it reads nothing".into()),
    };
    let i = layer.index;
    match &layer.kind {
        LayerKind::Convolutional(c) => conv(g, i, c, first, shape, w),
        LayerKind::Maxpool(p) => maxpool(g, p, first, shape),
        LayerKind::LocalAvgpool(p) => local_avgpool(g, p, first),
        LayerKind::Avgpool(_) => Ok(g.op("GlobalAveragePool", &[first], &[], "avgpool")),
        LayerKind::ScaleChannels(s) => scale(g, s, ins, false),
        LayerKind::Sam(s) => scale(g, s, ins, true),
        LayerKind::Route(r) => route(g, r, ins),
        LayerKind::Shortcut(s) => shortcut(g, i, s, ins, w),
        LayerKind::Upsample(u) => upsample(g, u, first),
        LayerKind::Reorg(r) => {
            let (c, h, w) = ins.shapes[0];
            moves::reorg(g, r, first, (w, h, c), r.reverse, shape)
        }
        LayerKind::Reorg3d(r) => {
            let o = shape.output;
            moves::reorg(g, r, first, (o.w, o.h, o.c), r.reverse, shape)
        }
        LayerKind::Crop(_) => Ok(moves::crop(g, first, shape)),
        LayerKind::Softmax(sm) => moves::softmax(g, sm, first, ins.shapes[0]),
        LayerKind::Connected(c) => dense::connected(g, i, c, first, shape, w),
        LayerKind::Batchnorm(_) => dense::batchnorm(g, i, first, w),
        LayerKind::Local(l) => dense::local(g, i, l, first, ins, shape, w),
        LayerKind::Yolo(_)
        | LayerKind::Region(_)
        | LayerKind::GaussianYolo(_)
        | LayerKind::Dropout(_)
        | LayerKind::Empty(_)
        | LayerKind::Cost(_)
        | LayerKind::Contrastive(_) => Ok(first.to_string()),
        LayerKind::Activation(a) => activation(g, first, a.activation),
        LayerKind::Implicit(_) => dense::implicit(g, i, shape, w),
        other @ (LayerKind::Detection(_)
        | LayerKind::Rnn(_)
        | LayerKind::Lstm(_)
        | LayerKind::Gru(_)
        | LayerKind::Crnn(_)
        | LayerKind::ConvLstm(_)
        | LayerKind::Deconvolutional(_)
        | LayerKind::Normalization(_)
        | LayerKind::L2norm(_)) => Err(format!(
            "[{}] layers are not exported: csplens's CPU backend does not run them, so no export of them could be checked",
            other.type_name()
        )),
    }
}

fn conv(
    g: &mut Graph,
    i: usize,
    c: &Conv,
    x: &str,
    shape: &LayerShape,
    w: &Weights,
) -> Result<String, Refusal> {
    let in_c = shape.input.c;
    if c.xnor || c.binary {
        return Err("XNOR / binary convolutions have no ONNX equivalent".into());
    }
    let source = c.share_index.unwrap_or(i);
    let fused = crate::weights::fused_conv(w, source)
        .ok_or_else(|| format!("the weights have no convolution for layer {source}"))?;
    let groups = c.groups.max(1);
    let dims = [
        c.filters as i64,
        (in_c / groups) as i64,
        c.size as i64,
        c.size as i64,
    ];
    if fused.weights.len() as i64 != dims.iter().product::<i64>() {
        return Err(format!(
            "the weights hold {} values for a {}×{}×{}×{} kernel",
            fused.weights.len(),
            dims[0],
            dims[1],
            dims[2],
            dims[3]
        ));
    }
    let wn = g.f32s(&format!("conv{i}_w"), &dims, &fused.weights);
    let bn = g.f32s(&format!("conv{i}_b"), &[c.filters as i64], &fused.biases);
    let p = c.padding as i64;
    let d = c.dilation.max(1) as i64;
    // darknet sizes a dilated convolution's output as if undilated (`(w + 2·pad − size) /
    // stride + 1`) and reads zeros past the input: the same as ONNX's with the padding after
    // the input widened by what the dilation adds to the kernel
    let end = p + (d - 1) * (c.size as i64 - 1);
    // antialiasing: the convolution at stride 1, its activation, then the blur at the stride
    let strides = match c.antialiasing {
        0 => [c.stride_y as i64, c.stride_x as i64],
        _ => [1, 1],
    };
    let y = g.op(
        "Conv",
        &[x, &wn, &bn],
        &[
            Attr::Ints("kernel_shape", &[c.size as i64, c.size as i64]),
            Attr::Ints("strides", &strides),
            Attr::Ints("pads", &[p, p, end, end]),
            Attr::Ints("dilations", &[d, d]),
            Attr::Int("group", groups as i64),
        ],
        &format!("conv{i}"),
    );
    let y = activation(g, &y, c.activation)?;
    Ok(match c.antialiasing {
        0 => y,
        kind => blur(g, &y, kind, c.filters, (c.stride_y, c.stride_x)),
    })
}

/// darknet's antialiasing blur (`weights::blur`) as a depthwise convolution at `strides`.
fn blur(g: &mut Graph, x: &str, kind: usize, channels: usize, strides: (usize, usize)) -> String {
    let (size, pad, fused) = crate::weights::blur(kind, channels);
    let (k, p) = (size as i64, pad as i64);
    let wn = g.f32s("blur_w", &[channels as i64, 1, k, k], &fused.weights);
    g.op(
        "Conv",
        &[x, &wn],
        &[
            Attr::Ints("kernel_shape", &[k, k]),
            Attr::Ints("strides", &[strides.0 as i64, strides.1 as i64]),
            Attr::Ints("pads", &[p, p, p, p]),
            Attr::Int("group", channels as i64),
        ],
        "blur",
    )
}

fn maxpool(g: &mut Graph, p: &Pool, x: &str, shape: &LayerShape) -> Result<String, Refusal> {
    let i = shape.input;
    if p.maxpool_depth {
        return moves::max_depth(g, p, x, (i.c, i.h, i.w));
    }
    if p.antialiasing == 0 {
        return Ok(pool(g, "MaxPool", p, x, &[]));
    }
    // the pool at stride 1, then the blur at the stride
    let host = Pool {
        stride_x: 1,
        stride_y: 1,
        ..p.clone()
    };
    let y = pool(g, "MaxPool", &host, x, &[]);
    let strides = (p.stride_y, p.stride_x);
    Ok(blur(g, &y, p.antialiasing, shape.output.c, strides))
}

fn local_avgpool(g: &mut Graph, p: &Pool, x: &str) -> Result<String, Refusal> {
    if p.antialiasing != 0 || p.maxpool_depth {
        return Err("this [local_avgpool] option is not exported yet".into());
    }
    // the average of what lies inside the input, as darknet counts it
    Ok(pool(
        g,
        "AveragePool",
        p,
        x,
        &[Attr::Int("count_include_pad", 0)],
    ))
}

/// A window pool `op` with darknet's window placement: each window starts padding/2 before
/// the input, the rest of the padding after it.
fn pool(g: &mut Graph, op: &str, p: &Pool, x: &str, extra: &[Attr]) -> String {
    let (before, after) = ((p.padding / 2) as i64, (p.padding - p.padding / 2) as i64);
    let (kernel, strides) = (
        [p.size as i64, p.size as i64],
        [p.stride_y as i64, p.stride_x as i64],
    );
    let pads = [before, before, after, after];
    let mut attrs = vec![
        Attr::Ints("kernel_shape", &kernel),
        Attr::Ints("strides", &strides),
        Attr::Ints("pads", &pads),
    ];
    attrs.extend(extra.iter().map(Attr::clone));
    g.op(op, &[x], &attrs, &op.to_ascii_lowercase())
}

/// `[scale_channels]` (the earlier layer times the previous one's per-channel factors, or its
/// per-position map with `scale_wh`) and `[sam]` (the element-wise product), then the
/// activation: one broadcasting `Mul`.
fn scale(
    g: &mut Graph,
    s: &crate::kinds::Scale,
    ins: &Inputs,
    sam: bool,
) -> Result<String, Refusal> {
    let ([factors, from], [(fc, fh, fw), (c, h, w)]) = (&ins.names[..], &ins.shapes[..]) else {
        return Err("it does not read two layers".into());
    };
    let fits = match (sam, s.scale_wh) {
        (true, _) => (*fc, *fh, *fw) == (*c, *h, *w),
        (false, false) => (*fc, *fh, *fw) == (*c, 1, 1),
        (false, true) => (*fc, *fh, *fw) == (1, *h, *w),
    };
    if !fits {
        return Err(format!(
            "it scales {c}×{h}×{w} by {fc}×{fh}×{fw}: darknet reads those factors as a flat list, which no broadcast matches; not exported"
        ));
    }
    let y = g.op(
        "Mul",
        &[from, factors],
        &[],
        if sam { "sam" } else { "scale_channels" },
    );
    activation(g, &y, s.activation)
}

fn route(g: &mut Graph, r: &Route, ins: &Inputs) -> Result<String, Refusal> {
    let groups = r.groups.max(1);
    let parts: Vec<String> = (ins.names.iter().zip(&ins.shapes))
        .map(|(name, &(c, _, _))| {
            if groups == 1 {
                return (*name).to_string();
            }
            // each input's group_id-th slice of its channels
            let part = (c / groups) as i64;
            let from = part * r.group_id as i64;
            g.slice(name, 1, from, from + part)
        })
        .collect();
    Ok(match &parts[..] {
        [one] => one.clone(),
        _ => {
            let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
            g.op("Concat", &refs, &[Attr::Int("axis", 1)], "route")
        }
    })
}

/// darknet's `shortcut_multilayer_cpu`: the previous layer plus each `from` layer over the
/// channels both have (the output keeps the previous layer's), each input times its
/// normalised weight (one per input, or per input and channel) when the layer is weighted;
/// a map of another size added by early-2020 darknet's sampling, unweighted.
fn shortcut(
    g: &mut Graph,
    i: usize,
    s: &Shortcut,
    ins: &Inputs,
    w: &Weights,
) -> Result<String, Refusal> {
    let Some(&(c, h, wd)) = ins.shapes.first() else {
        return Err("it reads nothing".into());
    };
    let (norm, per) = shortcut_weights(i, s, ins.names.len(), c, w);
    // input k's weights over its first `channels` channels
    let weighted = |g: &mut Graph, x: &str, k: usize, channels: usize| {
        if norm.is_empty() {
            return x.to_string();
        }
        let f = if per == 1 {
            g.f32s("shortcut_w", &[1], &norm[k..=k])
        } else {
            let dims = [1, channels as i64, 1, 1];
            g.f32s("shortcut_w", &dims, &norm[k * per..k * per + channels])
        };
        g.op("Mul", &[x, &f], &[], "shortcut_weight")
    };
    let mut sum = weighted(g, ins.names[0], 0, c);
    for (k, (other, &(oc, oh, ow))) in ins.names.iter().zip(&ins.shapes).enumerate().skip(1) {
        let part = if (oh, ow) != (h, wd) {
            moves::resampled(g, other, (oc, oh, ow), (c, h, wd))?
        } else if oc > c {
            let part = g.slice(other, 1, 0, c as i64);
            weighted(g, &part, k, c)
        } else if oc < c {
            let part = weighted(g, other, k, oc);
            let pads = g.i64s("pads", &[0, 0, 0, 0, 0, (c - oc) as i64, 0, 0]);
            g.op("Pad", &[&part, &pads], &[], "shortcut_pad")
        } else {
            weighted(g, other, k, c)
        };
        sum = g.op("Add", &[&sum, &part], &[], "shortcut");
    }
    activation(g, &sum, s.activation)
}

/// A weighted shortcut's normalised weights, `per` for each of its `n` inputs (1, or one per
/// channel); none when the layer is unweighted or the file lacks them (darknet then adds
/// plainly).
fn shortcut_weights(i: usize, s: &Shortcut, n: usize, c: usize, w: &Weights) -> (Vec<f32>, usize) {
    let per = match s.weights_type {
        WeightsType::None => return (Vec::new(), 0),
        WeightsType::PerFeature => 1,
        WeightsType::PerChannel => c,
    };
    let raw = (w.layers.get(i))
        .and_then(|lw| w.slice(&lw.weights))
        .unwrap_or_default();
    if raw.len() < per * n {
        return (Vec::new(), 0);
    }
    (s.weights_normalization.normalize(raw, n, per), per)
}

fn upsample(g: &mut Graph, u: &Upsample, x: &str) -> Result<String, Refusal> {
    if u.stride < 1 {
        return Err("a downsampling [upsample] (stride < 0) is not exported yet".into());
    }
    let s = u.stride as f32;
    let scales = g.f32s("scales", &[4], &[1.0, 1.0, s, s]);
    let roi = g.f32s("roi", &[0], &[]);
    // darknet copies input pixel (x / stride, y / stride): nearest, asymmetric, floor
    let y = g.op(
        "Resize",
        &[x, &roi, &scales],
        &[
            Attr::Str("mode", "nearest"),
            Attr::Str("coordinate_transformation_mode", "asymmetric"),
            Attr::Str("nearest_mode", "floor"),
        ],
        "upsample",
    );
    if (u.scale - 1.0).abs() > f32::EPSILON {
        let k = g.scalar(u.scale);
        return Ok(g.op("Mul", &[&y, &k], &[], "upsample_scale"));
    }
    Ok(y)
}
