//! Regenerates the README's pictures in `screenshots/`: yolov4-tiny's graph with its CSP
//! stages framed, the compare view, detection on bus.jpg, and CSPDarknet-53 opened collapsed
//! with one stage expanded, rendered headless (wgpu, lavapipe without a GPU).
//! Run after `scripts/fetch-models.sh`: `cargo run --release --example screenshots` (a debug
//! build would print a debug forward time in the detection picture).

use csplens::backend::BackendChoice;
use csplens::gui::doc::Slot;
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
    // the Source tab with the doctor's notes, layer 29 (the partial cut) selected
    h.state_mut().tab = Tab::Source;
    h.state_mut().select(Some(29));
    h.run_steps(6);
    save(&mut h, "source-lint")?;
    csdarknet53()
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
