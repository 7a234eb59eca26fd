//! Candidate boxes from yolo and region outputs, and darknet's NMS (src/yolo_layer.c,
//! src/region_layer.c, src/box.c).

use crate::kinds::{Region, Yolo};
use crate::tensor::Tensor;

/// A box in relative coordinates (centre x, y, width, height; 0..1 of the image).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct RelBox {
    /// Centre x.
    pub x: f32,
    /// Centre y.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

/// A candidate: box, objectness and per-class probability (0 where below threshold).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The box.
    pub bbox: RelBox,
    /// Objectness.
    pub objectness: f32,
    /// Per-class probabilities.
    pub prob: Vec<f32>,
    /// The head, cell and anchor that produced it.
    pub origin: Origin,
}

/// Which head, grid cell and anchor produced a box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Origin {
    /// The head's layer index.
    pub layer: usize,
    /// The cell's column in the head's grid.
    pub col: usize,
    /// The cell's row.
    pub row: usize,
    /// The anchor's index in the head's `anchors` (after `mask`).
    pub anchor: usize,
}

/// Where the network input sits in the image (darknet's `correct_*_boxes`).
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    /// Image width.
    pub img_w: usize,
    /// Image height.
    pub img_h: usize,
    /// Network input width.
    pub net_w: usize,
    /// Network input height.
    pub net_h: usize,
    /// The image was letterboxed.
    pub letterbox: bool,
}

impl Geometry {
    /// A box relative to the network input, relative to the image (darknet's
    /// `correct_yolo_boxes`: undoes the letterbox when there is one).
    pub fn to_image(&self, b: RelBox) -> RelBox {
        let (netw, neth) = (self.net_w as f32, self.net_h as f32);
        let (new_w, new_h) = if !self.letterbox {
            (self.net_w, self.net_h)
        } else if netw / (self.img_w as f32) < neth / (self.img_h as f32) {
            (self.net_w, self.img_h * self.net_w / self.img_w)
        } else {
            (self.img_w * self.net_h / self.img_h, self.net_h)
        };
        let (dw, dh) = (netw - new_w as f32, neth - new_h as f32);
        let (rw, rh) = (new_w as f32 / netw, new_h as f32 / neth);
        RelBox {
            x: (b.x - dw / 2.0 / netw) / rw,
            y: (b.y - dh / 2.0 / neth) / rh,
            w: b.w / rw,
            h: b.h / rh,
        }
    }
}

/// Candidates of one yolo layer (layer `layer`) above `thresh` objectness.
pub fn yolo_candidates(
    out: &Tensor,
    y: &Yolo,
    layer: usize,
    geo: &Geometry,
    thresh: f32,
) -> Vec<Candidate> {
    let (lw, lh, plane) = (out.w, out.h, out.plane());
    let per = y.classes + 5;
    let mut found = Vec::new();
    for i in 0..plane {
        let (row, col) = (i / lw, i % lw);
        for (n, &m) in y.mask.iter().enumerate() {
            let at = |entry: usize| out.data[(n * per + entry) * plane + i];
            let objectness = at(4);
            if objectness <= thresh {
                continue;
            }
            let anchor = |k: usize| y.anchors.get(2 * m + k).copied().unwrap_or(1.0);
            let (tw, th) = if y.new_coords {
                (at(2) * at(2) * 4.0, at(3) * at(3) * 4.0)
            } else {
                (at(2).exp(), at(3).exp())
            };
            let b = RelBox {
                x: (col as f32 + at(0)) / lw as f32,
                y: (row as f32 + at(1)) / lh as f32,
                w: tw * anchor(0) / geo.net_w as f32,
                h: th * anchor(1) / geo.net_h as f32,
            };
            let prob = (0..y.classes)
                .map(|j| {
                    let p = objectness * at(5 + j);
                    if p > thresh { p } else { 0.0 }
                })
                .collect();
            found.push(Candidate {
                bbox: geo.to_image(b),
                objectness,
                prob,
                origin: Origin {
                    layer,
                    col,
                    row,
                    anchor: m,
                },
            });
        }
    }
    found
}

/// Candidates of a region layer (YOLOv2, layer `layer`), as darknet's `get_region_detections`.
pub fn region_candidates(
    out: &Tensor,
    r: &Region,
    layer: usize,
    geo: &Geometry,
    thresh: f32,
) -> Vec<Candidate> {
    let (lw, lh, plane) = (out.w, out.h, out.plane());
    let per = r.classes + r.coords + 1;
    let mut found = Vec::new();
    for i in 0..plane {
        let (row, col) = (i / lw, i % lw);
        for n in 0..r.num {
            let at = |entry: usize| out.data[(n * per + entry) * plane + i];
            let objectness = at(r.coords);
            let anchor = |k: usize| r.anchors.get(2 * n + k).copied().unwrap_or(1.0);
            let b = RelBox {
                x: (col as f32 + at(0)) / lw as f32,
                y: (row as f32 + at(1)) / lh as f32,
                w: at(2).exp() * anchor(0) / lw as f32,
                h: at(3).exp() * anchor(1) / lh as f32,
            };
            let prob = (0..r.classes)
                .map(|j| {
                    let p = objectness * at(r.coords + 1 + j);
                    if p > thresh { p } else { 0.0 }
                })
                .collect();
            if objectness > thresh {
                found.push(Candidate {
                    bbox: geo.to_image(b),
                    objectness,
                    prob,
                    origin: Origin {
                        layer,
                        col,
                        row,
                        anchor: n,
                    },
                });
            }
        }
    }
    found
}

fn overlap(x1: f32, w1: f32, x2: f32, w2: f32) -> f32 {
    let left = (x1 - w1 / 2.0).max(x2 - w2 / 2.0);
    let right = (x1 + w1 / 2.0).min(x2 + w2 / 2.0);
    right - left
}

/// Intersection over union.
pub fn iou(a: &RelBox, b: &RelBox) -> f32 {
    let w = overlap(a.x, a.w, b.x, b.w);
    let h = overlap(a.y, a.h, b.y, b.h);
    let inter = if w < 0.0 || h < 0.0 { 0.0 } else { w * h };
    let union = a.w * a.h + b.w * b.h - inter;
    if union == 0.0 { 0.0 } else { inter / union }
}

/// Darknet's `box_diou`: IoU − (d/c)^0.6, d the squared centre distance, c the squared
/// diagonal of the enclosing box.
pub fn diou(a: &RelBox, b: &RelBox) -> f32 {
    let top = (a.y - a.h / 2.0).min(b.y - b.h / 2.0);
    let bot = (a.y + a.h / 2.0).max(b.y + b.h / 2.0);
    let left = (a.x - a.w / 2.0).min(b.x - b.w / 2.0);
    let right = (a.x + a.w / 2.0).max(b.x + b.w / 2.0);
    let (w, h) = (right - left, bot - top);
    let c = w * w + h * h;
    let i = iou(a, b);
    if c == 0.0 {
        return i;
    }
    let d = (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y);
    i - (d / c).powf(0.6)
}

/// NMS kinds as darknet names them in `[yolo] nms_kind`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NmsKind {
    /// `do_nms_sort`: IoU, per class.
    Default,
    /// `greedynms`: DIoU (as darknet's `box_diou`) per class.
    Greedy,
    /// `diounms`: IoU − (d/c)^beta_nms (darknet's `box_diounms`).
    Diou(f32),
}

/// Darknet's `box_diounms`: IoU − (d/c)^beta.
pub fn diou_beta(a: &RelBox, b: &RelBox, beta: f32) -> f32 {
    let top = (a.y - a.h / 2.0).min(b.y - b.h / 2.0);
    let bot = (a.y + a.h / 2.0).max(b.y + b.h / 2.0);
    let left = (a.x - a.w / 2.0).min(b.x - b.w / 2.0);
    let right = (a.x + a.w / 2.0).max(b.x + b.w / 2.0);
    let c = (right - left).powi(2) + (bot - top).powi(2);
    let i = iou(a, b);
    if c == 0.0 {
        return i;
    }
    let d = (a.x - b.x).powi(2) + (a.y - b.y).powi(2);
    i - (d / c).powf(beta)
}

/// Darknet's per-class NMS: candidates sorted by that class's probability, every later one
/// overlapping a kept one by more than `thresh` loses the class.
pub fn nms(dets: &mut Vec<Candidate>, classes: usize, thresh: f32, kind: NmsKind) {
    dets.retain(|d| d.objectness != 0.0);
    for k in 0..classes {
        dets.sort_by(|a, b| b.prob[k].total_cmp(&a.prob[k]));
        for i in 0..dets.len() {
            if dets[i].prob[k] == 0.0 {
                continue;
            }
            let a = dets[i].bbox;
            for later in dets.iter_mut().skip(i + 1) {
                let score = match kind {
                    NmsKind::Default => iou(&a, &later.bbox),
                    NmsKind::Greedy => diou(&a, &later.bbox),
                    NmsKind::Diou(beta) => diou_beta(&a, &later.bbox, beta),
                };
                if score > thresh {
                    later.prob[k] = 0.0;
                }
            }
        }
    }
}
