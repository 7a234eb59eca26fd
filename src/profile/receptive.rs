//! The receptive field darknet computes when `[net] show_receptive_field=1`
//! (`parse_network_cfg_custom`), by its own rule: a running field and scale, both 1 at the
//! input, updated in file order by each layer's [`Receptive`] rule. The rule ignores which
//! layer a layer reads (only a route looks at its inputs), so a `[shortcut]` or a layer after a
//! route takes the running values as darknet does; the width and height follow the same
//! strides, so one number gives both.

use crate::kinds::{Receptive, Src};
use crate::network::Network;

/// Every layer's receptive field in input pixels, in layer order.
pub fn receptive_fields(net: &Network) -> Vec<u64> {
    let (mut field, mut scale) = (1u64, 1u64);
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(net.layers.len());
    for layer in &net.layers {
        match layer.kind.receptive() {
            Receptive::Window {
                size,
                stride,
                dilation,
            } => {
                let (size, stride, dilation) = (size.max(1), stride.max(1), dilation.max(1));
                // size + (dilation − 1)·2 − 1, at least 0
                let increase = (size + 2 * (dilation - 1)).saturating_sub(1) as u64;
                field = field.saturating_add(increase.saturating_mul(scale));
                scale = scale.saturating_mul(stride as u64);
            }
            Receptive::Divide(stride) => scale /= stride.max(1) as u64,
            Receptive::Inputs => {
                let inputs = layer.inputs.iter().filter_map(|s| match s {
                    Src::Layer(i) => out.get(*i).copied(),
                    Src::Image => None,
                });
                (field, scale) = inputs.fold((0, 0), |(f, s), (fi, si)| (f.max(fi), s.max(si)));
            }
        }
        out.push((field, scale));
    }
    out.into_iter().map(|(f, _)| f).collect()
}
