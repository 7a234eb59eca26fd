//! `[maxpool]`, `[local_avgpool]` and the global `[avgpool]`.

use super::{
    ChannelFlow, Kind, LineCx, NoParams, Receptive, Src, WeightBlock, bf, dims, plain_wiring,
    previous,
};
use crate::vocab::cost::LayerCost;
use crate::vocab::error::NetworkError;
use crate::vocab::keys::{ParseCx, count, dim};
use crate::vocab::options::Opts;
use crate::vocab::shape::{LayerShape, Shape, ShapeError};
use crate::vocab::shape_cx::ShapeCx;
use serde::Serialize;

/// `[maxpool]` / `[local_avgpool]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(missing_docs)]
pub struct Pool {
    pub size: usize,
    pub stride_x: usize,
    pub stride_y: usize,
    /// Total padding (darknet's default is `size-1`).
    pub padding: usize,
    pub maxpool_depth: bool,
    pub out_channels: usize,
    pub antialiasing: usize,
}

/// The maxpool kind.
pub struct MaxpoolKind;
/// The local average pool kind.
pub struct LocalAvgpoolKind;
/// The global average pool kind.
pub struct AvgpoolKind;

fn parse_pool(o: &Opts, avg: bool) -> Result<Pool, NetworkError> {
    let stride = dim(o, "stride", 1)?;
    let stride_x = dim(o, "stride_x", stride as i64)?;
    let stride_y = dim(o, "stride_y", stride as i64)?;
    let size = dim(o, "size", stride as i64)?;
    let padding = count(o, "padding", size as i64 - 1)?;
    let (maxpool_depth, out_channels, antialiasing) = if avg {
        (false, 1, 0)
    } else {
        o.touch("maxpool_zero_nonmax");
        (
            o.flag("maxpool_depth")?,
            dim(o, "out_channels", 1)?,
            o.int_in("antialiasing", 0, 0, 2)? as usize,
        )
    };
    Ok(Pool {
        size,
        stride_x,
        stride_y,
        padding,
        maxpool_depth,
        out_channels,
        antialiasing,
    })
}

fn pool_shape(p: &Pool, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
    let i = cx.image()?;
    if p.maxpool_depth {
        return cx.out(i, Shape::new(i.w, i.h, p.out_channels));
    }
    let (sx, sy) = if p.antialiasing > 0 {
        (1, 1)
    } else {
        (p.stride_x, p.stride_y)
    };
    let host = Shape::new(
        cx.window(i.w, p.padding, p.size, sx, "pool size")?,
        cx.window(i.h, p.padding, p.size, sy, "pool size")?,
        i.c,
    );
    cx.maybe_blurred(i, host, p.antialiasing, (p.stride_x, p.stride_y))
}

fn pool_cost(p: &Pool, s: &LayerShape) -> Option<LayerCost> {
    let out = s.pre_blur.unwrap_or(s.output);
    Some(LayerCost {
        bflops: (p.size as f64 * p.size as f64 * s.input.c as f64 * out.h as f64 * out.w as f64
            / 1e9) as f32,
        ..LayerCost::default()
    })
}

fn pool_line(name: &str, p: &Pool, cx: &LineCx) -> String {
    let (i, o) = (cx.shape.input, cx.shape.output);
    if p.maxpool_depth {
        return format!(
            "max-depth         {:2}x{:2}/{:2}   {} -> {} {}",
            p.size,
            p.size,
            p.stride_x,
            dims(i),
            dims(o),
            bf(cx.cost)
        );
    }
    let window = if p.stride_x == p.stride_y {
        format!("{:2}x{:2}/{:2}   ", p.size, p.size, p.stride_x)
    } else {
        format!(
            "{:2}x{:2}/{:2}x{:2} ",
            p.size, p.size, p.stride_x, p.stride_y
        )
    };
    format!(
        "{name}{:15}{window}{} -> {} {}",
        "",
        dims(i),
        dims(cx.shape.pre_blur.unwrap_or(o)),
        bf(cx.cost)
    )
}

impl Kind for MaxpoolKind {
    type Params = Pool;
    const NAME: &'static str = "maxpool";
    const SECTIONS: &'static [&'static str] = &["max", "maxpool"];
    const HEAD: bool = false;

    fn receptive(p: &Pool) -> Receptive {
        Receptive::window(p.size, p.stride_x)
    }

    fn parse(o: &Opts, _: &mut ParseCx) -> Result<Pool, NetworkError> {
        parse_pool(o, false)
    }
    fn shape(p: &Pool, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        pool_shape(p, cx)
    }
    fn cost(p: &Pool, s: &LayerShape) -> Option<LayerCost> {
        pool_cost(p, s)
    }
    fn line(p: &Pool, cx: &LineCx) -> String {
        pool_line("max", p, cx)
    }
    plain_wiring!(Pool, ChannelFlow::ChannelWise);
}

impl Kind for LocalAvgpoolKind {
    type Params = Pool;
    const NAME: &'static str = "local_avgpool";
    const SECTIONS: &'static [&'static str] = &["local_avg", "local_avgpool"];
    const HEAD: bool = false;

    fn receptive(p: &Pool) -> Receptive {
        Receptive::window(p.size, p.stride_x)
    }

    fn parse(o: &Opts, _: &mut ParseCx) -> Result<Pool, NetworkError> {
        parse_pool(o, true)
    }
    fn shape(p: &Pool, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        pool_shape(p, cx)
    }
    fn cost(p: &Pool, s: &LayerShape) -> Option<LayerCost> {
        pool_cost(p, s)
    }
    fn line(p: &Pool, cx: &LineCx) -> String {
        pool_line("avg", p, cx)
    }
    plain_wiring!(Pool, ChannelFlow::ChannelWise);
}

impl Kind for AvgpoolKind {
    type Params = NoParams;
    const NAME: &'static str = "avgpool";
    const SECTIONS: &'static [&'static str] = &["avg", "avgpool"];
    const HEAD: bool = false;

    fn receptive(_: &NoParams) -> Receptive {
        Receptive::NONE
    }

    fn parse(_: &Opts, _: &mut ParseCx) -> Result<NoParams, NetworkError> {
        Ok(NoParams {})
    }
    fn shape(_: &NoParams, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        let i = cx.image()?;
        cx.out(i, Shape::new(1, 1, i.c))
    }
    fn cost(_: &NoParams, _: &LayerShape) -> Option<LayerCost> {
        Some(LayerCost::default())
    }
    fn line(_: &NoParams, cx: &LineCx) -> String {
        let (i, o) = (cx.shape.input, cx.shape.output);
        format!("avg{:26}{:4} x{:4} x{:4} ->   {:4}", "", i.w, i.h, i.c, o.c)
    }
    plain_wiring!(NoParams, ChannelFlow::ChannelWise);
}
