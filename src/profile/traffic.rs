//! Forward memory traffic (`gradient-paths.md` §4): CIO, MAC and concatenation copies.

use crate::network::{LayerKind, Network};
use crate::shape::Shapes;
use serde::Serialize;

use super::flops::Profile;

/// Traffic in values (floats) for one inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Traffic {
    /// Σ over weighted layers of input + output values.
    pub cio: u64,
    /// Σ over weighted layers of input + output values + weights.
    pub mac: u64,
    /// Σ over routes with several inputs or `groups > 1` of their output values.
    pub concat_copy_volume: u64,
}

/// Computes the traffic figures.
pub fn traffic(net: &Network, shapes: &Shapes, profile: &Profile) -> Traffic {
    let mut t = Traffic {
        cio: 0,
        mac: 0,
        concat_copy_volume: 0,
    };
    for (i, layer) in net.layers.iter().enumerate() {
        let s = &shapes.layers[i];
        match &layer.kind {
            LayerKind::Convolutional(_) | LayerKind::Connected(_) => {
                let io = (s.inputs as u64).saturating_add(s.outputs as u64);
                let weights = match &layer.kind {
                    LayerKind::Convolutional(_) => profile.layers[i].conv_weights,
                    _ => (s.inputs as u64).saturating_mul(s.outputs as u64),
                };
                t.cio = t.cio.saturating_add(io);
                t.mac = t.mac.saturating_add(io.saturating_add(weights));
            }
            LayerKind::Route(r) if r.layers.len() > 1 || r.groups > 1 => {
                t.concat_copy_volume = t.concat_copy_volume.saturating_add(s.outputs as u64);
            }
            _ => {}
        }
    }
    t
}
