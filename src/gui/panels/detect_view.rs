//! The detection view: the image with boxes, labels and confidences, the threshold slider
//! (re-decodes the kept head outputs, no forward pass), the backend picker with the device's
//! name, per-layer timing bars and "save annotated PNG". A head picked in the toolbar lays
//! its grid over the image; a click picks a cell, whose anchors are drawn to scale with the
//! cell's receptive field; the list beside the image says which head, cell and anchor
//! produced each detection (a click there shows that cell).

use crate::backend::{BackendChoice, Precision};
use crate::detect::boxes::{Origin, RelBox};
use crate::detect::overlay::{self, Head};
use crate::detect::paint::class_color;
use crate::gui::doc::{DetectionRun, Document};
use egui::{Color32, Pos2, Rect, Stroke, StrokeKind, Vec2};
use egui_plot::{Bar, BarChart, Plot};

/// What the user did in the view.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Thresholds changed: re-decode.
    Rethreshold(f32),
    /// Run again on another backend.
    Backend(BackendChoice),
    /// Run again with the GPU storing values at another precision.
    Precision(Precision),
    /// Save the annotated image.
    Save,
    /// Open an image.
    OpenImage,
    /// Show a head's grid (or none).
    PickHead(Option<usize>),
    /// Show a cell of the shown head (or none).
    PickCell(Option<(usize, usize)>),
    /// Show the head and cell a detection came from.
    ShowOrigin(Origin),
}

/// What the head overlay shows (view state, kept by the app).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeadOverlay {
    /// The head's layer.
    pub head: Option<usize>,
    /// The picked cell `(col, row)`.
    pub cell: Option<(usize, usize)>,
}

/// Width of the detection list beside the image.
const LIST_W: f32 = 300.0;

/// The image as an egui texture.
pub fn texture(ctx: &egui::Context, run: &DetectionRun) -> egui::TextureHandle {
    let im = &run.image;
    let plane = im.w * im.h;
    let mut rgba = Vec::with_capacity(plane * 4);
    for i in 0..plane {
        for k in 0..3 {
            rgba.push((im.data[k * plane + i] * 255.0).round().clamp(0.0, 255.0) as u8);
        }
        rgba.push(255);
    }
    let color = egui::ColorImage::from_rgba_unmultiplied([im.w, im.h], &rgba);
    ctx.load_texture("detection-image", color, egui::TextureOptions::LINEAR)
}

fn choice_name(c: BackendChoice) -> &'static str {
    match c {
        BackendChoice::Auto => "auto",
        BackendChoice::Cpu => "cpu",
        BackendChoice::Wgpu => "wgpu",
    }
}

/// Draws the view of `doc`'s last run.
pub fn show(
    ui: &mut egui::Ui,
    doc: &Document,
    tex: Option<&egui::TextureHandle>,
    thresh: f32,
    (choice, precision): (BackendChoice, Precision),
    ov: HeadOverlay,
) -> Option<Action> {
    let mut action = None;
    ui.horizontal(|ui| {
        if ui.button("Open image…").clicked() {
            action = Some(Action::OpenImage);
        }
        ui.label("threshold");
        let mut moved = thresh;
        let r = ui.add(egui::Slider::new(&mut moved, 0.01..=0.99).step_by(0.01));
        if r.changed() {
            action = Some(Action::Rethreshold(moved));
        }
        ui.label("backend");
        for c in [BackendChoice::Auto, BackendChoice::Cpu, BackendChoice::Wgpu] {
            if ui.selectable_label(choice == c, choice_name(c)).clicked() && choice != c {
                action = Some(Action::Backend(c));
            }
        }
        // f16 storage is the GPU's (auto falls back to f32 where the adapter has none)
        ui.add_enabled_ui(choice != BackendChoice::Cpu, |ui| {
            ui.label("storage").on_hover_text(
                "f16 halves the GPU's memory and traffic (adapters with SHADER_F16)",
            );
            for p in [Precision::F32, Precision::F16] {
                let label = ui.selectable_label(precision == p, p.name());
                if label.clicked() && precision != p {
                    action = Some(Action::Precision(p));
                }
            }
        });
        if doc.detection.is_some() && ui.button("Save annotated PNG…").clicked() {
            action = Some(Action::Save);
        }
    });
    ui.horizontal(|ui| {
        ui.label("head overlay");
        if ui.selectable_label(ov.head.is_none(), "none").clicked() && ov.head.is_some() {
            action = Some(Action::PickHead(None));
        }
        for h in doc.heads.iter() {
            let on = ov.head == Some(h.layer);
            if ui.selectable_label(on, h.label()).clicked() && !on {
                action = Some(Action::PickHead(Some(h.layer)));
            }
        }
        if let Some(h) = shown_head(doc, ov) {
            ui.weak(cell_text(h, ov.cell, doc));
        }
    });
    let Some(run) = &doc.detection else {
        let hint = if doc.weights.is_none() {
            "Attach weights (drop a .weights file) and drop an image to run detection."
        } else {
            "Drop an image (JPEG, PNG, BMP) onto the window to run detection."
        };
        ui.weak(hint);
        return action;
    };
    let name = run
        .path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    ui.label(format!(
        "{name} — {} detections, forward {:.1} ms, {}",
        run.detections.len(),
        run.total_ms,
        run.backend
    ));
    let timing_h = 130.0;
    let avail = ui.available_size() - Vec2::new(LIST_W + 12.0, timing_h + 20.0);
    ui.horizontal_top(|ui| {
        if let Some(tex) = tex {
            let picked = image(ui, doc, run, tex, avail, ov);
            action = picked.or(action.take());
        }
        if let Some(o) = origins(ui, run, doc) {
            action = Some(Action::ShowOrigin(o));
        }
    });
    timing(ui, run, timing_h);
    action
}

/// The overlay's head, if one is shown and still in the network.
fn shown_head(doc: &Document, ov: HeadOverlay) -> Option<&Head> {
    doc.heads.iter().find(|h| Some(h.layer) == ov.head)
}

/// "cell (6, 6): anchors 3 81×82, … px of the 416×416 input; receptive field 331×331 px".
fn cell_text(h: &Head, cell: Option<(usize, usize)>, doc: &Document) -> String {
    let input = &doc.analysis.shapes.input;
    let anchors: Vec<String> = (h.anchors.iter())
        .map(|(i, w, hh)| format!("{i}: {w:.0}×{hh:.0}"))
        .collect();
    let at = cell.map_or_else(
        || "click the image to pick a cell".to_string(),
        |(c, r)| format!("cell ({c}, {r})"),
    );
    format!(
        "{at} · anchors {} px of the {}×{} input · receptive field {}×{} px",
        anchors.join(", "),
        input.w,
        input.h,
        h.receptive,
        h.receptive
    )
}

/// The image with boxes and the overlay; returns the cell a click picked.
fn image(
    ui: &mut egui::Ui,
    doc: &Document,
    run: &DetectionRun,
    tex: &egui::TextureHandle,
    avail: Vec2,
    ov: HeadOverlay,
) -> Option<Action> {
    let (w, h) = (run.image.w as f32, run.image.h as f32);
    let scale = (avail.x / w).min(avail.y / h).max(0.01);
    let (rect, resp) =
        ui.allocate_exact_size(Vec2::new(w * scale, h * scale), egui::Sense::click());
    let p = ui.painter_at(rect);
    p.image(
        tex.id(),
        rect,
        Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
        Color32::WHITE,
    );
    draw_boxes(&p, rect, scale, run);
    let head = shown_head(doc, ov)?;
    let geo = crate::detect::geometry(&doc.analysis, run.image.w, run.image.h);
    draw_grid(&p, rect, head, &geo);
    if let Some((c, r)) = ov.cell {
        draw_cell(&p, rect, &overlay::cell_view(head, &geo, c, r));
    }
    let click = resp.interact_pointer_pos().filter(|_| resp.clicked())?;
    let rel = (click - rect.min) / rect.size();
    Some(Action::PickCell(overlay::cell_at(head, &geo, rel.x, rel.y)))
}

/// A relative box on the image's screen rectangle.
fn on_screen(rect: Rect, b: RelBox) -> Rect {
    Rect::from_center_size(
        rect.min + Vec2::new(b.x, b.y) * rect.size(),
        Vec2::new(b.w, b.h) * rect.size(),
    )
}

fn draw_grid(p: &egui::Painter, rect: Rect, head: &Head, geo: &crate::detect::boxes::Geometry) {
    let (xs, ys) = overlay::grid_lines(head, geo);
    let stroke = Stroke::new(1.0, Color32::from_white_alpha(70));
    let (top, bottom) = (
        rect.min.y + ys[0] * rect.height(),
        rect.min.y + ys[ys.len() - 1] * rect.height(),
    );
    let (left, right) = (
        rect.min.x + xs[0] * rect.width(),
        rect.min.x + xs[xs.len() - 1] * rect.width(),
    );
    for x in &xs {
        let x = rect.min.x + x * rect.width();
        p.line_segment([Pos2::new(x, top), Pos2::new(x, bottom)], stroke);
    }
    for y in &ys {
        let y = rect.min.y + y * rect.height();
        p.line_segment([Pos2::new(left, y), Pos2::new(right, y)], stroke);
    }
}

fn draw_cell(p: &egui::Painter, rect: Rect, v: &overlay::CellView) {
    let rf = Color32::from_rgb(230, 90, 230);
    p.rect_stroke(
        on_screen(rect, v.receptive),
        0.0,
        Stroke::new(1.5, rf),
        StrokeKind::Middle,
    );
    let font = egui::FontId::proportional(12.0);
    let r = on_screen(rect, v.receptive);
    p.text(
        r.left_top() + Vec2::new(3.0, 2.0),
        egui::Align2::LEFT_TOP,
        "receptive field",
        font.clone(),
        rf,
    );
    let anchor = Color32::from_rgb(90, 220, 240);
    for (i, b) in &v.anchors {
        let a = on_screen(rect, *b);
        p.rect_stroke(a, 0.0, Stroke::new(1.5, anchor), StrokeKind::Middle);
        p.text(
            a.left_bottom() + Vec2::new(3.0, -2.0),
            egui::Align2::LEFT_BOTTOM,
            format!("anchor {i}"),
            font.clone(),
            anchor,
        );
    }
    p.rect_filled(
        on_screen(rect, v.cell),
        0.0,
        Color32::from_rgba_unmultiplied(255, 220, 0, 120),
    );
}

/// Each detection and where it came from; returns the origin of a clicked one.
fn origins(ui: &mut egui::Ui, run: &DetectionRun, doc: &Document) -> Option<Origin> {
    let mut picked = None;
    ui.vertical(|ui| {
        ui.set_width(LIST_W);
        ui.strong("detections: head, cell, anchor");
        egui::ScrollArea::vertical()
            .id_salt("det-origins")
            .max_height(360.0)
            .show(ui, |ui| {
                for d in &run.detections {
                    let o = d.origin;
                    let size = (doc.heads.iter())
                        .find(|h| h.layer == o.layer)
                        .and_then(|h| h.anchors.iter().find(|a| a.0 == o.anchor))
                        .map_or_else(String::new, |(_, w, h)| format!(" {w:.0}×{h:.0}"));
                    let text = format!(
                        "{} {:.0}% — head {}, cell ({}, {}), anchor {}{size}",
                        d.class,
                        d.confidence * 100.0,
                        o.layer,
                        o.col,
                        o.row,
                        o.anchor
                    );
                    if ui
                        .add(egui::Label::new(text).sense(egui::Sense::click()))
                        .clicked()
                    {
                        picked = Some(o);
                    }
                }
            });
    });
    picked
}

fn draw_boxes(p: &egui::Painter, rect: Rect, scale: f32, run: &DetectionRun) {
    for d in &run.detections {
        let [r, g, b] = class_color(d.class_id);
        let c = Color32::from_rgb(r, g, b);
        let min = rect.min + Vec2::new(d.bbox.left, d.bbox.top) * scale;
        let bx = Rect::from_min_size(min, Vec2::new(d.bbox.width, d.bbox.height) * scale)
            .intersect(rect);
        p.rect_stroke(bx, 0.0, Stroke::new(2.0, c), StrokeKind::Middle);
        let text = format!("{} {:.0}%", d.class, d.confidence * 100.0);
        let galley = p.layout_no_wrap(text, egui::FontId::proportional(13.0), Color32::BLACK);
        let at = Pos2::new(bx.min.x, (bx.min.y - galley.size().y).max(rect.min.y));
        p.rect_filled(
            Rect::from_min_size(at, galley.size() + Vec2::new(6.0, 0.0)),
            0.0,
            c,
        );
        p.galley(at + Vec2::new(3.0, 0.0), galley, Color32::BLACK);
    }
}

fn timing(ui: &mut egui::Ui, run: &DetectionRun, h: f32) {
    ui.strong(format!("time per layer (ms), {}", run.backend));
    let bars = run
        .forward
        .layer_ms
        .iter()
        .enumerate()
        .map(|(i, ms)| Bar::new(i as f64, *ms).width(0.8))
        .collect();
    Plot::new("detect-timing")
        .height(h)
        .allow_scroll(false)
        .show(ui, |p| {
            p.bar_chart(BarChart::new("ms", bars).color(Color32::from_rgb(120, 220, 120)));
        });
}
