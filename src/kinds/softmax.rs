//! Kinds with a flat output of their input's size: `[softmax]`, `[cost]`, `[contrastive]`.

use super::{
    ChannelFlow, Kind, LineCx, Receptive, Src, WeightBlock, plain_line, plain_wiring, previous,
};
use crate::diag::Warning;
use crate::vocab::cost::LayerCost;
use crate::vocab::error::{NetworkError, NetworkErrorKind};
use crate::vocab::keys::{ParseCx, dim, reference};
use crate::vocab::options::Opts;
use crate::vocab::shape::{LayerShape, ShapeError};
use crate::vocab::shape_cx::ShapeCx;
use serde::Serialize;

/// `[softmax]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Softmax {
    /// Independent softmax groups.
    pub groups: usize,
    /// Divides the inputs.
    pub temperature: f32,
}

/// `[cost] type`, darknet's `get_cost_type` (an unknown name is `sse`, with a warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[allow(missing_docs)]
pub enum CostType {
    #[serde(rename = "sse")]
    Sse,
    #[serde(rename = "seg")]
    Seg,
    #[serde(rename = "masked")]
    Masked,
    #[serde(rename = "smooth")]
    Smooth,
    #[serde(rename = "L1")]
    L1,
    #[serde(rename = "wgan")]
    Wgan,
}

/// `[cost]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cost {
    /// The loss.
    pub cost_type: CostType,
}

/// `[contrastive]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contrastive {
    /// Classes embedded.
    pub classes: usize,
    /// The `[yolo]` layer whose detections it embeds, absolute.
    pub yolo_layer: Option<usize>,
}

/// The softmax kind.
pub struct SoftmaxKind;
/// The cost kind.
pub struct CostKind;
/// The contrastive kind.
pub struct ContrastiveKind;

fn flat_shape(cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
    cx.nonzero_input()?;
    Ok(cx.flat(cx.prev, cx.prev_flat))
}

impl Kind for SoftmaxKind {
    type Params = Softmax;
    const NAME: &'static str = "softmax";
    const SECTIONS: &'static [&'static str] = &["soft", "softmax"];
    const HEAD: bool = false;

    fn receptive(_: &Softmax) -> Receptive {
        Receptive::NONE
    }

    fn parse(o: &Opts, _: &mut ParseCx) -> Result<Softmax, NetworkError> {
        let groups = dim(o, "groups", 1)?;
        let temperature = o.float("temperature", 1.0)?;
        for key in ["tree", "spatial", "noloss"] {
            o.touch(key);
        }
        Ok(Softmax {
            groups,
            temperature,
        })
    }
    fn shape(_: &Softmax, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        flat_shape(cx)
    }
    fn cost(_: &Softmax, _: &LayerShape) -> Option<LayerCost> {
        Some(LayerCost::default())
    }
    fn line(_: &Softmax, cx: &LineCx) -> String {
        format!("softmax{:40}{:4}", "", cx.shape.inputs)
    }
    plain_wiring!(Softmax, ChannelFlow::Mixing);
}

impl Kind for CostKind {
    type Params = Cost;
    const NAME: &'static str = "cost";
    const SECTIONS: &'static [&'static str] = &["cost"];
    const HEAD: bool = false;

    fn receptive(_: &Cost) -> Receptive {
        Receptive::NONE
    }

    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<Cost, NetworkError> {
        let name = o.string("type", "sse");
        let cost_type = match name.as_str() {
            "sse" => CostType::Sse,
            "seg" => CostType::Seg,
            "masked" => CostType::Masked,
            "smooth" => CostType::Smooth,
            "L1" => CostType::L1,
            "wgan" => CostType::Wgan,
            other => {
                cx.warnings.push(Warning::at(
                    o.span_of("type"),
                    format!("layer {}: unknown cost type `{other}`; darknet prints \"Couldn't find cost type {other}, going with SSE\"", cx.index),
                ));
                CostType::Sse
            }
        };
        o.touch("scale");
        o.touch("ratio");
        Ok(Cost { cost_type })
    }
    fn shape(_: &Cost, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        flat_shape(cx)
    }
    fn cost(_: &Cost, _: &LayerShape) -> Option<LayerCost> {
        Some(LayerCost::default())
    }
    fn line(_: &Cost, cx: &LineCx) -> String {
        format!("cost{:43}{:4}", "", cx.shape.inputs)
    }
    plain_wiring!(Cost, ChannelFlow::Mixing);
}

impl Kind for ContrastiveKind {
    type Params = Contrastive;
    const NAME: &'static str = "contrastive";
    const SECTIONS: &'static [&'static str] = &["contrastive"];
    const HEAD: bool = false;

    fn receptive(_: &Contrastive) -> Receptive {
        Receptive::NONE
    }

    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<Contrastive, NetworkError> {
        let classes = dim(o, "classes", 1000)?;
        let id = o.int("yolo_layer", 0)?;
        let yolo_layer = if id == 0 {
            None
        } else {
            Some(reference(o, cx, "yolo_layer", id)?)
        };
        if let Some(y) = yolo_layer
            && cx.previous.get(y).copied() != Some("yolo")
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
        for key in [
            "temperature",
            "cls_normalizer",
            "max_delta",
            "contrastive_neg_max",
        ] {
            o.touch(key);
        }
        Ok(Contrastive {
            classes,
            yolo_layer,
        })
    }
    fn sources(_: &Contrastive, prev: Src) -> Vec<Src> {
        previous(prev)
    }
    fn shape(_: &Contrastive, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        flat_shape(cx)
    }
    fn cost(_: &Contrastive, _: &LayerShape) -> Option<LayerCost> {
        Some(LayerCost::default())
    }
    fn line(_: &Contrastive, cx: &LineCx) -> String {
        plain_line(Self::NAME, cx)
    }
    fn weights(_: &Contrastive, _: &LayerShape, _: u64) -> Vec<WeightBlock> {
        Vec::new()
    }
    fn flow(_: &Contrastive) -> ChannelFlow {
        ChannelFlow::Mixing
    }
    fn view_of(_: &Contrastive, _: Src) -> Option<Src> {
        None
    }
    fn references(p: &Contrastive) -> Option<(&'static str, Vec<usize>)> {
        p.yolo_layer.map(|y| ("yolo_layer", vec![y]))
    }
}
