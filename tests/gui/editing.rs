//! Editing cfgs in the app: typing re-analyses (the graph follows), a finding's fix applies
//! and undoes, the fix form shows its diff before applying, Save writes atomically and asks
//! before replacing a file changed on disk, unsaved edits are never dropped by an open or a
//! close, a recovery file brings them back after a crash, and a late analysis never attaches
//! to a newer text.

use super::{corpus, harness, settle};
use csplens::gui::command::{Answer, Command, Question};
use csplens::gui::slot::Slot;
use csplens::gui::{App, Tab};
use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::{Path, PathBuf};

/// A fresh folder for one test.
fn workdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir()
        .join(format!("csplens-edit-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// yolov4-tiny from the corpus, copied into `dir` with `edit` applied to its text.
fn tiny_in(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(corpus("darknet/yolov4-tiny.cfg")).unwrap();
    let path = dir.join("yolov4-tiny.cfg");
    std::fs::write(&path, edit(text)).unwrap();
    path
}

/// The app with `cfg` open as A on the Source tab.
fn editing(cfg: &Path, recovery: Option<PathBuf>) -> Harness<'static, App> {
    let mut app = App::default();
    app.recovery_dir = recovery;
    app.open_many(vec![cfg.to_path_buf()]);
    app.tab = Tab::Source;
    let mut h = harness(app);
    settle(&mut h);
    h
}

/// The editor's text replaced as typing would (re-analysed once typing pauses).
fn edit(h: &mut Harness<'static, App>, text: String) {
    h.state_mut().apply(Command::Edit {
        slot: Slot::A,
        text,
    });
}

fn text_of(h: &Harness<'static, App>) -> String {
    h.state().doc().unwrap().source.text().to_string()
}

fn layers(h: &Harness<'static, App>) -> usize {
    h.state().doc().unwrap().analysis.network.layers.len()
}

/// A [maxpool] with stride 1 after the last layer: one more layer, same output size.
const EXTRA_LAYER: &str = "\n[maxpool]\nsize=2\nstride=1\n";

#[test]
fn typing_in_the_editor_reanalyses_and_the_graph_follows() {
    let dir = workdir("typing");
    let cfg = tiny_in(&dir, |t| t);
    let mut h = editing(&cfg, None);
    let before = layers(&h);
    let nodes_before = h.state().graph().unwrap().view.layout.nodes.len();
    let editor = h.get_by_role(Role::MultilineTextInput);
    editor.focus();
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::COMMAND, Key::End);
    h.run_steps(2);
    h.get_by_role(Role::MultilineTextInput)
        .type_text(EXTRA_LAYER);
    settle(&mut h);
    let app = h.state();
    let doc = app.doc().unwrap();
    assert!(doc.source.text().ends_with(EXTRA_LAYER), "typed at the end");
    assert_eq!(layers(&h), before + 1, "the edited network was re-analysed");
    assert_eq!(
        doc.generation,
        doc.source.generation(),
        "views show the typed text"
    );
    assert!(h.state().graph().unwrap().view.layout.nodes.len() > nodes_before);
    assert!(doc.source.is_dirty());
    h.get_by_label("A: yolov4-tiny.cfg*");
    // nothing is written until asked
    assert!(
        !std::fs::read_to_string(&cfg)
            .unwrap()
            .contains("stride=1\n\n[maxpool]")
    );
    assert!(
        !std::fs::read_to_string(&cfg)
            .unwrap()
            .ends_with(EXTRA_LAYER)
    );
}

#[test]
fn a_findings_fix_applies_in_one_click_and_undo_redo_walk_it() {
    let dir = workdir("fix");
    let cfg = tiny_in(&dir, |t| t.replacen("filters=255", "filters=250", 1));
    let mut h = editing(&cfg, None);
    let broken = text_of(&h);
    let has_error = |h: &Harness<'static, App>| {
        (h.state().doc().unwrap().lint.findings.iter()).any(|f| f.code == "yolo-filters")
    };
    assert!(has_error(&h));
    // darknet refuses this cfg: it opens for fixing, with no layers yet
    assert!(h.state().doc().unwrap().build_error.is_some());
    assert_eq!(layers(&h), 0);
    // (classes + 5) · |mask| = (80 + 5) · 3 = 255
    h.get_by_label_contains("Fix: set filters=255").click();
    settle(&mut h);
    assert!(!has_error(&h), "the fix removed the finding");
    assert_eq!(layers(&h), 38, "the fixed text builds");
    assert!(h.state().doc().unwrap().build_error.is_none());
    assert_eq!(
        text_of(&h),
        std::fs::read_to_string(corpus("darknet/yolov4-tiny.cfg")).unwrap()
    );
    h.get_by_label("Undo").click();
    settle(&mut h);
    assert_eq!(text_of(&h), broken);
    assert!(has_error(&h));
    assert!(
        !h.state().doc().unwrap().source.is_dirty(),
        "back to the file's text"
    );
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    settle(&mut h);
    assert!(!has_error(&h), "redone");
    h.snapshot("source_edited");
}

#[test]
fn the_fix_form_shows_the_diff_before_applying() {
    let dir = workdir("form");
    let cfg = tiny_in(&dir, |t| t);
    let mut h = editing(&cfg, None);
    let original = text_of(&h);
    h.get_by_label("Fix classes / size…").click();
    h.run_steps(3);
    let form = h.state_mut().fix_form.as_mut().unwrap();
    assert_eq!((form.classes.as_str(), form.width.as_str()), ("80", "416"));
    form.classes = "3".into();
    h.run_steps(2);
    h.get_by_label("Preview").click();
    h.run_steps(3);
    let diff = h
        .state()
        .fix_form
        .as_ref()
        .unwrap()
        .preview
        .clone()
        .unwrap()
        .diff;
    // both heads: classes=3 and (3 + 5) · 3 = 24 filters before each
    assert_eq!(diff.matches("\n+classes=3").count(), 2, "{diff}");
    assert_eq!(diff.matches("\n+filters=24").count(), 2, "{diff}");
    assert_eq!(text_of(&h), original, "a preview changes nothing");
    h.get_by_label("Apply").click();
    settle(&mut h);
    assert!(h.state().fix_form.is_none());
    assert_eq!(text_of(&h).matches("\nclasses=3").count(), 2);
    h.state_mut().apply(Command::Undo(Slot::A));
    settle(&mut h);
    assert_eq!(text_of(&h), original, "the applied fix is one undo step");
}

#[test]
fn save_is_atomic_and_asks_before_replacing_a_file_changed_on_disk() {
    let dir = workdir("save");
    let cfg = tiny_in(&dir, |t| t);
    let mut h = editing(&cfg, None);
    let edited = text_of(&h) + EXTRA_LAYER;
    edit(&mut h, edited.clone());
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    settle(&mut h);
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), edited);
    assert!(!h.state().doc().unwrap().source.is_dirty());
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    // another program changes the file; our next save asks first
    let theirs = edited.replace("stride=1", "stride=2");
    std::fs::write(&cfg, &theirs).unwrap();
    let ours = edited.replace("size=2\nstride=1", "size=3\nstride=1");
    edit(&mut h, ours.clone());
    h.state_mut().apply(Command::Save(Slot::A));
    settle(&mut h);
    assert_eq!(h.state().question, Some(Question::ChangedOnDisk(Slot::A)));
    h.get_by_label("Do not save").click();
    settle(&mut h);
    assert_eq!(
        std::fs::read_to_string(&cfg).unwrap(),
        theirs,
        "theirs kept"
    );
    assert!(h.state().doc().unwrap().source.is_dirty(), "ours kept too");
    h.state_mut().apply(Command::Save(Slot::A));
    settle(&mut h);
    h.get_by_label("Replace the file").click();
    settle(&mut h);
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), ours);
}

#[test]
fn unsaved_edits_survive_an_open_and_a_close_until_the_user_lets_them_go() {
    let dir = workdir("guard");
    let cfg = tiny_in(&dir, |t| t);
    let mut h = editing(&cfg, None);
    let edited = text_of(&h) + EXTRA_LAYER;
    edit(&mut h, edited.clone());
    let other = corpus("darknet/yolov3-tiny.cfg");
    h.state_mut().apply(Command::Open {
        path: other.clone(),
        slot: Some(Slot::A),
    });
    settle(&mut h);
    assert!(matches!(
        h.state().question,
        Some(Question::ReplaceUnsaved { .. })
    ));
    h.get_by_label("Keep editing").click();
    settle(&mut h);
    assert_eq!(text_of(&h), edited, "the open was refused, the edits stay");
    // closing asks too; saving lets it close
    h.state_mut().apply(Command::CloseRequested);
    assert_eq!(h.state().question, Some(Question::CloseUnsaved));
    assert!(!h.state().may_close());
    h.run_steps(2);
    h.get_by_label("Save and close").click();
    settle(&mut h);
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), edited);
    assert!(h.state().may_close());
    // with nothing unsaved an open goes straight through; discarding is the user's choice
    edit(&mut h, edited.replace("stride=1", "stride=2"));
    h.state_mut().apply(Command::Open {
        path: other,
        slot: Some(Slot::A),
    });
    h.state_mut().apply(Command::Answer(Answer::Discard));
    settle(&mut h);
    assert_eq!(h.state().doc().unwrap().title(), "yolov3-tiny.cfg");
}

#[test]
fn a_recovery_file_brings_unsaved_edits_back_after_a_crash() {
    let dir = workdir("recovery");
    let cfg = tiny_in(&dir, |t| t);
    let on_disk = std::fs::read_to_string(&cfg).unwrap();
    let store = dir.join("recovery");
    let edited = on_disk.clone() + EXTRA_LAYER;
    {
        let mut h = editing(&cfg, Some(store.clone()));
        edit(&mut h, edited.clone());
        settle(&mut h);
        assert_eq!(csplens::gui::editor::recovery::scan(&store).len(), 1);
        // the app ends here without saving or asking: a crash
    }
    let mut app = App::default();
    app.recovery_dir = Some(store.clone());
    app.offer_recovery();
    let mut h = harness(app);
    h.run_steps(2);
    assert!(matches!(&h.state().question, Some(Question::Recovery(r)) if r.len() == 1));
    h.get_by_label("Restore them").click();
    settle(&mut h);
    assert_eq!(text_of(&h), edited);
    assert!(h.state().doc().unwrap().source.is_dirty());
    assert_eq!(layers(&h), 39, "38 layers of yolov4-tiny and the typed one");
    assert_eq!(
        std::fs::read_to_string(&cfg).unwrap(),
        on_disk,
        "nothing written"
    );
    h.state_mut().apply(Command::Save(Slot::A));
    settle(&mut h);
    assert!(
        csplens::gui::editor::recovery::scan(&store).is_empty(),
        "saved: nothing to recover"
    );
}

#[test]
fn a_late_analysis_never_attaches_to_a_newer_text() {
    let dir = workdir("late");
    let cfg = tiny_in(&dir, |t| t);
    let mut h = editing(&cfg, None);
    let before = layers(&h);
    let ctx = h.ctx.clone();
    let app = h.state_mut();
    let first = app.doc().unwrap().source.text().to_string() + EXTRA_LAYER;
    app.apply(Command::Edit {
        slot: Slot::A,
        text: first.clone(),
    });
    app.flush_edits();
    // typed again before the first analysis came back
    app.apply(Command::Edit {
        slot: Slot::A,
        text: first.clone() + EXTRA_LAYER,
    });
    for out in app.jobs.wait_all(std::time::Duration::from_secs(60)) {
        app.accept(&ctx, out);
    }
    let doc = app.doc().unwrap();
    assert_eq!(
        doc.analysis.network.layers.len(),
        before,
        "the first text's result was dropped"
    );
    assert_ne!(doc.generation, doc.source.generation());
    settle(&mut h);
    assert_eq!(
        layers(&h),
        before + 2,
        "the newest text's result is adopted"
    );
}

#[test]
fn a_slow_earlier_open_never_replaces_a_later_one() {
    use csplens::gui::jobs::Outcome;
    let ctx = egui::Context::default();
    let mut app = App::default();
    for cfg in ["darknet/yolov4.cfg", "darknet/yolov4-tiny.cfg"] {
        app.apply(Command::Open {
            path: corpus(cfg),
            slot: Some(Slot::A),
        });
    }
    let mut outs = app.jobs.wait_all(std::time::Duration::from_secs(60));
    // the earlier request's document is applied last, as if its job had been the slower
    let first = |o: &Outcome| matches!(o, Outcome::Cfg { doc, .. } if doc.title() == "yolov4.cfg");
    outs.sort_by_key(|o| first(o));
    assert!(outs.last().is_some_and(first));
    for o in outs {
        app.accept(&ctx, o);
    }
    assert_eq!(app.doc().unwrap().title(), "yolov4-tiny.cfg");
}

#[test]
fn a_text_not_read_from_a_file_is_saved_where_asked_and_then_belongs_there() {
    // the demo cfgs are compiled in: their names point into assets/, which Save never writes
    let asset = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/yolov4-tiny.cfg");
    let before = std::fs::read(&asset).unwrap();
    let mut app = App::default();
    app.open_demo();
    app.tab = Tab::Source;
    let mut h = harness(app);
    settle(&mut h);
    assert_eq!(h.state().doc().unwrap().source.disk_stamp(), None);
    let edited = text_of(&h) + EXTRA_LAYER;
    edit(&mut h, edited.clone());
    let target = workdir("save-as").join("mine.cfg");
    h.state_mut()
        .apply(Command::SaveAs(Slot::A, Some(target.clone())));
    settle(&mut h);
    let doc = h.state().doc().unwrap();
    assert_eq!(doc.path, target);
    assert!(!doc.source.is_dirty() && doc.source.disk_stamp().is_some());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), edited);
    assert_eq!(
        std::fs::read(&asset).unwrap(),
        before,
        "the asset is untouched"
    );
    // from now on Save writes that file
    edit(&mut h, edited.replace("stride=1", "stride=2"));
    h.state_mut().apply(Command::Save(Slot::A));
    settle(&mut h);
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .ends_with("stride=2\n")
    );
}
