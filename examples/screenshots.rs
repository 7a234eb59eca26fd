//! Regenerates the README's pictures in `screenshots/`: the graph with a CSP split highlighted,
//! the compare view and detection on bus.jpg, rendered headless (wgpu, lavapipe without a GPU).
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

fn main() -> Result<(), String> {
    let mut app = App::default();
    app.backend = BackendChoice::Cpu;
    app.open_models(&models());
    let mut h = Harness::builder()
        .with_size(egui::vec2(1600.0, 1000.0))
        .wgpu()
        .build_ui_state(|ui, app: &mut App| app.show(ui), app);
    h.run_steps(2);
    let ctx = h.ctx.clone();
    h.state_mut().settle(&ctx);
    // the graph around yolov4-tiny's second CSP split, the split route selected
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
    Ok(())
}
