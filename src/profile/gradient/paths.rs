//! Gradient path counts (`gradient-paths.md` §3): plain and channel-aware, exact big integers.

use super::model::{ChanMap, ChannelGraph, Iv, normalize, select};
use num_bigint::BigUint;
use num_traits::{One, ToPrimitive, Zero};
use std::collections::HashMap;

/// `log2` of a big integer (`None` for zero).
pub fn log2(n: &BigUint) -> Option<f64> {
    if n.is_zero() {
        return None;
    }
    let bits = n.bits();
    if bits <= 64 {
        return n.to_u64().map(|v| (v as f64).log2());
    }
    let shift = bits - 64;
    let top = (n >> shift).to_u64().unwrap_or(u64::MAX);
    Some((top as f64).log2() + shift as f64)
}

/// Plain path counts `P(v)` in the layer multigraph, for every node.
pub(crate) fn plain(g: &ChannelGraph) -> Vec<BigUint> {
    let n = g.len();
    let mut p = vec![BigUint::zero(); n];
    for v in (0..n).rev() {
        let mut total = if g.output[v] {
            BigUint::one()
        } else {
            BigUint::zero()
        };
        for &(u, _) in &g.edges_out[v] {
            total += &p[u];
        }
        p[v] = total;
    }
    p
}

/// φ_u: the output channels of `u` reached from input channels `set`.
fn phi(g: &ChannelGraph, u: usize, set: &[Iv]) -> Vec<Iv> {
    let c = g.channels[u];
    match g.map[u] {
        ChanMap::Identity => normalize(select(set, 0, c, 0)),
        ChanMap::All => vec![(0, c)],
        ChanMap::Groups { groups, c_in } => {
            let (gin, gout) = (c_in / groups.max(1), c / groups.max(1));
            if gin == 0 || groups <= 1 {
                return vec![(0, c)];
            }
            normalize(
                set.iter()
                    .map(|&(a, b)| ((a / gin) * gout, ((b - 1) / gin + 1) * gout))
                    .collect(),
            )
        }
        ChanMap::Reorg { c_in } => {
            if c_in == 0 {
                return vec![(0, c)];
            }
            let copies = c / c_in;
            let mut out = Vec::new();
            for m in 0..copies.max(1) {
                out.extend(select(set, 0, c_in, m * c_in));
            }
            normalize(select(&normalize(out), 0, c, 0))
        }
    }
}

/// Channel-aware counts `N(v, S)`, memoized; evaluated with an explicit stack so deep
/// networks cannot overflow the call stack.
pub(crate) struct Counter<'g> {
    g: &'g ChannelGraph,
    memo: HashMap<(usize, Vec<Iv>), BigUint>,
}

impl<'g> Counter<'g> {
    pub fn new(g: &'g ChannelGraph) -> Self {
        Self {
            g,
            memo: HashMap::new(),
        }
    }

    fn key(&self, v: usize, set: Vec<Iv>) -> (usize, Vec<Iv>) {
        let all = self.g.channels[v];
        if set.first().is_some_and(|&(a, b)| a == 0 && b >= all) {
            (v, vec![(0, all)])
        } else {
            (v, set)
        }
    }

    /// The consumers' requests made by `(v, set)`.
    fn children(&self, v: usize, set: &[Iv]) -> Vec<(usize, Vec<Iv>)> {
        let g = self.g;
        let mut out = Vec::new();
        for &(u, k) in &g.edges_out[v] {
            let e = g.edges_in[u][k];
            let sel = select(set, e.lo, e.hi, e.offset);
            if !sel.is_empty() {
                out.push(self.key(u, phi(g, u, &sel)));
            }
        }
        out
    }

    /// `N(v, set)`.
    pub fn count(&mut self, v: usize, set: Vec<Iv>) -> BigUint {
        let root = self.key(v, normalize(set));
        let mut stack = vec![(root.clone(), false)];
        while let Some((key, expanded)) = stack.pop() {
            if self.memo.contains_key(&key) {
                continue;
            }
            let kids = self.children(key.0, &key.1);
            if expanded {
                let mut total = if self.g.output[key.0] {
                    BigUint::one()
                } else {
                    BigUint::zero()
                };
                for kid in &kids {
                    total += self.memo.get(kid).cloned().unwrap_or_default();
                }
                self.memo.insert(key, total);
            } else {
                stack.push((key, true));
                stack.extend(
                    kids.into_iter()
                        .filter(|k| !self.memo.contains_key(k))
                        .map(|k| (k, false)),
                );
            }
        }
        self.memo.get(&root).cloned().unwrap_or_default()
    }

    /// `N(v, all channels)`.
    pub fn all(&mut self, v: usize) -> BigUint {
        let c = self.g.channels[v];
        self.count(v, vec![(0, c)])
    }

    /// Segments of v's output cut at its consumers' selection boundaries, each with the counts
    /// of its first and last channel.
    pub fn segments(&mut self, v: usize) -> Vec<(Iv, BigUint, BigUint)> {
        let c = self.g.channels[v];
        let mut cuts = vec![0, c];
        for &(u, k) in &self.g.edges_out[v] {
            let e = self.g.edges_in[u][k];
            cuts.extend([e.lo.min(c), e.hi.min(c)]);
        }
        cuts.sort_unstable();
        cuts.dedup();
        if cuts.len() <= 2 {
            return Vec::new();
        }
        cuts.windows(2)
            .map(|w| {
                let (a, b) = (w[0], w[1]);
                let first = self.count(v, vec![(a, a + 1)]);
                let last = self.count(v, vec![(b - 1, b)]);
                ((a, b), first, last)
            })
            .collect()
    }
}
