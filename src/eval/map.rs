//! darknet's `validate_detector_map`, exactly: every detection above 0.005 after the cfg's NMS,
//! matched to the image's labels of its class by the best IoU above the threshold; ranked by
//! confidence over all images, each label found once (a second detection of it is a false
//! positive); per class the precision–recall curve, its AP by darknet's `-points` rule, and
//! the mean over **all** `classes=` (labelled or not). Beside it, at `-thresh`, the TP, FP and
//! average IoU darknet counts image by image, and the mean over labelled classes only.

use super::data::Label;
use crate::detect::boxes::{Candidate, RelBox, iou};
use serde::{Deserialize, Serialize};

/// One detection of one class, as darknet's `box_prob`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// The image's position in the list.
    pub image: usize,
    /// The class.
    pub class_id: usize,
    /// Its probability.
    pub p: f32,
    /// The box, relative to the image.
    pub bbox: RelBox,
    /// The label it matches, if any (within its image in an [`ImageMatches`], over all images
    /// in [`Matches`]).
    pub truth: Option<usize>,
}

/// The thresholds of one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MapParams {
    /// Classes (the network's heads' classes).
    pub classes: usize,
    /// A detection matches a label above this IoU (`-iou_thresh`, 0.5).
    pub iou_thresh: f32,
    /// TP/FP/average IoU are counted above this confidence (`-thresh`, 0.25).
    pub thresh: f32,
}

/// One image's detections matched to its labels, as darknet's loop body does it: what a shard
/// writes, and what [`Matches::add`] replays in image order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageMatches {
    /// The image's position in the list.
    pub image: usize,
    /// Its labels' classes.
    pub labels: Vec<usize>,
    /// Every detection above 0.005, in the order darknet appends them (labels numbered
    /// within the image).
    pub detections: Vec<Scored>,
    /// Each detection above `-thresh`, in order: its class, and its IoU when a true positive.
    pub at_thresh: Vec<(usize, Option<f32>)>,
    /// Per label, whether a detection above `-thresh` found it.
    pub found: Vec<bool>,
}

impl ImageMatches {
    /// Matches image `image`'s boxes (NMS kept, in its order) to its labels.
    pub fn new(image: usize, boxes: &[Candidate], labels: &[Label], p: &MapParams) -> Self {
        let mut m = Self {
            image,
            labels: labels.iter().map(|l| l.class_id).collect(),
            detections: Vec::new(),
            at_thresh: Vec::new(),
            found: vec![false; labels.len()],
        };
        for b in boxes {
            for (class_id, &prob) in b.prob.iter().enumerate().take(p.classes) {
                if prob > 0.0 {
                    m.detection(b.bbox, class_id, prob, labels, p);
                }
            }
        }
        m
    }

    fn detection(
        &mut self,
        bbox: RelBox,
        class_id: usize,
        prob: f32,
        labels: &[Label],
        p: &MapParams,
    ) {
        // the best IoU above the threshold among the labels of its class
        let mut best: Option<(usize, f32)> = None;
        for (j, l) in labels.iter().enumerate() {
            let t = RelBox {
                x: l.x,
                y: l.y,
                w: l.w,
                h: l.h,
            };
            let v = iou(&bbox, &t);
            if v > p.iou_thresh && class_id == l.class_id && v > best.map_or(0.0, |b| b.1) {
                best = Some((j, v));
            }
        }
        let truth = best.map(|b| b.0);
        if prob > p.thresh {
            // darknet asks whether any earlier detection of this image (at any confidence)
            // has the same label index — "none" included
            let seen = self.detections.iter().any(|d| d.truth == truth);
            match best {
                Some((t, v)) if !seen => {
                    self.at_thresh.push((class_id, Some(v)));
                    self.found[t] = true;
                }
                Some(_) | None => self.at_thresh.push((class_id, None)),
            }
        }
        self.detections.push(Scored {
            image: self.image,
            class_id,
            p: prob,
            bbox,
            truth,
        });
    }
}

/// The running counts of one evaluation over its images, in list order.
#[derive(Debug, Clone, Default)]
pub struct Matches {
    /// Every detection, in the order darknet appends them (labels numbered over all images).
    pub detections: Vec<Scored>,
    /// Labels per class.
    pub truths_per_class: Vec<usize>,
    /// Labels so far (the next image's first label index).
    pub truths: usize,
    /// True positives at `-thresh`.
    pub tp: usize,
    /// False positives at `-thresh`.
    pub fp: usize,
    /// The true positives' IoU, summed in darknet's order (an f32, as darknet's).
    pub iou_sum: f32,
    /// Per class, true positives at `-thresh`.
    pub tp_per_class: Vec<usize>,
    /// Per class, false positives at `-thresh`.
    pub fp_per_class: Vec<usize>,
    /// Images seen.
    pub images: usize,
}

impl Matches {
    /// Empty counts for `classes` classes.
    pub fn new(classes: usize) -> Self {
        Self {
            truths_per_class: vec![0; classes],
            tp_per_class: vec![0; classes],
            fp_per_class: vec![0; classes],
            ..Self::default()
        }
    }

    /// Adds the next image.
    pub fn add(&mut self, m: &ImageMatches) {
        for &c in &m.labels {
            if let Some(n) = self.truths_per_class.get_mut(c) {
                *n += 1;
            }
        }
        let offset = self.truths;
        self.detections.extend(m.detections.iter().map(|d| Scored {
            truth: d.truth.map(|t| t + offset),
            ..*d
        }));
        for &(class_id, iou) in &m.at_thresh {
            match iou {
                Some(v) => {
                    self.iou_sum += v;
                    self.tp += 1;
                    self.tp_per_class[class_id] += 1;
                }
                None => {
                    self.fp += 1;
                    self.fp_per_class[class_id] += 1;
                }
            }
        }
        self.truths += m.labels.len();
        self.images += 1;
    }
}

/// One point of a class's precision–recall curve (at one rank of all detections).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PrPoint {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
}

/// One class's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassAp {
    /// The class.
    pub class_id: usize,
    /// Its name.
    pub name: String,
    /// Average precision by the `-points` rule.
    pub ap: f64,
    /// True positives at `-thresh`.
    pub tp: usize,
    /// False positives at `-thresh`.
    pub fp: usize,
    /// Its labels.
    pub truths: usize,
}

/// An evaluation's numbers, as darknet prints them and more.
#[derive(Debug, Clone, PartialEq)]
pub struct MapResult {
    /// Every class's AP and counts.
    pub classes: Vec<ClassAp>,
    /// The mean AP over all `classes=` (darknet's mAP).
    pub map: f64,
    /// The mean AP over classes with at least one label (`None` when no image has a label).
    pub map_labelled: Option<f64>,
    /// Precision at `-thresh` (f32, as darknet computes it; NaN with no detection).
    pub precision: f32,
    /// Recall at `-thresh`.
    pub recall: f32,
    /// F1 at `-thresh`.
    pub f1: f32,
    /// True positives at `-thresh`.
    pub tp: usize,
    /// False positives at `-thresh`.
    pub fp: usize,
    /// Labels no detection above `-thresh` found.
    pub fn_: usize,
    /// The TPs' IoU summed over TP + FP (darknet's "average IoU").
    pub average_iou: f32,
    /// Labels.
    pub truths: usize,
    /// Images.
    pub images: usize,
    /// `-points`.
    pub points: usize,
    /// Each class's precision–recall curve, rank by rank over all detections.
    pub curves: Vec<Vec<PrPoint>>,
}

/// darknet's ranking and AP over the counts of every image.
pub fn finish(m: &Matches, p: &MapParams, points: usize, names: &[String]) -> MapResult {
    let mut ranked = m.detections.clone();
    // qsort by confidence, highest first (glibc's merge sort keeps ties in order)
    ranked.sort_by(|a, b| b.p.total_cmp(&a.p));
    let curves = curves(&ranked, m, p.classes);
    let mut classes = Vec::with_capacity(p.classes);
    for (i, curve) in curves.iter().enumerate() {
        classes.push(ClassAp {
            class_id: i,
            name: names.get(i).cloned().unwrap_or_else(|| i.to_string()),
            ap: average_precision(curve, points),
            tp: m.tp_per_class[i],
            fp: m.fp_per_class[i],
            truths: m.truths_per_class[i],
        });
    }
    let map = classes.iter().map(|c| c.ap).sum::<f64>() / p.classes.max(1) as f64;
    let labelled: Vec<f64> = (classes.iter())
        .filter(|c| c.truths > 0)
        .map(|c| c.ap)
        .collect();
    let map_labelled =
        (!labelled.is_empty()).then(|| labelled.iter().sum::<f64>() / labelled.len() as f64);
    let (tp, fp) = (m.tp as f32, m.fp as f32);
    let precision = tp / (tp + fp);
    let recall = tp / (tp + (m.truths - m.tp) as f32);
    MapResult {
        classes,
        map,
        map_labelled,
        precision,
        recall,
        f1: 2.0 * precision * recall / (precision + recall),
        tp: m.tp,
        fp: m.fp,
        fn_: m.truths - m.tp,
        average_iou: if m.tp + m.fp > 0 {
            m.iou_sum / (m.tp + m.fp) as f32
        } else {
            0.0
        },
        truths: m.truths,
        images: m.images,
        points,
        curves,
    }
}

/// Each class's precision and recall at every rank: a label is found once, by the first
/// (most confident) detection matching it.
fn curves(ranked: &[Scored], m: &Matches, classes: usize) -> Vec<Vec<PrPoint>> {
    let mut found = vec![false; m.truths];
    let mut tp = vec![0usize; classes];
    let mut fp = vec![0usize; classes];
    let mut out = vec![Vec::with_capacity(ranked.len()); classes];
    for d in ranked {
        match d.truth {
            Some(t) if !found[t] => {
                found[t] = true;
                tp[d.class_id] += 1;
            }
            Some(_) | None => fp[d.class_id] += 1,
        }
        for (c, curve) in out.iter_mut().enumerate() {
            let fn_ = m.truths_per_class[c].saturating_sub(tp[c]);
            let ratio = |a: usize, b: usize| if b > 0 { a as f64 / b as f64 } else { 0.0 };
            curve.push(PrPoint {
                precision: ratio(tp[c], tp[c] + fp[c]),
                recall: ratio(tp[c], tp[c] + fn_),
            });
        }
    }
    out
}

/// darknet's AP of one curve: the area under the interpolated curve (`points` 0) or the mean
/// of the best precision at `points` recall levels (11: VOC2007, 101: COCO). 0 with no
/// detection at all (where darknet reads before its array).
pub fn average_precision(curve: &[PrPoint], points: usize) -> f64 {
    let Some(last) = curve.last() else {
        return 0.0;
    };
    if points == 0 {
        let (mut last_recall, mut last_precision) = (last.recall, last.precision);
        let mut ap = 0.0;
        for pt in curve.iter().rev().skip(1) {
            let delta = last_recall - pt.recall;
            last_recall = pt.recall;
            if pt.precision > last_precision {
                last_precision = pt.precision;
            }
            ap += delta * last_precision;
        }
        // the area left when recall is not 0 at the first rank
        ap + last_recall * last_precision
    } else {
        let mut sum = 0.0;
        for point in 0..points {
            let level = point as f64 / (points - 1).max(1) as f64;
            let best = (curve.iter())
                .filter(|pt| pt.recall >= level)
                .map(|pt| pt.precision)
                .fold(0.0, f64::max);
            sum += best;
        }
        sum / points as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::boxes::Origin;

    fn pt(precision: f64, recall: f64) -> PrPoint {
        PrPoint { precision, recall }
    }

    #[test]
    fn darknets_three_ap_rules_on_a_worked_curve() {
        // ranks: TP (1/1, recall 1/2), FP (1/2, 1/2), TP (2/3, 2/2)
        let curve = [pt(1.0, 0.5), pt(0.5, 0.5), pt(2.0 / 3.0, 1.0)];
        // area: from the last rank back, precision the running maximum: 0.5·(2/3) for the
        // recall step 1/2 → 1/2, 0 for 1/2 → 1/2 (precision now 1), then the rest to 0: 0.5·1
        let auc = average_precision(&curve, 0);
        assert!((auc - (0.5 * 2.0 / 3.0 + 0.5)).abs() < 1e-12, "{auc}");
        // 11 points: recall 0 … 0.5 (6 levels) best precision 1, 0.6 … 1.0 (5) best 2/3
        let voc = average_precision(&curve, 11);
        assert!(
            (voc - (6.0 + 5.0 * 2.0 / 3.0) / 11.0).abs() < 1e-12,
            "{voc}"
        );
        assert_eq!(average_precision(&[], 0), 0.0);
    }

    fn candidate(x: f32, p: f32) -> Candidate {
        Candidate {
            bbox: RelBox {
                x,
                y: 0.5,
                w: 0.2,
                h: 0.2,
            },
            objectness: p,
            prob: vec![p, 0.0],
            origin: Origin::default(),
        }
    }

    #[test]
    fn a_label_is_found_once_and_a_second_detection_of_it_is_a_false_positive() {
        let p = MapParams {
            classes: 2,
            iou_thresh: 0.5,
            thresh: 0.25,
        };
        let labels = [
            Label {
                class_id: 0,
                x: 0.3,
                y: 0.5,
                w: 0.2,
                h: 0.2,
            },
            Label {
                class_id: 0,
                x: 0.7,
                y: 0.5,
                w: 0.2,
                h: 0.2,
            },
        ];
        let mut m = Matches::new(2);
        // two detections on the first label (0.9 then 0.8), none on the second, one stray
        let boxes = [
            candidate(0.3, 0.9),
            candidate(0.31, 0.8),
            candidate(0.05, 0.6),
        ];
        let image = ImageMatches::new(0, &boxes, &labels, &p);
        assert_eq!(image.found, [true, false]);
        m.add(&image);
        assert_eq!((m.tp, m.fp, m.truths), (1, 2, 2));
        let r = finish(&m, &p, 0, &[]);
        assert_eq!((r.tp, r.fp, r.fn_), (1, 2, 1));
        // ranked 0.9 (TP), 0.8 (FP: its label found), 0.6 (FP): precision 1, 1/2, 1/3 at
        // recall 1/2: area 1/2 · 1
        assert!((r.classes[0].ap - 0.5).abs() < 1e-12);
        // darknet divides by both classes; the labelled mean by the one with labels
        assert!((r.map - 0.25).abs() < 1e-12);
        assert_eq!(r.map_labelled, Some(0.5));
        assert_eq!(r.classes[0].truths, 2);
        assert!((r.precision - 1.0 / 3.0).abs() < 1e-6 && (r.recall - 0.5).abs() < 1e-6);
    }
}
