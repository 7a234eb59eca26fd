//! The line darknet prints for each layer while it parses a cfg (without the index).

use crate::kinds::LineCx;
use crate::network::Layer;
use crate::vocab::cost::LayerCost;
use crate::vocab::shape::{LayerShape, Shape};

/// Darknet's printed line for one layer (src/*_layer.c `fprintf` formats), each kind's own
/// ([`crate::kinds::Kind::line`]). A shortcut that adds tensors of different shapes gets
/// darknet's second line ` (A) + (B)`; `others` are the output shapes of the layers it reads
/// besides the previous one.
pub fn darknet_line(layer: &Layer, s: &LayerShape, c: &LayerCost, others: &[Shape]) -> String {
    layer.kind.darknet_line(&LineCx {
        shape: s,
        cost: c,
        others,
    })
}
