//! Analysis → text: darknet's layer table, JSON, CSV and Markdown.

pub mod compare;
mod darknet_line;
mod json;
mod stages;

pub use darknet_line::darknet_line;

pub use compare::{compare_json, render_compare};
pub use json::{layer_json, profile_json};
pub use stages::{stages_json, stages_table};

use crate::Analysis;

/// Output formats of `csplens profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Darknet's printed layer table with totals.
    Table,
    /// The machine form.
    Json,
    /// One row per layer.
    Csv,
    /// A Markdown table.
    Md,
}

/// Renders an analysis.
pub fn render(a: &Analysis, format: Format) -> String {
    match format {
        Format::Table => table(a),
        Format::Json => serde_json::to_string_pretty(&profile_json(a)).unwrap_or_default() + "\n",
        Format::Csv => delimited(a, ",", "", ""),
        Format::Md => delimited(a, " | ", "| ", " |"),
    }
}

fn table(a: &Analysis) -> String {
    let mut out =
        String::from("   layer   filters  size/strd(dil)      input                output\n");
    for (i, layer) in a.network.layers.iter().enumerate() {
        let others = from_shapes(a, layer);
        let line = darknet_line(layer, &a.shapes.layers[i], &a.profile.layers[i], &others);
        out += &format!("{i:4} {line}\n");
        if a.network.net.show_receptive_field {
            // darknet prints this after the layer's own line when [net] asks for it
            let rf = a.profile.receptive_fields.get(i).copied().unwrap_or(0);
            out += &format!("{i:4} - receptive field: {rf} x {rf} \n");
        }
    }
    let p = &a.profile;
    out += &format!("Total BFLOPS {:5.3} \n", p.total_bflops as f64);
    out += &format!(
        "conv BFLOPS {:.3}, params {}, conv weights {}, .weights floats {} ({} bytes)\n",
        p.bflops_conv as f64, p.params, p.conv_weights, p.weight_floats, p.weights_file_bytes
    );
    for w in a.warnings() {
        out += &format!("warning: {}:{}: {}\n", a.path, w.line, w.message);
    }
    out
}

/// Output shapes of the layers a shortcut adds to the previous layer (empty for other kinds).
pub fn from_shapes(a: &Analysis, layer: &crate::network::Layer) -> Vec<crate::vocab::shape::Shape> {
    let crate::kinds::LayerKind::Shortcut(sc) = &layer.kind else {
        return Vec::new();
    };
    sc.from
        .iter()
        .filter_map(|&i| a.shapes.layers.get(i))
        .map(|s| s.output)
        .collect()
}

const COLUMNS: [&str; 9] = [
    "index",
    "type",
    "line",
    "inputs",
    "input",
    "output",
    "bflops",
    "params",
    "weight_floats",
];

fn delimited(a: &Analysis, sep: &str, start: &str, end: &str) -> String {
    let row = |cells: Vec<String>| format!("{start}{}{end}\n", cells.join(sep));
    let mut out = row(COLUMNS.iter().map(|s| s.to_string()).collect());
    if start.starts_with('|') {
        out += &row(COLUMNS.iter().map(|_| "---".to_string()).collect());
    }
    for (i, layer) in a.network.layers.iter().enumerate() {
        let s = &a.shapes.layers[i];
        let c = &a.profile.layers[i];
        let inputs: Vec<String> = layer
            .inputs
            .iter()
            .map(|s| s.as_i64().to_string())
            .collect();
        out += &row(vec![
            i.to_string(),
            layer.kind.type_name().to_string(),
            layer.span.line.to_string(),
            inputs.join(" "),
            format!("{}x{}x{}", s.input.w, s.input.h, s.input.c),
            format!("{}x{}x{}", s.output.w, s.output.h, s.output.c),
            format!("{:.6}", c.bflops as f64),
            c.params.to_string(),
            c.weight_floats.to_string(),
        ]);
    }
    out
}
