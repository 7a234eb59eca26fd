//! BFLOPs, parameters and `.weights` floats, counted as AlexeyAB darknet counts them
//! (`docs/darknet-rules.md`).

use crate::kinds::LayerKind;
use crate::network::Network;
use crate::shape::Shapes;
use serde::Serialize;
use thiserror::Error;

use crate::vocab::cost::{LayerCost, WEIGHTS_HEADER_BYTES};

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
    /// Per layer, the receptive field in input pixels by darknet's `show_receptive_field`
    /// rule (width and height alike).
    pub receptive_fields: Vec<u64>,
}

/// A count that does not fit in 64 bits.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("layer {layer}: its parameter count overflows 64 bits")]
pub struct ProfileError {
    /// The layer.
    pub layer: usize,
}

/// Counts every layer and the totals.
pub fn profile(net: &Network, shapes: &Shapes) -> Result<Profile, ProfileError> {
    let mut layers = Vec::with_capacity(net.layers.len());
    for (layer, shape) in net.layers.iter().zip(&shapes.layers) {
        let mut cost = layer
            .kind
            .cost(shape)
            .ok_or(ProfileError { layer: layer.index })?;
        if layer.dontload {
            cost.weight_floats = 0;
        } else if layer.dontloadscales {
            // darknet skips every batch-norm triplet of the layer
            let triplets: u64 = (layer.kind.weight_blocks(shape, cost.weight_floats).iter())
                .filter(|b| b.bn)
                .map(|b| 3 * b.biases as u64)
                .sum();
            cost.weight_floats = cost.weight_floats.saturating_sub(triplets);
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
        receptive_fields: super::receptive::receptive_fields(net),
    })
}
