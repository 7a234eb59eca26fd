//! Convolution recording: each kernel's weights laid out for its access pattern, split-K
//! where a layer is too small to fill a GPU, and the dispatches.

use super::super::kernels::{ConvParams, Kernel, conv_binding as bind};
use super::choice::{Baseline, ConvKernel};
use super::layouts::{Layout, channel_blocks, gemm_taps, k_major};
use super::recorder::Recorder;
use super::view::{Command, View, WG, linear_groups, storage, stored, upload};
use crate::backend::BackendError;
use crate::backend::Model;
use crate::kinds::Conv as ConvLayer;
use crate::kinds::LayerKind;
use crate::weights::{FusedConv, Weights, fused_conv};

const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE;

/// What every convolution kernel binds.
struct Conv<'a> {
    /// The upload cache's (layer, convolution within the layer).
    slot: (usize, usize),
    act: u32,
    geo: ConvParams,
    input: &'a View,
    biases: &'a View,
    out: &'a View,
    /// A second place the final values are stored into (a concatenation's part).
    second: Option<View>,
}

impl Conv<'_> {
    /// `params` storing the final values a second time where there is a second place.
    fn dual(&self, params: ConvParams) -> ConvParams {
        match self.second {
            Some(_) => ConvParams {
                out2: 1,
                out2_offset: 0,
                ..params
            },
            None => params,
        }
    }

    /// The bindings a dispatch writing the final values takes: the output, and the second
    /// place (the output again where there is none; the shader then does not write it).
    fn outputs(&self) -> [(u32, &View); 2] {
        let second = self.second.as_ref().unwrap_or(self.out);
        [(bind::OUTPUT, self.out), (bind::OUTPUT2, second)]
    }
}

/// The kernel a convolution is recorded with.
#[derive(Debug, Clone, Copy)]
enum Code {
    Kernel(ConvKernel),
    Baseline(Baseline),
    /// Grouped and depthwise layers.
    Grouped,
}

impl Recorder<'_> {
    /// A `[convolutional]` layer: its weights (shared with `share_index`'s), a fused yolo
    /// head's epilogue, and the antialiasing blur after it.
    pub(super) fn convolutional(
        &mut self,
        a: Model<'_>,
        w: &Weights,
        i: usize,
        c: &ConvLayer,
        prev: &View,
    ) -> Result<Vec<Command>, BackendError> {
        if c.xnor {
            return Err(BackendError::Unsupported {
                layer: i,
                kind: "XNOR convolutional",
            });
        }
        if let Some(reason) = crate::shape::share_mismatch(a.network, a.shapes, i) {
            return Err(BackendError::Invalid { layer: i, reason });
        }
        let s = a.shapes.layers[i];
        // with a fused max pool it writes the pool's output, its own never
        let pool = self.plan.pools[i];
        let out = self.outputs[pool.unwrap_or(i)].clone();
        // a concatenation this convolution writes a second time (the route copies nothing)
        self.second_place =
            (self.plan.second[i]).map(|(r, at)| self.outputs[r].slice(at, out.bytes));
        let fused = fused_conv(w, c.share_index.unwrap_or(i)).ok_or(BackendError::Unsupported {
            layer: i,
            kind: self.at.kind,
        })?;
        // a fused yolo head (the plan placed this output in the head's region)
        let head = self.heads[i].map(|k| &a.network.layers[k].kind);
        // with antialiasing: at stride 1 into a buffer of its own, then the blur
        let (host, target) = self.before_blur(&s, c.antialiasing, &out);
        let (sx, sy) = match s.pre_blur {
            None => (c.stride_x, c.stride_y),
            Some(_) => (1, 1),
        };
        let geo = ConvParams {
            in_c: s.input.c as u32,
            in_h: s.input.h as u32,
            in_w: s.input.w as u32,
            out_c: c.filters as u32,
            out_h: host.output.h as u32,
            out_w: host.output.w as u32,
            size: c.size as u32,
            stride_x: sx as u32,
            stride_y: sy as u32,
            pad: c.padding as u32,
            dilation: c.dilation as u32,
            groups: c.groups as u32,
            pool: u32::from(pool.is_some()),
            ..head_params(head)
        };
        let (act, post) = self.epilogue(c.activation, &target, &host)?;
        let mut cmds = self.conv(act, &fused, geo, prev, &target)?;
        cmds.extend(post);
        let stride = (c.stride_x, c.stride_y);
        cmds.extend(self.blur(c.antialiasing, stride, &host, &target, &out, &s)?);
        Ok(cmds)
    }

    /// The dispatches of one convolution (or a connected / batchnorm layer expressed as
    /// one): weights laid out for the kernel, biases padded to blocks of 8.
    pub(super) fn conv(
        &mut self,
        act: u32,
        fused: &FusedConv,
        geo: ConvParams,
        input: &View,
        out: &View,
    ) -> Result<Vec<Command>, BackendError> {
        let f = geo.out_c as usize;
        let slot = (self.at.layer, self.at.convs);
        self.at.convs += 1;
        let biases = self.cached_values(slot, Layout::Biases, "biases", || {
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
            // the layer's own convolution only (not an antialiasing blur after it)
            second: self.second_place.take(),
        };
        let code = match self.baseline {
            _ if geo.groups > 1 => Code::Grouped,
            Some(b) => Code::Baseline(b),
            None => Code::Kernel(self.at.choice.kernel),
        };
        match code {
            Code::Grouped => {
                // one output channel × 4 columns per invocation
                let x_groups = geo.out_h * geo.out_w.div_ceil(4);
                self.conv_darknet_layout(&conv, &fused.weights, Kernel::ConvGrouped, x_groups)
            }
            Code::Kernel(ConvKernel::Gemm) => self.conv_gemm(&conv, &fused.weights, 64),
            Code::Kernel(ConvKernel::Gemm32) => self.conv_gemm(&conv, &fused.weights, 32),
            Code::Kernel(ConvKernel::Blocked4) => self.conv_blocked4(&conv, &fused.weights),
            Code::Baseline(Baseline::Naive) => {
                let pixels = geo.out_h * geo.out_w;
                self.conv_darknet_layout(&conv, &fused.weights, Kernel::ConvNaive, pixels)
            }
            Code::Baseline(Baseline::Blocked8) => self.conv_blocked8(&conv, &fused.weights),
        }
    }

    /// The buffer of `layout` for convolution `slot`: uploaded by an earlier build sharing
    /// this one's uploads, or made and uploaded now.
    fn cached(
        &mut self,
        slot: (usize, usize),
        layout: Layout,
        label: &str,
        make: impl FnOnce() -> Vec<u8>,
    ) -> View {
        let key = (slot.0, slot.1, layout);
        let view = match self.uploads.get(&key) {
            Some(view) => view.clone(),
            None => {
                let view = upload(self.ctx, label, &make(), STORAGE);
                self.uploads.insert(key, view.clone());
                view
            }
        };
        // the taps are an index table, not values of the network
        if self.bound.insert(key) && layout != Layout::Taps {
            self.weight_bytes += view.bytes;
        }
        view
    }

    /// [`Self::cached`] for values, stored at the build's precision.
    fn cached_values(
        &mut self,
        slot: (usize, usize),
        layout: Layout,
        label: &str,
        make: impl FnOnce() -> Vec<f32>,
    ) -> View {
        let precision = self.precision;
        self.cached(slot, layout, label, || {
            stored(&make(), precision).into_owned()
        })
    }

    /// How many ranges of K a layer is split into: the choice's count (at most `k`, the
    /// input channels or K tiles there are), else the size rule: on real GPUs, until a layer
    /// launching `invocations` reaches the split threshold, at most `most`.
    fn splits(&mut self, invocations: usize, k: usize, most: usize) -> usize {
        let splits = match self.at.choice.splits {
            Some(s) => s.min(k),
            None if self.ctx.is_software() || invocations >= self.split_below => 1,
            None => self.split_below.div_ceil(invocations).min(most),
        }
        .max(1);
        self.at.splits = splits;
        splits
    }

    /// A split-K convolution's two dispatches: `kernel` writes each range's partial sums,
    /// `conv_reduce` adds them up with the bias and the activation.
    fn split_k(
        &self,
        kernel: Kernel,
        c: &Conv<'_>,
        params: ConvParams,
        bufs: &[(u32, &View)],
        groups: [u32; 2],
    ) -> Result<Vec<Command>, BackendError> {
        let pixels = (c.geo.out_h * c.geo.out_w) as usize;
        let splits = params.splits as usize;
        let partial = View::whole(storage(
            self.ctx,
            "split-K partials",
            (splits * c.geo.out_c as usize * pixels) as u64 * self.precision.bytes(),
        ));
        let mut bufs = bufs.to_vec();
        bufs.extend([(bind::OUTPUT, &partial), (bind::OUTPUT2, &partial)]);
        let split = self.dispatch(
            kernel,
            0,
            bytemuck::bytes_of(&params),
            &bufs,
            [groups[0], groups[1], splits as u32],
        )?;
        let [out, second] = c.outputs();
        let reduce = self.dispatch(
            Kernel::ConvReduce,
            c.act,
            bytemuck::bytes_of(&c.dual(params)),
            &[
                (bind::INPUT, &partial),
                (bind::BIASES, c.biases),
                out,
                second,
            ],
            linear_groups(c.geo.out_c as usize * pixels),
        )?;
        Ok(vec![split, reduce])
    }

    /// One dispatch of a kernel over `bufs` and the output, or split-K's two when
    /// `params.splits` > 1 (the same kernel writes partial sums then).
    fn maybe_split(
        &self,
        kernel: Kernel,
        c: &Conv<'_>,
        params: ConvParams,
        bufs: Vec<(u32, &View)>,
        groups: [u32; 2],
    ) -> Result<Vec<Command>, BackendError> {
        if params.splits > 1 {
            return self.split_k(kernel, c, params, &bufs, groups);
        }
        let mut bufs = bufs;
        bufs.extend(c.outputs());
        Ok(vec![self.dispatch(
            kernel,
            c.act,
            bytemuck::bytes_of(&c.dual(params)),
            &bufs,
            [groups[0], groups[1], 1],
        )?])
    }

    /// The implicit-GEMM kernels (`tile` = 64 or 32 output channels × pixels per workgroup):
    /// weights K-major, padded to 16 rows and `tile` columns.
    fn conv_gemm(
        &mut self,
        c: &Conv<'_>,
        weights: &[f32],
        tile: usize,
    ) -> Result<Vec<Command>, BackendError> {
        let (f, size) = (c.geo.out_c as usize, c.geo.size as usize);
        let k = c.geo.in_c as usize * size * size;
        let (kpad, mpad) = (k.next_multiple_of(16), f.next_multiple_of(tile));
        let wb = self.cached_values(c.slot, Layout::KMajor(mpad), "weights", || {
            k_major(weights, f, k, kpad, mpad)
        });
        let taps = self.cached(c.slot, Layout::Taps, "taps", || {
            bytemuck::cast_slice(&gemm_taps(&c.geo, kpad)).to_vec()
        });
        let pixels = (c.geo.out_h * c.geo.out_w) as usize;
        let groups = [pixels.div_ceil(tile) as u32, (mpad / tile) as u32];
        let k_tiles = kpad / 16;
        let (kernel, least) = match tile {
            64 => (Kernel::ConvGemm, 4),
            _ => (Kernel::ConvGemm32, 8),
        };
        // at least `least` K tiles per split: fewer leave each workgroup too little work
        let invocations = groups[0] as usize * groups[1] as usize * 64;
        let splits = self.splits(invocations, k_tiles, k_tiles / least);
        let params = ConvParams {
            blocks: (mpad / 4) as u32,
            splits: splits as u32,
            ..c.geo
        };
        let bufs = vec![
            (bind::INPUT, c.input),
            (bind::WEIGHTS, &wb),
            (bind::BIASES, c.biases),
            (bind::TAPS, &taps),
        ];
        self.maybe_split(kernel, c, params, bufs, groups)
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
    ) -> Result<Vec<Command>, BackendError> {
        let wb = self.cached_values(c.slot, Layout::Darknet, "weights", || weights.to_vec());
        let [out, second] = c.outputs();
        Ok(vec![self.dispatch(
            kernel,
            c.act,
            bytemuck::bytes_of(&c.dual(c.geo)),
            &[
                (bind::INPUT, c.input),
                (bind::BIASES, c.biases),
                out,
                second,
                (bind::WEIGHTS_FLAT, &wb),
            ],
            [invocations.div_ceil(WG), c.geo.out_c, 1],
        )?])
    }

    /// 4 channels × 4 columns per invocation, split-K on real GPUs where a layer is small.
    fn conv_blocked4(
        &mut self,
        c: &Conv<'_>,
        weights: &[f32],
    ) -> Result<Vec<Command>, BackendError> {
        let (cin, f, size) = (
            c.geo.in_c as usize,
            c.geo.out_c as usize,
            c.geo.size as usize,
        );
        let blocks4 = f.div_ceil(4);
        let wb = self.cached_values(c.slot, Layout::Blocks(4), "weights", || {
            channel_blocks(weights, f, cin, size * size, 4)
        });
        let x_groups = c.geo.out_h * c.geo.out_w.div_ceil(4);
        let splits = self.splits(x_groups as usize * blocks4, cin, cin / 8);
        let params = ConvParams {
            blocks: blocks4 as u32,
            splits: splits as u32,
            ..c.geo
        };
        let groups = [x_groups.div_ceil(WG), blocks4 as u32];
        let bufs = vec![
            (bind::INPUT, c.input),
            (bind::WEIGHTS, &wb),
            (bind::BIASES, c.biases),
        ];
        self.maybe_split(Kernel::ConvBlocked4, c, params, bufs, groups)
    }

    /// 8 channels × 4 columns per invocation (a benchmark baseline).
    fn conv_blocked8(
        &mut self,
        c: &Conv<'_>,
        weights: &[f32],
    ) -> Result<Vec<Command>, BackendError> {
        let (cin, f, size) = (
            c.geo.in_c as usize,
            c.geo.out_c as usize,
            c.geo.size as usize,
        );
        let wb = self.cached_values(c.slot, Layout::Blocks(8), "weights", || {
            channel_blocks(weights, f, cin, size * size, 8)
        });
        let params = ConvParams {
            blocks: f.div_ceil(8) as u32,
            ..c.geo
        };
        let x_groups = c.geo.out_h * c.geo.out_w.div_ceil(4);
        let [out, second] = c.outputs();
        Ok(vec![self.dispatch(
            Kernel::ConvBlocked,
            c.act,
            bytemuck::bytes_of(&c.dual(params)),
            &[
                (bind::INPUT, c.input),
                (bind::WEIGHTS, &wb),
                (bind::BIASES, c.biases),
                out,
                second,
            ],
            [x_groups.div_ceil(WG), params.blocks, 1],
        )?])
    }
}

/// The convolution parameters of a fused yolo head (`kind`), none without one.
fn head_params(kind: Option<&LayerKind>) -> ConvParams {
    match kind {
        Some(LayerKind::Yolo(y)) => ConvParams {
            head_per: (y.classes + 5) as u32,
            head_new_coords: y.new_coords as u32,
            head_scale_x_y: y.scale_x_y,
            ..Default::default()
        },
        _ => ConvParams::default(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::super::super::context::GpuContext;
    use super::super::GpuNet;
    use super::super::choice::{ConvChoice, Recipe};
    use super::super::layouts::Uploads;
    use super::*;
    use crate::Analysis;
    use crate::tensor::Tensor;

    fn network() -> (Analysis, Weights) {
        let cfg = "[net]\nwidth=9\nheight=7\nchannels=3\n\n\
                   [convolutional]\nbatch_normalize=1\nfilters=40\nsize=3\npad=1\nactivation=leaky\n\n\
                   [convolutional]\nfilters=24\nsize=1\nactivation=linear\n";
        let a = crate::analyze("t.cfg", cfg.as_bytes(), Default::default()).unwrap();
        let floats = (0..a.profile.weight_floats).map(|i| (i % 7) as f32 * 0.1 + 0.1);
        let bytes = crate::weights::file_bytes(0, floats);
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
        let build = |choice, uploads| {
            let choices = all(choice);
            let recipe = Recipe {
                choices: &choices,
                baseline: None,
                shared: true,
                precision: crate::backend::Precision::F32,
                accumulate: Default::default(),
                split_below: super::super::choice::SPLIT_BELOW,
            };
            GpuNet::assemble(&ctx, (&a).into(), &w, recipe, uploads).unwrap()
        };
        let (_, first) = build(ConvChoice::rule(ConvKernel::Gemm), Uploads::new());
        // per convolution: biases, K-major weights (40 and 24 channels padded to 64), taps
        assert_eq!(first.len(), 6);
        // another split count: every buffer reused, the very same ones
        let (_, split) = build(ConvChoice::split(ConvKernel::Gemm, 2), first.clone());
        assert_eq!(split.len(), 6);
        for (key, view) in &first {
            assert!(split[key].buffer == view.buffer, "{key:?}");
        }
        // 32 × 32 tiles: 40 channels pad to 64 again (shared), 24 to 32 (one new layout)
        let (gemm32, uploads) = build(ConvChoice::rule(ConvKernel::Gemm32), split.clone());
        assert_eq!(uploads.len(), 7);
        assert!(uploads.contains_key(&(1, 0, Layout::KMajor(32))));
        // the same results as a network built from nothing
        let input = Tensor {
            c: 3,
            h: 7,
            w: 9,
            data: (0..189).map(|i| (i % 11) as f32 * 0.1).collect(),
        };
        let (fresh, _) = build(ConvChoice::rule(ConvKernel::Gemm32), Uploads::new());
        let (x, y) = (
            fresh.forward(&input).unwrap(),
            gemm32.forward(&input).unwrap(),
        );
        assert_eq!(x.output(1).unwrap().data, y.output(1).unwrap().data);
    }
}
