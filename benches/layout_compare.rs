//! Our layered layout against the rust-sugiyama crate on the corpus: edge crossings as drawn
//! (our edges bend through their dummy nodes; rust-sugiyama returns vertex positions only, so
//! its edges are straight lines), width in node spacings, ranks and time. Run with
//! `cargo bench --bench layout_compare`; docs/perf.md has the figures and the choice.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use csplens::graph::{Layout, layout};
use std::path::PathBuf;
use std::time::Instant;

type Seg = ((f64, f64), (f64, f64));

fn corpus() -> PathBuf {
    std::env::var_os("CSPLENS_CFG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/cfg"))
}

fn cross(a: Seg, b: Seg) -> bool {
    let o = |p: (f64, f64), q: (f64, f64), r: (f64, f64)| {
        (q.0 - p.0) * (r.1 - p.1) - (q.1 - p.1) * (r.0 - p.0)
    };
    let (d1, d2) = (o(b.0, b.1, a.0), o(b.0, b.1, a.1));
    let (d3, d4) = (o(a.0, a.1, b.0), o(a.0, a.1, b.1));
    d1 * d2 < -1e-9 && d3 * d4 < -1e-9
}

fn crossings(segs: &[Seg]) -> usize {
    let mut n = 0;
    for i in 0..segs.len() {
        for j in i + 1..segs.len() {
            n += usize::from(cross(segs[i], segs[j]));
        }
    }
    n
}

fn ours(l: &Layout) -> (Vec<Seg>, f64) {
    let p = |v: usize| (l.nodes[v].x as f64, l.nodes[v].rank as f64);
    let segs = l
        .edges
        .iter()
        .flat_map(|c| c.windows(2).map(|w| (p(w[0]), p(w[1]))).collect::<Vec<_>>())
        .collect();
    let xs = l.nodes.iter().map(|v| v.x as f64);
    let width = xs.clone().fold(f64::MIN, f64::max) - xs.fold(f64::MAX, f64::min);
    (segs, width)
}

fn main() {
    let mut files = Vec::new();
    let mut stack = vec![corpus()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "cfg") {
                files.push(p);
            }
        }
    }
    files.sort();
    let config = rust_sugiyama::configure::Config {
        vertex_spacing: 1.0,
        ..Default::default()
    };
    println!(
        "{:<44} {:>6} | {:>9} {:>7} {:>8} | {:>9} {:>7} {:>8}",
        "cfg", "layers", "ours ×", "width", "ms", "sugiyama ×", "width", "ms"
    );
    let (mut sum_ours, mut sum_theirs) = ((0, 0.0, 0.0), (0, 0.0, 0.0));
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Ok(a) = csplens::analyze(&name, &bytes, Default::default()) else {
            continue;
        };
        let t = Instant::now();
        let l = layout(&a.network);
        let ms_ours = t.elapsed().as_secs_f64() * 1e3;
        let (segs, width) = ours(&l);
        let c_ours = crossings(&segs);
        let mut edges: Vec<(u32, u32)> = Vec::new();
        for chain in &l.edges {
            edges.push((chain[0] as u32, chain[chain.len() - 1] as u32));
        }
        let t = Instant::now();
        let laid = rust_sugiyama::from_edges(&edges, &config);
        let ms_theirs = t.elapsed().as_secs_f64() * 1e3;
        let mut pos = vec![(0.0, 0.0); l.nodes.len()];
        let mut w_theirs: f64 = 0.0;
        let mut x0 = 0.0;
        for (coords, w, _) in &laid {
            for &(v, (x, y)) in coords {
                pos[v] = (x + x0, -y);
            }
            x0 += w + 1.0;
            w_theirs += w;
        }
        let theirs: Vec<Seg> = edges
            .iter()
            .map(|&(u, v)| (pos[u as usize], pos[v as usize]))
            .collect();
        let c_theirs = crossings(&theirs);
        println!(
            "{name:<44} {:>6} | {c_ours:>9} {width:>7.1} {ms_ours:>8.2} | {c_theirs:>10} {w_theirs:>7.1} {ms_theirs:>8.2}",
            a.network.layers.len()
        );
        sum_ours = (
            sum_ours.0 + c_ours,
            sum_ours.1 + width,
            sum_ours.2 + ms_ours,
        );
        sum_theirs = (
            sum_theirs.0 + c_theirs,
            sum_theirs.1 + w_theirs,
            sum_theirs.2 + ms_theirs,
        );
    }
    println!(
        "{:<44} {:>6} | {:>9} {:>7.0} {:>8.1} | {:>10} {:>7.0} {:>8.1}",
        "total", "", sum_ours.0, sum_ours.1, sum_ours.2, sum_theirs.0, sum_theirs.1, sum_theirs.2
    );
}
