//! Layered layout of a network's DAG.

use crate::network::{Network, Src};

/// What a laid-out node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// The input image.
    Input,
    /// A layer (its index).
    Layer(usize),
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
}

/// A laid-out DAG.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// All nodes: index 0 is the input, 1 + i is layer i, dummies follow.
    pub nodes: Vec<LayoutNode>,
    /// Each original edge (from node, to node) as its chain of node indices through dummies.
    pub edges: Vec<Vec<usize>>,
    /// Node indices of each rank, left to right.
    pub ranks: Vec<Vec<usize>>,
}

impl Layout {
    /// The node of layer `i`.
    pub fn layer_node(&self, i: usize) -> Option<&LayoutNode> {
        self.nodes.get(i + 1)
    }
}

/// Sweeps of the barycentre heuristic (down and up count as one).
const SWEEPS: usize = 12;
/// Minimum horizontal distance between neighbours in a rank, in node widths.
const GAP: f32 = 1.0;

/// Lays out the network.
pub fn layout(net: &Network) -> Layout {
    let n = net.layers.len() + 1;
    let node_of = |s: &Src| match s {
        Src::Image => 0,
        Src::Layer(j) => j + 1,
    };
    let mut nodes: Vec<LayoutNode> = (0..n)
        .map(|v| LayoutNode {
            kind: if v == 0 {
                NodeKind::Input
            } else {
                NodeKind::Layer(v - 1)
            },
            rank: 0,
            x: 0.0,
        })
        .collect();
    // longest-path ranks (layers only read earlier layers, so index order is topological)
    for (i, layer) in net.layers.iter().enumerate() {
        nodes[i + 1].rank = layer
            .inputs
            .iter()
            .map(|s| nodes[node_of(s)].rank + 1)
            .max()
            .unwrap_or(1);
    }
    // edges, split by dummies where they skip ranks
    let mut edges = Vec::new();
    for (i, layer) in net.layers.iter().enumerate() {
        let to = i + 1;
        let mut seen = Vec::new();
        for s in &layer.inputs {
            let from = node_of(s);
            if seen.contains(&from) {
                continue;
            }
            seen.push(from);
            let mut chain = vec![from];
            for r in nodes[from].rank + 1..nodes[to].rank {
                nodes.push(LayoutNode {
                    kind: NodeKind::Dummy,
                    rank: r,
                    x: 0.0,
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
    order(&mut ranks, &up, &down);
    place(&mut nodes, &ranks, &up, &down);
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

/// Barycentre sweeps, keeping the ordering with the fewest crossings seen.
fn order(ranks: &mut [Vec<usize>], up: &[Vec<usize>], down: &[Vec<usize>]) {
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
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
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
