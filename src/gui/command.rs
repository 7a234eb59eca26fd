//! Every change the user makes to the app's state, as one value. Panels never change the
//! app themselves: they send a [`Command`], and `App::apply` (apply.rs) applies it, in one
//! place, after the frame's panels are drawn (scripts and tests call `apply` directly).

use crate::doctor::Edit;
use crate::gui::editor::recovery::Recovered;
use crate::gui::graph::ColorBy;
use crate::gui::panels::detect_view;
use crate::gui::panels::make_csp::FormAction;
use crate::gui::panels::table::SortBy;
use crate::gui::slot::Slot;
use crate::report::Format;
use std::path::PathBuf;

/// One change to the app's state.
#[derive(Debug, Clone)]
pub enum Command {
    /// Opens a file by its kind into a network (the active one when `None`); a cfg that would
    /// replace a network with unsaved edits asks first.
    Open {
        /// The file.
        path: PathBuf,
        /// Which network.
        slot: Option<Slot>,
    },
    /// The native open dialog for a network (the active one when `None`).
    OpenDialog(Option<Slot>),
    /// Shows network A or B in the views.
    Activate(Slot),
    /// Shows a central view.
    ShowTab(Tab),
    /// Selects a layer of the active network everywhere.
    Select(Option<usize>),
    /// Selects a layer by a click on its graph node (the graph keeps its view).
    PickNode(usize),
    /// Selects a CSP stage of the active network.
    SelectStage(Option<usize>),
    /// Collapses or expands a CSP stage's group in the active graph.
    CollapseStage {
        /// The stage.
        stage: usize,
        /// Collapsed or not.
        collapsed: bool,
    },
    /// Collapses (or expands) every group of the active graph.
    CollapseAll(bool),
    /// Colours the graph's nodes by another figure.
    ColorBy(ColorBy),
    /// The graph's search text (what "Find next" looks for).
    GraphSearch(String),
    /// Sorts the layer table by a column (again: reverses it).
    SortTable(SortBy),
    /// Cancels a running job.
    CancelJob(u64),
    /// Opens the "Make CSP" form for the active network.
    OpenMakeCsp,
    /// The "Make CSP" form's answer.
    MakeCsp(FormAction),
    /// The editor's text after keystrokes (re-analysed once typing pauses).
    Edit {
        /// Which network's text.
        slot: Slot,
        /// The whole text.
        text: String,
    },
    /// A finding's fix, as line edits of the text of `generation` (refused on another).
    ApplyFix {
        /// Which network's text.
        slot: Slot,
        /// The text version the edits were computed on.
        generation: u64,
        /// The line edits.
        edits: Vec<Edit>,
    },
    /// Opens the fix form (set classes, input size) for a network.
    OpenFixForm(Slot),
    /// Computes the fix form's result and diff (shown before anything is applied).
    PreviewFix(FixRequest),
    /// Replaces a network's text by the fix form's result (one undoable step).
    ApplyPreview,
    /// Closes the fix form.
    CloseFixForm,
    /// Undoes a network's last text step.
    Undo(Slot),
    /// Redoes it.
    Redo(Slot),
    /// Writes a network's text to its file (atomically; asks when the file changed on disk);
    /// a text not read from a file asks where.
    Save(Slot),
    /// Writes a network's text to another file (`None`: ask where), which it then belongs to.
    SaveAs(Slot, Option<PathBuf>),
    /// Goes back to the file's text (undoable).
    Revert(Slot),
    /// A detection-view action (threshold, backend, save, open an image).
    Detection(detect_view::Action),
    /// An Evaluate-tab action (dataset, options, run, anchors).
    Evaluate(crate::gui::evaluation::Action),
    /// Runs many images (folders, files) through the active network into the gallery.
    OpenImages(Vec<PathBuf>),
    /// Opens a gallery image in the detection view.
    ShowGalleryImage(usize),
    /// Asks where to save the gallery's darknet JSON.
    ExportGalleryJson,
    /// Exports the active network's layer table.
    Export(Format),
    /// Writes the active network with its weights as ONNX to this file (`None`: ask where).
    ExportOnnx(Option<PathBuf>),
    /// Answers the open question.
    Answer(Answer),
    /// The window is asked to close.
    CloseRequested,
}

/// A question the app waits on before it may go on (a modal dialog).
#[derive(Debug, Clone, PartialEq)]
pub enum Question {
    /// Opening `path` would replace a network whose text has unsaved edits.
    ReplaceUnsaved {
        /// The network.
        slot: Slot,
        /// The file to open.
        path: PathBuf,
    },
    /// Closing the app with unsaved edits.
    CloseUnsaved,
    /// The file changed on disk since it was opened or saved; saving would replace it.
    ChangedOnDisk(Slot),
    /// Unsaved edits from a session that did not close normally.
    Recovery(Vec<Recovered>),
}

/// An answer to a [`Question`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Save the edits first, then go on.
    Save,
    /// Drop the edits (or the recovered texts) and go on.
    Discard,
    /// Replace the file changed on disk.
    Overwrite,
    /// Reopen the recovered texts.
    Restore,
    /// Do nothing.
    Cancel,
}

/// The central view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Tab {
    /// The layer graph.
    Graph,
    /// The layer table.
    Table,
    /// Profile charts.
    Charts,
    /// A against B.
    Compare,
    /// Accuracy on labelled images beside cost, A and B.
    Accuracy,
    /// Accuracy on labelled images: mAP, COCO AP, misses, anchors.
    Evaluate,
    /// Detection on an image.
    Detection,
    /// Many images: the gallery.
    Gallery,
    /// The cfg text with the doctor's findings.
    Source,
}

/// What the fix form asks `csplens fix` for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixRequest {
    /// Which network.
    pub slot: Slot,
    /// Classes.
    pub classes: usize,
    /// Input width (snapped to the largest stride).
    pub width: Option<usize>,
    /// Input height, likewise.
    pub height: Option<usize>,
}
