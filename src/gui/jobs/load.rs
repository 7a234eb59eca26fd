//! The work of the app's jobs: read a file, run the core stages on it, run a detection. Pure
//! functions from files to results or diagnostics; they never touch what is open.

use crate::backend::{BackendChoice, Precision, RunOptions, Runner};
use crate::detect::run::Detector;
use crate::detect::{self, Params};
use crate::gui::diagnostics::Diagnostic;
use crate::gui::doc::{DetectionRun, Document, Edited};
use crate::gui::editor::{SourceBuffer, stamp};
use crate::gui::jobs::{Outcome, check};
use crate::gui::slot::Slot;
use crate::limits::Limits;
use crate::weights::{self, Weights};
use crate::{Analysis, shape::InputOverride};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

/// Largest cfg or names file read (text files far beyond any real network).
const MAX_TEXT_BYTES: u64 = 64 << 20;
/// Largest image file read (the pixel cap is checked from the header after this).
const MAX_IMAGE_BYTES: u64 = 512 << 20;

/// Reads a file after checking its size against `max`.
pub fn read_capped(path: &Path, max: u64, what: &str) -> Result<Vec<u8>, Diagnostic> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| Diagnostic::error(&name, e.to_string()))?;
    if meta.len() > max {
        return Err(Diagnostic::error(
            &name,
            format!(
                "the {what} is {} bytes, above the limit of {max} bytes; not opened",
                meta.len()
            ),
        ));
    }
    std::fs::read(path).map_err(|e| Diagnostic::error(&name, e.to_string()))
}

/// Analyses cfg bytes and lays the network out.
pub fn cfg_document(path: &Path, bytes: &[u8], caps: &Limits) -> Result<Document, Diagnostic> {
    let name = path.display().to_string();
    let a = crate::analyze_with(&name, bytes, InputOverride::default(), caps).map_err(|f| {
        let d = Diagnostic::error(&name, f.error.to_string());
        match f.error.span() {
            Some(s) => d.at_line(s.line),
            None => d,
        }
    })?;
    Ok(Document::new(path.to_path_buf(), a))
}

/// Reads and analyses a cfg file; its text remembers the file's stamp (Save checks it). A
/// UTF-8 cfg that does not build comes back with its error as a [`Outcome::BrokenCfg`]
/// document: its text to fix in the editor, no network yet.
pub fn cfg_file(
    path: &Path,
    slot: Slot,
    ticket: u64,
    caps: &Limits,
    cancel: &AtomicBool,
) -> Result<Outcome, Diagnostic> {
    let bytes = read_capped(path, MAX_TEXT_BYTES, "cfg file")?;
    check(cancel, &path.display().to_string())?;
    let (doc, error) = match cfg_document(path, &bytes, caps) {
        Ok(doc) => (doc, None),
        Err(e) => match std::str::from_utf8(&bytes) {
            Ok(text) => (unbuilt(path, text, &e, caps)?, Some(e)),
            Err(_) => return Err(e),
        },
    };
    let mut doc = doc;
    let text = doc.source.text().to_string();
    doc.source = SourceBuffer::opened(text, Some(stamp(&bytes)));
    doc.generation = doc.source.generation();
    doc.lint_generation = doc.generation;
    Ok(match error {
        None => Outcome::Cfg {
            slot,
            ticket,
            doc: Box::new(doc),
        },
        Some(error) => Outcome::BrokenCfg {
            slot,
            ticket,
            doc: Box::new(doc),
            error,
        },
    })
}

/// A document for a text that does not build: the text, its findings and `error`, with the
/// views of a network without layers.
fn unbuilt(
    path: &Path,
    text: &str,
    error: &Diagnostic,
    caps: &Limits,
) -> Result<Document, Diagnostic> {
    // the input size only sizes the empty views
    let mut doc = cfg_document(path, b"[net]\nwidth=416\nheight=416\nchannels=3\n", caps)?;
    let name = path.display().to_string();
    let lint = crate::doctor::lint(&name, text, &crate::doctor::LintOptions::default());
    doc.lint = Arc::new(lint);
    doc.source = SourceBuffer::opened(text.to_string(), None);
    doc.build_error = Some(error.text());
    Ok(doc)
}

/// Lints and analyses an edited text (the per-keystroke job: ~1 ms for the core on the largest
/// cfg, plus the graph layout).
pub fn edited(path: &Path, text: &str, caps: &Limits, weights: Option<&Weights>) -> Edited {
    let built = cfg_document(path, text.as_bytes(), caps).map(Box::new);
    // a document lints its own text; a text that does not build is linted alone
    let lint = built.as_ref().map_or_else(
        |_| {
            let name = path.display().to_string();
            let opts = crate::doctor::LintOptions::default();
            Arc::new(crate::doctor::lint(&name, text, &opts))
        },
        |doc| doc.lint.clone(),
    );
    let weights_fit = match (&built, weights) {
        (Ok(doc), Some(w)) => crate::weights::fits(w, &doc.analysis.network, &doc.analysis.shapes),
        _ => false,
    };
    Edited {
        lint,
        built,
        weights_fit,
    }
}

/// Reads a `.weights` file against an analysed network.
pub fn weights_file(path: &Path, a: &Analysis, caps: &Limits) -> Result<Weights, Diagnostic> {
    let bytes = read_capped(path, caps.max_weights_bytes, ".weights file")?;
    weights::parse(&bytes, &a.network, &a.shapes)
        .map_err(|e| Diagnostic::error(&path.display().to_string(), e.to_string()))
}

/// Reads a names file.
pub fn names_file(path: &Path) -> Result<Vec<String>, Diagnostic> {
    let name = path.display().to_string();
    let bytes = read_capped(path, MAX_TEXT_BYTES, "names file")?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Diagnostic::error(&name, "a names file must be UTF-8 text"))?;
    Ok(detect::parse_names(&text))
}

/// What a detection job needs from the document it runs on.
#[derive(Debug, Clone)]
pub struct DetectInput {
    /// The network.
    pub analysis: Arc<Analysis>,
    /// Its weights.
    pub weights: Arc<Weights>,
    /// Class names.
    pub names: Arc<Vec<String>>,
    /// The document's prepared backend, reused between runs.
    pub runner: Arc<Mutex<crate::gui::doc::Prepared>>,
    /// Backend asked for.
    pub choice: BackendChoice,
    /// How the GPU stores values (f16 where the adapter can).
    pub precision: Precision,
    /// Thresholds.
    pub params: Params,
    /// The app's renderer device, shared with the wgpu backend.
    #[cfg(feature = "gpu")]
    pub device: Option<crate::backend::wgpu::GpuContext>,
}

/// The document's prepared backend, made (or remade for another choice) when needed; the
/// guard holds it for the caller's inferences.
pub fn backend(input: &DetectInput) -> Result<MutexGuard<'_, crate::gui::doc::Prepared>, String> {
    let mut guard = (input.runner.lock())
        .map_err(|_| "internal error: the backend lock is poisoned".to_string())?;
    let asked = (input.choice, input.precision);
    if guard.as_ref().is_none_or(|(c, p, _)| (*c, *p) != asked) {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        #[cfg(feature = "gpu")]
        let device = input.device.clone();
        #[cfg(not(feature = "gpu"))]
        let device = None;
        let a = &input.analysis;
        let options = RunOptions {
            tuning_cache: crate::backend::tuning_dir(),
            ..RunOptions::new(asked.0, asked.1, threads)
        };
        let (runner, _) = Runner::with_device(&options, &**a, &input.weights, device)
            .map_err(|e| e.to_string())?;
        *guard = Some((asked.0, asked.1, runner));
    }
    Ok(guard)
}

/// Decodes an image and runs the network on it.
pub fn detection(
    path: &Path,
    input: &DetectInput,
    caps: &Limits,
    cancel: &AtomicBool,
) -> Result<DetectionRun, Diagnostic> {
    let name = path.display().to_string();
    let fail = |m: String| Diagnostic::error(&name, m);
    let bytes = read_capped(path, MAX_IMAGE_BYTES, "image file")?;
    let im = detect::image::decode_limited(&bytes, caps.max_image_pixels)
        .map_err(|e| fail(e.to_string()))?;
    check(cancel, &name)?;
    let a = &input.analysis;
    let guard = backend(input).map_err(fail)?;
    let Some((_, _, runner)) = guard.as_ref() else {
        return Err(fail("internal error: no backend".into()));
    };
    check(cancel, &name)?;
    // each layer timed: the roofline under the charts places every layer by its own time
    let found = Detector::new(a, runner, input.params, &input.names)
        .timing_layers()
        .image(im)
        .map_err(|e| fail(e.to_string()))?;
    let backend = format!("{} on {}", runner.name(), runner.device());
    let engine = runner.name();
    drop(guard);
    Ok(DetectionRun {
        path: path.to_path_buf(),
        image: Arc::new(found.image),
        forward: Arc::new(found.forward),
        params: input.params,
        detections: found.detections,
        backend,
        engine,
        roofline: None,
        total_ms: found.timings.forward.as_secs_f64() * 1e3,
    })
}
