//! What the graph's parts share: the egui_graphs graph type, what nodes are coloured by and
//! the colour ramp, the CSP stage and split colours, node details, canvas units, and text
//! for egui's default font.

use crate::graph::view::ViewLayout;
use crate::gui::doc::Document;
use crate::gui::graph::draw::{EdgeData, LayerEdge, LayerNode, NODE, NodeData};
use crate::kinds::LayerKind;
use egui::{Color32, Pos2};
use petgraph::Directed;
use petgraph::stable_graph::DefaultIx;

/// The egui_graphs graph of a document.
pub type LayerGraph =
    egui_graphs::Graph<NodeData, EdgeData, Directed, DefaultIx, LayerNode, LayerEdge>;

/// What the nodes are coloured by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ColorBy {
    /// Darknet's BFLOPs of the layer.
    Bflops,
    /// The layer's output tensor bytes.
    Memory,
}

/// Colours of the two halves of a split (sliced branch, bypass), per split in turn.
pub const SPLIT_COLORS: [(Color32, Color32); 3] = [
    (
        Color32::from_rgb(255, 120, 40),
        Color32::from_rgb(40, 190, 255),
    ),
    (
        Color32::from_rgb(240, 70, 200),
        Color32::from_rgb(90, 230, 110),
    ),
    (
        Color32::from_rgb(255, 220, 60),
        Color32::from_rgb(170, 130, 255),
    ),
];
/// Outline of a concatenation that rejoins a split.
pub const MERGE_COLOR: Color32 = Color32::from_rgb(255, 255, 255);

/// A perceptual ramp (dark blue → teal → yellow) for t in 0..=1.
pub fn ramp(t: f32) -> Color32 {
    const STOPS: [[f32; 3]; 5] = [
        [48.0, 18.0, 84.0],
        [59.0, 82.0, 139.0],
        [33.0, 145.0, 140.0],
        [94.0, 201.0, 98.0],
        [253.0, 231.0, 37.0],
    ];
    let t = t.clamp(0.0, 1.0) * 4.0;
    let i = (t.floor() as usize).min(3);
    let f = t - i as f32;
    let c = |k: usize| (STOPS[i][k] + (STOPS[i + 1][k] - STOPS[i][k]) * f) as u8;
    Color32::from_rgb(c(0), c(1), c(2))
}

/// The value a node is coloured by and its maximum over the network.
pub fn metric(doc: &Document, by: ColorBy, layer: usize) -> f64 {
    let a = &doc.analysis;
    match by {
        ColorBy::Bflops => a.profile.layers.get(layer).map_or(0.0, |c| c.bflops as f64),
        ColorBy::Memory => a
            .memory
            .layers
            .get(layer)
            .map_or(0.0, |m| m.activation_bytes as f64),
    }
}

/// The second line of a node: the layer's key parameters.
pub fn detail(kind: &LayerKind) -> String {
    match kind {
        LayerKind::Convolutional(c) => {
            let g = if c.groups > 1 {
                format!(" g{}", c.groups)
            } else {
                String::new()
            };
            format!(
                "{} {}×{}/{}{g} {}",
                c.filters,
                c.size,
                c.size,
                c.stride_x,
                c.activation.name()
            )
        }
        LayerKind::Route(r) if r.groups > 1 => {
            format!("{:?} groups {} id {}", r.layers, r.groups, r.group_id)
        }
        LayerKind::Route(r) => format!("{:?}", r.layers),
        LayerKind::Shortcut(s) => format!("from {:?} {}", s.from, s.activation.name()),
        LayerKind::Maxpool(p) | LayerKind::LocalAvgpool(p) => {
            format!("{}×{}/{}", p.size, p.size, p.stride_x)
        }
        LayerKind::Upsample(u) => format!("×{}", u.stride),
        LayerKind::Yolo(y) | LayerKind::GaussianYolo(y) => {
            format!("mask {:?} cls {}", y.mask, y.classes)
        }
        LayerKind::Region(r) => format!("num {} cls {}", r.num, r.classes),
        LayerKind::Avgpool(_)
        | LayerKind::Reorg(_)
        | LayerKind::Reorg3d(_)
        | LayerKind::Detection(_)
        | LayerKind::Connected(_)
        | LayerKind::Softmax(_)
        | LayerKind::Dropout(_)
        | LayerKind::Cost(_)
        | LayerKind::Crop(_)
        | LayerKind::Sam(_)
        | LayerKind::ScaleChannels(_)
        | LayerKind::Batchnorm(_)
        | LayerKind::Implicit(_)
        | LayerKind::Contrastive(_)
        | LayerKind::Empty(_)
        | LayerKind::Activation(_)
        | LayerKind::Rnn(_)
        | LayerKind::Lstm(_)
        | LayerKind::Gru(_)
        | LayerKind::Crnn(_)
        | LayerKind::ConvLstm(_)
        | LayerKind::Deconvolutional(_)
        | LayerKind::Local(_)
        | LayerKind::Normalization(_)
        | LayerKind::L2norm(_) => String::new(),
    }
}

/// Horizontal distance of one layout unit, vertical distance of one rank (canvas units).
pub const X_UNIT: f32 = NODE.x * 1.12;
/// Vertical distance of one rank.
pub const Y_UNIT: f32 = NODE.y * 2.1;

/// Where layout node `v` is drawn.
pub fn position(view: &ViewLayout, v: usize) -> Pos2 {
    let n = &view.layout.nodes[v];
    Pos2::new(n.x * X_UNIT, n.rank as f32 * Y_UNIT)
}

/// Text for the app's fonts, which have no arrows: "→" becomes "->".
pub fn gui_text(s: &str) -> String {
    s.replace('→', "->")
}

/// The colour pair of stage `k` (part 1, part 2).
pub fn stage_colors(k: usize) -> (Color32, Color32) {
    SPLIT_COLORS[k % SPLIT_COLORS.len()]
}
