//! `csplens anchors`: anchors from a dataset's training labels, with the masks a cfg's heads
//! would take and (with --apply) written into the cfg by the doctor's line edits.

use anyhow::{Context as _, Result};
use csplens::args::{AnchorsArgs, DetectFormat, render_load};
use csplens::eval::misses::Geometry;
use csplens::eval::propose::{Ask, Proposal, ProposeError, propose};
use csplens::limits::Limits;
use serde_json::json;

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
    let ask = Ask {
        width: args.width,
        height: args.height,
        num: args.num,
    };
    let p = propose(&data, geometry.as_ref(), ask).map_err(|e| {
        if matches!(e, ProposeError::NoAnchors) {
            anyhow::anyhow!("--num: at least one anchor")
        } else {
            e.into()
        }
    })?;
    let out = match args.format {
        DetectFormat::Json => {
            let mut doc = json!({
                "anchors": p.anchors.iter().map(|(w, h)| [w, h]).collect::<Vec<_>>(),
                "avg_iou": p.avg_iou,
            });
            // the last two only with --cfg, as the shape has them
            if let (Some(c), Some(m)) = (p.current_avg_iou, &p.masks) {
                doc["current_avg_iou"] = json!(c);
                doc["masks"] = json!(m);
            }
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        DetectFormat::Table => table(&p),
    };
    if args.apply
        && let (Some(text), Some(m)) = (&text, &p.masks)
    {
        // on stderr: stdout stays the table or the JSON document
        eprint!("{}", apply(args, text, &p.anchors, m)?);
    }
    Ok(out)
}

fn table(p: &Proposal) -> String {
    let list: Vec<String> = (p.anchors.iter())
        .map(|(w, h)| format!("{w:3},{h:3}"))
        .collect();
    let (w, h) = p.size;
    let mut out = format!(
        " {} labels at {w}×{h}: avg IoU = {:.2} % \nanchors = {}\n",
        p.labels,
        p.avg_iou * 100.0,
        list.join(", ")
    );
    if let Some(c) = p.current_avg_iou {
        out += &format!(" the cfg's anchors: avg IoU = {:.2} %\n", c * 100.0);
    }
    for (k, m) in p.masks.iter().flatten().enumerate() {
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
