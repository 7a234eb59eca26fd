//! Gradient sources and duplication (`gradient-paths.md` §2).

use super::model::{ChanMap, ChannelGraph, Iv, Variant, normalize};
use std::collections::BTreeMap;

/// Channels `[lo, hi)` of a node whose origin is `src`'s channels starting at `src_lo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Piece {
    src: usize,
    shift: i128,
    lo: u64,
    hi: u64,
}

/// Totals of one variant.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct DupResult {
    pub total_volume: u128,
    pub dup_volume: u128,
    pub total_channel_uses: u128,
    pub dup_channel_uses: u128,
    pub source_channels: u128,
    pub max_fanout: u64,
    pub histogram: BTreeMap<u64, u128>,
    /// Per node: |S(L)| (weighted nodes only).
    pub sources: Vec<u64>,
    /// Per node: sources used by at least two weighted layers.
    pub shared_sources: Vec<u64>,
    /// Per node: attributed duplicated volume.
    pub attributed: Vec<f64>,
    /// Per node: Σ_{s∈S(L)} vol(L).
    pub volume: Vec<u128>,
    /// Per node as a source: Σ D_s over its channels.
    pub dup_as_source: Vec<u128>,
}

fn merge(mut pieces: Vec<Piece>) -> Vec<Piece> {
    pieces.sort_unstable();
    let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
    for p in pieces {
        match out.last_mut() {
            Some(last) if last.src == p.src && last.shift == p.shift && p.lo <= last.hi => {
                last.hi = last.hi.max(p.hi)
            }
            _ => out.push(p),
        }
    }
    out
}

/// Origins of every node's output channels as pieces.
fn origins(g: &ChannelGraph, variant: Variant) -> Vec<Vec<Piece>> {
    let mut orig: Vec<Vec<Piece>> = Vec::with_capacity(g.len());
    for v in 0..g.len() {
        let own = vec![Piece {
            src: v,
            shift: 0,
            lo: 0,
            hi: g.channels[v],
        }];
        if !g.transparent(v, variant) {
            orig.push(own);
            continue;
        }
        let mut pieces = Vec::new();
        for e in &g.edges_in[v] {
            let delta = e.offset as i128 - e.lo as i128;
            for p in &orig[e.src] {
                let (a, b) = (p.lo.max(e.lo), p.hi.min(e.hi));
                if a < b {
                    let lo = (a as i128 + delta) as u64;
                    pieces.push(Piece {
                        src: p.src,
                        shift: p.shift - delta,
                        lo,
                        hi: lo + (b - a),
                    });
                }
            }
        }
        if let ChanMap::Reorg { c_in } = g.map[v]
            && c_in > 0
        {
            let copies = g.channels[v] / c_in;
            let base = pieces.clone();
            for m in 1..copies {
                let d = (m * c_in) as i128;
                pieces.extend(base.iter().map(|p| Piece {
                    src: p.src,
                    shift: p.shift - d,
                    lo: p.lo + m * c_in,
                    hi: p.hi + m * c_in,
                }));
            }
        }
        let c = g.channels[v];
        pieces.retain_mut(|p| {
            p.hi = p.hi.min(c);
            p.lo < p.hi
        });
        orig.push(merge(pieces));
    }
    orig
}

/// S(L) per weighted node, as (source node, disjoint source-channel intervals).
fn sources(g: &ChannelGraph, orig: &[Vec<Piece>], v: usize) -> Vec<(usize, Vec<Iv>)> {
    let mut per_src: BTreeMap<usize, Vec<Iv>> = BTreeMap::new();
    for e in &g.edges_in[v] {
        for p in &orig[e.src] {
            let (a, b) = (p.lo.max(e.lo), p.hi.min(e.hi));
            if a < b {
                let s = (a as i128 + p.shift) as u64;
                per_src.entry(p.src).or_default().push((s, s + (b - a)));
            }
        }
    }
    per_src
        .into_iter()
        .map(|(s, ivs)| (s, normalize(ivs)))
        .collect()
}

/// Computes §2.2 for one variant.
pub(crate) fn duplication(g: &ChannelGraph, variant: Variant) -> DupResult {
    let n = g.len();
    let orig = origins(g, variant);
    let mut r = DupResult {
        sources: vec![0; n],
        shared_sources: vec![0; n],
        attributed: vec![0.0; n],
        volume: vec![0; n],
        dup_as_source: vec![0; n],
        ..DupResult::default()
    };
    // For each source node: the (interval, weighted consumer) uses.
    let mut uses: Vec<Vec<(Iv, usize)>> = vec![Vec::new(); n];
    for v in (0..n).filter(|&v| g.weighted[v]) {
        for (src, ivs) in sources(g, &orig, v) {
            for iv in ivs {
                r.sources[v] += iv.1 - iv.0;
                uses[src].push((iv, v));
            }
        }
        r.volume[v] = r.sources[v] as u128 * g.input_volume(v) as u128;
    }
    for (src, list) in uses.iter().enumerate() {
        sweep(g, src, list, &mut r);
    }
    r
}

/// Cuts a source node's channels at every use boundary and accounts each elementary segment.
fn sweep(g: &ChannelGraph, src: usize, list: &[(Iv, usize)], r: &mut DupResult) {
    if list.is_empty() {
        return;
    }
    let mut cuts: Vec<u64> = list.iter().flat_map(|((a, b), _)| [*a, *b]).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut covering: Vec<Vec<usize>> = vec![Vec::new(); cuts.len().saturating_sub(1)];
    for &((a, b), v) in list {
        let first = cuts.partition_point(|&c| c < a);
        let last = cuts.partition_point(|&c| c < b);
        for seg in covering.iter_mut().take(last).skip(first) {
            seg.push(v);
        }
    }
    for (k, users) in covering.iter().enumerate() {
        if users.is_empty() {
            continue;
        }
        let width = (cuts[k + 1] - cuts[k]) as u128;
        let m = users.len() as u64;
        let vols: Vec<u128> = users.iter().map(|&v| g.input_volume(v) as u128).collect();
        let t: u128 = vols.iter().sum();
        let d = t - vols.iter().copied().max().unwrap_or(0);
        r.total_volume += width * t;
        r.dup_volume += width * d;
        r.total_channel_uses += width * m as u128;
        r.dup_channel_uses += width * (m as u128 - 1);
        r.source_channels += width;
        r.max_fanout = r.max_fanout.max(m);
        *r.histogram.entry(m).or_default() += width;
        r.dup_as_source[src] += width * d;
        for (&v, &vol) in users.iter().zip(&vols) {
            if m >= 2 {
                r.shared_sources[v] += width as u64;
            }
            if t > 0 {
                r.attributed[v] += width as f64 * d as f64 * vol as f64 / t as f64;
            }
        }
    }
}
