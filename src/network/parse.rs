//! Section → typed layer, with darknet's defaults (src/parser.c `parse_*`).

use super::layer::*;
use super::options::Opts;
use super::{Activation, NetworkError, NetworkErrorKind};
use crate::diag::Warning;

mod heads;
mod recurrent;

pub(crate) use heads::{contrastive, detection, region, yolo};
pub(crate) use recurrent::{conv_recurrent, recurrent, spatial};

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
