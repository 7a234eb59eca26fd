//! Where messages are applied: [`App::update`], the one place the app's state changes (a
//! user's command through [`App::apply`], a job's outcome through `App::accept`), and the
//! queue panels and jobs send into.

use crate::gui::app::App;
use crate::gui::command::Command;
use crate::gui::editor::SourceBuffer;
use crate::gui::message::Message;

impl App {
    /// Applies one message: a command or a job's outcome.
    pub fn update(&mut self, msg: Message) {
        match msg {
            Message::Command(cmd) => self.apply(cmd),
            Message::Job(out) => {
                let ctx = self.ctx.clone();
                self.accept(&ctx, out);
            }
        }
    }

    /// Applies one command: the only place the app's state changes at a user's request.
    pub fn apply(&mut self, cmd: Command) {
        match cmd {
            Command::Open { path, slot } => self.open_guarded(path, slot),
            Command::OpenDialog(slot) => self.dialog_open(slot),
            Command::Activate(slot) => {
                if self.active != slot {
                    self.active = slot;
                    self.selected = None;
                    self.selected_stage = None;
                }
            }
            Command::ShowTab(tab) => self.tab = tab,
            Command::Select(layer) => self.select(layer),
            Command::PickNode(i) => self.pick_node(i),
            Command::SelectStage(stage) => self.select_stage(stage),
            Command::CollapseStage { stage, collapsed } => {
                self.set_stage_collapsed(stage, collapsed);
            }
            Command::CollapseAll(collapsed) => self.collapse_all(collapsed),
            Command::ColorBy(by) => self.color_graph(by),
            Command::GraphSearch(text) => {
                if let Some(g) = self.slots[self.active.index()].graph.as_mut() {
                    g.search = text;
                }
            }
            Command::SortTable(by) => {
                self.table.descending = self.table.by == by && !self.table.descending;
                self.table.by = by;
            }
            Command::CancelJob(id) => {
                self.jobs.cancel(id);
                if self.eval.job == Some(id) {
                    self.eval.job = None;
                    self.eval.progress = [None, None];
                }
            }
            Command::OpenMakeCsp => self.open_make_csp(),
            Command::MakeCsp(action) => self.make_csp_action(action),
            Command::Edit { slot, text } => self.edit(slot, text),
            Command::ApplyFix {
                slot,
                generation,
                edits,
            } => self.apply_fix(slot, generation, &edits),
            Command::OpenFixForm(slot) => self.open_fix_form(slot),
            Command::PreviewFix(req) => self.preview_fix(req),
            Command::ApplyPreview => self.apply_preview(),
            Command::CloseFixForm => self.fix_form = None,
            Command::Undo(slot) => self.change(slot, SourceBuffer::undo),
            Command::Redo(slot) => self.change(slot, SourceBuffer::redo),
            Command::Save(slot) => self.save(slot, false),
            Command::SaveAs(slot, path) => self.save_as(slot, path),
            Command::Revert(slot) => self.change(slot, SourceBuffer::revert),
            Command::Detection(action) => self.detection_action(action),
            Command::Evaluate(action) => self.evaluate_action(action),
            Command::OpenImages(paths) => self.open_gallery(paths),
            Command::ShowGalleryImage(i) => self.show_gallery_image(i),
            Command::ExportGalleryJson => self.export_gallery_json(),
            Command::Export(format) => self.export_table(format),
            Command::ExportOnnx(path) => self.export_onnx(path),
            Command::Answer(answer) => self.answer(answer),
            Command::CloseRequested => self.close_requested(),
        }
    }

    /// Queues a message (a panel's command, a job's outcome); the queue is applied in order
    /// before the next frame is drawn.
    pub fn send(&mut self, msg: impl Into<Message>) {
        self.messages.push(msg.into());
    }

    /// Applies the queued messages in the order they were sent (and those they send).
    pub(in crate::gui) fn apply_queued(&mut self) {
        while !self.messages.is_empty() {
            for msg in std::mem::take(&mut self.messages) {
                self.update(msg);
            }
        }
    }
}
