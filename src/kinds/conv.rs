//! `[convolutional]` / `[conv]`: darknet's `parse_convolutional` and `make_convolutional_layer`.

use super::{ChannelFlow, Kind, LineCx, Receptive, Src, WeightBlock, bf, dims, previous};
use crate::vocab::activation::Activation;
use crate::vocab::cost::{ConvCount, LayerCost};
use crate::vocab::error::{NetworkError, NetworkErrorKind};
use crate::vocab::keys::{MAX_DIM, ParseCx, activation, count, dim, reference};
use crate::vocab::options::Opts;
use crate::vocab::shape::{LayerShape, Shape, ShapeError, ShapeErrorKind};
use crate::vocab::shape_cx::ShapeCx;
use serde::Serialize;

/// `[convolutional]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(missing_docs)]
pub struct Conv {
    pub filters: usize,
    pub size: usize,
    pub stride_x: usize,
    pub stride_y: usize,
    pub dilation: usize,
    /// Padding in pixels on each side (`pad=1` means `size/2`).
    pub padding: usize,
    /// Groups as darknet uses them (forced to 1 for XNOR layers).
    pub groups: usize,
    pub batch_normalize: bool,
    pub activation: Activation,
    pub xnor: bool,
    pub binary: bool,
    pub bin_output: bool,
    /// Absolute index of the layer whose weights this one shares.
    pub share_index: Option<usize>,
    /// 0 none, 1 3×3 blur, 2 2×2 blur after the stride-1 convolution.
    pub antialiasing: usize,
    pub assisted_excitation: bool,
}

/// The convolutional kind.
pub struct ConvolutionalKind;

/// Keys darknet's parser reads for training or other forks only.
const TRAINING_KEYS: [&str; 12] = [
    "sway",
    "rotate",
    "stretch",
    "stretch_sway",
    "flipped",
    "grad_centr",
    "coordconv",
    "stream",
    "wait_stream",
    "dot",
    "angle",
    "reverse",
];

fn strides(o: &Opts) -> Result<(usize, usize), NetworkError> {
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
    Ok((stride_x as usize, stride_y as usize))
}

fn share_index(o: &Opts, cx: &ParseCx) -> Result<Option<usize>, NetworkError> {
    let share = o.int("share_index", -1_000_000_000)?;
    let share_index = match share {
        -1_000_000_000 => None,
        s => Some(reference(o, cx, "share_index", s)?),
    };
    if let Some(s) = share_index
        && cx.previous.get(s).copied() != Some(ConvolutionalKind::NAME)
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
    Ok(share_index)
}

impl Kind for ConvolutionalKind {
    type Params = Conv;
    const NAME: &'static str = "convolutional";
    const SECTIONS: &'static [&'static str] = &["conv", "convolutional"];
    const HEAD: bool = false;

    fn receptive(p: &Conv) -> Receptive {
        Receptive::Window {
            size: p.size,
            stride: p.stride_x,
            dilation: p.dilation,
        }
    }

    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<Conv, NetworkError> {
        let filters = dim(o, "filters", 1)?;
        let mut groups = o.int_in("groups", 1, i64::MIN, MAX_DIM)?;
        let size = dim(o, "size", 1)?;
        let (stride_x, stride_y) = strides(o)?;
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
        let share_index = share_index(o, cx)?;
        let batch_normalize = o.flag("batch_normalize")? | o.flag("cbn")?;
        let binary = o.flag("binary")?;
        let xnor = o.flag("xnor")?;
        let bin_output = o.flag("bin_output")?;
        TRAINING_KEYS.iter().for_each(|k| o.touch(k));
        if xnor || groups < 1 {
            groups = 1;
        }
        Ok(Conv {
            filters,
            size,
            stride_x,
            stride_y,
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
        })
    }

    fn sources(_: &Conv, prev: Src) -> Vec<Src> {
        previous(prev)
    }

    fn shape(c: &Conv, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        let i = cx.image()?;
        if i.c < c.groups {
            return Err(cx.err_at(
                ShapeErrorKind::Channels,
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
        let w = cx.window(i.w, 2 * c.padding, c.size, sx, "kernel size")?;
        let h = cx.window(i.h, 2 * c.padding, c.size, sy, "kernel size")?;
        let host = Shape::new(w, h, c.filters);
        cx.maybe_blurred(i, host, c.antialiasing, (c.stride_x, c.stride_y))
    }

    fn cost(c: &Conv, s: &LayerShape) -> Option<LayerCost> {
        let mut cost = LayerCost::default();
        let out = s.pre_blur.unwrap_or(s.output);
        let cc = ConvCount::new(
            s.input.c,
            c.filters,
            c.groups,
            c.size,
            out,
            c.batch_normalize,
        )?;
        let bflops = if c.xnor { cc.bflops / 32.0 } else { cc.bflops };
        cost.bflops = bflops as f32;
        if c.share_index.is_none() {
            cost.params = cc.params()?;
            cost.weight_floats = cc.floats()?;
            cost.conv_weights = cc.nweights;
        }
        Some(cost)
    }

    fn line(k: &Conv, cx: &LineCx) -> String {
        let tag = if k.xnor && k.bin_output {
            "convXB"
        } else if k.xnor {
            "convX "
        } else if k.share_index.is_some() {
            "convS "
        } else if k.assisted_excitation {
            "convAE"
        } else {
            "conv  "
        };
        let filters = if k.groups > 1 {
            format!("{:5}/{:4} ", k.filters, k.groups)
        } else {
            format!("{:5}      ", k.filters)
        };
        let window = if k.stride_x != k.stride_y {
            format!(
                "{:2}x{:2}/{:2}x{:2} ",
                k.size, k.size, k.stride_x, k.stride_y
            )
        } else if k.dilation > 1 {
            format!(
                "{:2} x{:2}/{:2}({:1})",
                k.size, k.size, k.stride_x, k.dilation
            )
        } else {
            format!("{:2} x{:2}/{:2}   ", k.size, k.size, k.stride_x)
        };
        let s = cx.shape;
        format!(
            "{tag}{filters}{window}{} -> {} {}",
            dims(s.input),
            dims(s.pre_blur.unwrap_or(s.output)),
            bf(cx.cost)
        )
    }

    fn weights(c: &Conv, s: &LayerShape, _: u64) -> Vec<WeightBlock> {
        if c.share_index.is_some() {
            return Vec::new();
        }
        let nweights = s.input.c / c.groups * c.filters * c.size * c.size;
        vec![WeightBlock::conv(c.filters, c.batch_normalize, nweights)]
    }
    fn flow(p: &Conv) -> ChannelFlow {
        ChannelFlow::Groups(p.groups)
    }
    fn view_of(_: &Conv, _: Src) -> Option<Src> {
        None
    }
    fn references(p: &Conv) -> Option<(&'static str, Vec<usize>)> {
        p.share_index.map(|s| ("share_index", vec![s]))
    }
}

/// Why a convolution (`this`, with its input channels) cannot use the weights of layer `s`
/// (`shared`, with its input channels): darknet's test of size, weight count, channels and
/// filters. `None` when they match.
pub(crate) fn share_mismatch(
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
