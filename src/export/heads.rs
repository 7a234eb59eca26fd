//! `--decode boxes`: each `[yolo]` head decoded as darknet's `get_yolo_box` and
//! `get_yolo_detections` do, each `[region]` head as `get_region_detections` does, before any
//! threshold: the activations (logistic, `new_coords`, the region's softmax), `scale_x_y`,
//! the cell offset, the anchors; boxes as (x1, y1, x2, y2) relative to the input and scores
//! as objectness × class probability, each head's K = anchors·H·W rows in anchor, row,
//! column order.

use super::builder::{Attr, Graph};
use crate::kinds::{Region, Yolo, YoloPoint};

/// One head's decoded rows: `boxes` `[N, K, 4]` and `scores` `[N, K, C]`.
pub(super) struct Decoded {
    /// `[N, K, 4]`.
    pub boxes: String,
    /// `[N, K, C]`.
    pub scores: String,
}

/// Decodes the tensor head `y` reads (`x`, `[N, A·(5+C), h, w]`) for a `net_w × net_h` input.
pub(super) fn yolo(
    g: &mut Graph,
    y: &Yolo,
    x: &str,
    (h, w): (usize, usize),
    (net_w, net_h): (usize, usize),
) -> Decoded {
    let (a, c) = (y.mask.len() as i64, y.classes as i64);
    let (hh, ww) = (h as i64, w as i64);
    let r = g.reshape(x, &[-1, a, 5 + c, hh, ww]);
    let mut xy = g.slice(&r, 2, 0, 2);
    let wh = g.slice(&r, 2, 2, 4);
    let mut obj = g.slice(&r, 2, 4, 5);
    let mut cls = g.slice(&r, 2, 5, 5 + c);
    if !y.new_coords {
        xy = g.op("Sigmoid", &[&xy], &[], "yolo_xy");
        obj = g.op("Sigmoid", &[&obj], &[], "yolo_obj");
        cls = g.op("Sigmoid", &[&cls], &[], "yolo_cls");
    }
    xy = scale_x_y(g, &xy, y.scale_x_y);
    let anchors = mask_anchors(y, (net_w, net_h));
    let t = if y.new_coords {
        let sq = g.op("Mul", &[&wh, &wh], &[], "yolo_wh_sq");
        let four = g.scalar(4.0);
        g.op("Mul", &[&sq, &four], &[], "yolo_wh4")
    } else {
        g.op("Exp", &[&wh], &[], "yolo_wh_exp")
    };
    let rows = a * hh * ww;
    let boxes = corners(g, (&xy, &t), &anchors, (h, w), 0.0);
    let scores = g.op("Mul", &[&obj, &cls], &[], "yolo_scores");
    let scores = rows_of(g, &scores, rows, c);
    Decoded { boxes, scores }
}

/// Decodes the tensor a `[region]` head reads (`x`, `[N, num·(coords+1+C), h, w]`) as
/// darknet's `get_region_detections`: logistic on x, y and objectness, the classes' softmax
/// (with `softmax=1`), anchors in grid cells; scores objectness × class probability.
pub(super) fn region(g: &mut Graph, r: &Region, x: &str, (h, w): (usize, usize)) -> Decoded {
    let (a, c, coords) = (r.num as i64, r.classes as i64, r.coords as i64);
    let (hh, ww) = (h as i64, w as i64);
    let parts = g.reshape(x, &[-1, a, coords + 1 + c, hh, ww]);
    let xy = g.slice(&parts, 2, 0, 2);
    let xy = g.op("Sigmoid", &[&xy], &[], "region_xy");
    let wh = g.slice(&parts, 2, 2, 4);
    let t = g.op("Exp", &[&wh], &[], "region_wh_exp");
    let obj = g.slice(&parts, 2, coords, coords + 1);
    let obj = g.op("Sigmoid", &[&obj], &[], "region_obj");
    let cls = g.slice(&parts, 2, coords + 1, coords + 1 + c);
    // scores as [N, A, h, w, C]: the softmax on the last axis reads the same in every opset
    let last = [Attr::Ints("perm", &[0, 1, 3, 4, 2])];
    let mut cls = g.op("Transpose", &[&cls], &last, "region_cls");
    if r.softmax {
        cls = g.op(
            "Softmax",
            &[&cls],
            &[Attr::Int("axis", -1)],
            "region_softmax",
        );
    }
    let obj = g.op("Transpose", &[&obj], &last, "region_obj_t");
    let scores = g.op("Mul", &[&obj, &cls], &[], "region_scores");
    let rows = a * hh * ww;
    let scores = g.reshape(&scores, &[-1, rows, c]);
    let anchors: Vec<f32> = (0..r.num)
        .flat_map(|n| {
            let at = |k: usize| r.anchors.get(2 * n + k).copied().unwrap_or(1.0);
            [at(0) / w as f32, at(1) / h as f32]
        })
        .collect();
    let boxes = corners(g, (&xy, &t), &anchors, (h, w), 0.0);
    Decoded { boxes, scores }
}

/// Decodes the tensor a `[Gaussian_yolo]` head reads (`x`, `[N, A·(9+C), h, w]`: x, σx, y, σy,
/// w, σw, h, σh, objectness, classes) as darknet's `forward_gaussian_yolo_layer` and
/// `get_gaussian_yolo_detections` do: logistic on all but w and h, `scale_x_y` on x and y,
/// `yolo_point`; scores objectness × class probability × (1 − the four σ's mean).
pub(super) fn gaussian(
    g: &mut Graph,
    y: &Yolo,
    x: &str,
    (h, w): (usize, usize),
    (net_w, net_h): (usize, usize),
) -> Decoded {
    let (a, c) = (y.mask.len() as i64, y.classes as i64);
    let (hh, ww) = (h as i64, w as i64);
    let r = g.reshape(x, &[-1, a, 9 + c, hh, ww]);
    let entry = |g: &mut Graph, k: i64| g.slice(&r, 2, k, k + 1);
    let (tx, ty, tw, th) = (entry(g, 0), entry(g, 2), entry(g, 4), entry(g, 6));
    let sigmas: Vec<String> = [1, 3, 5, 7].iter().map(|&k| entry(g, k)).collect();
    let xy = g.op("Concat", &[&tx, &ty], &[Attr::Int("axis", 2)], "gauss_xy");
    let mut xy = g.op("Sigmoid", &[&xy], &[], "gauss_xy_sig");
    xy = scale_x_y(g, &xy, y.scale_x_y);
    let wh = g.op("Concat", &[&tw, &th], &[Attr::Int("axis", 2)], "gauss_wh");
    let t = g.op("Exp", &[&wh], &[], "gauss_wh_exp");
    // 1 − (σx + σy + σw + σh) / 4
    let refs: Vec<&str> = sigmas.iter().map(String::as_str).collect();
    let s = g.op("Concat", &refs, &[Attr::Int("axis", 2)], "gauss_sigmas");
    let s = g.op("Sigmoid", &[&s], &[], "gauss_sigmas_sig");
    let mean = g.reduce("ReduceMean", &s, &[2]);
    let one = g.scalar(1.0);
    let certainty = g.op("Sub", &[&one, &mean], &[], "gauss_certainty");
    let obj = g.slice(&r, 2, 8, 9);
    let obj = g.op("Sigmoid", &[&obj], &[], "gauss_obj");
    let cls = g.slice(&r, 2, 9, 9 + c);
    let cls = g.op("Sigmoid", &[&cls], &[], "gauss_cls");
    let weight = g.op("Mul", &[&obj, &certainty], &[], "gauss_weight");
    let scores = g.op("Mul", &[&weight, &cls], &[], "gauss_scores");
    let rows = a * hh * ww;
    let scores = rows_of(g, &scores, rows, c);
    let anchors = mask_anchors(y, (net_w, net_h));
    let shift = match y.yolo_point {
        YoloPoint::Center => 0.0,
        YoloPoint::LeftTop => 1.0,
        YoloPoint::RightBottom => -1.0,
    };
    let boxes = corners(g, (&xy, &t), &anchors, (h, w), shift);
    Decoded { boxes, scores }
}

/// darknet's `scale_x_y` on the activated offsets: `xy·s − (s − 1)/2` (nothing when s = 1).
fn scale_x_y(g: &mut Graph, xy: &str, s: f32) -> String {
    if (s - 1.0).abs() <= f32::EPSILON {
        return xy.to_string();
    }
    let (k, b) = (g.scalar(s), g.scalar(-0.5 * (s - 1.0)));
    let scaled = g.op("Mul", &[xy, &k], &[], "scale_x_y");
    g.op("Add", &[&scaled, &b], &[], "shift_x_y")
}

/// Each mask entry's anchor relative to the network input, as (w, h) pairs.
fn mask_anchors(y: &Yolo, (net_w, net_h): (usize, usize)) -> Vec<f32> {
    (y.mask.iter())
        .flat_map(|&m| {
            let at = |k: usize| y.anchors.get(2 * m + k).copied().unwrap_or(1.0);
            [at(0) / net_w as f32, at(1) / net_h as f32]
        })
        .collect()
}

/// Boxes `[N, A·h·w, 4]` as (x1, y1, x2, y2) from each cell's offsets `xy` and size factors
/// `t` (`[N, A, 2, h, w]`): centre (column + x, row + y) over the grid, size `t` times the
/// anchor (`anchors`: A (w, h) pairs, already relative to the input); the centre moved by
/// `shift` half sizes (a Gaussian head's `yolo_point`: 1 for left_top, −1 for right_bottom).
fn corners(
    g: &mut Graph,
    (xy, t): (&str, &str),
    anchors: &[f32],
    (h, w): (usize, usize),
    shift: f32,
) -> String {
    let (a, hh, ww) = ((anchors.len() / 2) as i64, h as i64, w as i64);
    // (column, row) of each cell, then divided by the grid's width and height
    let mut grid = Vec::with_capacity(2 * h * w);
    grid.extend((0..h * w).map(|i| (i % w) as f32));
    grid.extend((0..h * w).map(|i| (i / w) as f32));
    let grid = g.f32s("grid", &[1, 1, 2, hh, ww], &grid);
    let size = g.f32s("grid_size", &[1, 1, 2, 1, 1], &[w as f32, h as f32]);
    let shifted = g.op("Add", &[xy, &grid], &[], "cell");
    let centre = g.op("Div", &[&shifted, &size], &[], "centre");
    let anchors = g.f32s("anchors", &[1, a, 2, 1, 1], anchors);
    let size = g.op("Mul", &[t, &anchors], &[], "box_wh");
    let half = g.scalar(0.5);
    let half_size = g.op("Mul", &[&size, &half], &[], "box_half");
    let centre = if shift == 0.0 {
        centre
    } else {
        let k = g.scalar(shift);
        let by = g.op("Mul", &[&half_size, &k], &[], "point_shift");
        g.op("Add", &[&centre, &by], &[], "point_centre")
    };
    let lo = g.op("Sub", &[&centre, &half_size], &[], "x1y1");
    let hi = g.op("Add", &[&centre, &half_size], &[], "x2y2");
    let c = g.op("Concat", &[&lo, &hi], &[Attr::Int("axis", 2)], "box");
    rows_of(g, &c, a * hh * ww, 4)
}

/// `[N, A, k, h, w]` as `[N, A·h·w, k]`: anchor, then row, then column.
fn rows_of(g: &mut Graph, x: &str, rows: i64, k: i64) -> String {
    let t = g.op(
        "Transpose",
        &[x],
        &[Attr::Ints("perm", &[0, 1, 3, 4, 2])],
        "yolo_rows",
    );
    g.reshape(&t, &[-1, rows, k])
}
