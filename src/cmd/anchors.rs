//! `csplens anchors`: anchors from a dataset's training labels, with the masks a cfg's heads
//! would take and (with --apply) written into the cfg by the doctor's line edits.

use anyhow::{Context as _, Result};
use csplens::args::{AnchorsArgs, DetectFormat, render_load};
use csplens::eval::anchors::{anchors, avg_iou, label_sizes, masks};
use csplens::eval::misses::Geometry;
use csplens::limits::Limits;
use serde_json::json;

/// k-means restarts (each from other random sizes); the best avg IoU is kept.
const RESTARTS: usize = 20;

/// Computes; the error is the text to print.
pub fn run(args: &AnchorsArgs, caps: &Limits) -> Result<String, String> {
    compute(args, caps).map_err(|e| format!("error: {e:#}"))
}

fn compute(args: &AnchorsArgs, caps: &Limits) -> Result<String> {
    let data = csplens::eval::DataFile::read(&args.data)?;
    let (geometry, text) = match &args.cfg {
        Some(cfg) => {
            let a = csplens::analyze_file(cfg, Default::default(), caps)
                .map_err(|e| anyhow::Error::msg(render_load(&e)))?;
            let g = Geometry::of(&a).context("the cfg has no [yolo] head to give anchors to")?;
            (Some(g), Some(a.source))
        }
        None => (None, None),
    };
    let width = args
        .width
        .or(geometry.as_ref().map(|g| g.net_w))
        .unwrap_or(416);
    let height = args
        .height
        .or(geometry.as_ref().map(|g| g.net_h))
        .unwrap_or(416);
    let num = args
        .num
        .or(geometry.as_ref().map(|g| g.anchors.len()))
        .unwrap_or(9);
    anyhow::ensure!(num > 0, "--num: at least one anchor");
    let sizes = label_sizes(&data, width, height)?;
    anyhow::ensure!(
        !sizes.is_empty(),
        "no labels in the train list of {}",
        args.data.display()
    );
    let found = anchors(&sizes, num, RESTARTS, 1);
    let iou = avg_iou(&sizes, &found);
    let current = geometry.as_ref().map(|g| avg_iou(&sizes, &g.anchors));
    let strides: Vec<usize> = geometry
        .iter()
        .flat_map(|g| g.heads.iter().map(|h| h.1))
        .collect();
    let head_masks = geometry.as_ref().map(|_| masks(&strides, found.len()));
    let out = match args.format {
        DetectFormat::Json => {
            let mut doc = json!({
                "anchors": found.iter().map(|(w, h)| [w, h]).collect::<Vec<_>>(),
                "avg_iou": iou,
            });
            // the last two only with --cfg, as the shape has them
            if let (Some(c), Some(m)) = (current, &head_masks) {
                doc["current_avg_iou"] = json!(c);
                doc["masks"] = json!(m);
            }
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        DetectFormat::Table => table(
            &found,
            iou,
            current,
            head_masks.as_deref(),
            sizes.len(),
            (width, height),
        ),
    };
    if args.apply
        && let (Some(text), Some(m)) = (&text, &head_masks)
    {
        // on stderr: stdout stays the table or the JSON document
        eprint!("{}", apply(args, text, &found, m)?);
    }
    Ok(out)
}

fn table(
    found: &[(f32, f32)],
    iou: f32,
    current: Option<f32>,
    masks: Option<&[Vec<usize>]>,
    labels: usize,
    (w, h): (usize, usize),
) -> String {
    let list: Vec<String> = found.iter().map(|(w, h)| format!("{w:3},{h:3}")).collect();
    let mut out = format!(
        " {labels} labels at {w}×{h}: avg IoU = {:.2} % \nanchors = {}\n",
        iou * 100.0,
        list.join(", ")
    );
    if let Some(c) = current {
        out += &format!(" the cfg's anchors: avg IoU = {:.2} %\n", c * 100.0);
    }
    for (k, m) in masks.unwrap_or_default().iter().enumerate() {
        let m: Vec<String> = m.iter().map(usize::to_string).collect();
        out += &format!(" head {}: mask = {}\n", k + 1, m.join(","));
    }
    out
}

/// Writes the anchors into the cfg: the doctor's edits, checked to lint without errors.
fn apply(args: &AnchorsArgs, text: &str, found: &[(f32, f32)], m: &[Vec<usize>]) -> Result<String> {
    let cfg = args.cfg.as_ref().context("--apply needs --cfg")?;
    let fixed = csplens::doctor::set_anchors(text, found, m)?;
    let name = cfg.display().to_string();
    let check = csplens::doctor::lint(&name, &fixed.text, &Default::default());
    anyhow::ensure!(
        !check.has_errors(),
        "the cfg with these anchors still has errors; nothing written\n{}",
        csplens::doctor::lint_table(&check)
    );
    let target = match (&args.output, args.in_place) {
        (Some(out), _) => out.clone(),
        (None, true) => {
            let bak = super::doctor_fix::backup_path(cfg);
            csplens::files::write_atomic(&bak, text.as_bytes()).map_err(anyhow::Error::msg)?;
            cfg.clone()
        }
        (None, false) => {
            anyhow::bail!("--apply: say where the cfg goes: -o OUT or --in-place (keeps CFG.bak)")
        }
    };
    csplens::files::write_atomic(&target, fixed.text.as_bytes()).map_err(anyhow::Error::msg)?;
    Ok(format!(
        "wrote {}: {}\n",
        target.display(),
        fixed.changes.join("; ")
    ))
}
