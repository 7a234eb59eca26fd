//! The cfg doctor's latency as the app sees it, on yolov4-tiny and the largest corpus cfg:
//! open → findings (read, analyse, lint) and keystroke → findings (analyse and lint an edited
//! text), each by the two paths: the doctor building the network again from the text
//! (`lint`, what the app did before it linted the analysis) and the doctor reading the
//! analysis (`lint_analysis`, what the app does now). Run with `cargo bench --bench doctor`;
//! prints medians, asserts nothing.

use csplens::doctor::{LintOptions, lint, lint_analysis};
use std::path::PathBuf;
use std::time::Instant;

const RUNS: usize = 41;

fn corpus() -> PathBuf {
    std::env::var_os("CSPLENS_CFG_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/cfg"),
        PathBuf::from,
    )
}

fn median_ms(mut f: impl FnMut(usize)) -> f64 {
    let mut v: Vec<f64> = (0..RUNS)
        .map(|k| {
            let t = Instant::now();
            f(k);
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Analyses `text` and lints it by text (`false`) or by the analysis (`true`).
fn findings(name: &str, text: &str, on_analysis: bool) -> usize {
    let opts = LintOptions::default();
    let a = csplens::analyze(name, text.as_bytes(), Default::default()).expect("analyses");
    let report = if on_analysis {
        lint_analysis(&a, &opts)
    } else {
        lint(name, &a.source, &opts)
    };
    std::hint::black_box(&a);
    report.findings.len()
}

fn bench(rel: &str) {
    let path = corpus().join(rel);
    let name = path.display().to_string();
    let text = std::fs::read_to_string(&path).expect("the corpus cfg");
    let lines = text.lines().count();
    for (label, on_analysis) in [("lint(text)", false), ("lint_analysis", true)] {
        let open = median_ms(|_| {
            let text = std::fs::read_to_string(&path).expect("the corpus cfg");
            std::hint::black_box(findings(&name, &text, on_analysis));
        });
        let key = median_ms(|k| {
            let edited = format!("{text}\n# keystroke {k}\n");
            std::hint::black_box(findings(&name, &edited, on_analysis));
        });
        println!(
            "{rel} ({lines} lines), {label}: open → findings {open:.2} ms, keystroke → findings {key:.2} ms (medians of {RUNS})"
        );
    }
}

fn main() {
    bench("darknet/yolov4-tiny.cfg");
    bench("darknet/cspx-p7-mish_hp.cfg");
}
