//! Frames around the expanded CSP stages of the graph view: a rectangle around the stage's
//! layers in its part colours with a title strip ("CSP stage 3 · 64×64 · 128 → 64+64 · 8
//! residual units · fusion csp"); clicking the strip selects the stage.

use crate::graph::view::ViewLayout;
use crate::gui::doc::Document;
use crate::gui::graph::draw::NODE;
use crate::gui::graph::style::{position, stage_colors};
use egui::{Color32, FontId, Pos2, Rect, Stroke, StrokeKind, Vec2};
use egui_graphs::MetadataFrame;

/// Room between a frame and its nodes, canvas units.
const PAD: f32 = 10.0;
/// Height of a frame's title strip, canvas units.
const HEADER: f32 = 24.0;

/// One frame, in canvas units.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The stage (position in `csp.stages`).
    pub stage: usize,
    /// The whole frame.
    pub rect: Rect,
    /// Its title strip.
    pub header: Rect,
    /// The title.
    pub label: String,
}

/// The frames of the expanded stages of `view`.
pub fn frames(doc: &Document, view: &ViewLayout) -> Vec<Frame> {
    let mut out = Vec::new();
    for &g in &view.frames {
        let Some(stage) = doc.groups.get(g).and_then(|gr| gr.stage) else {
            continue;
        };
        let pts: Vec<Pos2> = (0..view.layout.nodes.len())
            .filter(|&v| view.layout.nodes[v].cluster == Some(g))
            .map(|v| position(view, v))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let body = Rect::from_points(&pts).expand2(NODE / 2.0 + Vec2::splat(PAD));
        let rect = Rect::from_min_max(body.min - Vec2::new(0.0, HEADER), body.max);
        let header = Rect::from_min_size(rect.min, Vec2::new(rect.width(), HEADER));
        let label = doc
            .analysis
            .csp
            .stages
            .get(stage)
            .map_or_else(String::new, |s| {
                crate::gui::graph::style::gui_text(&s.label())
            });
        out.push(Frame {
            stage,
            rect,
            header,
            label,
        });
    }
    out
}

/// Draws the frames under the graph.
pub fn draw(ui: &egui::Ui, meta: &MetadataFrame, frames: &[Frame], selected: Option<usize>) {
    let painter = ui.painter();
    let to_screen = |r: Rect| {
        Rect::from_min_max(
            meta.canvas_to_screen_pos(r.min),
            meta.canvas_to_screen_pos(r.max),
        )
    };
    for f in frames {
        let rect = to_screen(f.rect);
        if !painter.clip_rect().intersects(rect) {
            continue;
        }
        let (c1, c2) = stage_colors(f.stage);
        let width = if selected == Some(f.stage) { 3.0 } else { 1.5 };
        painter.rect(
            rect,
            6.0,
            c2.gamma_multiply(0.06),
            Stroke::new(width, c1.gamma_multiply(0.8)),
            StrokeKind::Outside,
        );
        let header = to_screen(f.header);
        painter.rect_filled(header, 6.0, c1.gamma_multiply(0.22));
        let size = (12.0 * meta.zoom).clamp(0.0, 16.0);
        if size >= 5.0 {
            let galley = painter.layout(
                f.label.clone(),
                FontId::proportional(size),
                Color32::from_gray(235),
                header.width() - 8.0,
            );
            let at = Pos2::new(
                header.min.x + 6.0,
                header.center().y - galley.size().y / 2.0,
            );
            painter.galley(at, galley, Color32::from_gray(235));
        }
    }
}

/// The stage whose title strip is at `screen`.
pub fn header_at(meta: &MetadataFrame, frames: &[Frame], screen: Pos2) -> Option<usize> {
    let canvas = meta.screen_to_canvas_pos(screen);
    frames
        .iter()
        .find(|f| f.header.contains(canvas))
        .map(|f| f.stage)
}
