//! Recurrent kinds: fully connected `[rnn]`, `[lstm]`, `[gru]` and convolutional `[crnn]`,
//! `[conv_lstm]`. Shapes and costs only (no backend runs them).

use super::{
    ChannelFlow, Kind, LineCx, Receptive, Src, WeightBlock, count_line, plain_line, previous,
};
use crate::vocab::activation::Activation;
use crate::vocab::cost::{LayerCost, sum_connected, sum_convs};
use crate::vocab::error::NetworkError;
use crate::vocab::keys::{ParseCx, activation, count, dim};
use crate::vocab::options::Opts;
use crate::vocab::shape::{LayerShape, Shape, ShapeError};
use crate::vocab::shape_cx::ShapeCx;
use serde::Serialize;

/// `[rnn]`, `[lstm]`, `[gru]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recurrent {
    /// Output values.
    pub output: usize,
    /// Hidden size (only `[rnn]` has one).
    pub hidden: usize,
    /// Activation (only `[rnn]` reads one).
    pub activation: Activation,
    /// With batch norm in every part.
    pub batch_normalize: bool,
}

/// `[crnn]` and `[conv_lstm]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(missing_docs)]
pub struct ConvRecurrent {
    pub output: usize,
    pub hidden: usize,
    pub size: usize,
    pub stride: usize,
    pub padding: usize,
    pub groups: usize,
    pub activation: Activation,
    pub batch_normalize: bool,
    pub peephole: bool,
    pub bottleneck: bool,
}

/// The rnn kind.
pub struct RnnKind;
/// The lstm kind.
pub struct LstmKind;
/// The gru kind.
pub struct GruKind;
/// The crnn kind.
pub struct CrnnKind;
/// The conv_lstm kind.
pub struct ConvLstmKind;

fn parse_recurrent(o: &Opts, cx: &mut ParseCx, rnn: bool) -> Result<Recurrent, NetworkError> {
    let output = dim(o, "output", 1)?;
    let (hidden, act) = if rnn {
        let hidden = dim(o, "hidden", 1)?;
        // darknet's parse_rnn reads `shortcut`; parse_lstm and parse_gru do not
        o.touch("logistic");
        o.touch("shortcut");
        (hidden, activation(o, cx, "activation", "logistic"))
    } else {
        (0, Activation::Linear)
    };
    Ok(Recurrent {
        output,
        hidden,
        activation: act,
        batch_normalize: o.flag("batch_normalize")?,
    })
}

fn fc_shape(r: &Recurrent, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
    cx.nonzero_input()?;
    Ok(cx.flat(cx.prev, r.output))
}

/// An LSTM (4 gates) or GRU (3): each gate a connected layer on the input and one on the state.
fn gated_cost(r: &Recurrent, s: &LayerShape, gates: usize) -> Option<LayerCost> {
    let (input_part, state_part) = ((s.inputs, r.output), (r.output, r.output));
    let parts: Vec<_> = std::iter::repeat_n(input_part, gates)
        .chain(std::iter::repeat_n(state_part, gates))
        .collect();
    let mut cost = LayerCost::default();
    sum_connected(&parts, r.batch_normalize, &mut cost)?;
    Some(cost)
}

/// Writes the rules the three fully connected recurrent kinds share.
macro_rules! fc_recurrent {
    () => {
        fn sources(_: &Recurrent, prev: Src) -> Vec<Src> {
            previous(prev)
        }
        fn shape(r: &Recurrent, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
            fc_shape(r, cx)
        }
        fn line(_: &Recurrent, cx: &LineCx) -> String {
            count_line(Self::NAME, cx)
        }
        fn weights(_: &Recurrent, _: &LayerShape, floats: u64) -> Vec<WeightBlock> {
            WeightBlock::plain(floats)
        }
        fn flow(_: &Recurrent) -> ChannelFlow {
            ChannelFlow::Mixing
        }
        fn view_of(_: &Recurrent, _: Src) -> Option<Src> {
            None
        }
        fn references(_: &Recurrent) -> Option<(&'static str, Vec<usize>)> {
            None
        }
    };
}

impl Kind for RnnKind {
    type Params = Recurrent;
    const NAME: &'static str = "rnn";
    const SECTIONS: &'static [&'static str] = &["rnn"];
    const HEAD: bool = false;

    fn receptive(_: &Recurrent) -> Receptive {
        Receptive::NONE
    }

    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<Recurrent, NetworkError> {
        parse_recurrent(o, cx, true)
    }
    fc_recurrent!();
    /// Input, self and output connected layers.
    fn cost(r: &Recurrent, s: &LayerShape) -> Option<LayerCost> {
        let parts = [
            (s.inputs, r.hidden),
            (r.hidden, r.hidden),
            (r.hidden, r.output),
        ];
        let mut cost = LayerCost::default();
        sum_connected(&parts, r.batch_normalize, &mut cost)?;
        Some(cost)
    }
}

impl Kind for LstmKind {
    type Params = Recurrent;
    const NAME: &'static str = "lstm";
    const SECTIONS: &'static [&'static str] = &["lstm"];
    const HEAD: bool = false;

    fn receptive(_: &Recurrent) -> Receptive {
        Receptive::NONE
    }

    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<Recurrent, NetworkError> {
        parse_recurrent(o, cx, false)
    }
    fc_recurrent!();
    fn cost(r: &Recurrent, s: &LayerShape) -> Option<LayerCost> {
        gated_cost(r, s, 4)
    }
}

impl Kind for GruKind {
    type Params = Recurrent;
    const NAME: &'static str = "gru";
    const SECTIONS: &'static [&'static str] = &["gru"];
    const HEAD: bool = false;

    fn receptive(_: &Recurrent) -> Receptive {
        Receptive::NONE
    }

    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<Recurrent, NetworkError> {
        parse_recurrent(o, cx, false)
    }
    fc_recurrent!();
    fn cost(r: &Recurrent, s: &LayerShape) -> Option<LayerCost> {
        gated_cost(r, s, 3)
    }
}

fn parse_conv_recurrent(
    o: &Opts,
    cx: &mut ParseCx,
    lstm: bool,
) -> Result<ConvRecurrent, NetworkError> {
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
    let default_activation = if lstm { "linear" } else { "logistic" };
    let activation = activation(o, cx, "activation", default_activation);
    let batch_normalize = o.flag("batch_normalize")?;
    o.touch("xnor");
    o.touch("shortcut");
    let (peephole, bottleneck) = if lstm {
        for key in ["state_constrain", "lstm_activation", "time_normalizer"] {
            o.touch(key);
        }
        (o.flag("peephole")?, o.flag("bottleneck")?)
    } else {
        (false, false)
    };
    Ok(ConvRecurrent {
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
    })
}

fn conv_recurrent_shape(c: &ConvRecurrent, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
    let i = cx.image()?;
    let w = cx.window(i.w, 2 * c.padding, c.size, c.stride, "kernel size")?;
    let h = cx.window(i.h, 2 * c.padding, c.size, c.stride, "kernel size")?;
    cx.out(i, Shape::new(w, h, c.output))
}

fn conv_parts_cost(
    c: &ConvRecurrent,
    s: &LayerShape,
    parts: &[(usize, usize)],
) -> Option<LayerCost> {
    let mut cost = LayerCost::default();
    sum_convs(
        (c.groups, c.size, c.batch_normalize),
        parts,
        s.output,
        &mut cost,
    )?;
    Some(cost)
}

/// Writes the rules the two convolutional recurrent kinds share.
macro_rules! conv_recurrent {
    () => {
        fn sources(_: &ConvRecurrent, prev: Src) -> Vec<Src> {
            previous(prev)
        }
        fn shape(c: &ConvRecurrent, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
            conv_recurrent_shape(c, cx)
        }
        fn line(_: &ConvRecurrent, cx: &LineCx) -> String {
            plain_line(Self::NAME, cx)
        }
        fn weights(_: &ConvRecurrent, _: &LayerShape, floats: u64) -> Vec<WeightBlock> {
            WeightBlock::plain(floats)
        }
        fn flow(_: &ConvRecurrent) -> ChannelFlow {
            ChannelFlow::Mixing
        }
        fn view_of(_: &ConvRecurrent, _: Src) -> Option<Src> {
            None
        }
        fn references(_: &ConvRecurrent) -> Option<(&'static str, Vec<usize>)> {
            None
        }
    };
}

impl Kind for CrnnKind {
    type Params = ConvRecurrent;
    const NAME: &'static str = "crnn";
    const SECTIONS: &'static [&'static str] = &["crnn"];
    const HEAD: bool = false;

    fn receptive(c: &ConvRecurrent) -> Receptive {
        Receptive::window(c.size, c.stride)
    }

    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<ConvRecurrent, NetworkError> {
        parse_conv_recurrent(o, cx, false)
    }
    conv_recurrent!();
    /// Input, self and output convolutions.
    fn cost(c: &ConvRecurrent, s: &LayerShape) -> Option<LayerCost> {
        let parts = [
            (s.input.c, c.hidden),
            (c.hidden, c.hidden),
            (c.hidden, c.output),
        ];
        conv_parts_cost(c, s, &parts)
    }
}

impl Kind for ConvLstmKind {
    type Params = ConvRecurrent;
    const NAME: &'static str = "conv_lstm";
    const SECTIONS: &'static [&'static str] = &["conv_lstm"];
    const HEAD: bool = false;

    fn receptive(c: &ConvRecurrent) -> Receptive {
        Receptive::window(c.size, c.stride)
    }

    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<ConvRecurrent, NetworkError> {
        parse_conv_recurrent(o, cx, true)
    }
    conv_recurrent!();
    /// Peephole convolutions (3), the state's (4, or one of 2·o channels with a bottleneck),
    /// and the input's (4).
    fn cost(c: &ConvRecurrent, s: &LayerShape) -> Option<LayerCost> {
        let o = c.output;
        let mut parts = Vec::new();
        if c.peephole {
            parts.extend([(o, o); 3]);
        }
        parts.extend(if c.bottleneck {
            vec![(o * 2, o)]
        } else {
            vec![(o, o); 4]
        });
        parts.extend([(s.input.c, o); 4]);
        conv_parts_cost(c, s, &parts)
    }
}
