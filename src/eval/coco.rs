//! COCO's box metrics as pycocotools' `COCOeval` (iouType `bbox`) computes them: per image and
//! class, detections by score (at most 100) matched greedily to labels at each IoU threshold
//! .50:.05:.95, labels outside an area range ignored; per class, precision at 101 recall
//! levels from the monotone precision envelope; each figure the mean over the cells that have
//! labels. The detections are those darknet's `detector valid` writes (threshold 0.001, NMS
//! 0.6), in the original image's pixels.

use serde::{Deserialize, Serialize};

/// A box in pixels: left, top, width, height (COCO's `bbox`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PixelRect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl PixelRect {
    fn area(&self) -> f64 {
        self.w * self.h
    }

    fn iou(&self, o: &Self) -> f64 {
        let iw = (self.x + self.w).min(o.x + o.w) - self.x.max(o.x);
        let ih = (self.y + self.h).min(o.y + o.h) - self.y.max(o.y);
        if iw <= 0.0 || ih <= 0.0 {
            return 0.0;
        }
        let inter = iw * ih;
        inter / (self.area() + o.area() - inter)
    }
}

/// One image's labels and detections for COCO's evaluation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CocoImage {
    /// Labels: class and box.
    pub truths: Vec<(usize, PixelRect)>,
    /// Detections: class, score, box.
    pub detections: Vec<(usize, f64, PixelRect)>,
}

/// COCO's six box figures (fractions; -1 where no label falls in the cell, as pycocotools).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CocoStats {
    /// AP at IoU .50:.05:.95.
    pub ap: f64,
    /// AP at IoU .50.
    pub ap50: f64,
    /// AP at IoU .75.
    pub ap75: f64,
    /// AP for labels under 32² px.
    pub ap_small: f64,
    /// AP for labels of 32² to 96² px.
    pub ap_medium: f64,
    /// AP for labels over 96² px.
    pub ap_large: f64,
}

const AREAS: [(f64, f64); 4] = [
    (0.0, 1e10),
    (0.0, 32.0 * 32.0),
    (32.0 * 32.0, 96.0 * 96.0),
    (96.0 * 96.0, 1e10),
];
const MAX_DETS: usize = 100;
const RECALLS: usize = 101;

/// numpy's `linspace(start, stop, n)`: `i·step + start`, the last value `stop` itself.
fn linspace<const N: usize>(start: f64, stop: f64) -> [f64; N] {
    let step = (stop - start) / (N - 1) as f64;
    std::array::from_fn(|i| {
        if i == N - 1 {
            stop
        } else {
            i as f64 * step + start
        }
    })
}

/// pycocotools' `iouThrs`.
fn thresholds() -> [f64; 10] {
    linspace(0.5, 0.95)
}

/// One image and class at one area range: per threshold, each detection's match state.
struct Cell {
    /// Scores, highest first (at most 100).
    scores: Vec<f64>,
    /// [threshold][detection]: matched a label.
    matched: Vec<Vec<bool>>,
    /// [threshold][detection]: ignored (matched an ignored label, or unmatched and outside
    /// the area range).
    ignored: Vec<Vec<bool>>,
    /// Labels not ignored.
    labels: usize,
}

fn evaluate_cell(truths: &[PixelRect], dets: &[(f64, PixelRect)], (lo, hi): (f64, f64)) -> Cell {
    let outside = |r: &PixelRect| r.area() < lo || r.area() > hi;
    // labels in range first (pycocotools sorts by its ignore flag, stably)
    let mut gt: Vec<(PixelRect, bool)> = truths.iter().map(|t| (*t, outside(t))).collect();
    gt.sort_by_key(|g| g.1);
    let mut dt: Vec<(f64, PixelRect)> = dets.to_vec();
    dt.sort_by(|a, b| b.0.total_cmp(&a.0));
    dt.truncate(MAX_DETS);
    let thr = thresholds();
    let mut matched = vec![vec![false; dt.len()]; thr.len()];
    let mut ignored = vec![vec![false; dt.len()]; thr.len()];
    for (t, &thresh) in thr.iter().enumerate() {
        let mut taken = vec![false; gt.len()];
        for (d, (_, dr)) in dt.iter().enumerate() {
            let mut best = thresh.min(1.0 - 1e-10);
            let mut m: Option<usize> = None;
            for (g, (gr, g_ignored)) in gt.iter().enumerate() {
                if taken[g] {
                    continue;
                }
                // once matched to a label in range, stop at the ignored ones
                if m.is_some_and(|m| !gt[m].1) && *g_ignored {
                    break;
                }
                let v = dr.iou(gr);
                if v < best {
                    continue;
                }
                best = v;
                m = Some(g);
            }
            if let Some(m) = m {
                taken[m] = true;
                matched[t][d] = true;
                ignored[t][d] = gt[m].1;
            } else {
                ignored[t][d] = outside(dr);
            }
        }
    }
    Cell {
        scores: dt.iter().map(|d| d.0).collect(),
        matched,
        ignored,
        labels: gt.iter().filter(|g| !g.1).count(),
    }
}

/// Precision at the 101 recall levels for one class, area range and threshold over all
/// images; `None` when no label is in range.
fn precision_curve(cells: &[&Cell], t: usize) -> Option<[f64; RECALLS]> {
    let labels: usize = cells.iter().map(|c| c.labels).sum();
    if labels == 0 {
        return None;
    }
    // every image's detections by score, a stable sort as numpy's mergesort
    let mut all: Vec<(f64, bool, bool)> = cells
        .iter()
        .flat_map(|c| (0..c.scores.len()).map(|d| (c.scores[d], c.matched[t][d], c.ignored[t][d])))
        .collect();
    all.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut tp, mut fp) = (0.0f64, 0.0f64);
    let mut rc = Vec::new();
    let mut pr = Vec::new();
    for &(_, m, ig) in &all {
        if ig {
            // neither a true nor a false positive: the cumulative sums repeat
        } else if m {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        rc.push(tp / labels as f64);
        pr.push(tp / (fp + tp + f64::EPSILON));
    }
    for i in (1..pr.len()).rev() {
        if pr[i] > pr[i - 1] {
            pr[i - 1] = pr[i];
        }
    }
    let mut q = [0.0; RECALLS];
    let levels: [f64; RECALLS] = linspace(0.0, 1.0);
    for (slot, &level) in q.iter_mut().zip(&levels) {
        // numpy's searchsorted(side="left"): the first recall ≥ the level
        let i = rc.partition_point(|&v| v < level);
        if let Some(&p) = pr.get(i) {
            *slot = p;
        }
    }
    Some(q)
}

/// COCO's six figures for `images`.
pub fn evaluate(images: &[CocoImage]) -> CocoStats {
    let mut classes: Vec<usize> = (images.iter())
        .flat_map(|im| im.truths.iter().map(|t| t.0))
        .collect();
    classes.sort_unstable();
    classes.dedup();
    let thr = thresholds();
    // [area][class] → each image's cell
    let cells: Vec<Vec<Vec<Cell>>> = AREAS
        .iter()
        .map(|&range| {
            (classes.iter())
                .map(|&c| {
                    (images.iter())
                        .map(|im| {
                            let t: Vec<PixelRect> = (im.truths.iter())
                                .filter(|t| t.0 == c)
                                .map(|t| t.1)
                                .collect();
                            let d: Vec<(f64, PixelRect)> = (im.detections.iter())
                                .filter(|d| d.0 == c)
                                .map(|d| (d.1, d.2))
                                .collect();
                            evaluate_cell(&t, &d, range)
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let mean = |area: usize, ts: &[usize]| {
        let mut values = Vec::new();
        for class_cells in &cells[area] {
            let refs: Vec<&Cell> = class_cells.iter().collect();
            for &t in ts {
                if let Some(q) = precision_curve(&refs, t) {
                    values.extend(q);
                }
            }
        }
        if values.is_empty() {
            -1.0
        } else {
            values.iter().sum::<f64>() / values.len() as f64
        }
    };
    let all: Vec<usize> = (0..thr.len()).collect();
    CocoStats {
        ap: mean(0, &all),
        ap50: mean(0, &[0]),
        ap75: mean(0, &[5]),
        ap_small: mean(1, &all),
        ap_medium: mean(2, &all),
        ap_large: mean(3, &all),
    }
}

/// A detection of darknet's `detector valid` in pixels: its VOC corners (1-based, clipped to
/// the image), as COCO's left, top, width, height.
pub fn valid_box(x: f32, y: f32, w: f32, h: f32, img_w: usize, img_h: usize) -> PixelRect {
    let (iw, ih) = (img_w as f32, img_h as f32);
    let xmin = ((x - w / 2.0) * iw + 1.0).max(1.0);
    let ymin = ((y - h / 2.0) * ih + 1.0).max(1.0);
    let xmax = ((x + w / 2.0) * iw + 1.0).min(iw);
    let ymax = ((y + h / 2.0) * ih + 1.0).min(ih);
    PixelRect {
        x: f64::from(xmin) - 1.0,
        y: f64::from(ymin) - 1.0,
        w: f64::from(xmax - xmin),
        h: f64::from(ymax - ymin),
    }
}

/// A label in pixels.
pub fn label_box(x: f32, y: f32, w: f32, h: f32, img_w: usize, img_h: usize) -> PixelRect {
    let (iw, ih) = (img_w as f64, img_h as f64);
    let (x, y, w, h) = (f64::from(x), f64::from(y), f64::from(w), f64::from(h));
    PixelRect {
        x: (x - w / 2.0) * iw,
        y: (y - h / 2.0) * ih,
        w: w * iw,
        h: h * ih,
    }
}
