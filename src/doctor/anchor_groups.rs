//! The `[yolo]` / `[Gaussian_yolo]` heads grouped by the anchor list they index, for the
//! anchor rules: heads with the same `num` index one list (a mask's numbers name the same
//! anchors), whether or not each head writes it out identically.

use crate::kinds::Yolo;
use crate::network::{Layer, Network};

/// One head of a group.
pub(super) struct Head<'n> {
    /// The head's layer.
    pub layer: &'n Layer,
    /// Its parameters.
    pub yolo: &'n Yolo,
}

/// Heads sharing one anchor list, in cfg order.
pub(super) fn groups(network: &Network) -> Vec<Vec<Head<'_>>> {
    let mut groups: Vec<Vec<Head>> = Vec::new();
    for layer in &network.layers {
        let Some(yolo) = layer.kind.yolo() else {
            continue;
        };
        let head = Head { layer, yolo };
        match groups.iter_mut().find(|g| g[0].yolo.total == yolo.total) {
            Some(g) => g.push(head),
            None => groups.push(vec![head]),
        }
    }
    groups
}

/// `anchor 3 (81×82)`.
pub(super) fn anchor_text(yolo: &Yolo, n: usize) -> String {
    match yolo.anchor(n) {
        Some((w, h)) => format!("anchor {n} ({w}×{h})"),
        None => format!("anchor {n}"),
    }
}
