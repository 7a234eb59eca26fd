//! The Evaluate tab: the dataset and options, the run's progress, then the active network's
//! numbers as `csplens map` gives them (darknet's mAP and the mean over labelled classes, the
//! figures at the threshold, COCO's six), the per-class table with each class's PR curve,
//! check-data's findings, anchors from the labels with "Apply to cfg", and the misses
//! (misses_view.rs).

use crate::gui::doc::Document;
use crate::gui::evaluation::{Action, EvalRun, EvalView};
use crate::gui::panels::charts::SERIES;
use crate::gui::slot::Slot;
use egui::{Color32, RichText};
use egui_plot::{Legend, Line, Plot, PlotPoints};
use std::collections::HashMap;

/// What the tab reads beside the view state.
pub struct Shown<'a> {
    /// The active network and which it is.
    pub doc: &'a Document,
    /// Which network it is.
    pub slot: Slot,
    /// The other network, if open.
    pub other: Option<&'a Document>,
    /// Whether the evaluation job runs.
    pub running: bool,
    /// Pictures of the misses, by (network, crop).
    pub textures: &'a HashMap<(usize, usize), egui::TextureHandle>,
}

/// Draws the tab; returns what the user did.
pub fn show(ui: &mut egui::Ui, view: &EvalView, s: &Shown) -> Vec<Action> {
    let mut out = Vec::new();
    controls(ui, view, s, &mut out);
    ui.separator();
    let Some(run) = s.doc.evaluation.as_deref() else {
        ui.weak(
            "Choose a .data file (or drop a folder of images with their darknet label files \
             here), then Evaluate: darknet's mAP, COCO AP, every missed label explained.",
        );
        return out;
    };
    egui::ScrollArea::vertical()
        .id_salt("evaluate")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            summary(ui, run, s.doc);
            ui.separator();
            classes_and_curve(ui, view, run, s, &mut out);
            ui.separator();
            checks(ui, run);
            anchors(ui, view, s, &mut out);
            ui.separator();
            super::misses_view::show(ui, view, run, (s.slot.index(), s.textures), &mut out);
        });
    out
}

fn controls(ui: &mut egui::Ui, view: &EvalView, s: &Shown, out: &mut Vec<Action>) {
    let mut act = |a: Action| out.push(a);
    ui.horizontal_wrapped(|ui| {
        ui.label("Dataset:");
        match &view.source {
            Some(src) => ui.strong(src.path().display().to_string()),
            None => ui.weak("none"),
        };
        if ui.button("Open .data…").clicked() {
            act(Action::PickData);
        }
        if ui
            .button("Folder…")
            .on_hover_text("images with darknet label files (beside them, or in labels/)")
            .clicked()
        {
            act(Action::PickFolder);
        }
        ui.separator();
        let mut st = view.settings;
        ui.label("points");
        egui::ComboBox::from_id_salt("eval-points")
            .selected_text(points_name(st.points))
            .show_ui(ui, |ui| {
                for p in [0, 11, 101] {
                    ui.selectable_value(&mut st.points, p, points_name(p));
                }
            });
        ui.label("IoU");
        ui.add(egui::DragValue::new(&mut st.iou_thresh).range(0.05..=0.95).speed(0.01));
        ui.label("thresh");
        ui.add(egui::DragValue::new(&mut st.thresh).range(0.0..=1.0).speed(0.01));
        if st != view.settings {
            act(Action::Settings(st));
        }
        ui.separator();
        let ready = view.source.is_some() && !s.running;
        let has = |d: &Document| d.weights.is_some();
        if ui
            .add_enabled(ready && has(s.doc), egui::Button::new(format!("Evaluate {:?}", s.slot)))
            .clicked()
        {
            act(Action::Run(vec![s.slot]));
        }
        let both = s.other.is_some_and(has) && has(s.doc);
        if ui
            .add_enabled(ready && both, egui::Button::new("Evaluate A and B"))
            .on_hover_text("both networks on the same images, one after the other: the Accuracy tab sets them beside their cost")
            .clicked()
        {
            act(Action::Run(vec![Slot::A, Slot::B]));
        }
        if s.running && ui.button("Cancel").clicked() {
            act(Action::Cancel);
        }
    });
    if s.running {
        for (k, p) in view.progress.iter().enumerate() {
            if let Some((done, total)) = p {
                let f = *done as f32 / (*total).max(1) as f32;
                let name = if k == 0 { "A" } else { "B" };
                ui.add(egui::ProgressBar::new(f).text(format!("{name}: {done} of {total} images")));
            }
        }
    }
}

fn points_name(p: usize) -> &'static str {
    match p {
        0 => "0: area under the curve",
        11 => "11: VOC2007",
        101 => "101: COCO",
        _ => "other",
    }
}

fn pct(v: f64) -> String {
    format!("{:.2} %", v * 100.0)
}

fn summary(ui: &mut egui::Ui, run: &EvalRun, doc: &Document) {
    let e = &run.evaluation;
    let r = &e.result;
    if run.generation != doc.generation {
        ui.colored_label(
            Color32::from_rgb(240, 170, 60),
            "the network changed since this evaluation: evaluate again for its numbers",
        );
    }
    ui.horizontal_wrapped(|ui| {
        let st = run.settings;
        ui.label(RichText::new(format!("mAP@{:.2} = {}", st.iou_thresh, pct(r.map))).heading());
        ui.label("darknet's (the mean over all classes)");
        if let Some(m) = r.map_labelled {
            ui.separator();
            ui.label(RichText::new(format!("labelled classes: {}", pct(m))).strong());
        }
    });
    if let Some(why) = crate::eval::report::why_means_differ(r) {
        ui.weak(why);
    }
    ui.label(format!(
        "at thresh {:.2}: precision {:.2}, recall {:.2}, F1 {:.2} · TP {}, FP {}, FN {} · average IoU {:.2} %",
        run.settings.thresh, r.precision, r.recall, r.f1, r.tp, r.fp, r.fn_, r.average_iou * 100.0
    ));
    let c = &e.coco;
    ui.label(format!(
        "COCO: AP {:.3} · AP50 {:.3} · AP75 {:.3} · small {:.3} · medium {:.3} · large {:.3}",
        c.ap, c.ap50, c.ap75, c.ap_small, c.ap_medium, c.ap_large
    ))
    .on_hover_text("pycocotools' COCOeval on the detections darknet's `detector valid` writes (threshold 0.001, NMS 0.6); −1: no label of that size");
    ui.weak(format!(
        "{} images, {} labels · {:.1} images/s · {:.1} ms forward per image · {}",
        r.images,
        r.truths,
        e.images_per_s(),
        run.ms_per_image(),
        run.backend
    ));
    for w in e.warnings.iter().take(3) {
        ui.colored_label(Color32::from_rgb(240, 170, 60), w);
    }
    if e.warnings.len() > 3 {
        ui.weak(format!("… and {} more warnings", e.warnings.len() - 3));
    }
}

/// The per-class table (classes with labels or detections) beside the chosen class's curve.
fn classes_and_curve(
    ui: &mut egui::Ui,
    view: &EvalView,
    run: &EvalRun,
    s: &Shown,
    out: &mut Vec<Action>,
) {
    let r = &run.evaluation.result;
    let w = ui.available_width();
    let layout = egui::Layout::left_to_right(egui::Align::Min);
    ui.allocate_ui_with_layout(egui::vec2(w, 310.0), layout, |ui| {
        ui.allocate_ui(egui::vec2(w * 0.45, 300.0), |ui| {
            egui::ScrollArea::vertical()
                .id_salt("eval-classes")
                .max_height(300.0)
                .show(ui, |ui| {
                    ui.vertical(|ui| {
                        egui::Grid::new("eval-classes-grid")
                            .striped(true)
                            .num_columns(5)
                            .show(ui, |ui| {
                                for h in ["class", "AP", "TP", "FP", "labels"] {
                                    ui.strong(h);
                                }
                                ui.end_row();
                                for c in r.classes.iter().filter(|c| c.truths + c.tp + c.fp > 0) {
                                    let picked = view.class == Some(c.class_id);
                                    let name = format!("{} {}", c.class_id, c.name);
                                    if ui.selectable_label(picked, name).clicked() {
                                        out.push(Action::Class(Some(c.class_id)));
                                    }
                                    ui.label(pct(c.ap));
                                    ui.label(c.tp.to_string());
                                    ui.label(c.fp.to_string());
                                    ui.label(c.truths.to_string());
                                    ui.end_row();
                                }
                            });
                        let rest = r.classes.len()
                            - r.classes
                                .iter()
                                .filter(|c| c.truths + c.tp + c.fp > 0)
                                .count();
                        if rest > 0 {
                            ui.weak(format!(
                                "{rest} more classes: no label, no detection (AP 0)"
                            ));
                        }
                    })
                });
        });
        ui.separator();
        curve(ui, view, s);
    });
}

/// The chosen class's precision-recall curve, of both networks where both were evaluated.
fn curve(ui: &mut egui::Ui, view: &EvalView, s: &Shown) {
    let Some(class) = view.class else {
        ui.weak("Click a class for its precision-recall curve.");
        return;
    };
    let mut docs = vec![(s.slot, s.doc)];
    docs.extend(s.other.map(|d| (other(s.slot), d)));
    docs.sort_by_key(|(slot, _)| slot.index());
    ui.vertical(|ui| {
        ui.strong(format!("precision-recall, class {class}"));
        Plot::new("eval-pr")
            .height(280.0)
            .legend(Legend::default())
            .x_axis_label("recall")
            .y_axis_label("precision")
            .include_x(0.0)
            .include_x(1.0)
            .include_y(0.0)
            .include_y(1.0)
            .allow_scroll(false)
            .show(ui, |p| {
                for (slot, doc) in &docs {
                    let Some(run) = doc.evaluation.as_deref() else {
                        continue;
                    };
                    let Some(points) = run.evaluation.result.curves.get(class) else {
                        continue;
                    };
                    let pts: PlotPoints = points.iter().map(|q| [q.recall, q.precision]).collect();
                    let ap = run
                        .evaluation
                        .result
                        .classes
                        .get(class)
                        .map_or(0.0, |c| c.ap);
                    let name = format!("{slot:?} {} (AP {})", doc.title(), pct(ap));
                    p.line(Line::new(name, pts).color(SERIES[slot.index()]).width(2.0));
                }
            });
    });
}

fn other(slot: Slot) -> Slot {
    match slot {
        Slot::A => Slot::B,
        Slot::B => Slot::A,
    }
}

/// check-data's findings on the dataset.
fn checks(ui: &mut egui::Ui, run: &EvalRun) {
    let r = &run.report;
    let n = r.findings.len();
    let title = format!(
        "Dataset checks: {} images, {} labels, {n} finding{}",
        r.counts.images,
        r.counts.labels,
        if n == 1 { "" } else { "s" }
    );
    egui::CollapsingHeader::new(title)
        .id_salt("eval-checks")
        .default_open(!r.findings.is_empty())
        .show(ui, |ui| {
            for f in r.findings.iter().take(200) {
                let colour = crate::gui::diagnostics::finding_colour(f.severity);
                let at = f.line.map_or_else(String::new, |l| format!(":{l}"));
                ui.horizontal_wrapped(|ui| {
                    ui.colored_label(colour, format!("{}[{}]", f.severity.name(), f.code));
                    ui.label(format!("{}{at}: {}", f.file, f.message));
                });
                if let Some(fix) = &f.fix {
                    ui.weak(format!("    fix: {fix}"));
                }
            }
            if r.findings.len() > 200 {
                ui.weak(format!(
                    "… {} more (csplens check-data lists them all)",
                    r.findings.len() - 200
                ));
            }
        });
}

/// Anchors from the labels: computed on request, applied as one undoable edit.
fn anchors(ui: &mut egui::Ui, view: &EvalView, s: &Shown, out: &mut Vec<Action>) {
    egui::CollapsingHeader::new("Anchors from labels")
        .id_salt("eval-anchors")
        .default_open(view.anchors.is_some())
        .show(ui, |ui| {
            if ui
                .button(format!("Compute for {}", s.doc.title()))
                .on_hover_text("k-means over the training labels at the network input (darknet's calc_anchors, seeded)")
                .clicked()
            {
                out.push(Action::ComputeAnchors(s.slot));
            }
            let Some(st) = view.anchors.as_ref().filter(|a| a.slot == s.slot) else {
                return;
            };
            match &st.proposal {
                Err(e) => {
                    ui.colored_label(Color32::from_rgb(240, 80, 70), e);
                }
                Ok(p) => {
                    let list: Vec<String> =
                        p.anchors.iter().map(|(w, h)| format!("{w},{h}")).collect();
                    ui.label(format!("anchors = {}", list.join(",  ")));
                    let now = p.current_avg_iou.map_or_else(String::new, |c| {
                        format!(" · the cfg's anchors: {:.2} %", c * 100.0)
                    });
                    ui.label(format!(
                        "avg IoU {:.2} % over {} labels at {}×{}{now}",
                        p.avg_iou * 100.0,
                        p.labels,
                        p.size.0,
                        p.size.1
                    ));
                    for (k, m) in p.masks.iter().flatten().enumerate() {
                        let m: Vec<String> = m.iter().map(usize::to_string).collect();
                        ui.weak(format!("head {}: mask = {}", k + 1, m.join(",")));
                    }
                    if ui
                        .button("Apply to cfg")
                        .on_hover_text("writes anchors=, mask=, num= and each head's filters into the text (Ctrl+Z undoes it)")
                        .clicked()
                    {
                        out.push(Action::ApplyAnchors);
                    }
                }
            }
        });
}
