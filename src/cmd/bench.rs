//! `csplens bench`: forward and end-to-end times of one network on a backend, per layer too.

use super::model;
use anyhow::Result;
use csplens::args::{BenchArgs, DetectFormat};
use csplens::detect::run::Detector;
use csplens::detect::{Params, image};
use csplens::limits::Limits;
use serde_json::json;
use std::time::Instant;

fn stats(mut v: Vec<f64>) -> serde_json::Value {
    v.sort_by(f64::total_cmp);
    let median = if v.is_empty() { 0.0 } else { v[v.len() / 2] };
    json!({"median": median, "min": v.first().copied().unwrap_or(0.0), "max": v.last().copied().unwrap_or(0.0)})
}

/// With `--batch N` (N > 1): the median time of a batch of N copies of the image in one pass,
/// and the images per second it makes.
fn batch_times(
    detector: &Detector,
    bytes: &[u8],
    caps: &Limits,
    args: &BenchArgs,
) -> Result<serde_json::Value> {
    if args.batch <= 1 {
        return Ok(serde_json::Value::Null);
    }
    let im = image::decode_limited(bytes, caps.max_image_pixels)?;
    let input = detector.input(&im);
    let mut times = Vec::new();
    for run in 0..=args.runs {
        let ready = vec![(im.clone(), input.clone()); args.batch];
        let t = Instant::now();
        detector.batch(ready)?;
        if run > 0 {
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let ms = stats(times);
    let median = ms["median"].as_f64().unwrap_or(f64::INFINITY);
    Ok(json!({"size": args.batch, "ms": ms, "images_per_s": args.batch as f64 / median * 1e3}))
}

/// Runs the benchmark; the error is the text to print.
pub fn run(args: &BenchArgs, caps: &Limits) -> Result<String, String> {
    bench(args, caps).map_err(|e| format!("error: {e:#}"))
}

fn bench(args: &BenchArgs, caps: &Limits) -> Result<String> {
    let (analysis, weights, bytes) = model::load(&args.model, caps)?;
    let net = model::runner(
        args.backend,
        args.precision,
        args.threads,
        &analysis,
        &weights,
    )?;
    let n = analysis.network.layers.len();
    let (mut forward, mut end_to_end, mut per_layer) =
        (Vec::new(), Vec::new(), vec![Vec::new(); n]);
    let detector = Detector::new(&analysis, &net, Params::default(), &[]);
    let layered = detector.timing_layers();
    for run in 0..=args.runs {
        let t = Instant::now();
        let found = detector.bytes(&bytes, caps.max_image_pixels)?;
        let took = t.elapsed();
        if run > 0 {
            forward.push(found.timings.forward.as_secs_f64() * 1e3);
            end_to_end.push(took.as_secs_f64() * 1e3);
            // the CPU times its layers anyway; the GPU then submits layer by layer
            let timed = if net.name() == "cpu" {
                found.forward
            } else {
                layered.image(found.image)?.forward
            };
            for (i, ms) in timed.layer_ms.iter().enumerate() {
                per_layer[i].push(*ms);
            }
        }
    }
    let batch = batch_times(&detector, &bytes, caps, args)?;
    let per_layer_ms: Vec<f64> = per_layer
        .into_iter()
        .map(|v| stats(v)["median"].as_f64().unwrap_or(0.0))
        .collect();
    let single = stats(forward.clone());
    let images_per_s = 1e3 / single["median"].as_f64().unwrap_or(f64::INFINITY);
    let doc = json!({
        "backend": net.name(),
        "device": net.device(),
        "images_per_s": images_per_s,
        "batch": batch,
        "forward_ms": stats(forward),
        "end_to_end_ms": stats(end_to_end),
        "per_layer_ms": per_layer_ms,
    });
    Ok(match args.format {
        DetectFormat::Json => serde_json::to_string_pretty(&doc)? + "\n",
        DetectFormat::Table => {
            // numbers as f64: a JSON value prints every digit whatever the format asks
            let num = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
            let f = &doc["forward_ms"];
            let e = &doc["end_to_end_ms"];
            let mut out = format!(
                "backend {} ({}), {} runs\nforward     median {:8.2} ms  min {:8.2}  max {:8.2}\nend-to-end  median {:8.2} ms  min {:8.2}  max {:8.2}\n",
                net.name(),
                net.device(),
                args.runs,
                num(&f["median"]),
                num(&f["min"]),
                num(&f["max"]),
                num(&e["median"]),
                num(&e["min"]),
                num(&e["max"])
            );
            out += &format!("batch 1     {images_per_s:8.1} images/s\n");
            if let Some(b) = doc["batch"].as_object() {
                out += &format!(
                    "batch {:<5} {:8.1} images/s (median {:.2} ms per batch)\n",
                    num(&b["size"]),
                    num(&b["images_per_s"]),
                    num(&b["ms"]["median"])
                );
            }
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
