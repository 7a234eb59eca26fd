//! `csplens map`: a network's accuracy on a `.data` file's validation images, in darknet's
//! `detector map` lines (then the mean over labelled classes) or as JSON.

use super::model;
use anyhow::{Context as _, Result};
use csplens::args::{DetectFormat, MapArgs, render_load};
use csplens::eval::report;
use csplens::eval::run::{EvalOptions, evaluate};
use csplens::limits::Limits;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal as _;

/// Evaluates; the error is the text to print.
pub fn run(args: &MapArgs, caps: &Limits) -> Result<String, String> {
    map(args, caps).map_err(|e| format!("error: {e:#}"))
}

fn map(args: &MapArgs, caps: &Limits) -> Result<String> {
    anyhow::ensure!(
        matches!(args.points, 0 | 2..),
        "--points: 0 (area under the curve), or 2 and more recall points (11, 101)"
    );
    let data = csplens::eval::DataFile::read(&args.data)?;
    let analysis = csplens::analyze_file(&args.cfg, Default::default(), caps)
        .map_err(|e| anyhow::Error::msg(render_load(&e)))?;
    let weights = csplens::weights::read(&args.weights, &analysis.network, &analysis.shapes)
        .with_context(|| format!("{}", args.weights.display()))?;
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    let net = model::runner(
        args.backend,
        args.precision,
        Some(threads),
        &analysis,
        &weights,
    )?;
    let options = EvalOptions {
        points: args.points,
        iou_thresh: args.iou_thresh,
        thresh: args.thresh,
        batch: args.batch.max(1),
        decoders: (threads / 2).max(1),
        max_pixels: caps.max_image_pixels,
    };
    let bar = progress();
    let e = evaluate(&analysis, &net, &data, &options, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    for w in &e.warnings {
        eprintln!("warning: {w}");
    }
    eprintln!(
        "{} images in {:.2} s ({:.1} images/s)",
        e.result.images,
        e.wall.as_secs_f64(),
        e.images_per_s()
    );
    Ok(match args.format {
        DetectFormat::Table => report::table(&e.result, args.iou_thresh, args.thresh),
        DetectFormat::Json => {
            let doc = report::json(
                &e,
                &args.cfg.display().to_string(),
                &args.weights.display().to_string(),
                args.iou_thresh,
                args.thresh,
            );
            serde_json::to_string_pretty(&doc)? + "\n"
        }
    })
}

/// A bar on the terminal (hidden when stdout is not one).
fn progress() -> ProgressBar {
    let target = if std::io::stdout().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(None, target);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} images, {per_sec}") {
        bar.set_style(style);
    }
    bar
}
