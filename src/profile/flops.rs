//! BFLOPs, parameters and `.weights` floats, counted as AlexeyAB darknet counts them
//! (`docs/darknet-rules.md`).

use crate::network::{Conv, ConvRecurrent, LayerKind, Network, WeightsType};
use crate::shape::{LayerShape, Shape, Shapes};
use serde::Serialize;
use thiserror::Error;

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

/// Costs of a whole network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    /// Per layer, in layer order.
    pub layers: Vec<LayerCost>,
    /// Darknet's "Total BFLOPS": a 32-bit float sum of the positive per-layer values.
    pub total_bflops: f32,
    /// Sum over convolutional layers only.
    pub bflops_conv: f32,
    /// Total without shortcut layers: what darknet of early 2020 printed.
    pub bflops_2020: f32,
    /// Trainable parameters.
    pub params: u64,
    /// Convolution kernel weights (CSPNet's "#Parameter").
    pub conv_weights: u64,
    /// Floats in a `.weights` file for this network.
    pub weight_floats: u64,
    /// Expected `.weights` file size in bytes.
    pub weights_file_bytes: u64,
}

/// A count that does not fit in 64 bits.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("layer {layer}: its parameter count overflows 64 bits")]
pub struct ProfileError {
    /// The layer.
    pub layer: usize,
}

fn mul(values: &[usize]) -> Option<u64> {
    values
        .iter()
        .try_fold(1u64, |acc, &v| acc.checked_mul(v as u64))
}

/// Counts every layer and the totals.
pub fn profile(net: &Network, shapes: &Shapes) -> Result<Profile, ProfileError> {
    let mut layers = Vec::with_capacity(net.layers.len());
    for (layer, shape) in net.layers.iter().zip(&shapes.layers) {
        let mut cost = layer_cost(&layer.kind, shape).ok_or(ProfileError { layer: layer.index })?;
        if layer.dontload {
            cost.weight_floats = 0;
        } else if layer.dontloadscales
            && let LayerKind::Convolutional(c) = &layer.kind
            && c.batch_normalize
        {
            cost.weight_floats = cost.weight_floats.saturating_sub(3 * c.filters as u64);
        }
        layers.push(cost);
    }
    let sum_f32 = |pick: &dyn Fn(usize) -> bool| -> f32 {
        layers
            .iter()
            .enumerate()
            .filter(|(i, c)| c.bflops > 0.0 && pick(*i))
            .fold(0f32, |acc, (_, c)| acc + c.bflops)
    };
    let kind = |i: usize| &net.layers[i].kind;
    let total_bflops = sum_f32(&|_| true);
    let bflops_conv = sum_f32(&|i| matches!(kind(i), LayerKind::Convolutional(_)));
    let bflops_2020 = sum_f32(&|i| !matches!(kind(i), LayerKind::Shortcut(_)));
    let overflow = ProfileError {
        layer: net.layers.len(),
    };
    let total =
        |f: fn(&LayerCost) -> u64| layers.iter().try_fold(0u64, |acc, c| acc.checked_add(f(c)));
    let params = total(|c| c.params).ok_or(overflow.clone())?;
    let conv_weights = total(|c| c.conv_weights).ok_or(overflow.clone())?;
    let weight_floats = total(|c| c.weight_floats).ok_or(overflow.clone())?;
    let weights_file_bytes = weight_floats
        .checked_mul(4)
        .and_then(|b| b.checked_add(WEIGHTS_HEADER_BYTES))
        .ok_or(overflow)?;
    Ok(Profile {
        layers,
        total_bflops,
        bflops_conv,
        bflops_2020,
        params,
        conv_weights,
        weight_floats,
        weights_file_bytes,
    })
}

/// One convolution as darknet's `make_convolutional_layer` sets it up.
struct ConvCount {
    nweights: u64,
    filters: u64,
    bn: bool,
    bflops: f64,
}

impl ConvCount {
    fn new(
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
    fn params(&self) -> Option<u64> {
        self.nweights
            .checked_add(self.filters * if self.bn { 2 } else { 1 })
    }
    fn floats(&self) -> Option<u64> {
        self.nweights
            .checked_add(self.filters * if self.bn { 4 } else { 1 })
    }
}

/// One fully connected layer as darknet's `make_connected_layer` sets it up.
fn connected(inputs: usize, outputs: usize, bn: bool) -> Option<(u64, u64)> {
    let w = mul(&[inputs, outputs])?;
    let o = outputs as u64;
    Some((
        w.checked_add(o * if bn { 2 } else { 1 })?,
        w.checked_add(o * if bn { 4 } else { 1 })?,
    ))
}

fn layer_cost(kind: &LayerKind, s: &LayerShape) -> Option<LayerCost> {
    let mut cost = LayerCost::default();
    match kind {
        LayerKind::Convolutional(c) => conv_cost(c, s, &mut cost)?,
        LayerKind::Maxpool(p) | LayerKind::LocalAvgpool(p) => {
            let out = s.pre_blur.unwrap_or(s.output);
            cost.bflops =
                (p.size as f64 * p.size as f64 * s.input.c as f64 * out.h as f64 * out.w as f64
                    / 1e9) as f32;
        }
        LayerKind::Shortcut(sc) => {
            let n = sc.from.len() as u64;
            let o = s.output;
            let weighted = sc.weights_type != WeightsType::None;
            let mut b = o.w as f64 * o.h as f64 * o.c as f64 * n as f64 / 1e9;
            if weighted {
                b *= 2.0;
            }
            cost.bflops = b as f32;
            let nweights = match sc.weights_type {
                WeightsType::None => 0,
                WeightsType::PerFeature => n + 1,
                WeightsType::PerChannel => (n + 1).checked_mul(o.c as u64)?,
            };
            cost.params = nweights;
            cost.weight_floats = nweights;
        }
        LayerKind::Connected(c) => {
            (cost.params, cost.weight_floats) = connected(s.inputs, c.output, c.batch_normalize)?;
        }
        LayerKind::Batchnorm => {
            cost.params = 2 * s.input.c as u64;
            cost.weight_floats = 4 * s.input.c as u64;
        }
        LayerKind::Implicit { filters, atoms } => {
            cost.params = mul(&[*filters, *atoms])?;
            cost.weight_floats = cost.params;
        }
        LayerKind::Rnn(r) => {
            let parts = [
                (s.inputs, r.hidden),
                (r.hidden, r.hidden),
                (r.hidden, r.output),
            ];
            sum_connected(&parts, r.batch_normalize, &mut cost)?;
        }
        LayerKind::Gru(r) | LayerKind::Lstm(r) => {
            let (input_part, state_part) = ((s.inputs, r.output), (r.output, r.output));
            let n = if matches!(kind, LayerKind::Gru(_)) {
                3
            } else {
                4
            };
            let parts: Vec<_> = std::iter::repeat_n(input_part, n)
                .chain(std::iter::repeat_n(state_part, n))
                .collect();
            sum_connected(&parts, r.batch_normalize, &mut cost)?;
        }
        LayerKind::Crnn(c) => {
            let parts = [
                (s.input.c, c.hidden),
                (c.hidden, c.hidden),
                (c.hidden, c.output),
            ];
            sum_convs(c, &parts, s.output, &mut cost)?;
        }
        LayerKind::ConvLstm(c) => {
            let o = c.output;
            let mut parts = Vec::new();
            if c.peephole {
                parts.extend([(o, o); 3]);
            }
            parts.extend(if c.bottleneck {
                vec![(o * 2, o)]
            } else {
                vec![(o, o); 4]
            });
            parts.extend([(s.input.c, o); 4]);
            sum_convs(c, &parts, s.output, &mut cost)?;
        }
        LayerKind::Local(l) => {
            let locations = mul(&[s.output.w, s.output.h])?;
            let w = mul(&[l.size, l.size, s.input.c, l.filters])?.checked_mul(locations)?;
            cost.params = w.checked_add(s.outputs as u64)?;
            cost.weight_floats = cost.params;
        }
        LayerKind::Deconvolutional(d) => {
            let cc = ConvCount::new(
                s.input.c,
                d.filters,
                1,
                d.size,
                Shape::default(),
                d.batch_normalize,
            )?;
            cost.params = cc.params()?;
            cost.weight_floats = cc.floats()?;
        }
        _ => {}
    }
    Some(cost)
}

fn conv_cost(c: &Conv, s: &LayerShape, cost: &mut LayerCost) -> Option<()> {
    let out = s.pre_blur.unwrap_or(s.output);
    let cc = ConvCount::new(
        s.input.c,
        c.filters,
        c.groups,
        c.size,
        out,
        c.batch_normalize,
    )?;
    let bflops = if c.xnor { cc.bflops / 32.0 } else { cc.bflops };
    cost.bflops = bflops as f32;
    if c.share_index.is_none() {
        cost.params = cc.params()?;
        cost.weight_floats = cc.floats()?;
        cost.conv_weights = cc.nweights;
    }
    Some(())
}

fn sum_connected(parts: &[(usize, usize)], bn: bool, cost: &mut LayerCost) -> Option<()> {
    for &(i, o) in parts {
        let (p, f) = connected(i, o, bn)?;
        cost.params = cost.params.checked_add(p)?;
        cost.weight_floats = cost.weight_floats.checked_add(f)?;
    }
    Some(())
}

fn sum_convs(
    c: &ConvRecurrent,
    parts: &[(usize, usize)],
    out: Shape,
    cost: &mut LayerCost,
) -> Option<()> {
    let mut bflops = 0f64;
    for &(i, o) in parts {
        let cc = ConvCount::new(i, o, c.groups, c.size, out, c.batch_normalize)?;
        bflops += cc.bflops;
        cost.params = cost.params.checked_add(cc.params()?)?;
        cost.weight_floats = cost.weight_floats.checked_add(cc.floats()?)?;
        cost.conv_weights = cost.conv_weights.checked_add(cc.nweights)?;
    }
    cost.bflops = bflops as f32;
    Some(())
}
