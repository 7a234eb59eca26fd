//! A whole session driven through messages alone — no frame drawn, no widget clicked: open a
//! network, edit its text, undo, attach weights and detect, change the threshold, open the
//! baseline beside it and compare, select and sort. Each step's state is checked against the
//! library's own answer.

use super::models;
use csplens::backend::{BackendChoice, Precision, RunOptions, Runner};
use csplens::detect::Params;
use csplens::detect::run::Detector;
use csplens::gui::command::Command;
use csplens::gui::panels::detect_view::Action;
use csplens::gui::panels::table::SortBy;
use csplens::gui::slot::Slot;
use csplens::gui::{App, Tab};

fn open(app: &mut App, path: std::path::PathBuf, slot: Slot) {
    app.send(Command::Open {
        path,
        slot: Some(slot),
    });
}

#[test]
fn a_session_through_messages_alone() {
    let ctx = egui::Context::default();
    let mut app = App::default();
    app.backend = BackendChoice::Cpu;
    open(&mut app, models::file("yolov4-tiny", "cfg"), Slot::A);
    app.settle(&ctx);
    let doc = app.doc().expect("network A");
    assert_eq!(doc.analysis.network.layers.len(), 38);
    assert_eq!(doc.analysis.shapes.input.w, 416);
    let original = doc.source.text().to_string();

    // an edit: the input 320 wide, re-analysed
    let edited = original.replacen("width=416", "width=320", 1);
    assert_ne!(edited, original);
    app.send(Command::Edit {
        slot: Slot::A,
        text: edited.clone(),
    });
    app.flush_edits();
    app.settle(&ctx);
    let doc = app.doc().unwrap();
    assert_eq!(doc.source.text(), edited);
    assert_eq!(doc.analysis.shapes.input.w, 320);
    assert!(doc.source.is_dirty());

    // undo: the file's text and its analysis again
    app.send(Command::Undo(Slot::A));
    app.flush_edits();
    app.settle(&ctx);
    let doc = app.doc().unwrap();
    assert_eq!(doc.source.text(), original);
    assert_eq!(doc.analysis.shapes.input.w, 416);

    // weights, then an image: the detections the library gives on the same backend
    open(&mut app, models::file("yolov4-tiny", "weights"), Slot::A);
    app.settle(&ctx);
    open(&mut app, models::image("bus.jpg"), Slot::A);
    app.settle(&ctx);
    let on = models::on_bus("yolov4-tiny");
    let runner = Runner::new(
        &RunOptions::new(BackendChoice::Cpu, Precision::F32, 2),
        &on.a,
        &on.w,
    )
    .unwrap()
    .0;
    let expected = Detector::new(&on.a, &runner, Params::default(), &[])
        .image(on.image.clone())
        .unwrap()
        .detections;
    let run = app.doc().unwrap().detection.as_ref().expect("a detection");
    assert!(!expected.is_empty());
    assert_eq!(run.detections.len(), expected.len());
    for (got, want) in run.detections.iter().zip(&expected) {
        assert_eq!(got.class_id, want.class_id);
        assert!((got.confidence - want.confidence).abs() < 1e-5);
    }

    // the threshold, through the detection view's message: only the confident ones stay
    app.send(Command::Detection(Action::Rethreshold(0.9)));
    app.settle(&ctx);
    assert_eq!(app.thresh, 0.9);
    let kept = app
        .doc()
        .unwrap()
        .detection
        .as_ref()
        .unwrap()
        .detections
        .len();
    assert_eq!(kept, expected.iter().filter(|d| d.confidence > 0.9).count());

    // the baseline beside it, and the comparison
    open(&mut app, models::file("yolov3-tiny", "cfg"), Slot::B);
    app.send(Command::ShowTab(Tab::Compare));
    app.settle(&ctx);
    assert_eq!(app.tab, Tab::Compare);
    let b = app.slots[1].doc.as_ref().expect("network B");
    assert_eq!(b.analysis.network.layers.len(), 24);
    assert_eq!(app.active, Slot::A);

    // select a layer, sort the table, collapse the graph: all messages
    app.send(Command::Select(Some(30)));
    app.send(Command::SortTable(SortBy::Bflops));
    app.send(Command::SortTable(SortBy::Bflops));
    app.send(Command::CollapseAll(true));
    app.settle(&ctx);
    assert_eq!(app.selected, Some(30));
    assert_eq!((app.table.by, app.table.descending), (SortBy::Bflops, true));
    let g = app.graph().expect("the graph");
    assert!(g.collapsed.iter().all(|&c| c));
}
