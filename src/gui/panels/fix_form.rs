//! The app's `csplens fix`: a form that retargets the active cfg to N classes and an input
//! size, shows the unified diff of what would change, and applies it as one undoable step.

use crate::doctor::{FixOptions, fix, unified_diff};
use crate::gui::command::{Command, FixRequest};
use crate::gui::doc::Document;
use crate::gui::slot::Slot;
use egui::{Color32, RichText};

/// A computed fix, not applied yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The text version it was computed on (applied only to that one).
    pub generation: u64,
    /// The whole fixed text.
    pub text: String,
    /// `diff -u` of the current text against it.
    pub diff: String,
    /// One sentence per change.
    pub changes: Vec<String>,
}

/// The form's fields and its last preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixForm {
    /// Which network.
    pub slot: Slot,
    /// Classes, as typed.
    pub classes: String,
    /// Width, as typed.
    pub width: String,
    /// Height, as typed.
    pub height: String,
    /// The computed fix.
    pub preview: Option<Preview>,
    /// Why the last preview failed.
    pub error: Option<String>,
}

impl FixForm {
    /// The form for `doc`, filled with its classes and input size.
    pub fn new(slot: Slot, doc: &Document) -> Self {
        let classes = (doc.source.text().lines())
            .find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == "classes")
                    .then(|| v.split('#').next().unwrap_or("").trim().to_string())
            })
            .unwrap_or_default();
        let input = &doc.analysis.shapes.input;
        Self {
            slot,
            classes,
            width: input.w.to_string(),
            height: input.h.to_string(),
            preview: None,
            error: None,
        }
    }

    /// The fields as a request, or what is wrong with them.
    fn request(&self) -> Result<FixRequest, String> {
        let num = |s: &str, what: &str| {
            s.trim()
                .parse::<usize>()
                .map_err(|_| format!("{what} must be a whole number, not “{}”", s.trim()))
        };
        Ok(FixRequest {
            slot: self.slot,
            classes: num(&self.classes, "classes")?,
            width: Some(num(&self.width, "width")?),
            height: Some(num(&self.height, "height")?),
        })
    }
}

/// The fix `req` asks for on `doc`'s current text, as a preview (a few ms on the largest cfg;
/// computed on a click only).
pub fn preview(doc: &Document, req: &FixRequest) -> Result<Preview, String> {
    let opts = FixOptions {
        classes: Some(req.classes),
        width: req.width,
        height: req.height,
        images: None,
    };
    let old = doc.source.text();
    let f = fix(old, &opts).map_err(|e| e.to_string())?;
    Ok(Preview {
        generation: doc.source.generation(),
        diff: unified_diff(&doc.title(), old, &f.text),
        text: f.text,
        changes: f.changes,
    })
}

/// Draws the form; returns the command its buttons send.
pub fn show(ctx: &egui::Context, form: &mut FixForm) -> Option<Command> {
    let mut cmd = None;
    let mut open = true;
    egui::Window::new("Fix classes and input size")
        .open(&mut open)
        .default_size([620.0, 640.0])
        .default_pos([260.0, 90.0])
        .show(ctx, |ui| {
            ui.weak("As `csplens fix`: every head's classes and the filters before it, the input snapped to the largest stride, darknet's schedule for the class count.");
            egui::Grid::new("fix-fields").show(ui, |ui| {
                for (label, field) in [
                    ("classes", &mut form.classes),
                    ("width", &mut form.width),
                    ("height", &mut form.height),
                ] {
                    ui.label(label);
                    ui.add(egui::TextEdit::singleline(field).desired_width(80.0));
                    ui.end_row();
                }
            });
            ui.horizontal(|ui| {
                if ui.button("Preview").clicked() {
                    match form.request() {
                        Ok(req) => cmd = Some(Command::PreviewFix(req)),
                        Err(e) => form.error = Some(e),
                    }
                }
                let ready = form.preview.is_some();
                if ui.add_enabled(ready, egui::Button::new("Apply")).clicked() {
                    cmd = Some(Command::ApplyPreview);
                }
            });
            if let Some(e) = &form.error {
                ui.colored_label(Color32::from_rgb(240, 80, 70), e);
            }
            if let Some(p) = &form.preview {
                for c in &p.changes {
                    ui.label(format!("• {c}"));
                }
                if p.changes.is_empty() {
                    ui.weak("nothing to change");
                }
                diff_view(ui, &p.diff);
            }
        });
    if !open {
        cmd = Some(Command::CloseFixForm);
    }
    cmd
}

/// A unified diff, removed lines red and added lines green.
fn diff_view(ui: &mut egui::Ui, diff: &str) {
    egui::ScrollArea::vertical()
        .id_salt("fix-diff")
        .max_height(520.0)
        .show(ui, |ui| {
            for line in diff.lines() {
                let color = match line.as_bytes().first() {
                    Some(b'+') if !line.starts_with("+++") => Color32::from_rgb(110, 200, 110),
                    Some(b'-') if !line.starts_with("---") => Color32::from_rgb(240, 110, 100),
                    Some(b'@') => Color32::from_rgb(120, 170, 240),
                    _ => Color32::GRAY,
                };
                ui.label(RichText::new(line).monospace().color(color));
            }
        });
}
