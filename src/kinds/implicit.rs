//! `[implicit]`: YOLOR's learned constant, a 1×1×filters output read from the weights.

use super::{ChannelFlow, Kind, LineCx, Receptive, Src, WeightBlock, plain_line};
use crate::vocab::cost::{LayerCost, mul};
use crate::vocab::error::NetworkError;
use crate::vocab::keys::{ParseCx, dim};
use crate::vocab::options::Opts;
use crate::vocab::shape::{LayerShape, Shape, ShapeError};
use crate::vocab::shape_cx::ShapeCx;
use serde::Serialize;

/// `[implicit]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Implicit {
    /// Output channels.
    pub filters: usize,
    /// Values per channel in the file.
    pub atoms: usize,
}

/// The implicit kind.
pub struct ImplicitKind;

impl Kind for ImplicitKind {
    type Params = Implicit;
    const NAME: &'static str = "implicit";
    const SECTIONS: &'static [&'static str] = &["implicit"];
    const HEAD: bool = false;

    fn receptive(_: &Implicit) -> Receptive {
        Receptive::NONE
    }

    fn parse(o: &Opts, _: &mut ParseCx) -> Result<Implicit, NetworkError> {
        o.touch("mean");
        o.touch("std");
        Ok(Implicit {
            filters: dim(o, "filters", 128)?,
            atoms: dim(o, "atoms", 1)?,
        })
    }
    /// It reads no layer.
    fn sources(_: &Implicit, _: Src) -> Vec<Src> {
        Vec::new()
    }
    fn shape(p: &Implicit, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        cx.out(Shape::default(), Shape::new(1, 1, p.filters))
    }
    fn cost(p: &Implicit, _: &LayerShape) -> Option<LayerCost> {
        let params = mul(&[p.filters, p.atoms])?;
        Some(LayerCost {
            params,
            weight_floats: params,
            ..LayerCost::default()
        })
    }
    fn line(_: &Implicit, cx: &LineCx) -> String {
        plain_line(Self::NAME, cx)
    }
    fn weights(_: &Implicit, _: &LayerShape, floats: u64) -> Vec<WeightBlock> {
        WeightBlock::plain(floats)
    }
    fn flow(_: &Implicit) -> ChannelFlow {
        ChannelFlow::Mixing
    }
    fn view_of(_: &Implicit, _: Src) -> Option<Src> {
        None
    }
    fn references(_: &Implicit) -> Option<(&'static str, Vec<usize>)> {
        None
    }
}
