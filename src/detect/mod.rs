//! Forward outputs → detections as `darknet detector test` reports them: decode the yolo or
//! region heads, threshold, NMS as the cfg asks, one entry per class above threshold.

pub mod boxes;
pub mod darknet_out;
pub mod image;
pub mod inputs;
pub mod overlay;
pub mod paint;
pub mod run;

use crate::Analysis;
use crate::backend::Forward;
use crate::kinds::LayerKind;
use crate::tensor::Tensor;
use boxes::{Candidate, Geometry, NmsKind};
use serde::Serialize;

/// Thresholds of `darknet detector test`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// `-thresh` (default 0.25).
    pub thresh: f32,
    /// `-hier` (0.5; used by hierarchical region layers only).
    pub hier_thresh: f32,
    /// NMS threshold (0.45 in `test_detector`).
    pub nms: f32,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            thresh: 0.25,
            hier_thresh: 0.5,
            nms: 0.45,
        }
    }
}

/// A box in pixels of the original image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PixelBox {
    /// Left edge.
    pub left: f32,
    /// Top edge.
    pub top: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
}

/// One detection of one class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    /// Class index.
    pub class_id: usize,
    /// Class name (from the names file, else the index).
    pub class: String,
    /// Objectness × class probability.
    pub confidence: f32,
    /// The box in image pixels.
    #[serde(rename = "box")]
    pub bbox: PixelBox,
    /// The head, cell and anchor that produced it.
    pub origin: boxes::Origin,
}

/// Makes the network input from an image: darknet's stretch resize, or letterbox when the cfg
/// sets `letter_box=1`.
pub fn network_input(a: &Analysis, im: &image::Image) -> Tensor {
    input_tensor(im, InputSize::of(a))
}

/// The network input's size and how an image is fitted to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputSize {
    /// Width.
    pub w: usize,
    /// Height.
    pub h: usize,
    /// Letterbox (keep the aspect) instead of stretching.
    pub letterbox: bool,
}

impl InputSize {
    /// The input of `a`'s network.
    pub fn of(a: &Analysis) -> Self {
        Self {
            w: a.shapes.input.w,
            h: a.shapes.input.h,
            letterbox: a.network.net.letter_box,
        }
    }
}

/// An image fitted to `size` as darknet does (stretch, or letterbox).
pub fn input_tensor(im: &image::Image, size: InputSize) -> Tensor {
    let (w, h) = (size.w, size.h);
    let sized = if size.letterbox {
        image::letterbox(im, w, h)
    } else {
        image::resize(im, w, h)
    };
    Tensor {
        c: sized.c,
        h: sized.h,
        w: sized.w,
        data: sized.data,
    }
}

/// Where `a`'s network input sits in an `img_w × img_h` image.
pub fn geometry(a: &Analysis, img_w: usize, img_h: usize) -> Geometry {
    Geometry {
        img_w,
        img_h,
        net_w: a.shapes.input.w,
        net_h: a.shapes.input.h,
        letterbox: a.network.net.letter_box,
    }
}

/// All candidates of all heads, before NMS, with the NMS kind the cfg asks for.
pub fn candidates(
    a: &Analysis,
    fwd: &Forward,
    img_w: usize,
    img_h: usize,
    p: &Params,
) -> (Vec<Candidate>, usize, NmsKind) {
    let geo = geometry(a, img_w, img_h);
    let mut all = Vec::new();
    let (mut classes, mut kind) = (0, NmsKind::Default);
    for layer in &a.network.layers {
        let Some(out) = fwd.output(layer.index) else {
            continue;
        };
        // the heads the decoder reads (the backends refuse the others)
        if let LayerKind::Yolo(y) = &layer.kind {
            classes = y.classes;
            kind = match y.nms_kind {
                crate::kinds::NmsKind::Greedynms => NmsKind::Greedy,
                crate::kinds::NmsKind::Diounms => NmsKind::Diou(y.beta_nms),
                crate::kinds::NmsKind::Default => kind,
            };
            all.extend(boxes::yolo_candidates(out, y, layer.index, &geo, p.thresh));
        } else if let LayerKind::Region(r) = &layer.kind {
            classes = r.classes;
            all.extend(boxes::region_candidates(
                out,
                r,
                layer.index,
                &geo,
                p.thresh,
            ));
        }
    }
    (all, classes, kind)
}

/// The boxes NMS keeps, in the order darknet's NMS leaves them (what `-out` JSON lists), each
/// with its per-class probabilities (0 below the threshold or suppressed).
pub fn nms_boxes(
    a: &Analysis,
    fwd: &Forward,
    img_w: usize,
    img_h: usize,
    p: &Params,
) -> Vec<boxes::Candidate> {
    let (mut dets, classes, kind) = candidates(a, fwd, img_w, img_h, p);
    if p.nms > 0.0 {
        boxes::nms(&mut dets, classes, p.nms, kind);
    }
    dets
}

/// Detections of a forward pass on an `img_w × img_h` image.
pub fn detect(
    a: &Analysis,
    fwd: &Forward,
    img_w: usize,
    img_h: usize,
    p: &Params,
    names: &[String],
) -> Vec<Detection> {
    let dets = nms_boxes(a, fwd, img_w, img_h, p);
    detections(&dets, p, names, img_w, img_h)
}

/// One detection per box and class above the threshold, in pixels, most confident first.
pub fn detections(
    dets: &[Candidate],
    p: &Params,
    names: &[String],
    img_w: usize,
    img_h: usize,
) -> Vec<Detection> {
    let mut out = Vec::new();
    for d in dets {
        for (j, &prob) in d.prob.iter().enumerate() {
            if prob > p.thresh {
                let b = d.bbox;
                let (iw, ih) = (img_w as f32, img_h as f32);
                out.push(Detection {
                    class_id: j,
                    class: names.get(j).cloned().unwrap_or_else(|| j.to_string()),
                    confidence: prob,
                    bbox: PixelBox {
                        left: (b.x - b.w / 2.0) * iw,
                        top: (b.y - b.h / 2.0) * ih,
                        width: b.w * iw,
                        height: b.h * ih,
                    },
                    origin: d.origin,
                });
            }
        }
    }
    out.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    out
}

/// Reads a darknet `.names` file: one class per line.
pub fn parse_names(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}
