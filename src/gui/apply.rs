//! Where commands are applied: [`App::apply`], the one place the app's state changes at a
//! user's request, and the queue panels send into during a frame.

use super::app::App;
use super::command::Command;
use super::editor::SourceBuffer;

impl App {
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
            Command::OpenImages(paths) => self.open_gallery(paths),
            Command::ShowGalleryImage(i) => self.show_gallery_image(i),
            Command::ExportGalleryJson => self.export_gallery_json(),
            Command::Export(format) => self.export_table(format),
            Command::Answer(answer) => self.answer(answer),
            Command::CloseRequested => self.close_requested(),
        }
    }

    /// Queues a command from a panel; it is applied once the frame's panels are drawn.
    pub fn send(&mut self, cmd: Command) {
        self.commands.push(cmd);
    }

    /// Applies the queued commands in the order they were sent.
    pub(super) fn apply_queued(&mut self) {
        for cmd in std::mem::take(&mut self.commands) {
            self.apply(cmd);
        }
    }
}
