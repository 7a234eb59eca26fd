//! The convolution kernels' weight layouts, made on the CPU once per layer and layout and
//! shared between the builds of the kernel search.

use super::super::kernels::ConvParams;
use super::view::View;
use rayon::prelude::*;

/// A convolution's weight buffers by (layer, convolution within the layer, layout): the
/// trial builds of the kernel search share them, so each layout of each layer is computed
/// and uploaded once, not once per trial.
pub(super) type Uploads = std::collections::HashMap<(usize, usize, Layout), View>;

/// How a weight buffer is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Layout {
    /// Biases padded to a multiple of 8.
    Biases,
    /// The GEMM kernels' K-major weights, output channels padded to this many.
    KMajor(usize),
    /// The GEMM kernels' im2col taps.
    Taps,
    /// Output channels in blocks of this many.
    Blocks(usize),
    /// darknet's own layout.
    Darknet,
}

/// `filters × k` weights (darknet's layout) transposed to `[kpad][mpad]`, zero-padded: in
/// bands of K rows, in parallel, so that each band's strided writes stay in cache (yolov4 has
/// 64 M weights, re-laid out once per kernel the choice tries).
pub(super) fn k_major(
    weights: &[f32],
    filters: usize,
    k: usize,
    kpad: usize,
    mpad: usize,
) -> Vec<f32> {
    const BAND: usize = 64;
    let mut t = vec![0f32; kpad * mpad];
    t.par_chunks_mut(BAND * mpad)
        .enumerate()
        .for_each(|(band, rows)| {
            let k0 = band * BAND;
            let k1 = (k0 + BAND).min(k);
            for oc in 0..filters {
                for (r, v) in weights[oc * k + k0.min(k1)..oc * k + k1].iter().enumerate() {
                    rows[r * mpad + oc] = *v;
                }
            }
        });
    t
}

/// conv_gemm's im2col rows: (ic·in_h·in_w, ky·dilation, kx·dilation, 1) for k = (ic·size +
/// ky)·size + kx, then zero rows up to `rows`.
pub(super) fn gemm_taps(geo: &ConvParams, rows: usize) -> Vec<[i32; 4]> {
    let (size, plane) = (geo.size as usize, (geo.in_h * geo.in_w) as i32);
    let dil = geo.dilation as i32;
    let mut taps = vec![[0i32; 4]; rows];
    for (k, t) in taps
        .iter_mut()
        .enumerate()
        .take(geo.in_c as usize * size * size)
    {
        let (ic, r) = (k / (size * size), k % (size * size));
        let (ky, kx) = ((r / size) as i32, (r % size) as i32);
        *t = [ic as i32 * plane, ky * dil, kx * dil, 1];
    }
    taps
}

/// Convolution weights (`filters × cin × taps`, darknet's layout) regrouped for the blocked
/// kernels: `[filters/width][cin][tap][width]`, so one invocation reads `width` output channels
/// of a tap as vec4s; filters past the last are zero.
pub(super) fn channel_blocks(
    weights: &[f32],
    filters: usize,
    cin: usize,
    taps: usize,
    width: usize,
) -> Vec<f32> {
    let mut out = vec![0f32; filters.div_ceil(width) * cin * taps * width];
    for oc in 0..filters {
        for ic in 0..cin {
            for t in 0..taps {
                out[(((oc / width) * cin + ic) * taps + t) * width + oc % width] =
                    weights[(oc * cin + ic) * taps + t];
            }
        }
    }
    out
}
