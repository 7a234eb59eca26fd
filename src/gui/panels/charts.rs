//! Profile charts (egui_plot): per-layer BFLOPs, cumulative BFLOPs, live memory over execution
//! order with the peak marked, per-stage duplication ratios and, when a detection ran, the
//! measured per-layer time beside the BFLOPs. Several documents overlay on the same axes.

use crate::gui::doc::Document;
use egui::Color32;
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints, Points, VLine};

/// Series colours of the first and second network.
pub const SERIES: [Color32; 2] = [
    Color32::from_rgb(255, 140, 50),
    Color32::from_rgb(60, 170, 255),
];

fn plot(id: &str, height: f32, x: &str, y: &str) -> Plot<'static> {
    Plot::new(id.to_string())
        .height(height)
        .legend(Legend::default())
        .x_axis_label(x.to_string())
        .y_axis_label(y.to_string())
        .allow_scroll(false)
}

/// The four profile charts of `docs` (one or two), overlaid.
pub fn show(ui: &mut egui::Ui, docs: &[&Document], id: &str) {
    let h = ((ui.available_height() - 60.0) / 2.0).max(140.0);
    let w = (ui.available_width() - 16.0) / 2.0;
    let cell = |ui: &mut egui::Ui, f: &dyn Fn(&mut egui::Ui)| {
        ui.allocate_ui_with_layout(
            egui::vec2(w, h + 24.0),
            egui::Layout::top_down(egui::Align::Min),
            |ui| {
                ui.set_width(w);
                f(ui);
            },
        );
    };
    ui.horizontal(|ui| {
        cell(ui, &|ui| bflops_bars(ui, docs, id, h));
        cell(ui, &|ui| cumulative(ui, docs, id, h));
    });
    ui.horizontal(|ui| {
        cell(ui, &|ui| memory(ui, docs, id, h));
        cell(ui, &|ui| duplication(ui, docs, id, h));
    });
}

/// Where network `k`'s bars sit beside the other network's (side by side when two).
fn bar_offset(k: usize, networks: usize) -> f64 {
    if networks == 2 {
        (k as f64 - 0.5) * 0.4
    } else {
        0.0
    }
}

fn bflops_bars(ui: &mut egui::Ui, docs: &[&Document], id: &str, h: f32) {
    ui.strong("BFLOPs per layer");
    let timed = docs.len() == 1 && docs[0].detection.is_some();
    plot(&format!("{id}-bflops"), h, "layer", "BFLOPs").show(ui, |p| {
        for (k, d) in docs.iter().enumerate() {
            let off = bar_offset(k, docs.len());
            let bars = d
                .analysis
                .profile
                .layers
                .iter()
                .enumerate()
                .map(|(i, c)| Bar::new(i as f64 + off, c.bflops as f64).width(0.4))
                .collect();
            p.bar_chart(BarChart::new(d.title(), bars).color(SERIES[k]));
        }
        if timed && let Some(run) = &docs[0].detection {
            // measured time, scaled so that the total matches the total BFLOPs
            let total_ms: f64 = run.forward.layer_ms.iter().sum();
            let scale = docs[0].analysis.profile.total_bflops as f64 / total_ms.max(1e-9);
            let bars = run
                .forward
                .layer_ms
                .iter()
                .enumerate()
                .map(|(i, ms)| Bar::new(i as f64 + 0.25, ms * scale).width(0.35))
                .collect();
            let name = format!(
                "measured time ({}; scaled: total = total BFLOPs)",
                run.backend
            );
            p.bar_chart(BarChart::new(name, bars).color(Color32::from_rgb(120, 220, 120)));
        }
    });
}

fn cumulative(ui: &mut egui::Ui, docs: &[&Document], id: &str, h: f32) {
    ui.strong("cumulative BFLOPs");
    plot(&format!("{id}-cumulative"), h, "layer", "BFLOPs").show(ui, |p| {
        for (k, d) in docs.iter().enumerate() {
            let mut sum = 0.0;
            let pts: PlotPoints = d
                .analysis
                .profile
                .layers
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    sum += c.bflops as f64;
                    [i as f64, sum]
                })
                .collect();
            p.line(Line::new(d.title(), pts).color(SERIES[k]).width(2.0));
        }
    });
}

fn memory(ui: &mut egui::Ui, docs: &[&Document], id: &str, h: f32) {
    ui.strong("live activation memory (MiB) while each layer runs");
    plot(&format!("{id}-memory"), h, "layer", "MiB").show(ui, |p| {
        for (k, d) in docs.iter().enumerate() {
            let m = &d.analysis.memory;
            let mib = crate::units::mib;
            let pts: PlotPoints = m
                .layers
                .iter()
                .enumerate()
                .map(|(i, l)| [i as f64, mib(l.live_bytes_during)])
                .collect();
            p.line(Line::new(d.title(), pts).color(SERIES[k]).width(2.0));
            if let Some(peak) = m.peak_layer {
                let name = format!(
                    "peak {:.1} MiB at layer {peak}",
                    mib(m.peak_activation_bytes)
                );
                p.vline(VLine::new(name.clone(), peak as f64).color(SERIES[k]));
                p.points(
                    Points::new(name, vec![[peak as f64, mib(m.peak_activation_bytes)]])
                        .radius(5.0)
                        .color(SERIES[k]),
                );
            }
        }
    });
}

fn duplication(ui: &mut egui::Ui, docs: &[&Document], id: &str, h: f32) {
    ui.strong("gradient duplication D/T per stage (channelwise)");
    plot(&format!("{id}-dup"), h, "stage", "D/T").show(ui, |p| {
        for (k, d) in docs.iter().enumerate() {
            let off = bar_offset(k, docs.len());
            let bars = d
                .analysis
                .gradient
                .stages
                .iter()
                .map(|s| {
                    let r = if s.channelwise.total_volume == 0 {
                        0.0
                    } else {
                        s.channelwise.dup_volume / s.channelwise.total_volume as f64
                    };
                    Bar::new(s.index as f64 + off, r)
                        .width(0.4)
                        .name(format!("stage {} ({}×{})", s.index, s.width, s.height))
                })
                .collect();
            p.bar_chart(BarChart::new(d.title(), bars).color(SERIES[k]));
        }
    });
}
