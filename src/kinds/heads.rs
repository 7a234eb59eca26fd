//! Detection heads: `[yolo]`, `[Gaussian_yolo]`, `[region]` (YOLOv2) and `[detection]` (YOLOv1).

use super::{
    ChannelFlow, HeadFilters, Kind, KindTag, LineCx, Receptive, Src, WeightBlock, count_line, dims,
    plain_line, plain_wiring, previous,
};
use crate::diag::Warning;
use crate::vocab::cost::LayerCost;
use crate::vocab::error::{NetworkError, NetworkErrorKind};
use crate::vocab::keys::{MAX_DIM, ParseCx, count, dim};
use crate::vocab::options::Opts;
use crate::vocab::shape::{LayerShape, Shape, ShapeError, ShapeErrorKind};
use crate::vocab::shape_cx::ShapeCx;
use serde::Serialize;

/// `[yolo] nms_kind`, as darknet's `parse_yolo` reads it (any other value is `default`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NmsKind {
    /// `do_nms_sort`: IoU per class.
    Default,
    /// `greedynms`: DIoU per class.
    Greedynms,
    /// `diounms`: IoU − (d/c)^beta_nms.
    Diounms,
}

/// `[yolo]` and `[Gaussian_yolo]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(missing_docs)]
pub struct Yolo {
    pub classes: usize,
    /// `num`: the number of anchors listed.
    pub total: usize,
    pub mask: Vec<usize>,
    pub anchors: Vec<f32>,
    pub scale_x_y: f32,
    pub new_coords: bool,
    pub nms_kind: NmsKind,
    pub beta_nms: f32,
    /// `[Gaussian_yolo] yolo_point`: which point of the box x and y place (not in the JSON,
    /// whose shape is fixed).
    #[serde(skip)]
    pub yolo_point: YoloPoint,
}

/// `[Gaussian_yolo] yolo_point`, as darknet's `parse_gaussian_yolo` reads it (any other
/// value is `center`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum YoloPoint {
    /// x, y are the box's centre.
    #[default]
    Center,
    /// x, y are its top-left corner.
    LeftTop,
    /// x, y are its bottom-right corner.
    RightBottom,
}

/// `[region]` parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(missing_docs)]
pub struct Region {
    pub classes: usize,
    pub coords: usize,
    pub num: usize,
    pub anchors: Vec<f32>,
    pub softmax: bool,
}

/// `[detection]` (YOLOv1) parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(missing_docs)]
pub struct Detection {
    pub classes: usize,
    pub coords: usize,
    pub num: usize,
    pub side: usize,
    pub softmax: bool,
    pub sqrt: bool,
    pub rescore: bool,
}

impl Yolo {
    /// Anchor `n`'s width and height in network-input pixels, as listed in `anchors=`.
    pub fn anchor(&self, n: usize) -> Option<(f32, f32)> {
        Some((*self.anchors.get(2 * n)?, *self.anchors.get(2 * n + 1)?))
    }
}

impl super::LayerKind {
    /// The head's anchors and mask, for `[yolo]` and `[Gaussian_yolo]` (each reads the
    /// anchors its mask lists; `[region]` reads all of its own).
    pub fn yolo(&self) -> Option<&Yolo> {
        if let Self::Yolo(y) | Self::GaussianYolo(y) = self {
            Some(y)
        } else {
            None
        }
    }
}

/// The yolo kind.
pub struct YoloKind;
/// The Gaussian_yolo kind.
pub struct GaussianYoloKind;
/// The region kind.
pub struct RegionKind;
/// The detection kind.
pub struct DetectionKind;

/// The keys AlexeyAB's `parse_yolo` reads that only training uses.
const YOLO_TRAINING_KEYS: [&str; 26] = [
    "max",
    "show_details",
    "max_delta",
    "counters_per_class",
    "label_smooth_eps",
    "objectness_smooth",
    "iou_normalizer",
    "obj_normalizer",
    "cls_normalizer",
    "delta_normalizer",
    "iou_loss",
    "iou_thresh_kind",
    "jitter",
    "resize",
    "focal_loss",
    "ignore_thresh",
    "truth_thresh",
    "iou_thresh",
    "random",
    "track_history_size",
    "sim_thresh",
    "dets_for_track",
    "dets_for_show",
    "track_ciou_norm",
    "embedding_layer",
    "map",
];

/// The keys AlexeyAB's `parse_gaussian_yolo` reads that only training uses (it reads no
/// `new_coords`, `show_details`, `focal_loss` or tracking key).
const GAUSSIAN_YOLO_TRAINING_KEYS: [&str; 20] = [
    "max",
    "max_delta",
    "counters_per_class",
    "label_smooth_eps",
    "objectness_smooth",
    "uc_normalizer",
    "iou_normalizer",
    "obj_normalizer",
    "cls_normalizer",
    "delta_normalizer",
    "iou_loss",
    "iou_thresh_kind",
    "yolo_point",
    "jitter",
    "resize",
    "ignore_thresh",
    "truth_thresh",
    "iou_thresh",
    "random",
    "map",
];

fn parse_mask(o: &Opts, cx: &mut ParseCx, total: usize) -> Result<Vec<usize>, NetworkError> {
    let Some(m) = o.ints("mask")? else {
        return Ok((0..total).collect());
    };
    m.into_iter()
        .map(|v| {
            if v < 0 {
                return Err(NetworkError::new(
                    NetworkErrorKind::OutOfRange,
                    o.span_of("mask"),
                    format!(
                        "mask entry {v} in layer {} is negative; entries index the anchors",
                        cx.index
                    ),
                ));
            }
            if v >= total as i64 {
                cx.warnings.push(Warning::at(
                    o.span_of("mask"),
                    format!("mask entry {v} in layer {} is not below num={total}: darknet reads an anchor past the list", cx.index),
                ));
            }
            Ok(v.min(MAX_DIM) as usize)
        })
        .collect()
}

/// A `[yolo]` (`gaussian` false) or `[Gaussian_yolo]` section.
fn parse_yolo(o: &Opts, cx: &mut ParseCx, gaussian: bool) -> Result<Yolo, NetworkError> {
    let classes = count(o, "classes", 20)?;
    let total = dim(o, "num", 1)?;
    let mask = parse_mask(o, cx, total)?;
    let anchors = o.floats("anchors")?.unwrap_or_default();
    let scale_x_y = o.float("scale_x_y", 1.0)?;
    let new_coords = !gaussian && o.flag("new_coords")?;
    let nms_kind = match o.string("nms_kind", "default").as_str() {
        "greedynms" => NmsKind::Greedynms,
        "diounms" => NmsKind::Diounms,
        _ => NmsKind::Default,
    };
    let beta_nms = o.float("beta_nms", 0.6)?;
    // only parse_gaussian_yolo reads it
    let yolo_point = if gaussian {
        match o.string("yolo_point", "center").as_str() {
            "left_top" => YoloPoint::LeftTop,
            "right_bottom" => YoloPoint::RightBottom,
            _ => YoloPoint::Center,
        }
    } else {
        YoloPoint::Center
    };
    let training: &[&str] = if gaussian {
        &GAUSSIAN_YOLO_TRAINING_KEYS
    } else {
        &YOLO_TRAINING_KEYS
    };
    training.iter().for_each(|k| o.touch(k));
    Ok(Yolo {
        classes,
        total,
        mask,
        anchors,
        scale_x_y,
        new_coords,
        nms_kind,
        beta_nms,
        yolo_point,
    })
}

/// A yolo head's output is its input; `extra` is 5 (x, y, w, h, objectness) or 9 (Gaussian).
fn yolo_shape(y: &Yolo, cx: &mut ShapeCx, tag: KindTag) -> Result<LayerShape, ShapeError> {
    let i = cx.prev;
    let rule = HeadFilters::of(tag, y.classes, y.mask.len(), 0).ok_or_else(|| cx.overflow())?;
    let per = rule.filters().ok_or_else(|| cx.overflow())?;
    let expected = cx.prod(&[i.w, i.h, per])?;
    if expected != cx.prev_flat || expected == 0 {
        return Err(cx.err(ShapeErrorKind::HeadInput, format!(
            "expects {per} channels ({} masks × (classes {} + {})) but its input is {}; filters= in the [convolutional] layer before does not match classes= or mask=",
            rule.anchors, rule.classes, rule.fixed.values(), i.text()
        )));
    }
    cx.out(i, i)
}

fn yolo_line(name: &str, y: &Yolo, cx: &LineCx) -> String {
    let mask: Vec<String> = y.mask.iter().map(|m| m.to_string()).collect();
    format!(
        "{name:<10}{:24}{} -> {}  classes {}, mask {}",
        "",
        dims(cx.shape.input),
        dims(cx.shape.output),
        y.classes,
        mask.join(",")
    )
}

impl Kind for YoloKind {
    type Params = Yolo;
    const NAME: &'static str = "yolo";
    const SECTIONS: &'static [&'static str] = &["yolo"];
    const HEAD: bool = true;

    fn receptive(_: &Yolo) -> Receptive {
        Receptive::NONE
    }

    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<Yolo, NetworkError> {
        parse_yolo(o, cx, false)
    }
    fn shape(y: &Yolo, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        yolo_shape(y, cx, KindTag::Yolo)
    }
    fn cost(_: &Yolo, _: &LayerShape) -> Option<LayerCost> {
        Some(LayerCost::default())
    }
    fn line(y: &Yolo, cx: &LineCx) -> String {
        yolo_line(Self::NAME, y, cx)
    }
    plain_wiring!(Yolo, ChannelFlow::Mixing);
}

impl Kind for GaussianYoloKind {
    type Params = Yolo;
    const NAME: &'static str = "gaussian_yolo";
    const SECTIONS: &'static [&'static str] = &["Gaussian_yolo"];
    const HEAD: bool = true;

    fn receptive(_: &Yolo) -> Receptive {
        Receptive::NONE
    }

    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<Yolo, NetworkError> {
        parse_yolo(o, cx, true)
    }
    fn shape(y: &Yolo, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        yolo_shape(y, cx, KindTag::GaussianYolo)
    }
    fn cost(_: &Yolo, _: &LayerShape) -> Option<LayerCost> {
        Some(LayerCost::default())
    }
    fn line(y: &Yolo, cx: &LineCx) -> String {
        yolo_line(Self::NAME, y, cx)
    }
    plain_wiring!(Yolo, ChannelFlow::Mixing);
}

impl Kind for RegionKind {
    type Params = Region;
    const NAME: &'static str = "region";
    const SECTIONS: &'static [&'static str] = &["region"];
    const HEAD: bool = true;

    fn receptive(_: &Region) -> Receptive {
        Receptive::NONE
    }

    fn parse(o: &Opts, _: &mut ParseCx) -> Result<Region, NetworkError> {
        let coords = count(o, "coords", 4)?;
        let classes = count(o, "classes", 20)?;
        let num = dim(o, "num", 1)?;
        let anchors = o.floats("anchors")?.unwrap_or_default();
        let softmax = o.flag("softmax")?;
        for key in [
            "max",
            "log",
            "sqrt",
            "focal_loss",
            "rescore",
            "classfix",
            "absolute",
            "bias_match",
            "jitter",
            "resize",
            "thresh",
            "random",
            "coord_scale",
            "object_scale",
            "noobject_scale",
            "mask_scale",
            "class_scale",
            "tree",
            "map",
        ] {
            o.touch(key);
        }
        Ok(Region {
            classes,
            coords,
            num,
            anchors,
            softmax,
        })
    }
    fn shape(r: &Region, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        let prev = cx.prev;
        let rule = HeadFilters::of(KindTag::Region, r.classes, r.num, r.coords);
        let per = rule
            .and_then(|r| r.filters())
            .ok_or_else(|| cx.overflow())?;
        let expected = cx.prod(&[prev.w, prev.h, per])?;
        if expected != cx.prev_flat || expected == 0 {
            return Err(cx.err(ShapeErrorKind::HeadInput, format!(
                "[region] expects {}×{}×{per} = {expected} inputs (num·(classes+coords+1) channels) but gets {}; filters= of the layer before does not match classes=/num=",
                prev.w, prev.h, cx.prev_flat
            )));
        }
        cx.out(prev, Shape::new(prev.w, prev.h, per))
    }
    fn cost(_: &Region, _: &LayerShape) -> Option<LayerCost> {
        Some(LayerCost::default())
    }
    fn line(_: &Region, cx: &LineCx) -> String {
        plain_line(Self::NAME, cx)
    }
    plain_wiring!(Region, ChannelFlow::Mixing);
}

impl Kind for DetectionKind {
    type Params = Detection;
    const NAME: &'static str = "detection";
    const SECTIONS: &'static [&'static str] = &["detection"];
    const HEAD: bool = true;

    fn receptive(_: &Detection) -> Receptive {
        Receptive::NONE
    }

    fn parse(o: &Opts, _: &mut ParseCx) -> Result<Detection, NetworkError> {
        let d = Detection {
            coords: count(o, "coords", 1)?,
            classes: count(o, "classes", 1)?,
            rescore: o.flag("rescore")?,
            num: dim(o, "num", 1)?,
            side: dim(o, "side", 7)?,
            softmax: o.flag("softmax")?,
            sqrt: o.flag("sqrt")?,
        };
        for key in [
            "max",
            "forced",
            "reorg",
            "coord_scale",
            "object_scale",
            "noobject_scale",
            "class_scale",
            "jitter",
            "resize",
            "random",
        ] {
            o.touch(key);
        }
        Ok(d)
    }
    fn shape(d: &Detection, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
        let cells = cx
            .prod(&[1 + d.coords, d.num])?
            .checked_add(d.classes)
            .ok_or_else(|| cx.overflow())?;
        let expected = cx.prod(&[d.side, d.side, cells])?;
        if expected != cx.prev_flat {
            return Err(cx.err(ShapeErrorKind::HeadInput, format!(
                "[detection] expects side²·((1+coords)·num+classes) = {expected} inputs but gets {}",
                cx.prev_flat
            )));
        }
        Ok(cx.flat(cx.prev, cx.prev_flat))
    }
    fn cost(_: &Detection, _: &LayerShape) -> Option<LayerCost> {
        Some(LayerCost::default())
    }
    fn line(_: &Detection, cx: &LineCx) -> String {
        count_line(Self::NAME, cx)
    }
    plain_wiring!(Detection, ChannelFlow::Mixing);
}
