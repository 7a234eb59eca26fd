//! The stages of a plain network that `cspify` can convert: runs of residual units (ResNet,
//! ResNeXt, Darknet-53) or dense units (DenseNet) at one resolution, after their downsampling
//! layer.

use crate::Analysis;
use crate::kinds::{LayerKind, Src, WeightsType};

/// The kind of unit a stage is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    /// Convolutions closed by a `[shortcut]` adding the unit's input.
    Residual,
    /// Convolutions closed by a `[route]` concatenating their output with the unit's input.
    Dense,
}

/// One unit: layers `first..=last` reading `input`, closed by layer `last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    /// The layer the unit reads (and adds or concatenates back).
    pub input: usize,
    /// Its first convolution.
    pub first: usize,
    /// The shortcut or route closing it.
    pub last: usize,
}

/// A stage that can become a CSP stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Residual or dense.
    pub kind: UnitKind,
    /// The base: the layer the stage starts from (kept).
    pub base: usize,
    /// Layers of a ResNet downsampling unit after its strided convolution (dropped: the
    /// strided convolution becomes the base).
    pub dropped: Vec<usize>,
    /// The units, in order.
    pub units: Vec<Unit>,
    /// Output width and height.
    pub resolution: (usize, usize),
}

impl Candidate {
    /// The stage's last layer (its output before the conversion).
    pub fn last(&self) -> usize {
        self.units.last().map_or(self.base, |u| u.last)
    }

    /// Every layer the conversion replaces: after the base up to the last unit.
    pub fn replaced(&self) -> std::ops::RangeInclusive<usize> {
        self.base + 1..=self.last()
    }
}

fn hw(a: &Analysis, i: usize) -> (usize, usize) {
    a.shapes
        .layers
        .get(i)
        .map_or((0, 0), |s| (s.output.w, s.output.h))
}

fn is_conv(a: &Analysis, i: usize) -> bool {
    matches!(
        a.network.layers.get(i).map(|l| &l.kind),
        Some(LayerKind::Convolutional(_))
    )
}

/// Convolutions `lo..hi` each reading the previous layer (at least one).
fn conv_chain(a: &Analysis, lo: usize, hi: usize) -> bool {
    lo < hi && (lo..hi).all(|i| is_conv(a, i))
}

/// The unit closed by layer `last`, if it closes one.
fn unit_at(a: &Analysis, last: usize) -> Option<(UnitKind, Unit)> {
    let layer = a.network.layers.get(last)?;
    let (kind, input) = if let LayerKind::Shortcut(s) = &layer.kind
        && s.from.len() == 1
        && s.weights_type == WeightsType::None
    {
        (UnitKind::Residual, s.from[0])
    } else if let LayerKind::Route(r) = &layer.kind
        && r.groups == 1
        && let [a, b] = r.layers[..]
    {
        let other = match (a + 1 == last, b + 1 == last) {
            (true, _) => b,
            (false, true) => a,
            (false, false) => return None,
        };
        (UnitKind::Dense, other)
    } else {
        return None;
    };
    let first = input + 1;
    (conv_chain(a, first, last) && a.network.layers[first].inputs == [Src::Layer(input)])
        .then_some((kind, Unit { input, first, last }))
}

/// The strided convolution of a downsampling unit's body: the last convolution whose output
/// has the unit's resolution while its input does not.
fn strided(a: &Analysis, u: &Unit) -> Option<usize> {
    let res = hw(a, u.last);
    (u.first..u.last).find(|&i| {
        hw(a, i) == res
            && a.shapes
                .layers
                .get(i)
                .is_some_and(|s| (s.input.w, s.input.h) != res)
    })
}

/// Every convertible stage, and for each run of units that cannot be converted, why.
pub fn candidates(a: &Analysis) -> (Vec<Candidate>, Vec<String>) {
    let units: Vec<(UnitKind, Unit)> = (0..a.network.layers.len())
        .filter_map(|i| unit_at(a, i))
        .collect();
    let mut chains: Vec<(UnitKind, Vec<Unit>)> = Vec::new();
    for (kind, u) in units {
        match chains.last_mut() {
            Some((k, chain)) if *k == kind && chain.last().is_some_and(|p| p.last == u.input) => {
                chain.push(u)
            }
            _ => chains.push((kind, vec![u])),
        }
    }
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for (kind, chain) in chains {
        for seg in split_at_downsampling(a, &chain) {
            match candidate(a, kind, seg) {
                Ok(c) => out.push(c),
                Err(why) => skipped.push(why),
            }
        }
    }
    (out, skipped)
}

/// Cuts a chain of units where a unit changes the resolution (it starts the next stage).
fn split_at_downsampling<'u>(a: &Analysis, chain: &'u [Unit]) -> Vec<&'u [Unit]> {
    let mut out = Vec::new();
    let mut start = 0;
    for (k, u) in chain.iter().enumerate() {
        if k > start && hw(a, u.input) != hw(a, u.last) {
            out.push(&chain[start..k]);
            start = k;
        }
    }
    out.push(&chain[start..]);
    out
}

fn candidate(a: &Analysis, kind: UnitKind, seg: &[Unit]) -> Result<Candidate, String> {
    let first = seg.first().ok_or("an empty run of units")?;
    let resolution = hw(a, first.last);
    let (base, dropped, units) = if hw(a, first.input) == resolution {
        (first.input, Vec::new(), seg.to_vec())
    } else {
        let s = strided(a, first).ok_or_else(|| {
            format!(
                "the unit closed by layer {} changes the resolution without a strided convolution",
                first.last
            )
        })?;
        (s, (s + 1..=first.last).collect(), seg[1..].to_vec())
    };
    let c = Candidate {
        kind,
        base,
        dropped,
        units,
        resolution,
    };
    if c.units.is_empty() {
        return Err(format!(
            "the stage at {}×{} has only its downsampling unit (layers {}–{})",
            resolution.0, resolution.1, first.first, first.last
        ));
    }
    if let Some(l) = c.replaced().find(|&l| a.csp.stage_of(l).is_some()) {
        return Err(format!(
            "the units at {}×{} are already inside CSP stage {} (layer {l})",
            resolution.0,
            resolution.1,
            a.csp.stage_of(l).unwrap_or(0)
        ));
    }
    Ok(c)
}
