//! The gallery's job: every image through the document's backend, the next ones decoding on
//! other threads, each result handed over as it finishes (the gallery fills in), cancelled
//! between images.

use crate::detect::run::{Detector, FilesOptions};
use crate::gui::app::App;
use crate::gui::command::Tab;
use crate::gui::diagnostics::Diagnostic;
use crate::gui::doc::Target;
use crate::gui::gallery::{Gallery, Shot, THUMB, thumbnail};
use crate::gui::jobs::load::DetectInput;
use crate::gui::jobs::{Outcome, Progress};
use crate::limits::Limits;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The job: every image through the document's backend, each result handed over as it ends.
pub fn run_images(
    paths: Vec<PathBuf>,
    input: &DetectInput,
    caps: &Limits,
    cancel: &AtomicBool,
    progress: &Progress,
    to: Target,
) -> Outcome {
    let started = Instant::now();
    let a = &input.analysis;
    let fail = |m: String| Outcome::Failed(Diagnostic::error("images", m));
    let guard = match crate::gui::jobs::load::backend(input) {
        Ok(g) => g,
        Err(e) => return fail(e),
    };
    let Some((_, _, runner)) = guard.as_ref() else {
        return fail("internal error: no backend".into());
    };
    let options = FilesOptions {
        batch: 1,
        decoders: std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
        ahead: 4,
        max_pixels: caps.max_image_pixels,
    };
    let detector = Detector::new(a, runner, input.params, &input.names);
    detector.files(paths, &options, |index, _, result| {
        if cancel.load(Ordering::SeqCst) {
            return false;
        }
        let item = result.map(|mut d| {
            // only what darknet's JSON lists is kept
            d.boxes.retain(|b| b.prob.iter().any(|&q| q > 0.005));
            Shot {
                thumb: Arc::new(thumbnail(&d.image, THUMB)),
                w: d.image.w,
                h: d.image.h,
                count: d.detections.len(),
                boxes: d.boxes,
            }
        });
        progress.send(Outcome::GalleryItem {
            to,
            index,
            item: Box::new(item),
        });
        true
    });
    Outcome::GalleryDone {
        to,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// The gallery's commands and results.
impl App {
    /// Runs the images of `paths` (folders, files) through the active network.
    pub(in crate::gui) fn open_gallery(&mut self, paths: Vec<PathBuf>) {
        let slot = self.active;
        let found = crate::detect::inputs::collect(&paths, None);
        for w in &found.warnings {
            self.report(Diagnostic::info("images", w.clone()));
        }
        let Some(doc) = &self.slots[slot.index()].doc else {
            self.report(Diagnostic::error(
                "images",
                "open a network (.cfg and .weights) first",
            ));
            return;
        };
        let Some((_, weights)) = &doc.weights else {
            let m = format!(
                "{} has no weights yet: drop a .weights file first",
                doc.title()
            );
            self.report(Diagnostic::error("images", m));
            return;
        };
        if found.images.is_empty() {
            self.report(Diagnostic::error(
                "images",
                "no JPEG, PNG or BMP image there",
            ));
            return;
        }
        let input = self.detect_input(doc, weights.clone());
        let run = crate::gui::editor::next_generation();
        let to = Target { slot, run };
        let caps = self.caps;
        let n = found.images.len();
        let gallery = Gallery::new(run, found.images.clone());
        self.thumbs.retain(|(r, _), _| *r == run);
        if let Some(doc) = self.slots[slot.index()].doc.as_mut() {
            doc.gallery = Some(gallery);
        }
        self.tab = Tab::Gallery;
        self.jobs
            .spawn_streaming(format!("detect {n} images"), move |cancel, progress| {
                run_images(found.images, &input, &caps, cancel, progress, to)
            });
    }

    /// One image's result, kept if its run is still the document's.
    pub(in crate::gui) fn gallery_item(
        &mut self,
        ctx: &egui::Context,
        to: Target,
        index: usize,
        item: Result<Shot, String>,
    ) {
        if let Ok(shot) = &item {
            let key = (to.run, index);
            let tex = crate::gui::panels::gallery_view::texture(ctx, key, shot);
            self.thumbs.insert(key, tex);
        }
        let Some(g) = self.gallery_of(to) else { return };
        if let Some(slot) = g.items.get_mut(index) {
            *slot = Some(item);
        }
    }

    /// The run ended.
    pub(in crate::gui) fn gallery_done(&mut self, to: Target, seconds: f64) {
        if let Some(g) = self.gallery_of(to) {
            g.seconds = Some(seconds);
        }
    }

    fn gallery_of(&mut self, to: Target) -> Option<&mut Gallery> {
        let doc = self.slots[to.slot.index()].doc.as_mut()?;
        doc.gallery.as_mut().filter(|g| g.run == to.run)
    }

    /// Opens image `i` of the active gallery in the detection view (run again, full size).
    pub(in crate::gui) fn show_gallery_image(&mut self, i: usize) {
        let path = (self.doc())
            .and_then(|d| d.gallery.as_ref())
            .and_then(|g| g.paths.get(i).cloned());
        if let Some(p) = path {
            self.run_detection(self.active, p);
            self.tab = Tab::Detection;
        }
    }

    /// Asks where to save the gallery's darknet JSON and writes it atomically.
    pub(in crate::gui) fn export_gallery_json(&mut self) {
        let Some(json) = self.gallery_json() else {
            return;
        };
        self.save_dialog("result.json".into(), "json", move || Ok(json.into_bytes()));
    }

    /// The active gallery's darknet `-out` JSON (scripts and tests write it where they like).
    pub fn gallery_json(&self) -> Option<String> {
        let doc = self.doc()?;
        Some(doc.gallery.as_ref()?.darknet_json(doc.class_names()))
    }
}
