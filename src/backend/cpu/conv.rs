//! Convolution: im2col + GEMM per group, bias and activation fused in one pass afterwards;
//! 3×3 stride-1 layers go through Winograd F(2×2, 3×3) where it pays.

use super::BackendError;
use super::activation::activate;
use super::gemm::matmul;
use crate::network::{Activation, Conv};
use crate::tensor::Tensor;
use crate::weights::FusedConv;
use rayon::prelude::*;

/// A convolution ready to run: geometry, folded weights and biases.
#[derive(Debug, Clone)]
pub struct ConvOp {
    pub c_in: usize,
    pub filters: usize,
    pub size: usize,
    pub stride_x: usize,
    pub stride_y: usize,
    pub pad: usize,
    pub dilation: usize,
    pub groups: usize,
    pub activation: Activation,
    /// `filters × (c_in/groups)·size²`, darknet's layout.
    pub weights: Vec<f32>,
    pub biases: Vec<f32>,
}

impl ConvOp {
    /// Builds the op from a cfg layer and its fused weights.
    pub fn new(c: &Conv, c_in: usize, fused: FusedConv) -> Result<Self, BackendError> {
        let k = c_in / c.groups * c.size * c.size;
        if fused.weights.len() != c.filters * k || fused.biases.len() != c.filters {
            return Err(BackendError::Internal(format!(
                "convolution weights: {} floats for {} filters of {k}",
                fused.weights.len(),
                c.filters
            )));
        }
        Ok(Self {
            c_in,
            filters: c.filters,
            size: c.size,
            stride_x: c.stride_x,
            stride_y: c.stride_y,
            pad: c.padding,
            dilation: c.dilation,
            groups: c.groups,
            activation: c.activation,
            weights: fused.weights,
            biases: fused.biases,
        })
    }

    /// Output height and width for an input of `h × w`.
    pub fn out_hw(&self, h: usize, w: usize) -> (usize, usize) {
        // darknet sizes the output as if undilated (dilation only moves the taps)
        let side = |n: usize, s: usize| (n + 2 * self.pad).saturating_sub(self.size) / s + 1;
        (side(h, self.stride_y), side(w, self.stride_x))
    }

    /// Runs the convolution.
    pub fn forward(&self, x: &Tensor, threads: usize) -> Result<Tensor, BackendError> {
        let (oh, ow) = self.out_hw(x.h, x.w);
        let mut out = Tensor::zeros(self.filters, oh, ow);
        let (cg, fg) = (self.c_in / self.groups, self.filters / self.groups);
        let kk = cg * self.size * self.size;
        let n = oh * ow;
        let direct = self.size == 1 && self.stride_x == 1 && self.stride_y == 1 && self.pad == 0;
        let mut col = if direct {
            Vec::new()
        } else {
            vec![0f32; kk * n]
        };
        for g in 0..self.groups {
            let input = &x.data[g * cg * x.plane()..(g + 1) * cg * x.plane()];
            let b: &[f32] = if direct {
                input
            } else {
                self.im2col(input, x.h, x.w, oh, ow, &mut col);
                &col
            };
            let a = &self.weights[g * fg * kk..(g + 1) * fg * kk];
            let c = &mut out.data[g * fg * n..(g + 1) * fg * n];
            matmul(fg, n, kk, a, kk, b, n, c, n, threads)?;
        }
        self.finish(&mut out);
        Ok(out)
    }

    /// Adds biases and applies the activation, channel by channel in parallel.
    pub fn finish(&self, out: &mut Tensor) {
        let plane = out.plane().max(1);
        let act = self.activation;
        if matches!(
            act,
            Activation::NormalizeChannels
                | Activation::NormalizeChannelsSoftmax
                | Activation::NormalizeChannelsSoftmaxMaxval
        ) {
            for (ch, b) in out.data.chunks_mut(plane).zip(&self.biases) {
                ch.iter_mut().for_each(|v| *v += b);
            }
            activate(act, &mut out.data, plane);
            return;
        }
        out.data
            .par_chunks_mut(plane)
            .zip(self.biases.par_iter())
            .for_each(|(ch, b)| {
                ch.iter_mut().for_each(|v| *v += b);
                activate(act, ch, plane);
            });
    }

    /// Darknet's im2col (with dilation): rows are (channel, ky, kx), columns output pixels.
    fn im2col(&self, input: &[f32], h: usize, w: usize, oh: usize, ow: usize, col: &mut [f32]) {
        let (s, d, p) = (self.size, self.dilation, self.pad as isize);
        let (sx, sy) = (self.stride_x, self.stride_y);
        col.par_chunks_mut(oh * ow)
            .enumerate()
            .for_each(|(row, dst)| {
                let (ch, ky, kx) = (row / (s * s), (row / s) % s, row % s);
                let src = &input[ch * h * w..(ch + 1) * h * w];
                for y in 0..oh {
                    let iy = (y * sy) as isize - p + (ky * d) as isize;
                    let line = &mut dst[y * ow..(y + 1) * ow];
                    if iy < 0 || iy >= h as isize {
                        line.fill(0.0);
                        continue;
                    }
                    let srow = &src[iy as usize * w..(iy as usize + 1) * w];
                    for (x, v) in line.iter_mut().enumerate() {
                        let ix = (x * sx) as isize - p + (kx * d) as isize;
                        *v = if ix >= 0 && ix < w as isize {
                            srow[ix as usize]
                        } else {
                            0.0
                        };
                    }
                }
            });
    }
}
