//! Regenerates the README's pictures in `screenshots/`: yolov4-tiny's graph with its CSP
//! stages framed, the compare view, detection on bus.jpg, and CSPDarknet-53 opened collapsed
//! with one stage expanded, the detection view's head overlay, the gallery of a folder, the
//! Source editor with an edit darknet refuses (findings, the fix
//! one click away) and the fix form's diff, the Evaluate tab on the dev labels (bus.jpg and
//! zidane.jpg, `../shared/refs/map-dev`) and A and B's accuracy beside their cost, rendered
//! headless (wgpu, lavapipe without a GPU).
//! Run after `scripts/fetch-models.sh`: `cargo run --release --example screenshots` (a debug
//! build would print a debug forward time in the detection picture).

use csplens::backend::BackendChoice;
use csplens::gui::command::Command;
use csplens::gui::command::FixRequest;
use csplens::gui::panels::detect_view::Action;
use csplens::gui::slot::Slot;
use csplens::gui::{App, Tab};
use egui_kittest::Harness;
use std::path::{Path, PathBuf};

fn models() -> PathBuf {
    std::env::var_os("CSPLENS_MODELS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".cache/models"),
        PathBuf::from,
    )
}

fn save(h: &mut Harness<'static, App>, name: &str) -> Result<(), String> {
    let img = h.render()?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join(format!("{name}.png"));
    img.save(&path).map_err(|e| e.to_string())?;
    println!("wrote {}", path.display());
    Ok(())
}

/// The app in a 1600×1000 window, its jobs finished.
fn settled(app: App) -> Harness<'static, App> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1600.0, 1000.0))
        .wgpu()
        .build_ui_state(|ui, app: &mut App| app.show(ui), app);
    h.run_steps(2);
    let ctx = h.ctx.clone();
    h.state_mut().settle(&ctx);
    h
}

fn main() -> Result<(), String> {
    let mut app = App::default();
    app.backend = BackendChoice::Cpu;
    app.open_models(&models());
    let mut h = settled(app);
    // the graph around yolov4-tiny's second CSP stage, its slice route selected
    h.state_mut().select(Some(11));
    h.run_steps(6);
    save(&mut h, "graph-csp-split")?;
    h.state_mut().select(None);
    h.state_mut().tab = Tab::Compare;
    h.run_steps(4);
    save(&mut h, "compare")?;
    h.state_mut().active = Slot::A;
    h.state_mut().tab = Tab::Detection;
    h.run_steps(4);
    save(&mut h, "detection-bus")?;
    // the 13×13 head's grid, and the cell, anchors and receptive field of the top person
    let origin = h
        .state()
        .doc()
        .and_then(|d| d.detection.as_ref())
        .and_then(|r| r.detections.first())
        .map(|d| d.origin)
        .ok_or("no detection on bus.jpg")?;
    h.state_mut()
        .apply(Command::Detection(Action::ShowOrigin(origin)));
    h.run_steps(4);
    save(&mut h, "detection-head-overlay")?;
    h.state_mut()
        .apply(Command::Detection(Action::PickHead(None)));
    // the run's roofline under this machine's measured ceilings
    h.state_mut().tab = Tab::Charts;
    h.run_steps(4);
    save(&mut h, "charts-roofline")?;
    gallery(&mut h)?;
    evaluate(&mut h)?;
    // the Source tab with the doctor's notes, layer 29 (the partial cut) selected
    h.state_mut().tab = Tab::Source;
    h.state_mut().select(Some(29));
    h.run_steps(6);
    save(&mut h, "source-lint")?;
    editing(&mut h)?;
    csdarknet53()
}

/// The sample images as a folder in the gallery (bus, zidane, and one that is not an image).
fn gallery(h: &mut Harness<'static, App>) -> Result<(), String> {
    let dir = std::env::temp_dir().join("csplens-screenshot-gallery");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for name in ["bus.jpg", "zidane.jpg"] {
        std::fs::copy(models().join("images").join(name), dir.join(name))
            .map_err(|e| e.to_string())?;
    }
    std::fs::write(dir.join("broken.jpg"), b"not a jpeg").map_err(|e| e.to_string())?;
    h.state_mut().apply(Command::OpenImages(vec![dir.clone()]));
    let ctx = h.ctx.clone();
    h.state_mut().settle(&ctx);
    h.run_steps(6);
    save(h, "gallery")?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Both networks evaluated on the dev labels (13 labels on bus.jpg and zidane.jpg): the
/// Evaluate tab on A with the person class's curve, then the Accuracy tab.
fn evaluate(h: &mut Harness<'static, App>) -> Result<(), String> {
    use csplens::gui::evaluation::Action as Eval;
    let refs = std::env::var_os("CSPLENS_REFS_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/refs"),
        PathBuf::from,
    );
    let dir = std::env::temp_dir().join("csplens-screenshot-dev");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for name in ["bus", "zidane"] {
        let copy = |from: PathBuf, to: String| {
            std::fs::copy(from, dir.join(to)).map_err(|e| e.to_string())
        };
        copy(
            models().join(format!("images/{name}.jpg")),
            format!("{name}.jpg"),
        )?;
        copy(
            refs.join(format!("map-dev/{name}.txt")),
            format!("{name}.txt"),
        )?;
    }
    let source = csplens::gui::evaluation::DataSource::Folder(dir.clone());
    h.state_mut().active = Slot::A;
    h.state_mut().apply(Command::Evaluate(Eval::Source(source)));
    h.state_mut()
        .apply(Command::Evaluate(Eval::Run(vec![Slot::A, Slot::B])));
    let ctx = h.ctx.clone();
    h.state_mut().settle(&ctx);
    h.state_mut().apply(Command::Evaluate(Eval::Class(Some(0))));
    h.run_steps(6);
    save(h, "evaluate")?;
    h.state_mut().tab = Tab::Accuracy;
    h.run_steps(4);
    save(h, "accuracy")?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The Source editor after typing classes=3 into the first head (darknet refuses the filters
/// before it; the graph keeps the last text that built), then the fix form retargeting to 3
/// classes with its diff. Nothing is saved.
fn editing(h: &mut Harness<'static, App>) -> Result<(), String> {
    let text = h
        .state()
        .doc()
        .ok_or("no network open")?
        .source
        .text()
        .replacen("classes=80", "classes=3", 1);
    h.state_mut().apply(Command::Edit {
        slot: Slot::A,
        text,
    });
    h.state_mut().select(Some(30));
    let ctx = h.ctx.clone();
    h.state_mut().flush_edits();
    h.state_mut().settle(&ctx);
    h.run_steps(6);
    save(h, "source-editing")?;
    h.state_mut().apply(Command::OpenFixForm(Slot::A));
    if let Some(form) = h.state_mut().fix_form.as_mut() {
        form.classes = "3".into();
    }
    h.state_mut().apply(Command::PreviewFix(FixRequest {
        slot: Slot::A,
        classes: 3,
        width: Some(416),
        height: Some(416),
    }));
    h.run_steps(6);
    save(h, "fix-form")?;
    h.state_mut().apply(Command::CloseFixForm);
    h.state_mut().apply(Command::Revert(Slot::A));
    Ok(())
}

/// CSPDarknet-53 from the corpus: its stages collapsed (as it opens), then stage 3 expanded
/// and selected.
fn csdarknet53() -> Result<(), String> {
    let corpus = std::env::var_os("CSPLENS_CFG_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/cfg"),
        PathBuf::from,
    );
    let mut app = App::default();
    app.open_many(vec![corpus.join("cspnet/csdarknet53.cfg")]);
    let mut h = settled(app);
    h.run_steps(4);
    save(&mut h, "graph-csdarknet53-collapsed")?;
    h.state_mut().set_stage_collapsed(2, false);
    h.state_mut().select_stage(Some(2));
    h.run_steps(6);
    save(&mut h, "graph-csdarknet53-stage3")
}
