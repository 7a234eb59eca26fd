//! Darknet's activation functions (src/activations.h), element-wise and per-channel.

use crate::vocab::activation::Activation;

fn logistic(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

fn tanh(x: f32) -> f32 {
    2.0 / (1.0 + (-2.0 * x).exp()) - 1.0
}

fn softplus(x: f32, threshold: f32) -> f32 {
    if x > threshold {
        x
    } else if x < -threshold {
        x.exp()
    } else {
        (x.exp() + 1.0).ln()
    }
}

/// One value through an element-wise activation.
pub fn apply(a: Activation, x: f32) -> f32 {
    match a {
        Activation::Linear => x,
        Activation::Logistic => logistic(x),
        Activation::Loggy => 2.0 / (1.0 + (-x).exp()) - 1.0,
        Activation::Relu => x * (x > 0.0) as u8 as f32,
        Activation::Relu6 => x.clamp(0.0, 6.0),
        Activation::Elu => {
            if x >= 0.0 {
                x
            } else {
                x.exp() - 1.0
            }
        }
        Activation::Selu => {
            if x >= 0.0 {
                1.0507 * x
            } else {
                1.0507 * 1.6732 * (x.exp() - 1.0)
            }
        }
        Activation::Gelu => 0.5 * x * (1.0 + (0.797885 * x + 0.035677 * x * x * x).tanh()),
        Activation::Relie => {
            if x > 0.0 {
                x
            } else {
                0.01 * x
            }
        }
        Activation::Ramp => x * (x > 0.0) as u8 as f32 + 0.1 * x,
        Activation::Leaky | Activation::Revleaky => {
            if x > 0.0 {
                x
            } else {
                0.1 * x
            }
        }
        Activation::Tanh => tanh(x),
        Activation::Plse => {
            if x < -4.0 {
                0.01 * (x + 4.0)
            } else if x > 4.0 {
                0.01 * (x - 4.0) + 1.0
            } else {
                0.125 * x + 0.5
            }
        }
        Activation::Stair => {
            let n = x.floor();
            if (n as i64) % 2 == 0 {
                (x / 2.0).floor()
            } else {
                (x - n) + (x / 2.0).floor()
            }
        }
        Activation::Hardtan => x.clamp(-1.0, 1.0),
        Activation::Lhtan => {
            if x < 0.0 {
                0.001 * x
            } else if x > 1.0 {
                0.001 * (x - 1.0) + 1.0
            } else {
                x
            }
        }
        Activation::Swish => x * logistic(x),
        Activation::Mish => x * tanh(softplus(x, 20.0)),
        Activation::HardMish => {
            if x > 0.0 {
                x
            } else if x > -2.0 {
                x * x / 2.0 + x
            } else {
                0.0
            }
        }
        Activation::Hardswish => x * (x + 3.0).clamp(0.0, 6.0) / 6.0,
        Activation::NormalizeChannels
        | Activation::NormalizeChannelsSoftmax
        | Activation::NormalizeChannelsSoftmaxMaxval => x,
    }
}

/// Applies an activation to a CHW buffer with `plane` values per channel.
pub fn activate(a: Activation, data: &mut [f32], plane: usize) {
    match a.across_channels() {
        Some(softmax) => normalize_channels(data, plane, softmax),
        None => add_and_activate(a, data, 0.0),
    }
}

/// `x ← act(x + bias)` over a slice, with the activation chosen once outside the loop so the
/// common ones (linear, leaky, relu) compile to vector code.
#[expect(
    clippy::wildcard_enum_match_arm,
    reason = "fast paths for the common activations; `apply` covers every one exhaustively"
)]
pub fn add_and_activate(a: Activation, data: &mut [f32], bias: f32) {
    fn each(data: &mut [f32], f: impl Fn(f32) -> f32) {
        data.iter_mut().for_each(|x| *x = f(*x));
    }
    match a {
        Activation::Linear => each(data, |x| x + bias),
        Activation::Leaky | Activation::Revleaky => each(data, |x| {
            let v = x + bias;
            v.max(0.1 * v)
        }),
        Activation::Relu => each(data, |x| (x + bias).max(0.0)),
        Activation::Relu6 => each(data, |x| (x + bias).clamp(0.0, 6.0)),
        Activation::Logistic => each(data, |x| logistic(x + bias)),
        Activation::Mish => each(data, |x| {
            let v = x + bias;
            v * tanh(softplus(v, 20.0))
        }),
        Activation::Swish => each(data, |x| {
            let v = x + bias;
            v * logistic(v)
        }),
        other => each(data, |x| apply(other, x + bias)),
    }
}

/// Darknet's per-position normalisation across channels (plain or softmax).
fn normalize_channels(data: &mut [f32], plane: usize, softmax: bool) {
    if plane == 0 {
        return;
    }
    let channels = data.len() / plane;
    for i in 0..plane {
        let idx = |k: usize| k * plane + i;
        if softmax {
            let max = (0..channels).map(|k| data[idx(k)]).fold(f32::MIN, f32::max);
            let sum: f32 = (0..channels).map(|k| (data[idx(k)] - max).exp()).sum();
            for k in 0..channels {
                data[idx(k)] = (data[idx(k)] - max).exp() / sum;
            }
        } else {
            let sum = 0.0001 + (0..channels).map(|k| data[idx(k)].max(0.0)).sum::<f32>();
            for k in 0..channels {
                data[idx(k)] = data[idx(k)].max(0.0) / sum;
            }
        }
    }
}
