//! `csplens detect --images DIR|FILE… / --list FILE`: many images through one network, as
//! darknet's `detector test … -dont_show -ext_output -out result.json < list.txt` does. The
//! next images are read, decoded and resized on other threads while the network runs; a bad
//! image is named and skipped; darknet's JSON, its printed lines and annotated images are
//! written as asked; the end says images/s and where the time went.

use super::draw;
use anyhow::{Context as _, Result};
use csplens::args::render_load;
use csplens::args::{DetectArgs, EXIT_BAD_INPUT, EXIT_SOME_FAILED};
use csplens::detect::darknet_out::{json_entry, json_file, printed};
use csplens::detect::inputs;
use csplens::detect::run::{Detected, Detector, FilesOptions, Timings};
use csplens::detect::{self, Params};
use csplens::limits::Limits;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashSet;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Images prepared ahead of the network, beyond one per decoding thread.
const AHEAD: usize = 4;

/// Runs the images; prints as it goes and returns the exit code.
pub fn run(args: &DetectArgs, caps: &Limits) -> i32 {
    match detect_all(args, caps) {
        Ok(0) => 0,
        Ok(failed) => {
            eprintln!("{failed} image(s) failed (named above); the others ran");
            EXIT_SOME_FAILED
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            EXIT_BAD_INPUT
        }
    }
}

/// What a run writes besides stdout.
struct Outputs {
    json: Vec<String>,
    save_dir: Option<PathBuf>,
    saved: HashSet<PathBuf>,
    inputs: HashSet<PathBuf>,
}

fn detect_all(args: &DetectArgs, caps: &Limits) -> Result<usize> {
    let found = inputs::collect(&args.images, args.list.as_deref());
    for w in &found.warnings {
        eprintln!("warning: {w}");
    }
    anyhow::ensure!(!found.images.is_empty(), "no images to run");
    let analysis = csplens::analyze_file(&args.model.cfg, Default::default(), caps)
        .map_err(|e| anyhow::Error::msg(render_load(&e)))?;
    let weights = csplens::weights::read(&args.model.weights, &analysis.network, &analysis.shapes)
        .with_context(|| format!("{}", args.model.weights.display()))?;
    let names = match &args.names {
        Some(p) => detect::parse_names(
            &std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
        ),
        None => Vec::new(),
    };
    if let Some(dir) = &args.save_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    let net = super::model::runner(
        args.backend,
        args.precision,
        Some(threads),
        &analysis,
        &weights,
    )?;
    let params = Params {
        thresh: args.thresh,
        ..Params::default()
    };
    let n = found.images.len();
    let bar = progress(Some(n as u64));
    let mut run = Run {
        names: &names,
        args,
        bar: &bar,
        out: Outputs {
            json: Vec::new(),
            save_dir: args.save_dir.clone(),
            saved: HashSet::new(),
            inputs: (found.images.iter())
                .filter_map(|p| p.canonicalize().ok())
                .collect(),
        },
        times: Timings::default(),
        failed: 0,
    };
    let options = FilesOptions {
        batch: args.batch.max(1),
        decoders: (threads / 2).max(1),
        ahead: AHEAD,
        max_pixels: caps.max_image_pixels,
    };
    let started = Instant::now();
    let detector = Detector::new(&analysis, &net, params, &names);
    detector.files(found.images, &options, |_, path, result| {
        match result {
            Ok(d) => run.image(&path, &d),
            Err(e) => run.fail(&path.display().to_string(), &anyhow::Error::msg(e)),
        }
        true
    });
    let (times, failed, out) = (run.times, run.failed, run.out);
    bar.finish_and_clear();
    if let Some(path) = &args.out {
        csplens::files::write_atomic(path, json_file(&out.json).as_bytes())
            .map_err(anyhow::Error::msg)?;
    }
    summary(n, failed, started.elapsed(), &times, options.decoders);
    Ok(failed)
}

/// One run's settings and what it has written so far.
struct Run<'a> {
    names: &'a [String],
    args: &'a DetectArgs,
    bar: &'a ProgressBar,
    out: Outputs,
    times: Timings,
    failed: usize,
}

impl Run<'_> {
    /// Names a failed image on stderr and counts it.
    fn fail(&mut self, shown: &str, e: &anyhow::Error) {
        self.failed += 1;
        self.bar
            .suspend(|| eprintln!("error: {shown}: {e:#} (skipped)"));
        self.bar.inc(1);
    }

    /// One image's boxes: printed, added to the JSON, drawn when asked.
    fn image(&mut self, path: &Path, d: &Detected) {
        self.times += d.timings;
        let shown = path.display().to_string();
        let im = &d.image;
        let lines = printed(
            &d.boxes,
            self.names,
            self.args.thresh,
            im.w,
            im.h,
            self.args.ext_output,
        );
        self.bar.suspend(|| {
            print!(
                "{shown}: Predicted in {:.6} milli-seconds.\n{lines}",
                d.timings.forward.as_secs_f64() * 1e3
            );
        });
        let entry = json_entry(self.out.json.len() + 1, &shown, &d.boxes, self.names);
        self.out.json.push(entry);
        match save(&mut self.out, path, im, &d.detections) {
            Ok(()) => self.bar.inc(1),
            Err(e) => self.fail(&shown, &e),
        }
    }
}

/// A bar on the terminal (hidden when stdout is not one: a pipe or a file gets plain lines);
/// `detect --images` and `map` show it.
pub(super) fn progress(n: Option<u64>) -> ProgressBar {
    let target = if std::io::stdout().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(n, target);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} images, {per_sec}, {eta} left")
    {
        bar.set_style(style);
    }
    bar
}

/// Writes `im` with its boxes as `<stem>.png` in the save folder: never over one of the run's
/// input images, never over an output of this run (a second `a.png` becomes `a-jpg.png`).
fn save(
    out: &mut Outputs,
    path: &Path,
    im: &detect::image::Image,
    dets: &[detect::Detection],
) -> Result<()> {
    let Some(dir) = &out.save_dir else {
        return Ok(());
    };
    let stem = path
        .file_stem()
        .map_or_else(|| "image".into(), |s| s.to_string_lossy().into_owned());
    let ext = path
        .extension()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let mut target = dir.join(format!("{stem}.png"));
    if out.saved.contains(&target) {
        target = dir.join(format!("{stem}-{ext}.png"));
    }
    let canonical = target.canonicalize().unwrap_or_else(|_| target.clone());
    anyhow::ensure!(
        !out.inputs.contains(&canonical),
        "{} is one of the input images: not overwritten (choose another --save-dir)",
        target.display()
    );
    draw::save_annotated(im, dets, &target)?;
    out.saved.insert(target);
    Ok(())
}

fn summary(n: usize, failed: usize, wall: Duration, t: &Timings, decoders: usize) {
    let done = n - failed;
    let secs = wall.as_secs_f64();
    eprintln!(
        "{done} of {n} images in {secs:.2} s ({:.1} images/s): read+decode+resize {:.2} s on {decoders} thread(s) beside the network, forward {:.2} s, boxes+NMS {:.2} s",
        done as f64 / secs.max(1e-9),
        t.prepare.as_secs_f64(),
        t.forward.as_secs_f64(),
        t.boxes.as_secs_f64()
    );
}
