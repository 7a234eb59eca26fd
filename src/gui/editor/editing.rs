//! Editing an open cfg: keystrokes, fixes, undo and redo change the document's text; once
//! typing pauses a job re-analyses it (and writes the recovery file), and its result is
//! adopted only if no newer text came since. Save writes atomically after checking that the
//! file is as it was read; opening over or closing unsaved edits asks first.

use crate::gui::app::App;
use crate::gui::command::{Answer, Command, FixRequest, Question};
use crate::gui::diagnostics::{self, Diagnostic};
use crate::gui::doc::Edited;
use crate::gui::doc::FileKind;
use crate::gui::editor::recovery::{self, Recovered};
use crate::gui::editor::{ChangeKind, SourceBuffer, stamp};
use crate::gui::graph::GraphState;
use crate::gui::jobs::load;
use crate::gui::jobs::{Outcome, outcome};
use crate::gui::panels::fix_form::{self, FixForm};
use crate::gui::slot::Slot;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Quiet time after a keystroke before the text is re-analysed.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

impl App {
    /// True when any open network's text has unsaved edits.
    pub fn any_dirty(&self) -> bool {
        self.slots
            .iter()
            .filter_map(|s| s.doc.as_ref())
            .any(|d| d.source.is_dirty())
    }

    /// True when the window may close now (no unsaved edits, or the user let them go).
    pub fn may_close(&self) -> bool {
        self.close_allowed || !self.any_dirty()
    }

    pub(in crate::gui) fn edit(&mut self, slot: Slot, text: String) {
        let k = slot.index();
        if let Some(doc) = self.slots[k].doc.as_mut()
            && doc.source.set_text(text, ChangeKind::Typing)
        {
            self.slots[k].edit_due = Some(Instant::now() + DEBOUNCE);
        }
    }

    /// Re-analyses `slot`'s text at the next frame (a step: fix, undo, redo, restore).
    fn reanalyse_now(&mut self, slot: Slot) {
        self.slots[slot.index()].edit_due = Some(Instant::now());
    }

    pub(in crate::gui) fn apply_fix(
        &mut self,
        slot: Slot,
        generation: u64,
        edits: &[crate::doctor::Edit],
    ) {
        let Some(doc) = self.slots[slot.index()].doc.as_mut() else {
            return;
        };
        if doc.source.generation() != generation {
            let d = Diagnostic::info(
                &doc.path.display().to_string(),
                "the text changed since this finding; its fix was not applied (it is offered again once the text is analysed)",
            );
            self.report(d);
            return;
        }
        let text = crate::doctor::apply(doc.source.text(), edits);
        if doc.source.set_text(text, ChangeKind::Step) {
            self.reanalyse_now(slot);
        }
    }

    /// Replaces `slot`'s whole text as one undoable step.
    pub(in crate::gui) fn replace_text(&mut self, slot: Slot, text: String) {
        self.change(slot, |s| s.set_text(text, ChangeKind::Step));
    }

    /// Applies `f` to `slot`'s text; re-analyses it when `f` changed it.
    pub(in crate::gui) fn change(&mut self, slot: Slot, f: impl FnOnce(&mut SourceBuffer) -> bool) {
        if self.slots[slot.index()]
            .doc
            .as_mut()
            .is_some_and(|d| f(&mut d.source))
        {
            self.reanalyse_now(slot);
        }
    }

    /// Starts the re-analysis of every edited text now, without waiting for typing to pause
    /// (scripts and tests).
    pub fn flush_edits(&mut self) {
        self.apply_queued();
        self.start_due_edits(true);
    }

    /// Starts the re-analysis of every text whose quiet time is over (all of them when
    /// `all`); returns how long until the next one is due.
    pub(in crate::gui) fn start_due_edits(&mut self, all: bool) -> Option<Duration> {
        let now = Instant::now();
        let mut next = None::<Duration>;
        for slot in [Slot::A, Slot::B] {
            let k = slot.index();
            match self.slots[k].edit_due {
                Some(due) if all || due <= now => {
                    self.slots[k].edit_due = None;
                    self.spawn_edit_job(slot);
                }
                Some(due) => {
                    let left = due - now;
                    next = Some(next.map_or(left, |n| n.min(left)));
                }
                None => {}
            }
        }
        next
    }

    fn spawn_edit_job(&mut self, slot: Slot) {
        let Some(doc) = &self.slots[slot.index()].doc else {
            return;
        };
        let (path, text) = (doc.path.clone(), doc.source.text().to_string());
        let (generation, dirty, caps) = (doc.source.generation(), doc.source.is_dirty(), self.caps);
        let weights = doc.weights.as_ref().map(|(_, w)| w.clone());
        let dir = self.recovery_dir.clone();
        let name = format!("re-analyse {}", doc.title());
        self.jobs.spawn(name, move |_| {
            let edited = load::edited(&path, &text, &caps, weights.as_deref());
            let saved_recovery = match &dir {
                Some(dir) if dirty => recovery::write(dir, &path, &text),
                Some(dir) => {
                    recovery::remove(dir, &path);
                    Ok(())
                }
                None => Ok(()),
            };
            Outcome::Edited {
                slot,
                generation,
                edited: Box::new(edited),
                recovery: saved_recovery.err(),
            }
        });
    }

    /// Adopts a re-analysis if it is of the text as it is now; a late one is dropped.
    pub(in crate::gui) fn accept_edited(&mut self, slot: Slot, generation: u64, e: Edited) {
        let k = slot.index();
        let Some(doc) = self.slots[k].doc.as_mut() else {
            return;
        };
        if doc.source.generation() != generation {
            return;
        }
        let file = doc.path.display().to_string();
        doc.lint = e.lint;
        doc.lint_generation = generation;
        self.diagnostics.retain(|d| d.file != file);
        let built = match e.built {
            Ok(built) => built,
            Err(d) => {
                doc.build_error = Some(d.text());
                self.diagnostics.push(d);
                return;
            }
        };
        let image = doc.detection.as_ref().map(|r| r.path.clone());
        doc.adopt(*built, generation);
        let detached = !e.weights_fit && doc.weights.take().is_some();
        self.diagnostics
            .extend(diagnostics::warnings_of(&doc.analysis));
        let layers = doc.analysis.network.layers.len();
        self.slots[k].graph = Some(GraphState::new(
            doc,
            self.color_by,
            format!("graph-{slot:?}"),
        ));
        self.slots[k].texture = None;
        if detached {
            self.report(Diagnostic::info(
                &file,
                "weights detached: the edited network reads its weights at other places than the attached file holds them; drop a matching .weights",
            ));
        }
        if slot == self.active {
            let keep = self.selected.filter(|&i| i < layers);
            self.select(keep);
        }
        if let Some(img) = image.filter(|_| !detached) {
            self.run_detection(slot, img);
        }
    }

    /// Writes `slot`'s text to its file; unless `force`, first checks that the file is as it
    /// was read or last saved.
    pub(in crate::gui) fn save(&mut self, slot: Slot, force: bool) {
        let Some(doc) = &self.slots[slot.index()].doc else {
            return;
        };
        if doc.source.disk_stamp().is_none() {
            // not read from a file (a demo cfg, a recovered text): never over whatever its
            // name points at, ask where
            self.save_as(slot, None);
            return;
        }
        let (path, text) = (doc.path.clone(), doc.source.text().to_string());
        let expected = doc.source.disk_stamp();
        let dir = self.recovery_dir.clone();
        self.jobs.spawn(format!("save {}", doc.title()), move |_| {
            outcome(|| {
                if !force && let Ok(now) = std::fs::read(&path) {
                    // a file that vanished is simply written again; one that changed asks
                    if expected != Some(stamp(&now)) {
                        return Ok(Outcome::SaveConflict(slot));
                    }
                }
                write_source(slot, path, text, dir.as_deref(), None)
            })
        });
    }

    /// Writes `slot`'s text to `path` (asked in a dialog when `None`), atomically; the
    /// document then belongs to that file.
    pub(in crate::gui) fn save_as(&mut self, slot: Slot, path: Option<PathBuf>) {
        let Some(doc) = &self.slots[slot.index()].doc else {
            return;
        };
        let (old, text, name) = (doc.path.clone(), doc.source.text().to_string(), doc.title());
        let dir = self.recovery_dir.clone();
        self.jobs.spawn(format!("save {name} as"), move |_| {
            let path = match path {
                Some(p) => p,
                None => {
                    let picked = pollster::block_on(
                        rfd::AsyncFileDialog::new()
                            .set_file_name(&name)
                            .add_filter("cfg", &["cfg"])
                            .save_file(),
                    );
                    let Some(file) = picked else {
                        return Outcome::Failed(Diagnostic::info(
                            &name,
                            "not saved (dialog cancelled)",
                        ));
                    };
                    file.path().to_path_buf()
                }
            };
            outcome(|| write_source(slot, path, text, dir.as_deref(), Some(old)))
        });
    }

    /// A saved text: the document is clean again up to what was typed since; a command
    /// waiting on the save goes on.
    pub(in crate::gui) fn accept_saved(
        &mut self,
        slot: Slot,
        (path, renamed_from): (PathBuf, Option<PathBuf>),
        text: String,
        disk: u64,
    ) {
        let k = slot.index();
        let was = renamed_from.as_ref().unwrap_or(&path);
        let Some(doc) = self.slots[k].doc.as_mut().filter(|d| &d.path == was) else {
            return;
        };
        doc.path = path.clone();
        doc.source.mark_saved(text, disk);
        let still_dirty = doc.source.is_dirty();
        self.report(Diagnostic::info(&path.display().to_string(), "saved"));
        if still_dirty {
            // typed while saving: the recovery file the save removed is written again
            self.reanalyse_now(slot);
        }
        if let Some(cmd) = self.slots[k].after_save.take() {
            self.apply(cmd);
        }
        if self.close_after_save && !self.any_dirty() {
            self.close_after_save = false;
            self.close_allowed = true;
            self.close_now = true;
        }
    }

    /// Opens a file; a cfg that would replace unsaved edits asks first.
    pub(in crate::gui) fn open_guarded(&mut self, path: PathBuf, slot: Option<Slot>) {
        let s = slot.unwrap_or(self.active);
        let dirty = self.slots[s.index()]
            .doc
            .as_ref()
            .is_some_and(|d| d.source.is_dirty());
        if dirty && FileKind::of(&path) == Some(FileKind::Cfg) {
            self.question = Some(Question::ReplaceUnsaved { slot: s, path });
        } else {
            self.open(path, slot);
        }
    }

    pub(in crate::gui) fn close_requested(&mut self) {
        if self.may_close() {
            self.close_allowed = true;
            self.close_now = true;
        } else {
            self.question = Some(Question::CloseUnsaved);
        }
    }

    /// Offers back the unsaved edits a previous run left in the recovery directory.
    pub fn offer_recovery(&mut self) {
        let Some(dir) = &self.recovery_dir else {
            return;
        };
        let found = recovery::scan(dir);
        if !found.is_empty() {
            self.question = Some(Question::Recovery(found));
        }
    }

    pub(in crate::gui) fn answer(&mut self, answer: Answer) {
        let Some(q) = self.question.take() else {
            return;
        };
        match (q, answer) {
            (Question::ReplaceUnsaved { slot, path }, Answer::Save) => {
                self.slots[slot.index()].after_save = Some(Command::Open {
                    path,
                    slot: Some(slot),
                });
                self.save(slot, false);
            }
            (Question::ReplaceUnsaved { slot, path }, Answer::Discard) => {
                self.forget_recovery(slot);
                self.open(path, Some(slot));
            }
            (Question::CloseUnsaved, Answer::Save) => {
                self.close_after_save = true;
                for slot in [Slot::A, Slot::B] {
                    if self.slots[slot.index()]
                        .doc
                        .as_ref()
                        .is_some_and(|d| d.source.is_dirty())
                    {
                        self.save(slot, false);
                    }
                }
            }
            (Question::CloseUnsaved, Answer::Discard) => {
                self.forget_recovery(Slot::A);
                self.forget_recovery(Slot::B);
                self.close_allowed = true;
                self.close_now = true;
            }
            (Question::ChangedOnDisk(slot), Answer::Overwrite) => self.save(slot, true),
            (Question::Recovery(found), Answer::Restore) => self.restore_recovered(found),
            (Question::Recovery(found), Answer::Discard) => {
                if let Some(dir) = &self.recovery_dir {
                    for r in &found {
                        recovery::remove(dir, &r.path);
                    }
                }
            }
            (_, _) => {
                // cancelled: nothing waits on a save any more
                for s in &mut self.slots {
                    s.after_save = None;
                }
                self.close_after_save = false;
            }
        }
    }

    fn forget_recovery(&self, slot: Slot) {
        if let (Some(dir), Some(doc)) = (&self.recovery_dir, &self.slots[slot.index()].doc) {
            recovery::remove(dir, &doc.path);
        }
    }

    /// Reopens recovered texts: A, then B (more stay in the directory for the next start).
    fn restore_recovered(&mut self, found: Vec<Recovered>) {
        for (r, slot) in found.into_iter().zip([Slot::A, Slot::B]) {
            let k = slot.index();
            if r.path.is_file() {
                self.slots[k].pending_recovery = Some(r.text);
                self.load(r.path, Some(slot));
            } else {
                // the file is gone: the text comes back as a new, unsaved file at its path
                let caps = self.caps;
                let ticket = self.open_ticket(slot);
                self.jobs.spawn("restore recovered text", move |_| {
                    outcome(|| {
                        let mut doc = load::cfg_document(&r.path, r.text.as_bytes(), &caps)?;
                        doc.source = SourceBuffer::recovered(r.text);
                        doc.generation = doc.source.generation();
                        doc.lint_generation = doc.generation;
                        Ok(Outcome::Cfg {
                            slot,
                            ticket,
                            doc: Box::new(doc),
                        })
                    })
                });
            }
        }
    }

    /// A freshly opened document takes the recovered text waiting for its slot.
    pub(in crate::gui) fn take_recovered(&mut self, slot: Slot) {
        let k = slot.index();
        if let (Some(text), Some(doc)) = (
            self.slots[k].pending_recovery.take(),
            self.slots[k].doc.as_mut(),
        ) && doc.source.set_text(text, ChangeKind::Step)
        {
            self.reanalyse_now(slot);
        }
    }
}

/// The fix form's commands: open it, preview a fix (its diff), apply the preview.
impl App {
    pub(in crate::gui) fn open_fix_form(&mut self, slot: Slot) {
        self.fix_form = self.slots[slot.index()]
            .doc
            .as_ref()
            .map(|d| FixForm::new(slot, d));
    }

    pub(in crate::gui) fn preview_fix(&mut self, req: FixRequest) {
        let (Some(form), Some(doc)) = (self.fix_form.as_mut(), &self.slots[req.slot.index()].doc)
        else {
            return;
        };
        match fix_form::preview(doc, &req) {
            Ok(p) => {
                form.error = None;
                form.preview = Some(p);
            }
            Err(e) => {
                form.preview = None;
                form.error = Some(e);
            }
        }
    }

    pub(in crate::gui) fn apply_preview(&mut self) {
        let Some(form) = self.fix_form.take() else {
            return;
        };
        let Some(p) = form.preview.clone() else {
            self.fix_form = Some(form);
            return;
        };
        let current = self.slots[form.slot.index()]
            .doc
            .as_ref()
            .map(|d| d.source.generation());
        if current == Some(p.generation) {
            self.replace_text(form.slot, p.text);
        } else {
            self.fix_form = Some(FixForm {
                preview: None,
                error: Some("the text changed since this preview: preview again".into()),
                ..form
            });
        }
    }
}

/// Writes a document's text to `path` atomically and removes its recovery file (the one of
/// `renamed_from` after a Save As): a save job's work.
fn write_source(
    slot: Slot,
    path: PathBuf,
    text: String,
    recovery_dir: Option<&std::path::Path>,
    renamed_from: Option<PathBuf>,
) -> Result<Outcome, Diagnostic> {
    crate::files::write_atomic(&path, text.as_bytes())
        .map_err(|e| Diagnostic::error(&path.display().to_string(), e))?;
    if let Some(dir) = recovery_dir {
        recovery::remove(dir, renamed_from.as_ref().unwrap_or(&path));
    }
    let stamp = stamp(text.as_bytes());
    Ok(Outcome::SourceSaved {
        slot,
        path,
        text,
        stamp,
        renamed_from,
    })
}
