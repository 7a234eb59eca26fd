//! The app's view of the graph: CSP stages and runs of plain layers as collapsible groups, the
//! collapsed default for tall graphs, and frames around expanded stages that cover no other
//! node on any corpus cfg.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{analyze_corpus, cfgs_under, corpus_dir};
use csplens::graph::view::{Group, ViewLayout, groups, opens_collapsed, view_layout};
use csplens::graph::{Layout, NodeKind, layout};

/// The canvas box of a frame: its members' x ± ½ node and their ranks.
fn frame_box(l: &Layout, c: usize) -> (f32, f32, usize, usize) {
    let m = || l.nodes.iter().filter(|v| v.cluster == Some(c));
    (
        m().map(|v| v.x).fold(f32::MAX, f32::min) - 0.5,
        m().map(|v| v.x).fold(f32::MIN, f32::max) + 0.5,
        m().map(|v| v.rank).min().unwrap(),
        m().map(|v| v.rank).max().unwrap(),
    )
}

/// Every frame covers only its own nodes (dummies of edges passing by included).
fn frames_cover_only_their_nodes(v: &ViewLayout, what: &str) {
    for &c in &v.frames {
        let (lo, hi, r0, r1) = frame_box(&v.layout, c);
        for (k, node) in v.layout.nodes.iter().enumerate() {
            if node.cluster == Some(c) || node.rank < r0 || node.rank > r1 {
                continue;
            }
            let half = if node.kind == NodeKind::Dummy {
                0.0
            } else {
                0.5
            };
            assert!(
                node.x + half <= lo || node.x - half >= hi,
                "{what}: node {k} {:?} at x {} rank {} inside frame {c} [{lo}, {hi}]",
                node.kind,
                node.x,
                node.rank
            );
        }
    }
}

fn stage_groups(g: &[Group]) -> usize {
    g.iter().filter(|g| g.stage.is_some()).count()
}

#[test]
fn yolov4_tiny_groups_and_frames() {
    let a = analyze_corpus("darknet/yolov4-tiny.cfg");
    let g = groups(&a);
    assert_eq!(stage_groups(&g), 3);
    let s = g.iter().find(|g| g.stage == Some(0)).unwrap();
    assert_eq!(s.layers, vec![3, 4, 5, 6, 7, 8]);
    assert_eq!(s.title, "CSP stage 1 · 104×104");
    assert_eq!(s.detail, "64→64+64 · 1 dense · last");
    // every layer is in at most one group; layers 0–1 (208×208 then 104×104) are no run
    let mut seen = vec![0; a.network.layers.len()];
    g.iter().flat_map(|g| &g.layers).for_each(|&l| seen[l] += 1);
    assert!(seen.iter().all(|&n| n <= 1));
    assert!(!opens_collapsed(&layout(&a.network)));
    let expanded = view_layout(&a, &g, &vec![false; g.len()]);
    assert_eq!(expanded.frames.len(), 3);
    frames_cover_only_their_nodes(&expanded, "yolov4-tiny");
    // stage 1's part 1 (the base, layer 2) and part 2 sit side by side: the frame is two
    // nodes wide where the slice and the base's edge to the merge run in parallel
    let k = g.iter().position(|g| g.stage == Some(0)).unwrap();
    let (lo, hi, _, _) = frame_box(&expanded.layout, k);
    assert!(hi - lo >= 2.0, "{lo} {hi}");
}

#[test]
fn csdarknet53_opens_collapsed_into_a_readable_chain() {
    let a = analyze_corpus("cspnet/csdarknet53.cfg");
    assert!(opens_collapsed(&layout(&a.network)));
    let g = groups(&a);
    assert_eq!(stage_groups(&g), 5);
    let all = view_layout(&a, &g, &vec![true; g.len()]);
    // a chain of 14 boxes instead of 109: the input, layers 0 and 1 (256² and 128²), the
    // five stages, the four bases between them (each alone at its size) and the classifier
    let shown = all
        .layout
        .nodes
        .iter()
        .filter(|v| v.kind != NodeKind::Dummy)
        .count();
    assert_eq!(shown, 14, "{g:#?}");
    assert!(
        all.layout.ranks.len() <= 16,
        "{} ranks",
        all.layout.ranks.len()
    );
    assert!(all.frames.is_empty());
    // expanding stage 3 alone frames it and shows its 30 layers
    let mut collapsed = vec![true; g.len()];
    let k = g.iter().position(|g| g.stage == Some(2)).unwrap();
    collapsed[k] = false;
    let one = view_layout(&a, &g, &collapsed);
    assert_eq!(one.frames, vec![k]);
    let members = one.layout.nodes.iter().filter(|v| v.cluster == Some(k));
    assert_eq!(
        members
            .filter(|v| matches!(v.kind, NodeKind::Layer(_)))
            .count(),
        a.csp.stages[2].layers.len()
    );
    frames_cover_only_their_nodes(&one, "csdarknet53, stage 3");
    // each layer maps to a node that shows it
    for (i, &node) in one.node_of_layer.iter().enumerate() {
        match one.layout.nodes[node].kind {
            NodeKind::Layer(l) => assert_eq!(l, i),
            NodeKind::Group(gr) => assert!(g[gr].layers.contains(&i)),
            other => panic!("layer {i} shown by {other:?}"),
        }
    }
}

#[test]
fn frames_never_cover_other_nodes_on_the_corpus() {
    let mut framed = 0;
    for path in cfgs_under(&corpus_dir()) {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        let Ok(a) = csplens::analyze(&name, &bytes, Default::default()) else {
            continue;
        };
        if a.csp.stages.is_empty() {
            continue;
        }
        let g = groups(&a);
        let v = view_layout(&a, &g, &vec![false; g.len()]);
        assert_eq!(v.frames.len(), a.csp.stages.len(), "{name}");
        frames_cover_only_their_nodes(&v, &name);
        for chain in &v.layout.edges {
            for w in chain.windows(2) {
                assert_eq!(v.layout.nodes[w[1]].rank, v.layout.nodes[w[0]].rank + 1);
            }
        }
        framed += 1;
    }
    assert!(framed >= 50, "{framed}");
}
