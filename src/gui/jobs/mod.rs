//! Background jobs: every load, analysis and inference runs on a named thread and reports back
//! through a channel; the UI polls once per frame and shows what is running, with a cancel
//! button. A cancelled job's result is dropped when it arrives; a job that panics reports an
//! internal error instead of vanishing.

pub(in crate::gui) mod eval_job;
pub(in crate::gui) mod gallery_job;
pub mod load;
pub(in crate::gui) mod roofline_job;

use crate::gui::diagnostics::Diagnostic;
use crate::gui::doc::{DetectionRun, Document};
use crate::gui::slot::Slot;
use crate::weights::Weights;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

/// What a finished job hands to the app.
#[derive(Debug)]
pub enum Outcome {
    /// A cfg was analysed and laid out.
    Cfg {
        /// Where it goes.
        slot: Slot,
        /// The open request it answers (dropped unless it is the slot's latest).
        ticket: u64,
        /// The new document.
        doc: Box<Document>,
    },
    /// A cfg that does not build was read: its text opens for fixing where no network is
    /// open; an open network is never replaced by it.
    BrokenCfg {
        /// Where it goes.
        slot: Slot,
        /// The open request it answers (dropped unless it is the slot's latest).
        ticket: u64,
        /// The text, its findings, no layers.
        doc: Box<Document>,
        /// Why it does not build.
        error: Diagnostic,
    },
    /// Weights were read against a document's network.
    Weights {
        /// The document they belong to.
        slot: Slot,
        /// The text version they were checked against (a result for another is dropped).
        generation: u64,
        /// The file.
        path: PathBuf,
        /// The weights.
        weights: Arc<Weights>,
    },
    /// Class names were read.
    Names {
        /// The document they belong to.
        slot: Slot,
        /// The file.
        path: PathBuf,
        /// One name per class.
        names: Arc<Vec<String>>,
    },
    /// A detection ran.
    Detection {
        /// The document it ran on.
        slot: Slot,
        /// The text version it ran with (a result for another is dropped).
        generation: u64,
        /// The result.
        run: Box<DetectionRun>,
    },
    /// The pretrained models are in this folder.
    Models(PathBuf),
    /// Files chosen in an open dialog.
    Picked {
        /// The files.
        paths: Vec<PathBuf>,
        /// Where they go (the active network when `None`).
        slot: Option<Slot>,
    },
    /// A file was written.
    Saved(PathBuf),
    /// An edited text was re-analysed.
    Edited {
        /// The document.
        slot: Slot,
        /// The text version analysed (dropped unless it is still the current one).
        generation: u64,
        /// Its findings and views.
        edited: Box<crate::gui::doc::Edited>,
        /// Why the recovery file could not be written.
        recovery: Option<String>,
    },
    /// One image of a gallery run finished.
    GalleryItem {
        /// The run.
        to: crate::gui::doc::Target,
        /// Its position in the run.
        index: usize,
        /// What it gave, or why it failed.
        item: Box<Result<crate::gui::gallery::Shot, String>>,
    },
    /// A gallery run ended.
    GalleryDone {
        /// The run.
        to: crate::gui::doc::Target,
        /// How long it took.
        seconds: f64,
    },
    /// A backend's roofline ceilings were measured.
    Ceilings {
        /// The backend (`cpu`, `wgpu`).
        engine: &'static str,
        /// Its ceilings.
        ceilings: crate::profile::roofline::Ceilings,
    },
    /// A cfg's text was written to its file.
    SourceSaved {
        /// The document.
        slot: Slot,
        /// The file.
        path: PathBuf,
        /// The text written.
        text: String,
        /// The written bytes' stamp.
        stamp: u64,
        /// The document's file before a Save As (it now belongs to `path`).
        renamed_from: Option<PathBuf>,
    },
    /// Saving stopped: the file changed on disk since it was read.
    SaveConflict(Slot),
    /// An evaluation's progress: images done of all.
    EvalProgress {
        /// The network.
        slot: Slot,
        /// Images done.
        done: usize,
        /// Images to do.
        total: usize,
    },
    /// A network's evaluation ended.
    Evaluated {
        /// The network.
        slot: Slot,
        /// The document generation evaluated (a result for another is dropped).
        generation: u64,
        /// The evaluation.
        run: Box<crate::gui::evaluation::EvalRun>,
    },
    /// The evaluation job ended (every network done, or one failed).
    EvalDone,
    /// A dataset was chosen (a folder dialog).
    EvalSource(crate::gui::evaluation::DataSource),
    /// Anchors were proposed from the dataset's labels.
    Anchors(Box<crate::gui::evaluation::AnchorsState>),
    /// A CSP network was written by Make CSP.
    MadeCsp(PathBuf),
    /// Something went wrong; nothing open was changed.
    Failed(Diagnostic),
}

/// What a job sends: its id, whether this is its final result, the outcome.
type Message = (u64, bool, Outcome);

/// What a long job uses to hand over results before it ends (a gallery's images as they
/// finish); they are applied like final ones, and dropped once the job is cancelled.
#[derive(Debug, Clone)]
pub struct Progress {
    id: u64,
    tx: Sender<Message>,
    repaint: Option<egui::Context>,
}

impl Progress {
    /// Hands over one result now.
    pub fn send(&self, out: Outcome) {
        // the receiver is gone only when the app has closed
        let _ = self.tx.send((self.id, false, out));
        if let Some(ctx) = &self.repaint {
            ctx.request_repaint();
        }
    }
}

/// A job still running.
#[derive(Debug, Clone)]
pub struct Running {
    /// Its number.
    pub id: u64,
    /// What it does, for the status bar.
    pub name: String,
    /// Set by the cancel button; the job checks it between stages.
    pub cancel: Arc<AtomicBool>,
    /// When it started.
    pub started: Instant,
}

/// The job runner.
#[derive(Debug)]
pub struct Jobs {
    tx: Sender<Message>,
    rx: Receiver<Message>,
    running: Vec<Running>,
    next: u64,
    repaint: Option<egui::Context>,
}

impl Default for Jobs {
    fn default() -> Self {
        let (tx, rx) = channel();
        Self {
            tx,
            rx,
            running: Vec::new(),
            next: 0,
            repaint: None,
        }
    }
}

impl Jobs {
    /// Wakes the UI when a job ends.
    pub fn set_repaint(&mut self, ctx: egui::Context) {
        self.repaint = Some(ctx);
    }

    /// The jobs still running.
    pub fn running(&self) -> &[Running] {
        &self.running
    }

    /// Starts `work` on a thread named `csplens-<name>`.
    ///
    /// Returns the job's id.
    pub fn spawn(
        &mut self,
        name: impl Into<String>,
        work: impl FnOnce(&AtomicBool) -> Outcome + Send + 'static,
    ) -> u64 {
        self.spawn_streaming(name, move |cancel, _| work(cancel))
    }

    /// Whether job `id` is still running.
    pub fn is_running(&self, id: u64) -> bool {
        self.running.iter().any(|j| j.id == id)
    }

    /// Starts `work`, which may hand over results through its [`Progress`] before its final
    /// one, on a thread named `csplens-<name>`.
    pub fn spawn_streaming(
        &mut self,
        name: impl Into<String>,
        work: impl FnOnce(&AtomicBool, &Progress) -> Outcome + Send + 'static,
    ) -> u64 {
        let name = name.into();
        let id = self.next;
        self.next += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        let tx = self.tx.clone();
        let repaint = self.repaint.clone();
        let label = name.clone();
        let progress = Progress {
            id,
            tx: tx.clone(),
            repaint: repaint.clone(),
        };
        let thread_name: String = format!("csplens-{name}").chars().take(60).collect();
        let spawned = std::thread::Builder::new()
            .name(thread_name)
            .spawn(move || {
                let run = std::panic::AssertUnwindSafe(|| work(&flag, &progress));
                let out = std::panic::catch_unwind(run).unwrap_or_else(|_| {
                    Outcome::Failed(Diagnostic::error(
                        &label,
                        "internal error: the job stopped unexpectedly (please report it)",
                    ))
                });
                // the receiver is gone only when the app has closed
                let _ = tx.send((id, true, out));
                if let Some(ctx) = repaint {
                    ctx.request_repaint();
                }
            });
        match spawned {
            Ok(_) => self.running.push(Running {
                id,
                name,
                cancel,
                started: Instant::now(),
            }),
            Err(e) => {
                let _ = self.tx.send((
                    id,
                    true,
                    Outcome::Failed(Diagnostic::error(
                        &name,
                        format!("cannot start a thread: {e}"),
                    )),
                ));
            }
        }
        id
    }

    /// Asks job `id` to stop; its result, if it still comes, is dropped.
    pub fn cancel(&mut self, id: u64) {
        if let Some(job) = self.running.iter().find(|j| j.id == id) {
            job.cancel.store(true, Ordering::SeqCst);
        }
    }

    fn accept(&mut self, (id, last, out): Message) -> Option<Outcome> {
        let pos = self.running.iter().position(|j| j.id == id);
        let cancelled = pos.is_some_and(|p| self.running[p].cancel.load(Ordering::SeqCst));
        if last && let Some(p) = pos {
            self.running.remove(p);
        }
        (!cancelled).then_some(out)
    }

    /// The results that arrived since the last call (never blocks).
    pub fn poll(&mut self) -> Vec<Outcome> {
        let mut out = Vec::new();
        while let Ok(m) = self.rx.try_recv() {
            out.extend(self.accept(m));
        }
        out
    }

    /// Blocks until every running job ended or `timeout` passed (scripts, tests, benches).
    pub fn wait_all(&mut self, timeout: Duration) -> Vec<Outcome> {
        let end = Instant::now() + timeout;
        let mut out = Vec::new();
        while !self.running.is_empty() {
            let left = end.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(m) => out.extend(self.accept(m)),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        out.extend(self.poll());
        out
    }
}

/// `Err(Failed)` when the job was cancelled, for `?` between stages.
pub fn check(cancel: &AtomicBool, what: &str) -> Result<(), Diagnostic> {
    if cancel.load(Ordering::SeqCst) {
        Err(Diagnostic::info(what, "cancelled"))
    } else {
        Ok(())
    }
}

/// Runs `f` and wraps its error as a failed outcome.
pub fn outcome(f: impl FnOnce() -> Result<Outcome, Diagnostic>) -> Outcome {
    f().unwrap_or_else(Outcome::Failed)
}

/// How long to wait for a job in scripts and tests.
pub const WAIT: Duration = Duration::from_secs(600);
