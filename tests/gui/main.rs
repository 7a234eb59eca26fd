//! The app, headless (egui_kittest rendering with wgpu on lavapipe): a snapshot of each panel
//! built from fixed documents, and the interactions — drop a cfg, drop an image (detections
//! appear), click a node (inspector and table follow), drag the threshold, drop bad files
//! (a diagnostic, the open document untouched).

#![cfg(feature = "gui")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;
mod editing;
mod evaluate;
mod gallery;
mod session;

use common::models;
use csplens::gui::diagnostics::Severity;
use csplens::gui::slot::Slot;
use csplens::gui::{App, Tab};
use egui::accesskit::Role;
use egui::{DroppedFile, Event, PointerButton, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug)]
struct Dropped(PathBuf);

impl DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn harness(app: App) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 860.0))
        .wgpu()
        .build_ui_state(|ui, app: &mut App| app.show(ui), app)
}

/// Steps, lets every job finish, steps again.
fn settle(h: &mut Harness<'static, App>) {
    h.run_steps(2);
    let ctx = h.ctx.clone();
    h.state_mut().settle(&ctx);
    h.run_steps(4);
}

fn drop_file(h: &mut Harness<'static, App>, path: PathBuf) {
    h.input_mut().dropped_files.push(Arc::new(Dropped(path)));
    settle(h);
}

fn corpus(rel: &str) -> PathBuf {
    common::corpus_dir().join(rel)
}

/// yolov4-tiny as A and yolov3-tiny as B from the corpus (no weights).
fn pair() -> Harness<'static, App> {
    let mut app = App::default();
    app.open_many(vec![
        corpus("darknet/yolov4-tiny.cfg"),
        corpus("darknet/yolov3-tiny.cfg"),
    ]);
    let mut h = harness(app);
    settle(&mut h);
    h
}

/// The fetched models with bus.jpg detected on the CPU backend.
fn detected() -> Harness<'static, App> {
    let mut app = App::default();
    app.backend = csplens::backend::BackendChoice::Cpu;
    app.open_models(&models::dir());
    let mut h = harness(app);
    settle(&mut h);
    h
}

#[test]
fn graph_panel_with_a_csp_split_selected() {
    let mut h = pair();
    h.state_mut().select(Some(3));
    h.run_steps(4);
    let app = h.state();
    assert_eq!(app.doc().unwrap().splits.len(), 3);
    h.get_by_label("3 route");
    // yolov4-tiny is small enough to open expanded: its three stages are framed
    let g = h.state().graph().unwrap();
    assert!(g.collapsed.iter().all(|&c| !c));
    assert_eq!(g.view.frames.len(), 3);
    h.snapshot("graph");
}

#[test]
fn source_tab_marks_the_doctors_findings_and_follows_the_selection() {
    // yolov4-tiny with a misspelt key: the Source tab lists the finding, marks its line and
    // a click on it selects its layer
    // a fixed folder: the inspector prints the path, and the snapshot must not change
    let dir = std::env::temp_dir().join("csplens-source-tab");
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("yolov4-tiny.cfg");
    let text = std::fs::read_to_string(corpus("darknet/yolov4-tiny.cfg"))
        .unwrap()
        .replacen("batch_normalize=1", "batch_normalise=1", 1);
    std::fs::write(&cfg, text).unwrap();
    let mut app = App::default();
    app.open_many(vec![cfg]);
    let mut h = harness(app);
    settle(&mut h);
    h.state_mut().tab = Tab::Source;
    h.run_steps(3);
    let finding = "line 35  warning[unused-key] batch_normalise is not a key darknet's [convolutional] reads, so it has no effect (darknet prints only \"Unused field: 'batch_normalise = 1'\"; Darknet V3 (hank-ai/darknet) stops on it) — did you mean batch_normalize?";
    // unused-key and mask-overlap (anchor 3 in both heads' masks); training-memory,
    // partial-cut and anchors-unused (anchor 0 in neither)
    h.get_by_label("0 errors · 2 warnings · 3 notes (csplens lint)");
    h.get_by_label(finding).click();
    h.run_steps(3);
    assert_eq!(h.state().selected, Some(0));
    h.snapshot("source");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn table_panel_sorted_and_selected() {
    let mut h = pair();
    h.state_mut().tab = Tab::Table;
    h.state_mut().select(Some(15));
    h.run_steps(3);
    h.get_by_role_and_label(Role::Button, "BFLOPs").click();
    h.run_steps(3);
    // sorted by BFLOPs, ascending: the header says so and the selection stays on layer 15
    h.get_by_role_and_label(Role::Button, "BFLOPs ⏶");
    assert_eq!(h.state().selected, Some(15));
    h.snapshot("table");
}

#[test]
fn charts_and_compare_panels() {
    let mut h = pair();
    h.state_mut().tab = Tab::Charts;
    h.run_steps(3);
    h.snapshot("charts");
    h.state_mut().tab = Tab::Compare;
    h.run_steps(3);
    // yolov4-tiny opened as A is the CSP side: the deltas are its change from yolov3-tiny
    h.get_by_label("baseline: yolov3-tiny.cfg");
    h.get_by_label("CSP: yolov4-tiny.cfg");
    h.get_by_label("CSP vs baseline");
    h.get_by_label("CSP stage 1 · 104×104");
    h.snapshot("compare");
}

#[test]
fn dropping_a_cfg_opens_it() {
    let mut h = harness(App::default());
    h.run_steps(2);
    drop_file(&mut h, corpus("cspnet/csdarknet53.cfg"));
    let app = h.state();
    let doc = app.doc().expect("the dropped cfg is open");
    assert!(doc.path.ends_with("csdarknet53.cfg"));
    assert!(
        app.diagnostics
            .iter()
            .all(|d| d.severity != Severity::Error)
    );
}

#[test]
fn dropping_an_image_runs_detection_and_the_threshold_redecodes() {
    let mut h = detected();
    assert_eq!(h.state().active, Slot::A);
    h.state_mut().tab = Tab::Detection;
    drop_file(&mut h, models::image("zidane.jpg"));
    let run = h
        .state()
        .doc()
        .unwrap()
        .detection
        .clone()
        .expect("a detection ran");
    assert!(run.path.ends_with("zidane.jpg"));
    assert!(
        run.detections.iter().any(|d| d.class == "person"),
        "{:?}",
        run.detections
    );
    // drag the slider's handle to the left: a lower threshold, more boxes, no new forward pass
    let slider = h.get_by_role(Role::Slider).rect();
    let y = slider.center().y;
    let start = Pos2::new(slider.left() + slider.width() * 0.25, y);
    h.drag_at(start);
    h.run_steps(1);
    h.hover_at(Pos2::new(slider.left() + 2.0, y));
    h.run_steps(1);
    h.drop_at(Pos2::new(slider.left() + 2.0, y));
    h.run_steps(2);
    let after = h.state().doc().unwrap().detection.clone().unwrap();
    assert!(
        after.params.thresh < run.params.thresh,
        "{} → {}",
        run.params.thresh,
        after.params.thresh
    );
    assert!(after.detections.len() > run.detections.len());
    assert!(
        Arc::ptr_eq(&after.forward, &run.forward),
        "only decoding and NMS re-ran"
    );
}

/// Measured times vary from run to run: fixed ones (`ms(layer)` per layer, 100 ms in all)
/// for pictures.
fn fix_times(h: &mut Harness<'static, App>, ms: impl Fn(usize) -> f64) {
    let det = h.state_mut().slots[0]
        .doc
        .as_mut()
        .unwrap()
        .detection
        .as_mut()
        .unwrap();
    let layers = det.forward.layer_ms.len();
    det.forward = Arc::new(csplens::backend::Forward {
        outputs: det.forward.outputs.clone(),
        layer_ms: (0..layers).map(ms).collect(),
    });
    det.total_ms = 100.0;
}

#[test]
fn detection_panel_on_bus_jpg() {
    let mut h = detected();
    let det = h.state().doc().unwrap().detection.as_ref().unwrap();
    assert!(det.path.ends_with("bus.jpg"));
    assert!(
        det.detections
            .iter()
            .filter(|d| d.class == "person")
            .count()
            >= 3
    );
    fix_times(&mut h, |i| 1.0 + (i % 5) as f64);
    h.state_mut().tab = Tab::Detection;
    h.run_steps(3);
    h.snapshot("detection");
}

#[test]
fn head_overlay_shows_a_heads_grid_and_where_a_detection_came_from() {
    let mut h = detected();
    fix_times(&mut h, |_| 1.0);
    h.state_mut().tab = Tab::Detection;
    h.run_steps(3);
    // yolov4-tiny's heads are offered by layer, grid and stride
    h.get_by_label("30 yolo 13×13 /32").click();
    h.run_steps(3);
    assert_eq!(h.state().overlay.head, Some(30));
    assert_eq!(h.state().overlay.cell, None);
    // a detection in the list shows its head and cell
    let person = h
        .state()
        .doc()
        .unwrap()
        .detection
        .as_ref()
        .unwrap()
        .detections[0]
        .clone();
    assert_eq!(person.class, "person");
    let o = person.origin;
    let label = format!(
        "person {:.0}% — head {}, cell ({}, {}), anchor {}",
        person.confidence * 100.0,
        o.layer,
        o.col,
        o.row,
        o.anchor
    );
    h.get_by_label_contains(&label).click();
    h.run_steps(3);
    assert_eq!(h.state().overlay.head, Some(o.layer));
    assert_eq!(h.state().overlay.cell, Some((o.col, o.row)));
    h.get_by_label_contains("receptive field 331×331 px");
    h.snapshot("detection_head_overlay");
}

fn click(h: &mut Harness<'static, App>, at: Pos2) {
    h.event(Event::PointerMoved(at));
    h.run_steps(1);
    for pressed in [true, false] {
        h.event(Event::PointerButton {
            pos: at,
            button: PointerButton::Primary,
            pressed,
            modifiers: Default::default(),
        });
        h.run_steps(1);
    }
    h.run_steps(2);
}

#[test]
fn csdarknet53_opens_collapsed_and_a_stage_expands_in_its_frame() {
    let mut app = App::default();
    app.open_many(vec![corpus("cspnet/csdarknet53.cfg")]);
    let mut h = harness(app);
    settle(&mut h);
    // 108 layers in ~100 ranks would be unreadable fitted: one node per stage and run instead
    assert!(h.state().graph().unwrap().collapsed.iter().all(|&c| c));
    h.get_by_label("Expand all");
    h.snapshot("graph-csdarknet53-collapsed");
    // clicking stage 3's node expands it in a frame and selects the stage
    let merge = h.state().doc().unwrap().analysis.csp.stages[2].merge;
    let ctx = h.ctx.clone();
    let at = h.state().node_screen_pos(&ctx, merge).expect("stage node");
    click(&mut h, at);
    assert_eq!(h.state().selected_stage, Some(2));
    let g = h.state().graph().unwrap();
    assert_eq!(g.collapsed.iter().filter(|&&c| !c).count(), 1);
    assert_eq!(g.view.frames.len(), 1);
    h.get_by_label("CSP stage 3");
    h.get_by_label("Collapse in the graph");
    h.snapshot("graph-csdarknet53-stage3");
    // a layer near the top selected (the view centres on it), then the frame's title
    // clicked: the stage is selected again
    let part1 = h.state().doc().unwrap().analysis.csp.stages[2].part1.input;
    h.state_mut().select(Some(part1));
    h.run_steps(3);
    assert_eq!(h.state().selected_stage, None);
    let title = h.state().frame_screen_pos(&ctx, 2).expect("frame title");
    click(&mut h, title);
    assert_eq!(h.state().selected_stage, Some(2));
    // and the inspector's button collapses it again
    h.get_by_label("Collapse in the graph").click();
    h.run_steps(3);
    assert!(h.state().graph().unwrap().collapsed.iter().all(|&c| c));
}

#[test]
fn clicking_a_node_selects_it_in_inspector_and_table() {
    let mut h = pair();
    h.state_mut().select(Some(8));
    h.run_steps(4);
    let ctx = h.ctx.clone();
    let at = h.state().node_screen_pos(&ctx, 9).expect("node on screen");
    click(&mut h, at);
    assert_eq!(h.state().selected, Some(9));
    h.get_by_label("9 maxpool");
    h.state_mut().tab = Tab::Table;
    h.run_steps(3);
    // the table scrolled to the selection: its row is on screen
    assert!(h.query_all_by_label("9").count() >= 1);
}

#[test]
fn bad_files_leave_the_open_document_untouched() {
    let mut h = detected();
    let before = h.state().doc().unwrap().analysis.clone();
    let weights_before = h.state().doc().unwrap().weights.clone().unwrap().1;
    let dir = tempdir();
    let png_as_cfg = dir.join("picture.cfg");
    std::fs::copy(models::image("bus.jpg"), &png_as_cfg).unwrap();
    let truncated = dir.join("cut.weights");
    let w = std::fs::read(models::file("yolov4-tiny", "weights")).unwrap();
    std::fs::write(&truncated, &w[..w.len() / 3]).unwrap();
    let huge = dir.join("huge.png");
    std::fs::write(&huge, common::png_claiming(100_000, 100_000)).unwrap();
    for bad in [png_as_cfg, truncated, huge] {
        let errors = h
            .state()
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        drop_file(&mut h, bad.clone());
        let app = h.state();
        let new: Vec<_> = app
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert_eq!(
            new.len(),
            errors + 1,
            "{}: {:?}",
            bad.display(),
            app.diagnostics
        );
        let doc = app.doc().unwrap();
        assert!(Arc::ptr_eq(&doc.analysis, &before), "{}", bad.display());
        assert!(Arc::ptr_eq(
            &doc.weights.as_ref().unwrap().1,
            &weights_before
        ));
        assert!(doc.detection.as_ref().unwrap().path.ends_with("bus.jpg"));
    }
    let text: Vec<String> = h.state().diagnostics.iter().map(|d| d.text()).collect();
    let all = text.join("\n");
    assert!(all.contains("picture.cfg"), "{all}");
    assert!(
        all.contains("cut.weights") && all.contains("offset"),
        "{all}"
    );
    assert!(all.contains("100000×100000"), "{all}");
    h.state_mut().tab = Tab::Graph;
    h.run_steps(3);
    h.snapshot("diagnostics");
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("csplens-gui-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn offline_first_start_opens_the_demo_cfgs_with_a_hint() {
    let empty = tempdir().join("no-models");
    std::fs::create_dir_all(&empty).unwrap();
    // no fetch script at all
    let mut app = App::default();
    app.start_with(&empty, &empty.join("missing.sh"));
    let mut h = harness(app);
    settle(&mut h);
    let app = h.state();
    let titles: Vec<String> = app.docs().map(|d| d.title()).collect();
    assert_eq!(titles, ["yolov4-tiny.cfg", "yolov3-tiny.cfg"]);
    assert!(
        app.diagnostics
            .iter()
            .any(|d| d.message.contains("fetch-models.sh"))
    );
    // a fetch script that fails, as offline
    let script = empty.join("offline.sh");
    std::fs::write(&script, "echo 'no network' >&2; exit 1\n").unwrap();
    let mut app = App::default();
    app.start_with(&empty, &script);
    let mut h = harness(app);
    settle(&mut h);
    let app = h.state();
    assert_eq!(app.docs().count(), 2);
    let hint = app
        .diagnostics
        .iter()
        .find(|d| d.message.contains("could not fetch"))
        .expect("the offline hint");
    assert!(hint.message.contains("no network"), "{}", hint.message);
}

#[test]
fn the_session_reopens_files_view_and_recent_list() {
    let mut h = detected();
    drop_file(&mut h, models::image("zidane.jpg"));
    h.state_mut().tab = Tab::Compare;
    h.state_mut().select(Some(21));
    let saved = h.state().session();
    assert_eq!(saved.files[0].len(), 4, "{:?}", saved.files[0]);
    assert_eq!(
        saved.recent.len(),
        1,
        "only what the user opened: {:?}",
        saved.recent
    );
    assert!(saved.recent[0].ends_with("zidane.jpg"));
    let mut app = App::default();
    assert!(app.restore(&saved));
    let mut h2 = harness(app);
    settle(&mut h2);
    let app = h2.state();
    assert_eq!(app.tab, Tab::Compare);
    assert_eq!(app.selected, Some(21));
    assert_eq!(app.recent, saved.recent);
    let a = app.doc().unwrap();
    assert!(a.path.ends_with("yolov4-tiny.cfg") && a.weights.is_some() && a.names.is_some());
    assert!(a.detection.as_ref().unwrap().path.ends_with("zidane.jpg"));
    assert!(
        app.slots[1]
            .doc
            .as_ref()
            .unwrap()
            .path
            .ends_with("yolov3-tiny.cfg")
    );
}

#[test]
fn the_backend_picker_reruns_on_wgpu_then_in_f16_with_the_same_detections() {
    let mut h = detected();
    h.state_mut().tab = Tab::Detection;
    h.run_steps(2);
    let cpu = h.state().doc().unwrap().detection.clone().unwrap();
    h.get_by_label("wgpu").click();
    settle(&mut h);
    let gpu = h.state().doc().unwrap().detection.clone().unwrap();
    assert!(gpu.backend.starts_with("wgpu on "), "{}", gpu.backend);
    assert_eq!(gpu.detections.len(), cpu.detections.len());
    for (g, c) in gpu.detections.iter().zip(&cpu.detections) {
        assert_eq!(g.class, c.class);
        assert!((g.confidence - c.confidence).abs() < 0.005);
        assert!((g.bbox.left - c.bbox.left).abs() < 1.0 && (g.bbox.top - c.bbox.top).abs() < 1.0);
    }
    // f16 storage (lavapipe has SHADER_F16): the run says so, the boxes stay within 0.02
    h.get_by_label("f16").click();
    settle(&mut h);
    let half = h.state().doc().unwrap().detection.clone().unwrap();
    assert!(half.backend.contains("f16"), "{}", half.backend);
    assert_eq!(half.detections.len(), cpu.detections.len());
    for (g, c) in half.detections.iter().zip(&cpu.detections) {
        assert_eq!(g.class, c.class);
        assert!((g.confidence - c.confidence).abs() <= 0.02);
    }
}

#[test]
fn a_cancelled_job_is_dropped_and_a_panicking_job_reports() {
    use csplens::gui::jobs::{Jobs, Outcome};
    use std::sync::atomic::Ordering;
    use std::time::Duration;
    let mut jobs = Jobs::default();
    jobs.spawn("slow", |cancel| {
        while !cancel.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
        Outcome::Saved(PathBuf::from("never"))
    });
    let id = jobs.running()[0].id;
    jobs.cancel(id);
    let out = jobs.wait_all(Duration::from_secs(30));
    assert!(out.is_empty(), "{out:?}");
    assert!(jobs.running().is_empty());
    jobs.spawn("boom", |_| panic!("a bug in a job"));
    let out = jobs.wait_all(Duration::from_secs(30));
    assert!(
        matches!(&out[..], [Outcome::Failed(d)] if d.message.contains("internal error")),
        "{out:?}"
    );
}

#[test]
fn clicking_a_warning_selects_its_layer() {
    let text = std::fs::read_to_string(corpus("darknet/yolov4-tiny.cfg")).unwrap();
    // a repeated key in layer 4's section: darknet keeps the first value, we warn
    let marker = "[convolutional]";
    let at = text.match_indices(marker).nth(4).unwrap().0 + marker.len();
    let cfg = format!("{}\nsize=3{}", &text[..at], &text[at..]);
    let path = tempdir().join("repeated-key.cfg");
    std::fs::write(&path, cfg).unwrap();
    let mut app = App::default();
    app.open(path, None);
    let mut h = harness(app);
    settle(&mut h);
    let warning = h
        .state()
        .diagnostics
        .iter()
        .find(|d| d.message.contains("repeated"))
        .cloned()
        .expect("a warning for the repeated key");
    let layer = warning.layer.expect("the warning points at a layer");
    let text = warning.short_text();
    h.query_all_by_label(&text)
        .next()
        .expect("the warning in the panel")
        .click();
    h.run_steps(3);
    assert_eq!(h.state().selected, Some(layer));
    assert_eq!(h.state().tab, Tab::Graph);
}

#[test]
fn exports_are_written_whole_or_not_at_all() {
    let dir = tempdir().join("export");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("table.csv");
    std::fs::write(&path, "the user's old file").unwrap();
    csplens::gui::write_atomic(&path, b"layer,type\n").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "layer,type\n");
    assert!(!dir.join("table.csv.part").exists());
    // a target that cannot be written leaves nothing behind
    let bad = dir.join("missing-folder").join("t.csv");
    assert!(csplens::gui::write_atomic(&bad, b"x").is_err());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}

#[test]
fn export_onnx_writes_the_librarys_model_once_the_weights_are_there() {
    let dir = tempdir().join("onnx");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("yolov4-tiny.onnx");
    let _ = std::fs::remove_file(&path);
    // without weights: a sentence, no file
    let mut h = pair();
    h.state_mut()
        .send(csplens::gui::command::Command::ExportOnnx(Some(
            path.clone(),
        )));
    settle(&mut h);
    let last = h.state().diagnostics.last().unwrap();
    assert!(
        last.message.contains("has no weights yet"),
        "{}",
        last.message
    );
    assert!(!path.exists());
    // with them: the bytes `csplens export` writes
    let mut h = detected();
    h.state_mut()
        .send(csplens::gui::command::Command::ExportOnnx(Some(
            path.clone(),
        )));
    settle(&mut h);
    let doc = h.state().doc().unwrap();
    let w = &doc.weights.as_ref().unwrap().1;
    let want = csplens::export::export(&doc.analysis, w, &Default::default()).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), want);
}

#[test]
fn make_csp_writes_the_csp_network_and_opens_it_beside_the_plain_one() {
    let mut app = App::default();
    app.open_many(vec![corpus("cspnet/darknet53.cfg")]);
    let mut h = harness(app);
    settle(&mut h);
    // the form lists Darknet-53's five convertible stages
    h.get_by_label("Make CSP…").click();
    h.run_steps(3);
    h.get_by_label("all 5 stages");
    h.get_by_label("Save as…");
    h.get_by_label("Cancel").click();
    h.run_steps(3);
    assert!(h.query_by_label("Save as…").is_none());
    // the form's work without the native dialog: written whole, opened as B, on Compare
    let dir = tempdir();
    let out = dir.join("csdarknet53-made.cfg");
    let opts = csplens::cspify::Options::default();
    h.state_mut().make_csp_to(out.clone(), opts);
    settle(&mut h);
    assert!(out.exists());
    let app = h.state();
    assert_eq!(app.tab, Tab::Compare);
    let b = app.slots[1].doc.as_ref().expect("network B");
    assert_eq!(b.analysis.csp.stages.len(), 5);
    h.get_by_label("CSP: csdarknet53-made.cfg");
    h.get_by_label("baseline: darknet53.cfg");
    // a plain network with nothing to convert says why and writes nothing
    let mut app = App::default();
    app.open_many(vec![corpus("darknet/vgg-16.cfg")]);
    let mut h = harness(app);
    settle(&mut h);
    let out = dir.join("vgg-csp.cfg");
    h.state_mut()
        .make_csp_to(out.clone(), csplens::cspify::Options::default());
    settle(&mut h);
    assert!(!out.exists());
    assert!(
        h.state()
            .diagnostics
            .iter()
            .any(|d| d.message.contains("no stage to convert"))
    );
}

#[test]
fn charts_gain_the_runs_roofline_under_the_measured_ceilings() {
    let mut h = detected();
    // the CPU backend's ceilings were measured after the first run
    let measured = *h.state().ceilings.get("cpu").expect("ceilings measured");
    assert!(measured.peak_flops > 0.0 && measured.bandwidth > 0.0);
    // fixed ceilings and layer times for the picture: 50 GFLOP/s, 10 GB/s, 1 ms per layer
    let c = csplens::profile::roofline::Ceilings {
        peak_flops: 50e9,
        bandwidth: 10e9,
    };
    h.state_mut().ceilings.insert("cpu", c);
    fix_times(&mut h, |_| 1.0);
    h.state_mut().roofline_for("cpu");
    let doc = h.state().doc().unwrap();
    let points = doc.detection.as_ref().unwrap().roofline.clone().unwrap();
    // every layer with FLOPs is on it: yolov4-tiny's 21 convolutions, 3 max pools
    let computing = (doc.analysis.profile.layers.iter())
        .filter(|c| c.bflops > 0.0)
        .count();
    assert_eq!(points.len(), computing);
    // layer 0: 0.075 BFLOPs in 1 ms = 74.8 GFLOP/s achieved, above the 50 GFLOP/s roof only
    // because the times are made up: its share says so
    let p0 = points[0];
    assert!((p0.rate - f64::from(doc.analysis.profile.layers[0].bflops) * 1e12).abs() < 1e3);
    assert!((p0.share - p0.rate / c.at(p0.intensity)).abs() < 1e-12);
    h.state_mut().tab = Tab::Charts;
    h.run_steps(3);
    h.get_by_label_contains("roofline, cpu: peak 50.0 GFLOP/s, bandwidth 10.0 GB/s");
    h.snapshot("charts_roofline");
}
