//! `csplens export`: the network with its weights written as an ONNX model (atomically).

use anyhow::{Context as _, Result};
use csplens::args::{ExportArgs, ExportDecode, render_load};
use csplens::export::{Decode, ExportOptions, export};
use csplens::limits::Limits;
use std::time::Instant;

/// Exports; the error is the text to print.
pub fn run(args: &ExportArgs, caps: &Limits) -> Result<String, String> {
    write(args, caps).map_err(|e| format!("error: {e:#}"))
}

fn write(args: &ExportArgs, caps: &Limits) -> Result<String> {
    let started = Instant::now();
    let a = csplens::analyze_file(&args.cfg, Default::default(), caps)
        .map_err(|e| anyhow::Error::msg(render_load(&e)))?;
    let w = csplens::weights::read(&args.weights, &a.network, &a.shapes)
        .with_context(|| format!("{}", args.weights.display()))?;
    let options = ExportOptions {
        decode: match args.decode {
            ExportDecode::Boxes => Decode::Boxes,
            ExportDecode::Raw => Decode::Raw,
        },
        batch: args.batch,
        opset: args.opset,
    };
    let bytes = export(&a, &w, &options).with_context(|| format!("{}", args.cfg.display()))?;
    csplens::files::write_atomic(&args.output, &bytes).map_err(anyhow::Error::msg)?;
    let mut out = format!(
        "wrote {}: {} (opset {}, {:.2} s)\n",
        args.output.display(),
        csplens::units::bytes(bytes.len() as u64),
        args.opset,
        started.elapsed().as_secs_f64()
    );
    if let Some(image) = &args.check {
        out += &check(&bytes, &a, &w, image, &options)?;
    }
    Ok(out)
}

/// The largest relative difference `--check` accepts (the export tests' tolerance).
#[cfg(feature = "onnx-check")]
const TOLERANCE: f32 = 1e-4;

/// `--check IMAGE`: the written file in tract against the CPU backend, a line per head; an
/// error when a head differs by more than [`TOLERANCE`] of its largest magnitude.
#[cfg(feature = "onnx-check")]
fn check(
    bytes: &[u8],
    a: &csplens::Analysis,
    w: &csplens::weights::Weights,
    image: &std::path::Path,
    o: &ExportOptions,
) -> Result<String> {
    use std::fmt::Write as _;
    let data = std::fs::read(image).with_context(|| format!("{}", image.display()))?;
    let im =
        csplens::detect::image::decode(&data).with_context(|| format!("{}", image.display()))?;
    let input = csplens::detect::network_input(a, &im);
    let checks = csplens::export::check::check(bytes, a, w, &input, o)?;
    let mut out = format!(
        "check on {}: the file run by tract against csplens's CPU backend\n",
        image.display()
    );
    for c in &checks {
        let l = &a.network.layers[c.layer];
        let s = a.shapes.layers[c.layer].input;
        let _ = writeln!(
            out,
            "  layer {} [{}] {}×{}: largest difference {:.3e} = {:.3e} × its largest magnitude {:.4}",
            c.layer,
            l.section_name,
            s.w,
            s.h,
            c.diff,
            c.relative(),
            c.scale
        );
    }
    if let Some(bad) = checks.iter().find(|c| c.relative() > TOLERANCE) {
        anyhow::bail!(
            "{out}layer {} differs from the CPU backend by {:.3e} of its largest magnitude (more than {TOLERANCE:e})",
            bad.layer,
            bad.relative()
        );
    }
    Ok(out)
}

/// `--check` in a build without tract.
#[cfg(not(feature = "onnx-check"))]
fn check(
    _: &[u8],
    _: &csplens::Analysis,
    _: &csplens::weights::Weights,
    _: &std::path::Path,
    _: &ExportOptions,
) -> Result<String> {
    anyhow::bail!("--check needs tract: this csplens was built without the `onnx-check` feature")
}
