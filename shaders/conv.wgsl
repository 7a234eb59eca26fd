// Convolution with bias and activation fused into the epilogue (batch norm is folded into the
// weights on the CPU at load). Rust mirror of `Params`: `ConvParams` in
// src/backend/wgpu/kernels.rs — keep the two in sync (a naga test compares their layouts).
//
// Dispatch: x covers out_h · ⌈out_w/4⌉ invocations, y the channel blocks (or channels).
// `conv_blocked`: ungrouped layers. Each invocation computes 8 output channels × 4 output
// columns of one row (32 accumulators in registers); weights are laid out at load time as two
// vec4 over 8 consecutive output channels: w[(((block·cin + ic)·size + ky)·size + kx)·2 + h].
// `conv_blocked4`: the same with 4 channels (one vec4 per tap, w[((block·cin + ic)·size + ky)·
// size + kx]): half the work per invocation, twice the invocations — better where a real GPU
// would otherwise idle on small layers.
// `conv_grouped`: grouped and depthwise layers, one output channel × 4 columns, weights in
// darknet's layout (one f32 per tap).

struct Params {
    in_c: u32,
    in_h: u32,
    in_w: u32,
    out_c: u32,
    out_h: u32,
    out_w: u32,
    size: u32,
    stride_x: u32,
    stride_y: u32,
    pad: u32,
    dilation: u32,
    groups: u32,
    in_offset: u32,
    out_offset: u32,
    blocks: u32,
    // split-K: the number of input-channel ranges summed by `conv_reduce` (1 = no split)
    splits: u32,
}

// `activate` and the `ACT` override come from activation.wgsl, prepended by the registry.
override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> biases: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> output: array<f32>;
@group(0) @binding(5) var<storage, read> weights_flat: array<f32>;

fn load(c: u32, y: i32, x: i32) -> f32 {
    if (y < 0 || x < 0 || y >= i32(p.in_h) || x >= i32(p.in_w)) {
        return 0.0;
    }
    return input[p.in_offset + (c * p.in_h + u32(y)) * p.in_w + u32(x)];
}

@compute @workgroup_size(WG)
fn conv_blocked(@builtin(global_invocation_id) gid: vec3<u32>) {
    // x: (row, 4-column block) pairs, y: block of 8 output channels (two vec4 per tap)
    let xb = (p.out_w + 3u) / 4u;
    let ox0 = (gid.x % xb) * 4u;
    let oy = gid.x / xb;
    let block = gid.y;
    if (oy >= p.out_h || block >= p.blocks) {
        return;
    }
    var lo: array<vec4<f32>, 4>;
    var hi: array<vec4<f32>, 4>;
    for (var i = 0u; i < 4u; i++) {
        lo[i] = vec4<f32>(0.0);
        hi[i] = vec4<f32>(0.0);
    }
    let iy0 = i32(oy * p.stride_y) - i32(p.pad);
    let ix0 = i32(ox0 * p.stride_x) - i32(p.pad);
    for (var ic = 0u; ic < p.in_c; ic++) {
        let plane = p.in_offset + ic * p.in_h * p.in_w;
        for (var ky = 0u; ky < p.size; ky++) {
            let iy = iy0 + i32(ky * p.dilation);
            if (iy < 0 || iy >= i32(p.in_h)) {
                continue;
            }
            let row = plane + u32(iy) * p.in_w;
            for (var kx = 0u; kx < p.size; kx++) {
                let wi = (((block * p.in_c + ic) * p.size + ky) * p.size + kx) * 2u;
                let w0 = weights[wi];
                let w1 = weights[wi + 1u];
                for (var i = 0u; i < 4u; i++) {
                    let ix = ix0 + i32(i * p.stride_x + kx * p.dilation);
                    if (ix >= 0 && ix < i32(p.in_w)) {
                        let v = input[row + u32(ix)];
                        lo[i] += w0 * v;
                        hi[i] += w1 * v;
                    }
                }
            }
        }
    }
    let b0 = biases[block * 2u];
    let b1 = biases[block * 2u + 1u];
    for (var j = 0u; j < 8u; j++) {
        let oc = block * 8u + j;
        if (oc >= p.out_c) {
            break;
        }
        for (var i = 0u; i < 4u; i++) {
            let ox = ox0 + i;
            if (ox < p.out_w) {
                var v: f32;
                if (j < 4u) {
                    v = lo[i][j] + b0[j];
                } else {
                    v = hi[i][j - 4u] + b1[j - 4u];
                }
                output[p.out_offset + (oc * p.out_h + oy) * p.out_w + ox] = activate(v);
            }
        }
    }
}

@compute @workgroup_size(WG)
fn conv_blocked4(@builtin(global_invocation_id) gid: vec3<u32>) {
    // x: (row, 4-column block) pairs, y: block of 4 output channels (weights: one vec4 per tap)
    let xb = (p.out_w + 3u) / 4u;
    let ox0 = (gid.x % xb) * 4u;
    let oy = gid.x / xb;
    let block = gid.y;
    if (oy >= p.out_h || block >= p.blocks) {
        return;
    }
    var acc: array<vec4<f32>, 4>;
    for (var i = 0u; i < 4u; i++) {
        acc[i] = vec4<f32>(0.0);
    }
    let iy0 = i32(oy * p.stride_y) - i32(p.pad);
    for (var ic = 0u; ic < p.in_c; ic++) {
        for (var ky = 0u; ky < p.size; ky++) {
            let iy = iy0 + i32(ky * p.dilation);
            for (var kx = 0u; kx < p.size; kx++) {
                let w = weights[((block * p.in_c + ic) * p.size + ky) * p.size + kx];
                for (var i = 0u; i < 4u; i++) {
                    let ix = i32((ox0 + i) * p.stride_x + kx * p.dilation) - i32(p.pad);
                    acc[i] += w * load(ic, iy, ix);
                }
            }
        }
    }
    let b = biases[block];
    for (var j = 0u; j < 4u; j++) {
        let oc = block * 4u + j;
        if (oc >= p.out_c) {
            break;
        }
        for (var i = 0u; i < 4u; i++) {
            let ox = ox0 + i;
            if (ox < p.out_w) {
                output[p.out_offset + (oc * p.out_h + oy) * p.out_w + ox] = activate(acc[i][j] + b[j]);
            }
        }
    }
}

@compute @workgroup_size(WG)
fn conv_grouped(@builtin(global_invocation_id) gid: vec3<u32>) {
    // x: (row, 4-column block) pairs, y: output channel
    let xb = (p.out_w + 3u) / 4u;
    let ox0 = (gid.x % xb) * 4u;
    let oy = gid.x / xb;
    let oc = gid.y;
    if (oy >= p.out_h || oc >= p.out_c) {
        return;
    }
    let cg = p.in_c / p.groups;
    let g = oc / (p.out_c / p.groups);
    var acc = vec4<f32>(0.0);
    let iy0 = i32(oy * p.stride_y) - i32(p.pad);
    for (var k = 0u; k < cg; k++) {
        for (var ky = 0u; ky < p.size; ky++) {
            let iy = iy0 + i32(ky * p.dilation);
            for (var kx = 0u; kx < p.size; kx++) {
                let w = weights_flat[((oc * cg + k) * p.size + ky) * p.size + kx];
                for (var i = 0u; i < 4u; i++) {
                    let ix = i32((ox0 + i) * p.stride_x + kx * p.dilation) - i32(p.pad);
                    acc[i] += w * load(g * cg + k, iy, ix);
                }
            }
        }
    }
    let b = biases[oc / 4u][oc % 4u];
    for (var i = 0u; i < 4u; i++) {
        let ox = ox0 + i;
        if (ox < p.out_w) {
            output[p.out_offset + (oc * p.out_h + oy) * p.out_w + ox] = activate(acc[i] + b);
        }
    }
}

// The baseline the blocked kernel is measured against: one output value per invocation,
// weights in darknet's layout. Dispatch: x covers out_h · out_w, y the output channels.
@compute @workgroup_size(WG)
fn conv_naive(@builtin(global_invocation_id) gid: vec3<u32>) {
    let ox = gid.x % p.out_w;
    let oy = gid.x / p.out_w;
    let oc = gid.y;
    if (oy >= p.out_h || oc >= p.out_c) {
        return;
    }
    let cg = p.in_c / p.groups;
    let g = oc / (p.out_c / p.groups);
    var acc = 0.0;
    for (var k = 0u; k < cg; k++) {
        for (var ky = 0u; ky < p.size; ky++) {
            for (var kx = 0u; kx < p.size; kx++) {
                let iy = i32(oy * p.stride_y + ky * p.dilation) - i32(p.pad);
                let ix = i32(ox * p.stride_x + kx * p.dilation) - i32(p.pad);
                acc += weights_flat[((oc * cg + k) * p.size + ky) * p.size + kx] * load(g * cg + k, iy, ix);
            }
        }
    }
    output[p.out_offset + (oc * p.out_h + oy) * p.out_w + ox] = activate(acc + biases[oc / 4u][oc % 4u]);
}

// Implicit-GEMM convolution (an alternative to `conv_blocked`, measured slower so far): C (out_c × out_h·out_w) = W (out_c × K) · X (K ×
// out_h·out_w), K = in_c·size², with the im2col columns of X formed on the fly. A workgroup of
// 16×16 invocations computes a 64 × 64 tile, each invocation 4 channels × 4 pixels, stepping
// through K 16 at a time via workgroup memory. Weights are laid out at load time as K × out_c
// (`weights_flat`, row stride out_c). Dispatch: x = ⌈pixels/64⌉, y = ⌈out_c/64⌉. Ungrouped only.
const TILE: u32 = 64u;
const TK: u32 = 16u;
var<workgroup> tile_w: array<array<f32, 64>, 16>;
var<workgroup> tile_x: array<array<f32, 64>, 16>;

@compute @workgroup_size(16, 16)
fn conv_tiled(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let pixels = p.out_h * p.out_w;
    let kk = p.size * p.size;
    let k_total = p.in_c * kk;
    let n0 = wg.x * TILE;
    let m0 = wg.y * TILE;
    let t = lid.y * 16u + lid.x;
    var acc: array<array<f32, 4>, 4>;
    for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
            acc[i][j] = 0.0;
        }
    }
    for (var k0 = 0u; k0 < k_total; k0 += TK) {
        // 256 invocations load 16 × 64 weights and 16 × 64 input values, 4 each.
        for (var e = 0u; e < 4u; e++) {
            let idx = t * 4u + e;
            let kr = idx / TILE;
            let col = idx % TILE;
            let k = k0 + kr;
            let m = m0 + col;
            var wv = 0.0;
            if (k < k_total && m < p.out_c) {
                wv = weights_flat[k * p.out_c + m];
            }
            tile_w[kr][col] = wv;
            let n = n0 + col;
            var xv = 0.0;
            if (k < k_total && n < pixels) {
                let ic = k / kk;
                let r = k % kk;
                let ky = r / p.size;
                let kx = r % p.size;
                let oy = n / p.out_w;
                let ox = n % p.out_w;
                let iy = i32(oy * p.stride_y + ky * p.dilation) - i32(p.pad);
                let ix = i32(ox * p.stride_x + kx * p.dilation) - i32(p.pad);
                xv = load(ic, iy, ix);
            }
            tile_x[kr][col] = xv;
        }
        workgroupBarrier();
        for (var kr = 0u; kr < TK; kr++) {
            var a: array<f32, 4>;
            var b: array<f32, 4>;
            for (var i = 0u; i < 4u; i++) {
                a[i] = tile_w[kr][lid.y * 4u + i];
                b[i] = tile_x[kr][lid.x * 4u + i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i][j] += a[i] * b[j];
                }
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let oc = m0 + lid.y * 4u + i;
        if (oc >= p.out_c) {
            break;
        }
        let b = biases[oc / 4u][oc % 4u];
        for (var j = 0u; j < 4u; j++) {
            let n = n0 + lid.x * 4u + j;
            if (n < pixels) {
                output[p.out_offset + oc * pixels + n] = activate(acc[i][j] + b);
            }
        }
    }
}

// Split-K for layers with few output positions: invocation z sums input channels
// [z·chunk, (z+1)·chunk) of a 4-channel × 4-column block into `output` (the partial-sums
// buffer, [split][out_c][out_h][out_w]); `conv_reduce` adds the splits, the bias and the
// activation. Weights as `conv_blocked4`.
@compute @workgroup_size(WG)
fn conv_blocked4_split(@builtin(global_invocation_id) gid: vec3<u32>) {
    let xb = (p.out_w + 3u) / 4u;
    let ox0 = (gid.x % xb) * 4u;
    let oy = gid.x / xb;
    let block = gid.y;
    let split = gid.z;
    if (oy >= p.out_h || block >= p.blocks || split >= p.splits) {
        return;
    }
    let chunk = (p.in_c + p.splits - 1u) / p.splits;
    let ic0 = split * chunk;
    let ic1 = min(ic0 + chunk, p.in_c);
    var acc: array<vec4<f32>, 4>;
    for (var i = 0u; i < 4u; i++) {
        acc[i] = vec4<f32>(0.0);
    }
    let iy0 = i32(oy * p.stride_y) - i32(p.pad);
    for (var ic = ic0; ic < ic1; ic++) {
        for (var ky = 0u; ky < p.size; ky++) {
            let iy = iy0 + i32(ky * p.dilation);
            for (var kx = 0u; kx < p.size; kx++) {
                let w = weights[((block * p.in_c + ic) * p.size + ky) * p.size + kx];
                for (var i = 0u; i < 4u; i++) {
                    let ix = i32((ox0 + i) * p.stride_x + kx * p.dilation) - i32(p.pad);
                    acc[i] += w * load(ic, iy, ix);
                }
            }
        }
    }
    let plane = p.out_h * p.out_w;
    for (var j = 0u; j < 4u; j++) {
        let oc = block * 4u + j;
        if (oc >= p.out_c) {
            break;
        }
        for (var i = 0u; i < 4u; i++) {
            let ox = ox0 + i;
            if (ox < p.out_w) {
                output[(split * p.out_c + oc) * plane + oy * p.out_w + ox] = acc[i][j];
            }
        }
    }
}

// Sums the split-K partials (`input`), adds the bias, applies the activation.
@compute @workgroup_size(WG)
fn conv_reduce(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * 65535u * WG;
    let n = p.out_c * p.out_h * p.out_w;
    if (i >= n) {
        return;
    }
    var sum = 0.0;
    for (var s = 0u; s < p.splits; s++) {
        sum += input[s * n + i];
    }
    let oc = i / (p.out_h * p.out_w);
    output[p.out_offset + i] = activate(sum + biases[oc / 4u][oc % 4u]);
}
