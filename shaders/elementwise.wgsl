// Element-wise layers: upsample, shortcut addition, activation, the yolo head's activation.
// Rust mirror of `Params`: `EwParams` in src/backend/wgpu/kernels.rs — keep the two in sync.

struct Params {
    // elements (or channels × height × width of the output for `upsample`)
    n: u32,
    c: u32,
    h: u32,
    w: u32,
    // upsample stride; yolo: anchors in the head
    stride: u32,
    // yolo: values per anchor (classes + 5)
    per: u32,
    // shortcut: values of the added tensor
    from_len: u32,
    new_coords: u32,
    scale: f32,
    scale_x_y: f32,
    _pad0: u32,
    _pad1: u32,
}

override ACT: u32 = 0u;
override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;

fn logistic(x: f32) -> f32 {
    return 1.0 / (1.0 + exp(-x));
}

fn tanh_dk(x: f32) -> f32 {
    return 2.0 / (1.0 + exp(-2.0 * x)) - 1.0;
}

fn activate(x: f32) -> f32 {
    switch ACT {
        case 1u: { return select(0.1 * x, x, x > 0.0); }
        case 2u: { return max(x, 0.0); }
        case 3u: { return logistic(x); }
        case 4u: {
            var sp = x;
            if (x <= 20.0) { sp = select(log(exp(x) + 1.0), exp(x), x < -20.0); }
            return x * tanh_dk(sp);
        }
        case 5u: { return x * logistic(x); }
        case 6u: { return clamp(x, 0.0, 6.0); }
        case 7u: { return tanh_dk(x); }
        default: { return x; }
    }
}

fn index(gid: vec3<u32>) -> u32 {
    return gid.x + gid.y * 65535u * WG;
}

// Nearest-neighbour ×stride, times `scale`.
@compute @workgroup_size(WG)
fn upsample(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    if (i >= p.n) {
        return;
    }
    let x = i % p.w;
    let y = (i / p.w) % p.h;
    let c = i / (p.w * p.h);
    let iw = p.w / p.stride;
    let ih = p.h / p.stride;
    output[i] = p.scale * input[(c * ih + y / p.stride) * iw + x / p.stride];
}

// output[i] += input[i] for the first `from_len` values (darknet's flat-index rule).
@compute @workgroup_size(WG)
fn shortcut_add(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    if (i >= p.n || i >= p.from_len) {
        return;
    }
    output[i] += input[i];
}

@compute @workgroup_size(WG)
fn activate_in_place(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    if (i >= p.n) {
        return;
    }
    output[i] = activate(output[i]);
}

// The yolo head: logistic on x, y, objectness and classes (unless new_coords), then x, y
// scaled by scale_x_y. Reads `input`, writes `output`.
@compute @workgroup_size(WG)
fn yolo(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    if (i >= p.n) {
        return;
    }
    let plane = p.h * p.w;
    let entry = (i / plane) % p.per;
    var v = input[i];
    if (p.new_coords == 0u && entry != 2u && entry != 3u) {
        v = logistic(v);
    }
    if (entry < 2u) {
        v = v * p.scale_x_y - 0.5 * (p.scale_x_y - 1.0);
    }
    output[i] = v;
}
