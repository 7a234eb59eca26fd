//! The gallery: a grid of thumbnails with each image's detection count (failed images in
//! red with their reason), filled in as the run hands results over; the run's progress and
//! throughput above, darknet JSON export, and a click on a tile opens that image in the
//! detection view. Only the visible rows are laid out; each thumbnail became a texture when its
//! result arrived (`texture`, in the app's logic).

use crate::gui::command::Command;
use crate::gui::doc::Document;
use crate::gui::gallery::{Gallery, Shot, THUMB};
use egui::{Color32, RichText, Vec2};
use std::collections::HashMap;

/// A tile's size: the thumbnail and two lines of text.
const TILE: Vec2 = Vec2::new(THUMB as f32 + 24.0, THUMB as f32 + 44.0);

/// Draws the gallery of `doc`; returns the commands its buttons and tiles send.
pub fn show(
    ui: &mut egui::Ui,
    doc: &Document,
    thumbs: &HashMap<(u64, usize), egui::TextureHandle>,
) -> Vec<Command> {
    let mut cmds = Vec::new();
    let Some(g) = &doc.gallery else {
        ui.weak("Drop a folder of images (or several images at once) here to run them all through this network.");
        return cmds;
    };
    ui.horizontal(|ui| {
        let (done, n, failed) = (g.done(), g.paths.len(), g.failed());
        let state = if g.seconds.is_some() {
            "done"
        } else {
            "running"
        };
        ui.strong(format!(
            "{done} of {n} images ({state}) · {:.1} images/s",
            g.rate()
        ));
        if failed > 0 {
            ui.colored_label(Color32::from_rgb(240, 80, 70), format!("{failed} failed"));
        }
        if ui
            .add_enabled(done > failed, egui::Button::new("Export darknet JSON…"))
            .on_hover_text(
                "darknet's -out format: frame_id, filename, objects with relative coordinates",
            )
            .clicked()
        {
            cmds.push(Command::ExportGalleryJson);
        }
    });
    ui.separator();
    let per_row = ((ui.available_width() / TILE.x).floor() as usize).max(1);
    let rows = g.paths.len().div_ceil(per_row);
    egui::ScrollArea::vertical()
        .id_salt("gallery")
        .auto_shrink([false, false])
        .show_rows(ui, TILE.y, rows, |ui, range| {
            for row in range {
                ui.horizontal(|ui| {
                    for i in row * per_row..((row + 1) * per_row).min(g.paths.len()) {
                        if tile(ui, g, i, thumbs) {
                            cmds.push(Command::ShowGalleryImage(i));
                        }
                    }
                });
            }
        });
    cmds
}

/// One tile; true when clicked.
fn tile(
    ui: &mut egui::Ui,
    g: &Gallery,
    i: usize,
    thumbs: &HashMap<(u64, usize), egui::TextureHandle>,
) -> bool {
    let name = g.paths[i]
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let resp = ui
        .allocate_ui(TILE, |ui| {
            ui.set_width(TILE.x);
            ui.vertical(|ui| match &g.items[i] {
                Some(Ok(shot)) => {
                    match thumbs.get(&(g.run, i)) {
                        Some(tex) => {
                            ui.add(egui::Image::new((tex.id(), tex.size_vec2())));
                        }
                        None => placeholder(ui, "…"),
                    }
                    ui.label(RichText::new(&name).small());
                    let n = shot.count;
                    ui.label(format!("{n} detection{}", if n == 1 { "" } else { "s" }));
                }
                Some(Err(e)) => {
                    placeholder(ui, "✖");
                    ui.label(RichText::new(&name).small());
                    ui.colored_label(Color32::from_rgb(240, 80, 70), "failed")
                        .on_hover_text(e);
                }
                None => {
                    placeholder(ui, "…");
                    ui.label(RichText::new(&name).small());
                }
            });
        })
        .response;
    let resp = ui.interact(resp.rect, ui.id().with(("tile", i)), egui::Sense::click());
    resp.on_hover_text(g.paths[i].display().to_string())
        .clicked()
}

/// A grey square where a thumbnail would be, with a mark.
fn placeholder(ui: &mut egui::Ui, mark: &str) {
    let side = THUMB as f32 * 0.75;
    let (rect, _) = ui.allocate_exact_size(Vec2::splat(side), egui::Sense::hover());
    ui.painter().rect_filled(rect, 4.0, Color32::from_gray(45));
    let font = egui::FontId::proportional(22.0);
    ui.painter().text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        mark,
        font,
        Color32::GRAY,
    );
}

/// A thumbnail's texture (made once, when the image's result arrives).
pub fn texture(ctx: &egui::Context, key: (u64, usize), shot: &Shot) -> egui::TextureHandle {
    let t = &shot.thumb;
    let im = egui::ColorImage::from_rgba_unmultiplied([t.w, t.h], &t.rgba);
    ctx.load_texture(
        format!("thumb-{}-{}", key.0, key.1),
        im,
        egui::TextureOptions::LINEAR,
    )
}
