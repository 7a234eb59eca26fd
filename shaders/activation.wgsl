// darknet's element-wise activations (src/activations.h) and the yolo head's, shared by the kernel families that
// apply one in their epilogue: the registry prepends this file to conv.wgsl and
// elementwise.wgsl, so the pipeline's `ACT` override picks the function at compile time.
//
// ACT: 0 linear, 1 leaky (and revleaky), 2 relu, 3 logistic, 4 mish, 5 swish, 6 relu6,
// 7 tanh, 8 hard_mish, 9 elu, 10 selu, 11 gelu, 12 hardswish, 13 loggy, 14 relie, 15 ramp,
// 16 plse, 17 stair, 18 hardtan, 19 lhtan. The normalize_channels family needs every channel
// of a position and runs as its own kernel (elementwise.wgsl `normalize_channels`).

override ACT: u32 = 0u;

fn logistic(x: f32) -> f32 {
    return 1.0 / (1.0 + exp(-x));
}

fn tanh_dk(x: f32) -> f32 {
    return 2.0 / (1.0 + exp(-2.0 * x)) - 1.0;
}

fn softplus(x: f32) -> f32 {
    if (x > 20.0) {
        return x;
    }
    if (x < -20.0) {
        return exp(x);
    }
    return log(exp(x) + 1.0);
}

// exp(x) − 1 without the cancellation near 0 that GPU `exp` precision would amplify.
fn expm1(x: f32) -> f32 {
    if (abs(x) < 0.1) {
        return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x / 120.0))));
    }
    return exp(x) - 1.0;
}

// darknet's stair: floor(x/2) on even steps, plus the fraction on odd ones.
fn stair(x: f32) -> f32 {
    let n = floor(x);
    if (i32(n) % 2 == 0) {
        return floor(x / 2.0);
    }
    return (x - n) + floor(x / 2.0);
}

// darknet's yolo head on one value of entry `entry` (0..classes + 5 of an anchor): logistic on
// x, y, objectness and the classes (not on w and h, and not at all with new_coords, whose
// convolution applies it), then x and y scaled by scale_x_y.
fn yolo_entry(v: f32, entry: u32, new_coords: bool, scale_x_y: f32) -> f32 {
    var h = v;
    if (!new_coords && entry != 2u && entry != 3u) {
        h = logistic(h);
    }
    if (entry < 2u) {
        h = h * scale_x_y - 0.5 * (scale_x_y - 1.0);
    }
    return h;
}

fn activate(x: f32) -> f32 {
    switch ACT {
        case 1u: { return select(0.1 * x, x, x > 0.0); }
        case 2u: { return max(x, 0.0); }
        case 3u: { return logistic(x); }
        case 4u: { return x * tanh_dk(softplus(x)); }
        case 5u: { return x * logistic(x); }
        case 6u: { return clamp(x, 0.0, 6.0); }
        case 7u: { return tanh_dk(x); }
        case 8u: {
            if (x > 0.0) { return x; }
            if (x > -2.0) { return x * x / 2.0 + x; }
            return 0.0;
        }
        case 9u: { return select(expm1(x), x, x >= 0.0); }
        case 10u: { return select(1.0507 * 1.6732 * expm1(x), 1.0507 * x, x >= 0.0); }
        case 11u: { return 0.5 * x * (1.0 + tanh(0.797885 * x + 0.035677 * x * x * x)); }
        case 12u: { return x * clamp(x + 3.0, 0.0, 6.0) / 6.0; }
        case 13u: { return 2.0 / (1.0 + exp(-x)) - 1.0; }
        case 14u: { return select(0.01 * x, x, x > 0.0); }
        case 15u: { return select(0.0, x, x > 0.0) + 0.1 * x; }
        case 16u: {
            if (x < -4.0) { return 0.01 * (x + 4.0); }
            if (x > 4.0) { return 0.01 * (x - 4.0) + 1.0; }
            return 0.125 * x + 0.5;
        }
        case 17u: { return stair(x); }
        case 18u: { return clamp(x, -1.0, 1.0); }
        case 19u: {
            if (x < 0.0) { return 0.001 * x; }
            if (x > 1.0) { return 0.001 * (x - 1.0) + 1.0; }
            return x;
        }
        default: { return x; }
    }
}
