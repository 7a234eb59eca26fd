//! `csplens detect`: cfg + weights + image → detections printed as a table or JSON.

use crate::cli::load;
use anyhow::{Context as _, Result};
use csplens::Analysis;
use csplens::args::{BenchArgs, DetectArgs, DetectFormat, ModelArgs};
use csplens::backend::Runner;
use csplens::detect::{self, Params, image};
use csplens::shape::InputOverride;
use csplens::weights::Weights;
use serde_json::json;
use std::time::Instant;

/// Loads everything and runs one detection; the error is the text to print.
pub fn run(args: &DetectArgs) -> Result<String, String> {
    detect(args).map_err(|e| format!("error: {e:#}"))
}

/// Reads the cfg, its weights (warnings to stderr) and the image file's bytes.
fn load_model(m: &ModelArgs) -> Result<(Analysis, Weights, Vec<u8>)> {
    let analysis = load(&m.cfg, InputOverride::default()).map_err(anyhow::Error::msg)?;
    let weights = csplens::weights::read(&m.weights, &analysis.network, &analysis.shapes)
        .with_context(|| format!("{}", m.weights.display()))?;
    for w in &weights.warnings {
        eprintln!("warning: {}: {w}", m.weights.display());
    }
    let bytes =
        std::fs::read(&m.image).with_context(|| format!("cannot read {}", m.image.display()))?;
    Ok((analysis, weights, bytes))
}

fn detect(args: &DetectArgs) -> Result<String> {
    let (analysis, weights, bytes) = load_model(&args.model)?;
    let im = image::decode_limited(&bytes, crate::cli::limits().max_image_pixels)
        .with_context(|| format!("{}", args.model.image.display()))?;
    let names = match &args.names {
        Some(p) => detect::parse_names(
            &std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
        ),
        None => Vec::new(),
    };
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    let (net, chosen) = Runner::new(args.backend.into(), &analysis, &weights, threads)
        .context("preparing the backend")?;
    eprintln!("{chosen}");
    let input = detect::network_input(&analysis, &im);
    let fwd = net.forward(&input).context("running the network")?;
    let params = Params {
        thresh: args.thresh,
        ..Params::default()
    };
    let dets = detect::detect(&analysis, &fwd, im.w, im.h, &params, &names);
    if let Some(out) = &args.save {
        crate::draw::save_annotated(&im, &dets, out)?;
    }
    Ok(match args.format {
        DetectFormat::Json => {
            let doc = json!({"image": {"width": im.w, "height": im.h}, "detections": dets});
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        DetectFormat::Table => {
            let mut out = String::new();
            for d in &dets {
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

fn stats(mut v: Vec<f64>) -> serde_json::Value {
    v.sort_by(f64::total_cmp);
    let median = if v.is_empty() { 0.0 } else { v[v.len() / 2] };
    json!({"median": median, "min": v.first().copied().unwrap_or(0.0), "max": v.last().copied().unwrap_or(0.0)})
}

/// Runs the benchmark; the error is the text to print.
pub fn bench(args: &BenchArgs) -> Result<String, String> {
    bench_inner(args).map_err(|e| format!("error: {e:#}"))
}

fn bench_inner(args: &BenchArgs) -> Result<String> {
    let (analysis, weights, bytes) = load_model(&args.model)?;
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    let (net, chosen) = Runner::new(args.backend.into(), &analysis, &weights, threads)
        .context("preparing the backend")?;
    eprintln!("{chosen}");
    let n = analysis.network.layers.len();
    let (mut forward, mut end_to_end, mut per_layer) =
        (Vec::new(), Vec::new(), vec![Vec::new(); n]);
    for run in 0..=args.runs {
        let t0 = Instant::now();
        let im = image::decode_limited(&bytes, crate::cli::limits().max_image_pixels)?;
        let input = detect::network_input(&analysis, &im);
        let t1 = Instant::now();
        let fwd = net.forward(&input)?;
        let t2 = Instant::now();
        let _ = detect::detect(&analysis, &fwd, im.w, im.h, &Params::default(), &[]);
        let t3 = Instant::now();
        if run > 0 {
            forward.push((t2 - t1).as_secs_f64() * 1e3);
            end_to_end.push((t3 - t0).as_secs_f64() * 1e3);
            let timed = if net.name() == "cpu" {
                fwd
            } else {
                net.forward_timed(&input)?
            };
            for (i, ms) in timed.layer_ms.iter().enumerate() {
                per_layer[i].push(*ms);
            }
        }
    }
    let per_layer_ms: Vec<f64> = per_layer
        .into_iter()
        .map(|v| stats(v)["median"].as_f64().unwrap_or(0.0))
        .collect();
    let doc = json!({
        "backend": net.name(),
        "device": net.device(),
        "forward_ms": stats(forward),
        "end_to_end_ms": stats(end_to_end),
        "per_layer_ms": per_layer_ms,
    });
    Ok(match args.format {
        DetectFormat::Json => serde_json::to_string_pretty(&doc)? + "\n",
        DetectFormat::Table => {
            let f = &doc["forward_ms"];
            let e = &doc["end_to_end_ms"];
            let mut out = format!(
                "backend {} ({}), {} runs\nforward     median {:8.2} ms  min {:8.2}  max {:8.2}\nend-to-end  median {:8.2} ms  min {:8.2}  max {:8.2}\n",
                net.name(),
                net.device(),
                args.runs,
                f["median"],
                f["min"],
                f["max"],
                e["median"],
                e["min"],
                e["max"]
            );
            for (i, ms) in per_layer_ms.iter().enumerate() {
                out += &format!(
                    "{i:4} {:<16} {ms:8.3} ms\n",
                    analysis.network.layers[i].kind.type_name()
                );
            }
            out
        }
    })
}
