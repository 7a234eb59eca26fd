//! Kinds that move values without weights: `[upsample]` (and downsample), `[reorg]`,
//! `[reorg3d]`, `[crop]`.

use super::{
    ChannelFlow, Kind, LineCx, Receptive, Src, WeightBlock, dims, plain_line, plain_wiring,
    previous,
};
use crate::vocab::cost::LayerCost;
use crate::vocab::error::{NetworkError, NetworkErrorKind};
use crate::vocab::keys::{MAX_DIM, ParseCx, dim};
use crate::vocab::options::Opts;
use crate::vocab::shape::{LayerShape, Shape, ShapeError, ShapeErrorKind};
use crate::vocab::shape_cx::ShapeCx;
use serde::Serialize;

/// `[upsample]` parameters (a negative stride downsamples).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Upsample {
    /// Factor; negative to downsample.
    pub stride: i64,
    /// Multiplies every value.
    pub scale: f32,
}

/// `[reorg]` (darknet's old reorg) and `[reorg3d]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reorg {
    /// Side of the blocks moved into channels.
    pub stride: usize,
    /// Channels back into space.
    pub reverse: bool,
}

/// `[crop]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Crop {
    /// Output width.
    pub crop_width: usize,
    /// Output height.
    pub crop_height: usize,
}

/// The upsample kind.
pub struct UpsampleKind;
/// The reorg kind.
pub struct ReorgKind;
/// The reorg3d kind.
pub struct Reorg3dKind;
/// The crop kind.
pub struct CropKind;

fn no_cost() -> Option<LayerCost> {
    Some(LayerCost::default())
}

impl Kind for UpsampleKind {
    type Params = Upsample;
    const NAME: &'static str = "upsample";
    const SECTIONS: &'static [&'static str] = &["upsample"];
    const HEAD: bool = false;

    fn receptive(u: &Upsample) -> Receptive {
        // a negative stride (downsampling) is stored as its magnitude
        Receptive::Divide(u.stride.unsigned_abs() as usize)
    }

    fn parse(o: &Opts, _: &mut ParseCx) -> Result<Upsample, NetworkError> {
        let stride = o.int_in("stride", 2, -MAX_DIM, MAX_DIM)?;
        if stride == 0 {
            return Err(NetworkError::new(
                NetworkErrorKind::OutOfRange,
                o.span_of("stride"),
                "`stride=0` in [upsample] would divide by zero".into(),
            ));
        }
        Ok(Upsample {
            stride,
            scale: o.float("scale", 1.0)?,
        })
    }
    fn shape(u: &Upsample, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        let i = cx.image()?;
        let s = u.stride.unsigned_abs() as usize;
        let o = if u.stride > 0 {
            Shape::new(i.w.saturating_mul(s), i.h.saturating_mul(s), i.c)
        } else {
            Shape::new(i.w / s, i.h / s, i.c)
        };
        cx.out(i, o)
    }
    fn cost(_: &Upsample, _: &LayerShape) -> Option<LayerCost> {
        no_cost()
    }
    fn line(u: &Upsample, cx: &LineCx) -> String {
        let name = if u.stride < 0 {
            "downsample"
        } else {
            "upsample  "
        };
        format!(
            "{name}{:14}{:2}x  {} -> {}",
            "",
            u.stride.unsigned_abs(),
            dims(cx.shape.input),
            dims(cx.shape.output)
        )
    }
    plain_wiring!(Upsample, ChannelFlow::ChannelWise);
}

fn parse_reorg(o: &Opts) -> Result<Reorg, NetworkError> {
    Ok(Reorg {
        stride: dim(o, "stride", 1)?,
        reverse: o.flag("reverse")?,
    })
}

fn reorg_shape(r: &Reorg, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
    let i = cx.image()?;
    let s2 = r.stride * r.stride;
    let o = if r.reverse {
        if i.c < s2 {
            return Err(cx.err_at(
                ShapeErrorKind::Channels,
                "stride",
                format!(
                    "reverse reorg with stride {} needs at least {s2} channels, the input has {}",
                    r.stride, i.c
                ),
            ));
        }
        Shape::new(
            cx.prod(&[i.w, r.stride])?,
            cx.prod(&[i.h, r.stride])?,
            i.c / s2,
        )
    } else {
        Shape::new(i.w / r.stride, i.h / r.stride, cx.prod(&[i.c, s2])?)
    };
    cx.out(i, o)
}

/// The rules of `[reorg]` and `[reorg3d]`: the same parameters and shape (the backends run
/// them differently).
macro_rules! reorg_kind {
    ($marker:ty, $name:literal, $receptive:expr) => {
        impl Kind for $marker {
            type Params = Reorg;
            const NAME: &'static str = $name;
            const SECTIONS: &'static [&'static str] = &[$name];
            const HEAD: bool = false;

            fn parse(o: &Opts, _: &mut ParseCx) -> Result<Reorg, NetworkError> {
                parse_reorg(o)
            }
            fn shape(r: &Reorg, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
                reorg_shape(r, cx)
            }
            fn cost(_: &Reorg, _: &LayerShape) -> Option<LayerCost> {
                no_cost()
            }
            fn line(_: &Reorg, cx: &LineCx) -> String {
                plain_line(Self::NAME, cx)
            }
            plain_wiring!(Reorg, ChannelFlow::Reorg);
            fn receptive(r: &Reorg) -> Receptive {
                $receptive(r.stride)
            }
        }
    };
}

// darknet's `[reorg]` is REORG_OLD, which the window rule reads (the scale grows by its
// stride); `[reorg3d]` is REORG, which divides the scale
reorg_kind!(ReorgKind, "reorg", |stride| Receptive::window(0, stride));
reorg_kind!(Reorg3dKind, "reorg3d", Receptive::Divide);

impl Kind for CropKind {
    type Params = Crop;
    const NAME: &'static str = "crop";
    const SECTIONS: &'static [&'static str] = &["crop"];
    const HEAD: bool = false;

    fn receptive(_: &Crop) -> Receptive {
        Receptive::NONE
    }

    fn parse(o: &Opts, _: &mut ParseCx) -> Result<Crop, NetworkError> {
        let c = Crop {
            crop_height: dim(o, "crop_height", 1)?,
            crop_width: dim(o, "crop_width", 1)?,
        };
        for key in [
            "flip",
            "noadjust",
            "angle",
            "saturation",
            "exposure",
            "shift",
        ] {
            o.touch(key);
        }
        Ok(c)
    }
    fn shape(c: &Crop, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        let i = cx.image()?;
        if c.crop_width > i.w || c.crop_height > i.h {
            return Err(cx.err(
                ShapeErrorKind::WindowTooLarge,
                format!(
                    "the crop {}×{} is larger than the input {}",
                    c.crop_width,
                    c.crop_height,
                    i.text()
                ),
            ));
        }
        cx.out(i, Shape::new(c.crop_width, c.crop_height, i.c))
    }
    fn cost(_: &Crop, _: &LayerShape) -> Option<LayerCost> {
        no_cost()
    }
    fn line(_: &Crop, cx: &LineCx) -> String {
        plain_line(Self::NAME, cx)
    }
    plain_wiring!(Crop, ChannelFlow::Mixing);
}
