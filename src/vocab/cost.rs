//! One layer's costs and the counting rules several kinds share (a convolution's and a fully
//! connected layer's weights as darknet's `make_*_layer` allocates them).

use crate::vocab::shape::Shape;
use serde::Serialize;

/// Bytes before the first float of a `.weights` file written by darknet ≥ 0.2
/// (major, minor, revision as int32, `seen` as uint64).
pub const WEIGHTS_HEADER_BYTES: u64 = 20;

/// Costs of one layer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct LayerCost {
    /// Darknet's `l.bflops` (a 32-bit float, as darknet stores it).
    pub bflops: f32,
    /// Trainable parameters: weights, biases and batch-norm scales.
    pub params: u64,
    /// Floats darknet reads for this layer from a `.weights` file.
    pub weight_floats: u64,
    /// Convolution kernel weights only (the CSPNet README's "#Parameter").
    pub conv_weights: u64,
}

pub(crate) fn mul(values: &[usize]) -> Option<u64> {
    values
        .iter()
        .try_fold(1u64, |acc, &v| acc.checked_mul(v as u64))
}

/// One convolution as darknet's `make_convolutional_layer` sets it up.
pub(crate) struct ConvCount {
    pub nweights: u64,
    filters: u64,
    bn: bool,
    pub bflops: f64,
}

impl ConvCount {
    pub fn new(
        c_in: usize,
        filters: usize,
        groups: usize,
        size: usize,
        out: Shape,
        bn: bool,
    ) -> Option<Self> {
        let nweights = mul(&[c_in / groups.max(1), filters, size, size])?;
        let bflops = 2.0 * nweights as f64 * out.h as f64 * out.w as f64 / 1e9;
        Some(Self {
            nweights,
            filters: filters as u64,
            bn,
            bflops,
        })
    }
    pub fn params(&self) -> Option<u64> {
        self.nweights
            .checked_add(self.filters * if self.bn { 2 } else { 1 })
    }
    pub fn floats(&self) -> Option<u64> {
        self.nweights
            .checked_add(self.filters * if self.bn { 4 } else { 1 })
    }
}

/// One fully connected layer as darknet's `make_connected_layer` sets it up.
pub(crate) fn connected(inputs: usize, outputs: usize, bn: bool) -> Option<(u64, u64)> {
    let w = mul(&[inputs, outputs])?;
    let o = outputs as u64;
    Some((
        w.checked_add(o * if bn { 2 } else { 1 })?,
        w.checked_add(o * if bn { 4 } else { 1 })?,
    ))
}

/// Adds fully connected parts `(inputs, outputs)` to `cost`.
pub(crate) fn sum_connected(
    parts: &[(usize, usize)],
    bn: bool,
    cost: &mut LayerCost,
) -> Option<()> {
    for &(i, o) in parts {
        let (p, f) = connected(i, o, bn)?;
        cost.params = cost.params.checked_add(p)?;
        cost.weight_floats = cost.weight_floats.checked_add(f)?;
    }
    Some(())
}

/// Adds convolution parts `(c_in, filters)` of one size, groups and batch norm to `cost`.
pub(crate) fn sum_convs(
    (groups, size, bn): (usize, usize, bool),
    parts: &[(usize, usize)],
    out: Shape,
    cost: &mut LayerCost,
) -> Option<()> {
    let mut bflops = 0f64;
    for &(i, o) in parts {
        let cc = ConvCount::new(i, o, groups, size, out, bn)?;
        bflops += cc.bflops;
        cost.params = cost.params.checked_add(cc.params()?)?;
        cost.weight_floats = cost.weight_floats.checked_add(cc.floats()?)?;
        cost.conv_weights = cost.conv_weights.checked_add(cc.nweights)?;
    }
    cost.bflops = bflops as f32;
    Some(())
}
