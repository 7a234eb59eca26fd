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
    Ok(format!(
        "wrote {}: {} (opset {}, {:.2} s)\n",
        args.output.display(),
        csplens::units::bytes(bytes.len() as u64),
        args.opset,
        started.elapsed().as_secs_f64()
    ))
}
