// darknet's element-wise activations (src/activations.h) and the yolo head's, shared by the kernel families that
// apply one in their epilogue: the registry prepends this file to conv.wgsl and
// elementwise.wgsl, so the pipeline's `ACT` override picks the function at compile time.
//
// ACT selects one of the ACT_* constants below (leaky also serves revleaky's forward pass).
// Their Rust names and values: `kernels::act` (a naga test checks both sides). The
// normalize_channels family needs every channel of a position and runs as its own kernel
// (elementwise.wgsl `normalize_channels`).

override ACT: u32 = 0u;

const ACT_LINEAR: u32 = 0u;
const ACT_LEAKY: u32 = 1u;
const ACT_RELU: u32 = 2u;
const ACT_LOGISTIC: u32 = 3u;
const ACT_MISH: u32 = 4u;
const ACT_SWISH: u32 = 5u;
const ACT_RELU6: u32 = 6u;
const ACT_TANH: u32 = 7u;
const ACT_HARD_MISH: u32 = 8u;
const ACT_ELU: u32 = 9u;
const ACT_SELU: u32 = 10u;
const ACT_GELU: u32 = 11u;
const ACT_HARDSWISH: u32 = 12u;
const ACT_LOGGY: u32 = 13u;
const ACT_RELIE: u32 = 14u;
const ACT_RAMP: u32 = 15u;
const ACT_PLSE: u32 = 16u;
const ACT_STAIR: u32 = 17u;
const ACT_HARDTAN: u32 = 18u;
const ACT_LHTAN: u32 = 19u;

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
        case ACT_LEAKY: { return select(0.1 * x, x, x > 0.0); }
        case ACT_RELU: { return max(x, 0.0); }
        case ACT_LOGISTIC: { return logistic(x); }
        case ACT_MISH: { return x * tanh_dk(softplus(x)); }
        case ACT_SWISH: { return x * logistic(x); }
        case ACT_RELU6: { return clamp(x, 0.0, 6.0); }
        case ACT_TANH: { return tanh_dk(x); }
        case ACT_HARD_MISH: {
            if (x > 0.0) { return x; }
            if (x > -2.0) { return x * x / 2.0 + x; }
            return 0.0;
        }
        case ACT_ELU: { return select(expm1(x), x, x >= 0.0); }
        case ACT_SELU: { return select(1.0507 * 1.6732 * expm1(x), 1.0507 * x, x >= 0.0); }
        case ACT_GELU: { return 0.5 * x * (1.0 + tanh(0.797885 * x + 0.035677 * x * x * x)); }
        case ACT_HARDSWISH: { return x * clamp(x + 3.0, 0.0, 6.0) / 6.0; }
        case ACT_LOGGY: { return 2.0 / (1.0 + exp(-x)) - 1.0; }
        case ACT_RELIE: { return select(0.01 * x, x, x > 0.0); }
        case ACT_RAMP: { return select(0.0, x, x > 0.0) + 0.1 * x; }
        case ACT_PLSE: {
            if (x < -4.0) { return 0.01 * (x + 4.0); }
            if (x > 4.0) { return 0.01 * (x - 4.0) + 1.0; }
            return 0.125 * x + 0.5;
        }
        case ACT_STAIR: { return stair(x); }
        case ACT_HARDTAN: { return clamp(x, -1.0, 1.0); }
        case ACT_LHTAN: {
            if (x < 0.0) { return 0.001 * x; }
            if (x > 1.0) { return 0.001 * (x - 1.0) + 1.0; }
            return x;
        }
        default: { return x; }
    }
}
