//! Convolution: im2col + GEMM per group, bias and activation fused in one pass afterwards;
//! 3×3 stride-1 layers go through Winograd F(4×4, 3×3) where it pays, large ungrouped ones
//! through im2col + GEMM in bands of output rows ([`bands::in_bands`]).

use super::BackendError;
use super::activation::{activate, add_and_activate};
use super::bands;
use super::gemm::matmul;
use super::scratch::Scratch;
use super::winograd::Winograd;

/// Input channels from which Winograd beats im2col + GEMM on this machine.
pub const WINOGRAD_MIN_CHANNELS: usize = 8;

/// Column-matrix values im2col makes per band: about 512 KB, a core's L2.
const COLUMN_VALUES_PER_BAND: usize = 128 * 1024;
use crate::kinds::Conv;
use crate::tensor::Tensor;
use crate::vocab::activation::Activation;
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
    /// Winograd-transformed kernels, for the 3×3 stride-1 layers where they pay.
    pub winograd: Option<Winograd>,
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
            winograd: None,
            weights: fused.weights,
            biases: fused.biases,
        }
        .with_winograd(true))
    }

    /// Whether Winograd F(4×4, 3×3) applies and pays: ungrouped 3×3, stride 1, no dilation,
    /// enough channels that the transforms are amortised.
    pub fn winograd_fits(&self) -> bool {
        self.size == 3
            && self.stride_x == 1
            && self.stride_y == 1
            && self.dilation == 1
            && self.groups == 1
            && self.c_in >= WINOGRAD_MIN_CHANNELS
    }

    /// Enables Winograd where it fits (`allow`), or keeps im2col + GEMM for every layer.
    pub fn with_winograd(mut self, allow: bool) -> Self {
        self.winograd = None;
        if allow && self.winograd_fits() {
            self.winograd = Some(Winograd::new(
                &self.weights,
                self.filters,
                self.c_in,
                self.pad,
            ));
        }
        self
    }

    /// Output height and width for an input of `h × w`.
    pub fn out_hw(&self, h: usize, w: usize) -> (usize, usize) {
        // darknet sizes the output as if undilated (dilation only moves the taps)
        let side = |n: usize, s: usize| (n + 2 * self.pad).saturating_sub(self.size) / s + 1;
        (side(h, self.stride_y), side(w, self.stride_x))
    }

    /// Runs the convolution.
    pub fn forward(
        &self,
        x: &Tensor,
        threads: usize,
        scratch: &Scratch,
    ) -> Result<Tensor, BackendError> {
        let (oh, ow) = self.out_hw(x.h, x.w);
        if let Some(wino) = &self.winograd {
            let mut out = wino.forward(x, oh, ow, threads, scratch)?;
            self.finish(&mut out);
            return Ok(out);
        }
        let (cg, fg) = (self.c_in / self.groups, self.filters / self.groups);
        let kk = cg * self.size * self.size;
        let n = oh * ow;
        let direct = self.size == 1 && self.stride_x == 1 && self.stride_y == 1 && self.pad == 0;
        if !direct && self.banded_fits(kk * n) {
            return self.forward_banded(x, oh, ow);
        }
        let mut out = Tensor::zeros(self.filters, oh, ow);
        let mut col = if direct {
            Vec::new()
        } else {
            scratch.take(kk * n)
        };
        for g in 0..self.groups {
            let input = &x.data[g * cg * x.plane()..(g + 1) * cg * x.plane()];
            let b: &[f32] = if direct {
                input
            } else {
                self.im2col(input, (x.h, x.w), ow, 0..oh, &mut col, true);
                &col
            };
            let a = &self.weights[g * fg * kk..(g + 1) * fg * kk];
            let c = &mut out.data[g * fg * n..(g + 1) * fg * n];
            matmul(fg, n, kk, a, kk, b, n, c, n, threads)?;
        }
        scratch.give(col);
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
            .for_each(|(ch, b)| add_and_activate(act, ch, *b));
    }

    /// Darknet's im2col (with dilation) of output rows `ys`: rows are (channel, ky, kx),
    /// columns output pixels. Each row is a run of copies between zero-filled borders, so the
    /// inner loop has no bounds tests (a slice copy at stride 1). `parallel`: rows of `col`
    /// in parallel.
    pub(super) fn im2col(
        &self,
        input: &[f32],
        (h, w): (usize, usize),
        ow: usize,
        ys: std::ops::Range<usize>,
        col: &mut [f32],
        parallel: bool,
    ) {
        let (s, d, p) = (self.size, self.dilation, self.pad as isize);
        let (sx, sy) = (self.stride_x, self.stride_y);
        let cols = ys.len() * ow;
        let each = |(row, dst): (usize, &mut [f32])| {
            let (ch, ky, kx) = (row / (s * s), (row / s) % s, row % s);
            let src = &input[ch * h * w..(ch + 1) * h * w];
            let off = (kx * d) as isize - p;
            // output columns whose input column x·sx + off lies inside 0..w
            let lo = if off >= 0 {
                0
            } else {
                ((-off) as usize).div_ceil(sx)
            }
            .min(ow);
            let hi = if (w as isize) <= off {
                0
            } else {
                ((w as isize - 1 - off) as usize / sx + 1).min(ow)
            }
            .max(lo);
            for (r, y) in ys.clone().enumerate() {
                let iy = (y * sy) as isize - p + (ky * d) as isize;
                let line = &mut dst[r * ow..(r + 1) * ow];
                if iy < 0 || iy >= h as isize {
                    line.fill(0.0);
                    continue;
                }
                let srow = &src[iy as usize * w..(iy as usize + 1) * w];
                line[..lo].fill(0.0);
                line[hi..].fill(0.0);
                if hi == lo {
                    // every tap of this row falls in the padding (a dilation wider than the
                    // map): the row is zeros, and its first input column may lie past the row
                    continue;
                }
                let start = ((lo * sx) as isize + off) as usize;
                if sx == 1 {
                    line[lo..hi].copy_from_slice(&srow[start..start + (hi - lo)]);
                } else {
                    // whole strides of the row (a form the compiler vectorises), then the
                    // last value, whose stride may run past the row's end
                    let last = hi - 1;
                    for (v, run) in line[lo..last]
                        .iter_mut()
                        .zip(srow[start..].chunks_exact(sx))
                    {
                        *v = run[0];
                    }
                    line[last] = srow[start + (last - lo) * sx];
                }
            }
        };
        // a whole layer's rows in parallel; a band's (already one task of many) serially
        if parallel {
            col.par_chunks_mut(cols.max(1)).enumerate().for_each(each);
        } else {
            col.chunks_mut(cols.max(1)).enumerate().for_each(each);
        }
    }
}

/// darknet's antialiasing blur ([`crate::weights::blur`]): a depthwise convolution over
/// `channels` with the layer's own stride, linear, run after the layer at stride 1.
pub fn blur(kind: usize, channels: usize, stride_x: usize, stride_y: usize) -> ConvOp {
    let (size, pad, fused) = crate::weights::blur(kind, channels);
    ConvOp {
        c_in: channels,
        filters: channels,
        size,
        stride_x,
        stride_y,
        pad,
        dilation: 1,
        groups: channels,
        activation: Activation::Linear,
        weights: fused.weights,
        biases: fused.biases,
        winograd: None,
    }
}

impl ConvOp {
    /// Whether a layer whose column matrix holds `values` runs in bands: ungrouped, an
    /// element-wise activation, and several bands' worth of columns.
    pub(super) fn banded_fits(&self, values: usize) -> bool {
        self.groups == 1
            && values >= 4 * COLUMN_VALUES_PER_BAND
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
        let rows = (COLUMN_VALUES_PER_BAND / (kk * ow).max(1)).clamp(1, oh.max(1));
        let mut out = Tensor::zeros(m, oh, ow);
        bands::in_bands(&mut out.data, oh * ow, rows * ow, |band, dst, col, prod| {
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
