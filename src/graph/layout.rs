//! Layered layout of a network's DAG.

use crate::kinds::Src;
use crate::network::Network;

/// What a laid-out node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// The input image.
    Input,
    /// A layer (its index).
    Layer(usize),
    /// A collapsed group of layers (its index in the view's groups).
    Group(usize),
    /// A bend point of an edge that spans several ranks.
    Dummy,
}

/// One node with its place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayoutNode {
    /// What it is.
    pub kind: NodeKind,
    /// Rank (row), 0 for the input.
    pub rank: usize,
    /// Horizontal position in node widths.
    pub x: f32,
    /// The cluster it is kept together with (an expanded CSP stage), if any.
    pub cluster: Option<usize>,
}

/// A laid-out DAG.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// All nodes: the DAG's nodes in their order (for a whole network, index 0 is the input
    /// and 1 + i is layer i), dummies follow.
    pub nodes: Vec<LayoutNode>,
    /// Each original edge (from node, to node) as its chain of node indices through dummies.
    pub edges: Vec<Vec<usize>>,
    /// Node indices of each rank, left to right.
    pub ranks: Vec<Vec<usize>>,
}

impl Layout {
    /// The node of layer `i` (in the layout of a whole network).
    pub fn layer_node(&self, i: usize) -> Option<&LayoutNode> {
        self.nodes.get(i + 1)
    }
}

/// Sweeps of the barycentre heuristic (down and up count as one).
const SWEEPS: usize = 12;
/// Minimum horizontal distance between neighbours in a rank, in node widths.
const GAP: f32 = 1.0;
/// Room between a cluster's frame and a node outside it, in node widths.
const FRAME_GAP: f32 = 0.35;

/// Lays out the network.
pub fn layout(net: &Network) -> Layout {
    let node_of = |s: &Src| match s {
        Src::Image => 0,
        Src::Layer(j) => j + 1,
    };
    let mut kinds = vec![NodeKind::Input];
    let mut inputs = vec![Vec::new()];
    for (i, layer) in net.layers.iter().enumerate() {
        kinds.push(NodeKind::Layer(i));
        inputs.push(layer.inputs.iter().map(node_of).collect());
    }
    let clusters = vec![None; kinds.len()];
    layout_dag(&kinds, &inputs, &clusters)
}

/// Lays out a DAG whose nodes are in topological order: node `v` reads `inputs[v]` (earlier
/// nodes, repeats drawn once). Nodes of one cluster stay side by side in every rank, and the
/// other nodes of those ranks are pushed out of the cluster's bounding box, so frames drawn
/// around clusters never cover a node that is not theirs.
pub fn layout_dag(kinds: &[NodeKind], inputs: &[Vec<usize>], clusters: &[Option<usize>]) -> Layout {
    let n = kinds.len();
    let mut nodes: Vec<LayoutNode> = (0..n)
        .map(|v| LayoutNode {
            kind: kinds[v],
            rank: 0,
            x: 0.0,
            cluster: clusters.get(v).copied().flatten(),
        })
        .collect();
    // longest-path ranks (inputs come first, so index order is topological)
    for v in 1..n {
        nodes[v].rank = inputs[v]
            .iter()
            .filter(|&&u| u < v)
            .map(|&u| nodes[u].rank + 1)
            .max()
            .unwrap_or(1);
    }
    // edges, split by dummies where they skip ranks
    let mut edges = Vec::new();
    for to in 1..n {
        let mut seen = Vec::new();
        for &from in &inputs[to] {
            if seen.contains(&from) || from >= to {
                continue;
            }
            seen.push(from);
            let inside = nodes[from]
                .cluster
                .filter(|c| nodes[to].cluster == Some(*c));
            let mut chain = vec![from];
            for r in nodes[from].rank + 1..nodes[to].rank {
                nodes.push(LayoutNode {
                    kind: NodeKind::Dummy,
                    rank: r,
                    x: 0.0,
                    cluster: inside,
                });
                chain.push(nodes.len() - 1);
            }
            chain.push(to);
            edges.push(chain);
        }
    }
    let rank_count = nodes.iter().map(|v| v.rank).max().unwrap_or(0) + 1;
    let mut ranks: Vec<Vec<usize>> = vec![Vec::new(); rank_count];
    for (v, node) in nodes.iter().enumerate() {
        ranks[node.rank].push(v);
    }
    let (up, down) = adjacency(nodes.len(), &edges);
    let cluster: Vec<Option<usize>> = nodes.iter().map(|v| v.cluster).collect();
    order(&mut ranks, &up, &down, &cluster);
    place(&mut nodes, &ranks, &up, &down);
    separate_clusters(&mut nodes, &ranks);
    Layout {
        nodes,
        edges,
        ranks,
    }
}

/// Neighbours one rank up and one rank down of every node.
fn adjacency(n: usize, edges: &[Vec<usize>]) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let (mut up, mut down) = (vec![Vec::new(); n], vec![Vec::new(); n]);
    for chain in edges {
        for w in chain.windows(2) {
            down[w[0]].push(w[1]);
            up[w[1]].push(w[0]);
        }
    }
    (up, down)
}

fn positions(ranks: &[Vec<usize>], n: usize) -> Vec<f32> {
    let mut pos = vec![0f32; n];
    for rank in ranks {
        for (k, &v) in rank.iter().enumerate() {
            pos[v] = k as f32;
        }
    }
    pos
}

/// Barycentre sweeps, keeping the ordering with the fewest crossings seen; the nodes of a
/// cluster sort by their cluster's mean key, so they stay next to each other.
fn order(
    ranks: &mut [Vec<usize>],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
    cluster: &[Option<usize>],
) {
    let n = up.len();
    let mut best = ranks.to_vec();
    let mut best_cross = crossings_of(ranks, down);
    for sweep in 0..SWEEPS {
        let downward = sweep % 2 == 0;
        let idx: Vec<usize> = if downward {
            (1..ranks.len()).collect()
        } else {
            (0..ranks.len().saturating_sub(1)).rev().collect()
        };
        for r in idx {
            let pos = positions(ranks, n);
            let neigh = if downward { up } else { down };
            let mut keyed: Vec<(f32, usize)> = ranks[r]
                .iter()
                .map(|&v| {
                    let ns = &neigh[v];
                    let key = if ns.is_empty() {
                        pos[v]
                    } else {
                        ns.iter().map(|&u| pos[u]).sum::<f32>() / ns.len() as f32
                    };
                    (key, v)
                })
                .collect();
            group_clusters(&mut keyed, cluster);
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            ranks[r] = keyed.into_iter().map(|(_, v)| v).collect();
        }
        let c = crossings_of(ranks, down);
        if c < best_cross {
            best_cross = c;
            best = ranks.to_vec();
        }
    }
    ranks.clone_from_slice(&best);
}

/// Replaces the key of each clustered node by its cluster's mean key plus a small share of
/// its own, so that a stable sort keeps a cluster's nodes together in their own order.
fn group_clusters(keyed: &mut [(f32, usize)], cluster: &[Option<usize>]) {
    let mut sums: Vec<(usize, f32, usize)> = Vec::new();
    for &(k, v) in keyed.iter() {
        if let Some(c) = cluster[v] {
            match sums.iter_mut().find(|s| s.0 == c) {
                Some(s) => {
                    s.1 += k;
                    s.2 += 1;
                }
                None => sums.push((c, k, 1)),
            }
        }
    }
    for (k, v) in keyed.iter_mut() {
        if let Some(c) = cluster[*v]
            && let Some(s) = sums.iter().find(|s| s.0 == c)
        {
            *k = s.1 / s.2 as f32 + *k * 1e-3;
        }
    }
}

/// Pushes the nodes that are not in a cluster out of the cluster's bounding box, rank by
/// rank (the cluster's nodes are contiguous in each rank), shifting their neighbours on.
fn separate_clusters(nodes: &mut [LayoutNode], ranks: &[Vec<usize>]) {
    let mut ids: Vec<usize> = nodes.iter().filter_map(|v| v.cluster).collect();
    ids.sort_unstable();
    ids.dedup();
    for c in ids {
        let members = || nodes.iter().filter(|v| v.cluster == Some(c));
        let lo = members().map(|v| v.x).fold(f32::MAX, f32::min) - 0.5 - FRAME_GAP;
        let hi = members().map(|v| v.x).fold(f32::MIN, f32::max) + 0.5 + FRAME_GAP;
        let r0 = members().map(|v| v.rank).min().unwrap_or(0);
        let r1 = members().map(|v| v.rank).max().unwrap_or(0);
        for rank in &ranks[r0..=r1.min(ranks.len() - 1)] {
            let first = rank.iter().position(|&v| nodes[v].cluster == Some(c));
            let last = rank.iter().rposition(|&v| nodes[v].cluster == Some(c));
            let (Some(first), Some(last)) = (first, last) else {
                continue;
            };
            // left of the cluster: at most lo − ½, each at least GAP left of its neighbour
            let mut bound = lo - 0.5;
            for &v in rank[..first].iter().rev() {
                nodes[v].x = nodes[v].x.min(bound);
                bound = nodes[v].x - GAP;
            }
            let mut bound = hi + 0.5;
            for &v in &rank[last + 1..] {
                nodes[v].x = nodes[v].x.max(bound);
                bound = nodes[v].x + GAP;
            }
        }
    }
    let min = nodes.iter().map(|v| v.x).fold(f32::MAX, f32::min);
    if min.is_finite() {
        for v in nodes.iter_mut() {
            v.x -= min;
        }
    }
}

/// x positions: start from the order, then pull each node towards the mean of its neighbours
/// while keeping the order and at least `GAP` between neighbours.
fn place(nodes: &mut [LayoutNode], ranks: &[Vec<usize>], up: &[Vec<usize>], down: &[Vec<usize>]) {
    let mut x = positions(ranks, nodes.len());
    for pass in 0..8 {
        let iter: Vec<usize> = if pass % 2 == 0 {
            (0..ranks.len()).collect()
        } else {
            (0..ranks.len()).rev().collect()
        };
        for r in iter {
            let rank = &ranks[r];
            let want: Vec<f32> = rank
                .iter()
                .map(|&v| {
                    let ns: Vec<usize> = up[v].iter().chain(&down[v]).copied().collect();
                    if ns.is_empty() {
                        x[v]
                    } else {
                        ns.iter().map(|&u| x[u]).sum::<f32>() / ns.len() as f32
                    }
                })
                .collect();
            // left to right: as close to the wish as the gap allows
            let mut placed = want.clone();
            for k in 1..placed.len() {
                placed[k] = placed[k].max(placed[k - 1] + GAP);
            }
            // shift the row so its mean matches the wishes' mean (keeps it centred)
            let shift = (want.iter().sum::<f32>() - placed.iter().sum::<f32>())
                / placed.len().max(1) as f32;
            for (k, &v) in rank.iter().enumerate() {
                x[v] = placed[k] + shift;
            }
        }
    }
    let min = x.iter().copied().fold(f32::MAX, f32::min);
    for (v, node) in nodes.iter_mut().enumerate() {
        node.x = x[v] - min;
    }
}

fn crossings_of(ranks: &[Vec<usize>], down: &[Vec<usize>]) -> usize {
    let n = down.len();
    let pos = positions(ranks, n);
    let mut total = 0;
    for rank in ranks {
        let mut segs: Vec<(f32, f32)> = Vec::new();
        for &v in rank {
            for &u in &down[v] {
                segs.push((pos[v], pos[u]));
            }
        }
        segs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        for i in 0..segs.len() {
            for j in i + 1..segs.len() {
                if segs[i].0 < segs[j].0 && segs[i].1 > segs[j].1 {
                    total += 1;
                }
            }
        }
    }
    total
}

/// Edge crossings between adjacent ranks of a layout.
pub fn crossings(l: &Layout) -> usize {
    let (_, down) = adjacency(l.nodes.len(), &l.edges);
    crossings_of(&l.ranks, &down)
}
