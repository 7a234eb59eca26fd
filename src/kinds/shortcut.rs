//! `[shortcut]`: the previous layer plus earlier ones, optionally weighted
//! (darknet's `parse_shortcut` and `shortcut_multilayer_cpu`).

use super::{ChannelFlow, Kind, LineCx, Receptive, Src, WeightBlock, bf, dims};
use crate::vocab::activation::Activation;
use crate::vocab::cost::LayerCost;
use crate::vocab::error::{NetworkError, NetworkErrorKind};
use crate::vocab::keys::{ParseCx, activation, references};
use crate::vocab::options::Opts;
use crate::vocab::shape::{LayerShape, ShapeError, ShapeErrorKind};
use crate::vocab::shape_cx::ShapeCx;
use serde::Serialize;

/// Weighting of a `[shortcut]`'s inputs (`weights_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightsType {
    /// Plain sum.
    None,
    /// One weight per input (`per_feature`, or `per_layer`).
    PerFeature,
    /// One weight per input and channel.
    PerChannel,
}

impl WeightsType {
    /// Darknet's number for it, as its table line prints (`wt = 1`).
    pub fn code(self) -> u8 {
        match self {
            Self::None => 0,
            Self::PerFeature => 1,
            Self::PerChannel => 2,
        }
    }
}

/// How a weighted `[shortcut]` normalises its weights (`weights_normalization`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightsNormalization {
    /// The weights as trained.
    None,
    /// `relu`: each weight clipped at 0, divided by the sum of the clipped ones.
    Relu,
    /// `avg_relu`: read as `relu` by darknet's forward pass.
    AvgRelu,
    /// `softmax` over the inputs' weights.
    Softmax,
}

impl WeightsNormalization {
    /// Darknet's number for it, as its table line prints (`wn = 1`).
    pub fn code(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Relu | Self::AvgRelu => 1,
            Self::Softmax => 2,
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "none" => Self::None,
            "relu" => Self::Relu,
            "avg_relu" => Self::AvgRelu,
            "softmax" => Self::Softmax,
            _ => return None,
        })
    }

    /// The weights a forward pass multiplies by: `raw` holds `n` inputs' weights of `per`
    /// values each (input-major, `raw[k·per + c]`); each of the `per` columns is normalised
    /// over its `n` inputs as darknet's `shortcut_multilayer_cpu` does (its 0.0001 included).
    pub fn normalize(self, raw: &[f32], n: usize, per: usize) -> Vec<f32> {
        let mut out = raw[..(n * per).min(raw.len())].to_vec();
        for ch in 0..per {
            let at = |k: usize| raw.get(k * per + ch).copied().unwrap_or(0.0);
            let mut set = |f: &dyn Fn(f32) -> f32| {
                for k in 0..n {
                    if let Some(v) = out.get_mut(k * per + ch) {
                        *v = f(at(k));
                    }
                }
            };
            match self {
                Self::None => {}
                Self::Relu | Self::AvgRelu => {
                    let sum = 0.0001 + (0..n).map(|k| at(k).max(0.0)).sum::<f32>();
                    set(&|w| w.max(0.0) / sum);
                }
                Self::Softmax => {
                    let max = (0..n).map(at).fold(f32::MIN, f32::max);
                    let sum = 0.0001 + (0..n).map(|k| (at(k) - max).exp()).sum::<f32>();
                    set(&|w| (w - max).exp() / sum);
                }
            }
        }
        out
    }
}

/// `[shortcut]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shortcut {
    /// The layers added to the previous one, absolute.
    pub from: Vec<usize>,
    /// Applied to the sum.
    pub activation: Activation,
    /// Weighting of the inputs.
    pub weights_type: WeightsType,
    /// Normalisation of the weights.
    pub weights_normalization: WeightsNormalization,
}

/// The shortcut kind.
pub struct ShortcutKind;

impl Kind for ShortcutKind {
    type Params = Shortcut;
    const NAME: &'static str = "shortcut";
    const SECTIONS: &'static [&'static str] = &["shortcut"];
    const HEAD: bool = false;

    fn receptive(_: &Shortcut) -> Receptive {
        Receptive::NONE
    }

    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<Shortcut, NetworkError> {
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
        let wn = o.string("weights_normalization", "none");
        let Some(weights_normalization) = WeightsNormalization::from_name(&wn) else {
            return Err(NetworkError::new(
                NetworkErrorKind::BadValue,
                o.span_of("weights_normalization"),
                format!("`weights_normalization={wn}` is not one of none, relu, softmax"),
            ));
        };
        let from = references(o, cx, "from")?;
        Ok(Shortcut {
            from,
            activation,
            weights_type,
            weights_normalization,
        })
    }

    fn sources(s: &Shortcut, prev: Src) -> Vec<Src> {
        std::iter::once(prev)
            .chain(s.from.iter().map(|&i| Src::Layer(i)))
            .collect()
    }

    fn shape(sc: &Shortcut, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        let out = cx.image()?;
        for &idx in &sc.from {
            let s = cx.source(idx)?.output;
            if (s.w, s.h) == (out.w, out.h) {
                continue;
            }
            // Early-2020 darknet's shortcut_cpu samples the larger input with an integer stride
            // and asserts that the width and height ratios agree.
            let ok = s.w > 0 && s.h > 0 && s.w / out.w == s.h / out.h && out.w / s.w == out.h / s.h;
            if !ok {
                return Err(cx.err_at(ShapeErrorKind::SizeMismatch, "from", format!(
                    "adds layer {idx} ({}) to the previous layer ({}): their sizes differ and have no common integer ratio, so neither current darknet (assert) nor early-2020 darknet (resampling) can join them",
                    s.text(), out.text()
                )));
            }
            cx.warn(format!(
                "adds layer {idx} ({}) to the previous layer ({}) of another size: current darknet asserts here; loaded with early-2020 darknet's rule (output = the previous layer's shape, the other input resampled)",
                s.text(), out.text()
            ));
        }
        cx.out(out, out)
    }

    fn cost(sc: &Shortcut, s: &LayerShape) -> Option<LayerCost> {
        let mut cost = LayerCost::default();
        let n = sc.from.len() as u64;
        let o = s.output;
        let weighted = sc.weights_type != WeightsType::None;
        let mut b = o.w as f64 * o.h as f64 * o.c as f64 * n as f64 / 1e9;
        if weighted {
            b *= 2.0;
        }
        cost.bflops = b as f32;
        let nweights = match sc.weights_type {
            WeightsType::None => 0,
            WeightsType::PerFeature => n + 1,
            WeightsType::PerChannel => (n + 1).checked_mul(o.c as u64)?,
        };
        cost.params = nweights;
        cost.weight_floats = nweights;
        Some(cost)
    }

    fn line(sc: &Shortcut, cx: &LineCx) -> String {
        let o = cx.shape.output;
        let list: String = sc.from.iter().map(|l| format!("{l}, ")).collect();
        let mut line = format!(
            "Shortcut Layer: {list} wt = {}, wn = {}, outputs:{} {}",
            sc.weights_type.code(),
            sc.weights_normalization.code(),
            dims(o),
            bf(cx.cost)
        );
        for other in cx.others.iter().filter(|s| **s != o) {
            line += &format!("\n ({}) + ({}) ", dims(o), dims(*other));
        }
        line
    }

    fn weights(_: &Shortcut, _: &LayerShape, floats: u64) -> Vec<WeightBlock> {
        WeightBlock::plain(floats)
    }
    fn flow(_: &Shortcut) -> ChannelFlow {
        ChannelFlow::ChannelWise
    }
    fn view_of(_: &Shortcut, _: Src) -> Option<Src> {
        None
    }
    fn references(p: &Shortcut) -> Option<(&'static str, Vec<usize>)> {
        Some(("from", p.from.clone()))
    }
}
