//! The misses, grouped by reason: each pictured miss shows the image region around the label
//! (green), the detection overlapping it most (orange, with its class, confidence and IoU),
//! and the head's grid cell holding the label's centre (blue) and the label's best anchor
//! centred on it (magenta), both to scale in the image's pixels.

use crate::eval::misses::Reason;
use crate::gui::evaluation::{Action, Crop, EvalRun, EvalView, PxBox};
use egui::{Color32, Pos2, Rect, Stroke, StrokeKind, vec2};
use std::collections::HashMap;

const LABEL: Color32 = Color32::from_rgb(80, 220, 100);
const NEAREST: Color32 = Color32::from_rgb(255, 150, 40);
const CELL: Color32 = Color32::from_rgb(80, 160, 255);
const ANCHOR: Color32 = Color32::from_rgb(230, 90, 230);

/// Tile width (the picture's longest side is `evaluation::CROP`).
const TILE: f32 = 170.0;

/// Draws the reason chips and the chosen reason's pictured misses.
/// `(k, textures)`: the network's index and the misses' pictures by (network, crop).
pub fn show(
    ui: &mut egui::Ui,
    view: &EvalView,
    run: &EvalRun,
    (k, textures): (usize, &HashMap<(usize, usize), egui::TextureHandle>),
    out: &mut Vec<Action>,
) {
    let misses = &run.evaluation.misses;
    ui.horizontal_wrapped(|ui| {
        ui.strong(format!(
            "Misses: {} labels not found at thresh {:.2}",
            misses.len(),
            run.settings.thresh
        ));
        if ui.selectable_label(view.reason.is_none(), "all").clicked() {
            out.push(Action::Reason(None));
        }
        for r in Reason::ALL {
            let n = misses.iter().filter(|m| m.1.reason == r).count();
            if n > 0
                && ui
                    .selectable_label(view.reason == Some(r), format!("{} ({n})", r.name()))
                    .clicked()
            {
                out.push(Action::Reason(Some(r)));
            }
        }
    });
    ui.horizontal_wrapped(|ui| {
        for (c, name) in [
            (LABEL, "label"),
            (NEAREST, "nearest detection"),
            (CELL, "head's cell"),
            (ANCHOR, "best anchor"),
        ] {
            ui.colored_label(c, "■");
            ui.weak(name);
        }
    });
    if misses.is_empty() {
        ui.weak("Every label was found.");
        return;
    }
    let names = run.evaluation.names.as_slice();
    let shown: Vec<(usize, &Crop)> = (run.crops.iter().enumerate())
        .filter(|(_, c)| {
            view.reason
                .is_none_or(|r| misses.get(c.miss).is_some_and(|m| m.1.reason == r))
        })
        .collect();
    ui.horizontal_wrapped(|ui| {
        for (i, c) in shown {
            let Some((_, m)) = misses.get(c.miss) else {
                continue;
            };
            ui.allocate_ui(vec2(TILE, TILE + 64.0), |ui| {
                ui.vertical(|ui| {
                    if let Some(tex) = textures.get(&(k, i)) {
                        picture(ui, tex, c);
                    }
                    let name = names.get(m.class_id).map_or("?", String::as_str);
                    ui.label(format!(
                        "{name} · {:.0}×{:.0} px",
                        m.size_px[0], m.size_px[1]
                    ));
                    let head = match (m.head, m.anchor) {
                        (Some(h), Some(a)) => {
                            format!("head {h}, anchor {a} (IoU {:.2})", m.anchor_iou)
                        }
                        (None, Some(a)) => format!("anchor {a}: in no mask"),
                        _ => "no anchor".into(),
                    };
                    ui.weak(head);
                    let near = match &c.nearest {
                        Some((_, class, p, iou)) => format!(
                            "nearest: {} {:.0} %, IoU {iou:.2}",
                            names.get(*class).map_or("?", String::as_str),
                            p * 100.0
                        ),
                        None => "no detection overlaps it".into(),
                    };
                    ui.weak(near);
                    ui.colored_label(Color32::from_rgb(240, 170, 60), m.reason.name())
                        .on_hover_text(format!("{}\n{}", m.image, m.detail));
                });
            });
        }
    });
    let pictured = run.crops.len();
    if pictured < misses.len() {
        ui.weak(format!(
            "{pictured} of {} misses pictured (the first {} of each reason); csplens map --format json lists them all",
            misses.len(),
            crate::gui::evaluation::CROPS_PER_REASON
        ));
    }
}

/// The region's picture with the boxes drawn over it.
fn picture(ui: &mut egui::Ui, tex: &egui::TextureHandle, c: &Crop) {
    let size = vec2(c.thumb.w as f32, c.thumb.h as f32);
    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let uv = Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
    painter.image(tex.id(), rect, uv, Color32::WHITE);
    let map = |b: &PxBox| {
        let sx = rect.width() / c.region[2];
        let sy = rect.height() / c.region[3];
        Rect::from_min_size(
            rect.min + vec2((b[0] - c.region[0]) * sx, (b[1] - c.region[1]) * sy),
            vec2(b[2] * sx, b[3] * sy),
        )
    };
    let draw = |b: &PxBox, colour: Color32, width: f32| {
        painter.rect_stroke(map(b), 0.0, Stroke::new(width, colour), StrokeKind::Middle);
    };
    if let Some(cell) = &c.cell {
        draw(cell, CELL, 1.0);
    }
    if let Some(a) = &c.anchor {
        draw(a, ANCHOR, 1.0);
    }
    draw(&c.label, LABEL, 2.0);
    if let Some((b, ..)) = &c.nearest {
        draw(b, NEAREST, 1.5);
    }
}
