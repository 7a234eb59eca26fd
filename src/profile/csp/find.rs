//! The structural part of the CSP-stage definition: which two-input concatenations are CSP
//! stages, their base, both parts and the fusion. Pure graph work on the network and shapes.

use super::{BlockKind, Entry, Fusion, Part1Kind};
use crate::kinds::{Conv, LayerKind, Src};
use crate::network::Network;

/// Every layer's ancestors (itself included) as one bit row per layer.
pub(super) struct Ancestry {
    words: usize,
    bits: Vec<u64>,
}

impl Ancestry {
    /// The ancestor rows of every layer, in one pass over darknet's order (inputs come first).
    pub(super) fn build(net: &Network) -> Self {
        let n = net.layers.len();
        let words = n.div_ceil(64).max(1);
        let mut bits = vec![0u64; n * words];
        for (i, layer) in net.layers.iter().enumerate() {
            let (done, rest) = bits.split_at_mut(i * words);
            let row = &mut rest[..words];
            row[i / 64] |= 1 << (i % 64);
            for src in &layer.inputs {
                if let Src::Layer(j) = *src
                    && j < i
                {
                    for (w, a) in row.iter_mut().zip(&done[j * words..(j + 1) * words]) {
                        *w |= a;
                    }
                }
            }
        }
        Self { words, bits }
    }

    fn row(&self, i: usize) -> &[u64] {
        &self.bits[i * self.words..(i + 1) * self.words]
    }

    /// Whether `anc` is `of` or one of its ancestors.
    pub(super) fn has(&self, of: usize, anc: usize) -> bool {
        self.row(of)
            .get(anc / 64)
            .is_some_and(|w| w & (1 << (anc % 64)) != 0)
    }

    /// The latest layer that both `a` and `b` descend from or are.
    pub(super) fn base(&self, a: usize, b: usize) -> Option<usize> {
        let (ra, rb) = (self.row(a), self.row(b));
        (0..self.words).rev().find_map(|w| {
            let both = ra[w] & rb[w];
            (both != 0).then(|| w * 64 + 63 - both.leading_zeros() as usize)
        })
    }

    /// The layers strictly after `base` on the way to `to`: descendants of `base` that `to`
    /// descends from or is, in order.
    pub(super) fn branch(&self, base: usize, to: usize) -> Vec<usize> {
        (base + 1..=to)
            .filter(|&l| self.has(to, l) && self.has(l, base))
            .collect()
    }
}

/// The structure of one stage, before its totals are added.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Found {
    pub base: usize,
    pub merge: usize,
    pub part1_input: usize,
    pub part1_kind: Part1Kind,
    pub part1_layers: Vec<usize>,
    pub part2_input: usize,
    pub entry: Entry,
    pub entry_layer: usize,
    pub part2_layers: Vec<usize>,
    pub fusion: Fusion,
    pub transition_before: Option<usize>,
    pub transition_after: Option<usize>,
    pub block: BlockKind,
    pub residual_units: usize,
    pub dense_units: usize,
    pub weighted_layers: usize,
}

fn conv(net: &Network, i: usize) -> Option<&Conv> {
    let LayerKind::Convolutional(c) = &net.layers.get(i)?.kind else {
        return None;
    };
    Some(c)
}

fn reads_only(net: &Network, i: usize, src: usize) -> bool {
    net.layers
        .get(i)
        .is_some_and(|l| l.inputs == [Src::Layer(src)])
}

fn reads(net: &Network, i: usize, src: usize) -> bool {
    net.layers
        .get(i)
        .is_some_and(|l| l.inputs.contains(&Src::Layer(src)))
}

/// A `groups` slice of exactly `base`.
fn is_slice_of(net: &Network, i: usize, base: usize) -> bool {
    matches!(&net.layers[i].kind, LayerKind::Route(r) if r.groups > 1 && r.layers == [base])
}

fn is_weighted(kind: &LayerKind) -> bool {
    matches!(kind, LayerKind::Convolutional(_) | LayerKind::Connected(_))
}

fn is_pointwise(c: &Conv) -> bool {
    c.size == 1 && c.stride_x == 1 && c.stride_y == 1
}

/// Part 1 of the definition: `input` is the base itself, a `groups` slice of it, or exactly one
/// convolution reading it.
fn part1(net: &Network, base: usize, input: usize) -> Option<(Part1Kind, Vec<usize>)> {
    if input == base {
        Some((Part1Kind::Identity, Vec::new()))
    } else if is_slice_of(net, input, base) {
        Some((Part1Kind::Slice, vec![input]))
    } else if conv(net, input).is_some() && reads_only(net, input, base) {
        Some((Part1Kind::Conv, vec![input]))
    } else {
        None
    }
}

/// How part 2 enters from the base: its one layer reading the base must be a slice of it, a
/// convolution reading it, or a one-input route re-reading it that feeds only convolutions.
fn entry(
    net: &Network,
    consumers: &[Vec<usize>],
    base: usize,
    layers: &[usize],
) -> Option<(Entry, usize)> {
    let mut readers = layers.iter().copied().filter(|&l| reads(net, l, base));
    let first = readers.next()?;
    if readers.next().is_some() {
        return None;
    }
    if is_slice_of(net, first, base) {
        return Some((Entry::Slice, first));
    }
    if conv(net, first).is_some() && reads_only(net, first, base) {
        return Some((Entry::Conv, first));
    }
    let route_back = matches!(&net.layers[first].kind,
        LayerKind::Route(r) if r.groups == 1 && r.layers == [base]);
    let feeds_convs = consumers
        .get(first)
        .is_some_and(|c| !c.is_empty() && c.iter().all(|&k| conv(net, k).is_some()));
    (route_back && feeds_convs).then_some((Entry::RouteConv, first))
}

/// Checks route `merge` against the definition, for both assignments of its inputs.
pub(super) fn stage_at(
    net: &Network,
    anc: &Ancestry,
    consumers: &[Vec<usize>],
    merge: usize,
) -> Option<Found> {
    let LayerKind::Route(r) = &net.layers.get(merge)?.kind else {
        return None;
    };
    if r.groups != 1 || r.layers.len() != 2 {
        return None;
    }
    let (a, b) = (r.layers[0], r.layers[1]);
    let base = anc.base(a, b)?;
    [(a, b), (b, a)]
        .into_iter()
        .find_map(|(p1, p2)| assign(net, anc, consumers, merge, base, p1, p2))
}

/// The definition with `p1` as part 1's input and `p2` as part 2's.
fn assign(
    net: &Network,
    anc: &Ancestry,
    consumers: &[Vec<usize>],
    merge: usize,
    base: usize,
    p1: usize,
    p2: usize,
) -> Option<Found> {
    let (part1_kind, part1_layers) = part1(net, base, p1)?;
    if p2 == base {
        return None;
    }
    let part2_layers = anc.branch(base, p2);
    if part1_layers.iter().any(|l| part2_layers.contains(l)) {
        return None;
    }
    let weighted = part2_layers
        .iter()
        .filter(|&&l| is_weighted(&net.layers[l].kind))
        .count();
    let spatial = part2_layers
        .iter()
        .any(|&l| conv(net, l).is_some_and(|c| c.size > 1));
    if weighted < 2 || !spatial {
        return None;
    }
    let (entry, entry_layer) = entry(net, consumers, base, &part2_layers)?;
    if part1_kind == Part1Kind::Identity && entry != Entry::Slice {
        return None;
    }
    let before = conv(net, p2).is_some_and(|c| is_pointwise(c) && !reads(net, p2, base));
    let after = merge + 1;
    let after = conv(net, after).is_some_and(|c| is_pointwise(c) && reads_only(net, after, merge));
    let count = |f: fn(&LayerKind) -> bool| {
        part2_layers
            .iter()
            .filter(|&&l| f(&net.layers[l].kind))
            .count()
    };
    let residual_units = count(|k| matches!(k, LayerKind::Shortcut(_)));
    let dense_units =
        count(|k| matches!(k, LayerKind::Route(r) if r.groups == 1 && r.layers.len() > 1));
    let block = if residual_units > 0 {
        BlockKind::Residual
    } else if dense_units > 0 {
        BlockKind::Dense
    } else {
        BlockKind::Plain
    };
    Some(Found {
        base,
        merge,
        part1_input: p1,
        part1_kind,
        part1_layers,
        part2_input: p2,
        entry,
        entry_layer,
        part2_layers,
        fusion: Fusion::from_transitions(before, after),
        transition_before: before.then_some(p2),
        transition_after: after.then_some(merge + 1),
        block,
        residual_units,
        dense_units,
        weighted_layers: weighted,
    })
}
