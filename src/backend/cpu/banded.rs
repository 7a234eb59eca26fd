//! im2col + GEMM in bands of output rows, the bands in parallel: each band's column matrix
//! stays in its core's cache between im2col and the product (a whole stride-2 layer's is
//! megabytes: yolov4-tiny's layer 1 has 12.5 MB of columns).

use super::BackendError;
use super::conv::ConvOp;
use super::gemm::matmul;
use crate::network::Activation;
use crate::tensor::Tensor;
use rayon::prelude::*;

/// Column-matrix values per band: about 512 KB, a core's L2.
const BAND_VALUES: usize = 128 * 1024;

impl ConvOp {
    /// Whether a layer whose column matrix holds `values` runs in bands: ungrouped, an
    /// element-wise activation, and several bands' worth of columns.
    pub(super) fn banded_fits(&self, values: usize) -> bool {
        self.groups == 1
            && values >= 4 * BAND_VALUES
            && !matches!(
                self.activation,
                Activation::NormalizeChannels
                    | Activation::NormalizeChannelsSoftmax
                    | Activation::NormalizeChannelsSoftmaxMaxval
            )
    }

    /// The convolution band by band: each band (a run of output rows) makes its columns,
    /// multiplies them on one thread and writes its part of every output channel; then bias
    /// and activation per channel (applying them inside the bands measured no faster).
    pub(super) fn forward_banded(
        &self,
        x: &Tensor,
        oh: usize,
        ow: usize,
    ) -> Result<Tensor, BackendError> {
        let (m, kk) = (self.filters, self.c_in * self.size * self.size);
        let rows = (BAND_VALUES / (kk * ow).max(1)).clamp(1, oh.max(1));
        let mut out = Tensor::zeros(m, oh, ow);
        in_bands(&mut out.data, oh * ow, rows * ow, |band, dst, col, prod| {
            let ys = band * rows..((band + 1) * rows).min(oh);
            let cols = ys.len() * ow;
            col.resize(kk * cols, 0.0);
            prod.resize(m * cols, 0.0);
            self.im2col(&x.data, (x.h, x.w), ow, ys, col, false);
            matmul(m, cols, kk, &self.weights, kk, col, cols, prod, cols, 1)?;
            for (piece, src) in dst.into_iter().zip(prod.chunks(cols)) {
                piece.copy_from_slice(src);
            }
            Ok(())
        })?;
        self.finish(&mut out);
        Ok(out)
    }
}

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
