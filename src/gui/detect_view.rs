//! The detection view: the image with boxes, labels and confidences, the threshold slider
//! (re-decodes the kept head outputs, no forward pass), the backend picker with the device's
//! name, per-layer timing bars and "save annotated PNG".

use super::doc::{DetectionRun, Document};
use crate::backend::BackendChoice;
use crate::detect::paint::class_color;
use egui::{Color32, Pos2, Rect, Stroke, StrokeKind, Vec2};
use egui_plot::{Bar, BarChart, Plot};

/// What the user did in the view.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Thresholds changed: re-decode.
    Rethreshold(f32),
    /// Run again on another backend.
    Backend(BackendChoice),
    /// Save the annotated image.
    Save,
    /// Open an image.
    OpenImage,
}

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
    thresh: &mut f32,
    choice: BackendChoice,
) -> Option<Action> {
    let mut action = None;
    ui.horizontal(|ui| {
        if ui.button("Open image…").clicked() {
            action = Some(Action::OpenImage);
        }
        ui.label("threshold");
        let r = ui.add(egui::Slider::new(thresh, 0.01..=0.99).step_by(0.01));
        if r.changed() {
            action = Some(Action::Rethreshold(*thresh));
        }
        ui.label("backend");
        for c in [BackendChoice::Auto, BackendChoice::Cpu, BackendChoice::Wgpu] {
            if ui.selectable_label(choice == c, choice_name(c)).clicked() && choice != c {
                action = Some(Action::Backend(c));
            }
        }
        if doc.detection.is_some() && ui.button("Save annotated PNG…").clicked() {
            action = Some(Action::Save);
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
    let avail = ui.available_size() - Vec2::new(0.0, timing_h + 20.0);
    if let Some(tex) = tex {
        let (w, h) = (run.image.w as f32, run.image.h as f32);
        let scale = (avail.x / w).min(avail.y / h).max(0.01);
        let (rect, _) =
            ui.allocate_exact_size(Vec2::new(w * scale, h * scale), egui::Sense::hover());
        let p = ui.painter_at(rect);
        p.image(
            tex.id(),
            rect,
            Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
            Color32::WHITE,
        );
        draw_boxes(&p, rect, scale, run);
    }
    timing(ui, run, timing_h);
    action
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
