//! The Evaluate tab's jobs and the commands that start them: a dataset through one network
//! or both, one after the other (so each one's measured time is its own), each handing over
//! its evaluation as it ends; anchors from the dataset's labels, and writing them into the cfg
//! as one undoable step.

use crate::eval::check::check_with;
use crate::eval::misses::Geometry;
use crate::eval::propose::{Ask, propose};
use crate::eval::run::{EvalOptions, evaluate, head_classes};
use crate::gui::app::App;
use crate::gui::command::Tab;
use crate::gui::diagnostics::Diagnostic;
use crate::gui::evaluation::Action;
use crate::gui::evaluation::{AnchorsState, DataSource, EvalRun, EvalSettings, crops};
use crate::gui::jobs::load::DetectInput;
use crate::gui::jobs::{Outcome, Progress};
use crate::gui::slot::Slot;
use crate::limits::Limits;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// One network to evaluate.
#[derive(Debug, Clone)]
pub struct EvalInput {
    /// Which.
    pub slot: Slot,
    /// Its document generation.
    pub generation: u64,
    /// Its network, weights and backend.
    pub input: DetectInput,
    /// Its names file (a folder's class names).
    pub names: Option<PathBuf>,
}

/// The job: each network in turn on the dataset; every evaluation handed over as it ends.
pub fn run(
    source: &DataSource,
    settings: EvalSettings,
    nets: &[EvalInput],
    caps: &Limits,
    cancel: &AtomicBool,
    progress: &Progress,
) -> Outcome {
    for net in nets {
        if cancel.load(Ordering::SeqCst) {
            break;
        }
        match one(source, settings, net, caps, cancel, progress) {
            Ok(run) => progress.send(Outcome::Evaluated {
                slot: net.slot,
                generation: net.generation,
                run: Box::new(run),
            }),
            Err(e) => {
                progress.send(Outcome::Failed(Diagnostic::error(
                    &source.path().display().to_string(),
                    e,
                )));
                break;
            }
        }
    }
    Outcome::EvalDone
}

/// One network's evaluation, its dataset check and its misses' pictures.
fn one(
    source: &DataSource,
    settings: EvalSettings,
    net: &EvalInput,
    caps: &Limits,
    cancel: &AtomicBool,
    progress: &Progress,
) -> Result<EvalRun, String> {
    let a = &net.input.analysis;
    let classes = head_classes(a).unwrap_or(1);
    let data = (source.read(classes, net.names.clone())).map_err(|e| e.to_string())?;
    let geometry = Geometry::of(a);
    let report = check_with(&data, geometry.as_ref(), caps.max_image_pixels);
    let guard = crate::gui::jobs::load::backend(&net.input)?;
    let Some((_, _, runner)) = guard.as_ref() else {
        return Err("internal error: no backend".into());
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let options = EvalOptions {
        points: settings.points,
        iou_thresh: settings.iou_thresh,
        thresh: settings.thresh,
        batch: 1,
        decoders: (threads / 2).max(1),
        max_pixels: caps.max_image_pixels,
        shard: None,
    };
    let mut last = Instant::now();
    let slot = net.slot;
    let e = evaluate(a, runner, &data, &options, |done, total| {
        // a few updates a second are enough for the bar
        if done == total || last.elapsed() > Duration::from_millis(100) {
            last = Instant::now();
            progress.send(Outcome::EvalProgress { slot, done, total });
        }
        !cancel.load(Ordering::SeqCst)
    })
    .map_err(|e| e.to_string())?;
    let backend = format!("{} on {}", runner.name(), runner.device());
    drop(guard);
    let pictures = match &geometry {
        Some(g) => crops(&e, g, caps.max_image_pixels, &|| {
            cancel.load(Ordering::SeqCst)
        }),
        None => Vec::new(),
    };
    Ok(EvalRun {
        source: source.clone(),
        settings,
        generation: net.generation,
        evaluation: e,
        report,
        backend,
        crops: pictures,
    })
}

/// The Evaluate tab's commands and results.
impl App {
    /// Applies one of the Evaluate tab's actions.
    pub(in crate::gui) fn evaluate_action(&mut self, action: Action) {
        match action {
            Action::PickData => self.dialog_open(None),
            Action::PickFolder => self.dialog_folder(),
            Action::Source(source) => {
                self.eval.source = Some(source);
                self.tab = Tab::Evaluate;
            }
            Action::Settings(s) => self.eval.settings = s,
            Action::Run(slots) => self.start_evaluation(&slots),
            Action::Cancel => {
                if let Some(id) = self.eval.job.take() {
                    self.jobs.cancel(id);
                }
                self.eval.progress = [None, None];
            }
            Action::Class(c) => self.eval.class = c,
            Action::Reason(r) => self.eval.reason = r,
            Action::Axis(x) => self.eval.axis = x,
            Action::ComputeAnchors(slot) => self.compute_anchors(slot),
            Action::ApplyAnchors => self.apply_anchors(),
        }
    }

    /// The native folder dialog: a folder of labelled images becomes the dataset.
    fn dialog_folder(&mut self) {
        self.jobs.spawn("folder dialog", move |_| {
            match pollster::block_on(rfd::AsyncFileDialog::new().pick_folder()) {
                Some(dir) => Outcome::EvalSource(DataSource::Folder(dir.path().to_path_buf())),
                None => Outcome::Failed(Diagnostic::info("evaluate", "no folder chosen")),
            }
        });
    }

    /// What the evaluation of `slot` needs, or why it cannot run.
    fn eval_input(&self, slot: Slot) -> Result<EvalInput, String> {
        let doc = (self.slots[slot.index()].doc.as_ref())
            .ok_or_else(|| format!("network {slot:?}: open a .cfg first"))?;
        let (_, weights) = (doc.weights.as_ref()).ok_or_else(|| {
            format!(
                "{} has no weights yet: drop its .weights file first",
                doc.title()
            )
        })?;
        Ok(EvalInput {
            slot,
            generation: doc.generation,
            input: self.detect_input(doc, weights.clone()),
            names: doc.names.as_ref().map(|(p, _)| p.clone()),
        })
    }

    /// Evaluates `slots` on the chosen dataset, one after the other.
    fn start_evaluation(&mut self, slots: &[Slot]) {
        let Some(source) = self.eval.source.clone() else {
            self.report(Diagnostic::error(
                "evaluate",
                "choose a .data file or a folder of labelled images first",
            ));
            return;
        };
        let mut nets = Vec::new();
        for &slot in slots {
            match self.eval_input(slot) {
                Ok(n) => nets.push(n),
                Err(e) => return self.report(Diagnostic::error("evaluate", e)),
            }
        }
        if let Some(id) = self.eval.job.take() {
            self.jobs.cancel(id);
        }
        let (settings, caps) = (self.eval.settings, self.caps);
        let name = format!("evaluate on {}", crate::gui::actions::short(source.path()));
        self.eval.progress = [None, None];
        self.eval.job = Some(self.jobs.spawn_streaming(name, move |cancel, progress| {
            run(&source, settings, &nets, &caps, cancel, progress)
        }));
        self.tab = Tab::Evaluate;
    }

    /// A network's evaluation arrived: kept if its document is still the one evaluated.
    pub(in crate::gui) fn evaluated(
        &mut self,
        ctx: &egui::Context,
        slot: Slot,
        generation: u64,
        run: EvalRun,
    ) {
        let k = slot.index();
        let Some(doc) = (self.slots[k].doc.as_mut()).filter(|d| d.generation == generation) else {
            return;
        };
        self.miss_textures.retain(|(s, _), _| *s != k);
        for (i, c) in run.crops.iter().enumerate() {
            let im =
                egui::ColorImage::from_rgba_unmultiplied([c.thumb.w, c.thumb.h], &c.thumb.rgba);
            let tex = ctx.load_texture(format!("miss-{k}-{i}"), im, egui::TextureOptions::LINEAR);
            self.miss_textures.insert((k, i), tex);
        }
        if self.eval.class.is_none() {
            // the first labelled class's curve
            self.eval.class = (run.evaluation.result.classes.iter())
                .find(|c| c.truths > 0)
                .map(|c| c.class_id);
        }
        doc.evaluation = Some(Arc::new(run));
        self.eval.progress[k] = None;
    }

    /// Anchors for `slot`'s heads from the dataset's training labels, on a job.
    fn compute_anchors(&mut self, slot: Slot) {
        let (Some(source), Some(doc)) = (self.eval.source.clone(), &self.slots[slot.index()].doc)
        else {
            return self.report(Diagnostic::error(
                "anchors",
                "choose a .data file or a folder of labelled images first",
            ));
        };
        let a = doc.analysis.clone();
        let names = doc.names.as_ref().map(|(p, _)| p.clone());
        let text_generation = doc.source.generation();
        self.jobs.spawn("anchors from labels", move |_| {
            let proposal = (source.read(head_classes(&a).unwrap_or(1), names))
                .map_err(|e| e.to_string())
                .and_then(|data| {
                    let g = Geometry::of(&a).ok_or("the network has no [yolo] head")?;
                    propose(&data, Some(&g), Ask::default()).map_err(|e| e.to_string())
                });
            Outcome::Anchors(Box::new(AnchorsState {
                slot,
                text_generation,
                proposal,
            }))
        });
    }

    /// Writes the proposed anchors, masks, `num` and filters into the cfg's text: one undoable
    /// step, refused when the text changed since they were computed.
    fn apply_anchors(&mut self) {
        let Some(state) = &self.eval.anchors else {
            return;
        };
        let (slot, Ok(p)) = (state.slot, &state.proposal) else {
            return;
        };
        let Some(doc) = &self.slots[slot.index()].doc else {
            return;
        };
        if doc.source.generation() != state.text_generation {
            let m = "the cfg's text changed since the anchors were computed: compute them again";
            return self.report(Diagnostic::error("anchors", m));
        }
        let masks = p.masks.clone().unwrap_or_default();
        match crate::doctor::set_anchors(doc.source.text(), &p.anchors, &masks) {
            Ok(fixed) => {
                self.replace_text(slot, fixed.text);
                self.eval.anchors = None;
                let m = format!("applied: {} (Ctrl+Z undoes it)", fixed.changes.join("; "));
                self.report(Diagnostic::info("anchors", m));
            }
            Err(e) => self.report(Diagnostic::error("anchors", e.to_string())),
        }
    }
}
