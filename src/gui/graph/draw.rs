//! How one layer node and one edge are drawn in the egui_graphs view: a box with the layer's
//! kind, key parameters and output shape, coloured by cost; edges as polylines through the
//! layout's bend points, dashed for shortcuts, coloured by the CSP branch they belong to and
//! labelled with the channel range they carry. Off-screen elements produce no shapes.

use egui::epaint::{PathShape, PathStroke, RectShape, TextShape};
use egui::{Color32, CornerRadius, FontId, Pos2, Rect, Shape, Stroke, StrokeKind, Vec2};
use egui_graphs::{DisplayEdge, DisplayNode, DrawContext, EdgeProps, Node, NodeProps};
use petgraph::{Directed, stable_graph::DefaultIx};

/// Node box size in canvas units.
pub const NODE: Vec2 = Vec2::new(176.0, 58.0);

/// What a node shows.
#[derive(Debug, Clone, Default)]
pub struct NodeData {
    /// The layer (None for the input image and collapsed groups).
    pub layer: Option<usize>,
    /// The collapsed group it stands for.
    pub group: Option<usize>,
    /// "12 conv", first line.
    pub title: String,
    /// Key parameters, second line.
    pub detail: String,
    /// Output shape, third line.
    pub shape: String,
    /// Fill by the chosen cost.
    pub fill: Color32,
    /// Outline of a split route (its branch colour) or a merge.
    pub mark: Option<Color32>,
}

/// What an edge shows.
#[derive(Debug, Clone, Default)]
pub struct EdgeData {
    /// Bend points (canvas), from the producer down to the consumer.
    pub bends: Vec<Pos2>,
    /// Line colour.
    pub color: Color32,
    /// Line width in canvas units.
    pub width: f32,
    /// Dashed (shortcut inputs).
    pub dashed: bool,
    /// Channel range, drawn beside the edge when zoomed in.
    pub label: Option<String>,
}

/// The node drawer.
#[derive(Debug, Clone)]
pub struct LayerNode {
    pos: Pos2,
    data: NodeData,
    selected: bool,
    hovered: bool,
}

impl From<NodeProps<NodeData>> for LayerNode {
    fn from(p: NodeProps<NodeData>) -> Self {
        Self {
            pos: p.location(),
            data: p.payload.clone(),
            selected: p.selected,
            hovered: p.hovered,
        }
    }
}

fn text_color(fill: Color32) -> Color32 {
    let l = 0.299 * fill.r() as f32 + 0.587 * fill.g() as f32 + 0.114 * fill.b() as f32;
    if l > 140.0 {
        Color32::from_gray(20)
    } else {
        Color32::from_gray(240)
    }
}

impl DisplayNode<NodeData, EdgeData, Directed, DefaultIx> for LayerNode {
    fn closest_boundary_point(&self, dir: Vec2) -> Pos2 {
        // edges enter at the top and leave at the bottom of the box
        if dir.y >= 0.0 {
            self.pos + Vec2::new(0.0, NODE.y / 2.0)
        } else {
            self.pos - Vec2::new(0.0, NODE.y / 2.0)
        }
    }

    fn shapes(&mut self, ctx: &DrawContext) -> Vec<Shape> {
        let min = ctx.meta.canvas_to_screen_pos(self.pos - NODE / 2.0);
        let max = ctx.meta.canvas_to_screen_pos(self.pos + NODE / 2.0);
        let rect = Rect::from_min_max(min, max);
        if !ctx.painter.clip_rect().intersects(rect) {
            return Vec::new();
        }
        let zoom = ctx.meta.zoom;
        let stroke = if self.selected {
            Stroke::new(3.0, Color32::from_rgb(255, 200, 0))
        } else if let Some(c) = self.data.mark {
            Stroke::new(2.5, c)
        } else if self.hovered {
            Stroke::new(1.5, Color32::WHITE)
        } else {
            Stroke::new(1.0, Color32::from_gray(90))
        };
        let radius = CornerRadius::same((6.0 * zoom).clamp(0.0, 12.0) as u8);
        let mut out = vec![Shape::Rect(RectShape::new(
            rect,
            radius,
            self.data.fill,
            stroke,
            StrokeKind::Outside,
        ))];
        let size = 13.0 * zoom;
        if size < 4.0 {
            return out;
        }
        let ink = text_color(self.data.fill);
        let lines: &[(&str, f32)] = if size < 7.0 {
            &[(&self.data.title, 1.3)]
        } else {
            &[
                (&self.data.title, 1.0),
                (&self.data.detail, 0.85),
                (&self.data.shape, 0.85),
            ]
        };
        let fonts: Vec<_> = lines
            .iter()
            .map(|(t, s)| {
                ctx.painter
                    .layout_no_wrap(t.to_string(), FontId::proportional(size * s), ink)
            })
            .collect();
        let total: f32 = fonts.iter().map(|g| g.size().y).sum();
        let mut y = rect.center().y - total / 2.0;
        for g in fonts {
            let pos = Pos2::new(rect.center().x - g.size().x / 2.0, y);
            y += g.size().y;
            out.push(Shape::Text(TextShape::new(pos, g, ink)));
        }
        out
    }

    fn update(&mut self, state: &NodeProps<NodeData>) {
        self.pos = state.location();
        self.selected = state.selected;
        self.hovered = state.hovered;
    }

    fn is_inside(&self, pos: Pos2) -> bool {
        Rect::from_center_size(self.pos, NODE).contains(pos)
    }
}

/// The edge drawer.
#[derive(Debug, Clone)]
pub struct LayerEdge {
    data: EdgeData,
}

impl From<EdgeProps<EdgeData>> for LayerEdge {
    fn from(p: EdgeProps<EdgeData>) -> Self {
        Self { data: p.payload }
    }
}

type GNode = Node<NodeData, EdgeData, Directed, DefaultIx, LayerNode>;

impl LayerEdge {
    fn points(&self, start: &GNode, end: &GNode) -> Vec<Pos2> {
        let mut pts = Vec::with_capacity(self.data.bends.len() + 2);
        pts.push(start.location() + Vec2::new(0.0, NODE.y / 2.0));
        pts.extend(self.data.bends.iter().copied());
        pts.push(end.location() - Vec2::new(0.0, NODE.y / 2.0));
        pts
    }
}

impl DisplayEdge<NodeData, EdgeData, Directed, DefaultIx, LayerNode> for LayerEdge {
    fn shapes(&mut self, start: &GNode, end: &GNode, ctx: &DrawContext) -> Vec<Shape> {
        let pts: Vec<Pos2> = self
            .points(start, end)
            .into_iter()
            .map(|p| ctx.meta.canvas_to_screen_pos(p))
            .collect();
        let bounds = Rect::from_points(&pts).expand(8.0);
        if !ctx.painter.clip_rect().intersects(bounds) {
            return Vec::new();
        }
        let width = (self.data.width * ctx.meta.zoom).clamp(0.6, 6.0);
        let stroke = Stroke::new(width, self.data.color);
        let mut out = Vec::new();
        if self.data.dashed {
            out.extend(Shape::dashed_line(&pts, stroke, 6.0, 4.0));
        } else {
            out.push(Shape::Path(PathShape::line(
                pts.clone(),
                PathStroke::from(stroke),
            )));
        }
        if let [.., a, b] = pts.as_slice() {
            let dir = (*b - *a).normalized();
            let side = Vec2::new(-dir.y, dir.x);
            let tip = 5.0 + 2.0 * width;
            out.push(Shape::convex_polygon(
                vec![
                    *b,
                    *b - dir * tip + side * tip * 0.5,
                    *b - dir * tip - side * tip * 0.5,
                ],
                self.data.color,
                Stroke::NONE,
            ));
        }
        if let (Some(label), [a, b, ..]) = (&self.data.label, pts.as_slice())
            && ctx.meta.zoom > 0.55
        {
            let at = *a + (*b - *a) * 0.35 + Vec2::new(4.0, 0.0);
            let g = ctx.painter.layout_no_wrap(
                label.clone(),
                FontId::proportional(11.0 * ctx.meta.zoom.min(1.4)),
                self.data.color,
            );
            out.push(Shape::Text(TextShape::new(at, g, self.data.color)));
        }
        out
    }

    fn update(&mut self, _state: &EdgeProps<EdgeData>) {}

    fn is_inside(&self, _start: &GNode, _end: &GNode, _pos: Pos2) -> bool {
        false
    }

    fn extra_bounds(&self, _start: &GNode, _end: &GNode) -> Option<(Pos2, Pos2)> {
        let r = Rect::from_points(&self.data.bends);
        (!self.data.bends.is_empty()).then_some((r.min, r.max))
    }
}
