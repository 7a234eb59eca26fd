//! The compare view: the `compare` table of two networks, read as CSP against its baseline
//! when exactly one has CSP stages (whichever slot it is in), their stages aligned by output
//! resolution, the CSP stages beside the baseline, and the profile charts overlaid.

use crate::gui::doc::Document;
use crate::gui::panels::charts;
use crate::report::compare::{compare_rows, csp_stage_rows, oriented, stage_rows};
use egui::{Color32, RichText};

fn delta_color(text: &str) -> Color32 {
    if text.starts_with('+') {
        Color32::from_rgb(255, 150, 120)
    } else if text.starts_with('−') {
        Color32::from_rgb(130, 220, 140)
    } else {
        Color32::GRAY
    }
}

/// Draws the comparison of `a` and `b`.
pub fn show(ui: &mut egui::Ui, a: &Document, b: &Document) {
    let (base, other, swapped) = oriented(&a.analysis, &b.analysis);
    let (first, second) = if swapped { (b, a) } else { (a, b) };
    let csp_side = base.csp.stages.is_empty() != other.csp.stages.is_empty();
    let (n1, n2) = if csp_side {
        ("baseline", "CSP")
    } else {
        ("A", "B")
    };
    ui.horizontal(|ui| {
        ui.colored_label(
            charts::SERIES[0],
            RichText::new(format!("{n1}: {}", first.title())).strong(),
        );
        ui.label("vs");
        ui.colored_label(
            charts::SERIES[1],
            RichText::new(format!("{n2}: {}", second.title())).strong(),
        );
        if csp_side {
            ui.label(format!("({} CSP stages)", other.csp.stages.len()));
        }
    });
    ui.columns(2, |cols| {
        egui::Grid::new("compare-summary")
            .striped(true)
            .show(&mut cols[0], |ui| {
                for h in ["metric", n1, n2, &format!("{n2} vs {n1}")] {
                    ui.strong(h);
                }
                ui.end_row();
                for [label, va, vb, d] in compare_rows(base, other) {
                    ui.label(label);
                    ui.label(va);
                    ui.label(vb);
                    ui.colored_label(delta_color(&d), d);
                    ui.end_row();
                }
            });
        stages_grid(&mut cols[1], base, other, (n1, n2));
    });
    ui.separator();
    charts::show(ui, &[first, second], "compare");
}

fn fmt(v: Option<f64>, pct: bool) -> String {
    match v {
        Some(v) if pct => format!("{:.1}%", v * 100.0),
        Some(v) => format!("{v:.3}"),
        None => "–".into(),
    }
}

/// The resolutions side by side, then the CSP stages beside the baseline at theirs.
fn stages_grid(
    ui: &mut egui::Ui,
    base: &crate::Analysis,
    other: &crate::Analysis,
    n: (&str, &str),
) {
    egui::Grid::new("compare-stages")
        .striped(true)
        .show(ui, |ui| {
            let heads = [
                "stage (output)".to_string(),
                format!("BFLOPs {}", n.0),
                format!("BFLOPs {}", n.1),
                format!("D/T {}", n.0),
                format!("D/T {}", n.1),
            ];
            for h in heads {
                ui.strong(h);
            }
            ui.end_row();
            for r in stage_rows(base, other) {
                ui.label(format!("{}×{}", r.width, r.height));
                ui.label(fmt(r.a.map(|s| s.bflops), false));
                ui.label(fmt(r.b.map(|s| s.bflops), false));
                ui.label(fmt(r.a.map(|s| s.dup_ratio_channelwise), true));
                ui.label(fmt(r.b.map(|s| s.dup_ratio_channelwise), true));
                ui.end_row();
            }
            for r in csp_stage_rows(base, other) {
                ui.label(format!("CSP stage {} · {}×{}", r.index, r.width, r.height))
                    .on_hover_text(crate::gui::graph::style::gui_text(&r.label));
                ui.label(fmt(r.baseline.map(|s| s.bflops), false));
                ui.label(fmt(Some(r.csp.bflops), false));
                ui.label(fmt(r.baseline.map(|s| s.dup_ratio_channelwise), true));
                ui.label(fmt(Some(r.csp.dup_ratio_channelwise), true));
                ui.end_row();
            }
        });
}
