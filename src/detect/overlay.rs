//! What each detection head sees, for drawing over the image: its grid, the anchors it would
//! place at a cell (to scale) and the receptive field of that cell by darknet's rule, all in
//! coordinates relative to the image (letterbox undone as darknet undoes it). This is how a
//! user sees an anchor set mismatched to their objects.

use super::boxes::{Geometry, RelBox};
use crate::Analysis;
use crate::kinds::LayerKind;

/// One detection head.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    /// Its layer index.
    pub layer: usize,
    /// `yolo` or `region`.
    pub kind: &'static str,
    /// Grid columns and rows.
    pub grid: (usize, usize),
    /// Network input pixels per cell (width).
    pub stride: usize,
    /// The anchors it uses, `(index, width, height)` in network input pixels.
    pub anchors: Vec<(usize, f32, f32)>,
    /// The receptive field of its cells, in network input pixels.
    pub receptive: u64,
}

impl Head {
    /// "30 yolo 13×13 /32".
    pub fn label(&self) -> String {
        format!(
            "{} {} {}×{} /{}",
            self.layer, self.kind, self.grid.0, self.grid.1, self.stride
        )
    }
}

/// The network's yolo and region heads, in layer order.
pub fn heads(a: &Analysis) -> Vec<Head> {
    let net_w = a.shapes.input.w.max(1);
    let mut out = Vec::new();
    for layer in &a.network.layers {
        let g = a.shapes.layers[layer.index].output;
        let (gw, gh) = (g.w.max(1), g.h.max(1));
        let anchor = |v: &[f32], k: usize| {
            (
                v.get(2 * k).copied().unwrap_or(1.0),
                v.get(2 * k + 1).copied().unwrap_or(1.0),
            )
        };
        let (kind, anchors): (&'static str, Vec<(usize, f32, f32)>) =
            if let LayerKind::Yolo(y) = &layer.kind {
                let masked = y.mask.iter().map(|&m| {
                    let (w, h) = anchor(&y.anchors, m);
                    (m, w, h)
                });
                (layer.kind.type_name(), masked.collect())
            } else if let LayerKind::Region(r) = &layer.kind {
                // region anchors are in grid cells
                let cell = (net_w / gw) as f32;
                let all = (0..r.num).map(|n| {
                    let (w, h) = anchor(&r.anchors, n);
                    (n, w * cell, h * cell)
                });
                (layer.kind.type_name(), all.collect())
            } else {
                continue;
            };
        out.push(Head {
            layer: layer.index,
            kind,
            grid: (gw, gh),
            stride: net_w / gw,
            anchors,
            receptive: a
                .profile
                .receptive_fields
                .get(layer.index)
                .copied()
                .unwrap_or(0),
        });
    }
    out
}

/// What to draw at one cell, relative to the image.
#[derive(Debug, Clone, PartialEq)]
pub struct CellView {
    /// The cell.
    pub cell: RelBox,
    /// Each anchor's box centred on the cell, with its index.
    pub anchors: Vec<(usize, RelBox)>,
    /// The receptive field centred on the cell.
    pub receptive: RelBox,
}

/// The cell `(col, row)` of `head` seen on the image.
pub fn cell_view(head: &Head, geo: &Geometry, col: usize, row: usize) -> CellView {
    let (gw, gh) = (head.grid.0 as f32, head.grid.1 as f32);
    let (nw, nh) = (geo.net_w.max(1) as f32, geo.net_h.max(1) as f32);
    let centre = |w: f32, h: f32| RelBox {
        x: (col as f32 + 0.5) / gw,
        y: (row as f32 + 0.5) / gh,
        w,
        h,
    };
    let rf = head.receptive as f32;
    CellView {
        cell: geo.to_image(centre(1.0 / gw, 1.0 / gh)),
        anchors: (head.anchors.iter())
            .map(|&(i, w, h)| (i, geo.to_image(centre(w / nw, h / nh))))
            .collect(),
        receptive: geo.to_image(centre(rf / nw, rf / nh)),
    }
}

/// The cell of `head` under a point given relative to the image (`None` outside the grid,
/// as in a letterbox's bars).
pub fn cell_at(head: &Head, geo: &Geometry, x: f32, y: f32) -> Option<(usize, usize)> {
    // the image-relative position of network-relative 0 and 1 on each axis
    let origin = geo.to_image(RelBox {
        x: 0.0,
        y: 0.0,
        w: 1.0,
        h: 1.0,
    });
    let (nx, ny) = ((x - origin.x) / origin.w, (y - origin.y) / origin.h);
    if !(0.0..1.0).contains(&nx) || !(0.0..1.0).contains(&ny) {
        return None;
    }
    Some((
        (nx * head.grid.0 as f32) as usize,
        (ny * head.grid.1 as f32) as usize,
    ))
}

/// The grid's lines, image-relative: the x of each vertical line and the y of each
/// horizontal one (edges included).
pub fn grid_lines(head: &Head, geo: &Geometry) -> (Vec<f32>, Vec<f32>) {
    let origin = geo.to_image(RelBox {
        x: 0.0,
        y: 0.0,
        w: 1.0,
        h: 1.0,
    });
    let xs = (0..=head.grid.0)
        .map(|c| origin.x + origin.w * c as f32 / head.grid.0 as f32)
        .collect();
    let ys = (0..=head.grid.1)
        .map(|r| origin.y + origin.h * r as f32 / head.grid.1 as f32)
        .collect();
    (xs, ys)
}
