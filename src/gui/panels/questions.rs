//! The app's questions as modal dialogs: unsaved edits about to be replaced or closed, a file
//! changed on disk before a save, edits recovered after a crash. Escape or a click outside
//! cancels.

use crate::gui::command::{Answer, Question};
use egui::RichText;

/// The title, the sentence and the buttons of a question.
fn wording(q: &Question) -> (String, String, Vec<(Answer, &'static str)>) {
    match q {
        Question::ReplaceUnsaved { slot, path } => (
            "Unsaved edits".into(),
            format!(
                "Network {slot:?} has unsaved edits. Opening {} replaces it.",
                path.display()
            ),
            vec![
                (Answer::Save, "Save, then open"),
                (Answer::Discard, "Discard edits and open"),
                (Answer::Cancel, "Keep editing"),
            ],
        ),
        Question::CloseUnsaved => (
            "Unsaved edits".into(),
            "A cfg has unsaved edits. Closing csplens drops them.".into(),
            vec![
                (Answer::Save, "Save and close"),
                (Answer::Discard, "Discard and close"),
                (Answer::Cancel, "Keep editing"),
            ],
        ),
        Question::ChangedOnDisk(slot) => (
            "File changed on disk".into(),
            format!(
                "Network {slot:?}'s file changed on disk since csplens read it. Saving replaces those changes with yours."
            ),
            vec![
                (Answer::Overwrite, "Replace the file"),
                (Answer::Cancel, "Do not save"),
            ],
        ),
        Question::Recovery(found) => {
            let files: Vec<String> = found.iter().map(|r| r.path.display().to_string()).collect();
            (
                "Recovered edits".into(),
                format!(
                    "csplens did not close normally last time. Unsaved edits were kept for:\n{}",
                    files.join("\n")
                ),
                vec![
                    (Answer::Restore, "Restore them"),
                    (Answer::Discard, "Discard them"),
                    (Answer::Cancel, "Ask next time"),
                ],
            )
        }
    }
}

/// Draws the open question; returns the answer a button (or Escape) gave.
pub fn show(ctx: &egui::Context, q: &Question) -> Option<Answer> {
    let (title, sentence, buttons) = wording(q);
    let mut answer = None;
    let modal = egui::Modal::new(egui::Id::new("csplens-question")).show(ctx, |ui| {
        ui.set_max_width(460.0);
        ui.heading(title);
        ui.label(RichText::new(sentence));
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            for (a, label) in buttons {
                if ui.button(label).clicked() {
                    answer = Some(a);
                }
            }
        });
    });
    if answer.is_none() && modal.should_close() {
        answer = Some(Answer::Cancel);
    }
    answer
}
