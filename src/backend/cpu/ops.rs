//! The weightless layers and the small weighted ones, each as darknet's forward pass computes
//! it (src/*_layer.c, src/blas.c).

use super::activation::{activate, apply};
use crate::kinds::{Region, Shortcut, WeightsType, Yolo};
use crate::tensor::Tensor;
use crate::vocab::activation::Activation;

/// Concatenates channel slices `[group_id·C/groups, (group_id+1)·C/groups)` of each input.
pub fn route(inputs: &[&Tensor], groups: usize, group_id: usize) -> Tensor {
    let first = inputs.first().map_or((0, 0), |t| (t.h, t.w));
    let mut data = Vec::with_capacity(inputs.iter().map(|t| t.data.len() / groups).sum());
    let mut c = 0;
    for t in inputs {
        let part = t.data.len() / groups;
        data.extend_from_slice(&t.data[part * group_id..part * (group_id + 1)]);
        c += t.c / groups;
    }
    Tensor {
        c,
        h: first.0,
        w: first.1,
        data,
    }
}

/// Darknet's `shortcut_multilayer_cpu`: the previous layer plus each `from` layer (flat
/// indices beyond the smaller tensor are left alone), optional per-feature or per-channel
/// weights with their normalisation, then the activation. A `from` of another W×H uses early
/// 2020 darknet's `shortcut_cpu` (integer stride sampling, no weights).
pub fn shortcut(prev: &Tensor, froms: &[&Tensor], s: &Shortcut, weights: &[f32]) -> Tensor {
    let mut out = prev.clone();
    let plane = out.plane().max(1);
    let n = froms.len();
    let layer_step = match s.weights_type {
        WeightsType::None => 0,
        WeightsType::PerFeature => 1,
        WeightsType::PerChannel => out.c,
    };
    let weighted = layer_step > 0 && weights.len() >= layer_step * (n + 1);
    let step = if weighted {
        (out.data.len() / layer_step).max(1)
    } else {
        1
    };
    let normalized = if weighted {
        s.weights_normalization
            .normalize(weights, n + 1, layer_step)
    } else {
        Vec::new()
    };
    let weight = |src_i: usize, i: usize| -> f32 {
        if !weighted {
            return 1.0;
        }
        normalized[src_i / step + i * layer_step]
    };
    if weighted {
        for (id, v) in out.data.iter_mut().enumerate() {
            *v *= weight(id, 0);
        }
    }
    for (i, f) in froms.iter().enumerate() {
        if (f.w, f.h) == (out.w, out.h) {
            let len = f.data.len().min(out.data.len());
            for id in 0..len {
                out.data[id] += f.data[id] * weight(id, i + 1);
            }
        } else {
            add_resampled(&mut out, f);
        }
    }
    activate(s.activation, &mut out.data, plane);
    out
}

/// Early-2020 darknet's `shortcut_cpu` for inputs of another size.
fn add_resampled(out: &mut Tensor, add: &Tensor) {
    let (w1, h1, c1) = (add.w, add.h, add.c);
    let (w2, h2, c2) = (out.w, out.h, out.c);
    let stride = (w1 / w2.max(1)).max(1);
    let sample = (w2 / w1.max(1)).max(1);
    let (minw, minh, minc) = (w1.min(w2), h1.min(h2), c1.min(c2));
    for k in 0..minc {
        for j in 0..minh {
            for i in 0..minw {
                let out_index = i * sample + w2 * (j * sample + h2 * k);
                let add_index = i * stride + w1 * (j * stride + h1 * k);
                if let (Some(o), Some(a)) =
                    (out.data.get(out_index).copied(), add.data.get(add_index))
                {
                    out.data[out_index] = o + a;
                }
            }
        }
    }
}

/// Nearest-neighbour upsampling by `stride`, times `scale`; a negative stride sums
/// `|stride|²` pixels into one (darknet's reverse upsample).
pub fn upsample(x: &Tensor, stride: i64, scale: f32, oh: usize, ow: usize) -> Tensor {
    let mut out = Tensor::zeros(x.c, oh, ow);
    let s = stride.unsigned_abs() as usize;
    for k in 0..x.c {
        if stride > 0 {
            for y in 0..oh {
                for xx in 0..ow {
                    out.data[(k * oh + y) * ow + xx] =
                        scale * x.data[(k * x.h + y / s) * x.w + xx / s];
                }
            }
        } else {
            for y in 0..oh * s {
                for xx in 0..ow * s {
                    out.data[(k * oh + y / s) * ow + xx / s] +=
                        scale * x.data[(k * x.h + y) * x.w + xx];
                }
            }
        }
    }
    out
}

/// Darknet's `reorg_cpu` flat permutation, called with the dims darknet passes.
pub fn reorg(
    x: &Tensor,
    w: usize,
    h: usize,
    c: usize,
    stride: usize,
    forward: bool,
    out_shape: (usize, usize, usize),
) -> Tensor {
    let len = out_shape.0 * out_shape.1 * out_shape.2;
    let mut out = vec![0f32; len];
    let out_c = (c / (stride * stride)).max(1);
    for k in 0..c {
        for j in 0..h {
            for i in 0..w {
                let in_index = i + w * (j + h * k);
                let (c2, offset) = (k % out_c, k / out_c);
                let w2 = i * stride + offset % stride;
                let h2 = j * stride + offset / stride;
                let out_index = w2 + w * stride * (h2 + h * stride * c2);
                // sizes that do not divide by the stride leave darknet's indices out of range
                let (dst, src) = if forward {
                    (out_index, in_index)
                } else {
                    (in_index, out_index)
                };
                if let (Some(d), Some(v)) = (out.get_mut(dst), x.data.get(src)) {
                    *d = *v;
                }
            }
        }
    }
    Tensor {
        c: out_shape.0,
        h: out_shape.1,
        w: out_shape.2,
        data: out,
    }
}

/// `scale_channels`: `from` scaled by the previous layer (per channel, or per position with
/// `scale_wh`), then the activation.
pub fn scale_channels(scales: &Tensor, from: &Tensor, scale_wh: bool, act: Activation) -> Tensor {
    let mut out = from.clone();
    let plane = out.plane().max(1);
    for (i, v) in out.data.iter_mut().enumerate() {
        let s = if scale_wh {
            scales.data.get(i % plane)
        } else {
            scales.data.get(i / plane)
        };
        *v *= s.copied().unwrap_or(1.0);
    }
    activate(act, &mut out.data, plane);
    out
}

/// `sam`: element-wise product of the previous layer and `from`, then the activation.
pub fn sam(prev: &Tensor, from: &Tensor, act: Activation) -> Tensor {
    let mut out = from.clone();
    out.data
        .iter_mut()
        .zip(&prev.data)
        .for_each(|(v, p)| *v *= p);
    let plane = out.plane().max(1);
    activate(act, &mut out.data, plane);
    out
}

/// Softmax over `groups` equal parts of the input, with a temperature.
pub fn softmax(x: &Tensor, groups: usize, temperature: f32) -> Tensor {
    let mut out = x.clone();
    let n = x.data.len() / groups.max(1);
    for part in out.data.chunks_mut(n.max(1)) {
        let max = part.iter().copied().fold(f32::MIN, f32::max);
        let mut sum = 0.0;
        for v in part.iter_mut() {
            *v = ((*v - max) / temperature).exp();
            sum += *v;
        }
        part.iter_mut().for_each(|v| *v /= sum);
    }
    out
}

/// A fully connected layer: `W·x + b` (W is outputs × inputs), then the activation.
pub fn connected(x: &Tensor, weights: &[f32], biases: &[f32], act: Activation) -> Tensor {
    let inputs = x.data.len();
    let data = biases
        .iter()
        .enumerate()
        .map(|(o, b)| {
            apply(
                act,
                b + weights[o * inputs..(o + 1) * inputs]
                    .iter()
                    .zip(&x.data)
                    .map(|(w, v)| w * v)
                    .sum::<f32>(),
            )
        })
        .collect();
    Tensor {
        c: biases.len(),
        h: 1,
        w: 1,
        data,
    }
}

/// Inference batch norm with rolling statistics: `(x−mean)/sqrt(var+1e-6)·scale + bias`.
pub fn batchnorm(x: &Tensor, biases: &[f32], scales: &[f32], mean: &[f32], var: &[f32]) -> Tensor {
    let mut out = x.clone();
    let plane = x.plane();
    for k in 0..x.c {
        let d = (var[k] + 0.000001).sqrt();
        for v in &mut out.data[k * plane..(k + 1) * plane] {
            *v = (*v - mean[k]) / d * scales[k] + biases[k];
        }
    }
    out
}

/// The yolo layer's activation: logistic on x, y, objectness and classes (unless
/// `new_coords`), then x, y scaled by `scale_x_y`.
pub fn yolo(x: &Tensor, y: &Yolo) -> Tensor {
    let mut out = x.clone();
    let plane = x.plane();
    let per = y.classes + 5;
    let logistic = |v: &mut f32| *v = 1.0 / (1.0 + (-*v).exp());
    for n in 0..y.mask.len() {
        let base = n * per * plane;
        if !y.new_coords {
            out.data[base..base + 2 * plane]
                .iter_mut()
                .for_each(logistic);
            out.data[base + 4 * plane..base + per * plane]
                .iter_mut()
                .for_each(logistic);
        }
        let (a, b) = (y.scale_x_y, -0.5 * (y.scale_x_y - 1.0));
        out.data[base..base + 2 * plane]
            .iter_mut()
            .for_each(|v| *v = *v * a + b);
    }
    out
}

/// The region layer's activation: logistic on x, y and objectness, softmax over classes.
pub fn region(x: &Tensor, r: &Region) -> Tensor {
    let mut out = x.clone();
    let plane = x.plane();
    let per = r.classes + r.coords + 1;
    for n in 0..r.num {
        let base = n * per * plane;
        for v in &mut out.data[base..base + 2 * plane] {
            *v = 1.0 / (1.0 + (-*v).exp());
        }
        for v in &mut out.data[base + r.coords * plane..base + (r.coords + 1) * plane] {
            *v = 1.0 / (1.0 + (-*v).exp());
        }
        if r.softmax {
            for i in 0..plane {
                let idx = |k: usize| base + (r.coords + 1 + k) * plane + i;
                let max = (0..r.classes)
                    .map(|k| out.data[idx(k)])
                    .fold(f32::MIN, f32::max);
                let sum: f32 = (0..r.classes).map(|k| (out.data[idx(k)] - max).exp()).sum();
                for k in 0..r.classes {
                    out.data[idx(k)] = (out.data[idx(k)] - max).exp() / sum;
                }
            }
        }
    }
    out
}
