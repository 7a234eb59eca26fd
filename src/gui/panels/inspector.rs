//! The inspector: everything known about the selected layer — its parameters, input and output
//! shapes, BFLOPs, parameters, memory, gradient sources and paths, warnings, and its lines of
//! the cfg with the section highlighted.

use crate::gui::diagnostics::Diagnostic;
use crate::gui::doc::Document;
use crate::kinds::Src;
use egui::{Color32, RichText};

fn row(ui: &mut egui::Ui, key: &str, value: impl Into<String>) {
    ui.label(RichText::new(key).weak());
    ui.label(value.into());
    ui.end_row();
}

use crate::units::bytes;

/// The cfg lines of layer `i`'s section: (first line number, lines).
pub fn section_lines(doc: &Document, i: usize) -> (usize, Vec<&str>) {
    let a = &doc.analysis;
    let start = a.network.layers[i].span.line;
    let end = a
        .network
        .layers
        .get(i + 1)
        .map_or(usize::MAX, |l| l.span.line);
    let lines = a
        .source
        .lines()
        .enumerate()
        .filter(|(k, _)| *k + 1 >= start && *k + 1 < end)
        .map(|(_, l)| l)
        .collect();
    (start, lines)
}

/// Draws the inspector for layer `i` of `doc`.
pub fn show(ui: &mut egui::Ui, doc: &Document, i: usize, diags: &[Diagnostic]) {
    let a = &doc.analysis;
    let Some(layer) = a.network.layers.get(i) else {
        ui.weak("Select a layer in the graph or the table.");
        return;
    };
    let (s, c, m, g) = (
        &a.shapes.layers[i],
        &a.profile.layers[i],
        &a.memory.layers[i],
        &a.gradient.layers[i],
    );
    ui.heading(format!("{i} {}", layer.kind.type_name()));
    ui.label(format!(
        "[{}] at line {}",
        layer.section_name, layer.span.line
    ));
    egui::Grid::new("inspector-figures")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            let inputs: Vec<String> = layer
                .inputs
                .iter()
                .map(|src| match src {
                    Src::Image => format!("image {}", a.shapes.input.text()),
                    Src::Layer(j) => format!("{j}: {}", a.shapes.layers[*j].output.text()),
                })
                .collect();
            row(ui, "inputs", inputs.join("\n"));
            row(
                ui,
                "output",
                format!("{} ({} values)", s.output.text(), s.outputs),
            );
            row(ui, "BFLOPs", format!("{:.3}", c.bflops));
            row(ui, "parameters", c.params.to_string());
            row(ui, ".weights floats", c.weight_floats.to_string());
            let roof = doc.detection.as_ref().and_then(|r| r.roofline.as_ref());
            if let Some(text) =
                roof.and_then(|p| crate::gui::panels::roofline_view::layer_text(p, i))
            {
                row(ui, "achieved", text);
            }
            if let Some(rf) = doc.analysis.profile.receptive_fields.get(i) {
                row(
                    ui,
                    "receptive field",
                    format!("{rf}×{rf} px (darknet's rule)"),
                );
            }
            let view = if m.view {
                " (a view: no memory of its own)"
            } else {
                ""
            };
            row(
                ui,
                "output memory",
                format!("{}{view}", bytes(m.activation_bytes)),
            );
            row(ui, "weights memory", bytes(m.weight_bytes));
            row(ui, "live while running", bytes(m.live_bytes_during));
            row(ui, "live after", bytes(m.live_bytes_after));
            if let Some(n) = g.sources_copy {
                row(
                    ui,
                    "gradient sources",
                    format!(
                        "{n} (copy), {} (channelwise)",
                        g.sources_channelwise.unwrap_or(0)
                    ),
                );
            }
            if let Some(d) = g.dup_copy {
                row(
                    ui,
                    "duplicated volume",
                    format!(
                        "{d:.0} (copy), {:.0} (channelwise)",
                        g.dup_channelwise.unwrap_or(0.0)
                    ),
                );
            }
            if let Some(p) = g.log2_paths {
                row(ui, "gradient paths", format!("2^{p:.2}"));
            }
            for seg in &g.log2_per_channel_text() {
                row(ui, "", seg.clone());
            }
        });
    ui.separator();
    ui.strong("Parameters");
    egui::Grid::new("inspector-params")
        .num_columns(2)
        .show(ui, |ui| {
            for e in doc.keys.get(i).into_iter().flatten() {
                if e.shadowed {
                    // darknet's option_find reads the first of a repeated key
                    row(ui, &e.key, format!("{} (repeated: not read)", e.value));
                } else {
                    row(ui, &e.key, e.value.clone());
                }
            }
        });
    egui::CollapsingHeader::new("every value, with darknet's defaults")
        .id_salt("inspector-typed")
        .show(ui, |ui| {
            ui.label(
                RichText::new(format!("{:#?}", layer.kind))
                    .monospace()
                    .small(),
            );
        });
    let mine: Vec<&Diagnostic> = diags.iter().filter(|d| d.layer == Some(i)).collect();
    if !mine.is_empty() {
        ui.separator();
        for d in mine {
            ui.colored_label(ui.visuals().warn_fg_color, d.text());
        }
    }
    ui.separator();
    ui.strong("cfg source");
    let (start, lines) = section_lines(doc, i);
    for (k, line) in lines.iter().enumerate() {
        let text = RichText::new(format!("{:>5}  {line}", start + k)).monospace();
        if k == 0 {
            ui.label(
                text.background_color(Color32::from_rgb(70, 60, 20))
                    .color(Color32::from_rgb(255, 220, 120)),
            );
        } else {
            ui.label(text);
        }
    }
}

trait PerChannel {
    fn log2_per_channel_text(&self) -> Vec<String>;
}

impl PerChannel for crate::profile::gradient::LayerGradient {
    fn log2_per_channel_text(&self) -> Vec<String> {
        self.log2_paths_per_channel
            .iter()
            .map(|s| {
                let p = |v: Option<f64>| v.map_or("–".into(), |v| format!("2^{v:.2}"));
                format!(
                    "ch {}: {} paths … ch {}: {}",
                    s.lo,
                    p(s.log2_first),
                    s.hi.saturating_sub(1),
                    p(s.log2_last)
                )
            })
            .collect()
    }
}
