//! Detection heads: yolo / Gaussian_yolo, region, detection, contrastive.

use super::*;

pub(crate) fn yolo(o: &Opts, cx: &mut Ctx, gaussian: bool) -> Result<LayerKind, NetworkError> {
    let classes = count(o, "classes", 20)?;
    let total = dim(o, "num", 1)?;
    let mask = match o.ints("mask")? {
        None => (0..total).collect(),
        Some(m) => m
            .into_iter()
            .map(|v| {
                if v < 0 {
                    return Err(NetworkError::new(
                        NetworkErrorKind::OutOfRange,
                        o.span_of("mask"),
                        format!("mask entry {v} in layer {} is negative; entries index the anchors", cx.index),
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
            .collect::<Result<Vec<_>, _>>()?,
    };
    let anchors = o.floats("anchors")?.unwrap_or_default();
    let scale_x_y = o.float("scale_x_y", 1.0)?;
    let new_coords = o.flag("new_coords")?;
    let nms_kind = o.string("nms_kind", "default");
    let beta_nms = o.float("beta_nms", 0.6)?;
    for key in [
        "max",
        "show_details",
        "objectness_smooth",
        "focal_loss",
        "track_history_size",
        "sim_thresh",
        "dets_for_track",
        "dets_for_show",
        "embedding_layer",
    ] {
        o.touch(key);
    }
    for key in [
        "max_delta",
        "label_smooth_eps",
        "iou_normalizer",
        "obj_normalizer",
        "cls_normalizer",
        "delta_normalizer",
        "jitter",
        "resize",
        "ignore_thresh",
        "truth_thresh",
        "iou_thresh",
        "random",
        "track_ciou_norm",
        "uc_normalizer",
    ] {
        o.touch(key);
    }
    for key in [
        "counters_per_class",
        "iou_loss",
        "iou_thresh_kind",
        "map",
        "yolo_point",
    ] {
        o.touch(key);
    }
    let y = Yolo {
        classes,
        total,
        mask,
        anchors,
        scale_x_y,
        new_coords,
        nms_kind,
        beta_nms,
    };
    Ok(if gaussian {
        LayerKind::GaussianYolo(y)
    } else {
        LayerKind::Yolo(y)
    })
}

pub(crate) fn region(o: &Opts) -> Result<LayerKind, NetworkError> {
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
    ] {
        o.touch(key);
    }
    for key in [
        "jitter",
        "resize",
        "thresh",
        "random",
        "coord_scale",
        "object_scale",
        "noobject_scale",
        "mask_scale",
        "class_scale",
    ] {
        o.touch(key);
    }
    for key in ["tree", "map"] {
        o.touch(key);
    }
    Ok(LayerKind::Region(Region {
        classes,
        coords,
        num,
        anchors,
        softmax,
    }))
}

pub(crate) fn detection(o: &Opts) -> Result<LayerKind, NetworkError> {
    let d = Detection {
        coords: count(o, "coords", 1)?,
        classes: count(o, "classes", 1)?,
        rescore: o.flag("rescore")?,
        num: dim(o, "num", 1)?,
        side: dim(o, "side", 7)?,
        softmax: o.flag("softmax")?,
        sqrt: o.flag("sqrt")?,
    };
    for key in ["max", "forced", "reorg"] {
        o.touch(key);
    }
    for key in [
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
    Ok(LayerKind::Detection(d))
}

pub(crate) fn contrastive(o: &Opts, cx: &mut Ctx) -> Result<LayerKind, NetworkError> {
    let classes = dim(o, "classes", 1000)?;
    let id = o.int("yolo_layer", 0)?;
    let yolo_layer = if id == 0 {
        None
    } else {
        Some(reference(o, cx, "yolo_layer", id)?)
    };
    if let Some(y) = yolo_layer
        && !matches!(cx.previous.get(y), Some(LayerKind::Yolo(_)))
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
    for key in ["temperature", "cls_normalizer", "max_delta"] {
        o.touch(key);
    }
    o.touch("contrastive_neg_max");
    Ok(LayerKind::Contrastive {
        classes,
        yolo_layer,
    })
}
