//! The diagnostics panel: errors and warnings of cfgs, weights and images with file:line;
//! clicking one that points at a layer selects it.

use crate::Analysis;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The file was refused; what was open stays open.
    Error,
    /// Loaded, with a finding.
    Warning,
    /// For information (a hint, a cancelled job).
    Info,
}

/// One diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// How serious.
    pub severity: Severity,
    /// The file (or the job) it is about.
    pub file: String,
    /// The 1-based line, when it points into a cfg.
    pub line: Option<usize>,
    /// The layer it points at.
    pub layer: Option<usize>,
    /// The sentence.
    pub message: String,
}

impl Diagnostic {
    /// An error about `file`.
    pub fn error(file: &str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            file: file.to_string(),
            line: None,
            layer: None,
            message: message.into(),
        }
    }

    /// An informational note about `file`.
    pub fn info(file: &str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Info,
            ..Self::error(file, message)
        }
    }

    /// Points the diagnostic at `line`.
    pub fn at_line(mut self, line: usize) -> Self {
        self.line = (line > 0).then_some(line);
        self
    }

    /// `file:line: message`.
    pub fn text(&self) -> String {
        self.render(&self.file)
    }

    /// `name:line: message` with the file's name only (the panel shows the path on hover).
    pub fn short_text(&self) -> String {
        let name = std::path::Path::new(&self.file)
            .file_name()
            .map_or_else(|| self.file.clone(), |n| n.to_string_lossy().into_owned());
        self.render(&name)
    }

    fn render(&self, file: &str) -> String {
        match self.line {
            Some(l) => format!("{file}:{l}: {}", self.message),
            None => format!("{file}: {}", self.message),
        }
    }
}

/// The layer whose section contains `line`.
pub fn layer_at_line(a: &Analysis, line: usize) -> Option<usize> {
    a.network
        .layers
        .iter()
        .take_while(|l| l.span.line <= line)
        .last()
        .map(|l| l.index)
}

/// The warnings of an analysis as diagnostics pointing at their layers.
pub fn warnings_of(a: &Analysis) -> Vec<Diagnostic> {
    a.warnings()
        .into_iter()
        .map(|w| Diagnostic {
            severity: Severity::Warning,
            file: a.path.clone(),
            line: (w.line > 0).then_some(w.line),
            layer: layer_at_line(a, w.line),
            message: w.message,
        })
        .collect()
}

/// Draws the list; returns the layer of a clicked diagnostic.
pub fn show(ui: &mut egui::Ui, list: &[Diagnostic]) -> Option<usize> {
    let mut clicked = None;
    if list.is_empty() {
        ui.weak("No errors or warnings.");
        return None;
    }
    egui::ScrollArea::vertical()
        .id_salt("diagnostics")
        .auto_shrink([false, true])
        .stick_to_bottom(true)
        .show(ui, |ui| {
            for d in list {
                let (tag, color) = match d.severity {
                    Severity::Error => ("error", ui.visuals().error_fg_color),
                    Severity::Warning => ("warning", ui.visuals().warn_fg_color),
                    Severity::Info => ("note", ui.visuals().weak_text_color()),
                };
                ui.horizontal(|ui| {
                    ui.colored_label(color, tag);
                    let text = d.short_text();
                    if d.layer.is_some() {
                        let r = ui
                            .link(text)
                            .on_hover_text(format!("{}\nclick: show the layer", d.file));
                        if r.clicked() {
                            clicked = d.layer;
                        }
                    } else {
                        ui.label(text).on_hover_text(&d.file);
                    }
                });
            }
        });
    clicked
}

/// A doctor or check-data finding's colour by its severity.
pub fn finding_colour(s: crate::doctor::Severity) -> egui::Color32 {
    match s {
        crate::doctor::Severity::Error => egui::Color32::from_rgb(240, 80, 70),
        crate::doctor::Severity::Warning => egui::Color32::from_rgb(240, 190, 60),
        crate::doctor::Severity::Note => egui::Color32::from_rgb(120, 170, 240),
    }
}
