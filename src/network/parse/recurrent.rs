//! Recurrent and spatial layers: rnn / lstm / gru, crnn / conv_lstm, deconvolutional, local.

use super::*;

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
