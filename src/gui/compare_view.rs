//! The compare view: the `compare` table of two networks with B's change against A, their
//! stages aligned by output resolution, and the profile charts overlaid.

use super::charts;
use super::doc::Document;
use crate::report::compare::{compare_rows, stage_rows};
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
    ui.horizontal(|ui| {
        ui.colored_label(
            charts::SERIES[0],
            RichText::new(format!("A: {}", a.title())).strong(),
        );
        ui.label("vs");
        ui.colored_label(
            charts::SERIES[1],
            RichText::new(format!("B: {}", b.title())).strong(),
        );
    });
    ui.columns(2, |cols| {
        egui::Grid::new("compare-summary")
            .striped(true)
            .show(&mut cols[0], |ui| {
                for h in ["metric", "A", "B", "B vs A"] {
                    ui.strong(h);
                }
                ui.end_row();
                for [label, va, vb, d] in compare_rows(&a.analysis, &b.analysis) {
                    ui.label(label);
                    ui.label(va);
                    ui.label(vb);
                    ui.colored_label(delta_color(&d), d);
                    ui.end_row();
                }
            });
        egui::Grid::new("compare-stages")
            .striped(true)
            .show(&mut cols[1], |ui| {
                for h in ["stage (output)", "BFLOPs A", "BFLOPs B", "D/T A", "D/T B"] {
                    ui.strong(h);
                }
                ui.end_row();
                for r in stage_rows(&a.analysis, &b.analysis) {
                    ui.label(format!("{}×{}", r.width, r.height));
                    let f = |v: Option<f64>, pct: bool| match v {
                        Some(v) if pct => format!("{:.1}%", v * 100.0),
                        Some(v) => format!("{v:.3}"),
                        None => "–".into(),
                    };
                    ui.label(f(r.a.map(|s| s.bflops), false));
                    ui.label(f(r.b.map(|s| s.bflops), false));
                    ui.label(f(r.a.map(|s| s.dup_ratio_channelwise), true));
                    ui.label(f(r.b.map(|s| s.dup_ratio_channelwise), true));
                    ui.end_row();
                }
            });
    });
    ui.separator();
    charts::show(ui, &[a, b], "compare");
}
