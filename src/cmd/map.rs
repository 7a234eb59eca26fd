//! `csplens map`: a network's accuracy on a `.data` file's validation images, in darknet's
//! `detector map` lines (then the mean over labelled classes) or as JSON; one shard of a
//! split run (`--shard i/N --raw OUT`), or the merge of the shards (`--merge RAW…`).

use super::model;
use anyhow::{Context as _, Result};
use csplens::args::{DetectFormat, MapArgs, render_load};
use csplens::eval::run::{EvalOptions, Evaluation, evaluate};
use csplens::eval::{report, shard};
use csplens::limits::Limits;
use std::path::{Path, PathBuf};

/// Evaluates; the error is the text to print.
pub fn run(args: &MapArgs, caps: &Limits) -> Result<String, String> {
    map(args, caps).map_err(|e| format!("error: {e:#}"))
}

fn map(args: &MapArgs, caps: &Limits) -> Result<String> {
    anyhow::ensure!(
        matches!(args.points, 0 | 2..),
        "--points: 0 (area under the curve), or 2 and more recall points (11, 101)"
    );
    let (e, cfg, weights) = if args.merge.is_empty() {
        evaluated(args, caps)?
    } else {
        (
            merged(&args.merge, args.points)?,
            String::new(),
            String::new(),
        )
    };
    for w in &e.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(out) = &args.raw {
        let raw = shard::raw(&e, args.shard.unwrap_or((0, 1)));
        csplens::files::write_atomic(out, serde_json::to_string(&raw)?.as_bytes())
            .map_err(anyhow::Error::msg)?;
        eprintln!("wrote {}", out.display());
    }
    let (iou_thresh, thresh) = (e.params.iou_thresh, e.params.thresh);
    Ok(match args.format {
        DetectFormat::Table => {
            report::table(&e.result, iou_thresh, thresh) + &report::coco_table(&e.coco)
        }
        DetectFormat::Json => {
            let doc = report::json(&e, &cfg, &weights, iou_thresh, thresh);
            serde_json::to_string_pretty(&doc)? + "\n"
        }
    })
}

/// A run of the network on the `.data` file's validation list (or one shard of it).
fn evaluated(args: &MapArgs, caps: &Limits) -> Result<(Evaluation, String, String)> {
    let need = |p: &Option<PathBuf>, flag: &str| {
        p.clone()
            .with_context(|| format!("{flag} is required (or --merge)"))
    };
    let (data, cfg, weights) = (
        need(&args.data, "--data")?,
        need(&args.cfg, "--cfg")?,
        need(&args.weights, "--weights")?,
    );
    let data = csplens::eval::DataFile::read(&data)?;
    let analysis = csplens::analyze_file(&cfg, Default::default(), caps)
        .map_err(|e| anyhow::Error::msg(render_load(&e)))?;
    let w = csplens::weights::read(&weights, &analysis.network, &analysis.shapes)
        .with_context(|| format!("{}", weights.display()))?;
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    let net = model::runner(args.backend, args.precision, Some(threads), &analysis, &w)?;
    let options = EvalOptions {
        points: args.points,
        iou_thresh: args.iou_thresh,
        thresh: args.thresh,
        batch: args.batch.max(1),
        decoders: (threads / 2).max(1),
        max_pixels: caps.max_image_pixels,
        shard: args.shard,
    };
    let bar = super::detect_many::progress(None);
    let e = evaluate(&analysis, &net, &data, &options, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        true
    })?;
    bar.finish_and_clear();
    eprintln!(
        "{} images in {:.2} s ({:.1} images/s)",
        e.result.images,
        e.wall.as_secs_f64(),
        e.images_per_s()
    );
    let shown = |p: &Path| p.display().to_string();
    Ok((e, shown(&cfg), shown(&weights)))
}

/// The shards' raw files merged.
fn merged(files: &[PathBuf], points: usize) -> Result<Evaluation> {
    let mut raws = Vec::with_capacity(files.len());
    for f in files {
        let name = f.display().to_string();
        let text = std::fs::read_to_string(f).with_context(|| format!("cannot read {name}"))?;
        raws.push((name.clone(), shard::parse(&name, &text)?));
    }
    Ok(shard::merge(&raws, points)?)
}
