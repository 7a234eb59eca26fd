//! The egui_graphs graph of a document's current view: a node per visible layer and per
//! collapsed group (with its totals), edges through the layout's bend points, each CSP
//! stage's part 1 and part 2 in a colour pair from base to merge, its merge outlined, its
//! transitions named; `groups` splits outside any stage keep their own pair.

use crate::graph::NodeKind;
use crate::graph::csp::EdgeKind;
use crate::graph::view::ViewLayout;
use crate::gui::doc::Document;
use crate::gui::graph::draw::{EdgeData, NodeData};
use crate::gui::graph::style::{
    ColorBy, LayerGraph, MERGE_COLOR, detail, gui_text, metric, position, ramp, stage_colors,
};
use egui::Color32;
use petgraph::stable_graph::NodeIndex;
use std::collections::HashMap;

/// Outline colours of layers and colours of edges (by edge index) from the CSP stages and
/// the `groups` splits that no stage covers.
fn highlights(doc: &Document) -> (Vec<Option<Color32>>, Vec<Option<Color32>>) {
    let a = &doc.analysis;
    let mut marks = vec![None; a.network.layers.len()];
    let mut edge_color = vec![None; doc.edges.len()];
    for (k, s) in a.csp.stages.iter().enumerate() {
        let (c1, c2) = stage_colors(k);
        s.part1.layers.iter().for_each(|&l| marks[l] = Some(c1));
        s.part2.layers.iter().for_each(|&l| marks[l] = Some(c2));
        marks[s.merge] = Some(MERGE_COLOR);
        for (e, info) in doc.edges.iter().enumerate() {
            let (Some(from), Some(to)) = (info.from.checked_sub(1), info.to.checked_sub(1)) else {
                continue;
            };
            let into_merge = to == s.merge;
            if s.part1.layers.contains(&to) || (into_merge && from == s.part1.input) {
                edge_color[e] = Some(c1);
            } else if s.part2.layers.contains(&to) || (into_merge && from == s.part2.input) {
                edge_color[e] = Some(c2);
            }
        }
    }
    let offset = a.csp.stages.len();
    for (k, sp) in doc.splits.iter().enumerate() {
        if a.csp.stage_of(sp.route).is_some() {
            continue;
        }
        let (ca, cb) = stage_colors(offset + k);
        marks[sp.route] = Some(ca);
        if let Some(m) = sp.merge {
            marks[m] = Some(MERGE_COLOR);
        }
        sp.taken.iter().for_each(|&e| edge_color[e] = Some(ca));
        sp.bypass.iter().for_each(|&e| edge_color[e] = Some(cb));
    }
    (marks, edge_color)
}

fn layer_node(doc: &Document, by: ColorBy, max: f64, i: usize, mark: Option<Color32>) -> NodeData {
    let a = &doc.analysis;
    let layer = &a.network.layers[i];
    let t = (metric(doc, by, i) / max).sqrt() as f32;
    let transition = a
        .csp
        .stages
        .iter()
        .any(|s| s.transition_before == Some(i) || s.transition_after == Some(i));
    let d = detail(&layer.kind);
    NodeData {
        layer: Some(i),
        group: None,
        title: format!("{i} {}", layer.kind.type_name()),
        detail: if transition {
            format!("transition · {d}")
        } else {
            d
        },
        shape: a.shapes.layers[i].output.text(),
        fill: ramp(t),
        mark,
    }
}

/// Builds the graph of `view`; returns it and the egui node of each layout node (none for
/// dummies).
pub fn build(
    doc: &Document,
    by: ColorBy,
    view: &ViewLayout,
) -> (LayerGraph, Vec<Option<NodeIndex>>) {
    let a = &doc.analysis;
    let l = &view.layout;
    let max = (0..a.network.layers.len())
        .map(|i| metric(doc, by, i))
        .fold(0.0f64, f64::max)
        .max(1e-12);
    let (marks, edge_color) = highlights(doc);
    let mut g = LayerGraph::new();
    let mut nodes = vec![None; l.nodes.len()];
    for (v, node) in l.nodes.iter().enumerate() {
        let data = match node.kind {
            NodeKind::Layer(i) => layer_node(doc, by, max, i, marks[i]),
            NodeKind::Group(k) => {
                let gr = &doc.groups[k];
                let sum: f64 = gr.layers.iter().map(|&i| metric(doc, by, i)).sum();
                NodeData {
                    layer: None,
                    group: Some(k),
                    title: gr.title.clone(),
                    detail: gui_text(&gr.detail),
                    shape: gr.totals.clone(),
                    fill: ramp((sum / max).sqrt().min(1.0) as f32),
                    mark: gr.stage.map(|s| stage_colors(s).1),
                }
            }
            NodeKind::Input => NodeData {
                layer: None,
                group: None,
                title: "input".into(),
                detail: String::new(),
                shape: a.shapes.input.text(),
                fill: Color32::from_gray(70),
                mark: None,
            },
            NodeKind::Dummy => continue,
        };
        nodes[v] = Some(g.add_node_with_location(data, position(view, v)));
    }
    // the full graph's edge (producer node, consumer node) → its channel facts
    let info: HashMap<(usize, usize), usize> = doc
        .edges
        .iter()
        .enumerate()
        .map(|(k, e)| ((e.from, e.to), k))
        .collect();
    let full = |v: usize| match l.nodes[v].kind {
        NodeKind::Input => Some(0),
        NodeKind::Layer(i) => Some(i + 1),
        NodeKind::Group(_) | NodeKind::Dummy => None,
    };
    for chain in &l.edges {
        let (from, to) = (chain[0], chain[chain.len() - 1]);
        let (Some(nf), Some(nt)) = (nodes[from], nodes[to]) else {
            continue;
        };
        let bends = chain[1..chain.len() - 1]
            .iter()
            .map(|&v| position(view, v))
            .collect();
        let k = full(from).zip(full(to)).and_then(|p| info.get(&p).copied());
        let e = k.and_then(|k| doc.edges.get(k));
        let colour = k.and_then(|k| edge_color[k]);
        let kind = e.map_or(EdgeKind::Sequential, |e| e.kind);
        let data = EdgeData {
            bends,
            color: colour.unwrap_or(match kind {
                EdgeKind::Shortcut => Color32::from_rgb(200, 160, 90),
                EdgeKind::Route | EdgeKind::Slice => Color32::from_rgb(150, 170, 200),
                EdgeKind::Sequential => Color32::from_gray(130),
            }),
            width: if colour.is_some() { 3.0 } else { 1.5 },
            dashed: kind == EdgeKind::Shortcut,
            label: e
                .filter(|e| colour.is_some() || matches!(e.kind, EdgeKind::Slice | EdgeKind::Route))
                .map(|e| e.label()),
        };
        g.add_edge(nf, nt, data);
    }
    (g, nodes)
}
