//! `mask-overlap`: an anchor in two heads' masks. Both heads are trained on the labels whose
//! best anchor it is and both predict boxes from it, one size twice, while the masks together
//! cannot hold every anchor once. The released yolov3-tiny and yolov4-tiny carry it
//! (`mask = 3,4,5` and `mask = 1,2,3`, a known typo: AlexeyAB/darknet#8483, #6107), and their
//! pretrained weights were trained with it. The fix, where the masks together are as long as the
//! anchor list, gives each head its own anchors by size: the finest head (smallest stride)
//! the smallest, as darknet's released cfgs order them; every mask keeps its length, so no
//! `filters=` changes.

use super::anchor_groups::{Head, anchor_text, groups};
use super::sections::{Layers, entry};
use super::{Edit, Finding, Fix, Severity};
use crate::network::Network;
use crate::shape::Shapes;

pub(super) fn check(
    layers: &Layers,
    network: &Network,
    shapes: Option<&Shapes>,
    out: &mut Vec<Finding>,
) {
    for group in groups(network) {
        let mut shared = Vec::new();
        let mut at = None;
        for (i, h) in group.iter().enumerate() {
            for &n in &h.yolo.mask {
                let earlier = group[..i].iter().find(|e| e.yolo.mask.contains(&n));
                if let Some(e) = earlier {
                    if !shared.iter().any(|(m, _, _)| *m == n) {
                        shared.push((n, e.layer.index, h.layer.index));
                    }
                    at.get_or_insert(h);
                }
            }
        }
        let Some(h) = at else { continue };
        let list: Vec<String> = (shared.iter().enumerate())
            .map(|(k, &(n, a, b))| {
                let those = if k == 0 { "the masks" } else { "those" };
                format!(
                    "{} is in {those} of layers {a} and {b}",
                    anchor_text(h.yolo, n)
                )
            })
            .collect();
        let span = h.layer.span_of("mask");
        out.push(Finding {
            code: "mask-overlap",
            severity: Severity::Warning,
            layer: Some(h.layer.index),
            line: Some(span.line),
            col: span.col,
            message: format!(
                "{}: both heads train on the labels whose best anchor it is and both predict boxes from it; each head should hold its own anchors",
                list.join(", ")
            ),
            fix: shapes.and_then(|s| by_size(layers, network, s, &group)),
        });
    }
}

/// The masks reassigned by anchor area over the heads by stride, when their lengths add up
/// to the anchor count.
fn by_size(layers: &Layers, network: &Network, shapes: &Shapes, group: &[Head]) -> Option<Fix> {
    let yolo = group.first()?.yolo;
    let lengths: usize = group.iter().map(|h| h.yolo.mask.len()).sum();
    if lengths != yolo.total {
        return None;
    }
    let mut order: Vec<usize> = (0..yolo.total).collect();
    let area = |n: usize| yolo.anchor(n).map_or(0.0, |(w, h)| w * h);
    order.sort_by(|&a, &b| area(a).total_cmp(&area(b)));
    let mut heads: Vec<(usize, &Head)> = group
        .iter()
        .map(|h| {
            let w = shapes.layers.get(h.layer.index)?.input.w;
            (w > 0).then(|| (network.net.width / w, h))
        })
        .collect::<Option<_>>()?;
    heads.sort_by_key(|&(stride, h)| (stride, h.layer.index));
    let mut next = order.into_iter();
    let mut edits: Vec<Edit> = Vec::new();
    let mut said = Vec::new();
    for (_, h) in heads {
        let mut mask: Vec<usize> = next.by_ref().take(h.yolo.mask.len()).collect();
        mask.sort_unstable();
        let value = mask
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let section = layers.layers.get(h.layer.index)?.section;
        said.push(format!("mask={value} in layer {}", h.layer.index));
        if mask != h.yolo.mask {
            edits.push(match entry(section, "mask") {
                Some(e) => layers.set(e, &value),
                None => layers.add(section, "mask", &value),
            });
        }
    }
    Some(Fix {
        description: format!(
            "give each head its own anchors, the smallest to the finest head: {} (then train: weights trained with the old masks predict with the old anchors)",
            said.join(", ")
        ),
        edits,
    })
}
