//! `csplens detect`: cfg + weights + image → detections printed as a table or JSON.

use super::{draw, model};
use anyhow::{Context as _, Result};
use csplens::args::{DetectArgs, DetectFormat};
use csplens::detect::run::Detector;
use csplens::detect::{self, Params};
use csplens::limits::Limits;
use serde_json::json;

/// Loads everything and runs one detection; the error is the text to print.
pub fn run(args: &DetectArgs, caps: &Limits) -> Result<String, String> {
    detect(args, caps).map_err(|e| format!("error: {e:#}"))
}

fn detect(args: &DetectArgs, caps: &Limits) -> Result<String> {
    let (analysis, weights, bytes) = model::load(&args.model, caps)?;
    let names = match &args.names {
        Some(p) => detect::parse_names(
            &std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
        ),
        None => Vec::new(),
    };
    let net = model::runner(
        args.backend,
        args.precision,
        args.threads,
        &analysis,
        &weights,
    )?;
    let params = Params {
        thresh: args.thresh,
        ..Params::default()
    };
    let detector = Detector::new(&analysis, &net, params, &names);
    let found = detector
        .bytes(&bytes, caps.max_image_pixels)
        .with_context(|| {
            let image = args.model.image.as_deref();
            format!(
                "{}",
                image.unwrap_or(std::path::Path::new("image")).display()
            )
        })?;
    let (im, dets) = (&found.image, &found.detections);
    if let Some(out) = &args.save {
        draw::save_annotated(im, dets, out)?;
    }
    Ok(match args.format {
        DetectFormat::Json => {
            let doc = json!({"image": {"width": im.w, "height": im.h}, "detections": dets});
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        DetectFormat::Table => {
            let mut out = String::new();
            for d in dets {
                let b = d.bbox;
                out += &format!(
                    "{}: {:.0}%\t(left_x: {:4.0}   top_y: {:4.0}   width: {:4.0}   height: {:4.0})\n",
                    d.class,
                    d.confidence * 100.0,
                    b.left,
                    b.top,
                    b.width,
                    b.height
                );
            }
            out
        }
    })
}
