//! Memory per layer and for the whole network, in bytes of f32: what darknet allocates, the
//! inference peak when each tensor is freed after its last reader, the largest im2col
//! workspace, and a training footprint per image.

use super::flops::Profile;
use crate::kinds::{LayerKind, Src};
use crate::network::Network;
use crate::shape::Shapes;
use serde::Serialize;

const F32: u64 = 4;

/// Memory facts of one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LayerMemory {
    /// Bytes of the layer's output tensor.
    pub activation_bytes: u64,
    /// Bytes of the weights darknet reads for the layer.
    pub weight_bytes: u64,
    /// The output is a view of an earlier tensor (dropout/empty alias, single-input routes,
    /// a single-input `groups` route's channel slice), so it costs no memory of its own.
    pub view: bool,
    /// Bytes of all live tensors while this layer runs: its output allocated, its inputs and
    /// every tensor still needed later not yet freed (the largest of these is the peak).
    pub live_bytes_during: u64,
    /// Bytes of all live tensors after this layer ran and dead tensors were freed.
    pub live_bytes_after: u64,
}

/// Memory facts of a network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Memory {
    /// Per layer.
    pub layers: Vec<LayerMemory>,
    /// Weights (all `.weights` floats).
    pub weights_bytes: u64,
    /// Sum of all layer outputs, as darknet allocates them (views excluded).
    pub naive_activation_bytes: u64,
    /// Largest live set during one inference when each tensor is freed after its last reader
    /// (the input image counted; outputs of detection heads kept to the end).
    pub peak_activation_bytes: u64,
    /// The layer whose step reaches the peak (its output allocated, its inputs still live).
    pub peak_layer: Option<usize>,
    /// Largest im2col workspace of a convolution: `out_h·out_w·size²·c/groups` floats.
    pub max_workspace_bytes: u64,
    /// The convolution needing it.
    pub max_workspace_layer: Option<usize>,
    /// Inference total: weights + peak activations + workspace.
    pub inference_bytes: u64,
    /// Training per image: outputs and their deltas (2× naive), plus weights, weight gradients
    /// and momentum (3× trainable parameters).
    pub training_bytes_per_image: u64,
}

/// Which storage a layer's output lives in: its own, or an earlier layer's (a view).
fn storage_of(net: &Network, i: usize, storage: &[Src]) -> Src {
    let layer = &net.layers[i];
    let alias_of = |src: Src| match src {
        Src::Layer(j) => storage[j],
        Src::Image => Src::Image,
    };
    let prev = layer.inputs.first().copied().unwrap_or(Src::Image);
    layer.kind.view_of(prev).map_or(Src::Layer(i), alias_of)
}

/// Computes memory facts.
pub fn memory(net: &Network, shapes: &Shapes, profile: &Profile) -> Memory {
    let n = net.layers.len();
    let mut storage: Vec<Src> = Vec::with_capacity(n);
    for i in 0..n {
        let s = storage_of(net, i, &storage);
        storage.push(s);
    }
    // Last step at which each storage (index n = the image) must still exist.
    let slot = |s: Src| match s {
        Src::Image => n,
        Src::Layer(j) => j,
    };
    let mut last_use: Vec<usize> = (0..=n).collect();
    last_use[n] = 0;
    let consumers = net.consumers();
    for (i, layer) in net.layers.iter().enumerate() {
        for src in &layer.inputs {
            let st = match src {
                Src::Image => Src::Image,
                Src::Layer(j) => storage[*j],
            };
            let k = slot(st);
            last_use[k] = last_use[k].max(i);
        }
        if layer.kind.is_head() || consumers[i].is_empty() {
            let k = slot(storage[i]);
            last_use[k] = usize::MAX;
        }
        let k = slot(storage[i]);
        last_use[k] = last_use[k].max(i);
    }
    let bytes = |i: usize| (shapes.layers[i].outputs as u64).saturating_mul(F32);
    let image_bytes = (shapes.input.volume().unwrap_or(0) as u64).saturating_mul(F32);
    let mut free_at: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, &last) in last_use.iter().enumerate() {
        let owns_storage = k == n || storage[k] == Src::Layer(k);
        if let Some(list) = free_at.get_mut(last).filter(|_| owns_storage) {
            list.push(k);
        }
    }
    let mut live = image_bytes;
    let (mut peak, mut peak_layer) = (live, None);
    let mut layers = Vec::with_capacity(n);
    for i in 0..n {
        let view = storage[i] != Src::Layer(i);
        if !view {
            live = live.saturating_add(bytes(i));
        }
        if live > peak {
            (peak, peak_layer) = (live, Some(i));
        }
        let during = live;
        for &k in &free_at[i] {
            live = live.saturating_sub(if k == n { image_bytes } else { bytes(k) });
        }
        layers.push(LayerMemory {
            activation_bytes: bytes(i),
            weight_bytes: profile.layers[i].weight_floats.saturating_mul(F32),
            view,
            live_bytes_during: during,
            live_bytes_after: live,
        });
    }
    let naive = layers
        .iter()
        .filter(|l| !l.view)
        .fold(0u64, |acc, l| acc.saturating_add(l.activation_bytes));
    let (max_workspace_bytes, max_workspace_layer) = workspace(net, shapes);
    let weights_bytes = profile.weight_floats.saturating_mul(F32);
    Memory {
        layers,
        weights_bytes,
        naive_activation_bytes: naive,
        peak_activation_bytes: peak,
        peak_layer,
        max_workspace_bytes,
        max_workspace_layer,
        inference_bytes: weights_bytes
            .saturating_add(peak)
            .saturating_add(max_workspace_bytes),
        training_bytes_per_image: naive
            .saturating_mul(2)
            .saturating_add(profile.params.saturating_mul(3 * F32)),
    }
}

fn workspace(net: &Network, shapes: &Shapes) -> (u64, Option<usize>) {
    let mut best = (0u64, None);
    for (i, layer) in net.layers.iter().enumerate() {
        if let LayerKind::Convolutional(c) = &layer.kind {
            let s = &shapes.layers[i];
            let out = s.pre_blur.unwrap_or(s.output);
            let floats = [out.w, out.h, c.size, c.size, s.input.c / c.groups]
                .iter()
                .fold(1u64, |acc, &v| acc.saturating_mul(v as u64));
            let bytes = floats.saturating_mul(F32);
            if bytes > best.0 {
                best = (bytes, Some(i));
            }
        }
    }
    best
}
