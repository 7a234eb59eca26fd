//! What `detect` and `bench` both load: the cfg, its weights and the image bytes.

use anyhow::{Context as _, Result};
use csplens::Analysis;
use csplens::args::ModelArgs;
use csplens::args::render_load;
use csplens::limits::Limits;
use csplens::shape::InputOverride;
use csplens::weights::Weights;

/// Reads the cfg, its weights (warnings to stderr) and the image file's bytes.
pub fn load(m: &ModelArgs, caps: &Limits) -> Result<(Analysis, Weights, Vec<u8>)> {
    let analysis = csplens::analyze_file(&m.cfg, InputOverride::default(), caps)
        .map_err(|e| anyhow::Error::msg(render_load(&e)))?;
    let weights = csplens::weights::read(&m.weights, &analysis.network, &analysis.shapes)
        .with_context(|| format!("{}", m.weights.display()))?;
    for w in &weights.warnings {
        eprintln!("warning: {}: {w}", m.weights.display());
    }
    let image = m
        .image
        .as_ref()
        .context("--image is required (or --images / --list for many)")?;
    let bytes = std::fs::read(image).with_context(|| format!("cannot read {}", image.display()))?;
    Ok((analysis, weights, bytes))
}

/// The network on the backend and precision asked for, with `threads` CPU threads (all cores
/// when `None`); what was chosen and why goes to stderr.
pub fn runner(
    backend: csplens::args::BackendArg,
    precision: csplens::args::PrecisionArg,
    threads: Option<usize>,
    a: &Analysis,
    w: &Weights,
) -> Result<csplens::backend::Runner> {
    let threads = threads.unwrap_or_else(rayon::current_num_threads);
    let options = csplens::backend::RunOptions {
        tuning_cache: csplens::backend::tuning_dir(),
        ..csplens::backend::RunOptions::new(backend.into(), precision.into(), threads)
    };
    let (net, chosen) =
        csplens::backend::Runner::new(&options, a, w).context("preparing the backend")?;
    eprintln!("{chosen}");
    Ok(net)
}
