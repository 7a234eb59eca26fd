//! The graph view: the layered layout of a document drawn with egui_graphs, nodes coloured by
//! BFLOPs or memory (with a legend), each CSP stage framed with its parts in a colour pair,
//! stages and runs of plain layers collapsible into one node, pan/zoom, fit, search by index
//! or type, click to select a layer or a stage.

pub(in crate::gui) mod build;
pub(in crate::gui) mod draw;
pub(in crate::gui) mod frames;
pub(in crate::gui) mod style;

use crate::graph::view::{ViewLayout, view_layout};
use crate::gui::doc::Document;
use crate::gui::graph::build::build;
use crate::gui::graph::draw::NODE;
use crate::gui::graph::frames::Frame;
pub use crate::gui::graph::style::ColorBy;
use crate::gui::graph::style::{LayerGraph, MERGE_COLOR, SPLIT_COLORS, ramp};
use egui::{Color32, Pos2, Rect, Vec2};
use egui_graphs::{GraphChange, GraphView, MetadataFrame, SettingsInteraction, SettingsNavigation};
use petgraph::stable_graph::NodeIndex;

/// The smallest zoom "Fit" goes to while the graph's width allows: node titles about 8 px.
const READABLE_ZOOM: f32 = 0.62;

/// What a click in the graph picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// A layer.
    Layer(usize),
    /// A CSP stage (position in `csp.stages`): its frame's title or its collapsed node.
    Stage(usize),
}

/// A document's graph and its view state.
pub struct GraphState {
    /// The graph.
    pub graph: LayerGraph,
    /// The egui node of each layout node (none for dummies).
    pub nodes: Vec<Option<NodeIndex>>,
    /// Which groups (`Document::groups`) are collapsed.
    pub collapsed: Vec<bool>,
    /// The laid-out view.
    pub view: ViewLayout,
    /// The frames of the expanded stages.
    frames: Vec<Frame>,
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
    /// The stage whose frame is drawn selected.
    pub selected_stage: Option<usize>,
    /// No frame drawn yet: egui_graphs fits a new widget on its first frame, so the view's
    /// own fit waits for the second.
    first_show: bool,
}

#[derive(Debug, Clone, Copy)]
enum View {
    Fit,
    Center(usize),
}

impl GraphState {
    /// The graph of `doc` in its opening view (collapsed when the whole graph is too tall to
    /// read), fitted on its first frame.
    pub fn new(doc: &Document, by: ColorBy, id: String) -> Self {
        let view = (*doc.view).clone();
        let (graph, nodes) = build(doc, by, &view);
        Self {
            graph,
            nodes,
            collapsed: doc.collapsed.clone(),
            frames: frames::frames(doc, &view),
            view,
            color_by: by,
            search: String::new(),
            pending_view: Some(View::Fit),
            id,
            origin: Pos2::ZERO,
            selected_stage: None,
            first_show: true,
        }
    }

    /// Rebuilds the graph after a change of colours or of what is collapsed.
    fn rebuild(&mut self, doc: &Document) {
        let selected = self.selected();
        let (graph, nodes) = build(doc, self.color_by, &self.view);
        self.graph = graph;
        self.nodes = nodes;
        self.frames = frames::frames(doc, &self.view);
        self.select(selected);
    }

    /// Recolours the nodes.
    pub fn recolor(&mut self, doc: &Document, by: ColorBy) {
        self.color_by = by;
        self.rebuild(doc);
    }

    /// Collapses or expands group `g` (all groups with `None`) and lays the view out again.
    pub fn set_collapsed(&mut self, doc: &Document, g: Option<usize>, collapsed: bool) {
        match g {
            Some(g) => {
                if let Some(c) = self.collapsed.get_mut(g) {
                    *c = collapsed;
                }
            }
            None => self.collapsed.iter_mut().for_each(|c| *c = collapsed),
        }
        self.view = view_layout(&doc.analysis, &doc.groups, &self.collapsed);
        self.rebuild(doc);
        self.pending_view = Some(View::Fit);
    }

    /// The group of stage `stage`.
    pub fn stage_group(doc: &Document, stage: usize) -> Option<usize> {
        doc.groups.iter().position(|g| g.stage == Some(stage))
    }

    /// The selected layer.
    pub fn selected(&self) -> Option<usize> {
        let n = *self.graph.selected_nodes().first()?;
        self.graph.node(n)?.payload().layer
    }

    fn node_of_layer(&self, i: usize) -> Option<NodeIndex> {
        self.nodes
            .get(*self.view.node_of_layer.get(i)?)
            .copied()
            .flatten()
    }

    /// Selects `layer` (None clears) without moving the view.
    pub fn select(&mut self, layer: Option<usize>) {
        let ids: Vec<NodeIndex> = self.graph.g().node_indices().collect();
        for id in ids {
            if let Some(n) = self.graph.node_mut(id) {
                n.set_selected(false);
            }
        }
        let target = layer.and_then(|i| self.node_of_layer(i));
        if let Some(n) = target.and_then(|t| self.graph.node_mut(t)) {
            n.set_selected(true);
        }
        self.graph.set_selected_nodes(target.into_iter().collect());
    }

    /// Selects `layer` and centres the view on it, expanding the group that hides it.
    pub fn go_to(&mut self, doc: &Document, layer: usize) {
        let node = self.view.node_of_layer.get(layer).copied().unwrap_or(0);
        if let crate::graph::NodeKind::Group(g) = self.view.layout.nodes[node].kind {
            self.set_collapsed(doc, Some(g), false);
        }
        self.select(Some(layer));
        self.pending_view = Some(View::Center(layer));
    }

    /// Where layer `i`'s node is on screen, by the view's last pan and zoom.
    pub fn screen_pos(&self, ctx: &egui::Context, i: usize) -> Option<Pos2> {
        let id = egui::Id::new(MetadataFrame::new(Some(self.id.clone())).get_id());
        let meta = ctx.data_mut(|d| d.get_persisted::<MetadataFrame>(id))?;
        let n = self.graph.node(self.node_of_layer(i)?)?;
        // egui_graphs keeps the pan relative to the widget's top-left corner
        Some(meta.canvas_to_screen_pos(n.location()) + self.origin.to_vec2())
    }

    /// Where the title strip of stage `stage`'s frame is on screen (after a frame was drawn).
    pub fn frame_screen_pos(&self, ctx: &egui::Context, stage: usize) -> Option<Pos2> {
        let id = egui::Id::new(MetadataFrame::new(Some(self.id.clone())).get_id());
        let meta = ctx.data_mut(|d| d.get_persisted::<MetadataFrame>(id))?;
        let f = self.frames.iter().find(|f| f.stage == stage)?;
        Some(
            meta.canvas_to_screen_pos(f.header.left_center() + Vec2::new(30.0, 0.0))
                + self.origin.to_vec2(),
        )
    }

    /// Fits the whole graph on the next frame.
    pub fn fit(&mut self) {
        self.pending_view = Some(View::Fit);
    }

    fn apply_view(&mut self, ui: &mut egui::Ui, rect: Rect) {
        // the first frames may give the view a placeholder size before the panels settle
        if rect.width() < 240.0 || rect.height() < 240.0 {
            return;
        }
        let Some(view) = self.pending_view.take() else {
            return;
        };
        let mut meta = MetadataFrame::new(Some(self.id.clone())).load(ui);
        match view {
            View::Fit => {
                let mut pts: Vec<Pos2> =
                    self.graph.nodes_iter().map(|(_, n)| n.location()).collect();
                pts.extend(self.frames.iter().flat_map(|f| [f.rect.min, f.rect.max]));
                let b = Rect::from_points(&pts).expand2(NODE);
                let wide = rect.width() / b.width() * 0.95;
                let fit = wide.min(rect.height() / b.height() * 0.95);
                // a tall graph is fitted to its width down to a readable zoom, top first
                let zoom = fit.max(READABLE_ZOOM.min(wide)).clamp(0.02, 2.0);
                meta.zoom = zoom;
                meta.pan = rect.size() / 2.0 - b.center().to_vec2() * zoom;
                if zoom > fit {
                    meta.pan.y = NODE.y * zoom * 0.5 - b.min.y * zoom;
                }
            }
            View::Center(i) => {
                let Some(n) = self.node_of_layer(i).and_then(|n| self.graph.node(n)) else {
                    return;
                };
                meta.zoom = meta.zoom.max(0.85);
                meta.pan = rect.size() / 2.0 - n.location().to_vec2() * meta.zoom;
            }
        }
        meta.save(ui);
    }

    /// Draws the view; returns what the user clicked. A click on a collapsed group expands
    /// it (and picks its stage, if it is one).
    pub fn show(&mut self, ui: &mut egui::Ui, doc: &Document) -> Option<Pick> {
        let rect = ui.available_rect_before_wrap();
        self.origin = rect.min;
        if std::mem::take(&mut self.first_show) {
            ui.ctx().request_repaint();
        } else {
            self.apply_view(ui, rect);
        }
        let meta = MetadataFrame::new(Some(self.id.clone())).load(ui);
        let mut framed = ui.new_child(egui::UiBuilder::new().max_rect(rect));
        framed.set_clip_rect(rect);
        let shifted = shift(&meta, rect.min);
        frames::draw(&framed, &shifted, &self.frames, self.selected_stage);
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
        let mut picked = None;
        let mut expand = None;
        for change in &resp.changes {
            if let GraphChange::NodeClicked { node } | GraphChange::NodeSelected { node } = change
                && let Some(n) = self.graph.node(*node)
            {
                let p = n.payload();
                if let Some(i) = p.layer {
                    picked = Some(Pick::Layer(i));
                } else if let Some(g) = p.group {
                    expand = Some(g);
                    picked = doc.groups[g].stage.map(Pick::Stage);
                }
            }
        }
        if picked.is_none()
            && let Some(pos) = ui.input(|i| {
                i.pointer
                    .primary_clicked()
                    .then(|| i.pointer.interact_pos())
                    .flatten()
            })
            && rect.contains(pos)
        {
            picked = frames::header_at(&shifted, &self.frames, pos).map(Pick::Stage);
        }
        if let Some(g) = expand {
            self.set_collapsed(doc, Some(g), false);
        }
        legend(ui, rect, self.color_by);
        picked
    }

    /// The first layer at or after `from` matching the search text: an index, or a type name.
    pub fn find(&self, doc: &Document, from: usize) -> Option<usize> {
        self.find_text(doc, &self.search, from)
    }

    /// As [`GraphState::find`], for the text `search`.
    pub fn find_text(&self, doc: &Document, search: &str, from: usize) -> Option<usize> {
        let q = search.trim().to_ascii_lowercase();
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

/// The view's transform in screen coordinates (egui_graphs keeps its pan relative to the
/// widget's top-left corner).
fn shift(meta: &MetadataFrame, origin: Pos2) -> MetadataFrame {
    let mut m = meta.clone();
    m.pan += origin.to_vec2();
    m
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
            "CSP part 1 (colour pair cycles per stage)",
        ),
        (SPLIT_COLORS[0].1, "CSP part 2"),
        (MERGE_COLOR, "merging concat (outline)"),
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
