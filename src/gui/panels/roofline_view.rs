//! The roofline chart: each layer of the last run at its arithmetic intensity (FLOP per byte
//! it moves) and the rate it achieved, on log-log axes, under the backend's measured
//! ceilings (the bandwidth slope up to the ridge, then the compute peak). Layers left of the
//! ridge are memory-bound on this device, right of it compute-bound; the distance below the
//! roof is what is left on the table.

use crate::gui::doc::DetectionRun;
use crate::profile::roofline::{Ceilings, Point};
use egui::Color32;
use egui_plot::{Legend, Line, Plot, PlotPoints, Points};

/// log10 of `v`, for the log-log axes.
fn lg(v: f64) -> f64 {
    v.max(1e-12).log10()
}

/// "10⁰·⁵"-free tick labels: the value the log stands for.
fn unlog(v: f64) -> String {
    let x = 10f64.powf(v);
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 1.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// Draws the roofline of `run` under `c`.
pub fn show(
    ui: &mut egui::Ui,
    run: &DetectionRun,
    points: &[Point],
    c: Ceilings,
    id: &str,
    h: f32,
) {
    ui.strong(format!(
        "roofline, {}: peak {:.1} GFLOP/s, bandwidth {:.1} GB/s (measured), ridge {:.1} FLOP/B",
        run.engine,
        c.peak_flops / 1e9,
        c.bandwidth / 1e9,
        c.ridge()
    ));
    let lo = points
        .iter()
        .map(|p| p.intensity)
        .fold(f64::INFINITY, f64::min)
        .min(c.ridge())
        / 4.0;
    let hi = points
        .iter()
        .map(|p| p.intensity)
        .fold(0.0, f64::max)
        .max(c.ridge())
        * 4.0;
    let roof: PlotPoints = [lo, c.ridge(), hi]
        .iter()
        .map(|&i| [lg(i), lg(c.at(i) / 1e9)])
        .collect();
    let layers: PlotPoints = points
        .iter()
        .map(|p| [lg(p.intensity), lg(p.rate / 1e9)])
        .collect();
    Plot::new(format!("{id}-roofline"))
        .height(h)
        .legend(Legend::default())
        .x_axis_label("FLOP per byte moved (log)")
        .y_axis_label("GFLOP/s (log)")
        .x_axis_formatter(|m, _| unlog(m.value))
        .y_axis_formatter(|m, _| unlog(m.value))
        .allow_scroll(false)
        .show(ui, |p| {
            p.line(
                Line::new("ceiling", roof)
                    .color(Color32::from_rgb(230, 90, 230))
                    .width(2.0),
            );
            p.points(
                Points::new("layers", layers)
                    .radius(3.5)
                    .color(Color32::from_rgb(120, 220, 120)),
            );
        });
}

/// "12.3 GFLOP/s, 22% of 61.7 at 6.2 FLOP/B" for one layer, if it is on the roofline.
pub fn layer_text(points: &[Point], layer: usize) -> Option<String> {
    let p = points.iter().find(|p| p.layer == layer)?;
    Some(format!(
        "{:.2} GFLOP/s, {:.0}% of the {:.1} GFLOP/s ceiling at {:.2} FLOP/B",
        p.rate / 1e9,
        p.share * 100.0,
        p.ceiling / 1e9,
        p.intensity
    ))
}
