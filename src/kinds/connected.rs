//! `[connected]` / `[conn]`: a fully connected layer (darknet's `make_connected_layer`).

use super::{ChannelFlow, Kind, LineCx, Receptive, Src, WeightBlock, plain_line, previous};
use crate::vocab::activation::Activation;
use crate::vocab::cost::{LayerCost, connected};
use crate::vocab::error::NetworkError;
use crate::vocab::keys::{ParseCx, activation, dim};
use crate::vocab::options::Opts;
use crate::vocab::shape::{LayerShape, Shape, ShapeError};
use crate::vocab::shape_cx::ShapeCx;
use serde::Serialize;

/// `[connected]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Connected {
    /// Output values.
    pub output: usize,
    /// Applied to the outputs.
    pub activation: Activation,
    /// With a batch-norm triplet.
    pub batch_normalize: bool,
}

/// The connected kind.
pub struct ConnectedKind;

impl Kind for ConnectedKind {
    type Params = Connected;
    const NAME: &'static str = "connected";
    const SECTIONS: &'static [&'static str] = &["conn", "connected"];
    const HEAD: bool = false;

    fn receptive(_: &Connected) -> Receptive {
        Receptive::NONE
    }

    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<Connected, NetworkError> {
        Ok(Connected {
            output: dim(o, "output", 1)?,
            activation: activation(o, cx, "activation", "logistic"),
            batch_normalize: o.flag("batch_normalize")?,
        })
    }
    fn sources(_: &Connected, prev: Src) -> Vec<Src> {
        previous(prev)
    }
    fn shape(c: &Connected, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        cx.nonzero_input()?;
        cx.out(cx.prev, Shape::new(1, 1, c.output))
    }
    fn cost(c: &Connected, s: &LayerShape) -> Option<LayerCost> {
        let (params, weight_floats) = connected(s.inputs, c.output, c.batch_normalize)?;
        Some(LayerCost {
            params,
            weight_floats,
            ..LayerCost::default()
        })
    }
    fn line(_: &Connected, cx: &LineCx) -> String {
        plain_line(Self::NAME, cx)
    }
    /// Biases, the matrix, then the batch-norm triplet (darknet's `load_connected_weights`).
    fn weights(c: &Connected, s: &LayerShape, _: u64) -> Vec<WeightBlock> {
        vec![WeightBlock {
            biases: c.output,
            bn: c.batch_normalize,
            weights: c.output * s.inputs,
            bn_after_weights: true,
        }]
    }
    fn flow(_: &Connected) -> ChannelFlow {
        ChannelFlow::Mixing
    }
    fn view_of(_: &Connected, _: Src) -> Option<Src> {
        None
    }
    fn references(_: &Connected) -> Option<(&'static str, Vec<usize>)> {
        None
    }
}
