//! The Source tab: the active cfg's text in an editor, its sections, keys, values and comments
//! highlighted, the cfg doctor's findings listed above (each fix one click away) and marked
//! in the gutter and under their lines (the message on hover). Typing, fixes, undo, redo,
//! save and revert are sent as commands; the text is re-analysed once typing pauses and the
//! graph, table, charts and compare follow. A click in a section selects its layer; a
//! layer selected elsewhere scrolls its section into view.

use crate::doctor::{Finding, Severity};
use crate::gui::command::Command;
use crate::gui::doc::Document;
use crate::gui::slot::Slot;
use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId, RichText};

const SECTION: Color32 = Color32::from_rgb(255, 200, 90);
const KEY: Color32 = Color32::from_rgb(120, 190, 255);
const VALUE: Color32 = Color32::from_rgb(210, 210, 210);
const COMMENT: Color32 = Color32::from_rgb(120, 130, 120);

/// Appends one cfg line as darknet reads it: a section header, a comment, or `key=value`.
fn highlight(job: &mut LayoutJob, line: &str, font: &FontId) {
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
}

/// The line of the section holding `layer` (its header).
fn section_line(doc: &Document, layer: usize) -> Option<usize> {
    doc.analysis.network.layers.get(layer).map(|l| l.span.line)
}

/// The layer whose section holds line `n`.
fn layer_at_line(doc: &Document, n: usize) -> Option<usize> {
    (doc.analysis.network.layers.iter()).rposition(|l| l.span.line <= n)
}

/// Shows the tab; returns the commands its buttons, findings and editor sent.
pub fn show(
    ui: &mut egui::Ui,
    doc: &Document,
    slot: Slot,
    selected: Option<usize>,
) -> Vec<Command> {
    let mut cmds = Vec::new();
    toolbar(ui, doc, slot, &mut cmds);
    if doc.build_error.is_some() {
        ui.colored_label(
            crate::gui::diagnostics::finding_colour(Severity::Error),
            "This text does not build (its error is below); the graph, table and charts show the last text that did.",
        );
    }
    let scroll_to = findings(ui, doc, slot, &mut cmds);
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
    editor(ui, doc, slot, scroll_to.or(follow), &mut cmds);
    cmds
}

fn toolbar(ui: &mut egui::Ui, doc: &Document, slot: Slot, cmds: &mut Vec<Command>) {
    let report = &doc.lint;
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    ui.horizontal(|ui| {
        ui.strong(doc.tab_title());
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
        ui.separator();
        let src = &doc.source;
        let buttons = [
            ("Undo", src.can_undo(), "Ctrl+Z", Command::Undo(slot)),
            ("Redo", src.can_redo(), "Ctrl+Shift+Z", Command::Redo(slot)),
            (
                "Save",
                src.is_dirty(),
                "Ctrl+S: write the file atomically",
                Command::Save(slot),
            ),
            (
                "Save as…",
                true,
                "write the text to another file, which it then belongs to",
                Command::SaveAs(slot, None),
            ),
            (
                "Revert",
                src.is_dirty(),
                "back to the file's text (undoable)",
                Command::Revert(slot),
            ),
        ];
        for (label, enabled, tip, cmd) in buttons {
            if ui
                .add_enabled(enabled, egui::Button::new(label))
                .on_hover_text(tip)
                .clicked()
            {
                cmds.push(cmd);
            }
        }
        if ui
            .button("Fix classes / size…")
            .on_hover_text("csplens fix: set the classes and input size, see the diff, apply")
            .clicked()
        {
            cmds.push(Command::OpenFixForm(slot));
        }
    });
}

/// The findings list; returns the line of a clicked finding.
fn findings(
    ui: &mut egui::Ui,
    doc: &Document,
    slot: Slot,
    cmds: &mut Vec<Command>,
) -> Option<usize> {
    let mut scroll_to = None;
    // a finding's fix is offered only while the text is the one it was found in
    let current = doc.lint_generation == doc.source.generation();
    egui::ScrollArea::vertical()
        .id_salt("findings")
        .max_height(140.0)
        .show(ui, |ui| {
            for f in &doc.lint.findings {
                let text = RichText::new(format!(
                    "{}  {}[{}] {}",
                    f.line.map_or(String::new(), |l| format!("line {l}")),
                    f.severity.name(),
                    f.code,
                    f.message
                ))
                .color(crate::gui::diagnostics::finding_colour(f.severity));
                if ui
                    .add(egui::Label::new(text).sense(egui::Sense::click()))
                    .clicked()
                {
                    scroll_to = f.line;
                    if f.layer.is_some() {
                        cmds.push(Command::Select(f.layer));
                    }
                }
                if let Some(fix) = f.fix.as_ref().filter(|_| current) {
                    ui.horizontal(|ui| {
                        ui.add_space(24.0);
                        if ui
                            .small_button(format!("Fix: {}", fix.description))
                            .clicked()
                        {
                            cmds.push(Command::ApplyFix {
                                slot,
                                generation: doc.lint_generation,
                                edits: fix.edits.clone(),
                            });
                        }
                    });
                }
            }
        });
    scroll_to
}

/// Width of the gutter: five digits and a marker.
const GUTTER_CHARS: f32 = 8.0;

fn editor(
    ui: &mut egui::Ui,
    doc: &Document,
    slot: Slot,
    target: Option<usize>,
    cmds: &mut Vec<Command>,
) {
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let row_h = ui.text_style_height(&egui::TextStyle::Monospace);
    let mut area = egui::ScrollArea::both()
        .id_salt("source")
        .auto_shrink([false, false]);
    if let Some(line) = target {
        area = area.vertical_scroll_offset(line.saturating_sub(5) as f32 * row_h);
    }
    let mut text = doc.source.text().to_string();
    let mut layouter = |ui: &egui::Ui, buf: &dyn egui::TextBuffer, _wrap: f32| {
        let mut job = LayoutJob::default();
        for piece in buf.as_str().split_inclusive('\n') {
            let line = piece.trim_end_matches(['\n', '\r']);
            highlight(&mut job, line, &font);
            job.append(
                &piece[line.len()..],
                0.0,
                TextFormat::simple(font.clone(), VALUE),
            );
        }
        job.wrap.max_width = f32::INFINITY;
        ui.fonts_mut(|f| f.layout_job(job))
    };
    area.show(ui, |ui| {
        ui.horizontal_top(|ui| {
            let gutter_w = GUTTER_CHARS * ui.fonts_mut(|f| f.glyph_width(&font, '0'));
            ui.add_space(gutter_w);
            let out = egui::TextEdit::multiline(&mut text)
                .id_salt(("cfg-editor", slot))
                .code_editor()
                .desired_width(f32::INFINITY)
                .desired_rows(40)
                .layouter(&mut layouter)
                .show(ui);
            gutter(ui, doc, &out, gutter_w, &font);
            if let Some(range) = out.cursor_range
                && out.response.response.clicked()
            {
                let n = 1 + text
                    .chars()
                    .take(range.primary.index.0)
                    .filter(|&c| c == '\n')
                    .count();
                if let Some(layer) = layer_at_line(doc, n) {
                    cmds.push(Command::Select(Some(layer)));
                }
            }
        });
    });
    if text != doc.source.text() {
        cmds.push(Command::Edit { slot, text });
    }
}

/// Line numbers, a marker per line with findings (its messages on hover) and a line under it.
fn gutter(
    ui: &mut egui::Ui,
    doc: &Document,
    out: &egui::text_edit::TextEditOutput,
    width: f32,
    font: &FontId,
) {
    let clip = ui.clip_rect();
    let left = out.galley_pos.x - width;
    for (i, row) in out.galley.rows.iter().enumerate() {
        let rect = row.rect().translate(out.galley_pos.to_vec2());
        if rect.max.y < clip.min.y || rect.min.y > clip.max.y {
            continue;
        }
        let n = i + 1;
        let painter = ui.painter();
        painter.text(
            egui::pos2(left, rect.min.y),
            egui::Align2::LEFT_TOP,
            format!("{n:5}"),
            font.clone(),
            Color32::GRAY,
        );
        let here: Vec<&Finding> = (doc.lint.findings.iter())
            .filter(|f| f.line == Some(n))
            .collect();
        let Some(worst) = here.iter().map(|f| f.severity).min() else {
            continue;
        };
        let mark = egui::Rect::from_min_max(
            egui::pos2(left + width * 0.7, rect.min.y),
            egui::pos2(left + width, rect.max.y),
        );
        painter.circle_filled(
            mark.center() - egui::vec2(width * 0.05, 0.0),
            rect.height() * 0.25,
            crate::gui::diagnostics::finding_colour(worst),
        );
        let under = rect.max.y - 1.0;
        let right = rect.max.x.max(rect.min.x + 40.0);
        painter.line_segment(
            [egui::pos2(rect.min.x, under), egui::pos2(right, under)],
            egui::Stroke::new(1.5, crate::gui::diagnostics::finding_colour(worst)),
        );
        let tip: Vec<String> = (here.iter())
            .map(|f| {
                let fix = f
                    .fix
                    .as_ref()
                    .map_or(String::new(), |x| format!("\nfix: {}", x.description));
                format!("{}[{}]: {}{fix}", f.severity.name(), f.code, f.message)
            })
            .collect();
        let hover = egui::Rect::from_min_max(
            egui::pos2(left, rect.min.y),
            egui::pos2(left + width, rect.max.y),
        );
        ui.interact(hover, ui.id().with(("finding", n)), egui::Sense::hover())
            .on_hover_text(tip.join("\n\n"));
    }
}
