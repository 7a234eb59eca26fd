//! The CPU backend: every layer kind the YOLO and CSPNet/darknet classification cfgs use,
//! im2col + the `gemm` crate + rayon threads. It is the reference the GPU backend is tested
//! against and the fast path without a GPU.

mod activation;
mod bands;
pub mod ceilings;
mod conv;
mod gemm;
mod local;
pub mod ops;
mod pool;
mod scratch;
mod winograd;

pub use activation::apply as activate_value;
pub use conv::ConvOp;
pub use scratch::Scratch;

use super::{BackendError, Forward};
use crate::backend::Model;
use crate::kinds::{LayerKind, Pool, Region, Shortcut, Src, Yolo};
use crate::tensor::Tensor;
use crate::vocab::activation::Activation;
use crate::vocab::shape::LayerShape;
use crate::weights::{Weights, fused_conv};
use std::time::Instant;

/// One prepared layer.
#[derive(Debug, Clone)]
enum Op {
    Conv(ConvOp),
    Pool(Pool, bool),
    /// A convolution at stride 1, then darknet's antialiasing blur at the layer's stride.
    BlurredConv(ConvOp, ConvOp),
    /// A max pool at stride 1, then the blur.
    BlurredPool(Pool, ConvOp),
    Avgpool,
    Route {
        groups: usize,
        group_id: usize,
    },
    Shortcut(Shortcut, Vec<f32>),
    Upsample {
        stride: i64,
        scale: f32,
    },
    Reorg {
        stride: usize,
        reverse: bool,
        old: bool,
    },
    ScaleChannels {
        scale_wh: bool,
        act: Activation,
    },
    Sam(Activation),
    Softmax {
        groups: usize,
        temperature: f32,
    },
    Connected {
        weights: Vec<f32>,
        biases: Vec<f32>,
        act: Activation,
    },
    Batchnorm {
        biases: Vec<f32>,
        scales: Vec<f32>,
        mean: Vec<f32>,
        var: Vec<f32>,
    },
    Implicit(Vec<f32>),
    Identity,
    Activate(Activation),
    Crop,
    Yolo(Yolo),
    Region(Region),
    Local(local::LocalOp),
}

/// A network ready to run on the CPU.
#[derive(Debug, Clone)]
pub struct CpuNet {
    ops: Vec<Op>,
    shapes: Vec<LayerShape>,
    inputs: Vec<Vec<Src>>,
    /// Last layer reading each output (`usize::MAX`: kept for the caller).
    last_use: Vec<usize>,
    threads: usize,
    scratch: Scratch,
}

/// Layer `layer`'s floats in `r`, or the error naming what is missing.
fn floats(
    w: &Weights,
    r: &std::ops::Range<usize>,
    (layer, what): (usize, &'static str),
) -> Result<Vec<f32>, BackendError> {
    w.slice(r)
        .map(<[f32]>::to_vec)
        .ok_or(BackendError::MissingWeights { layer, what })
}

impl CpuNet {
    /// Prepares every layer: batch norm folded into convolutions, weights laid out.
    pub fn new<'m>(
        a: impl Into<Model<'m>>,
        w: &Weights,
        threads: usize,
    ) -> Result<Self, BackendError> {
        Self::with_winograd(a, w, threads, true)
    }

    /// As [`CpuNet::new`]; `winograd = false` runs every convolution as im2col + GEMM, the
    /// backend's exact path (the reference other backends are compared with layer by layer).
    pub fn with_winograd<'m>(
        a: impl Into<Model<'m>>,
        w: &Weights,
        threads: usize,
        winograd: bool,
    ) -> Result<Self, BackendError> {
        let a: Model = a.into();
        let net = a.network;
        let mut ops = Vec::with_capacity(net.layers.len());
        for (i, layer) in net.layers.iter().enumerate() {
            let s = &a.shapes.layers[i];
            let lw = w.layers.get(i).cloned().unwrap_or_default();
            let unsupported = || BackendError::Unsupported {
                layer: i,
                kind: layer.kind.type_name(),
            };
            let op = match &layer.kind {
                LayerKind::Convolutional(c) => {
                    if let Some(reason) = crate::shape::share_mismatch(net, a.shapes, i) {
                        return Err(BackendError::Invalid { layer: i, reason });
                    }
                    let source = c.share_index.unwrap_or(i);
                    let fused = fused_conv(w, source).ok_or(BackendError::MissingWeights {
                        layer: source,
                        what: "convolution weights",
                    })?;
                    if c.xnor {
                        return Err(BackendError::Unsupported {
                            layer: i,
                            kind: "XNOR convolutional",
                        });
                    }
                    let unblurred = crate::kinds::Conv {
                        stride_x: 1,
                        stride_y: 1,
                        antialiasing: 0,
                        ..c.clone()
                    };
                    match c.antialiasing {
                        0 => Op::Conv(ConvOp::new(c, s.input.c, fused)?.with_winograd(winograd)),
                        kind => Op::BlurredConv(
                            ConvOp::new(&unblurred, s.input.c, fused)?.with_winograd(winograd),
                            conv::blur(kind, c.filters, c.stride_x, c.stride_y),
                        ),
                    }
                }
                LayerKind::Maxpool(p) if s.pre_blur.is_some() => Op::BlurredPool(
                    Pool {
                        stride_x: 1,
                        stride_y: 1,
                        antialiasing: 0,
                        ..p.clone()
                    },
                    conv::blur(p.antialiasing, s.output.c, p.stride_x, p.stride_y),
                ),
                LayerKind::Maxpool(p) => Op::Pool(p.clone(), false),
                LayerKind::LocalAvgpool(p) => Op::Pool(p.clone(), true),
                LayerKind::Avgpool(_) => Op::Avgpool,
                LayerKind::Route(r) => Op::Route {
                    groups: r.groups,
                    group_id: r.group_id,
                },
                LayerKind::Shortcut(sc) => {
                    Op::Shortcut(sc.clone(), floats(w, &lw.weights, (i, "weights"))?)
                }
                LayerKind::Upsample(u) => Op::Upsample {
                    stride: u.stride,
                    scale: u.scale,
                },
                LayerKind::Reorg(r) => Op::Reorg {
                    stride: r.stride,
                    reverse: r.reverse,
                    old: true,
                },
                LayerKind::Reorg3d(r) => Op::Reorg {
                    stride: r.stride,
                    reverse: r.reverse,
                    old: false,
                },
                LayerKind::ScaleChannels(sc) => Op::ScaleChannels {
                    scale_wh: sc.scale_wh,
                    act: sc.activation,
                },
                LayerKind::Sam(sc) => Op::Sam(sc.activation),
                LayerKind::Softmax(sm) => Op::Softmax {
                    groups: sm.groups,
                    temperature: sm.temperature,
                },
                LayerKind::Connected(c) => {
                    let f = crate::weights::fused_connected(w, i, s.inputs).ok_or(
                        BackendError::MissingWeights {
                            layer: i,
                            what: "connected weights",
                        },
                    )?;
                    Op::Connected {
                        weights: f.weights,
                        biases: f.biases,
                        act: c.activation,
                    }
                }
                LayerKind::Batchnorm(_) => match &lw.bn {
                    Some([sc, mean, var]) => Op::Batchnorm {
                        biases: floats(w, &lw.biases, (i, "biases"))?,
                        scales: floats(w, sc, (i, "batch-norm scales"))?,
                        mean: floats(w, mean, (i, "rolling mean"))?,
                        var: floats(w, var, (i, "rolling variance"))?,
                    },
                    None => Op::Identity,
                },
                LayerKind::Implicit(_) => Op::Implicit(floats(w, &lw.weights, (i, "values"))?),
                LayerKind::Dropout(_)
                | LayerKind::Empty(_)
                | LayerKind::Cost(_)
                | LayerKind::Contrastive(_) => Op::Identity,
                LayerKind::Activation(a) => Op::Activate(a.activation),
                LayerKind::Crop(_) => Op::Crop,
                // Gaussian_yolo lays its entries out differently (σ per coordinate); not run yet
                LayerKind::Yolo(y) => Op::Yolo(y.clone()),
                LayerKind::Region(r) => Op::Region(r.clone()),
                LayerKind::Local(l) => {
                    if let Some(reason) = l.im2col_mismatch(s.input, s.output) {
                        return Err(BackendError::Invalid { layer: i, reason });
                    }
                    Op::Local(local::LocalOp::new(
                        l,
                        floats(w, &lw.weights, (i, "weights"))?,
                        floats(w, &lw.biases, (i, "biases"))?,
                    ))
                }
                LayerKind::GaussianYolo(_)
                | LayerKind::Detection(_)
                | LayerKind::Rnn(_)
                | LayerKind::Lstm(_)
                | LayerKind::Gru(_)
                | LayerKind::Crnn(_)
                | LayerKind::ConvLstm(_)
                | LayerKind::Deconvolutional(_)
                | LayerKind::Normalization(_)
                | LayerKind::L2norm(_) => return Err(unsupported()),
            };
            ops.push(op);
        }
        // each output lives until its last reader ran; results for the caller stay
        let last_use: Vec<usize> = net
            .last_readers()
            .iter()
            .map(|r| r.unwrap_or(usize::MAX))
            .collect();
        Ok(Self {
            ops,
            shapes: a.shapes.layers.clone(),
            inputs: net.layers.iter().map(|l| l.inputs.clone()).collect(),
            last_use,
            threads: threads.max(1),
            scratch: Scratch::default(),
        })
    }

    /// Runs the network on a CHW input of the network's size, keeping the outputs of the
    /// detection heads and of layers nothing reads.
    pub fn forward(&self, input: &Tensor) -> Result<Forward, BackendError> {
        self.forward_keeping(input, false, self.threads)
    }

    /// Runs the network on every input of a batch: the images run side by side, the threads
    /// shared out between them (each image's values are computed exactly as alone; this is
    /// data parallelism, which keeps every thread busy on layers too small to split well).
    pub fn forward_batch(&self, inputs: &[Tensor]) -> Result<Vec<Forward>, BackendError> {
        use rayon::prelude::*;
        let per = (self.threads / inputs.len().max(1)).max(1);
        let lanes = (self.threads / per).max(1);
        let mut out = Vec::with_capacity(inputs.len());
        for chunk in inputs.chunks(lanes) {
            let done: Vec<Result<Forward, BackendError>> = chunk
                .par_iter()
                .map(|t| self.forward_keeping(t, false, per))
                .collect();
            for f in done {
                out.push(f?);
            }
        }
        Ok(out)
    }

    /// Runs the network keeping every layer's output (for inspection and layer-by-layer tests).
    pub fn forward_all(&self, input: &Tensor) -> Result<Forward, BackendError> {
        self.forward_keeping(input, true, self.threads)
    }

    fn forward_keeping(
        &self,
        input: &Tensor,
        keep_all: bool,
        threads: usize,
    ) -> Result<Forward, BackendError> {
        let want = self.shapes.first().map_or(0, |s| s.inputs);
        if input.data.len() != want {
            return Err(BackendError::InputSize {
                got: (input.w, input.h, input.c),
                want,
            });
        }
        let n = self.ops.len();
        let mut values: Vec<Option<Tensor>> = vec![None; n];
        let mut layer_ms = Vec::with_capacity(n);
        for i in 0..n {
            let t0 = Instant::now();
            let out = {
                let get = |src: &Src| -> Result<&Tensor, BackendError> {
                    match src {
                        Src::Image => Ok(input),
                        Src::Layer(j) => values[*j].as_ref().ok_or_else(|| {
                            BackendError::Internal(format!("layer {i}: input {j} was freed"))
                        }),
                    }
                };
                let ins = self.inputs[i]
                    .iter()
                    .map(get)
                    .collect::<Result<Vec<_>, _>>()?;
                self.run(i, &ins, threads)?
            };
            let s = &self.shapes[i];
            if out.data.len() != s.outputs {
                return Err(BackendError::Internal(format!(
                    "layer {i}: produced {} values, expected {}",
                    out.data.len(),
                    s.outputs
                )));
            }
            values[i] = Some(out);
            for (j, &last) in self.last_use.iter().enumerate().take(i + 1) {
                if !keep_all && last == i && j != i {
                    values[j] = None;
                }
            }
            layer_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        let outputs = values
            .into_iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|t| (i, t)))
            .collect();
        Ok(Forward { outputs, layer_ms })
    }

    fn run(&self, i: usize, ins: &[&Tensor], threads: usize) -> Result<Tensor, BackendError> {
        let s = &self.shapes[i];
        let (oh, ow) = (s.output.h, s.output.w);
        let first = match (ins.first(), &self.ops[i]) {
            (Some(first), _) => *first,
            // learned values, read from nothing
            (None, Op::Implicit(w)) => return Ok(implicit(w)),
            (None, _) => return Err(BackendError::Internal(format!("layer {i}: no input"))),
        };
        Ok(match &self.ops[i] {
            Op::Conv(c) => c.forward(first, threads, &self.scratch)?,
            Op::Pool(p, avg) => pool::pool(first, p, *avg, oh, ow),
            Op::BlurredConv(c, blur) => {
                let host = c.forward(first, threads, &self.scratch)?;
                blur.forward(&host, threads, &self.scratch)?
            }
            Op::BlurredPool(p, blur) => {
                let host = s.pre_blur.unwrap_or(s.output);
                let pooled = pool::pool(first, p, false, host.h, host.w);
                blur.forward(&pooled, threads, &self.scratch)?
            }
            Op::Avgpool => pool::avgpool(first),
            Op::Route { groups, group_id } => ops::route(ins, *groups, *group_id),
            Op::Shortcut(sc, w) => ops::shortcut(first, &ins[1..], sc, w),
            Op::Upsample { stride, scale } => ops::upsample(first, *stride, *scale, oh, ow),
            Op::Reorg {
                stride,
                reverse,
                old,
            } => {
                let (dims, fwd) = if *old {
                    ((first.w, first.h, first.c), *reverse)
                } else {
                    ((ow, oh, s.output.c), *reverse)
                };
                ops::reorg(
                    first,
                    dims.0,
                    dims.1,
                    dims.2,
                    *stride,
                    fwd,
                    (s.output.c, oh, ow),
                )
            }
            Op::ScaleChannels { scale_wh, act } => {
                ops::scale_channels(first, ins.get(1).copied().unwrap_or(first), *scale_wh, *act)
            }
            Op::Sam(act) => ops::sam(first, ins.get(1).copied().unwrap_or(first), *act),
            Op::Softmax {
                groups,
                temperature,
            } => ops::softmax(first, *groups, *temperature),
            Op::Connected {
                weights,
                biases,
                act,
            } => ops::connected(first, weights, biases, *act),
            Op::Batchnorm {
                biases,
                scales,
                mean,
                var,
            } => ops::batchnorm(first, biases, scales, mean, var),
            Op::Implicit(w) => implicit(w),
            Op::Identity => first.clone(),
            Op::Activate(a) => {
                let mut t = first.clone();
                let plane = t.plane().max(1);
                activation::activate(*a, &mut t.data, plane);
                t
            }
            Op::Crop => crop(first, s),
            Op::Yolo(y) => ops::yolo(first, y),
            Op::Region(r) => ops::region(first, r),
            Op::Local(l) => l.forward(first, oh, ow),
        })
    }
}

/// An `[implicit]` layer's output: its learned values as channels of 1 × 1.
fn implicit(w: &[f32]) -> Tensor {
    Tensor {
        c: w.len(),
        h: 1,
        w: 1,
        data: w.to_vec(),
    }
}

/// Darknet's test-time crop: the centre `crop_width × crop_height` window.
fn crop(x: &Tensor, s: &LayerShape) -> Tensor {
    let (oh, ow) = (s.output.h, s.output.w);
    let (dy, dx) = ((x.h - oh) / 2, (x.w - ow) / 2);
    let mut out = Tensor::zeros(x.c, oh, ow);
    for k in 0..x.c {
        for y in 0..oh {
            for xx in 0..ow {
                out.data[(k * oh + y) * ow + xx] = x.data[(k * x.h + y + dy) * x.w + xx + dx];
            }
        }
    }
    out
}
