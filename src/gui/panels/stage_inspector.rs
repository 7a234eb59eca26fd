//! The inspector for a selected CSP stage: its base and merge, both parts, the block inside
//! part 2, the fusion and transitions, and the stage's own totals; buttons to collapse or
//! expand it and to jump to its layers.

use crate::gui::doc::Document;
use crate::profile::csp::{Entry, Part1Kind};
use egui::RichText;

/// What the user asked for in the stage inspector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Collapse (true) or expand (false) stage `.0`.
    Collapse(usize, bool),
    /// Select a layer.
    Select(usize),
}

fn row(ui: &mut egui::Ui, key: &str, value: impl Into<String>) {
    ui.label(RichText::new(key).weak());
    ui.label(value.into());
    ui.end_row();
}

/// Draws stage `k` of `doc`; `collapsed` says how the graph shows it now.
pub fn show(ui: &mut egui::Ui, doc: &Document, k: usize, collapsed: bool) -> Option<Action> {
    let a = &doc.analysis;
    let Some(s) = a.csp.stages.get(k) else {
        ui.weak("Select a stage in the graph.");
        return None;
    };
    let mut action = None;
    ui.heading(format!("CSP stage {}", s.index));
    ui.label(crate::gui::graph::style::gui_text(&s.label()));
    ui.horizontal(|ui| {
        let (text, to) = if collapsed {
            ("Expand in the graph", false)
        } else {
            ("Collapse in the graph", true)
        };
        if ui.button(text).clicked() {
            action = Some(Action::Collapse(k, to));
        }
        if ui.button(format!("Go to merge {}", s.merge)).clicked() {
            action = Some(Action::Select(s.merge));
        }
    });
    let t = &s.totals;
    egui::Grid::new("stage-inspector")
        .striped(true)
        .show(ui, |ui| {
            row(ui, "base", format!("{} ({} ch)", s.base, s.base_channels));
            row(ui, "merge", format!("{} (route)", s.merge));
            let p1 = match s.part1.kind {
                Part1Kind::Identity => "the base itself".to_string(),
                Part1Kind::Slice => format!("groups slice {}", s.part1.input),
                Part1Kind::Conv => format!("conv {}", s.part1.input),
            };
            row(ui, "part 1", format!("{p1}, {} ch", s.part1.channels));
            let entry = match s.part2.entry {
                Entry::Slice => "groups slice",
                Entry::Conv => "conv",
                Entry::RouteConv => "route back + conv",
            };
            row(
                ui,
                "part 2",
                format!(
                    "enters by {entry} {}, {} layers, {} ch",
                    s.part2.entry_layer,
                    s.part2.layers.len(),
                    s.part2.channels
                ),
            );
            row(ui, "part ratio", format!("{:.2} through part 2", s.ratio));
            row(
                ui,
                "block",
                format!(
                    "{} {:?} units ({} shortcuts, {} concatenations, {} weighted)",
                    s.block.units,
                    s.block.kind,
                    s.block.residual_units,
                    s.block.dense_units,
                    s.block.weighted_layers
                )
                .to_lowercase(),
            );
            let tr = |t: Option<usize>| t.map_or("none".to_string(), |l| format!("layer {l}"));
            row(ui, "fusion", s.fusion.name());
            row(ui, "transition before", tr(s.transition_before));
            row(ui, "transition after", tr(s.transition_after));
            row(
                ui,
                "resolution",
                format!("{}×{}", s.resolution.width, s.resolution.height),
            );
            row(ui, "BFLOPs", format!("{:.3}", t.bflops));
            row(ui, "parameters", t.params.to_string());
            row(ui, "peak memory", crate::units::bytes(t.peak_memory_bytes));
            row(
                ui,
                "gradient D/T",
                format!(
                    "{:.1}% copy, {:.1}% channelwise",
                    t.dup_ratio_copy * 100.0,
                    t.dup_ratio_channelwise * 100.0
                ),
            );
            row(ui, "CIO", format!("{:.2}M values", t.cio as f64 / 1e6));
            row(
                ui,
                "concat copies",
                format!("{:.2}M values", t.concat_copy_volume as f64 / 1e6),
            );
        });
    action
}
