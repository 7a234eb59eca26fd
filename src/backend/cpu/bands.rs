//! The band runner under both convolution paths (im2col + GEMM in `conv.rs`, Winograd in
//! `winograd.rs`): an output cut into bands of rows, each band's piece of every channel
//! handed to one worker with two scratch buffers it keeps, the bands in parallel.

use super::BackendError;
use rayon::prelude::*;

/// Runs `run(k, pieces, a, b)` for every band `k` of `data` in parallel: `pieces` are band
/// `k`'s slices of every plane ([`row_bands`]), `a` and `b` two scratch buffers each worker
/// keeps from band to band.
pub(super) fn in_bands<F>(
    data: &mut [f32],
    plane: usize,
    band: usize,
    run: F,
) -> Result<(), BackendError>
where
    F: Fn(usize, Vec<&mut [f32]>, &mut Vec<f32>, &mut Vec<f32>) -> Result<(), BackendError>
        + Sync
        + Send,
{
    row_bands(data, plane, band)
        .into_par_iter()
        .enumerate()
        .try_for_each_init(
            || (Vec::new(), Vec::new()),
            |(a, b), (k, pieces)| run(k, pieces, a, b),
        )
}

/// Each band's piece of every plane of `data` (planes of `plane` values cut into pieces of
/// `band` values): disjoint slices, one list per band, for bands that run in parallel and
/// each write their rows of every output channel.
fn row_bands(data: &mut [f32], plane: usize, band: usize) -> Vec<Vec<&mut [f32]>> {
    let (plane, band) = (plane.max(1), band.max(1));
    let mut bands: Vec<Vec<&mut [f32]>> = (0..plane.div_ceil(band))
        .map(|_| Vec::with_capacity(data.len() / plane))
        .collect();
    for p in data.chunks_mut(plane) {
        for (k, piece) in p.chunks_mut(band).enumerate() {
            bands[k].push(piece);
        }
    }
    bands
}
