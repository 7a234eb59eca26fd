//! `anchors-unused`: an anchor that no head's mask holds. No head predicts with it, and in
//! training darknet's `[yolo]` gives a label to its best anchor only where the layer's mask
//! holds that anchor, so a label whose best anchor it is trains no head unless `iou_thresh`
//! (default 1: never) assigns it elsewhere. The released yolov4-tiny.cfg has one: anchor 0.

use super::anchor_groups::{anchor_text, groups};
use super::{Finding, Severity};
use crate::network::Network;

pub(super) fn check(network: &Network, out: &mut Vec<Finding>) {
    for group in groups(network) {
        let first = &group[0];
        let unused: Vec<usize> = (0..first.yolo.total)
            .filter(|n| !group.iter().any(|h| h.yolo.mask.contains(n)))
            .collect();
        if unused.is_empty() {
            continue;
        }
        let names: Vec<String> = unused.iter().map(|&n| anchor_text(first.yolo, n)).collect();
        let (subject, verb) = if unused.len() == 1 {
            (names.join(""), "is")
        } else {
            (names.join(", "), "are")
        };
        let span = first.layer.span_of("anchors");
        out.push(Finding {
            code: "anchors-unused",
            severity: Severity::Note,
            layer: Some(first.layer.index),
            line: Some(span.line),
            col: span.col,
            message: format!(
                "{subject} {verb} in no head's mask: no head predicts with it, and a label whose best anchor it is trains no head unless iou_thresh= (default 1: never) gives it to another anchor"
            ),
            fix: None,
        });
    }
}
