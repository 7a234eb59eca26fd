//! Forward memory traffic (`gradient-paths.md` §4): CIO, MAC and concatenation copies.

use crate::kinds::LayerKind;
use crate::network::Network;
use crate::shape::Shapes;
use serde::Serialize;

use super::flops::Profile;

/// Traffic in values (floats) for one inference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Traffic {
    /// Σ over weighted layers of input + output values.
    pub cio: u64,
    /// Σ over weighted layers of input + output values + weights.
    pub mac: u64,
    /// Σ over routes with several inputs or `groups > 1` of their output values.
    pub concat_copy_volume: u64,
}

impl Traffic {
    /// Adds another count to this one (saturating).
    pub fn add(&mut self, other: Traffic) {
        self.cio = self.cio.saturating_add(other.cio);
        self.mac = self.mac.saturating_add(other.mac);
        self.concat_copy_volume = self
            .concat_copy_volume
            .saturating_add(other.concat_copy_volume);
    }
}

/// The traffic of layer `i` alone.
pub fn layer_traffic(net: &Network, shapes: &Shapes, profile: &Profile, i: usize) -> Traffic {
    let mut t = Traffic::default();
    let (Some(layer), Some(s)) = (net.layers.get(i), shapes.layers.get(i)) else {
        return t;
    };
    // CSPNet's CIO and MAC count convolutions and connected layers; routes that join or
    // split copy their output
    let io = (s.inputs as u64).saturating_add(s.outputs as u64);
    let weights = if let LayerKind::Convolutional(_) = &layer.kind {
        Some(profile.layers.get(i).map_or(0, |c| c.conv_weights))
    } else if let LayerKind::Connected(_) = &layer.kind {
        Some((s.inputs as u64).saturating_mul(s.outputs as u64))
    } else {
        None
    };
    if let Some(weights) = weights {
        t.cio = io;
        t.mac = io.saturating_add(weights);
    }
    if let LayerKind::Route(r) = &layer.kind
        && (r.layers.len() > 1 || r.groups > 1)
    {
        t.concat_copy_volume = s.outputs as u64;
    }
    t
}

/// Computes the traffic figures.
pub fn traffic(net: &Network, shapes: &Shapes, profile: &Profile) -> Traffic {
    let mut t = Traffic::default();
    for i in 0..net.layers.len() {
        t.add(layer_traffic(net, shapes, profile, i));
    }
    t
}
