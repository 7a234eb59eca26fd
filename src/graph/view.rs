//! The graph as the app shows it: layers grouped into CSP stages and runs of plain layers at
//! one resolution, each group collapsible into one node that shows its totals, laid out with
//! each expanded stage kept together as a cluster (its frame covers no other node).

use super::layout::{Layout, NodeKind, layout_dag};
use crate::Analysis;
use crate::kinds::Src;

/// A group of layers that can be collapsed into one node.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The CSP stage (position in `Analysis::csp.stages`), or `None` for a run of plain layers.
    pub stage: Option<usize>,
    /// Its layers, in order.
    pub layers: Vec<usize>,
    /// First line of its collapsed node ("CSP stage 3 · 64×64", "layers 0–1 · 256×256").
    pub title: String,
    /// Second line: the stage's split and block, or the run's layer count.
    pub detail: String,
    /// Third line: BFLOPs and parameters.
    pub totals: String,
}

/// Layers per run of plain layers below which a run is not a group.
const MIN_RUN: usize = 2;
/// Ranks of the whole graph above which it opens collapsed: at a fitted zoom its boxes'
/// text would be under ~6 px on a 1000 px tall view (48 ranks × 122 canvas units).
pub const COLLAPSE_RANKS: usize = 48;

fn totals_text(a: &Analysis, layers: &[usize]) -> String {
    let bflops: f64 = layers
        .iter()
        .filter_map(|&l| a.profile.layers.get(l))
        .map(|c| c.bflops as f64)
        .sum();
    let params: u64 = layers
        .iter()
        .filter_map(|&l| a.profile.layers.get(l))
        .map(|c| c.params)
        .sum();
    format!("{bflops:.3} BFLOPs · {:.2}M params", params as f64 / 1e6)
}

/// The CSP stages, then the runs of plain layers between them (consecutive layers outside
/// every stage with the same output size), ordered by their first layer.
pub fn groups(a: &Analysis) -> Vec<Group> {
    let mut out: Vec<Group> = a
        .csp
        .stages
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let kind = format!("{:?}", s.block.kind).to_lowercase();
            Group {
                stage: Some(k),
                layers: s.layers.clone(),
                title: format!(
                    "CSP stage {} · {}×{}",
                    s.index, s.resolution.width, s.resolution.height
                ),
                detail: format!(
                    "{}→{}+{} · {} {kind} · {}",
                    s.base_channels,
                    s.part1.channels,
                    s.part2.channels,
                    s.block.units,
                    s.fusion.name()
                ),
                totals: totals_text(a, &s.layers),
            }
        })
        .collect();
    let in_stage = |i: usize| a.csp.stage_of(i).is_some();
    let size = |i: usize| a.shapes.layers.get(i).map(|s| (s.output.w, s.output.h));
    let mut run: Vec<usize> = Vec::new();
    let flush = |run: &mut Vec<usize>, out: &mut Vec<Group>| {
        if run.len() >= MIN_RUN {
            let (first, last) = (run[0], run[run.len() - 1]);
            let (w, h) = size(first).unwrap_or((0, 0));
            out.push(Group {
                stage: None,
                layers: run.clone(),
                title: format!("layers {first}–{last} · {w}×{h}"),
                detail: format!("{} plain layers", run.len()),
                totals: totals_text(a, run),
            });
        }
        run.clear();
    };
    for i in 0..a.network.layers.len() {
        let joins = run
            .last()
            .is_some_and(|&p| p + 1 == i && size(p) == size(i));
        if in_stage(i) || !joins {
            flush(&mut run, &mut out);
        }
        if !in_stage(i) {
            run.push(i);
        }
    }
    flush(&mut run, &mut out);
    out.sort_by_key(|g| g.layers.first().copied());
    out
}

/// A laid-out view of the graph with some groups collapsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewLayout {
    /// The layout: node 0 is the input, then one node per visible layer or collapsed group
    /// in network order, then dummies.
    pub layout: Layout,
    /// The node showing each layer (itself, or its collapsed group).
    pub node_of_layer: Vec<usize>,
    /// The expanded CSP stages, as the groups they are (clusters of the layout).
    pub frames: Vec<usize>,
}

/// The group each layer belongs to.
pub fn group_of_layer(groups: &[Group], layers: usize) -> Vec<Option<usize>> {
    let mut out = vec![None; layers];
    for (g, group) in groups.iter().enumerate() {
        for &l in &group.layers {
            if let Some(slot) = out.get_mut(l) {
                *slot = Some(g);
            }
        }
    }
    out
}

/// Lays out the graph with the groups marked in `collapsed` shown as one node each; expanded
/// stages are clusters.
pub fn view_layout(a: &Analysis, groups: &[Group], collapsed: &[bool]) -> ViewLayout {
    let n = a.network.layers.len();
    let group_of = group_of_layer(groups, n);
    let is_collapsed = |g: Option<usize>| g.is_some_and(|g| collapsed.get(g) == Some(&true));
    let mut kinds = vec![NodeKind::Input];
    let mut node_of_layer = vec![0; n];
    let mut group_node: Vec<Option<usize>> = vec![None; groups.len()];
    let mut clusters = vec![None];
    for i in 0..n {
        let g = group_of[i];
        if is_collapsed(g) {
            let g = g.unwrap_or(0);
            let node = *group_node[g].get_or_insert_with(|| {
                kinds.push(NodeKind::Group(g));
                clusters.push(None);
                kinds.len() - 1
            });
            node_of_layer[i] = node;
        } else {
            kinds.push(NodeKind::Layer(i));
            clusters.push(g.filter(|&g| groups[g].stage.is_some()));
            node_of_layer[i] = kinds.len() - 1;
        }
    }
    let mut inputs: Vec<Vec<usize>> = vec![Vec::new(); kinds.len()];
    for (i, layer) in a.network.layers.iter().enumerate() {
        let to = node_of_layer[i];
        for s in &layer.inputs {
            let from = match s {
                Src::Image => 0,
                Src::Layer(j) => node_of_layer[*j],
            };
            if from != to && !inputs[to].contains(&from) {
                inputs[to].push(from);
            }
        }
    }
    let layout = layout_dag(&kinds, &inputs, &clusters);
    let mut frames: Vec<usize> = clusters.iter().flatten().copied().collect();
    frames.sort_unstable();
    frames.dedup();
    ViewLayout {
        layout,
        node_of_layer,
        frames,
    }
}

/// Whether a network's whole graph is too tall to read when fitted: then it opens with
/// every group collapsed.
pub fn opens_collapsed(full: &Layout) -> bool {
    full.ranks.len() > COLLAPSE_RANKS
}
