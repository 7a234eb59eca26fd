//! "Make CSP…": the form that rewrites the active plain network into a CSP network (fusion,
//! part ratio, the whole network or the stage holding the selected layer), and the job that
//! asks where to save it, writes it whole and opens it as network B on the Compare tab.

use crate::cspify::{self, Options, StageSelect};
use crate::gui::diagnostics::Diagnostic;
use crate::gui::doc::Document;
use crate::gui::jobs::Outcome;
use crate::profile::csp::Fusion;
use std::path::PathBuf;

/// The form's state, made when it opens (the convertible stages are found then, not per
/// frame).
#[derive(Debug, Clone)]
pub struct MakeCspForm {
    /// Where the transitions go.
    pub fusion: Fusion,
    /// Part 2's share of each stage's channels.
    pub ratio: f32,
    /// Convert only this stage (1-based among the convertible ones).
    pub only: Option<usize>,
    /// The convertible stages: (number, "32×32, 8 residual units, layers 12–36").
    stages: Vec<(usize, String)>,
    /// The stage holding the selected layer, if any.
    selected_stage: Option<usize>,
    /// Why nothing can be converted, if so.
    refusal: Option<String>,
}

impl MakeCspForm {
    /// The form for `doc`, with `selected` the selected layer.
    pub fn new(doc: &Document, selected: Option<usize>) -> Self {
        let (found, _) = cspify::candidates(&doc.analysis);
        let stages = found
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let kind = match c.kind {
                    cspify::UnitKind::Residual => "residual",
                    cspify::UnitKind::Dense => "dense",
                };
                (
                    k + 1,
                    format!(
                        "{}×{}, {} {kind} units, layers {}–{}",
                        c.resolution.0,
                        c.resolution.1,
                        c.units.len(),
                        c.base + 1,
                        c.last()
                    ),
                )
            })
            .collect();
        let selected_stage = selected.and_then(|l| {
            found
                .iter()
                .position(|c| c.replaced().contains(&l) || c.base == l)
                .map(|k| k + 1)
        });
        let refusal = cspify::cspify(&doc.analysis, &Options::default())
            .err()
            .map(|e| e.to_string());
        Self {
            fusion: Fusion::Csp,
            ratio: 0.5,
            only: None,
            stages,
            selected_stage,
            refusal,
        }
    }

    /// The options the form stands for.
    pub fn options(&self) -> Options {
        Options {
            fusion: self.fusion,
            ratio: f64::from(self.ratio),
            stages: self
                .only
                .map_or(StageSelect::All, |k| StageSelect::Some(vec![k])),
        }
    }
}

/// What the form asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum FormAction {
    /// Convert with these options, asking where to save.
    SaveAs(Options),
    /// Close the form.
    Close,
}

/// Draws the form in a window.
pub fn show(ctx: &egui::Context, form: &mut MakeCspForm) -> Option<FormAction> {
    let mut action = None;
    egui::Window::new("Make CSP")
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            if let Some(why) = &form.refusal {
                ui.label(why);
                if ui.button("Close").clicked() {
                    action = Some(FormAction::Close);
                }
                return;
            }
            ui.label(
                "Rewrite each residual or dense stage as a CSP stage, as the CSPNet authors did.",
            );
            ui.horizontal(|ui| {
                ui.label("fusion");
                for (f, name, tip) in [
                    (Fusion::Csp, "csp", "transitions before and after the merge"),
                    (Fusion::First, "first", "one transition, after the merge"),
                    (Fusion::Last, "last", "one transition, before the merge"),
                ] {
                    ui.selectable_value(&mut form.fusion, f, name)
                        .on_hover_text(tip);
                }
            });
            ui.add(egui::Slider::new(&mut form.ratio, 0.1..=0.9).text("part 2 ratio"));
            ui.radio_value(
                &mut form.only,
                None,
                format!("all {} stages", form.stages.len()),
            );
            for (k, text) in &form.stages {
                let mark = if form.selected_stage == Some(*k) {
                    " (selected)"
                } else {
                    ""
                };
                ui.radio_value(&mut form.only, Some(*k), format!("stage {k}: {text}{mark}"));
            }
            ui.horizontal(|ui| {
                if ui.button("Save as…").clicked() {
                    action = Some(FormAction::SaveAs(form.options()));
                }
                if ui.button("Cancel").clicked() {
                    action = Some(FormAction::Close);
                }
            });
        });
    action
}

/// Converts, writes `path` whole and says so; the caller opens it.
pub(in crate::gui) fn write_cspified(
    a: &crate::Analysis,
    opts: &Options,
    path: PathBuf,
) -> Outcome {
    let name = path.display().to_string();
    match cspify::cspify(a, opts) {
        Ok(made) => match crate::files::write_atomic(&path, made.text.as_bytes()) {
            Ok(()) => Outcome::MadeCsp(path),
            Err(e) => Outcome::Failed(Diagnostic::error(&name, e)),
        },
        Err(e) => Outcome::Failed(Diagnostic::error(&a.path, e.to_string())),
    }
}
