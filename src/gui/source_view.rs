//! The Source tab: the active cfg's text with its sections, keys, values and comments
//! highlighted, the cfg doctor's findings marked in the gutter and tinted on their lines (the
//! message on hover, the fix named), and the list of findings above; a click on a finding
//! or a line selects its layer. Read-only for now: the text is the document's, linted in the
//! load job.

use super::doc::Document;
use crate::doctor::{Finding, Severity};
use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId, RichText};

const SECTION: Color32 = Color32::from_rgb(255, 200, 90);
const KEY: Color32 = Color32::from_rgb(120, 190, 255);
const VALUE: Color32 = Color32::from_rgb(210, 210, 210);
const COMMENT: Color32 = Color32::from_rgb(120, 130, 120);

fn color(s: Severity) -> Color32 {
    match s {
        Severity::Error => Color32::from_rgb(240, 80, 70),
        Severity::Warning => Color32::from_rgb(240, 190, 60),
        Severity::Note => Color32::from_rgb(120, 170, 240),
    }
}

/// One cfg line as darknet reads it: a section header, a comment, or `key=value`.
fn highlighted(line: &str, font: &FontId) -> LayoutJob {
    let mut job = LayoutJob::default();
    let fmt = |c: Color32| TextFormat::simple(font.clone(), c);
    let trimmed = line.trim_start();
    if trimmed.starts_with('[') {
        job.append(line, 0.0, fmt(SECTION));
    } else if trimmed.starts_with('#') || trimmed.starts_with(';') {
        job.append(line, 0.0, fmt(COMMENT));
    } else if let Some((key, value)) = line.split_once('=') {
        job.append(key, 0.0, fmt(KEY));
        job.append("=", 0.0, fmt(VALUE));
        match value.split_once('#') {
            Some((v, c)) => {
                job.append(v, 0.0, fmt(VALUE));
                job.append(&format!("#{c}"), 0.0, fmt(COMMENT));
            }
            None => job.append(value, 0.0, fmt(VALUE)),
        }
    } else {
        job.append(line, 0.0, fmt(VALUE));
    }
    job
}

/// The line of the section holding `layer` (its header).
fn section_line(doc: &Document, layer: usize) -> Option<usize> {
    doc.analysis.network.layers.get(layer).map(|l| l.span.line)
}

/// Shows the tab; returns the layer a click picked.
pub fn show(ui: &mut egui::Ui, doc: &Document, selected: Option<usize>) -> Option<usize> {
    let mut picked = None;
    let report = &doc.lint;
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    ui.horizontal(|ui| {
        ui.strong(doc.title());
        let n = |s: Severity, what: &str| {
            let k = count(s);
            format!("{k} {what}{}", if k == 1 { "" } else { "s" })
        };
        ui.label(format!(
            "{} · {} · {} (csplens lint)",
            n(Severity::Error, "error"),
            n(Severity::Warning, "warning"),
            n(Severity::Note, "note")
        ));
    });
    let mut scroll_to = None;
    egui::ScrollArea::vertical()
        .id_salt("findings")
        .max_height(140.0)
        .show(ui, |ui| {
            for f in &report.findings {
                let text = RichText::new(format!(
                    "{}  {}[{}] {}",
                    f.line.map_or(String::new(), |l| format!("line {l}")),
                    f.severity.name(),
                    f.code,
                    f.message
                ))
                .color(color(f.severity));
                if ui
                    .add(egui::Label::new(text).sense(egui::Sense::click()))
                    .clicked()
                {
                    scroll_to = f.line;
                    picked = f.layer;
                }
                if let Some(fix) = &f.fix {
                    ui.weak(format!("    fix: {}", fix.description));
                }
            }
        });
    ui.separator();
    // scroll to a clicked finding, or to the selected layer's section when the selection
    // changes (not every frame: the user scrolls freely in between)
    let memo = ui.id().with("source-selection");
    let last: Option<Option<usize>> = ui.data(|d| d.get_temp(memo));
    let follow = if last != Some(selected) {
        ui.data_mut(|d| d.insert_temp(memo, selected));
        selected.and_then(|l| section_line(doc, l))
    } else {
        None
    };
    lines(ui, doc, scroll_to.or(follow), &mut picked);
    picked
}

fn lines(ui: &mut egui::Ui, doc: &Document, target: Option<usize>, picked: &mut Option<usize>) {
    let text = &doc.analysis.source;
    let all: Vec<&str> = text.lines().collect();
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let row_h = ui.text_style_height(&egui::TextStyle::Monospace) + 2.0;
    let mut area = egui::ScrollArea::vertical()
        .id_salt("source")
        .auto_shrink([false, false]);
    if let Some(line) = target {
        // show_rows places row i at i · (row height + item spacing): the line lands 4 rows
        // below the top
        let pitch = row_h + ui.spacing().item_spacing.y;
        area = area.vertical_scroll_offset(line.saturating_sub(5) as f32 * pitch);
    }
    area.show_rows(ui, row_h, all.len(), |ui, rows| {
        for i in rows {
            let n = i + 1;
            let here: Vec<&Finding> = (doc.lint.findings.iter())
                .filter(|f| f.line == Some(n))
                .collect();
            let worst = here.iter().map(|f| f.severity).min();
            let resp = ui
                .horizontal(|ui| {
                    ui.set_min_height(row_h);
                    let gutter = RichText::new(format!("{n:5} "))
                        .monospace()
                        .color(Color32::GRAY);
                    ui.label(gutter);
                    let mark = worst.map_or(RichText::new("  ").monospace(), |s| {
                        RichText::new("● ").monospace().color(color(s))
                    });
                    ui.label(mark);
                    let line = all[i].trim_end_matches('\r');
                    let r = ui.add(
                        egui::Label::new(highlighted(line, &font)).sense(egui::Sense::click()),
                    );
                    if let Some(s) = worst {
                        let rect = r.rect;
                        ui.painter().line_segment(
                            [rect.left_bottom(), rect.right_bottom()],
                            egui::Stroke::new(1.5, color(s)),
                        );
                    }
                    r
                })
                .inner;
            let resp = if here.is_empty() {
                resp
            } else {
                let tip: Vec<String> = (here.iter())
                    .map(|f| {
                        let fix = f
                            .fix
                            .as_ref()
                            .map_or(String::new(), |x| format!("\nfix: {}", x.description));
                        format!("{}[{}]: {}{fix}", f.severity.name(), f.code, f.message)
                    })
                    .collect();
                resp.on_hover_text(tip.join("\n\n"))
            };
            if resp.clicked() {
                *picked = (doc.analysis.network.layers.iter())
                    .rposition(|l| l.span.line <= n)
                    .or(*picked);
            }
        }
    });
}
