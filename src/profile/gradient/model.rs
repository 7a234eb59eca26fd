//! The layer DAG at channel granularity (`../shared/docs/gradient-paths.md` §1).
//! Node 0 is the input image, node `i + 1` is layer `i`.

use crate::kinds::ChannelFlow;
use crate::kinds::{LayerKind, Src};
use crate::network::Network;
use crate::shape::Shapes;

/// A half-open channel interval `[lo, hi)`.
pub(crate) type Iv = (u64, u64);

/// One input edge: channels `[lo, hi)` of node `src` land at `offset..` of the consumer's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Edge {
    pub src: usize,
    pub lo: u64,
    pub hi: u64,
    pub offset: u64,
}

/// How a node maps its input channels to its output channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChanMap {
    /// c → c (routes place channels through their edges' offsets).
    Identity,
    /// A grouped convolution: input group → output group.
    Groups { groups: u64, c_in: u64 },
    /// Every input channel reaches every output channel.
    All,
    /// reorg: c → {c + m·c_in}.
    Reorg { c_in: u64 },
}

/// Which layer kinds the origin tracing passes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Only routes (concatenation and split copies).
    Copy,
    /// Every weightless layer whose backward pass is channel-wise.
    Channelwise,
}

pub(crate) struct ChannelGraph {
    /// Output channels per node (flat outputs count as channels of 1×1).
    pub channels: Vec<u64>,
    /// Output H·W per node (1 for flat outputs).
    pub hw: Vec<u64>,
    pub edges_in: Vec<Vec<Edge>>,
    /// For each node, (consumer node, index into its `edges_in`).
    pub edges_out: Vec<Vec<(usize, usize)>>,
    pub map: Vec<ChanMap>,
    pub weighted: Vec<bool>,
    pub output: Vec<bool>,
    kinds: Vec<Option<LayerKind>>,
}

impl ChannelGraph {
    pub fn build(net: &Network, shapes: &Shapes) -> Self {
        let n = net.layers.len() + 1;
        let mut channels = Vec::with_capacity(n);
        let mut hw = Vec::with_capacity(n);
        let input = shapes.input;
        channels.push(if input.is_image() {
            input.c as u64
        } else {
            shapes.layers.first().map_or(0, |s| s.inputs as u64)
        });
        hw.push(if input.is_image() {
            (input.w * input.h) as u64
        } else {
            1
        });
        for s in &shapes.layers {
            if s.output.is_image() {
                channels.push(s.output.c as u64);
                hw.push((s.output.w as u64).saturating_mul(s.output.h as u64));
            } else {
                channels.push(s.outputs as u64);
                hw.push(1);
            }
        }
        let node = |src: Src| match src {
            Src::Image => 0,
            Src::Layer(j) => j + 1,
        };
        let mut edges_in = vec![Vec::new()];
        let mut map = vec![ChanMap::All];
        let mut weighted = vec![false];
        for layer in &net.layers {
            let v = layer.index + 1;
            let prev = node(layer.inputs.first().copied().unwrap_or(Src::Image));
            let whole = |j: usize| Edge {
                src: j,
                lo: 0,
                hi: channels[j],
                offset: 0,
            };
            // a route places each input's channels (or a group of them) at an offset; a
            // shortcut adds as many channels of each input as the output has; every other
            // kind reads its inputs whole (implicit reads none)
            let edges = if let LayerKind::Route(r) = &layer.kind {
                let mut offset = 0;
                let g = r.groups as u64;
                r.layers
                    .iter()
                    .map(|&j| {
                        let cj = channels[j + 1];
                        let (lo, hi) =
                            (r.group_id as u64 * cj / g, (r.group_id as u64 + 1) * cj / g);
                        let e = Edge {
                            src: j + 1,
                            lo,
                            hi,
                            offset,
                        };
                        offset += hi - lo;
                        e
                    })
                    .collect()
            } else if let LayerKind::Shortcut(s) = &layer.kind {
                let c = channels[v];
                let mut e = vec![whole(prev)];
                e.extend(s.from.iter().map(|&j| Edge {
                    src: j + 1,
                    lo: 0,
                    hi: channels[j + 1].min(c),
                    offset: 0,
                }));
                e
            } else {
                layer.inputs.iter().map(|&s| whole(node(s))).collect()
            };
            edges_in.push(edges);
            let c_in = channels[prev];
            map.push(chan_map(layer.kind.flow(), c_in));
            weighted.push(matches!(
                layer.kind,
                LayerKind::Convolutional(_) | LayerKind::Connected(_)
            ));
        }
        let mut edges_out = vec![Vec::new(); n];
        for (v, edges) in edges_in.iter().enumerate() {
            for (k, e) in edges.iter().enumerate() {
                edges_out[e.src].push((v, k));
            }
        }
        let mut kinds = vec![None];
        kinds.extend(net.layers.iter().map(|l| Some(l.kind.clone())));
        let output = (0..n)
            .map(|v| {
                v > 0
                    && (edges_out[v].is_empty()
                        || matches!(
                            kinds[v],
                            Some(
                                LayerKind::Yolo(_)
                                    | LayerKind::GaussianYolo(_)
                                    | LayerKind::Region(_)
                                    | LayerKind::Detection(_)
                                    | LayerKind::Cost(_)
                            )
                        ))
            })
            .collect();
        Self {
            channels,
            hw,
            edges_in,
            edges_out,
            map,
            weighted,
            output,
            kinds,
        }
    }

    pub fn len(&self) -> usize {
        self.channels.len()
    }

    /// True when origins are traced through node `v` in `variant`.
    pub fn transparent(&self, v: usize, variant: Variant) -> bool {
        match self.kinds[v].as_ref().map(LayerKind::flow) {
            None | Some(ChannelFlow::Groups(_) | ChannelFlow::Mixing) => false,
            Some(ChannelFlow::Route) => true,
            Some(ChannelFlow::ChannelWise | ChannelFlow::Reorg) => variant == Variant::Channelwise,
        }
    }

    /// `vol(L)`: H·W of one channel of the input of node `v`.
    pub fn input_volume(&self, v: usize) -> u64 {
        self.edges_in[v].first().map_or(0, |e| self.hw[e.src])
    }
}

/// The channel map of a kind's flow.
fn chan_map(flow: ChannelFlow, c_in: u64) -> ChanMap {
    match flow {
        ChannelFlow::Groups(groups) => ChanMap::Groups {
            groups: groups as u64,
            c_in,
        },
        ChannelFlow::Reorg => ChanMap::Reorg { c_in },
        ChannelFlow::Route | ChannelFlow::ChannelWise => ChanMap::Identity,
        ChannelFlow::Mixing => ChanMap::All,
    }
}

/// Sorts and merges an interval list into disjoint, non-adjacent intervals.
pub(crate) fn normalize(mut ivs: Vec<Iv>) -> Vec<Iv> {
    ivs.retain(|(a, b)| a < b);
    ivs.sort_unstable();
    let mut out: Vec<Iv> = Vec::with_capacity(ivs.len());
    for (a, b) in ivs {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Intersects `set` with `[lo, hi)` and shifts the result so `lo` lands on `offset`.
pub(crate) fn select(set: &[Iv], lo: u64, hi: u64, offset: u64) -> Vec<Iv> {
    set.iter()
        .filter_map(|&(a, b)| {
            let (a, b) = (a.max(lo), b.min(hi));
            (a < b).then(|| (a - lo + offset, b - lo + offset))
        })
        .collect()
}
