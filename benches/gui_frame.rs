//! App frame time on the largest corpus graphs while panning, the time from opening a cfg
//! to its graph on screen, and per keystroke in the Source editor: the re-analysis job
//! (analysis, lint, layout), the editor's frame, and keystroke → graph of the edited text. A frame here is `App::show` plus tessellation (the CPU side of a
//! frame; the GPU draw is the renderer's). Run with `cargo bench --bench gui_frame`; prints
//! medians, asserts nothing.

use csplens::gui::{App, Tab};
use egui::{Event, PointerButton, Pos2, RawInput, Rect, Vec2};
use std::path::PathBuf;
use std::time::Instant;

fn corpus() -> PathBuf {
    std::env::var_os("CSPLENS_CFG_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/cfg"),
        PathBuf::from,
    )
}

fn input(events: Vec<Event>) -> RawInput {
    RawInput {
        screen_rect: Some(Rect::from_min_size(Pos2::ZERO, Vec2::new(1600.0, 1000.0))),
        events,
        ..Default::default()
    }
}

fn frame(ctx: &egui::Context, app: &mut App, events: Vec<Event>) -> f64 {
    let t = Instant::now();
    let out = ctx.run_ui(input(events), |ui| app.show(ui));
    let prims = ctx.tessellate(out.shapes, out.pixels_per_point);
    std::hint::black_box(prims);
    t.elapsed().as_secs_f64() * 1e3
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn bench(rel: &str) {
    let ctx = egui::Context::default();
    let mut app = App::default();
    app.tab = Tab::Graph;
    let path = corpus().join(rel);
    let t = Instant::now();
    app.open(path, None);
    frame(&ctx, &mut app, vec![]);
    app.settle(&ctx);
    frame(&ctx, &mut app, vec![]);
    let open_ms = t.elapsed().as_secs_f64() * 1e3;
    let layers = app.doc().map_or(0, |d| d.analysis.network.layers.len());
    // pan: press in the graph, drag 6 px per frame, release
    let at = Pos2::new(600.0, 500.0);
    frame(
        &ctx,
        &mut app,
        vec![
            Event::PointerMoved(at),
            Event::PointerButton {
                pos: at,
                button: PointerButton::Primary,
                pressed: true,
                modifiers: Default::default(),
            },
        ],
    );
    let mut times = Vec::new();
    for k in 0..200 {
        let p = at + Vec2::new(((k % 40) as f32 - 20.0) * 6.0, (k / 40) as f32 * 6.0);
        times.push(frame(&ctx, &mut app, vec![Event::PointerMoved(p)]));
    }
    let zoomed_out = median(times.clone());
    let max = times.iter().cloned().fold(0.0, f64::max);
    println!(
        "{rel}: {layers} layers; open → graph {open_ms:.0} ms; panning frame median {zoomed_out:.2} ms, max {max:.2} ms (fitted, whole graph visible)"
    );
    // zoomed in on one node: most of the graph culled
    app.select(Some(layers / 2));
    frame(&ctx, &mut app, vec![]);
    let mut times = Vec::new();
    for k in 0..100 {
        let p = at + Vec2::new((k % 20) as f32 * 6.0, 0.0);
        times.push(frame(&ctx, &mut app, vec![Event::PointerMoved(p)]));
    }
    println!(
        "{rel}: panning zoomed in on layer {}: median {:.2} ms",
        layers / 2,
        median(times)
    );
}

/// One keystroke in the Source editor of `rel`: the job alone, the editor's frame, and from
/// the edit command to the re-analysed graph (the debounce skipped).
fn keystroke(rel: &str) {
    let ctx = egui::Context::default();
    let mut app = App::default();
    app.tab = Tab::Source;
    let path = corpus().join(rel);
    app.open(path.clone(), None);
    frame(&ctx, &mut app, vec![]);
    app.settle(&ctx);
    frame(&ctx, &mut app, vec![]);
    let Some(doc) = app.doc() else {
        println!("{rel}: did not open");
        return;
    };
    let text = doc.source.text().to_string();
    let caps = csplens::limits::Limits::default();
    let job: Vec<f64> = (0..20)
        .map(|k| {
            let edited = format!("{text}\n# keystroke {k}\n");
            let t = Instant::now();
            std::hint::black_box(csplens::gui::jobs::load::edited(
                &path, &edited, &caps, None,
            ));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let core: Vec<f64> = (0..20)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(
                csplens::analyze(
                    &path.display().to_string(),
                    text.as_bytes(),
                    Default::default(),
                )
                .ok(),
            );
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let frames: Vec<f64> = (0..50).map(|_| frame(&ctx, &mut app, vec![])).collect();
    let round: Vec<f64> = (0..10)
        .map(|k| {
            let t = Instant::now();
            app.apply(csplens::gui::command::Command::Edit {
                slot: csplens::gui::slot::Slot::A,
                text: format!("{text}\n# keystroke {k}\n"),
            });
            app.flush_edits();
            app.settle(&ctx);
            frame(&ctx, &mut app, vec![]);
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    println!(
        "{rel}: {} lines; per keystroke: core analysis {:.2} ms, re-analysis job (analysis + lint + layout) {:.2} ms, edit → graph {:.1} ms; Source editor frame {:.2} ms (medians)",
        text.lines().count(),
        median(core),
        median(job),
        median(round),
        median(frames)
    );
}

fn main() {
    for rel in [
        "darknet/yolov4-tiny.cfg",
        "darknet/yolov4-p6.cfg",
        "darknet/cspx-p7-mish.cfg",
    ] {
        bench(rel);
    }
    for rel in ["darknet/yolov4-tiny.cfg", "darknet/cspx-p7-mish_hp.cfg"] {
        keystroke(rel);
    }
}
