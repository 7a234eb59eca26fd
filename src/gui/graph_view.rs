//! The graph view: the layered layout of a document drawn with egui_graphs, nodes coloured by
//! BFLOPs or memory (with a legend), CSP splits highlighted in two colours up to where they
//! rejoin, pan/zoom, fit, search by index or type, click to select.

use super::doc::Document;
use super::graph_draw::{EdgeData, LayerEdge, LayerNode, NODE, NodeData};
use crate::graph::NodeKind;
use crate::graph::csp::EdgeKind;
use crate::network::LayerKind;
use egui::{Color32, Pos2, Rect, Vec2};
use egui_graphs::{GraphChange, GraphView, MetadataFrame, SettingsInteraction, SettingsNavigation};
use petgraph::Directed;
use petgraph::stable_graph::{DefaultIx, NodeIndex};

/// The egui_graphs graph of a document.
pub type LayerGraph =
    egui_graphs::Graph<NodeData, EdgeData, Directed, DefaultIx, LayerNode, LayerEdge>;

/// Horizontal distance of one layout unit, vertical distance of one rank (canvas units).
const X_UNIT: f32 = NODE.x * 1.12;
const Y_UNIT: f32 = NODE.y * 2.1;

/// What the nodes are coloured by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ColorBy {
    /// Darknet's BFLOPs of the layer.
    Bflops,
    /// The layer's output tensor bytes.
    Memory,
}

/// Colours of the two halves of a split (sliced branch, bypass), per split in turn.
const SPLIT_COLORS: [(Color32, Color32); 3] = [
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
fn metric(doc: &Document, by: ColorBy, layer: usize) -> f64 {
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
        _ => String::new(),
    }
}

/// Builds the egui_graphs graph of a document; returns it and each layer's node (index 0 is
/// the input image).
pub fn build(doc: &Document, by: ColorBy) -> (LayerGraph, Vec<NodeIndex>) {
    let a = &doc.analysis;
    let l = &doc.layout;
    let max = (0..a.network.layers.len())
        .map(|i| metric(doc, by, i))
        .fold(0.0f64, f64::max)
        .max(1e-12);
    let pos = |v: usize| {
        let n = &l.nodes[v];
        Pos2::new(n.x * X_UNIT, n.rank as f32 * Y_UNIT)
    };
    let mut marks = vec![None; a.network.layers.len()];
    let mut edge_color = vec![None; doc.edges.len()];
    for (k, s) in doc.splits.iter().enumerate() {
        let (ca, cb) = SPLIT_COLORS[k % SPLIT_COLORS.len()];
        marks[s.route] = Some(ca);
        if let Some(m) = s.merge {
            marks[m] = Some(MERGE_COLOR);
        }
        s.taken.iter().for_each(|&e| edge_color[e] = Some(ca));
        s.bypass.iter().for_each(|&e| edge_color[e] = Some(cb));
    }
    let mut g = LayerGraph::new();
    let mut nodes = Vec::new();
    for v in 0..=a.network.layers.len() {
        let data = match l.nodes[v].kind {
            NodeKind::Layer(i) => {
                let layer = &a.network.layers[i];
                let t = (metric(doc, by, i) / max).sqrt() as f32;
                NodeData {
                    layer: Some(i),
                    title: format!("{i} {}", layer.kind.type_name()),
                    detail: detail(&layer.kind),
                    shape: a.shapes.layers[i].output.text(),
                    fill: ramp(t),
                    mark: marks[i],
                }
            }
            _ => NodeData {
                layer: None,
                title: "input".into(),
                detail: String::new(),
                shape: a.shapes.input.text(),
                fill: Color32::from_gray(70),
                mark: None,
            },
        };
        nodes.push(g.add_node_with_location(data, pos(v)));
    }
    for (k, (info, chain)) in doc.edges.iter().zip(&l.edges).enumerate() {
        let bends = chain[1..chain.len() - 1].iter().map(|&v| pos(v)).collect();
        let color = edge_color[k].unwrap_or(match info.kind {
            EdgeKind::Shortcut => Color32::from_rgb(200, 160, 90),
            EdgeKind::Route | EdgeKind::Slice => Color32::from_rgb(150, 170, 200),
            EdgeKind::Sequential => Color32::from_gray(130),
        });
        let split = edge_color[k].is_some();
        let data = EdgeData {
            bends,
            color,
            width: if split { 3.0 } else { 1.5 },
            dashed: info.kind == EdgeKind::Shortcut,
            label: (split || info.kind == EdgeKind::Slice || info.kind == EdgeKind::Route)
                .then(|| info.label()),
        };
        g.add_edge(nodes[info.from], nodes[info.to], data);
    }
    (g, nodes)
}

/// A document's graph and its view state.
pub struct GraphState {
    /// The graph.
    pub graph: LayerGraph,
    /// Node of each layout node (0 = input, 1 + i = layer i).
    pub nodes: Vec<NodeIndex>,
    /// What the colours show.
    pub color_by: ColorBy,
    /// The search text.
    pub search: String,
    /// A pan/zoom to apply before the next frame (fit, go to layer).
    pending_view: Option<View>,
    /// The widget id (one per document slot).
    pub id: String,
    /// The widget's top-left corner in the last frame.
    origin: Pos2,
}

#[derive(Debug, Clone, Copy)]
enum View {
    Fit,
    Center(usize),
}

impl GraphState {
    /// The graph of `doc`, fitted on its first frame.
    pub fn new(doc: &Document, by: ColorBy, id: String) -> Self {
        let (graph, nodes) = build(doc, by);
        Self {
            graph,
            nodes,
            color_by: by,
            search: String::new(),
            pending_view: Some(View::Fit),
            id,
            origin: Pos2::ZERO,
        }
    }

    /// Recolours the nodes.
    pub fn recolor(&mut self, doc: &Document, by: ColorBy) {
        let selected = self.selected();
        let (graph, nodes) = build(doc, by);
        self.graph = graph;
        self.nodes = nodes;
        self.color_by = by;
        self.select(selected);
    }

    /// The selected layer.
    pub fn selected(&self) -> Option<usize> {
        let n = *self.graph.selected_nodes().first()?;
        self.graph.node(n)?.payload().layer
    }

    /// Selects `layer` (None clears) without moving the view.
    pub fn select(&mut self, layer: Option<usize>) {
        let ids: Vec<NodeIndex> = self.graph.g().node_indices().collect();
        for id in ids {
            if let Some(n) = self.graph.node_mut(id) {
                n.set_selected(false);
            }
        }
        let target = layer.and_then(|i| self.nodes.get(i + 1).copied());
        if let Some(n) = target.and_then(|t| self.graph.node_mut(t)) {
            n.set_selected(true);
        }
        self.graph.set_selected_nodes(target.into_iter().collect());
    }

    /// Selects `layer` and centres the view on it.
    pub fn go_to(&mut self, layer: usize) {
        self.select(Some(layer));
        self.pending_view = Some(View::Center(layer));
    }

    /// Where layer `i`'s node is on screen, by the view's last pan and zoom.
    pub fn screen_pos(&self, ctx: &egui::Context, i: usize) -> Option<Pos2> {
        let id = egui::Id::new(MetadataFrame::new(Some(self.id.clone())).get_id());
        let meta = ctx.data_mut(|d| d.get_persisted::<MetadataFrame>(id))?;
        let n = self.graph.node(*self.nodes.get(i + 1)?)?;
        // egui_graphs keeps the pan relative to the widget's top-left corner
        Some(meta.canvas_to_screen_pos(n.location()) + self.origin.to_vec2())
    }

    /// Fits the whole graph on the next frame.
    pub fn fit(&mut self) {
        self.pending_view = Some(View::Fit);
    }

    fn apply_view(&mut self, ui: &mut egui::Ui, rect: Rect) {
        let Some(view) = self.pending_view.take() else {
            return;
        };
        let mut meta = MetadataFrame::new(Some(self.id.clone())).load(ui);
        match view {
            View::Fit => {
                let pts: Vec<Pos2> = self.graph.nodes_iter().map(|(_, n)| n.location()).collect();
                let b = Rect::from_points(&pts).expand2(NODE);
                let zoom = (rect.width() / b.width()).min(rect.height() / b.height()) * 0.95;
                meta.zoom = zoom.clamp(0.02, 2.0);
                meta.pan = rect.size() / 2.0 - b.center().to_vec2() * meta.zoom;
            }
            View::Center(i) => {
                let Some(n) = self.nodes.get(i + 1).and_then(|&n| self.graph.node(n)) else {
                    return;
                };
                meta.zoom = meta.zoom.max(0.85);
                meta.pan = rect.size() / 2.0 - n.location().to_vec2() * meta.zoom;
            }
        }
        meta.save(ui);
    }

    /// Draws the view; returns the layer the user clicked.
    pub fn show(&mut self, ui: &mut egui::Ui) -> Option<usize> {
        let rect = ui.available_rect_before_wrap();
        self.origin = rect.min;
        self.apply_view(ui, rect);
        let interaction = SettingsInteraction::new()
            .with_dragging_enabled(false)
            .with_hover_enabled(true)
            .with_node_clicking_enabled(true)
            .with_node_selection_enabled(true);
        let navigation = SettingsNavigation::new()
            .with_fit_to_screen_enabled(false)
            .with_zoom_and_pan_enabled(true)
            .with_zoom_speed(0.15);
        let resp = GraphView::<egui_graphs::LayoutStateRandom, Fixed>::new()
            .with_id(Some(self.id.clone()))
            .with_interactions(&interaction)
            .with_navigations(&navigation)
            .show(ui, &mut self.graph);
        let mut clicked = None;
        for change in &resp.changes {
            if let GraphChange::NodeClicked { node } | GraphChange::NodeSelected { node } = change {
                clicked = self.graph.node(*node).and_then(|n| n.payload().layer);
            }
        }
        legend(ui, rect, self.color_by);
        clicked
    }

    /// The first layer at or after `from` matching the search text: an index, or a type name.
    pub fn find(&self, doc: &Document, from: usize) -> Option<usize> {
        let q = self.search.trim().to_ascii_lowercase();
        if q.is_empty() {
            return None;
        }
        if let Ok(i) = q.parse::<usize>() {
            return (i < doc.analysis.network.layers.len()).then_some(i);
        }
        let layers = &doc.analysis.network.layers;
        let n = layers.len();
        (0..n).map(|k| (from + k) % n).find(|&i| {
            layers[i].kind.type_name().contains(&q) || layers[i].section_name.contains(&q)
        })
    }
}

/// The colour legend in the view's bottom-left corner.
fn legend(ui: &egui::Ui, rect: Rect, by: ColorBy) {
    let p = ui.painter_at(rect);
    let origin = rect.left_bottom() + Vec2::new(12.0, -40.0);
    let w = 160.0;
    for k in 0..32 {
        let t = k as f32 / 31.0;
        let x = origin.x + t * w;
        p.rect_filled(
            Rect::from_min_size(Pos2::new(x, origin.y), Vec2::new(w / 31.0 + 0.5, 10.0)),
            0.0,
            ramp(t),
        );
    }
    let label = match by {
        ColorBy::Bflops => "BFLOPs (square-root scale), 0 to max",
        ColorBy::Memory => "output memory (square-root scale), 0 to max",
    };
    let ink = ui.visuals().text_color();
    p.text(
        origin + Vec2::new(0.0, 14.0),
        egui::Align2::LEFT_TOP,
        label,
        egui::FontId::proportional(11.0),
        ink,
    );
    let key = [
        (
            SPLIT_COLORS[0].0,
            "sliced half (colour pair cycles per split)",
        ),
        (SPLIT_COLORS[0].1, "other half"),
        (MERGE_COLOR, "rejoining concat (outline)"),
        (Color32::from_rgb(200, 160, 90), "shortcut (dashed)"),
    ];
    for (k, (c, t)) in key.iter().enumerate() {
        let y = origin.y - 18.0 * (key.len() - k) as f32;
        p.line_segment(
            [Pos2::new(origin.x, y), Pos2::new(origin.x + 22.0, y)],
            (3.0, *c),
        );
        p.text(
            Pos2::new(origin.x + 28.0, y),
            egui::Align2::LEFT_CENTER,
            *t,
            egui::FontId::proportional(11.0),
            ink,
        );
    }
}

/// A layout that keeps the positions the layered layout gave (egui_graphs calls it each frame).
#[derive(Debug, Default)]
pub struct Fixed {
    state: egui_graphs::LayoutStateRandom,
}

impl egui_graphs::Layout<egui_graphs::LayoutStateRandom> for Fixed {
    fn from_state(
        state: egui_graphs::LayoutStateRandom,
    ) -> impl egui_graphs::Layout<egui_graphs::LayoutStateRandom> {
        Self { state }
    }

    fn next<N, E, Ty, Ix, Dn, De>(
        &mut self,
        _g: &mut egui_graphs::Graph<N, E, Ty, Ix, Dn, De>,
        _ui: &egui::Ui,
    ) where
        N: Clone,
        E: Clone,
        Ty: petgraph::EdgeType,
        Ix: petgraph::stable_graph::IndexType,
        Dn: egui_graphs::DisplayNode<N, E, Ty, Ix>,
        De: egui_graphs::DisplayEdge<N, E, Ty, Ix, Dn>,
    {
    }

    fn state(&self) -> egui_graphs::LayoutStateRandom {
        self.state.clone()
    }
}
