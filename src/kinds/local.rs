//! Spatial kinds with their own weight layouts: `[local]` (a convolution with separate weights
//! at every output position, YOLOv1's) and pjreddie darknet's `[deconvolutional]`.

use super::{ChannelFlow, Kind, LineCx, Receptive, Src, WeightBlock, plain_line, previous};
use crate::vocab::activation::Activation;
use crate::vocab::cost::{ConvCount, LayerCost, mul};
use crate::vocab::error::NetworkError;
use crate::vocab::keys::{MAX_DIM, ParseCx, activation, count, dim};
use crate::vocab::options::Opts;
use crate::vocab::shape::{LayerShape, Shape, ShapeError, ShapeErrorKind};
use crate::vocab::shape_cx::ShapeCx;
use serde::Serialize;

/// `[local]` and `[deconvolutional]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spatial {
    /// Output channels.
    pub filters: usize,
    /// Kernel side.
    pub size: usize,
    /// Stride.
    pub stride: usize,
    /// For `[local]`: the raw `pad` value, which darknet's im2col uses as pixels on each
    /// side; for `[deconvolutional]`: pixels.
    pub pad: usize,
    /// Applied to the output.
    pub activation: Activation,
    /// With a batch-norm triplet (`[deconvolutional]` only).
    pub batch_normalize: bool,
}

/// The local kind.
pub struct LocalKind;
/// The deconvolutional kind (pjreddie darknet).
pub struct DeconvolutionalKind;

impl Spatial {
    /// Darknet's `local_out_height`: `(h − (pad ? 1 : size)) / stride + 1`.
    pub fn local_out(&self, side: usize) -> Option<usize> {
        let cut = if self.pad != 0 { 1 } else { self.size };
        Some(side.checked_sub(cut)? / self.stride + 1)
    }

    /// The side darknet's im2col fills for `[local]`: `(h + 2·pad − size) / stride + 1`.
    pub fn im2col_out(&self, side: usize) -> Option<usize> {
        Some((side + 2 * self.pad).checked_sub(self.size)? / self.stride + 1)
    }
}

impl Spatial {
    /// Why darknet's `[local]` forward pass cannot run on an `input` → `output` layer: its
    /// im2col fills `(h + 2·pad − size)/stride + 1` rows of columns while the layer has
    /// `local_out_height` positions (they differ when `pad` is not `size/2`), so each position
    /// would read another's column. `None` when they agree.
    pub fn im2col_mismatch(&self, input: Shape, output: Shape) -> Option<String> {
        let cols = (self.im2col_out(input.w)?, self.im2col_out(input.h)?);
        (cols != (output.w, output.h)).then(|| {
            format!(
                "([local] size={} pad={}) has {}×{} positions but darknet's im2col makes {}×{} columns (pad is used as pixels; it matches only when pad = size/2), so darknet's output would be misaligned",
                self.size, self.pad, output.w, output.h, cols.0, cols.1
            )
        })
    }
}

fn parse_spatial(o: &Opts, cx: &mut ParseCx, local: bool) -> Result<Spatial, NetworkError> {
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
    Ok(Spatial {
        filters,
        size,
        stride,
        pad,
        activation,
        batch_normalize,
    })
}

impl Kind for LocalKind {
    type Params = Spatial;
    const NAME: &'static str = "local";
    const SECTIONS: &'static [&'static str] = &["local"];
    const HEAD: bool = false;

    fn receptive(p: &Spatial) -> Receptive {
        Receptive::window(p.size, p.stride)
    }

    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<Spatial, NetworkError> {
        parse_spatial(o, cx, true)
    }
    fn sources(_: &Spatial, prev: Src) -> Vec<Src> {
        previous(prev)
    }
    /// Darknet's `make_local_layer`: `local_out_height` and `local_out_width`.
    fn shape(l: &Spatial, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        let i = cx.image()?;
        let (Some(w), Some(h)) = (l.local_out(i.w), l.local_out(i.h)) else {
            return Err(cx.err_at(
                ShapeErrorKind::WindowTooLarge,
                "size",
                format!(
                    "the kernel {} is larger than the input {}",
                    l.size,
                    i.text()
                ),
            ));
        };
        let out = Shape::new(w, h, l.filters);
        if let Some(reason) = l.im2col_mismatch(i, out) {
            cx.warn(format!("cannot run as darknet runs it: {reason}"));
        }
        cx.out(i, out)
    }
    /// A weight matrix per output position and a bias per output value.
    fn cost(l: &Spatial, s: &LayerShape) -> Option<LayerCost> {
        let locations = mul(&[s.output.w, s.output.h])?;
        let w = mul(&[l.size, l.size, s.input.c, l.filters])?.checked_mul(locations)?;
        let params = w.checked_add(s.outputs as u64)?;
        Some(LayerCost {
            params,
            weight_floats: params,
            ..LayerCost::default()
        })
    }
    /// `make_local_layer`'s line (height before width, as darknet prints it).
    fn line(l: &Spatial, cx: &LineCx) -> String {
        let (i, o) = (cx.shape.input, cx.shape.output);
        format!(
            "Local Layer: {} x {} x {} image, {} filters -> {} x {} x {} image",
            i.h, i.w, i.c, l.filters, o.h, o.w, o.c
        )
    }
    /// Darknet's `load_weights_upto`: `l.outputs` biases, then the weights of every position
    /// (position-major, each an n × size²·c matrix).
    fn weights(l: &Spatial, s: &LayerShape, _: u64) -> Vec<WeightBlock> {
        let locations = s.output.w * s.output.h;
        let weights = l.size * l.size * s.input.c * l.filters * locations;
        vec![WeightBlock::conv(s.outputs, false, weights)]
    }
    fn flow(_: &Spatial) -> ChannelFlow {
        ChannelFlow::Mixing
    }
    fn view_of(_: &Spatial, _: Src) -> Option<Src> {
        None
    }
    fn references(_: &Spatial) -> Option<(&'static str, Vec<usize>)> {
        None
    }
}

impl Kind for DeconvolutionalKind {
    type Params = Spatial;
    const NAME: &'static str = "deconvolutional";
    const SECTIONS: &'static [&'static str] = &["deconv", "deconvolutional"];
    const HEAD: bool = false;

    fn receptive(p: &Spatial) -> Receptive {
        Receptive::window(p.size, p.stride)
    }

    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<Spatial, NetworkError> {
        parse_spatial(o, cx, false)
    }
    fn sources(_: &Spatial, prev: Src) -> Vec<Src> {
        previous(prev)
    }
    /// pjreddie's `make_deconvolutional_layer`: `(h − 1)·stride + size − 2·pad`.
    fn shape(d: &Spatial, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        let i = cx.image()?;
        let side = |n: usize| -> Option<usize> {
            ((n - 1).checked_mul(d.stride)?.checked_add(d.size)?).checked_sub(2 * d.pad)
        };
        match (side(i.w), side(i.h)) {
            (Some(w), Some(h)) => cx.out(i, Shape::new(w, h, d.filters)),
            (None, _) | (_, None) => Err(cx.err_at(
                ShapeErrorKind::NoOutput,
                "pad",
                format!("the padding {} leaves no output", d.pad),
            )),
        }
    }
    fn cost(d: &Spatial, s: &LayerShape) -> Option<LayerCost> {
        let cc = ConvCount::new(
            s.input.c,
            d.filters,
            1,
            d.size,
            Shape::default(),
            d.batch_normalize,
        )?;
        Some(LayerCost {
            params: cc.params()?,
            weight_floats: cc.floats()?,
            ..LayerCost::default()
        })
    }
    fn line(_: &Spatial, cx: &LineCx) -> String {
        plain_line(Self::NAME, cx)
    }
    /// Biases, the batch-norm triplet, then the kernel (`load_convolutional_weights`).
    fn weights(d: &Spatial, s: &LayerShape, _: u64) -> Vec<WeightBlock> {
        let nweights = s.input.c * d.filters * d.size * d.size;
        vec![WeightBlock::conv(d.filters, d.batch_normalize, nweights)]
    }
    fn flow(_: &Spatial) -> ChannelFlow {
        ChannelFlow::Mixing
    }
    fn view_of(_: &Spatial, _: Src) -> Option<Src> {
        None
    }
    fn references(_: &Spatial) -> Option<(&'static str, Vec<usize>)> {
        None
    }
}
