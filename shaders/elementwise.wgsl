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
    // softmax: groups; region: classes
    groups: u32,
    // reorg: 1 = darknet's forward direction; region: 1 = softmax over classes
    flag: u32,
    // region: coordinates per box
    coords: u32,
    // shortcut_resampled, crop: the input's channels, height, width
    in_c: u32,
    in_h: u32,
    in_w: u32,
    // local: kernel side and im2col padding (pixels each side)
    ksize: u32,
    pad: u32,
    // copy_values, zero_values: where the values start in `input` and `output` (values)
    in_offset: u32,
    out_offset: u32,
}

// `activate` and the `ACT` override come from activation.wgsl, prepended by the registry.
override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> input: array<S>;
@group(0) @binding(2) var<storage, read_write> output: array<S>;
// binary layers: the second operand (scale_channels, sam) or per-channel weights
@group(0) @binding(3) var<storage, read> second: array<S>;

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
    output[i] = S(p.scale * f32(input[(c * ih + y / p.stride) * iw + x / p.stride]));
}

// output[i] += input[i] for the first `from_len` values (darknet's flat-index rule).
@compute @workgroup_size(WG)
fn shortcut_add(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    if (i >= p.n || i >= p.from_len) {
        return;
    }
    output[i] = S(f32(output[i]) + f32(input[i]));
}

// output[i] = act(input[i] + second[i]), `second` only for the first `from_len` values: an
// unweighted shortcut's first addition, without copying its first operand.
@compute @workgroup_size(WG)
fn shortcut_sum(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    if (i >= p.n) {
        return;
    }
    var v = f32(input[i]);
    if (i < p.from_len) {
        v += f32(second[i]);
    }
    output[i] = S(activate(v));
}

// darknet's normalize_channels (flag 0) and normalize_channels_softmax (flag 1): across the
// `n / (h·w)` channels of one position, one invocation per position, in place.
@compute @workgroup_size(WG)
fn normalize_channels(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    let plane = p.h * p.w;
    if (i >= plane) {
        return;
    }
    let channels = p.n / plane;
    if (p.flag == 1u) {
        var top = -3.402823e38;
        for (var k = 0u; k < channels; k++) {
            top = max(top, f32(output[k * plane + i]));
        }
        var sum = 0.0;
        for (var k = 0u; k < channels; k++) {
            sum += exp(f32(output[k * plane + i]) - top);
        }
        for (var k = 0u; k < channels; k++) {
            output[k * plane + i] = S(exp(f32(output[k * plane + i]) - top) / sum);
        }
    } else {
        var sum = 0.0001;
        for (var k = 0u; k < channels; k++) {
            sum += max(f32(output[k * plane + i]), 0.0);
        }
        for (var k = 0u; k < channels; k++) {
            output[k * plane + i] = S(max(f32(output[k * plane + i]), 0.0) / sum);
        }
    }
}

// darknet's shortcut_cpu for an input of another W×H (early 2020): integer stride sampling
// over the smaller extents, one invocation per (x, y, k). The shape rule admits only sizes
// whose width and height ratios agree, so distinct (x, y, k) reach distinct outputs.
@compute @workgroup_size(WG)
fn shortcut_resampled(@builtin(global_invocation_id) gid: vec3<u32>) {
    let minw = min(p.in_w, p.w);
    let minh = min(p.in_h, p.h);
    let t = index(gid);
    if (t >= minw * minh * min(p.in_c, p.c)) {
        return;
    }
    let x = t % minw;
    let y = (t / minw) % minh;
    let k = t / (minw * minh);
    let stride = max(p.in_w / max(p.w, 1u), 1u);
    let sample = max(p.w / max(p.in_w, 1u), 1u);
    let o = x * sample + p.w * (y * sample + p.h * k);
    let a = x * stride + p.in_w * (y * stride + p.in_h * k);
    if (o < p.n && a < p.from_len) {
        output[o] = S(f32(output[o]) + f32(input[a]));
    }
}

// darknet's test-time crop: the centre w × h window of each channel.
@compute @workgroup_size(WG)
fn crop(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    if (i >= p.n) {
        return;
    }
    let x = i % p.w;
    let y = (i / p.w) % p.h;
    let k = i / (p.w * p.h);
    let dy = (p.in_h - p.h) / 2u;
    let dx = (p.in_w - p.w) / 2u;
    output[i] = S(f32(input[(k * p.in_h + y + dy) * p.in_w + x + dx]));
}

@compute @workgroup_size(WG)
fn activate_in_place(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    if (i >= p.n) {
        return;
    }
    output[i] = S(activate(f32(output[i])));
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
    output[i] = S(yolo_entry(f32(input[i]), entry, p.new_coords != 0u, p.scale_x_y));
}

// scale_channels: output[i] = from[i] · scale[i / plane] (`second` = from, `input` = scales);
// with flag = 1 (scale_wh) the scale is per position: scale[i % plane]. Then the activation.
@compute @workgroup_size(WG)
fn scale_channels(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    if (i >= p.n) {
        return;
    }
    let plane = p.h * p.w;
    var s = f32(input[i / plane]);
    if (p.flag == 1u) {
        s = f32(input[i % plane]);
    }
    output[i] = S(activate(f32(second[i]) * s));
}

// sam: output[i] = from[i] · previous[i], then the activation.
@compute @workgroup_size(WG)
fn sam(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    if (i >= p.n) {
        return;
    }
    output[i] = S(activate(f32(second[i]) * f32(input[i])));
}

// Weighted shortcut term: output[i] += input[i] · w[channel] (w from `second`, c = 1 for one
// weight per input, else one per channel). Weights are normalised on the CPU at load.
@compute @workgroup_size(WG)
fn axpy_channel(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    if (i >= p.n || i >= p.from_len) {
        return;
    }
    let ch = min(i / (p.h * p.w), p.c - 1u);
    output[i] = S(f32(output[i]) + f32(input[i]) * f32(second[ch]));
}

// output[i] = input[i] · w[channel] (the weighted shortcut's own term).
@compute @workgroup_size(WG)
fn scale_by_channel(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    if (i >= p.n) {
        return;
    }
    let ch = min(i / (p.h * p.w), p.c - 1u);
    output[i] = S(f32(input[i]) * f32(second[ch]));
}

// Softmax over `groups` equal parts, with temperature `scale`: one invocation per part.
@compute @workgroup_size(WG)
fn softmax(@builtin(global_invocation_id) gid: vec3<u32>) {
    let g = index(gid);
    if (g >= p.groups) {
        return;
    }
    let len = p.n / p.groups;
    var largest = -3.402823e38;
    for (var k = 0u; k < len; k++) {
        largest = max(largest, f32(input[g * len + k]));
    }
    var sum = 0.0;
    for (var k = 0u; k < len; k++) {
        sum += exp((f32(input[g * len + k]) - largest) / p.scale);
    }
    for (var k = 0u; k < len; k++) {
        output[g * len + k] = S(exp((f32(input[g * len + k]) - largest) / p.scale) / sum);
    }
}

// darknet's reorg_cpu flat permutation over w × h × c (the dims darknet passes), stride
// `stride`; flag = 1 is darknet's forward direction.
@compute @workgroup_size(WG)
fn reorg(@builtin(global_invocation_id) gid: vec3<u32>) {
    let in_index = index(gid);
    if (in_index >= p.n) {
        return;
    }
    let i = in_index % p.w;
    let j = (in_index / p.w) % p.h;
    let k = in_index / (p.w * p.h);
    let out_c = max(p.c / (p.stride * p.stride), 1u);
    let c2 = k % out_c;
    let offset = k / out_c;
    let w2 = i * p.stride + offset % p.stride;
    let h2 = j * p.stride + offset / p.stride;
    let out_index = w2 + p.w * p.stride * (h2 + p.h * p.stride * c2);
    if (p.flag == 1u) {
        if (out_index < p.from_len) {
            output[out_index] = S(f32(input[in_index]));
        }
    } else if (in_index < p.from_len && out_index < p.n) {
        output[in_index] = S(f32(input[out_index]));
    }
}

// Reverse upsample: each output sums stride × stride inputs, times `scale`.
@compute @workgroup_size(WG)
fn downsample(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    if (i >= p.n) {
        return;
    }
    let x = i % p.w;
    let y = (i / p.w) % p.h;
    let c = i / (p.w * p.h);
    let iw = p.w * p.stride;
    let ih = p.h * p.stride;
    var sum = 0.0;
    for (var dy = 0u; dy < p.stride; dy++) {
        for (var dx = 0u; dx < p.stride; dx++) {
            sum += f32(input[(c * ih + y * p.stride + dy) * iw + x * p.stride + dx]);
        }
    }
    output[i] = S(p.scale * sum);
}

// The region head: logistic on x, y and objectness, softmax over the classes (flag = 1).
// One invocation per (anchor, cell); per = classes + coords + 1.
@compute @workgroup_size(WG)
fn region(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = index(gid);
    let plane = p.h * p.w;
    if (t >= p.stride * plane) {
        return;
    }
    let a = t / plane;
    let cell = t % plane;
    let base = a * p.per * plane + cell;
    for (var e = 0u; e < p.per; e++) {
        output[base + e * plane] = S(f32(input[base + e * plane]));
    }
    for (var e = 0u; e < 2u; e++) {
        output[base + e * plane] = S(logistic(f32(input[base + e * plane])));
    }
    output[base + p.coords * plane] = S(logistic(f32(input[base + p.coords * plane])));
    if (p.flag == 1u) {
        let first = base + (p.coords + 1u) * plane;
        var largest = -3.402823e38;
        for (var k = 0u; k < p.groups; k++) {
            largest = max(largest, f32(input[first + k * plane]));
        }
        var sum = 0.0;
        for (var k = 0u; k < p.groups; k++) {
            sum += exp(f32(input[first + k * plane]) - largest);
        }
        for (var k = 0u; k < p.groups; k++) {
            output[first + k * plane] = S(exp(f32(input[first + k * plane]) - largest) / sum);
        }
    }
}

// [local] (darknet's forward_local_layer): a convolution with its own weights at every output
// position. `second` holds one bias per output value (n of them), then each position's
// c × (ksize²·in_c) matrix, position-major. One invocation per output value.
@compute @workgroup_size(WG)
fn local(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    if (i >= p.n) {
        return;
    }
    let locations = p.h * p.w;
    let j = i % locations;
    let f = i / locations;
    let oy = j / p.w;
    let ox = j % p.w;
    let k = p.ksize * p.ksize * p.in_c;
    let base = p.n + (j * p.c + f) * k;
    var sum = f32(second[i]);
    for (var ch = 0u; ch < p.in_c; ch++) {
        for (var ky = 0u; ky < p.ksize; ky++) {
            let iy = i32(oy * p.stride + ky) - i32(p.pad);
            if (iy < 0 || iy >= i32(p.in_h)) {
                continue;
            }
            for (var kx = 0u; kx < p.ksize; kx++) {
                let ix = i32(ox * p.stride + kx) - i32(p.pad);
                if (ix < 0 || ix >= i32(p.in_w)) {
                    continue;
                }
                let wv = f32(second[base + (ch * p.ksize + ky) * p.ksize + kx]);
                sum += wv * f32(input[(ch * p.in_h + u32(iy)) * p.in_w + u32(ix)]);
            }
        }
    }
    output[i] = S(activate(sum));
}

// `n` values from input[in_offset..] to output[out_offset..]: a route's or an identity layer's
// copy whose byte range is not whole 4-byte words (an odd count of f16 values), which a
// buffer copy cannot take. The bindings start at the buffers' aligned offsets below.
@compute @workgroup_size(WG)
fn copy_values(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    if (i >= p.n) {
        return;
    }
    output[p.out_offset + i] = input[p.in_offset + i];
}

// `n` zeros from output[out_offset..] (a clear whose byte range is not whole words).
@compute @workgroup_size(WG)
fn zero_values(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = index(gid);
    if (i >= p.n) {
        return;
    }
    output[p.out_offset + i] = S(0.0);
}
