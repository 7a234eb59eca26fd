//! `[sam]` and `[scale_channels]`: the previous layer applied to an earlier one.

use super::{ChannelFlow, Kind, LineCx, Receptive, Src, WeightBlock, plain_line};
use crate::vocab::activation::Activation;
use crate::vocab::cost::LayerCost;
use crate::vocab::error::{NetworkError, NetworkErrorKind};
use crate::vocab::keys::{ParseCx, activation, reference};
use crate::vocab::options::Opts;
use crate::vocab::shape::{LayerShape, ShapeError, ShapeErrorKind};
use crate::vocab::shape_cx::ShapeCx;
use serde::Serialize;

/// `[sam]` / `[scale_channels]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scale {
    /// The layer scaled, absolute.
    pub from: usize,
    /// Applied to the product.
    pub activation: Activation,
    /// `scale_channels` with a W×H map instead of per-channel factors.
    pub scale_wh: bool,
}

/// The sam kind (spatial attention: element-wise product).
pub struct SamKind;
/// The scale_channels kind (per-channel or per-position factors).
pub struct ScaleChannelsKind;

fn parse_scale(o: &Opts, cx: &mut ParseCx, sam: bool) -> Result<Scale, NetworkError> {
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
    Ok(Scale {
        from,
        activation,
        scale_wh,
    })
}

fn scale_shape(s: &Scale, cx: &mut ShapeCx, sam: bool) -> Result<LayerShape, ShapeError> {
    let i = cx.prev;
    let from = cx.source(s.from)?.output;
    let fits = if sam {
        i == from
    } else if s.scale_wh {
        (i.w, i.h) == (from.w, from.h)
    } else {
        i.c == from.c
    };
    if !fits {
        return Err(cx.err_at(
            ShapeErrorKind::SizeMismatch,
            "from",
            format!(
                "cannot scale layer {} ({}) by the previous layer ({})",
                s.from,
                from.text(),
                i.text()
            ),
        ));
    }
    cx.out(i, from)
}

/// The rules of `[sam]` (`$sam` true: element-wise product) and `[scale_channels]`.
macro_rules! scale_kind {
    ($marker:ty, $name:literal, $sam:literal) => {
        impl Kind for $marker {
            type Params = Scale;
            const NAME: &'static str = $name;
            const SECTIONS: &'static [&'static str] = &[$name];
            const HEAD: bool = false;

            fn parse(o: &Opts, cx: &mut ParseCx) -> Result<Scale, NetworkError> {
                parse_scale(o, cx, $sam)
            }
            fn sources(s: &Scale, prev: Src) -> Vec<Src> {
                vec![prev, Src::Layer(s.from)]
            }
            fn shape(s: &Scale, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
                scale_shape(s, cx, $sam)
            }
            fn cost(_: &Scale, _: &LayerShape) -> Option<LayerCost> {
                Some(LayerCost::default())
            }
            fn line(_: &Scale, cx: &LineCx) -> String {
                plain_line(Self::NAME, cx)
            }
            fn weights(_: &Scale, _: &LayerShape, _: u64) -> Vec<WeightBlock> {
                Vec::new()
            }
            fn flow(_: &Scale) -> ChannelFlow {
                ChannelFlow::ChannelWise
            }
            fn view_of(_: &Scale, _: Src) -> Option<Src> {
                None
            }
            fn references(p: &Scale) -> Option<(&'static str, Vec<usize>)> {
                Some(("from", vec![p.from]))
            }
            fn receptive(_: &Scale) -> Receptive {
                Receptive::NONE
            }
        }
    };
}

scale_kind!(SamKind, "sam", true);
scale_kind!(ScaleChannelsKind, "scale_channels", false);
