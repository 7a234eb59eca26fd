//! `csplens compare A B`: two networks side by side, as the CSPNet README presents them, with
//! B's change against A, plus a per-stage table aligned by resolution.

use super::Format;
use crate::Analysis;
use serde::Serialize;
use serde_json::{Value, json};

/// The figures compared for one network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The cfg.
    pub cfg: String,
    /// Trainable parameters.
    pub params: u64,
    /// Convolution kernel weights (CSPNet "#Parameter").
    pub conv_weights: u64,
    /// Darknet's total BFLOPs.
    pub total_bflops: f64,
    /// Activation bytes darknet allocates.
    pub memory_naive_bytes: u64,
    /// Inference peak of live activations.
    pub memory_peak_bytes: u64,
    /// Training bytes per image.
    pub memory_training_bytes: u64,
    /// CIO in values.
    pub cio: u64,
    /// MAC in values.
    pub mac: u64,
    /// Concatenation copies in values.
    pub concat_copy_volume: u64,
    /// D/T, `copy` variant.
    pub dup_ratio_copy: f64,
    /// D/T, `channelwise` variant.
    pub dup_ratio_channelwise: f64,
    /// log2 of the gradient paths reaching the image.
    pub log2_paths_to_input: Option<f64>,
    /// Largest log2 path count of a weighted layer.
    pub log2_max_paths_weighted: Option<f64>,
}

impl Summary {
    /// The summary of an analysis.
    pub fn of(a: &Analysis) -> Self {
        Self {
            cfg: a.path.clone(),
            params: a.profile.params,
            conv_weights: a.profile.conv_weights,
            total_bflops: a.profile.total_bflops as f64,
            memory_naive_bytes: a.memory.naive_activation_bytes,
            memory_peak_bytes: a.memory.peak_activation_bytes,
            memory_training_bytes: a.memory.training_bytes_per_image,
            cio: a.traffic.cio,
            mac: a.traffic.mac,
            concat_copy_volume: a.traffic.concat_copy_volume,
            dup_ratio_copy: a.gradient.copy.ratio,
            dup_ratio_channelwise: a.gradient.channelwise.ratio,
            log2_paths_to_input: a.gradient.log2_paths_to_input,
            log2_max_paths_weighted: a.gradient.log2_max_paths_weighted,
        }
    }

    /// (json key, label, value, unit kind) rows, in README order.
    fn rows(&self) -> Vec<(&'static str, &'static str, Option<f64>, Unit)> {
        vec![
            (
                "params",
                "Parameters",
                Some(self.params as f64),
                Unit::Millions,
            ),
            (
                "conv_weights",
                "#Parameter (conv weights)",
                Some(self.conv_weights as f64),
                Unit::Millions,
            ),
            (
                "total_bflops",
                "BFLOPs",
                Some(self.total_bflops),
                Unit::Plain,
            ),
            (
                "memory_naive_bytes",
                "Memory, darknet allocation",
                Some(self.memory_naive_bytes as f64),
                Unit::Mib,
            ),
            (
                "memory_peak_bytes",
                "Memory, inference peak",
                Some(self.memory_peak_bytes as f64),
                Unit::Mib,
            ),
            (
                "memory_training_bytes",
                "Memory, training per image",
                Some(self.memory_training_bytes as f64),
                Unit::Mib,
            ),
            ("cio", "CIO (values)", Some(self.cio as f64), Unit::Millions),
            ("mac", "MAC (values)", Some(self.mac as f64), Unit::Millions),
            (
                "concat_copy_volume",
                "Concat copies (values)",
                Some(self.concat_copy_volume as f64),
                Unit::Millions,
            ),
            (
                "dup_ratio_copy",
                "Gradient duplication D/T, copy",
                Some(self.dup_ratio_copy),
                Unit::Ratio,
            ),
            (
                "dup_ratio_channelwise",
                "Gradient duplication D/T, channelwise",
                Some(self.dup_ratio_channelwise),
                Unit::Ratio,
            ),
            (
                "log2_paths_to_input",
                "log2 gradient paths to the image",
                self.log2_paths_to_input,
                Unit::Plain,
            ),
            (
                "log2_max_paths_weighted",
                "log2 max paths of a weighted layer",
                self.log2_max_paths_weighted,
                Unit::Plain,
            ),
        ]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Millions,
    Mib,
    Ratio,
    Plain,
}

fn show(v: Option<f64>, unit: Unit) -> String {
    let Some(v) = v else { return "–".into() };
    match unit {
        Unit::Millions => format!("{:.2}M", v / 1e6),
        Unit::Mib => crate::units::bytes(v as u64),
        Unit::Ratio => format!("{:.1}%", v * 100.0),
        Unit::Plain => format!("{v:.3}"),
    }
}

/// The comparison as display rows: (label, baseline, compared, the compared side's change
/// against the baseline), formatted as the `compare` table prints them; pass the pair
/// through [`oriented`] to put a CSP network on the compared side.
pub fn compare_rows(a: &Analysis, b: &Analysis) -> Vec<[String; 4]> {
    let (sa, sb) = (Summary::of(a), Summary::of(b));
    sa.rows()
        .into_iter()
        .zip(sb.rows())
        .map(|((_, label, va, unit), (_, _, vb, _))| {
            [
                label.to_string(),
                show(va, unit),
                show(vb, unit),
                show_delta(delta(va, vb)).trim().to_string(),
            ]
        })
        .collect()
}

/// B's change against A in percent (`None` when A is 0 or either is missing).
fn delta(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if a != 0.0 => Some((b - a) / a * 100.0),
        _ => None,
    }
}

fn show_delta(d: Option<f64>) -> String {
    match d {
        None => String::new(),
        Some(d) if d.abs() < 0.5 => " (=)".into(),
        Some(d) if d > 0.0 => format!(" (+{d:.0}%)"),
        Some(d) => format!(" (−{:.0}%)", d.abs()),
    }
}

/// One resolution's figures in one network.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StageFigures {
    /// BFLOPs of the layers at this resolution.
    pub bflops: f64,
    /// Parameters of those layers.
    pub params: u64,
    /// D/T of those layers, `copy`.
    pub dup_ratio_copy: f64,
    /// D/T, `channelwise`.
    pub dup_ratio_channelwise: f64,
}

/// Stages of A and B with the same output resolution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageRow {
    /// Output width.
    pub width: usize,
    /// Output height.
    pub height: usize,
    /// A's figures, if A has layers at this resolution.
    pub a: Option<StageFigures>,
    /// B's figures.
    pub b: Option<StageFigures>,
}

fn stage_figures(a: &Analysis, w: usize, h: usize) -> Option<StageFigures> {
    let stages: Vec<_> = a
        .gradient
        .stages
        .iter()
        .filter(|s| s.width == w && s.height == h)
        .collect();
    if stages.is_empty() {
        return None;
    }
    let ratio =
        |pick: fn(&crate::profile::gradient::Stage) -> crate::profile::gradient::StageDup| {
            let (d, t) = stages.iter().fold((0.0, 0u64), |(d, t), s| {
                (d + pick(s).dup_volume, t + pick(s).total_volume)
            });
            if t == 0 { 0.0 } else { d / t as f64 }
        };
    Some(StageFigures {
        bflops: stages.iter().map(|s| s.bflops).sum(),
        params: stages.iter().map(|s| s.params).sum(),
        dup_ratio_copy: ratio(|s| s.copy),
        dup_ratio_channelwise: ratio(|s| s.channelwise),
    })
}

/// Aligns the two networks' stages by output resolution, largest first.
pub fn stage_rows(a: &Analysis, b: &Analysis) -> Vec<StageRow> {
    let mut res: Vec<(usize, usize)> = Vec::new();
    for s in a.gradient.stages.iter().chain(&b.gradient.stages) {
        if !res.contains(&(s.width, s.height)) {
            res.push((s.width, s.height));
        }
    }
    res.sort_by_key(|&(w, h)| std::cmp::Reverse(w * h));
    res.into_iter()
        .map(|(w, h)| StageRow {
            width: w,
            height: h,
            a: stage_figures(a, w, h),
            b: stage_figures(b, w, h),
        })
        .collect()
}

/// Which network is compared against which: when exactly one of the two has CSP stages, it
/// is the CSP side and the other its baseline, whichever slot it was given in. Returns
/// (baseline, compared, whether the slots were swapped).
pub fn oriented<'x>(a: &'x Analysis, b: &'x Analysis) -> (&'x Analysis, &'x Analysis, bool) {
    if !a.csp.stages.is_empty() && b.csp.stages.is_empty() {
        (b, a, true)
    } else {
        (a, b, false)
    }
}

/// The CSP side, if exactly one network has CSP stages: `Some(true)` when it is `b`.
fn csp_side(a: &Analysis, b: &Analysis) -> Option<bool> {
    match (a.csp.stages.is_empty(), b.csp.stages.is_empty()) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

/// One CSP stage of the compared side beside the baseline's layers at its resolution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CspStageRow {
    /// The stage's 1-based index.
    pub index: usize,
    /// The stage's label.
    pub label: String,
    /// Its output width.
    pub width: usize,
    /// Its output height.
    pub height: usize,
    /// The stage's own totals.
    pub csp: crate::profile::csp::StageTotals,
    /// The baseline's layers at that resolution.
    pub baseline: Option<StageFigures>,
}

/// The CSP stages of `csp` beside the baseline's figures at the same resolution.
pub fn csp_stage_rows(baseline: &Analysis, csp: &Analysis) -> Vec<CspStageRow> {
    csp.csp
        .stages
        .iter()
        .map(|s| CspStageRow {
            index: s.index,
            label: s.label(),
            width: s.resolution.width,
            height: s.resolution.height,
            csp: s.totals,
            baseline: stage_figures(baseline, s.resolution.width, s.resolution.height),
        })
        .collect()
}

/// The `compare --format json` document: `a` and `b` as given; `delta` is the compared side's
/// change against the baseline (B against A, unless A alone has CSP stages).
pub fn compare_json(a: &Analysis, b: &Analysis) -> Value {
    let (base, other, swapped) = oriented(a, b);
    let (sa, sb) = (Summary::of(base), Summary::of(other));
    let mut d = serde_json::Map::new();
    for ((key, _, va, _), (_, _, vb, _)) in sa.rows().into_iter().zip(sb.rows()) {
        d.insert(format!("{key}_pct"), json!(delta(va, vb)));
    }
    let slot = |is_b: bool| if is_b { "b" } else { "a" };
    json!({
        "a": Summary::of(a),
        "b": Summary::of(b),
        "baseline": slot(swapped),
        "csp_side": csp_side(a, b).map(slot),
        "delta": d,
        "stages": stage_rows(a, b),
        "csp_stages": csp_stage_rows(base, other),
    })
}

/// Renders the comparison.
pub fn render_compare(a: &Analysis, b: &Analysis, format: Format) -> String {
    if format == Format::Json {
        return serde_json::to_string_pretty(&compare_json(a, b)).unwrap_or_default() + "\n";
    }
    let (a, b, _) = oriented(a, b);
    let (sa, sb) = (Summary::of(a), Summary::of(b));
    let mut rows: Vec<[String; 3]> = vec![["metric".into(), sa.cfg.clone(), sb.cfg.clone()]];
    for ((_, label, va, unit), (_, _, vb, _)) in sa.rows().into_iter().zip(sb.rows()) {
        rows.push([
            label.into(),
            show(va, unit),
            format!("{}{}", show(vb, unit), show_delta(delta(va, vb))),
        ]);
    }
    let (first, second) = if csp_side(a, b).is_some() {
        ("baseline", "CSP")
    } else {
        ("A", "B")
    };
    let mut stage_table: Vec<[String; 3]> = vec![[
        "stage W×H".into(),
        format!("{first}: BFLOPs, params, D/T copy/chw"),
        second.into(),
    ]];
    for r in stage_rows(a, b) {
        let cell = |f: Option<StageFigures>| {
            f.map_or("–".into(), |f| {
                format!(
                    "{:.3}, {:.2}M, {:.1}%/{:.1}%",
                    f.bflops,
                    f.params as f64 / 1e6,
                    f.dup_ratio_copy * 100.0,
                    f.dup_ratio_channelwise * 100.0
                )
            })
        };
        stage_table.push([format!("{}×{}", r.width, r.height), cell(r.a), cell(r.b)]);
    }
    let mut out = String::new();
    if csp_side(a, b).is_some() && format == Format::Table {
        out += &format!(
            "CSP side: {} ({} CSP stages); baseline: {}\n\n",
            b.path,
            b.csp.stages.len(),
            a.path
        );
    }
    out += &table(&rows, format);
    out.push('\n');
    out += &table(&stage_table, format);
    if !b.csp.stages.is_empty() {
        out.push('\n');
        out += &table(&csp_stage_table(a, b), format);
    }
    out
}

fn figures_cell(bflops: f64, params: u64, copy: f64, chw: f64) -> String {
    format!(
        "{bflops:.3}, {:.2}M, {:.1}%/{:.1}%",
        params as f64 / 1e6,
        copy * 100.0,
        chw * 100.0
    )
}

fn csp_stage_table(base: &Analysis, csp: &Analysis) -> Vec<[String; 3]> {
    let mut rows: Vec<[String; 3]> = vec![[
        "CSP stage".into(),
        "CSP: BFLOPs, params, D/T copy/chw".into(),
        "baseline at that resolution".into(),
    ]];
    for r in csp_stage_rows(base, csp) {
        let t = r.csp;
        rows.push([
            format!("{} {}×{}", r.index, r.width, r.height),
            figures_cell(
                t.bflops,
                t.params,
                t.dup_ratio_copy,
                t.dup_ratio_channelwise,
            ),
            r.baseline.map_or("–".into(), |f| {
                figures_cell(
                    f.bflops,
                    f.params,
                    f.dup_ratio_copy,
                    f.dup_ratio_channelwise,
                )
            }),
        ]);
    }
    rows
}

fn table(rows: &[[String; 3]], format: Format) -> String {
    match format {
        Format::Csv => rows
            .iter()
            .map(|r| r.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(",") + "\n")
            .collect(),
        Format::Md => {
            let mut out = String::new();
            for (i, r) in rows.iter().enumerate() {
                out += &format!("| {} |\n", r.join(" | "));
                if i == 0 {
                    out += "|---|---:|---:|\n";
                }
            }
            out
        }
        Format::Table | Format::Json => {
            let widths: Vec<usize> = (0..3)
                .map(|k| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0))
                .collect();
            rows.iter()
                .map(|r| {
                    let pad = |k: usize| " ".repeat(widths[k] - r[k].chars().count());
                    format!(
                        "{}{}  {}{}  {}{}\n",
                        r[0],
                        pad(0),
                        pad(1),
                        r[1],
                        pad(2),
                        r[2]
                    )
                })
                .collect()
        }
    }
}

fn csv_cell(c: &str) -> String {
    if c.contains(',') || c.contains('"') {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c.to_string()
    }
}
