//! Time to profile the largest corpus cfgs (text → network → shapes → costs), to lay out
//! their graphs and to find their CSP stages: medians of repeated runs. Run with `cargo bench --bench profile`; `CSPLENS_CFG_DIR` picks the corpus.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Instant;

const CFGS: [&str; 4] = [
    "darknet/yolov4-p6.cfg",
    "darknet/cspx-p7-mish.cfg",
    "darknet/densenet201.cfg",
    "darknet/yolov4-tiny.cfg",
];

fn corpus() -> PathBuf {
    std::env::var_os("CSPLENS_CFG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/cfg"))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let runs: usize = std::env::var("CSPLENS_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    println!(
        "{:<28} {:>7} {:>10} {:>10} {:>10}",
        "cfg", "layers", "median ms", "min ms", "max ms"
    );
    for rel in CFGS {
        let bytes = std::fs::read(corpus().join(rel)).expect("read cfg");
        let mut times = Vec::with_capacity(runs);
        let mut layers = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let a = csplens::analyze(rel, &bytes, Default::default()).expect("analyze");
            times.push(t.elapsed().as_secs_f64() * 1e3);
            layers = std::hint::black_box(a).network.layers.len();
        }
        let (min, max) = times
            .iter()
            .fold((f64::MAX, 0f64), |(lo, hi), &t| (lo.min(t), hi.max(t)));
        println!(
            "{rel:<28} {layers:>7} {:>10.3} {min:>10.3} {max:>10.3}",
            median(times)
        );
        let a = csplens::analyze(rel, &bytes, Default::default()).expect("analyze");
        let mut layout_ms = Vec::new();
        for _ in 0..runs / 10 + 1 {
            let t = Instant::now();
            std::hint::black_box(csplens::graph::layout(&a.network));
            layout_ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "{:<28} {:>7} {:>10.3}   (graph layout)",
            "",
            "",
            median(layout_ms)
        );
        let mut stage_ms = Vec::new();
        let mut stages = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let found = csplens::profile::csp_stages(
                &a.network,
                &a.shapes,
                &a.profile,
                &a.memory,
                &a.gradient,
            );
            stage_ms.push(t.elapsed().as_secs_f64() * 1e3);
            stages = std::hint::black_box(found).stages.len();
        }
        println!(
            "{:<28} {:>7} {:>10.3}   (CSP stages: {stages}, with totals)",
            "",
            "",
            median(stage_ms)
        );
    }
}
