//! What each edge of the layer DAG carries (which channels, and whether it is a route, a
//! shortcut or a plain sequential link) and where the network splits channels with
//! `groups`/`group_id` routes and rejoins them: the CSP splits the graph view highlights.

use crate::kinds::{LayerKind, Src};
use crate::network::Network;
use crate::shape::Shapes;

/// How an edge is used by the layer it enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// The previous layer feeding the next one.
    Sequential,
    /// An input of a `[route]` (concatenation or a single-input view).
    Route,
    /// A `[route]` input taken as a channel slice (`groups` > 1).
    Slice,
    /// An input added by a `[shortcut]` (`from=`) or read by `[sam]`/`[scale_channels]`.
    Shortcut,
}

/// One edge of the DAG, in the order of [`crate::graph::Layout::edges`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeInfo {
    /// Layout node it leaves (0 is the input image, 1 + i is layer i).
    pub from: usize,
    /// Layout node it enters.
    pub to: usize,
    /// How the consumer uses it.
    pub kind: EdgeKind,
    /// First channel taken.
    pub lo: usize,
    /// One past the last channel taken.
    pub hi: usize,
    /// Channels of the producer.
    pub total: usize,
}

impl EdgeInfo {
    /// "ch 32–63 of 64" for a slice, "64 ch" for the whole tensor.
    pub fn label(&self) -> String {
        if self.lo == 0 && self.hi == self.total {
            format!("{} ch", self.total)
        } else {
            format!(
                "ch {}–{} of {}",
                self.lo,
                self.hi.saturating_sub(1),
                self.total
            )
        }
    }
}

/// A channel split by a `groups` route and the concatenation that rejoins it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The `groups` route (layer index).
    pub route: usize,
    /// The layer whose channels are split (layout node).
    pub source: usize,
    /// The first layer where the sliced branch and the rest of the source meet again.
    pub merge: Option<usize>,
    /// Edges (indices into the edge list) of the sliced branch, from the source to the merge.
    pub taken: Vec<usize>,
    /// Edges of the other branch: the source's other readers, followed to the merge.
    pub bypass: Vec<usize>,
}

/// Channels of a layout node's output (the input image's for node 0).
fn channels(shapes: &Shapes, node: usize) -> usize {
    if node == 0 {
        return shapes.input.c;
    }
    shapes.layers.get(node - 1).map_or(0, |s| {
        if s.output.c == 0 {
            s.outputs
        } else {
            s.output.c
        }
    })
}

/// Every edge with its kind and channel range, in layout order (repeated inputs once).
pub fn edges(net: &Network, shapes: &Shapes) -> Vec<EdgeInfo> {
    let node_of = |s: &Src| match s {
        Src::Image => 0,
        Src::Layer(j) => j + 1,
    };
    let mut out = Vec::new();
    for (i, layer) in net.layers.iter().enumerate() {
        let to = i + 1;
        let mut seen = Vec::new();
        for (k, s) in layer.inputs.iter().enumerate() {
            let from = node_of(s);
            if seen.contains(&from) {
                continue;
            }
            seen.push(from);
            let total = channels(shapes, from);
            // the second and later inputs of a shortcut, sam or scale_channels join element-wise
            let (kind, lo, hi) = if let LayerKind::Route(r) = &layer.kind {
                if r.groups > 1 {
                    let part = total / r.groups;
                    (EdgeKind::Slice, part * r.group_id, part * (r.group_id + 1))
                } else {
                    (EdgeKind::Route, 0, total)
                }
            } else if k > 0 {
                (EdgeKind::Shortcut, 0, total)
            } else {
                (EdgeKind::Sequential, 0, total)
            };
            out.push(EdgeInfo {
                from,
                to,
                kind,
                lo,
                hi,
                total,
            });
        }
    }
    out
}

/// Nodes reachable from `start` (inclusive) along `edges`, skipping the edge `skip`.
fn reach(n: usize, edges: &[EdgeInfo], start: usize, skip: Option<usize>) -> Vec<bool> {
    let mut seen = vec![false; n];
    if let Some(s) = seen.get_mut(start) {
        *s = true;
    }
    // edges are grouped by increasing `to`, and `from < to`: one pass in order suffices
    for (e, info) in edges.iter().enumerate() {
        if Some(e) != skip && seen[info.from] {
            seen[info.to] = true;
        }
    }
    seen
}

/// Nodes from which `target` is reachable (inclusive).
fn reaches(n: usize, edges: &[EdgeInfo], target: usize) -> Vec<bool> {
    let mut seen = vec![false; n];
    if let Some(s) = seen.get_mut(target) {
        *s = true;
    }
    for info in edges.iter().rev() {
        if seen[info.to] {
            seen[info.from] = true;
        }
    }
    seen
}

/// The CSP splits: every `groups` route, the layer it slices, where its branch rejoins the
/// rest of the source, and the edges of both branches up to that point.
pub fn splits(net: &Network, edges: &[EdgeInfo]) -> Vec<Split> {
    let n = net.layers.len() + 1;
    let mut out = Vec::new();
    for (e, info) in edges.iter().enumerate() {
        if info.kind != EdgeKind::Slice {
            continue;
        }
        let route = info.to;
        let from_route = reach(n, edges, route, None);
        let from_source = reach(n, edges, info.from, Some(e));
        let merge = (route + 1..n).find(|&v| from_route[v] && from_source[v]);
        let (taken, bypass) = match merge {
            Some(m) => {
                let back = reaches(n, edges, m);
                let on =
                    |ok: &[bool], x: &EdgeInfo| ok[x.from] && ok[x.to] && back[x.to] && x.to <= m;
                let mut taken = vec![e];
                let mut bypass = Vec::new();
                for (k, x) in edges.iter().enumerate() {
                    if k == e || x.to > m {
                        continue;
                    }
                    if on(&from_route, x) {
                        taken.push(k);
                    } else if on(&from_source, x) && !from_route[x.from] {
                        bypass.push(k);
                    }
                }
                (taken, bypass)
            }
            None => (vec![e], Vec::new()),
        };
        out.push(Split {
            route: route - 1,
            source: info.from,
            merge: merge.map(|m| m - 1),
            taken,
            bypass,
        });
    }
    out
}
