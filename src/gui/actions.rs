//! What the app does with files and finished jobs: open by kind (a cfg replaces its network only
//! once it analysed cleanly; weights and names attach to the open cfg; an image runs
//! detection), native dialogs on job threads, exports written atomically, job results applied.

use crate::cspify::Options;
use crate::detect::Params;
pub use crate::files::write_atomic;
use crate::gui::app::App;
use crate::gui::command::Tab;
use crate::gui::diagnostics::{self, Diagnostic};
use crate::gui::doc::FileKind;
use crate::gui::graph::GraphState;
use crate::gui::jobs::load::{self, DetectInput};
use crate::gui::jobs::{Outcome, outcome};
use crate::gui::panels::detect_view::{self, Action};
use crate::gui::panels::make_csp::{FormAction, MakeCspForm, write_cspified};
use crate::gui::slot::Slot;
use crate::report::{self, Format};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Most recent files remembered.
const RECENT: usize = 12;

impl App {
    /// Opens a file the user chose into `slot` (the active network when `None`), by its kind,
    /// and remembers it among the recent files.
    pub fn open(&mut self, path: PathBuf, slot: Option<Slot>) {
        self.remember(&path);
        self.load(path, slot);
    }

    /// Opens a file by its kind without touching the recent files (queued and restored files).
    pub fn load(&mut self, path: PathBuf, slot: Option<Slot>) {
        let slot = slot.unwrap_or(self.active);
        let k = slot.index();
        let name = path.display().to_string();
        let Some(kind) = FileKind::of(&path) else {
            self.report(Diagnostic::error(
                &name,
                "unknown file type: csplens opens .cfg, .weights, .names, .data and JPEG/PNG/BMP images",
            ));
            return;
        };
        match kind {
            FileKind::Data => {
                let source = crate::gui::evaluation::DataSource::File(path);
                self.evaluate_action(crate::gui::evaluation::Action::Source(source));
            }
            FileKind::Cfg => {
                let caps = self.caps;
                let p = path.clone();
                let ticket = self.open_ticket(slot);
                self.jobs
                    .spawn(format!("analyse {}", short(&path)), move |cancel| {
                        outcome(|| load::cfg_file(&p, slot, ticket, &caps, cancel))
                    });
            }
            _ if self.slots[k].doc.is_none() => self.slots[k].pending_files.push(path),
            FileKind::Weights => self.load_weights(slot, path),
            FileKind::Names => {
                self.jobs.spawn(format!("read {}", short(&path)), move |_| {
                    outcome(|| {
                        let names = Arc::new(load::names_file(&path)?);
                        Ok(Outcome::Names { slot, path, names })
                    })
                });
            }
            FileKind::Image => self.run_detection(slot, path),
        }
    }

    fn load_weights(&mut self, slot: Slot, path: PathBuf) {
        let Some(doc) = &self.slots[slot.index()].doc else {
            return;
        };
        let (a, caps, generation) = (doc.analysis.clone(), self.caps, doc.generation);
        self.slots[slot.index()].weights_job =
            Some(self.jobs.spawn(format!("load {}", short(&path)), move |_| {
                outcome(|| {
                    let weights = Arc::new(load::weights_file(&path, &a, &caps)?);
                    Ok(Outcome::Weights {
                        slot,
                        generation,
                        path,
                        weights,
                    })
                })
            }));
    }

    /// Runs detection on `image` with `slot`'s network (after its weights arrive, if pending).
    pub fn run_detection(&mut self, slot: Slot, image: PathBuf) {
        let k = slot.index();
        let Some(doc) = &self.slots[k].doc else {
            return;
        };
        let Some((_, weights)) = &doc.weights else {
            if self.slots[k]
                .weights_job
                .is_some_and(|id| self.jobs.is_running(id))
            {
                self.slots[k].pending_image = Some(image);
            } else {
                self.report(Diagnostic::error(
                    &image.display().to_string(),
                    format!(
                        "{} has no weights yet: drop a .weights file first",
                        doc.title()
                    ),
                ));
            }
            return;
        };
        let input = self.detect_input(doc, weights.clone());
        let (caps, generation) = (self.caps, doc.generation);
        self.jobs
            .spawn(format!("detect {}", short(&image)), move |cancel| {
                outcome(|| {
                    let run = load::detection(&image, &input, &caps, cancel)?;
                    Ok(Outcome::Detection {
                        slot,
                        generation,
                        run: Box::new(run),
                    })
                })
            });
    }

    /// What a detection job needs from `doc` and the app's settings.
    pub(in crate::gui) fn detect_input(
        &self,
        doc: &crate::gui::doc::Document,
        weights: Arc<crate::weights::Weights>,
    ) -> DetectInput {
        DetectInput {
            analysis: doc.analysis.clone(),
            weights,
            names: Arc::new(doc.class_names().to_vec()),
            runner: doc.runner.clone(),
            choice: self.backend,
            // the CPU backend stores f32 only (the view greys f16 out there)
            precision: match self.backend {
                crate::backend::BackendChoice::Cpu => crate::backend::Precision::F32,
                crate::backend::BackendChoice::Wgpu | crate::backend::BackendChoice::Auto => {
                    self.precision
                }
            },
            params: Params {
                thresh: self.thresh,
                ..Params::default()
            },
            #[cfg(feature = "gpu")]
            device: self.device.clone(),
        }
    }

    /// Runs the shown detection again (after the backend or its precision changed).
    fn rerun_detection(&mut self) {
        let image = (self.doc())
            .and_then(|d| d.detection.as_ref())
            .map(|r| r.path.clone());
        if let Some(img) = image {
            self.run_detection(self.active, img);
        }
    }

    /// Applies a finished job.
    pub fn accept(&mut self, ctx: &egui::Context, out: Outcome) {
        match out {
            Outcome::Cfg { slot, ticket, doc } => {
                if self.slots[slot.index()].open_ticket == ticket {
                    self.install(slot, doc);
                }
            }
            Outcome::BrokenCfg {
                slot,
                ticket,
                doc,
                error,
            } => {
                if self.slots[slot.index()].open_ticket != ticket {
                    return;
                }
                if self.slots[slot.index()].doc.is_none() {
                    self.install(slot, doc);
                    if slot == self.active {
                        self.tab = Tab::Source;
                    }
                }
                self.report(error);
            }
            Outcome::Weights {
                slot,
                generation,
                path,
                weights,
            } => {
                let k = slot.index();
                if let Some(doc) = self.slots[k]
                    .doc
                    .as_mut()
                    .filter(|d| d.generation == generation)
                {
                    doc.weights = Some((path, weights));
                    doc.runner = Default::default();
                    if let Some(img) = self.slots[k].pending_image.take() {
                        self.run_detection(slot, img);
                    }
                }
            }
            Outcome::Names { slot, path, names } => {
                if let Some(doc) = self.slots[slot.index()].doc.as_mut() {
                    doc.names = Some((path, names));
                    let (a, n) = (doc.analysis.clone(), doc.class_names().to_vec());
                    if let Some(run) = &mut doc.detection {
                        let p = run.params;
                        run.rethreshold(&a, &n, p);
                    }
                }
            }
            Outcome::Detection {
                slot,
                generation,
                run,
            } => {
                let k = slot.index();
                if let Some(doc) = self.slots[k]
                    .doc
                    .as_mut()
                    .filter(|d| d.generation == generation)
                {
                    self.slots[k].texture = Some(detect_view::texture(ctx, &run));
                    let engine = run.engine;
                    doc.detection = Some(*run);
                    self.roofline_for(engine);
                }
            }
            Outcome::Ceilings { engine, ceilings } => {
                self.ceilings.insert(engine, ceilings);
                self.roofline_for(engine);
            }
            Outcome::EvalProgress { slot, done, total } => {
                self.eval.progress[slot.index()] = Some((done, total));
            }
            Outcome::Evaluated {
                slot,
                generation,
                run,
            } => self.evaluated(ctx, slot, generation, *run),
            Outcome::EvalDone => {
                self.eval.job = None;
                self.eval.progress = [None, None];
            }
            Outcome::EvalSource(source) => {
                let action = crate::gui::evaluation::Action::Source(source);
                self.evaluate_action(action);
            }
            Outcome::Anchors(state) => self.eval.anchors = Some(*state),
            Outcome::Models(dir) => self.open_models(&dir),
            Outcome::Picked { paths, slot } => {
                for p in paths {
                    self.open(p, slot);
                }
            }
            Outcome::Saved(path) => {
                self.report(Diagnostic::info(&path.display().to_string(), "saved"));
            }
            Outcome::MadeCsp(path) => self.made_csp(path),
            Outcome::Edited {
                slot,
                generation,
                edited,
                recovery,
            } => {
                if let Some(e) = recovery {
                    self.report(Diagnostic::error("recovery file", e));
                }
                self.accept_edited(slot, generation, *edited);
            }
            Outcome::SourceSaved {
                slot,
                path,
                text,
                stamp,
                renamed_from,
            } => self.accept_saved(slot, (path, renamed_from), text, stamp),
            Outcome::GalleryItem { to, index, item } => self.gallery_item(ctx, to, index, *item),
            Outcome::GalleryDone { to, seconds } => self.gallery_done(to, seconds),
            Outcome::SaveConflict(slot) => {
                self.question = Some(crate::gui::command::Question::ChangedOnDisk(slot));
            }
            Outcome::Failed(d) => self.report(d),
        }
    }

    /// A new open request for `slot`: only the latest request's document is installed, so a
    /// slow earlier open can never replace a later one.
    pub(in crate::gui) fn open_ticket(&mut self, slot: Slot) -> u64 {
        let t = crate::gui::editor::next_generation();
        self.slots[slot.index()].open_ticket = t;
        t
    }

    /// Puts an analysed document into `slot` with its warnings, graph and queued files.
    fn install(&mut self, slot: Slot, doc: Box<crate::gui::doc::Document>) {
        let k = slot.index();
        let warnings = diagnostics::warnings_of(&doc.analysis);
        self.diagnostics.retain(|d| d.file != doc.analysis.path);
        self.diagnostics.extend(warnings);
        self.slots[k].graph = Some(GraphState::new(
            &doc,
            self.color_by,
            format!("graph-{slot:?}"),
        ));
        self.slots[k].texture = None;
        self.slots[k].doc = Some(*doc);
        if slot == self.active {
            self.selected = None;
            let restored = self.pending_select.take();
            let layers = self.slots[k]
                .doc
                .as_ref()
                .map_or(0, |d| d.analysis.network.layers.len());
            if let Some(i) = restored.filter(|&i| i < layers) {
                self.select(Some(i));
            }
        }
        self.take_recovered(slot);
        for p in std::mem::take(&mut self.slots[k].pending_files) {
            self.load(p, Some(slot));
        }
    }

    /// Adds a diagnostic.
    pub fn report(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    fn remember(&mut self, path: &Path) {
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        self.recent.retain(|p| p != &abs);
        self.recent.insert(0, abs);
        self.recent.truncate(RECENT);
    }

    /// Opens the fetched models: yolov4-tiny as A beside yolov3-tiny as B, bus.jpg detected.
    pub fn open_models(&mut self, dir: &Path) {
        for (slot, model) in [(Slot::A, "yolov4-tiny"), (Slot::B, "yolov3-tiny")] {
            let m = dir.join(model);
            self.load(m.join(format!("{model}.cfg")), Some(slot));
            for f in [format!("{model}.weights"), "coco.names".to_string()] {
                self.slots[slot.index()].pending_files.push(m.join(f));
            }
            self.slots[slot.index()].pending_image = Some(dir.join("images/bus.jpg"));
        }
        self.active = Slot::A;
        self.tab = Tab::Graph;
    }

    /// A native open dialog on a job thread (the UI keeps running).
    pub fn dialog_open(&mut self, slot: Option<Slot>) {
        self.jobs.spawn("open dialog", move |_| {
            let files = pollster::block_on(
                rfd::AsyncFileDialog::new()
                    .add_filter(
                        "darknet",
                        &[
                            "cfg", "weights", "names", "data", "jpg", "jpeg", "png", "bmp",
                        ],
                    )
                    .pick_files(),
            );
            let paths = files
                .unwrap_or_default()
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect();
            Outcome::Picked { paths, slot }
        });
    }

    /// Asks where to save (the native dialog confirms overwriting) and writes atomically.
    pub(in crate::gui) fn save_dialog(
        &mut self,
        name: String,
        ext: &'static str,
        bytes: impl FnOnce() -> Result<Vec<u8>, String> + Send + 'static,
    ) {
        self.jobs.spawn(format!("save {name}"), move |_| {
            let Some(file) = pollster::block_on(
                rfd::AsyncFileDialog::new()
                    .set_file_name(&name)
                    .add_filter(ext, &[ext])
                    .save_file(),
            ) else {
                return Outcome::Failed(Diagnostic::info(&name, "not saved (dialog cancelled)"));
            };
            write_file(&name, file.path().to_path_buf(), bytes)
        });
    }

    /// Exports the active network's layer table.
    pub fn export_table(&mut self, format: Format) {
        let Some(doc) = self.doc() else { return };
        let ext = match format {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Md | Format::Table => "md",
        };
        let a = doc.analysis.clone();
        let name = format!("{}.{ext}", doc.title().trim_end_matches(".cfg"));
        self.save_dialog(name, ext, move || {
            Ok(report::render(&a, format).into_bytes())
        });
    }

    /// Writes the active network with its weights as an ONNX model (`csplens export`'s
    /// defaults: boxes and scores, batch 1, opset 13) to `path`, or where the user says.
    pub(in crate::gui) fn export_onnx(&mut self, path: Option<PathBuf>) {
        let Some(doc) = self.doc() else { return };
        let Some((_, w)) = &doc.weights else {
            let m = format!(
                "{} has no weights yet: drop its .weights file first",
                doc.title()
            );
            return self.report(Diagnostic::error("export", m));
        };
        let (a, w) = (doc.analysis.clone(), w.clone());
        let name = format!("{}.onnx", doc.title().trim_end_matches(".cfg"));
        let bytes = move || {
            let o = crate::export::ExportOptions::default();
            crate::export::export(&a, &w, &o).map_err(|e| e.to_string())
        };
        match path {
            None => self.save_dialog(name, "onnx", bytes),
            Some(p) => {
                self.jobs.spawn(format!("export {name}"), move |_| {
                    write_file(&name, p, bytes)
                });
            }
        }
    }

    /// Applies a detection-view action.
    pub fn detection_action(&mut self, action: Action) {
        let k = self.active.index();
        match action {
            Action::Rethreshold(t) => {
                self.thresh = t;
                if let Some(doc) = self.slots[k].doc.as_mut() {
                    let (a, n) = (doc.analysis.clone(), doc.class_names().to_vec());
                    if let Some(run) = &mut doc.detection {
                        run.rethreshold(
                            &a,
                            &n,
                            Params {
                                thresh: t,
                                ..run.params
                            },
                        );
                    }
                }
            }
            Action::Backend(c) => {
                self.backend = c;
                self.rerun_detection();
            }
            Action::Precision(p) => {
                self.precision = p;
                self.rerun_detection();
            }
            Action::Save => {
                let Some(run) = self.doc().and_then(|d| d.detection.clone()) else {
                    return;
                };
                let stem = run
                    .path
                    .file_stem()
                    .map_or("detections".into(), |s| s.to_string_lossy().into_owned());
                self.save_dialog(format!("{stem}-detected.png"), "png", move || {
                    let rgb = crate::detect::paint::annotated(&run.image, &run.detections);
                    let mut out = std::io::Cursor::new(Vec::new());
                    rgb.write_to(&mut out, image::ImageFormat::Png)
                        .map_err(|e| e.to_string())?;
                    Ok(out.into_inner())
                });
            }
            Action::OpenImage => self.dialog_open(Some(self.active)),
            Action::PickHead(head) => {
                self.overlay = detect_view::HeadOverlay { head, cell: None };
            }
            Action::PickCell(cell) => self.overlay.cell = cell,
            Action::ShowOrigin(o) => {
                self.overlay = detect_view::HeadOverlay {
                    head: Some(o.layer),
                    cell: Some((o.col, o.row)),
                };
            }
        }
    }
}

/// The file name of a path.
pub(in crate::gui) fn short(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// "Make CSP…": the form opened, its job and its result.
impl App {
    /// Opens the "Make CSP" form for the active network.
    pub fn open_make_csp(&mut self) {
        let form = self.doc().map(|d| MakeCspForm::new(d, self.selected));
        self.make_csp = form;
    }

    /// Applies the form's action.
    pub(in crate::gui) fn make_csp_action(&mut self, action: FormAction) {
        self.make_csp = None;
        let FormAction::SaveAs(opts) = action else {
            return;
        };
        let Some(doc) = self.doc() else { return };
        let a = Arc::clone(&doc.analysis);
        let name = format!("cs{}", doc.title());
        self.jobs.spawn(format!("make CSP {name}"), move |_| {
            let Some(file) = pollster::block_on(
                rfd::AsyncFileDialog::new()
                    .set_file_name(&name)
                    .add_filter("cfg", &["cfg"])
                    .save_file(),
            ) else {
                return Outcome::Failed(Diagnostic::info(&name, "not saved (dialog cancelled)"));
            };
            write_cspified(&a, &opts, file.path().to_path_buf())
        });
    }

    /// Converts the active network with `opts` into `path` (no dialog) and opens the result
    /// as network B on the Compare tab: the form's work, for scripts and tests.
    pub fn make_csp_to(&mut self, path: PathBuf, opts: Options) {
        let Some(doc) = self.doc() else { return };
        let a = Arc::clone(&doc.analysis);
        self.jobs
            .spawn("make CSP", move |_| write_cspified(&a, &opts, path));
    }

    /// A written CSP network: opened as B beside its plain network, on the Compare tab.
    pub(in crate::gui) fn made_csp(&mut self, path: PathBuf) {
        self.report(Diagnostic::info(
            &path.display().to_string(),
            "written by Make CSP; opened as B",
        ));
        self.open(path, Some(Slot::B));
        self.tab = Tab::Compare;
    }
}

/// A job's last step: `bytes()` written to `path` atomically (`name` in its messages).
fn write_file(
    name: &str,
    path: PathBuf,
    bytes: impl FnOnce() -> Result<Vec<u8>, String>,
) -> Outcome {
    outcome(|| {
        let data = bytes().map_err(|e| Diagnostic::error(name, e))?;
        write_atomic(&path, &data).map_err(|e| Diagnostic::error(name, e))?;
        Ok(Outcome::Saved(path))
    })
}
