//! Section → typed layer, with darknet's defaults (src/parser.c `parse_*`).

use super::layer::*;
use super::options::Opts;
use super::{Activation, NetworkError, NetworkErrorKind};
use crate::diag::Warning;

/// The largest channel count, kernel size, stride or class count accepted from a cfg.
pub const MAX_DIM: i64 = 1 << 24;

/// What a section parser needs besides the section.
pub(crate) struct Ctx<'w> {
    /// Index of the layer being parsed.
    pub index: usize,
    /// Kinds of the layers parsed so far.
    pub previous: &'w [LayerKind],
    /// Warnings collected while parsing.
    pub warnings: &'w mut Vec<Warning>,
}

/// Darknet's section aliases (src/parser.c `string_to_layer_type`) plus the two pjreddie
/// kinds AlexeyAB darknet no longer knows.
pub(crate) fn canonical(name: &str) -> Option<&'static str> {
    Some(match name {
        "conv" | "convolutional" => "convolutional",
        "route" => "route",
        "shortcut" => "shortcut",
        "max" | "maxpool" => "maxpool",
        "local_avg" | "local_avgpool" => "local_avgpool",
        "avg" | "avgpool" => "avgpool",
        "upsample" => "upsample",
        "reorg" => "reorg",
        "reorg3d" => "reorg3d",
        "yolo" => "yolo",
        "Gaussian_yolo" => "gaussian_yolo",
        "region" => "region",
        "detection" => "detection",
        "conn" | "connected" => "connected",
        "soft" | "softmax" => "softmax",
        "dropout" => "dropout",
        "cost" => "cost",
        "crop" => "crop",
        "sam" => "sam",
        "scale_channels" => "scale_channels",
        "batchnorm" => "batchnorm",
        "implicit" => "implicit",
        "contrastive" => "contrastive",
        "empty" | "silence" => "empty",
        "activation" => "activation",
        "rnn" => "rnn",
        "lstm" => "lstm",
        "gru" => "gru",
        "crnn" => "crnn",
        "conv_lstm" => "conv_lstm",
        "deconv" | "deconvolutional" => "deconvolutional",
        "local" => "local",
        "lrn" | "normalization" => "normalization",
        "l2norm" => "l2norm",
        _ => return None,
    })
}

fn dim(o: &Opts, key: &str, default: i64) -> Result<usize, NetworkError> {
    Ok(o.int_in(key, default, 1, MAX_DIM)? as usize)
}

fn count(o: &Opts, key: &str, default: i64) -> Result<usize, NetworkError> {
    Ok(o.int_in(key, default, 0, MAX_DIM)? as usize)
}

fn activation(o: &Opts, cx: &mut Ctx, key: &str, default: &str) -> Activation {
    let name = o.string(key, default);
    Activation::from_name(&name).unwrap_or_else(|| {
        cx.warnings.push(Warning::at(
            o.span_of(key),
            format!(
                "unknown activation `{name}` in layer {}; darknet falls back to relu",
                cx.index
            ),
        ));
        Activation::Relu
    })
}

/// Resolves a layer reference as darknet does (negative = relative) and checks it points
/// at an earlier layer.
fn reference(o: &Opts, cx: &Ctx, key: &str, value: i64) -> Result<usize, NetworkError> {
    let abs = if value < 0 {
        cx.index as i64 + value
    } else {
        value
    };
    let span = o.span_of(key);
    let what = format!("layer {} ([{}]) `{key}={value}`", cx.index, o.name());
    if abs == cx.index as i64 {
        return Err(NetworkError::new(
            NetworkErrorKind::BadReference,
            span,
            format!("{what} refers to the layer itself"),
        ));
    }
    if abs < 0 {
        return Err(NetworkError::new(
            NetworkErrorKind::BadReference,
            span,
            format!("{what} refers to layer {abs}, before the first layer (0)"),
        ));
    }
    if abs > cx.index as i64 {
        return Err(NetworkError::new(
            NetworkErrorKind::BadReference,
            span,
            format!(
                "{what} refers to layer {abs}, which comes later; a layer can only read earlier layers"
            ),
        ));
    }
    Ok(abs as usize)
}

fn references(o: &Opts, cx: &Ctx, key: &str) -> Result<Vec<usize>, NetworkError> {
    let Some(values) = o.ints(key)? else {
        return Err(NetworkError::new(
            NetworkErrorKind::MissingKey,
            o.span(),
            format!(
                "layer {} ([{}]) must say which layers it reads: `{key}=` is missing",
                cx.index,
                o.name()
            ),
        ));
    };
    values
        .into_iter()
        .map(|v| reference(o, cx, key, v))
        .collect()
}

pub(crate) fn conv(o: &Opts, cx: &mut Ctx) -> Result<LayerKind, NetworkError> {
    let filters = dim(o, "filters", 1)?;
    let mut groups = o.int_in("groups", 1, i64::MIN, MAX_DIM)?;
    let size = dim(o, "size", 1)?;
    let sx = o.int("stride_x", -1)?;
    let sy = o.int("stride_y", -1)?;
    let (stride_x, stride_y) = if sx < 1 || sy < 1 {
        let stride = dim(o, "stride", 1)? as i64;
        (
            if sx < 1 { stride } else { sx },
            if sy < 1 { stride } else { sy },
        )
    } else {
        o.touch("stride");
        (sx, sy)
    };
    if stride_x > MAX_DIM || stride_y > MAX_DIM {
        return Err(NetworkError::new(
            NetworkErrorKind::OutOfRange,
            o.span_of("stride_x"),
            "stride_x/stride_y too large".into(),
        ));
    }
    let mut dilation = dim(o, "dilation", 1)?;
    let antialiasing = o.int_in("antialiasing", 0, 0, 2)? as usize;
    if size == 1 {
        dilation = 1;
    }
    let pad = o.flag("pad")?;
    let mut padding = count(o, "padding", 0)?;
    if pad {
        padding = size / 2;
    }
    let activation = activation(o, cx, "activation", "logistic");
    let assisted_excitation = o.float("assisted_excitation", 0.0)? != 0.0;
    let share = o.int("share_index", -1_000_000_000)?;
    let share_index = match share {
        -1_000_000_000 => None,
        s if s >= 0 => Some(reference(o, cx, "share_index", s)?),
        s => Some(reference(o, cx, "share_index", s)?),
    };
    if let Some(s) = share_index
        && !matches!(cx.previous.get(s), Some(LayerKind::Convolutional(_)))
    {
        return Err(NetworkError::new(
            NetworkErrorKind::BadReference,
            o.span_of("share_index"),
            format!(
                "layer {} shares weights with layer {s}, which is not a convolutional layer",
                cx.index
            ),
        ));
    }
    let batch_normalize = o.flag("batch_normalize")? | o.flag("cbn")?;
    let binary = o.flag("binary")?;
    let xnor = o.flag("xnor")?;
    let bin_output = o.flag("bin_output")?;
    for key in [
        "sway",
        "rotate",
        "stretch",
        "stretch_sway",
        "flipped",
        "grad_centr",
        "coordconv",
        "stream",
        "wait_stream",
    ] {
        o.touch(key);
    }
    for key in ["dot", "angle", "reverse"] {
        o.touch(key);
    }
    if xnor || groups < 1 {
        groups = 1;
    }
    Ok(LayerKind::Convolutional(Conv {
        filters,
        size,
        stride_x: stride_x as usize,
        stride_y: stride_y as usize,
        dilation,
        padding,
        groups: groups as usize,
        batch_normalize,
        activation,
        xnor,
        binary,
        bin_output,
        share_index,
        antialiasing,
        assisted_excitation,
    }))
}

pub(crate) fn route(o: &Opts, cx: &mut Ctx) -> Result<LayerKind, NetworkError> {
    let layers = references(o, cx, "layers")?;
    let groups = o.int_in("groups", 1, 1, MAX_DIM)? as usize;
    let group_id = o.int_in("group_id", 0, 0, MAX_DIM)? as usize;
    if group_id >= groups {
        return Err(NetworkError::new(
            NetworkErrorKind::OutOfRange,
            o.span_of("group_id"),
            format!(
                "`group_id={group_id}` in layer {} must be below `groups={groups}`",
                cx.index
            ),
        ));
    }
    o.touch("stream");
    o.touch("wait_stream");
    Ok(LayerKind::Route(Route {
        layers,
        groups,
        group_id,
    }))
}

pub(crate) fn shortcut(o: &Opts, cx: &mut Ctx) -> Result<LayerKind, NetworkError> {
    let activation = activation(o, cx, "activation", "linear");
    let wt = o.string("weights_type", "none");
    let weights_type = match wt.as_str() {
        "none" => WeightsType::None,
        "per_feature" | "per_layer" => WeightsType::PerFeature,
        "per_channel" => WeightsType::PerChannel,
        other => {
            return Err(NetworkError::new(
                NetworkErrorKind::BadValue,
                o.span_of("weights_type"),
                format!("`weights_type={other}` is not one of none, per_feature, per_channel"),
            ));
        }
    };
    let weights_normalization = o.string("weights_normalization", "none");
    if !matches!(
        weights_normalization.as_str(),
        "none" | "relu" | "avg_relu" | "softmax"
    ) {
        return Err(NetworkError::new(
            NetworkErrorKind::BadValue,
            o.span_of("weights_normalization"),
            format!(
                "`weights_normalization={weights_normalization}` is not one of none, relu, softmax"
            ),
        ));
    }
    let from = references(o, cx, "from")?;
    Ok(LayerKind::Shortcut(Shortcut {
        from,
        activation,
        weights_type,
        weights_normalization,
    }))
}

pub(crate) fn pool(o: &Opts, avg: bool) -> Result<LayerKind, NetworkError> {
    let stride = dim(o, "stride", 1)?;
    let stride_x = dim(o, "stride_x", stride as i64)?;
    let stride_y = dim(o, "stride_y", stride as i64)?;
    let size = dim(o, "size", stride as i64)?;
    let padding = count(o, "padding", size as i64 - 1)?;
    let (maxpool_depth, out_channels, antialiasing) = if avg {
        (false, 1, 0)
    } else {
        o.touch("maxpool_zero_nonmax");
        (
            o.flag("maxpool_depth")?,
            dim(o, "out_channels", 1)?,
            o.int_in("antialiasing", 0, 0, 2)? as usize,
        )
    };
    let p = Pool {
        size,
        stride_x,
        stride_y,
        padding,
        maxpool_depth,
        out_channels,
        antialiasing,
    };
    Ok(if avg {
        LayerKind::LocalAvgpool(p)
    } else {
        LayerKind::Maxpool(p)
    })
}

pub(crate) fn yolo(o: &Opts, cx: &mut Ctx, gaussian: bool) -> Result<LayerKind, NetworkError> {
    let classes = count(o, "classes", 20)?;
    let total = dim(o, "num", 1)?;
    let mask = match o.ints("mask")? {
        None => (0..total).collect(),
        Some(m) => m
            .into_iter()
            .map(|v| {
                if v < 0 {
                    return Err(NetworkError::new(
                        NetworkErrorKind::OutOfRange,
                        o.span_of("mask"),
                        format!("mask entry {v} in layer {} is negative; entries index the anchors", cx.index),
                    ));
                }
                if v >= total as i64 {
                    cx.warnings.push(Warning::at(
                        o.span_of("mask"),
                        format!("mask entry {v} in layer {} is not below num={total}: darknet reads an anchor past the list", cx.index),
                    ));
                }
                Ok(v.min(MAX_DIM) as usize)
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let anchors = o.floats("anchors")?.unwrap_or_default();
    let scale_x_y = o.float("scale_x_y", 1.0)?;
    let new_coords = o.flag("new_coords")?;
    let nms_kind = o.string("nms_kind", "default");
    let beta_nms = o.float("beta_nms", 0.6)?;
    for key in [
        "max",
        "show_details",
        "objectness_smooth",
        "focal_loss",
        "track_history_size",
        "sim_thresh",
        "dets_for_track",
        "dets_for_show",
        "embedding_layer",
    ] {
        o.touch(key);
    }
    for key in [
        "max_delta",
        "label_smooth_eps",
        "iou_normalizer",
        "obj_normalizer",
        "cls_normalizer",
        "delta_normalizer",
        "jitter",
        "resize",
        "ignore_thresh",
        "truth_thresh",
        "iou_thresh",
        "random",
        "track_ciou_norm",
        "uc_normalizer",
    ] {
        o.touch(key);
    }
    for key in [
        "counters_per_class",
        "iou_loss",
        "iou_thresh_kind",
        "map",
        "yolo_point",
    ] {
        o.touch(key);
    }
    let y = Yolo {
        classes,
        total,
        mask,
        anchors,
        scale_x_y,
        new_coords,
        nms_kind,
        beta_nms,
    };
    Ok(if gaussian {
        LayerKind::GaussianYolo(y)
    } else {
        LayerKind::Yolo(y)
    })
}

pub(crate) fn region(o: &Opts) -> Result<LayerKind, NetworkError> {
    let coords = count(o, "coords", 4)?;
    let classes = count(o, "classes", 20)?;
    let num = dim(o, "num", 1)?;
    let anchors = o.floats("anchors")?.unwrap_or_default();
    let softmax = o.flag("softmax")?;
    for key in [
        "max",
        "log",
        "sqrt",
        "focal_loss",
        "rescore",
        "classfix",
        "absolute",
        "bias_match",
    ] {
        o.touch(key);
    }
    for key in [
        "jitter",
        "resize",
        "thresh",
        "random",
        "coord_scale",
        "object_scale",
        "noobject_scale",
        "mask_scale",
        "class_scale",
    ] {
        o.touch(key);
    }
    for key in ["tree", "map"] {
        o.touch(key);
    }
    Ok(LayerKind::Region(Region {
        classes,
        coords,
        num,
        anchors,
        softmax,
    }))
}

pub(crate) fn detection(o: &Opts) -> Result<LayerKind, NetworkError> {
    let d = Detection {
        coords: count(o, "coords", 1)?,
        classes: count(o, "classes", 1)?,
        rescore: o.flag("rescore")?,
        num: dim(o, "num", 1)?,
        side: dim(o, "side", 7)?,
        softmax: o.flag("softmax")?,
        sqrt: o.flag("sqrt")?,
    };
    for key in ["max", "forced", "reorg"] {
        o.touch(key);
    }
    for key in [
        "coord_scale",
        "object_scale",
        "noobject_scale",
        "class_scale",
        "jitter",
        "resize",
        "random",
    ] {
        o.touch(key);
    }
    Ok(LayerKind::Detection(d))
}

pub(crate) fn scale(o: &Opts, cx: &mut Ctx, sam: bool) -> Result<LayerKind, NetworkError> {
    let Some(from) = o.ints("from")? else {
        return Err(NetworkError::new(
            NetworkErrorKind::MissingKey,
            o.span(),
            format!("layer {} ([{}]) needs `from=`", cx.index, o.name()),
        ));
    };
    let first = from.first().copied().unwrap_or(0);
    let from = reference(o, cx, "from", first)?;
    let scale_wh = if sam { false } else { o.flag("scale_wh")? };
    let activation = activation(o, cx, "activation", "linear");
    let s = Scale {
        from,
        activation,
        scale_wh,
    };
    Ok(if sam {
        LayerKind::Sam(s)
    } else {
        LayerKind::ScaleChannels(s)
    })
}

pub(crate) fn recurrent(o: &Opts, cx: &mut Ctx, name: &str) -> Result<LayerKind, NetworkError> {
    let output = dim(o, "output", 1)?;
    let (hidden, act) = if name == "rnn" {
        let hidden = dim(o, "hidden", 1)?;
        o.touch("logistic");
        (hidden, activation(o, cx, "activation", "logistic"))
    } else {
        (0, Activation::Linear)
    };
    o.touch("shortcut");
    let r = Recurrent {
        output,
        hidden,
        activation: act,
        batch_normalize: o.flag("batch_normalize")?,
    };
    Ok(match name {
        "rnn" => LayerKind::Rnn(r),
        "lstm" => LayerKind::Lstm(r),
        _ => LayerKind::Gru(r),
    })
}

pub(crate) fn conv_recurrent(
    o: &Opts,
    cx: &mut Ctx,
    lstm: bool,
) -> Result<LayerKind, NetworkError> {
    let size = dim(o, "size", 3)?;
    let stride = dim(o, "stride", 1)?;
    let _ = dim(o, "dilation", 1)?;
    let pad = o.flag("pad")?;
    let mut padding = count(o, "padding", 0)?;
    if pad {
        padding = size / 2;
    }
    let output = dim(o, "output", 1)?;
    let hidden = if lstm { output } else { dim(o, "hidden", 1)? };
    let groups = dim(o, "groups", 1)?;
    let activation = activation(
        o,
        cx,
        "activation",
        if lstm { "linear" } else { "logistic" },
    );
    let batch_normalize = o.flag("batch_normalize")?;
    o.touch("xnor");
    o.touch("shortcut");
    let (peephole, bottleneck) = if lstm {
        o.touch("state_constrain");
        o.touch("lstm_activation");
        o.touch("time_normalizer");
        (o.flag("peephole")?, o.flag("bottleneck")?)
    } else {
        (false, false)
    };
    let c = ConvRecurrent {
        output,
        hidden,
        size,
        stride,
        padding,
        groups,
        activation,
        batch_normalize,
        peephole,
        bottleneck,
    };
    Ok(if lstm {
        LayerKind::ConvLstm(c)
    } else {
        LayerKind::Crnn(c)
    })
}

pub(crate) fn spatial(o: &Opts, cx: &mut Ctx, local: bool) -> Result<LayerKind, NetworkError> {
    let filters = dim(o, "filters", 1)?;
    let size = dim(o, "size", 1)?;
    let stride = dim(o, "stride", 1)?;
    let pad_flag = o.int_in("pad", 0, 0, MAX_DIM)? as usize;
    let activation = activation(o, cx, "activation", "logistic");
    let batch_normalize = if local {
        false
    } else {
        o.flag("batch_normalize")?
    };
    let pad = if local {
        pad_flag
    } else {
        let padding = count(o, "padding", 0)?;
        if pad_flag != 0 { size / 2 } else { padding }
    };
    let s = Spatial {
        filters,
        size,
        stride,
        pad,
        activation,
        batch_normalize,
    };
    Ok(if local {
        LayerKind::Local(s)
    } else {
        LayerKind::Deconvolutional(s)
    })
}

pub(crate) fn contrastive(o: &Opts, cx: &mut Ctx) -> Result<LayerKind, NetworkError> {
    let classes = dim(o, "classes", 1000)?;
    let id = o.int("yolo_layer", 0)?;
    let yolo_layer = if id == 0 {
        None
    } else {
        Some(reference(o, cx, "yolo_layer", id)?)
    };
    if let Some(y) = yolo_layer
        && !matches!(cx.previous.get(y), Some(LayerKind::Yolo(_)))
    {
        return Err(NetworkError::new(
            NetworkErrorKind::BadReference,
            o.span_of("yolo_layer"),
            format!(
                "[contrastive] layer {} must point to a [yolo] layer; layer {y} is not one",
                cx.index
            ),
        ));
    }
    for key in ["temperature", "cls_normalizer", "max_delta"] {
        o.touch(key);
    }
    o.touch("contrastive_neg_max");
    Ok(LayerKind::Contrastive {
        classes,
        yolo_layer,
    })
}

/// Parses the simple kinds: those with at most a couple of scalar keys.
pub(crate) fn simple(o: &Opts, cx: &mut Ctx, name: &str) -> Result<LayerKind, NetworkError> {
    Ok(match name {
        "avgpool" => LayerKind::Avgpool,
        "upsample" => {
            let stride = o.int_in("stride", 2, -MAX_DIM, MAX_DIM)?;
            if stride == 0 {
                return Err(NetworkError::new(
                    NetworkErrorKind::OutOfRange,
                    o.span_of("stride"),
                    "`stride=0` in [upsample] would divide by zero".into(),
                ));
            }
            LayerKind::Upsample(Upsample {
                stride,
                scale: o.float("scale", 1.0)?,
            })
        }
        "reorg" | "reorg3d" => {
            let r = Reorg {
                stride: dim(o, "stride", 1)?,
                reverse: o.flag("reverse")?,
            };
            if name == "reorg" {
                LayerKind::Reorg(r)
            } else {
                LayerKind::Reorg3d(r)
            }
        }
        "connected" => LayerKind::Connected(Connected {
            output: dim(o, "output", 1)?,
            activation: activation(o, cx, "activation", "logistic"),
            batch_normalize: o.flag("batch_normalize")?,
        }),
        "softmax" => {
            let groups = dim(o, "groups", 1)?;
            let temperature = o.float("temperature", 1.0)?;
            o.touch("tree");
            o.touch("spatial");
            o.touch("noloss");
            LayerKind::Softmax {
                groups,
                temperature,
            }
        }
        "dropout" => {
            let probability = o.float("probability", 0.2)?;
            o.touch("dropblock");
            o.touch("dropblock_size_rel");
            o.touch("dropblock_size_abs");
            LayerKind::Dropout { probability }
        }
        "cost" => {
            let cost_type = o.string("type", "sse");
            o.touch("scale");
            o.touch("ratio");
            LayerKind::Cost { cost_type }
        }
        "crop" => {
            let c = Crop {
                crop_height: dim(o, "crop_height", 1)?,
                crop_width: dim(o, "crop_width", 1)?,
            };
            o.touch("flip");
            o.touch("noadjust");
            for key in ["angle", "saturation", "exposure", "shift"] {
                o.touch(key);
            }
            LayerKind::Crop(c)
        }
        "batchnorm" => LayerKind::Batchnorm,
        "implicit" => {
            o.touch("mean");
            o.touch("std");
            LayerKind::Implicit {
                filters: dim(o, "filters", 128)?,
                atoms: dim(o, "atoms", 1)?,
            }
        }
        "empty" => LayerKind::Empty,
        "activation" => LayerKind::Activation(activation(o, cx, "activation", "linear")),
        "normalization" => {
            for key in ["alpha", "beta", "kappa"] {
                o.touch(key);
            }
            LayerKind::Normalization {
                size: dim(o, "size", 5)?,
            }
        }
        _ => LayerKind::L2norm,
    })
}
