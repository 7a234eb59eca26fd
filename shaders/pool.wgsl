// Pooling as darknet computes it: total `padding`, window offset −padding/2, out-of-image
// taps skipped. Rust mirror of `Params`: `PoolParams` in src/backend/wgpu/kernels.rs — keep
// the two in sync.

struct Params {
    c: u32,
    in_h: u32,
    in_w: u32,
    out_h: u32,
    out_w: u32,
    size: u32,
    stride_x: u32,
    stride_y: u32,
    pad: u32,
    out_offset: u32,
    // maxpool_depth: the input's channels
    in_c: u32,
    _pad1: u32,
}

override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> input: array<S>;
@group(0) @binding(2) var<storage, read_write> output: array<S>;

// Dispatch: x covers out_h · out_w positions, y the channels.
fn window(gid: vec3<u32>, average: bool) {
    let ox = gid.x % p.out_w;
    let oy = gid.x / p.out_w;
    let c = gid.y;
    if (oy >= p.out_h || c >= p.c) {
        return;
    }
    let off = i32(p.pad / 2u);
    var best = -3.402823e38;
    var sum = 0.0;
    var count = 0u;
    for (var dy = 0u; dy < p.size; dy++) {
        let y = i32(oy * p.stride_y + dy) - off;
        for (var dx = 0u; dx < p.size; dx++) {
            let x = i32(ox * p.stride_x + dx) - off;
            if (y >= 0 && x >= 0 && y < i32(p.in_h) && x < i32(p.in_w)) {
                let v = f32(input[(c * p.in_h + u32(y)) * p.in_w + u32(x)]);
                best = max(best, v);
                sum += v;
                count++;
            }
        }
    }
    let i = p.out_offset + (c * p.out_h + oy) * p.out_w + ox;
    if (average) {
        output[i] = S(sum / f32(max(count, 1u)));
    } else {
        output[i] = S(best);
    }
}

@compute @workgroup_size(WG)
fn max_pool(@builtin(global_invocation_id) gid: vec3<u32>) {
    window(gid, false);
}

@compute @workgroup_size(WG)
fn avg_pool(@builtin(global_invocation_id) gid: vec3<u32>) {
    window(gid, true);
}

// Global average: one invocation per channel.
@compute @workgroup_size(WG)
fn avg_global(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    if (c >= p.c) {
        return;
    }
    let n = p.in_h * p.in_w;
    var sum = 0.0;
    for (var i = 0u; i < n; i++) {
        sum += f32(input[c * n + i]);
    }
    output[p.out_offset + c] = S(sum / f32(n));
}

// maxpool_depth: output channel g is the maximum of input channels g, g + c, g + 2c, … at each
// position. Dispatch: x covers the positions, y the output channels.
@compute @workgroup_size(WG)
fn max_depth(@builtin(global_invocation_id) gid: vec3<u32>) {
    let plane = p.in_h * p.in_w;
    let i = gid.x;
    let g = gid.y;
    if (i >= plane || g >= p.c) {
        return;
    }
    var best = -3.4028235e38;
    for (var k = g; k < p.in_c; k += p.c) {
        best = max(best, f32(input[k * plane + i]));
    }
    output[g * plane + i] = S(best);
}
