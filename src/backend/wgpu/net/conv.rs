//! Convolution recording: each kernel's weights laid out for its access pattern, split-K
//! where a layer is too small to fill a GPU, and the dispatches.

use super::*;

const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE;

/// What every convolution kernel binds.
struct Conv<'a> {
    act: u32,
    geo: ConvParams,
    input: &'a View,
    biases: &'a View,
    out: &'a View,
}

impl GpuNet {
    /// The dispatches of one convolution (or a connected / batchnorm layer expressed as
    /// one): weights laid out for the kernel, biases padded to blocks of 8.
    pub(super) fn conv(
        &mut self,
        act: u32,
        fused: &crate::weights::FusedConv,
        geo: ConvParams,
        input: &View,
        out: &View,
    ) -> Vec<Command> {
        let f = geo.out_c as usize;
        let mut bias = vec![0f32; f.div_ceil(8) * 8];
        bias[..f].copy_from_slice(&fused.biases);
        let biases = upload(&self.ctx, "biases", bytemuck::cast_slice(&bias), STORAGE);
        let conv = Conv {
            act,
            geo,
            input,
            biases: &biases,
            out,
        };
        match self.conv_kernel {
            _ if geo.groups > 1 => self.conv_grouped(&conv, &fused.weights),
            ConvKernel::Gemm | ConvKernel::GemmSplit => self.conv_gemm(&conv, &fused.weights, 64),
            ConvKernel::Gemm32 | ConvKernel::Gemm32Split => {
                self.conv_gemm(&conv, &fused.weights, 32)
            }
            ConvKernel::Naive => self.conv_naive(&conv, &fused.weights),
            ConvKernel::Blocked4 | ConvKernel::Blocked4Split => {
                self.conv_blocked4(&conv, &fused.weights)
            }
            ConvKernel::Blocked => self.conv_blocked(&conv, &fused.weights),
        }
    }

    /// How many input-channel (or K-tile) ranges a layer launching `invocations` is split
    /// into: on real GPUs until it reaches the split threshold, at most `most`.
    fn splits(&self, invocations: usize, most: usize) -> usize {
        if self.ctx.is_software() || invocations >= split_below() {
            return 1;
        }
        split_below().div_ceil(invocations).min(most).max(1)
    }

    /// A split-K convolution: the partial sums of each range, then their sum with bias and
    /// activation.
    fn split_k(
        &mut self,
        kernel: Kernel,
        c: &Conv<'_>,
        params: ConvParams,
        tables: &[&View],
        groups: [u32; 2],
    ) -> Vec<Command> {
        let pixels = (c.geo.out_h * c.geo.out_w) as usize;
        let splits = params.splits as usize;
        let partial = View::whole(storage(
            &self.ctx,
            "split-K partials",
            splits * c.geo.out_c as usize * pixels,
        ));
        // the weights at binding 2; conv_gemm also reads the biases and its taps
        let mut bufs = vec![(1, c.input), (4, &partial)];
        bufs.extend(tables.first().map(|w| (2, *w)));
        if matches!(kernel, Kernel::ConvGemm | Kernel::ConvGemm32) {
            bufs.push((3, c.biases));
            bufs.extend(tables.get(1).map(|t| (6, *t)));
        }
        let split = self.dispatch(
            kernel,
            0,
            bytemuck::bytes_of(&params),
            &bufs,
            [groups[0], groups[1], splits as u32],
        );
        let reduce = self.dispatch(
            Kernel::ConvReduce,
            c.act,
            bytemuck::bytes_of(&params),
            &[(1, &partial), (3, c.biases), (4, c.out)],
            linear_groups(c.geo.out_c as usize * pixels),
        );
        vec![split, reduce]
    }

    /// The implicit-GEMM kernels (`tile` = 64 or 32 output channels × pixels per workgroup):
    /// weights K-major, padded to 16 rows and `tile` columns.
    fn conv_gemm(&mut self, c: &Conv<'_>, weights: &[f32], tile: usize) -> Vec<Command> {
        let (f, size) = (c.geo.out_c as usize, c.geo.size as usize);
        let k = c.geo.in_c as usize * size * size;
        let (kpad, mpad) = (k.next_multiple_of(16), f.next_multiple_of(tile));
        let mut t = vec![0f32; kpad * mpad];
        for oc in 0..f {
            for kk in 0..k {
                t[kk * mpad + oc] = weights[oc * k + kk];
            }
        }
        let wb = upload(&self.ctx, "weights", bytemuck::cast_slice(&t), STORAGE);
        let taps = upload(
            &self.ctx,
            "taps",
            bytemuck::cast_slice(&gemm_taps(&c.geo, kpad)),
            STORAGE,
        );
        let pixels = (c.geo.out_h * c.geo.out_w) as usize;
        let groups = [pixels.div_ceil(tile) as u32, (mpad / tile) as u32];
        let k_tiles = kpad / 16;
        let (kernel, least) = match tile {
            64 => (Kernel::ConvGemm, 4),
            _ => (Kernel::ConvGemm32, 8),
        };
        // at least `least` K tiles per split: fewer leave each workgroup too little work
        let splits = match (self.conv_kernel, self.split) {
            (ConvKernel::GemmSplit | ConvKernel::Gemm32Split, _) => k_tiles.min(3),
            (_, Some(s)) => s.min(k_tiles),
            _ => self.splits(
                groups[0] as usize * groups[1] as usize * 64,
                k_tiles / least,
            ),
        }
        .max(1);
        self.recorded_splits = splits;
        let params = ConvParams {
            blocks: (mpad / 4) as u32,
            splits: splits as u32,
            ..c.geo
        };
        if splits > 1 {
            return self.split_k(kernel, c, params, &[&wb, &taps], groups);
        }
        vec![self.dispatch(
            kernel,
            c.act,
            bytemuck::bytes_of(&params),
            &[
                (1, c.input),
                (2, &wb),
                (3, c.biases),
                (4, c.out),
                (6, &taps),
            ],
            [groups[0], groups[1], 1],
        )]
    }

    /// One output per invocation (the benchmark baseline), weights in darknet's layout.
    fn conv_naive(&mut self, c: &Conv<'_>, weights: &[f32]) -> Vec<Command> {
        let wb = upload(&self.ctx, "weights", bytemuck::cast_slice(weights), STORAGE);
        let pixels = c.geo.out_h * c.geo.out_w;
        vec![self.dispatch(
            Kernel::ConvNaive,
            c.act,
            bytemuck::bytes_of(&c.geo),
            &[(1, c.input), (3, c.biases), (4, c.out), (5, &wb)],
            [pixels.div_ceil(WG), c.geo.out_c, 1],
        )]
    }

    /// 4 channels × 4 columns per invocation, split-K on real GPUs where a layer is small.
    fn conv_blocked4(&mut self, c: &Conv<'_>, weights: &[f32]) -> Vec<Command> {
        let (cin, f, size) = (
            c.geo.in_c as usize,
            c.geo.out_c as usize,
            c.geo.size as usize,
        );
        let blocks4 = f.div_ceil(4);
        let blocked = channel_blocks(weights, f, cin, size * size, 4);
        let wb = upload(
            &self.ctx,
            "weights",
            bytemuck::cast_slice(&blocked),
            STORAGE,
        );
        let x_groups = c.geo.out_h * c.geo.out_w.div_ceil(4);
        let splits = match (self.conv_kernel, self.split) {
            (ConvKernel::Blocked4Split, _) => (cin / 2).clamp(1, 4),
            (_, Some(s)) => s.min(cin),
            _ => self.splits(x_groups as usize * blocks4, cin / 8),
        }
        .max(1);
        self.recorded_splits = splits;
        let params = ConvParams {
            blocks: blocks4 as u32,
            splits: splits as u32,
            ..c.geo
        };
        let groups = [x_groups.div_ceil(WG), blocks4 as u32];
        if splits > 1 {
            return self.split_k(Kernel::ConvBlocked4Split, c, params, &[&wb], groups);
        }
        vec![self.dispatch(
            Kernel::ConvBlocked4,
            c.act,
            bytemuck::bytes_of(&params),
            &[(1, c.input), (2, &wb), (3, c.biases), (4, c.out)],
            [groups[0], groups[1], 1],
        )]
    }

    /// 8 channels × 4 columns per invocation.
    fn conv_blocked(&mut self, c: &Conv<'_>, weights: &[f32]) -> Vec<Command> {
        let (cin, f, size) = (
            c.geo.in_c as usize,
            c.geo.out_c as usize,
            c.geo.size as usize,
        );
        let blocked = channel_blocks(weights, f, cin, size * size, 8);
        let wb = upload(
            &self.ctx,
            "weights",
            bytemuck::cast_slice(&blocked),
            STORAGE,
        );
        let params = ConvParams {
            blocks: f.div_ceil(8) as u32,
            ..c.geo
        };
        let x_groups = c.geo.out_h * c.geo.out_w.div_ceil(4);
        vec![self.dispatch(
            Kernel::ConvBlocked,
            c.act,
            bytemuck::bytes_of(&params),
            &[(1, c.input), (2, &wb), (3, c.biases), (4, c.out)],
            [x_groups.div_ceil(WG), params.blocks, 1],
        )]
    }

    /// Grouped and depthwise layers, weights in darknet's layout.
    fn conv_grouped(&mut self, c: &Conv<'_>, weights: &[f32]) -> Vec<Command> {
        let wb = upload(&self.ctx, "weights", bytemuck::cast_slice(weights), STORAGE);
        let x_groups = c.geo.out_h * c.geo.out_w.div_ceil(4);
        vec![self.dispatch(
            Kernel::ConvGrouped,
            c.act,
            bytemuck::bytes_of(&c.geo),
            &[(1, c.input), (3, c.biases), (4, c.out), (5, &wb)],
            [x_groups.div_ceil(WG), c.geo.out_c, 1],
        )]
    }
}

/// conv_gemm's im2col rows: (ic·in_h·in_w, ky·dilation, kx·dilation, 1) for k = (ic·size +
/// ky)·size + kx, then zero rows up to `rows`.
fn gemm_taps(geo: &ConvParams, rows: usize) -> Vec<[i32; 4]> {
    let (size, plane) = (geo.size as usize, (geo.in_h * geo.in_w) as i32);
    let dil = geo.dilation as i32;
    let mut taps = vec![[0i32; 4]; rows];
    for (k, t) in taps
        .iter_mut()
        .enumerate()
        .take(geo.in_c as usize * size * size)
    {
        let (ic, r) = (k / (size * size), k % (size * size));
        let (ky, kx) = ((r / size) as i32, (r % size) as i32);
        *t = [ic as i32 * plane, ky * dil, kx * dil, 1];
    }
    taps
}

/// Convolution weights (`filters × cin × taps`, darknet's layout) regrouped for the blocked
/// kernels: `[filters/width][cin][tap][width]`, so one invocation reads `width` output channels
/// of a tap as vec4s; filters past the last are zero.
fn channel_blocks(
    weights: &[f32],
    filters: usize,
    cin: usize,
    taps: usize,
    width: usize,
) -> Vec<f32> {
    let mut out = vec![0f32; filters.div_ceil(width) * cin * taps * width];
    for oc in 0..filters {
        for ic in 0..cin {
            for t in 0..taps {
                out[(((oc / width) * cin + ic) * taps + t) * width + oc % width] =
                    weights[(oc * cin + ic) * taps + t];
            }
        }
    }
    out
}
