//! Every miss explained by the network's geometry. A label no detection above `-thresh`
//! found gets the first reason that holds of: `too-small` (both sides at the network input
//! below the stride of the finest head), `no-anchor` (its best anchor by shape IoU, as darknet
//! assigns labels in training, is in no head's mask), `wrong-class` (a detection of another
//! class above the threshold overlaps it at the IoU threshold), `mislocated` (one of its class
//! above the threshold overlaps it at 0.1 ≤ IoU < the IoU threshold), `low-confidence` (one of
//! its class at the IoU threshold, below the confidence threshold), `not-detected`.

use super::data::Label;
use super::map::MapParams;
use crate::Analysis;
use crate::detect::boxes::{Candidate, RelBox, iou};
use serde::{Deserialize, Serialize};

/// Why a label was missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Smaller than the finest head's stride on both sides.
    TooSmall,
    /// Its best anchor is in no head's mask.
    NoAnchor,
    /// Detected as another class.
    WrongClass,
    /// Detected, but not where it is.
    Mislocated,
    /// Detected where it is, below the threshold.
    LowConfidence,
    /// Nothing of its class near it.
    NotDetected,
}

impl Reason {
    /// Every reason, in the order they are tried.
    pub const ALL: [Self; 6] = [
        Self::TooSmall,
        Self::NoAnchor,
        Self::WrongClass,
        Self::Mislocated,
        Self::LowConfidence,
        Self::NotDetected,
    ];

    /// Its name in the JSON (`too-small`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::TooSmall => "too-small",
            Self::NoAnchor => "no-anchor",
            Self::WrongClass => "wrong-class",
            Self::Mislocated => "mislocated",
            Self::LowConfidence => "low-confidence",
            Self::NotDetected => "not-detected",
        }
    }
}

/// The heads' geometry: what a label's size and anchor are measured against.
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    /// Network input width.
    pub net_w: usize,
    /// Network input height.
    pub net_h: usize,
    /// Letterboxed input (the label keeps its aspect).
    pub letterbox: bool,
    /// The anchors (w, h) in input pixels, as `anchors=` lists them.
    pub anchors: Vec<(f32, f32)>,
    /// Each `[yolo]` head: its layer, its stride (input pixels per cell) and its mask.
    pub heads: Vec<(usize, usize, Vec<usize>)>,
}

impl Geometry {
    /// The geometry of `a`'s `[yolo]` heads; `None` for a network without them.
    pub fn of(a: &Analysis) -> Option<Self> {
        let (net_w, net_h) = (a.shapes.input.w, a.shapes.input.h);
        let mut anchors = Vec::new();
        let mut heads = Vec::new();
        for l in &a.network.layers {
            let Some(y) = l.kind.yolo() else { continue };
            if anchors.is_empty() {
                anchors = (0..y.total).filter_map(|n| y.anchor(n)).collect();
            }
            let grid = a.shapes.layers.get(l.index)?.output.w.max(1);
            heads.push((l.index, net_w / grid, y.mask.clone()));
        }
        (!heads.is_empty()).then_some(Self {
            net_w,
            net_h,
            letterbox: a.network.net.letter_box,
            anchors,
            heads,
        })
    }

    /// A label's size in input pixels for an `img_w × img_h` image.
    pub fn size_px(&self, l: &Label, img_w: usize, img_h: usize) -> (f32, f32) {
        let (nw, nh) = (self.net_w as f32, self.net_h as f32);
        if self.letterbox && img_w > 0 && img_h > 0 {
            let s = (nw / img_w as f32).min(nh / img_h as f32);
            (l.w * img_w as f32 * s, l.h * img_h as f32 * s)
        } else {
            (l.w * nw, l.h * nh)
        }
    }

    /// How an `img_w × img_h` image sits in the network input (stretched, or letterboxed:
    /// scaled by the smaller ratio and centred).
    pub fn placement(&self, img_w: usize, img_h: usize) -> Placement {
        let (nw, nh) = (self.net_w as f32, self.net_h as f32);
        let (iw, ih) = (img_w.max(1) as f32, img_h.max(1) as f32);
        if self.letterbox {
            let s = (nw / iw).min(nh / ih);
            Placement {
                scale: (s, s),
                offset: ((nw - iw * s) / 2.0, (nh - ih * s) / 2.0),
            }
        } else {
            Placement {
                scale: (nw / iw, nh / ih),
                offset: (0.0, 0.0),
            }
        }
    }

    /// The stride and mask of the head at `layer`.
    pub fn head(&self, layer: usize) -> Option<(usize, &[usize])> {
        (self.heads.iter())
            .find(|h| h.0 == layer)
            .map(|h| (h.1, h.2.as_slice()))
    }

    /// The best anchor by shape IoU (both boxes at one centre), and that IoU.
    pub fn best_anchor(&self, (w, h): (f32, f32)) -> Option<(usize, f32)> {
        (self.anchors.iter().enumerate())
            .map(|(n, &a)| (n, super::anchors::shape_iou((w, h), a)))
            .fold(None, |best, (n, v)| match best {
                Some((_, b)) if b >= v => best,
                _ => Some((n, v)),
            })
    }
}

/// Where an image is in the network input: `input = image · scale + offset`, per axis, in
/// pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Input pixels per image pixel (x, y).
    pub scale: (f32, f32),
    /// The image's top-left corner in the input (x, y).
    pub offset: (f32, f32),
}

impl Placement {
    /// An image point in input pixels.
    pub fn to_input(&self, (x, y): (f32, f32)) -> (f32, f32) {
        (
            x * self.scale.0 + self.offset.0,
            y * self.scale.1 + self.offset.1,
        )
    }

    /// An input point in image pixels.
    pub fn to_image(&self, (x, y): (f32, f32)) -> (f32, f32) {
        (
            (x - self.offset.0) / self.scale.0.max(f32::MIN_POSITIVE),
            (y - self.offset.1) / self.scale.1.max(f32::MIN_POSITIVE),
        )
    }
}

/// The detection (any class, any confidence kept for the mAP) overlapping a missed label
/// most, and that IoU; `None` when none overlaps it.
pub fn nearest(
    detections: &[super::map::Scored],
    label: &MissBox,
) -> Option<(super::map::Scored, f32)> {
    let t = RelBox {
        x: label.center_x,
        y: label.center_y,
        w: label.width,
        h: label.height,
    };
    (detections.iter())
        .map(|d| (*d, iou(&d.bbox, &t)))
        .filter(|(_, v)| *v > 0.0)
        .max_by(|a, b| a.1.total_cmp(&b.1).then(a.0.p.total_cmp(&b.0.p)))
}

/// One miss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Miss {
    /// The image.
    pub image: String,
    /// The label's class.
    pub class_id: usize,
    /// The label, relative to the image.
    #[serde(rename = "box")]
    pub bbox: MissBox,
    /// Its size at the network input, pixels.
    pub size_px: [f32; 2],
    /// The `[yolo]` layer whose mask holds its best anchor.
    pub head: Option<usize>,
    /// Its best anchor's index in `anchors=`.
    pub anchor: Option<usize>,
    /// The shape IoU with that anchor.
    pub anchor_iou: f32,
    /// Why it was missed.
    pub reason: Reason,
    /// One sentence with the figures.
    pub detail: String,
}

/// A label's box, relative to its image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MissBox {
    /// Centre x.
    pub center_x: f32,
    /// Centre y.
    pub center_y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
}

/// What one image's boxes say of a label: the best overlap among detections of another class
/// above the threshold, of its class above it, and of its class at or below it.
fn near(l: &Label, boxes: &[Candidate], thresh: f32) -> [Option<(f32, f32, usize)>; 3] {
    let t = RelBox {
        x: l.x,
        y: l.y,
        w: l.w,
        h: l.h,
    };
    let mut out = [None::<(f32, f32, usize)>; 3];
    let mut keep = |k: usize, v: f32, p: f32, c: usize| {
        if out[k].is_none_or(|(best, ..)| v > best) {
            out[k] = Some((v, p, c));
        }
    };
    for b in boxes {
        let v = iou(&b.bbox, &t);
        for (c, &p) in b.prob.iter().enumerate() {
            if p <= 0.0 {
                continue;
            }
            match (c == l.class_id, p > thresh) {
                (false, true) => keep(0, v, p, c),
                (true, true) => keep(1, v, p, c),
                (true, false) => keep(2, v, p, c),
                (false, false) => {}
            }
        }
    }
    out
}

/// The misses of one image: its labels no detection above `-thresh` found (`found[j]`).
#[allow(clippy::too_many_arguments)]
pub fn explain(
    image: &str,
    (img_w, img_h): (usize, usize),
    labels: &[Label],
    found: &[bool],
    boxes: &[Candidate],
    geo: &Geometry,
    p: &MapParams,
    names: &[String],
) -> Vec<Miss> {
    let name = |c: usize| names.get(c).cloned().unwrap_or_else(|| c.to_string());
    let finest = geo.heads.iter().map(|h| h.1).min().unwrap_or(1);
    let mut out = Vec::new();
    for (j, l) in labels.iter().enumerate() {
        if found.get(j).copied().unwrap_or(false) {
            continue;
        }
        let (w, h) = geo.size_px(l, img_w, img_h);
        let best = geo.best_anchor((w, h));
        let head = best.and_then(|(n, _)| geo.heads.iter().find(|h| h.2.contains(&n)));
        let [other, mine, low] = near(l, boxes, p.thresh);
        let (reason, detail) = if w < finest as f32 && h < finest as f32 {
            (
                Reason::TooSmall,
                format!(
                    "{w:.1}×{h:.1} px at the network input, smaller than the finest head's stride of {finest} px on both sides"
                ),
            )
        } else if let (Some((n, v)), None) = (best, head) {
            let (aw, ah) = geo.anchors[n];
            (
                Reason::NoAnchor,
                format!(
                    "its best anchor is {n} ({aw}×{ah}, shape IoU {v:.2}), which no head's mask holds: training never gives it a head"
                ),
            )
        } else if let Some((v, conf, c)) = other.filter(|o| o.0 >= p.iou_thresh) {
            (
                Reason::WrongClass,
                format!("detected as {} ({conf:.2}) at IoU {v:.2}", name(c)),
            )
        } else if let Some((v, conf, _)) = mine.filter(|o| o.0 >= 0.1 && o.0 < p.iou_thresh) {
            (
                Reason::Mislocated,
                format!(
                    "the nearest {} detection ({conf:.2}) overlaps it at IoU {v:.2}, below {}",
                    name(l.class_id),
                    p.iou_thresh
                ),
            )
        } else if let Some((v, conf, _)) = low.filter(|o| o.0 >= p.iou_thresh) {
            (
                Reason::LowConfidence,
                format!(
                    "confidence {conf:.3} at IoU {v:.2}, below the threshold {}",
                    p.thresh
                ),
            )
        } else {
            (
                Reason::NotDetected,
                format!(
                    "no {} detection above 0.005 overlaps it at IoU {}",
                    name(l.class_id),
                    p.iou_thresh
                ),
            )
        };
        out.push(Miss {
            image: image.to_string(),
            class_id: l.class_id,
            bbox: MissBox {
                center_x: l.x,
                center_y: l.y,
                width: l.w,
                height: l.h,
            },
            size_px: [w, h],
            head: head.map(|h| h.0),
            anchor: best.map(|b| b.0),
            anchor_iou: best.map_or(0.0, |b| b.1),
            reason,
            detail,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::boxes::Origin;

    /// A 416² input with one head of stride 16 holding anchor 1 (40×40); anchor 0 (10×14) is
    /// in no mask.
    fn geometry() -> Geometry {
        Geometry {
            net_w: 416,
            net_h: 416,
            letterbox: false,
            anchors: vec![(10.0, 14.0), (40.0, 40.0)],
            heads: vec![(30, 16, vec![1])],
        }
    }

    fn label(w: f32, h: f32) -> Label {
        Label {
            class_id: 0,
            x: 0.5,
            y: 0.5,
            w,
            h,
        }
    }

    /// A box at `dx` from the label's centre with probability `p` for class `class`.
    fn det(dx: f32, w: f32, class: usize, p: f32) -> Candidate {
        let mut prob = vec![0.0; 2];
        prob[class] = p;
        Candidate {
            bbox: RelBox {
                x: 0.5 + dx,
                y: 0.5,
                w,
                h: w,
            },
            objectness: p,
            prob,
            origin: Origin::default(),
        }
    }

    fn reason(l: Label, boxes: &[Candidate]) -> Reason {
        let p = MapParams {
            classes: 2,
            iou_thresh: 0.5,
            thresh: 0.25,
        };
        let m = explain(
            "t.jpg",
            (416, 416),
            &[l],
            &[false],
            boxes,
            &geometry(),
            &p,
            &[],
        );
        assert_eq!(m.len(), 1);
        m[0].reason
    }

    #[test]
    fn each_reason_on_a_made_case() {
        // 0.02 · 416 = 8.3 px on both sides, under the stride of 16
        assert_eq!(reason(label(0.02, 0.02), &[]), Reason::TooSmall);
        // 12 × 16 px: shape IoU 140/192 with anchor 0 (in no mask), 192/1600 with anchor 1
        assert_eq!(
            reason(label(12.0 / 416.0, 16.0 / 416.0), &[]),
            Reason::NoAnchor
        );
        let l = label(0.1, 0.1);
        assert_eq!(reason(l, &[det(0.0, 0.1, 1, 0.9)]), Reason::WrongClass);
        // 0.05 off a 0.1 box: IoU 0.05·0.1 / (0.02 − 0.005) = 1/3
        assert_eq!(reason(l, &[det(0.05, 0.1, 0, 0.9)]), Reason::Mislocated);
        assert_eq!(reason(l, &[det(0.0, 0.1, 0, 0.1)]), Reason::LowConfidence);
        assert_eq!(reason(l, &[]), Reason::NotDetected);
        // a found label is no miss
        let p = MapParams {
            classes: 2,
            iou_thresh: 0.5,
            thresh: 0.25,
        };
        assert!(
            explain(
                "t.jpg",
                (416, 416),
                &[l],
                &[true],
                &[],
                &geometry(),
                &p,
                &[]
            )
            .is_empty()
        );
    }

    #[test]
    fn the_best_anchor_by_shape_iou() {
        let g = geometry();
        // 40 × 40 is anchor 1 exactly
        assert_eq!(g.best_anchor((40.0, 40.0)), Some((1, 1.0)));
        let (n, v) = g.best_anchor((10.0, 10.0)).unwrap();
        // 100 / 140 with anchor 0 against 100 / 1600 with anchor 1
        assert_eq!(n, 0);
        assert!((v - 100.0 / 140.0).abs() < 1e-6);
    }
}

#[cfg(test)]
mod drawing_tests {
    use super::*;
    use crate::eval::map::Scored;

    #[test]
    fn a_letterboxed_image_sits_centred_at_the_smaller_ratio() {
        let g = Geometry {
            net_w: 416,
            net_h: 416,
            letterbox: true,
            anchors: vec![],
            heads: vec![(30, 32, vec![])],
        };
        // 832×416: half size, 104 px bands above and below
        let p = g.placement(832, 416);
        assert_eq!(p.scale, (0.5, 0.5));
        assert_eq!(p.offset, (0.0, 104.0));
        assert_eq!(p.to_input((832.0, 0.0)), (416.0, 104.0));
        assert_eq!(p.to_image((208.0, 208.0)), (416.0, 208.0));
        // stretched: each side its own ratio, no offset
        let s = Geometry {
            letterbox: false,
            ..g.clone()
        }
        .placement(832, 208);
        assert_eq!((s.scale, s.offset), ((0.5, 2.0), (0.0, 0.0)));
        assert_eq!(g.head(30), Some((32, &[][..])));
        assert_eq!(g.head(31), None);
    }

    #[test]
    fn the_nearest_detection_overlaps_most_and_reasons_keep_their_json_names() {
        let at = |x: f32, class_id: usize, p: f32| Scored {
            image: 0,
            class_id,
            p,
            bbox: RelBox {
                x,
                y: 0.5,
                w: 0.2,
                h: 0.2,
            },
            truth: None,
        };
        let label = MissBox {
            center_x: 0.5,
            center_y: 0.5,
            width: 0.2,
            height: 0.2,
        };
        // 0.05 off: IoU 0.15/0.25 = 0.6; 0.15 off: 0.05/0.35; far: none
        let found = nearest(
            &[at(0.65, 1, 0.9), at(0.55, 2, 0.1), at(0.95, 0, 1.0)],
            &label,
        );
        let (d, v) = found.unwrap();
        assert_eq!(d.class_id, 2);
        assert!((v - 0.6).abs() < 1e-5, "{v}");
        assert!(nearest(&[at(0.95, 0, 1.0)], &label).is_none());
        for r in Reason::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), r.name());
        }
    }
}
