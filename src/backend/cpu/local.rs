//! `[local]`: a convolution with its own weights at every output position, as darknet's
//! `forward_local_layer` runs it: the output starts from one bias per output value, each
//! position `j` multiplies its own n × size²·c matrix (position-major in the file) with the
//! im2col column at `j`, then the activation.

use super::activation::activate;
use crate::kinds::Spatial;
use crate::tensor::Tensor;
use crate::vocab::activation::Activation;
use rayon::prelude::*;

/// A prepared `[local]` layer.
#[derive(Debug, Clone)]
pub struct LocalOp {
    /// Kernel side, stride and im2col padding (pixels each side).
    pub size: usize,
    /// Stride.
    pub stride: usize,
    /// Padding of darknet's im2col (the cfg's raw `pad`).
    pub pad: usize,
    /// Output channels.
    pub filters: usize,
    /// Every position's matrix, position-major.
    pub weights: Vec<f32>,
    /// One per output value.
    pub biases: Vec<f32>,
    /// Applied last.
    pub act: Activation,
}

impl LocalOp {
    /// The op for `p` with its weights.
    pub fn new(p: &Spatial, weights: Vec<f32>, biases: Vec<f32>) -> Self {
        Self {
            size: p.size,
            stride: p.stride,
            pad: p.pad,
            filters: p.filters,
            weights,
            biases,
            act: p.activation,
        }
    }

    /// The layer on `x`, with an `oh × ow` output.
    pub fn forward(&self, x: &Tensor, oh: usize, ow: usize) -> Tensor {
        let locations = oh * ow;
        let (size, k) = (self.size, self.size * self.size * x.c);
        let mut out = Tensor::zeros(self.filters, oh, ow);
        out.data
            .par_chunks_mut(locations.max(1))
            .enumerate()
            .for_each(|(f, plane)| {
                for (j, v) in plane.iter_mut().enumerate() {
                    let (oy, ox) = (j / ow, j % ow);
                    let a = &self.weights[(j * self.filters + f) * k..][..k];
                    let mut sum = self.biases[f * locations + j];
                    for ch in 0..x.c {
                        for ky in 0..size {
                            let Some(iy) = (oy * self.stride + ky).checked_sub(self.pad) else {
                                continue;
                            };
                            if iy >= x.h {
                                continue;
                            }
                            let row = &x.data[(ch * x.h + iy) * x.w..][..x.w];
                            for kx in 0..size {
                                let Some(ix) = (ox * self.stride + kx).checked_sub(self.pad) else {
                                    continue;
                                };
                                if ix < x.w {
                                    sum += a[(ch * size + ky) * size + kx] * row[ix];
                                }
                            }
                        }
                    }
                    *v = sum;
                }
            });
        activate(self.act, &mut out.data, locations);
        out
    }
}
