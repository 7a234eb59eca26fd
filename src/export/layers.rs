//! Each layer kind as ONNX nodes, computing what darknet's forward pass computes: the
//! convolution with its batch norm folded in (`weights::fused_conv`, as the backends run it),
//! darknet's activations, max pooling with darknet's padding split (`padding/2` before, the
//! rest after) and local averages over the inside of each window, global averages, routes
//! with `groups`/`group_id` as channel slices, nearest upsampling, unweighted shortcuts (the
//! channels both layers have), scale_channels and sam as broadcasting products. A kind or
//! option with no exact equivalent here is refused with a sentence.

use super::builder::{Attr, Graph};
use crate::kinds::{Conv, LayerKind, Pool, Route, Shortcut, Upsample};
use crate::network::Layer;
use crate::vocab::activation::Activation;
use crate::vocab::shape::LayerShape;
use crate::weights::Weights;

/// Why a layer cannot be written: the sentence after "layer N ([kind] at line L): ".
pub(super) type Refusal = String;

/// What a layer's nodes read: its inputs' value names and shapes.
pub(super) struct Inputs<'a> {
    /// The inputs' value names, in the layer's input order.
    pub names: Vec<&'a str>,
    /// The inputs' shapes (channels, height, width).
    pub shapes: Vec<(usize, usize, usize)>,
}

/// Writes `layer`'s nodes; returns the name of its output.
pub(super) fn emit(
    g: &mut Graph,
    layer: &Layer,
    shape: &LayerShape,
    ins: &Inputs,
    w: &Weights,
) -> Result<String, Refusal> {
    let first = *ins.names.first().ok_or("it reads nothing")?;
    match &layer.kind {
        LayerKind::Convolutional(c) => conv(g, layer.index, c, first, shape, w),
        LayerKind::Maxpool(p) => maxpool(g, p, first),
        LayerKind::LocalAvgpool(p) => local_avgpool(g, p, first),
        LayerKind::Avgpool(_) => Ok(g.op("GlobalAveragePool", &[first], &[], "avgpool")),
        LayerKind::ScaleChannels(s) => scale(g, s, ins, false),
        LayerKind::Sam(s) => scale(g, s, ins, true),
        LayerKind::Route(r) => route(g, r, ins),
        LayerKind::Shortcut(s) => shortcut(g, s, ins),
        LayerKind::Upsample(u) => upsample(g, u, first),
        LayerKind::Yolo(_) | LayerKind::Dropout(_) | LayerKind::Empty(_) | LayerKind::Cost(_) => {
            Ok(first.to_string())
        }
        LayerKind::Activation(a) => activation(g, first, a.activation),
        other @ (LayerKind::Reorg(_)
        | LayerKind::Reorg3d(_)
        | LayerKind::GaussianYolo(_)
        | LayerKind::Region(_)
        | LayerKind::Detection(_)
        | LayerKind::Connected(_)
        | LayerKind::Softmax(_)
        | LayerKind::Crop(_)
        | LayerKind::Batchnorm(_)
        | LayerKind::Implicit(_)
        | LayerKind::Contrastive(_)
        | LayerKind::Rnn(_)
        | LayerKind::Lstm(_)
        | LayerKind::Gru(_)
        | LayerKind::Crnn(_)
        | LayerKind::ConvLstm(_)
        | LayerKind::Deconvolutional(_)
        | LayerKind::Local(_)
        | LayerKind::Normalization(_)
        | LayerKind::L2norm(_)) => Err(format!(
            "[{}] layers are not exported yet (csplens exports convolutional, maxpool, avgpool, local_avgpool, route, shortcut, upsample, scale_channels, sam and yolo layers)",
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
    if c.antialiasing != 0 {
        return Err(
            "antialiasing=1 (a blur after the strided convolution) is not exported yet".into(),
        );
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
    let y = g.op(
        "Conv",
        &[x, &wn, &bn],
        &[
            Attr::Ints("kernel_shape", &[c.size as i64, c.size as i64]),
            Attr::Ints("strides", &[c.stride_y as i64, c.stride_x as i64]),
            Attr::Ints("pads", &[p, p, end, end]),
            Attr::Ints("dilations", &[d, d]),
            Attr::Int("group", groups as i64),
        ],
        &format!("conv{i}"),
    );
    activation(g, &y, c.activation)
}

/// darknet's activation `a` on `x`.
pub(super) fn activation(g: &mut Graph, x: &str, a: Activation) -> Result<String, Refusal> {
    Ok(match a {
        Activation::Linear => x.to_string(),
        // darknet's revleaky computes what leaky does
        Activation::Leaky | Activation::Revleaky => {
            g.op("LeakyRelu", &[x], &[Attr::Float("alpha", 0.1)], "leaky")
        }
        Activation::Relie => g.op("LeakyRelu", &[x], &[Attr::Float("alpha", 0.01)], "relie"),
        Activation::Hardtan => {
            let (lo, hi) = (
                g.f32s("minus_one", &[], &[-1.0]),
                g.f32s("one", &[], &[1.0]),
            );
            g.op("Clip", &[x, &lo, &hi], &[], "hardtan")
        }
        Activation::Relu => g.op("Relu", &[x], &[], "relu"),
        Activation::Logistic => g.op("Sigmoid", &[x], &[], "logistic"),
        Activation::Tanh => g.op("Tanh", &[x], &[], "tanh"),
        Activation::Elu => g.op("Elu", &[x], &[Attr::Float("alpha", 1.0)], "elu"),
        // darknet's constants, not ONNX's longer defaults
        Activation::Selu => g.op(
            "Selu",
            &[x],
            &[Attr::Float("alpha", 1.6732), Attr::Float("gamma", 1.0507)],
            "selu",
        ),
        Activation::Swish => {
            let s = g.op("Sigmoid", &[x], &[], "swish_sig");
            g.op("Mul", &[x, &s], &[], "swish")
        }
        Activation::Mish if g.opset >= 18 => g.op("Mish", &[x], &[], "mish"),
        Activation::Mish => {
            // x · tanh(softplus(x)); darknet's softplus threshold (20) changes nothing in f32
            let sp = g.op("Softplus", &[x], &[], "mish_softplus");
            let t = g.op("Tanh", &[&sp], &[], "mish_tanh");
            g.op("Mul", &[x, &t], &[], "mish")
        }
        Activation::Relu6 => {
            let (lo, hi) = (g.f32s("zero", &[], &[0.0]), g.f32s("six", &[], &[6.0]));
            g.op("Clip", &[x, &lo, &hi], &[], "relu6")
        }
        other @ (Activation::HardMish
        | Activation::NormalizeChannels
        | Activation::NormalizeChannelsSoftmax
        | Activation::NormalizeChannelsSoftmaxMaxval
        | Activation::Loggy
        | Activation::Gelu
        | Activation::Plse
        | Activation::Lhtan
        | Activation::Ramp
        | Activation::Stair
        | Activation::Hardswish) => {
            return Err(format!("activation={} is not exported yet", other.name()));
        }
    })
}

fn maxpool(g: &mut Graph, p: &Pool, x: &str) -> Result<String, Refusal> {
    if p.maxpool_depth {
        return Err("maxpool_depth=1 (a maximum over channels) is not exported yet".into());
    }
    if p.antialiasing != 0 {
        return Err("antialiasing=1 (a blur after the pool) is not exported yet".into());
    }
    Ok(pool(g, "MaxPool", p, x, &[]))
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

fn shortcut(g: &mut Graph, s: &Shortcut, ins: &Inputs) -> Result<String, Refusal> {
    if s.weights_type != crate::kinds::WeightsType::None {
        return Err("weighted shortcuts (weights_type=) are not exported yet".into());
    }
    let Some(&(c, h, w)) = ins.shapes.first() else {
        return Err("it reads nothing".into());
    };
    let mut sum = ins.names[0].to_string();
    for (other, &(oc, oh, ow)) in ins.names.iter().zip(&ins.shapes).skip(1) {
        if (oh, ow) != (h, w) {
            return Err(format!(
                "it adds a {ow}×{oh} map to a {w}×{h} one (darknet samples it): not exported yet"
            ));
        }
        // darknet adds the channels both have; the output keeps the previous layer's
        let part = if oc > c {
            g.slice(other, 1, 0, c as i64)
        } else if oc < c {
            let pads = g.i64s("pads", &[0, 0, 0, 0, 0, (c - oc) as i64, 0, 0]);
            g.op("Pad", &[other, &pads], &[], "shortcut_pad")
        } else {
            (*other).to_string()
        };
        sum = g.op("Add", &[&sum, &part], &[], "shortcut");
    }
    activation(g, &sum, s.activation)
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
