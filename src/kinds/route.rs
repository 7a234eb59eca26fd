//! `[route]`: concatenation of earlier layers' outputs, or one group of channels of one.

use super::{ChannelFlow, Kind, LineCx, Receptive, Src, WeightBlock, dims};
use crate::vocab::cost::LayerCost;
use crate::vocab::error::{NetworkError, NetworkErrorKind};
use crate::vocab::keys::{MAX_DIM, ParseCx, references};
use crate::vocab::options::Opts;
use crate::vocab::shape::{LayerShape, Shape, ShapeError, ShapeErrorKind};
use crate::vocab::shape_cx::ShapeCx;
use serde::Serialize;

/// `[route]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    /// The layers joined, absolute.
    pub layers: Vec<usize>,
    /// Channel groups of the joined tensor.
    pub groups: usize,
    /// The group kept.
    pub group_id: usize,
}

/// The route kind.
pub struct RouteKind;

impl Kind for RouteKind {
    type Params = Route;
    const NAME: &'static str = "route";
    const SECTIONS: &'static [&'static str] = &["route"];
    const HEAD: bool = false;

    fn receptive(_: &Route) -> Receptive {
        Receptive::Inputs
    }

    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<Route, NetworkError> {
        let layers = references(o, cx, "layers")?;
        let groups = o.int_in("groups", 1, 1, MAX_DIM)? as usize;
        let group_id = o.int_in("group_id", 0, 0, MAX_DIM)? as usize;
        if group_id >= groups {
            return Err(NetworkError::new(
                NetworkErrorKind::OutOfRange,
                o.span_of("group_id"),
                format!(
                    "`group_id={group_id}` in layer {} must be below `groups={groups}`",
                    cx.index
                ),
            ));
        }
        o.touch("stream");
        o.touch("wait_stream");
        Ok(Route {
            layers,
            groups,
            group_id,
        })
    }

    fn sources(r: &Route, _: Src) -> Vec<Src> {
        r.layers.iter().map(|&i| Src::Layer(i)).collect()
    }

    fn shape(r: &Route, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        let groups = r.groups;
        let mut first: Option<(usize, Shape)> = None;
        let (mut c, mut total) = (0usize, 0usize);
        for &idx in &r.layers {
            let s = cx.source(idx)?;
            if let Some((fi, f)) = first {
                if (s.output.w, s.output.h) != (f.w, f.h) {
                    return Err(cx.err_at(ShapeErrorKind::SizeMismatch, "layers", format!(
                        "joins layer {fi} ({}) and layer {idx} ({}): the widths and heights differ, so no concatenation exists (darknet prints 'The width and height of the input layers are different' and gives 0×0×0)",
                        f.text(), s.output.text()
                    )));
                }
            } else {
                first = Some((idx, s.output));
            }
            if s.output.c % groups != 0 {
                cx.warn(format!(
                    "layer {idx} has {} channels, not divisible by groups={groups}",
                    s.output.c
                ));
            }
            c = c.checked_add(s.output.c).ok_or_else(|| cx.overflow())?;
            total = total.checked_add(s.outputs).ok_or_else(|| cx.overflow())?;
        }
        let (_, f) =
            first.ok_or_else(|| cx.err(ShapeErrorKind::Reference, "lists no layers".into()))?;
        let output = Shape::new(f.w, f.h, c / groups);
        let outputs = total / groups;
        if outputs == 0 {
            return Err(cx.err(
                ShapeErrorKind::NoOutput,
                format!("the output would be {}, which has no values", output.text()),
            ));
        }
        Ok(LayerShape {
            input: f,
            output,
            inputs: total,
            outputs,
            pre_blur: None,
        })
    }

    fn cost(_: &Route, _: &LayerShape) -> Option<LayerCost> {
        Some(LayerCost::default())
    }

    fn line(r: &Route, cx: &LineCx) -> String {
        let list: String = r.layers.iter().map(|l| format!(" {l}")).collect();
        let gap = match r.layers.len() {
            n if n > 3 => " \t    ",
            n if n > 1 => " \t            ",
            _ => " \t\t            ",
        };
        let groups = if r.groups > 1 {
            format!("{}/{}", r.group_id, r.groups)
        } else {
            "   ".into()
        };
        format!(
            "route {list}{gap}           {groups} -> {}",
            dims(cx.shape.output)
        )
    }

    fn weights(_: &Route, _: &LayerShape, _: u64) -> Vec<WeightBlock> {
        Vec::new()
    }
    fn flow(_: &Route) -> ChannelFlow {
        ChannelFlow::Route
    }
    fn view_of(p: &Route, _: Src) -> Option<Src> {
        match p.layers[..] {
            [only] => Some(Src::Layer(only)),
            _ => None,
        }
    }
    fn references(p: &Route) -> Option<(&'static str, Vec<usize>)> {
        Some(("layers", p.layers.clone()))
    }
}
