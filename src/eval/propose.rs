//! Anchors proposed for a network from a dataset's training labels (`csplens anchors`, the
//! app's "Anchors from labels"): k-means at the network input, the masks of the cfg's heads,
//! and the cfg's current anchors' fit beside.

use super::anchors::{RESTARTS, anchors, avg_iou, label_sizes, masks};
use super::data::{DataError, DataFile};
use super::misses::Geometry;

/// Anchors found for a dataset, and where they would go in a cfg.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// The anchors (w, h) in input pixels, sorted by area.
    pub anchors: Vec<(f32, f32)>,
    /// Their avg IoU with the labels.
    pub avg_iou: f32,
    /// The cfg's anchors' avg IoU with the same labels (with a cfg).
    pub current_avg_iou: Option<f32>,
    /// Each head's mask, heads in cfg order (with a cfg).
    pub masks: Option<Vec<Vec<usize>>>,
    /// How many labels they were fitted to.
    pub labels: usize,
    /// The network input the sizes were measured at.
    pub size: (usize, usize),
}

/// Why no anchors can be proposed.
#[derive(Debug, thiserror::Error)]
pub enum ProposeError {
    /// The lists or labels cannot be read.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The lists hold no label.
    #[error("no labels in the training images of {0}")]
    NoLabels(String),
    /// Zero anchors asked for.
    #[error("at least one anchor is needed")]
    NoAnchors,
}

/// What [`propose`] is asked for: the network input and the anchor count, each taken from the
/// cfg's heads when not given (darknet's defaults 416×416 and 9 without a cfg).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Ask {
    /// Input width.
    pub width: Option<usize>,
    /// Input height.
    pub height: Option<usize>,
    /// Anchor count.
    pub num: Option<usize>,
}

/// Anchors for `data`'s training labels at the network input, with the masks of `geometry`'s
/// heads and its current anchors' fit when a cfg is given.
pub fn propose(
    data: &DataFile,
    geometry: Option<&Geometry>,
    ask: Ask,
) -> Result<Proposal, ProposeError> {
    let width = ask.width.or(geometry.map(|g| g.net_w)).unwrap_or(416);
    let height = ask.height.or(geometry.map(|g| g.net_h)).unwrap_or(416);
    let num = ask.num.or(geometry.map(|g| g.anchors.len())).unwrap_or(9);
    if num == 0 {
        return Err(ProposeError::NoAnchors);
    }
    let sizes = label_sizes(data, width, height)?;
    if sizes.is_empty() {
        return Err(ProposeError::NoLabels(data.path.display().to_string()));
    }
    let found = anchors(&sizes, num, RESTARTS, 1);
    let strides: Vec<usize> = geometry
        .iter()
        .flat_map(|g| g.heads.iter().map(|h| h.1))
        .collect();
    Ok(Proposal {
        avg_iou: avg_iou(&sizes, &found),
        current_avg_iou: geometry.map(|g| avg_iou(&sizes, &g.anchors)),
        masks: geometry.map(|_| masks(&strides, found.len())),
        anchors: found,
        labels: sizes.len(),
        size: (width, height),
    })
}
