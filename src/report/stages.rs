//! `csplens stages`: the CSP stages of a network as a table or as JSON.

use crate::Analysis;
use crate::profile::csp::{CspStage, Part1Kind};
use serde_json::{Value, json};

/// The `stages --format json` document: `{"cfg", "stages": [...], "partial_residuals": [...]}`.
pub fn stages_json(a: &Analysis) -> Value {
    json!({
        "cfg": a.path,
        "stages": a.csp.stages,
        "partial_residuals": a.csp.partial_residuals,
    })
}

fn part1_text(s: &CspStage) -> String {
    match s.part1.kind {
        Part1Kind::Identity => "base itself".into(),
        Part1Kind::Slice => format!("slice {}", s.part1.input),
        Part1Kind::Conv => format!("conv {}", s.part1.input),
    }
}

fn part2_text(s: &CspStage) -> String {
    let entry = match s.part2.entry {
        crate::profile::csp::Entry::Slice => "slice",
        crate::profile::csp::Entry::Conv => "conv",
        crate::profile::csp::Entry::RouteConv => "route+conv",
    };
    format!(
        "{entry} {}, {} layers",
        s.part2.entry_layer,
        s.part2.layers.len()
    )
}

/// The stages as an aligned text table, then the partial residuals.
pub fn stages_table(a: &Analysis) -> String {
    let mut rows: Vec<Vec<String>> = vec![
        [
            "stage",
            "base→merge",
            "W×H",
            "channels",
            "part 1",
            "part 2",
            "block",
            "fusion",
            "BFLOPs",
            "params",
            "peak MiB",
            "D/T copy",
            "CIO",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    ];
    for s in &a.csp.stages {
        let t = &s.totals;
        let plural = if s.block.units == 1 { "" } else { "s" };
        rows.push(vec![
            s.index.to_string(),
            format!("{}→{}", s.base, s.merge),
            format!("{}×{}", s.resolution.width, s.resolution.height),
            format!(
                "{} → {}+{}",
                s.base_channels, s.part1.channels, s.part2.channels
            ),
            part1_text(s),
            part2_text(s),
            format!("{} {:?} unit{plural}", s.block.units, s.block.kind).to_lowercase(),
            s.fusion.name().into(),
            format!("{:.3}", t.bflops),
            format!("{:.2}M", t.params as f64 / 1e6),
            format!("{:.1}", crate::units::mib(t.peak_memory_bytes)),
            format!("{:.1}%", t.dup_ratio_copy * 100.0),
            format!("{:.2}M", t.cio as f64 / 1e6),
        ]);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|k| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, &w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        out += cells.join("  ").trim_end();
        out.push('\n');
    }
    let n = a.csp.stages.len();
    out += &format!(
        "{n} CSP stage{} in {}\n",
        if n == 1 { "" } else { "s" },
        a.path
    );
    for p in &a.csp.partial_residuals {
        out += &format!(
            "partial residual: layer {} adds layer {} ({} of its {} channels)\n",
            p.layer, p.from, p.from_channels, p.channels
        );
    }
    out
}
