//! Accuracy beside cost, A and B: both networks' mAP and COCO AP on the same labelled images
//! next to their BFLOPs, parameters and measured milliseconds per image, and B's differences
//! from A — the CSP claim (less computation at equal or better accuracy) checked on the
//! user's own data. A plot sets each network's accuracy against the chosen cost.

use crate::gui::doc::Document;
use crate::gui::evaluation::Action;
use crate::gui::evaluation::{CostAxis, EvalRun};
use crate::gui::panels::charts::SERIES;
use egui::Color32;
use egui_plot::{Legend, Plot, Points, Text};

/// One network's figures in the view.
struct Row<'a> {
    name: String,
    run: &'a EvalRun,
    bflops: f64,
    params: f64,
    csp: bool,
}

impl Row<'_> {
    fn cost(&self, axis: CostAxis) -> f64 {
        match axis {
            CostAxis::Bflops => self.bflops,
            CostAxis::Params => self.params / 1e6,
            CostAxis::Ms => self.run.ms_per_image(),
        }
    }
}

fn axis_name(axis: CostAxis) -> &'static str {
    match axis {
        CostAxis::Bflops => "BFLOPs",
        CostAxis::Params => "parameters (millions)",
        CostAxis::Ms => "ms per image (forward)",
    }
}

/// Draws the view for A and B; returns what the user did.
pub fn show(ui: &mut egui::Ui, docs: [Option<&Document>; 2], axis: CostAxis) -> Vec<Action> {
    let mut out = Vec::new();
    let rows: Vec<Row> = (docs.iter().zip(["A", "B"]))
        .filter_map(|(d, slot)| {
            let d = (*d)?;
            let run = d.evaluation.as_deref()?;
            Some(Row {
                name: format!("{slot}: {}", d.title()),
                run,
                bflops: f64::from(d.analysis.profile.total_bflops),
                params: d.analysis.profile.params as f64,
                csp: !d.analysis.csp.stages.is_empty(),
            })
        })
        .collect();
    if rows.len() < 2 || docs.iter().any(Option::is_none) {
        ui.weak(
            "Open two networks (A and B, “Compare with…”), give both their weights, choose a \
             dataset in the Evaluate tab and press “Evaluate A and B”: their accuracy is set \
             here beside their cost.",
        );
        if let Some(r) = rows.first() {
            ui.label(format!(
                "{} is evaluated; the other network is not yet.",
                r.name
            ));
        }
        return out;
    }
    if rows[0].run.source != rows[1].run.source || rows[0].run.settings != rows[1].run.settings {
        ui.colored_label(
            Color32::from_rgb(240, 170, 60),
            "A and B were evaluated on different data or settings: evaluate both again to compare them",
        );
    }
    table(ui, &rows);
    ui.label(differences(&rows[0], &rows[1]));
    ui.separator();
    ui.horizontal(|ui| {
        ui.label("accuracy against");
        for a in [CostAxis::Bflops, CostAxis::Params, CostAxis::Ms] {
            if ui.selectable_label(axis == a, axis_name(a)).clicked() {
                out.push(Action::Axis(a));
            }
        }
    });
    plot(ui, &rows, axis);
    out
}

fn table(ui: &mut egui::Ui, rows: &[Row]) {
    egui::Grid::new("accuracy-table")
        .striped(true)
        .num_columns(9)
        .show(ui, |ui| {
            let head = [
                "network",
                "mAP",
                "labelled mAP",
                "COCO AP",
                "AP50",
                "BFLOPs",
                "params",
                "ms/image",
                "images",
            ];
            for h in head {
                ui.strong(h);
            }
            ui.end_row();
            for (k, r) in rows.iter().enumerate() {
                let res = &r.run.evaluation.result;
                ui.colored_label(SERIES[k], &r.name);
                ui.label(format!("{:.2} %", res.map * 100.0));
                ui.label(
                    res.map_labelled
                        .map_or("—".into(), |m| format!("{:.2} %", m * 100.0)),
                );
                ui.label(format!("{:.3}", r.run.evaluation.coco.ap));
                ui.label(format!("{:.3}", r.run.evaluation.coco.ap50));
                ui.label(format!("{:.3}", r.bflops));
                ui.label(format!("{:.2} M", r.params / 1e6));
                ui.label(format!("{:.1}", r.run.ms_per_image()));
                ui.label(res.images.to_string());
                ui.end_row();
            }
        });
}

/// One network against the other in one sentence (the CSP one against its plain baseline
/// when only one has CSP stages, else B against A): cost ratios, accuracy differences.
fn differences(a: &Row, b: &Row) -> String {
    let (a, b, who) = match (a.csp, b.csp) {
        (true, false) => (
            b,
            a,
            format!("the CSP network {} against its baseline", a.name),
        ),
        (false, true) => (
            a,
            b,
            format!("the CSP network {} against its baseline", b.name),
        ),
        _ => (a, b, "B against A".to_string()),
    };
    let ratio = |x: f64, y: f64| if x > 0.0 { y / x } else { f64::NAN };
    let (ra, rb) = (&a.run.evaluation, &b.run.evaluation);
    format!(
        "{who}: {:.2}× the BFLOPs, {:.2}× the parameters, {:.2}× the time per image; mAP {:+.2} points, COCO AP {:+.3}",
        ratio(a.bflops, b.bflops),
        ratio(a.params, b.params),
        ratio(a.run.ms_per_image(), b.run.ms_per_image()),
        (rb.result.map - ra.result.map) * 100.0,
        rb.coco.ap - ra.coco.ap
    )
}

fn plot(ui: &mut egui::Ui, rows: &[Row], axis: CostAxis) {
    let h = (ui.available_height() - 10.0).max(220.0);
    Plot::new("accuracy-cost")
        .height(h)
        .legend(Legend::default())
        .x_axis_label(axis_name(axis))
        .y_axis_label("accuracy (mAP, COCO AP) %")
        .include_x(0.0)
        .include_y(0.0)
        .include_y(100.0)
        .allow_scroll(false)
        .show(ui, |p| {
            for (k, r) in rows.iter().enumerate() {
                let x = r.cost(axis);
                let e = &r.run.evaluation;
                let map = e.result.map * 100.0;
                let coco = e.coco.ap * 100.0;
                p.points(
                    Points::new(format!("{} mAP", r.name), vec![[x, map]])
                        .radius(6.0)
                        .color(SERIES[k]),
                );
                p.points(
                    Points::new(format!("{} COCO AP", r.name), vec![[x, coco]])
                        .radius(5.0)
                        .shape(egui_plot::MarkerShape::Diamond)
                        .color(SERIES[k]),
                );
                let label = if k == 0 { "A" } else { "B" };
                // no name: the letter is not a legend entry
                p.text(Text::new("", [x, map + 4.0].into(), label).color(SERIES[k]));
            }
        });
}
