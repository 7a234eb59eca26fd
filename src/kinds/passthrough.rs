//! Kinds whose output has their input's shape: `[dropout]`, `[empty]` / `[silence]`,
//! `[activation]`, `[batchnorm]`, `[normalization]` / `[lrn]`, `[l2norm]`.

use super::{
    ChannelFlow, Kind, LineCx, NoParams, Receptive, Src, WeightBlock, plain_line, previous,
};
use crate::vocab::activation::Activation;
use crate::vocab::cost::LayerCost;
use crate::vocab::error::NetworkError;
use crate::vocab::keys::{ParseCx, activation, dim};
use crate::vocab::options::Opts;
use crate::vocab::shape::{LayerShape, ShapeError};
use crate::vocab::shape_cx::ShapeCx;
use serde::Serialize;

/// `[dropout]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dropout {
    /// Share of values dropped in training.
    pub probability: f32,
}

/// `[activation]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivationParams {
    /// Applied to every value.
    pub activation: Activation,
}

/// `[normalization]` (local response normalisation) parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Normalization {
    /// Channels in the window.
    pub size: usize,
}

/// The dropout kind.
pub struct DropoutKind;
/// The empty kind.
pub struct EmptyKind;
/// The activation kind.
pub struct ActivationKind;
/// The batchnorm kind.
pub struct BatchnormKind;
/// The normalization kind.
pub struct NormalizationKind;
/// The l2norm kind (pjreddie darknet).
pub struct L2normKind;

/// Writes the rules same-shape kinds share: they read the previous layer, output its shape,
/// print darknet's plain line and name no other layer; `$flow` is how channels pass and
/// `$aliases` whether the output is the input's buffer (cost and weights stay per kind).
macro_rules! same_shape {
    ($kind:ty, $params:ty, $flow:expr, $aliases:expr) => {
        fn sources(_: &$params, prev: Src) -> Vec<Src> {
            previous(prev)
        }
        fn shape(_: &$params, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
            cx.same()
        }
        fn line(_: &$params, cx: &LineCx) -> String {
            plain_line(<$kind>::NAME, cx)
        }
        fn flow(_: &$params) -> ChannelFlow {
            $flow
        }
        fn view_of(_: &$params, prev: Src) -> Option<Src> {
            $aliases.then_some(prev)
        }
        fn references(_: &$params) -> Option<(&'static str, Vec<usize>)> {
            None
        }
    };
}

impl Kind for DropoutKind {
    type Params = Dropout;
    const NAME: &'static str = "dropout";
    const SECTIONS: &'static [&'static str] = &["dropout"];
    const HEAD: bool = false;

    fn receptive(_: &Dropout) -> Receptive {
        Receptive::NONE
    }

    fn parse(o: &Opts, _: &mut ParseCx) -> Result<Dropout, NetworkError> {
        let probability = o.float("probability", 0.2)?;
        for key in ["dropblock", "dropblock_size_rel", "dropblock_size_abs"] {
            o.touch(key);
        }
        Ok(Dropout { probability })
    }
    same_shape!(Self, Dropout, ChannelFlow::ChannelWise, true);
    fn cost(_: &Dropout, _: &LayerShape) -> Option<LayerCost> {
        Some(LayerCost::default())
    }
    fn weights(_: &Dropout, _: &LayerShape, _: u64) -> Vec<WeightBlock> {
        Vec::new()
    }
}

impl Kind for EmptyKind {
    type Params = NoParams;
    const NAME: &'static str = "empty";
    const SECTIONS: &'static [&'static str] = &["empty", "silence"];
    const HEAD: bool = false;

    fn receptive(_: &NoParams) -> Receptive {
        Receptive::NONE
    }

    fn parse(_: &Opts, _: &mut ParseCx) -> Result<NoParams, NetworkError> {
        Ok(NoParams {})
    }
    same_shape!(Self, NoParams, ChannelFlow::Mixing, true);
    fn cost(_: &NoParams, _: &LayerShape) -> Option<LayerCost> {
        Some(LayerCost::default())
    }
    fn weights(_: &NoParams, _: &LayerShape, _: u64) -> Vec<WeightBlock> {
        Vec::new()
    }
}

impl Kind for ActivationKind {
    type Params = ActivationParams;
    const NAME: &'static str = "activation";
    const SECTIONS: &'static [&'static str] = &["activation"];
    const HEAD: bool = false;

    fn receptive(_: &ActivationParams) -> Receptive {
        Receptive::NONE
    }

    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<ActivationParams, NetworkError> {
        Ok(ActivationParams {
            activation: activation(o, cx, "activation", "linear"),
        })
    }
    same_shape!(Self, ActivationParams, ChannelFlow::ChannelWise, false);
    fn cost(_: &ActivationParams, _: &LayerShape) -> Option<LayerCost> {
        Some(LayerCost::default())
    }
    fn weights(_: &ActivationParams, _: &LayerShape, _: u64) -> Vec<WeightBlock> {
        Vec::new()
    }
}

impl Kind for BatchnormKind {
    type Params = NoParams;
    const NAME: &'static str = "batchnorm";
    const SECTIONS: &'static [&'static str] = &["batchnorm"];
    const HEAD: bool = false;

    fn receptive(_: &NoParams) -> Receptive {
        Receptive::NONE
    }

    fn parse(_: &Opts, _: &mut ParseCx) -> Result<NoParams, NetworkError> {
        Ok(NoParams {})
    }
    same_shape!(Self, NoParams, ChannelFlow::ChannelWise, false);
    /// Scales and biases are trained; the file also holds the rolling mean and variance.
    fn cost(_: &NoParams, s: &LayerShape) -> Option<LayerCost> {
        Some(LayerCost {
            params: 2 * s.input.c as u64,
            weight_floats: 4 * s.input.c as u64,
            ..LayerCost::default()
        })
    }
    fn weights(_: &NoParams, s: &LayerShape, _: u64) -> Vec<WeightBlock> {
        vec![WeightBlock::conv(s.input.c, true, 0)]
    }
}

impl Kind for NormalizationKind {
    type Params = Normalization;
    const NAME: &'static str = "normalization";
    const SECTIONS: &'static [&'static str] = &["lrn", "normalization"];
    const HEAD: bool = false;

    fn receptive(p: &Normalization) -> Receptive {
        // darknet keeps the LRN window (over channels) in l.size, and the rule reads it
        Receptive::window(p.size, 0)
    }

    fn parse(o: &Opts, _: &mut ParseCx) -> Result<Normalization, NetworkError> {
        for key in ["alpha", "beta", "kappa"] {
            o.touch(key);
        }
        Ok(Normalization {
            size: dim(o, "size", 5)?,
        })
    }
    same_shape!(Self, Normalization, ChannelFlow::Mixing, false);
    fn cost(_: &Normalization, _: &LayerShape) -> Option<LayerCost> {
        Some(LayerCost::default())
    }
    fn weights(_: &Normalization, _: &LayerShape, _: u64) -> Vec<WeightBlock> {
        Vec::new()
    }
}

impl Kind for L2normKind {
    type Params = NoParams;
    const NAME: &'static str = "l2norm";
    const SECTIONS: &'static [&'static str] = &["l2norm"];
    const HEAD: bool = false;

    fn receptive(_: &NoParams) -> Receptive {
        Receptive::NONE
    }

    fn parse(_: &Opts, _: &mut ParseCx) -> Result<NoParams, NetworkError> {
        Ok(NoParams {})
    }
    same_shape!(Self, NoParams, ChannelFlow::Mixing, false);
    fn cost(_: &NoParams, _: &LayerShape) -> Option<LayerCost> {
        Some(LayerCost::default())
    }
    fn weights(_: &NoParams, _: &LayerShape, _: u64) -> Vec<WeightBlock> {
        Vec::new()
    }
}
