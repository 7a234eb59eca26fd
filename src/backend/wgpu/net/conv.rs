//! Convolution recording: each kernel's weights laid out for its access pattern, split-K
//! where a layer is too small to fill a GPU, and the dispatches.

use super::*;
use rayon::prelude::*;

const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE;

/// A convolution's weight buffers by (layer, convolution within the layer, layout): the
/// trial builds of [`GpuNet::fastest`] share them, so each layout of each layer is computed
/// and uploaded once, not once per trial.
pub(super) type Uploads = std::collections::HashMap<(usize, usize, Layout), View>;

/// How a weight buffer is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Layout {
    /// Biases padded to a multiple of 8.
    Biases,
    /// The GEMM kernels' K-major weights, output channels padded to this many.
    KMajor(usize),
    /// The GEMM kernels' im2col taps.
    Taps,
    /// Output channels in blocks of this many.
    Blocks(usize),
    /// darknet's own layout.
    Darknet,
}

/// What every convolution kernel binds.
struct Conv<'a> {
    /// The upload cache's (layer, convolution within the layer).
    slot: (usize, usize),
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
        let slot = self.conv_slot;
        self.conv_slot.1 += 1;
        let biases = self.cached(slot, Layout::Biases, "biases", || {
            let mut bias = vec![0f32; f.div_ceil(8) * 8];
            bias[..f].copy_from_slice(&fused.biases);
            bias
        });
        let conv = Conv {
            slot,
            act,
            geo,
            input,
            biases: &biases,
            out,
        };
        match self.conv_kernel {
            _ if geo.groups > 1 => {
                // one output channel × 4 columns per invocation
                let x_groups = geo.out_h * geo.out_w.div_ceil(4);
                self.conv_darknet_layout(&conv, &fused.weights, Kernel::ConvGrouped, x_groups)
            }
            ConvKernel::Gemm | ConvKernel::GemmSplit => self.conv_gemm(&conv, &fused.weights, 64),
            ConvKernel::Gemm32 | ConvKernel::Gemm32Split => {
                self.conv_gemm(&conv, &fused.weights, 32)
            }
            ConvKernel::Naive => {
                let pixels = geo.out_h * geo.out_w;
                self.conv_darknet_layout(&conv, &fused.weights, Kernel::ConvNaive, pixels)
            }
            ConvKernel::Blocked4 | ConvKernel::Blocked4Split => {
                self.conv_blocked4(&conv, &fused.weights)
            }
            ConvKernel::Blocked => self.conv_blocked(&conv, &fused.weights),
        }
    }

    /// The buffer of `layout` for convolution `slot`: uploaded by an earlier build sharing
    /// this one's uploads, or made and uploaded now.
    fn cached<T: bytemuck::Pod>(
        &mut self,
        slot: (usize, usize),
        layout: Layout,
        label: &str,
        make: impl FnOnce() -> Vec<T>,
    ) -> View {
        let key = (slot.0, slot.1, layout);
        if let Some(view) = self.uploads.get(&key) {
            return view.clone();
        }
        let view = upload(&self.ctx, label, bytemuck::cast_slice(&make()), STORAGE);
        self.uploads.insert(key, view.clone());
        view
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
        let wb = self.cached(c.slot, Layout::KMajor(mpad), "weights", || {
            k_major(weights, f, k, kpad, mpad)
        });
        let taps = self.cached(c.slot, Layout::Taps, "taps", || gemm_taps(&c.geo, kpad));
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

    /// The kernels that read weights in darknet's layout: `conv_naive` (one output per
    /// invocation, the benchmark baseline) and `conv_grouped` (grouped and depthwise layers),
    /// `invocations` per output channel.
    fn conv_darknet_layout(
        &mut self,
        c: &Conv<'_>,
        weights: &[f32],
        kernel: Kernel,
        invocations: u32,
    ) -> Vec<Command> {
        let wb = self.cached(c.slot, Layout::Darknet, "weights", || weights.to_vec());
        vec![self.dispatch(
            kernel,
            c.act,
            bytemuck::bytes_of(&c.geo),
            &[(1, c.input), (3, c.biases), (4, c.out), (5, &wb)],
            [invocations.div_ceil(WG), c.geo.out_c, 1],
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
        let wb = self.cached(c.slot, Layout::Blocks(4), "weights", || {
            channel_blocks(weights, f, cin, size * size, 4)
        });
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
        let wb = self.cached(c.slot, Layout::Blocks(8), "weights", || {
            channel_blocks(weights, f, cin, size * size, 8)
        });
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
}

/// `filters × k` weights (darknet's layout) transposed to `[kpad][mpad]`, zero-padded: in
/// bands of K rows, in parallel, so that each band's strided writes stay in cache (yolov4 has
/// 64 M weights, re-laid out once per kernel the choice tries).
fn k_major(weights: &[f32], filters: usize, k: usize, kpad: usize, mpad: usize) -> Vec<f32> {
    const BAND: usize = 64;
    let mut t = vec![0f32; kpad * mpad];
    t.par_chunks_mut(BAND * mpad)
        .enumerate()
        .for_each(|(band, rows)| {
            let k0 = band * BAND;
            let k1 = (k0 + BAND).min(k);
            for oc in 0..filters {
                for (r, v) in weights[oc * k + k0.min(k1)..oc * k + k1].iter().enumerate() {
                    rows[r * mpad + oc] = *v;
                }
            }
        });
    t
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn network() -> (Analysis, Weights) {
        let cfg = "[net]\nwidth=9\nheight=7\nchannels=3\n\n\
                   [convolutional]\nbatch_normalize=1\nfilters=40\nsize=3\npad=1\nactivation=leaky\n\n\
                   [convolutional]\nfilters=24\nsize=1\nactivation=linear\n";
        let a = crate::analyze("t.cfg", cfg.as_bytes(), Default::default()).unwrap();
        let mut bytes = vec![0u8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        for i in 0..a.profile.weight_floats {
            bytes.extend(((i % 7) as f32 * 0.1 + 0.1).to_le_bytes());
        }
        let w = crate::weights::parse(&bytes, &a.network, &a.shapes).unwrap();
        (a, w)
    }

    #[test]
    fn trial_builds_share_weight_buffers() {
        if std::env::var_os("CSPLENS_SKIP_GPU").is_some() {
            return;
        }
        let ctx = GpuContext::new().expect("a wgpu adapter (install mesa-vulkan-drivers)");
        let (a, w) = network();
        let all = |choice: ConvChoice| vec![choice; a.network.layers.len()];
        let build = |choice, uploads| GpuNet::build(&ctx, &a, &w, &all(choice), true, uploads);
        let first = build((ConvKernel::Gemm, None), Uploads::new()).unwrap();
        // per convolution: biases, K-major weights (40 and 24 channels padded to 64), taps
        assert_eq!(first.uploads.len(), 6);
        // another split count: every buffer reused, the very same ones
        let split = build((ConvKernel::Gemm, Some(2)), first.uploads.clone()).unwrap();
        assert_eq!(split.uploads.len(), 6);
        for (key, view) in &first.uploads {
            assert!(split.uploads[key].buffer == view.buffer, "{key:?}");
        }
        // 32 × 32 tiles: 40 channels pad to 64 again (shared), 24 to 32 (one new layout)
        let gemm32 = build((ConvKernel::Gemm32, None), split.uploads.clone()).unwrap();
        assert_eq!(gemm32.uploads.len(), 7);
        assert!(gemm32.uploads.contains_key(&(1, 0, Layout::KMajor(32))));
        // the same results as a network built from nothing
        let input = Tensor {
            c: 3,
            h: 7,
            w: 9,
            data: (0..189).map(|i| (i % 11) as f32 * 0.1).collect(),
        };
        let fresh =
            GpuNet::with_layer_choices(&ctx, &a, &w, &all((ConvKernel::Gemm32, None)), true)
                .unwrap();
        assert!(
            fresh.uploads.is_empty(),
            "a finished build keeps no spare layouts"
        );
        let (x, y) = (
            fresh.forward(&input).unwrap(),
            gemm32.forward(&input).unwrap(),
        );
        assert_eq!(x.output(1).unwrap().data, y.output(1).unwrap().data);
    }
}
