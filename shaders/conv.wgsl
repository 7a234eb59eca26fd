// Convolution with bias and activation fused into the epilogue (batch norm is folded into the
// weights on the CPU at load). Rust mirror of `Params`: `ConvParams` in
// src/backend/wgpu/kernels.rs — keep the two in sync (a naga test compares their layouts).
//
// Dispatch: x covers out_h · ⌈out_w/4⌉ invocations, y the channel blocks (or channels).
// `conv_blocked` (a benchmark baseline, `wgpu::bench`, as `conv_naive`): ungrouped layers.
// Each invocation computes 8 output channels × 4 output
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
    // a yolo head fused into the epilogue: entries per anchor (classes + 5; 0 = no head),
    // new_coords (1: no logistic) and scale_x_y
    head_per: u32,
    head_new_coords: u32,
    head_scale_x_y: f32,
    // 1: every final value is stored twice, the second time into `output2` at out2_offset (a
    // convolution feeding a concatenation it cannot be placed in: no copy afterwards)
    out2: u32,
    out2_offset: u32,
    // 1: a 2×2, stride-2 max pool fused after the layer (conv_gemm, conv_gemm32, conv_reduce):
    // the pixels run in 2×2 windows, four consecutive ones a window, and each window's
    // largest final value is stored, at the pool's output index
    pool: u32,
    _pad1: u32,
    _pad2: u32,
}

// `activate` and the `ACT` override come from activation.wgsl, prepended by the registry.
override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> input: array<S>;
@group(0) @binding(2) var<storage, read> weights: array<S4>;
@group(0) @binding(3) var<storage, read> biases: array<S4>;
@group(0) @binding(4) var<storage, read_write> output: array<S>;
@group(0) @binding(5) var<storage, read> weights_flat: array<S>;
// conv_gemm: each im2col row k as (ic·in_h·in_w, ky·dilation, kx·dilation, 1), laid out at
// load time so that no invocation divides to find its taps; w = 0 on the padding rows past K
@group(0) @binding(6) var<storage, read> taps: array<vec4<i32>>;
// the second place of the final values (`p.out2` = 1); bound to `output` itself otherwise
@group(0) @binding(7) var<storage, read_write> output2: array<S>;

// Final value `i` of the layer's output (channel-major), stored where the layer lives and,
// with `p.out2`, its second place too.
fn store(i: u32, v: f32) {
    output[p.out_offset + i] = S(v);
    if (p.out2 != 0u) {
        output2[p.out2_offset + i] = S(v);
    }
}

// The epilogue of output channel `oc`: the layer's activation, then the fused yolo head's.
fn finish(oc: u32, v: f32) -> f32 {
    let a = activate(v);
    if (p.head_per == 0u) {
        return a;
    }
    return yolo_entry(a, oc % p.head_per, p.head_new_coords != 0u, p.head_scale_x_y);
}

fn load(c: u32, y: i32, x: i32) -> f32 {
    if (y < 0 || x < 0 || y >= i32(p.in_h) || x >= i32(p.in_w)) {
        return 0.0;
    }
    return f32(input[p.in_offset + (c * p.in_h + u32(y)) * p.in_w + u32(x)]);
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
                let w0 = vec4<f32>(weights[wi]);
                let w1 = vec4<f32>(weights[wi + 1u]);
                for (var i = 0u; i < 4u; i++) {
                    let ix = ix0 + i32(i * p.stride_x + kx * p.dilation);
                    if (ix >= 0 && ix < i32(p.in_w)) {
                        let v = f32(input[row + u32(ix)]);
                        lo[i] += w0 * v;
                        hi[i] += w1 * v;
                    }
                }
            }
        }
    }
    let b0 = vec4<f32>(biases[block * 2u]);
    let b1 = vec4<f32>(biases[block * 2u + 1u]);
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
                store((oc * p.out_h + oy) * p.out_w + ox, finish(oc, v));
            }
        }
    }
}

// Split-K (p.splits > 1): workgroup z sums one range of input channels and writes its
// partial sums (the `output` binding is then the partials buffer, [split][out_c][out_h]
// [out_w]); `conv_reduce` adds the splits, the bias and the activation. Dispatch: x, y as
// above, z = splits.
@compute @workgroup_size(WG)
fn conv_blocked4(@builtin(global_invocation_id) gid: vec3<u32>) {
    // x: (row, 4-column block) pairs, y: block of 4 output channels (weights: one vec4 per tap)
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
                let w = vec4<f32>(weights[((block * p.in_c + ic) * p.size + ky) * p.size + kx]);
                for (var i = 0u; i < 4u; i++) {
                    let ix = i32((ox0 + i) * p.stride_x + kx * p.dilation) - i32(p.pad);
                    acc[i] += w * load(ic, iy, ix);
                }
            }
        }
    }
    let b = vec4<f32>(biases[block]);
    let plane = p.out_h * p.out_w;
    for (var j = 0u; j < 4u; j++) {
        let oc = block * 4u + j;
        if (oc >= p.out_c) {
            break;
        }
        for (var i = 0u; i < 4u; i++) {
            let ox = ox0 + i;
            if (ox >= p.out_w) {
                continue;
            }
            if (p.splits > 1u) {
                output[(split * p.out_c + oc) * plane + oy * p.out_w + ox] = S(acc[i][j]);
            } else {
                store((oc * p.out_h + oy) * p.out_w + ox, finish(oc, acc[i][j] + b[j]));
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
                let w = f32(weights_flat[((oc * cg + k) * p.size + ky) * p.size + kx]);
                for (var i = 0u; i < 4u; i++) {
                    let ix = i32((ox0 + i) * p.stride_x + kx * p.dilation) - i32(p.pad);
                    acc[i] += w * load(g * cg + k, iy, ix);
                }
            }
        }
    }
    let b = vec4<f32>(biases[oc / 4u])[oc % 4u];
    for (var i = 0u; i < 4u; i++) {
        let ox = ox0 + i;
        if (ox < p.out_w) {
            store((oc * p.out_h + oy) * p.out_w + ox, finish(oc, acc[i] + b));
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
                acc += f32(weights_flat[((oc * cg + k) * p.size + ky) * p.size + kx]) * load(g * cg + k, iy, ix);
            }
        }
    }
    store((oc * p.out_h + oy) * p.out_w + ox, finish(oc, acc + vec4<f32>(biases[oc / 4u])[oc % 4u]));
}

// Implicit-GEMM convolution: C (out_c × pixels) = W (out_c × K) · X (K × pixels), K =
// in_c·size², the im2col columns of X formed on the fly. A workgroup of 8 × 8 invocations
// computes a 64 × 64 tile, each invocation 8 channels × 8 pixels in sixteen named vec4
// accumulators (no arrays indexed in loops, which drivers may keep in memory instead of
// registers), stepping through K 16 at a time via workgroup memory: per step 4 vec4 reads of
// workgroup memory feed 64 FMAs; the im2col rows' taps come from a table (`taps`), so loading
// a value costs no division. Weights are laid out at load time K-major and padded,
// [⌈K/16⌉·16][blocks·4] with blocks·4 = out_c rounded up to 64, so their tile loads are vec4
// and unguarded. The next K tile is loaded into registers while the current one is multiplied
// (software pipelining). Split-K: workgroup z sums one range of K tiles into a partial output that
// `conv_reduce` adds up (splits = 1: bias and activation here).
// Dispatch: x = ⌈pixels/64⌉, y = blocks/16, z = splits. Ungrouped only.
const GK: u32 = 16u;
// The tiles and accumulators are `A4` (the prelude's accumulation type: f32, or f16 as a
// measured option with f16 storage); the epilogue works in f32.
var<workgroup> gemm_w: array<A4, 256>;
var<workgroup> gemm_x: array<A4, 256>;

// Element v of a W tile `width` vec4 wide (16 rows): 4 output channels of one K row.
fn w_row(k0: u32, m0: u32, v: u32, width: u32) -> A4 {
    return A4(weights[(k0 + v / width) * p.blocks + m0 / 4u + v % width]);
}

// Row k of the X tile (the im2col values) at the four pixels of q: 0 outside the image, past
// the pixels (`q.ok`) or past K. One taps read serves the four.
fn x_quad(k: u32, q: Quad) -> A4 {
    let t = taps[k];
    let iy = q.y0 + vec4<i32>(t.y);
    let ix = q.x0 + vec4<i32>(t.z);
    let zero = vec4<i32>(0);
    let inside = q.ok & (iy >= zero) & (ix >= zero) & (iy < vec4<i32>(i32(p.in_h)))
        & (ix < vec4<i32>(i32(p.in_w)));
    let at = vec4<i32>(t.x + i32(p.in_offset)) + iy * i32(p.in_w) + ix;
    var v = A4(0.0);
    if (t.w != 0) {
        if (inside.x) { v.x = A(input[u32(at.x)]); }
        if (inside.y) { v.y = A(input[u32(at.y)]); }
        if (inside.z) { v.z = A(input[u32(at.z)]); }
        if (inside.w) { v.w = A(input[u32(at.w)]); }
    }
    return v;
}

// The K tiles [x, y) of split z.
fn split_range(z: u32) -> vec2<u32> {
    let k_tiles = (p.in_c * p.size * p.size + GK - 1u) / GK;
    let per_split = (k_tiles + p.splits - 1u) / p.splits;
    let t0 = z * per_split;
    return vec2<u32>(t0, min(t0 + per_split, k_tiles));
}

// Four consecutive output pixels from n: which exist, and where their windows start.
struct Quad {
    ok: vec4<bool>,
    y0: vec4<i32>,
    x0: vec4<i32>,
}

fn pixel_quad(n: u32) -> Quad {
    let nv = vec4<u32>(n) + vec4<u32>(0u, 1u, 2u, 3u);
    let pad = vec4<i32>(i32(p.pad));
    // row-major, or (fused pool) window by window: pixel n is corner n % 4 of window n / 4
    var y = nv / vec4<u32>(p.out_w);
    var x = nv % vec4<u32>(p.out_w);
    if (p.pool != 0u) {
        let win = nv / vec4<u32>(4u);
        let corner = nv % vec4<u32>(4u);
        let across = vec4<u32>(p.out_w / 2u);
        y = (win / across) * 2u + corner / vec4<u32>(2u);
        x = (win % across) * 2u + corner % vec4<u32>(2u);
    }
    return Quad(
        nv < vec4<u32>(p.out_h * p.out_w),
        vec4<i32>(y * p.stride_y) - pad,
        vec4<i32>(x * p.stride_x) - pad,
    );
}

@compute @workgroup_size(8, 8)
fn conv_gemm(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let ks = split_range(wg.z);
    let t0 = ks.x;
    let t1 = ks.y;
    let n0 = wg.x * 64u;
    let m0 = wg.y * 64u;
    let t = lid.y * 8u + lid.x;
    // this invocation's loads: 4 consecutive pixels of 4 K rows (t/16 + 4j) of the X tile
    let g = t % 16u;
    let row = t / 16u;
    let q = pixel_quad(n0 + g * 4u);
    var c00 = A4(0.0); var c01 = A4(0.0);
    var c10 = A4(0.0); var c11 = A4(0.0);
    var c20 = A4(0.0); var c21 = A4(0.0);
    var c30 = A4(0.0); var c31 = A4(0.0);
    var c40 = A4(0.0); var c41 = A4(0.0);
    var c50 = A4(0.0); var c51 = A4(0.0);
    var c60 = A4(0.0); var c61 = A4(0.0);
    var c70 = A4(0.0); var c71 = A4(0.0);
    // software pipelining: tile kt + 1 is loaded into registers while tile kt is multiplied
    // from workgroup memory, so the global loads' latency hides behind the FMAs
    var wr0 = A4(0.0); var wr1 = A4(0.0);
    var wr2 = A4(0.0); var wr3 = A4(0.0);
    var xr0 = A4(0.0); var xr1 = A4(0.0);
    var xr2 = A4(0.0); var xr3 = A4(0.0);
    if (t0 < t1) {
        let k0 = t0 * GK;
        wr0 = w_row(k0, m0, t, 16u); wr1 = w_row(k0, m0, t + 64u, 16u);
        wr2 = w_row(k0, m0, t + 128u, 16u); wr3 = w_row(k0, m0, t + 192u, 16u);
        xr0 = x_quad(k0 + row, q); xr1 = x_quad(k0 + row + 4u, q);
        xr2 = x_quad(k0 + row + 8u, q); xr3 = x_quad(k0 + row + 12u, q);
    }
    for (var kt = t0; kt < t1; kt++) {
        // W tile: 16 rows × 16 vec4, four per invocation, consecutive invocations consecutive
        gemm_w[t] = wr0; gemm_w[t + 64u] = wr1; gemm_w[t + 128u] = wr2; gemm_w[t + 192u] = wr3;
        gemm_x[row * 16u + g] = xr0; gemm_x[(row + 4u) * 16u + g] = xr1;
        gemm_x[(row + 8u) * 16u + g] = xr2; gemm_x[(row + 12u) * 16u + g] = xr3;
        workgroupBarrier();
        if (kt + 1u < t1) {
            let k0 = (kt + 1u) * GK;
            wr0 = w_row(k0, m0, t, 16u); wr1 = w_row(k0, m0, t + 64u, 16u);
            wr2 = w_row(k0, m0, t + 128u, 16u); wr3 = w_row(k0, m0, t + 192u, 16u);
            xr0 = x_quad(k0 + row, q); xr1 = x_quad(k0 + row + 4u, q);
            xr2 = x_quad(k0 + row + 8u, q); xr3 = x_quad(k0 + row + 12u, q);
        }
        for (var k = 0u; k < GK; k++) {
            let a0 = gemm_w[k * 16u + lid.y * 2u];
            let a1 = gemm_w[k * 16u + lid.y * 2u + 1u];
            let b0 = gemm_x[k * 16u + lid.x * 2u];
            let b1 = gemm_x[k * 16u + lid.x * 2u + 1u];
            c00 += a0.x * b0; c01 += a0.x * b1;
            c10 += a0.y * b0; c11 += a0.y * b1;
            c20 += a0.z * b0; c21 += a0.z * b1;
            c30 += a0.w * b0; c31 += a0.w * b1;
            c40 += a1.x * b0; c41 += a1.x * b1;
            c50 += a1.y * b0; c51 += a1.y * b1;
            c60 += a1.z * b0; c61 += a1.z * b1;
            c70 += a1.w * b0; c71 += a1.w * b1;
        }
        workgroupBarrier();
    }
    let m = m0 + lid.y * 8u;
    let n = n0 + lid.x * 8u;
    gemm_store(m, n, wg.z, vec4<f32>(c00)); gemm_store(m, n + 4u, wg.z, vec4<f32>(c01));
    gemm_store(m + 1u, n, wg.z, vec4<f32>(c10)); gemm_store(m + 1u, n + 4u, wg.z, vec4<f32>(c11));
    gemm_store(m + 2u, n, wg.z, vec4<f32>(c20)); gemm_store(m + 2u, n + 4u, wg.z, vec4<f32>(c21));
    gemm_store(m + 3u, n, wg.z, vec4<f32>(c30)); gemm_store(m + 3u, n + 4u, wg.z, vec4<f32>(c31));
    gemm_store(m + 4u, n, wg.z, vec4<f32>(c40)); gemm_store(m + 4u, n + 4u, wg.z, vec4<f32>(c41));
    gemm_store(m + 5u, n, wg.z, vec4<f32>(c50)); gemm_store(m + 5u, n + 4u, wg.z, vec4<f32>(c51));
    gemm_store(m + 6u, n, wg.z, vec4<f32>(c60)); gemm_store(m + 6u, n + 4u, wg.z, vec4<f32>(c61));
    gemm_store(m + 7u, n, wg.z, vec4<f32>(c70)); gemm_store(m + 7u, n + 4u, wg.z, vec4<f32>(c71));
}

// Four pixels of channel `oc` from `n`: with bias and activation, or as split z's partial.
// With a fused pool (n a multiple of 4, the pixels one window), their largest final value.
fn gemm_store(oc: u32, n: u32, split: u32, v: vec4<f32>) {
    let pixels = p.out_h * p.out_w;
    if (oc >= p.out_c) {
        return;
    }
    let b = vec4<f32>(biases[oc / 4u])[oc % 4u];
    if (p.pool != 0u && p.splits <= 1u) {
        if (n >= pixels) {
            return;
        }
        let best = max(max(finish(oc, v.x + b), finish(oc, v.y + b)),
                       max(finish(oc, v.z + b), finish(oc, v.w + b)));
        store(oc * (pixels / 4u) + n / 4u, best);
        return;
    }
    for (var j = 0u; j < 4u; j++) {
        if (n + j >= pixels) {
            return;
        }
        if (p.splits > 1u) {
            output[(split * p.out_c + oc) * pixels + n + j] = S(v[j]);
        } else {
            store(oc * pixels + n + j, finish(oc, v[j] + b));
        }
    }
}

// `conv_gemm` with 32 × 32 tiles, each invocation 4 channels × 4 pixels: a quarter of the
// work per workgroup and four times the workgroups, for layers too small to fill a GPU with
// 64 × 64 tiles (few channels, or few pixels). Same weights layout (blocks·4 = out_c rounded
// up to 32 at least), taps table and split-K partials.
// Dispatch: x = ⌈pixels/32⌉, y = blocks/8, z = splits.
var<workgroup> g32_w: array<A4, 128>;
var<workgroup> g32_x: array<A4, 128>;

@compute @workgroup_size(8, 8)
fn conv_gemm32(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let ks = split_range(wg.z);
    let t0 = ks.x;
    let t1 = ks.y;
    let n0 = wg.x * 32u;
    let m0 = wg.y * 32u;
    let t = lid.y * 8u + lid.x;
    // this invocation's loads: 4 consecutive pixels of K rows t/8 and t/8 + 8 of the X tile
    let g = t % 8u;
    let row = t / 8u;
    let q = pixel_quad(n0 + g * 4u);
    var c0 = A4(0.0);
    var c1 = A4(0.0);
    var c2 = A4(0.0);
    var c3 = A4(0.0);
    var wr0 = A4(0.0); var wr1 = A4(0.0);
    var xr0 = A4(0.0); var xr1 = A4(0.0);
    if (t0 < t1) {
        let k0 = t0 * GK;
        wr0 = w_row(k0, m0, t, 8u); wr1 = w_row(k0, m0, t + 64u, 8u);
        xr0 = x_quad(k0 + row, q); xr1 = x_quad(k0 + row + 8u, q);
    }
    for (var kt = t0; kt < t1; kt++) {
        // W tile: 16 rows × 8 vec4, two per invocation; X tile: 16 rows × 8 pixel quads
        g32_w[t] = wr0; g32_w[t + 64u] = wr1;
        g32_x[row * 8u + g] = xr0; g32_x[(row + 8u) * 8u + g] = xr1;
        workgroupBarrier();
        if (kt + 1u < t1) {
            let k0 = (kt + 1u) * GK;
            wr0 = w_row(k0, m0, t, 8u); wr1 = w_row(k0, m0, t + 64u, 8u);
            xr0 = x_quad(k0 + row, q); xr1 = x_quad(k0 + row + 8u, q);
        }
        for (var k = 0u; k < GK; k++) {
            let a = g32_w[k * 8u + lid.y];
            let b = g32_x[k * 8u + lid.x];
            c0 += a.x * b;
            c1 += a.y * b;
            c2 += a.z * b;
            c3 += a.w * b;
        }
        workgroupBarrier();
    }
    let m = m0 + lid.y * 4u;
    let n = n0 + lid.x * 4u;
    gemm_store(m, n, wg.z, vec4<f32>(c0));
    gemm_store(m + 1u, n, wg.z, vec4<f32>(c1));
    gemm_store(m + 2u, n, wg.z, vec4<f32>(c2));
    gemm_store(m + 3u, n, wg.z, vec4<f32>(c3));
}

// Sums the split-K partials (`input`), adds the bias, applies the activation. With a fused
// pool, invocation i makes pooled value i from the four consecutive partials of its window.
@compute @workgroup_size(WG)
fn conv_reduce(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * 65535u * WG;
    let n = p.out_c * p.out_h * p.out_w;
    if (p.pool != 0u) {
        if (i >= n / 4u) {
            return;
        }
        let oc = i / (p.out_h * p.out_w / 4u);
        let b = vec4<f32>(biases[oc / 4u])[oc % 4u];
        var best = 0.0;
        for (var k = 0u; k < 4u; k++) {
            var sum = 0.0;
            for (var s = 0u; s < p.splits; s++) {
                sum += f32(input[s * n + 4u * i + k]);
            }
            let v = finish(oc, sum + b);
            best = select(max(best, v), v, k == 0u);
        }
        store(i, best);
        return;
    }
    if (i >= n) {
        return;
    }
    var sum = 0.0;
    for (var s = 0u; s < p.splits; s++) {
        sum += f32(input[s * n + i]);
    }
    let oc = i / (p.out_h * p.out_w);
    store(i, finish(oc, sum + vec4<f32>(biases[oc / 4u])[oc % 4u]));
}
