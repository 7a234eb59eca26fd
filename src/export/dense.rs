//! The kinds with weights of their own beside the convolution: `[connected]` (batch norm
//! folded, as `weights::fused_connected`), `[batchnorm]` (a per-channel affine map),
//! `[implicit]` (learned values broadcast over the batch) and `[local]` (a separate matrix
//! at every output position, darknet's im2col order), each followed by its activation.

use super::activations::activation;
use super::builder::{Attr, Graph, Inputs, Refusal};
use crate::kinds::{Connected, Spatial};
use crate::vocab::shape::LayerShape;
use crate::weights::Weights;

/// `[connected]`: the input flattened (C, H, W order, as darknet reads it), times the
/// `outputs × inputs` matrix, plus the biases, then the activation; `[N, outputs, 1, 1]`.
pub(super) fn connected(
    g: &mut Graph,
    i: usize,
    c: &Connected,
    x: &str,
    shape: &LayerShape,
    w: &Weights,
) -> Result<String, Refusal> {
    let f = crate::weights::fused_connected(w, i, shape.inputs)
        .ok_or("the weights have no matrix of this layer's size")?;
    let outputs = f.biases.len() as i64;
    let flat = g.op("Flatten", &[x], &[Attr::Int("axis", 1)], "flatten");
    let wn = g.f32s(
        &format!("fc{i}_w"),
        &[outputs, shape.inputs as i64],
        &f.weights,
    );
    let bn = g.f32s(&format!("fc{i}_b"), &[outputs], &f.biases);
    let y = g.op(
        "Gemm",
        &[&flat, &wn, &bn],
        &[Attr::Int("transB", 1)],
        &format!("fc{i}"),
    );
    let y = g.reshape(&y, &[-1, outputs, 1, 1]);
    activation(g, &y, c.activation)
}

/// `[batchnorm]` with its rolling statistics: `x·k + b` per channel (no statistics in the
/// file: the input unchanged, as the CPU backend runs it).
pub(super) fn batchnorm(g: &mut Graph, i: usize, x: &str, w: &Weights) -> Result<String, Refusal> {
    let Some(f) = crate::weights::fused_batchnorm(w, i) else {
        return Ok(x.to_string());
    };
    let c = f.biases.len() as i64;
    let k = g.f32s(&format!("bn{i}_scale"), &[1, c, 1, 1], &f.weights);
    let b = g.f32s(&format!("bn{i}_bias"), &[1, c, 1, 1], &f.biases);
    let y = g.op("Mul", &[x, &k], &[], "batchnorm_scale");
    Ok(g.op("Add", &[&y, &b], &[], "batchnorm"))
}

/// `[implicit]`: its learned values as `[N, C, 1, 1]`, one copy per image of the batch.
pub(super) fn implicit(
    g: &mut Graph,
    i: usize,
    shape: &LayerShape,
    w: &Weights,
) -> Result<String, Refusal> {
    let values = (w.layers.get(i))
        .and_then(|lw| w.slice(&lw.weights))
        .ok_or("the weights have no values for it")?;
    let c = shape.output.c;
    if values.len() != c {
        return Err(format!(
            "it holds {} values for {c} channels (atoms > 1): darknet's output would not be {c}×1×1",
            values.len()
        ));
    }
    let v = g.f32s(&format!("implicit{i}"), &[1, c as i64, 1, 1], values);
    // the batch size read from the input at run time
    let dims = g.op("Shape", &["input"], &[], "input_shape");
    let n = g.slice(&dims, 0, 0, 1);
    let rest = g.i64s("implicit_dims", &[c as i64, 1, 1]);
    let target = g.op(
        "Concat",
        &[&n, &rest],
        &[Attr::Int("axis", 0)],
        "implicit_shape",
    );
    Ok(g.op("Expand", &[&v, &target], &[], "implicit"))
}

/// `[local]`: every output position's `filters × (C·size²)` matrix times that position's
/// window (darknet's im2col with `pad` pixels each side), plus a bias per output value, then
/// the activation. The windows are size² strided slices of the padded input, stacked in
/// im2col's (channel, row, column) order; one batched `MatMul` multiplies them.
pub(super) fn local(
    g: &mut Graph,
    i: usize,
    l: &Spatial,
    x: &str,
    ins: &Inputs,
    shape: &LayerShape,
    w: &Weights,
) -> Result<String, Refusal> {
    if let Some(reason) = l.im2col_mismatch(shape.input, shape.output) {
        return Err(reason);
    }
    let lw = w.layers.get(i).ok_or("the weights have no values for it")?;
    let (weights, biases) = (w.slice(&lw.weights), w.slice(&lw.biases));
    let (Some(weights), Some(biases)) = (weights, biases) else {
        return Err("the weights have no values for it".into());
    };
    let (c, _, _) = ins.shapes[0];
    let (oh, ow, f) = (shape.output.h, shape.output.w, l.filters);
    let (size, s, p) = (l.size, l.stride, l.pad as i64);
    let (k, at) = (c * size * size, oh * ow);
    if weights.len() != at * f * k || biases.len() != f * at {
        return Err("the weights do not hold one matrix and bias per position".into());
    }
    let pads = g.i64s("pads", &[0, 0, p, p, 0, 0, p, p]);
    let padded = g.op("Pad", &[x, &pads], &[], "local_pad");
    let mut taps = Vec::with_capacity(size * size);
    for ky in 0..size {
        for kx in 0..size {
            let (starts, ends) = (
                g.i64s("starts", &[ky as i64, kx as i64]),
                g.i64s(
                    "ends",
                    &[
                        (ky + (oh - 1) * s + 1) as i64,
                        (kx + (ow - 1) * s + 1) as i64,
                    ],
                ),
            );
            let (axes, steps) = (
                g.i64s("axes", &[2, 3]),
                g.i64s("steps", &[s as i64, s as i64]),
            );
            let tap = g.op(
                "Slice",
                &[&padded, &starts, &ends, &axes, &steps],
                &[],
                "local_tap",
            );
            taps.push(g.reshape(&tap, &[0, c as i64, 1, (oh * ow) as i64]));
        }
    }
    let refs: Vec<&str> = taps.iter().map(String::as_str).collect();
    // [N, C, size², positions] → [N, positions, 1, C·size²]
    let cols = g.op("Concat", &refs, &[Attr::Int("axis", 2)], "local_cols");
    let cols = g.reshape(&cols, &[0, k as i64, at as i64]);
    let cols = g.op(
        "Transpose",
        &[&cols],
        &[Attr::Ints("perm", &[0, 2, 1])],
        "local_t",
    );
    let cols = g.reshape(&cols, &[0, at as i64, 1, k as i64]);
    // each position's matrix transposed: [positions, C·size², filters]
    let mut m = vec![0f32; weights.len()];
    for j in 0..at {
        for ff in 0..f {
            for kk in 0..k {
                m[(j * k + kk) * f + ff] = weights[(j * f + ff) * k + kk];
            }
        }
    }
    let m = g.f32s(&format!("local{i}_w"), &[at as i64, k as i64, f as i64], &m);
    let y = g.op("MatMul", &[&cols, &m], &[], "local_matmul");
    // [N, positions, 1, filters] → [N, filters, oh, ow]
    let y = g.reshape(&y, &[0, at as i64, f as i64]);
    let y = g.op(
        "Transpose",
        &[&y],
        &[Attr::Ints("perm", &[0, 2, 1])],
        "local_out",
    );
    let y = g.reshape(&y, &[0, f as i64, oh as i64, ow as i64]);
    let b = g.f32s(
        &format!("local{i}_b"),
        &[1, f as i64, oh as i64, ow as i64],
        biases,
    );
    let y = g.op("Add", &[&y, &b], &[], "local");
    activation(g, &y, l.activation)
}
