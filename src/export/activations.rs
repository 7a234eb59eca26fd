//! darknet's activations (src/activations.h) as ONNX nodes: the ones ONNX has as operators
//! with darknet's constants, the rest composed from element-wise operators (gelu with
//! darknet's tanh approximation, not ONNX's erf; mish as softplus·tanh below opset 18), and
//! the per-position normalisations across channels.

use super::builder::{Attr, Graph, Refusal};
use crate::vocab::activation::Activation;

/// darknet's activation `a` on `x` (`[N, C, H, W]`); returns the output's name.
pub(super) fn activation(g: &mut Graph, x: &str, a: Activation) -> Result<String, Refusal> {
    Ok(match a {
        Activation::Linear => x.to_string(),
        // darknet's revleaky computes what leaky does
        Activation::Leaky | Activation::Revleaky => {
            g.op("LeakyRelu", &[x], &[Attr::Float("alpha", 0.1)], "leaky")
        }
        Activation::Relie => g.op("LeakyRelu", &[x], &[Attr::Float("alpha", 0.01)], "relie"),
        Activation::Hardtan => clip(g, x, -1.0, 1.0),
        Activation::Relu => g.op("Relu", &[x], &[], "relu"),
        Activation::Relu6 => clip(g, x, 0.0, 6.0),
        Activation::Logistic => g.op("Sigmoid", &[x], &[], "logistic"),
        Activation::Tanh => g.op("Tanh", &[x], &[], "tanh"),
        Activation::Elu => g.op("Elu", &[x], &[Attr::Float("alpha", 1.0)], "elu"),
        // darknet's constants, not ONNX's longer defaults
        Activation::Selu => g.op(
            "Selu",
            &[x],
            &[Attr::Float("alpha", 1.6732), Attr::Float("gamma", 1.0507)],
            "selu",
        ),
        Activation::Swish => {
            let s = g.op("Sigmoid", &[x], &[], "swish_sig");
            g.op("Mul", &[x, &s], &[], "swish")
        }
        Activation::Mish if g.opset >= 18 => g.op("Mish", &[x], &[], "mish"),
        Activation::Mish => {
            // x · tanh(softplus(x)); darknet's softplus threshold (20) changes nothing in f32
            let sp = g.op("Softplus", &[x], &[], "mish_softplus");
            let t = g.op("Tanh", &[&sp], &[], "mish_tanh");
            g.op("Mul", &[x, &t], &[], "mish")
        }
        Activation::Loggy => {
            // 2 / (1 + e^−x) − 1
            let s = g.op("Sigmoid", &[x], &[], "loggy_sig");
            let twice = affine(g, &s, 2.0, 0.0);
            add_const(g, &twice, -1.0)
        }
        Activation::Ramp => {
            let r = g.op("Relu", &[x], &[], "ramp_relu");
            let tenth = affine(g, x, 0.1, 0.0);
            g.op("Add", &[&r, &tenth], &[], "ramp")
        }
        Activation::Gelu => gelu(g, x),
        Activation::Hardswish => {
            // x · clamp(x + 3, 0, 6) / 6
            let shifted = add_const(g, x, 3.0);
            let c = clip(g, &shifted, 0.0, 6.0);
            let p = g.op("Mul", &[x, &c], &[], "hardswish_mul");
            let six = g.scalar(6.0);
            g.op("Div", &[&p, &six], &[], "hardswish")
        }
        Activation::HardMish => {
            // x > 0: x; x > −2: x²/2 + x; else 0
            let half = affine(g, x, 0.5, 1.0);
            let quad = g.op("Mul", &[x, &half], &[], "hard_mish_quad");
            let zero = g.scalar(0.0);
            let inner = pick(g, x, ("Greater", -2.0), &quad, &zero);
            pick(g, x, ("Greater", 0.0), x, &inner)
        }
        Activation::Plse => {
            // x < −4: 0.01(x + 4); x > 4: 0.01(x − 4) + 1; else 0.125x + 0.5
            let low = affine(g, x, 0.01, 0.04);
            let high = affine(g, x, 0.01, 0.96);
            let mid = affine(g, x, 0.125, 0.5);
            let upper = pick(g, x, ("Greater", 4.0), &high, &mid);
            pick(g, x, ("Less", -4.0), &low, &upper)
        }
        Activation::Lhtan => {
            // x < 0: 0.001x; x > 1: 0.001(x − 1) + 1; else x
            let low = affine(g, x, 0.001, 0.0);
            let high = affine(g, x, 0.001, 0.999);
            let upper = pick(g, x, ("Greater", 1.0), &high, x);
            pick(g, x, ("Less", 0.0), &low, &upper)
        }
        Activation::Stair => stair(g, x),
        Activation::NormalizeChannels => normalize_channels(g, x),
        // the maxval variant differs from softmax only in training
        Activation::NormalizeChannelsSoftmax | Activation::NormalizeChannelsSoftmaxMaxval => {
            channel_softmax(g, x)
        }
    })
}

/// `min(max(x, lo), hi)`.
fn clip(g: &mut Graph, x: &str, lo: f32, hi: f32) -> String {
    let (lo, hi) = (g.scalar(lo), g.scalar(hi));
    g.op("Clip", &[x, &lo, &hi], &[], "clip")
}

/// `a·x + b`.
fn affine(g: &mut Graph, x: &str, a: f32, b: f32) -> String {
    let k = g.scalar(a);
    let y = g.op("Mul", &[x, &k], &[], "scale");
    if b == 0.0 { y } else { add_const(g, &y, b) }
}

/// `x + b`.
fn add_const(g: &mut Graph, x: &str, b: f32) -> String {
    let k = g.scalar(b);
    g.op("Add", &[x, &k], &[], "shift")
}

/// `when(x, t) ? yes : no`, `when` an ONNX comparison (`Greater`, `Less`) against `t`.
fn pick(g: &mut Graph, x: &str, (when, t): (&str, f32), yes: &str, no: &str) -> String {
    let t = g.scalar(t);
    let c = g.op(when, &[x, &t], &[], "cond");
    g.op("Where", &[&c, yes, no], &[], "pick")
}

/// darknet's gelu: 0.5·x·(1 + tanh(0.797885·x + 0.035677·x³)).
fn gelu(g: &mut Graph, x: &str) -> String {
    let sq = g.op("Mul", &[x, x], &[], "gelu_sq");
    let cube = g.op("Mul", &[&sq, x], &[], "gelu_cube");
    let a = affine(g, x, 0.797885, 0.0);
    let b = affine(g, &cube, 0.035677, 0.0);
    let inner = g.op("Add", &[&a, &b], &[], "gelu_inner");
    let t = g.op("Tanh", &[&inner], &[], "gelu_tanh");
    let one_plus = add_const(g, &t, 1.0);
    let half = affine(g, x, 0.5, 0.0);
    g.op("Mul", &[&half, &one_plus], &[], "gelu")
}

/// darknet's stair: n = ⌊x⌋; n even: ⌊x/2⌋, else (x − n) + ⌊x/2⌋.
fn stair(g: &mut Graph, x: &str) -> String {
    let n = g.op("Floor", &[x], &[], "stair_n");
    let half_x = affine(g, x, 0.5, 0.0);
    let base = g.op("Floor", &[&half_x], &[], "stair_half");
    // n is even when ⌊n/2⌋·2 = n
    let half_n = affine(g, &n, 0.5, 0.0);
    let floor_half_n = g.op("Floor", &[&half_n], &[], "stair_half_n");
    let back = affine(g, &floor_half_n, 2.0, 0.0);
    let even = g.op("Equal", &[&back, &n], &[], "stair_even");
    let frac = g.op("Sub", &[x, &n], &[], "stair_frac");
    let odd = g.op("Add", &[&frac, &base], &[], "stair_odd");
    g.op("Where", &[&even, &base, &odd], &[], "stair")
}

/// darknet's normalize_channels: at each position, max(x, 0) over 0.0001 + the sum of
/// max(x, 0) across channels.
fn normalize_channels(g: &mut Graph, x: &str) -> String {
    let r = g.op("Relu", &[x], &[], "norm_relu");
    let sum = g.reduce("ReduceSum", &r, &[1]);
    let sum = add_const(g, &sum, 0.0001);
    g.op("Div", &[&r, &sum], &[], "normalize_channels")
}

/// A softmax across channels at each position (the channel axis moved last: every opset's
/// `Softmax` agrees on the last axis).
fn channel_softmax(g: &mut Graph, x: &str) -> String {
    let t = g.op(
        "Transpose",
        &[x],
        &[Attr::Ints("perm", &[0, 2, 3, 1])],
        "channels_last",
    );
    let s = g.op(
        "Softmax",
        &[&t],
        &[Attr::Int("axis", -1)],
        "channel_softmax",
    );
    g.op(
        "Transpose",
        &[&s],
        &[Attr::Ints("perm", &[0, 3, 1, 2])],
        "channels_first",
    )
}
