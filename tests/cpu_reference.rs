//! Every layer kind of the CPU backend against a plain loop implementation written here, on
//! random inputs and random weights of odd sizes. Tolerance: |cpu − naive| ≤ 1e-4·max(1, |naive|)
//! (f32 sums in another order; batch norm folded on one side, applied on the other).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::needless_range_loop)]

mod common;

use common::random::{NET, POOLS_ROUTES_SHORTCUTS, setup};
use csplens::Analysis;
use csplens::backend::cpu::CpuNet;
use csplens::kinds::{LayerKind, Src, WeightsType};
use csplens::tensor::Tensor;
use csplens::vocab::activation::Activation;
use csplens::weights::Weights;

fn act(a: Activation, x: f32) -> f32 {
    let x64 = x as f64;
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    (match a {
        Activation::Linear => x64,
        Activation::Leaky => {
            if x64 > 0.0 {
                x64
            } else {
                0.1 * x64
            }
        }
        Activation::Relu => x64.max(0.0),
        Activation::Logistic => sig(x64),
        Activation::Mish => x64 * (if x64 > 20.0 { x64 } else { x64.exp().ln_1p() }).tanh(),
        Activation::Swish => x64 * sig(x64),
        Activation::Tanh => x64.tanh(),
        Activation::HardMish => {
            if x64 > 0.0 {
                x64
            } else if x64 > -2.0 {
                x64 * x64 / 2.0 + x64
            } else {
                0.0
            }
        }
        Activation::Relu6 => x64.clamp(0.0, 6.0),
        Activation::Elu => {
            if x64 >= 0.0 {
                x64
            } else {
                x64.exp() - 1.0
            }
        }
        Activation::Selu => {
            if x64 >= 0.0 {
                1.0507 * x64
            } else {
                1.0507 * 1.6732 * (x64.exp() - 1.0)
            }
        }
        Activation::Gelu => {
            0.5 * x64 * (1.0 + (0.797885 * x64 + 0.035677 * x64 * x64 * x64).tanh())
        }
        Activation::Hardswish => x64 * (x64 + 3.0).clamp(0.0, 6.0) / 6.0,
        Activation::Hardtan => x64.clamp(-1.0, 1.0),
        Activation::Loggy => 2.0 * sig(x64) - 1.0,
        Activation::Ramp => x64.max(0.0) + 0.1 * x64,
        Activation::Relie => {
            if x64 > 0.0 {
                x64
            } else {
                0.01 * x64
            }
        }
        other => panic!("no reference for {other:?}"),
    }) as f32
}

fn get(t: &Tensor, k: usize, y: isize, x: isize) -> f32 {
    if y < 0 || x < 0 || y >= t.h as isize || x >= t.w as isize {
        0.0
    } else {
        t.data[(k * t.h + y as usize) * t.w + x as usize]
    }
}

/// The plain reference of one layer, from the reference outputs of its inputs.
fn naive(a: &Analysis, w: &Weights, i: usize, ins: &[&Tensor]) -> Tensor {
    let layer = &a.network.layers[i];
    let s = &a.shapes.layers[i];
    let (oc, oh, ow) = (s.output.c.max(1), s.output.h.max(1), s.output.w.max(1));
    let x = ins[0];
    let lw = &w.layers[i];
    let mut out = Tensor::zeros(oc, oh, ow);
    match &layer.kind {
        LayerKind::Convolutional(c) => {
            let (cg, fg) = (x.c / c.groups, c.filters / c.groups);
            let wts = w.slice(&lw.weights).unwrap();
            for f in 0..c.filters {
                let g = f / fg;
                for oy in 0..oh {
                    for ox in 0..ow {
                        let mut sum = 0f64;
                        for kc in 0..cg {
                            for ky in 0..c.size {
                                for kx in 0..c.size {
                                    let iy = (oy * c.stride_y + ky * c.dilation) as isize
                                        - c.padding as isize;
                                    let ix = (ox * c.stride_x + kx * c.dilation) as isize
                                        - c.padding as isize;
                                    let wv = wts[((f * cg + kc) * c.size + ky) * c.size + kx];
                                    sum += wv as f64 * get(x, g * cg + kc, iy, ix) as f64;
                                }
                            }
                        }
                        let mut v = sum as f32;
                        if let Some([sc, mean, var]) = &lw.bn {
                            v = (v - w.slice(mean).unwrap()[f])
                                / (w.slice(var).unwrap()[f] + 0.00001).sqrt()
                                * w.slice(sc).unwrap()[f];
                        }
                        v += w.slice(&lw.biases).unwrap()[f];
                        out.data[(f * oh + oy) * ow + ox] = act(c.activation, v);
                    }
                }
            }
        }
        LayerKind::Maxpool(p) | LayerKind::LocalAvgpool(p) => {
            let avg = matches!(layer.kind, LayerKind::LocalAvgpool(_));
            for k in 0..oc {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let mut vals = Vec::new();
                        for dy in 0..p.size {
                            for dx in 0..p.size {
                                let y = (oy * p.stride_y + dy) as isize - (p.padding / 2) as isize;
                                let xx = (ox * p.stride_x + dx) as isize - (p.padding / 2) as isize;
                                if y >= 0 && xx >= 0 && y < x.h as isize && xx < x.w as isize {
                                    vals.push(get(x, k, y, xx));
                                }
                            }
                        }
                        out.data[(k * oh + oy) * ow + ox] = if avg {
                            vals.iter().sum::<f32>() / vals.len() as f32
                        } else {
                            vals.iter().copied().fold(f32::MIN, f32::max)
                        };
                    }
                }
            }
        }
        LayerKind::Avgpool(_) => {
            for k in 0..oc {
                out.data[k] =
                    x.channel(k).iter().map(|&v| v as f64).sum::<f64>() as f32 / x.plane() as f32;
            }
        }
        LayerKind::Route(r) => {
            out.data.clear();
            for t in ins {
                let per = t.c / r.groups;
                for k in r.group_id * per..(r.group_id + 1) * per {
                    out.data.extend_from_slice(t.channel(k));
                }
            }
        }
        LayerKind::Shortcut(sc) => {
            let wts = w.slice(&lw.weights).unwrap();
            let weight = |input: usize, k: usize| match sc.weights_type {
                WeightsType::None => 1.0,
                WeightsType::PerFeature => wts[input],
                WeightsType::PerChannel => wts[input * oc + k],
            };
            for k in 0..oc {
                for p in 0..oh * ow {
                    let mut v = x.data[k * oh * ow + p] * weight(0, k);
                    for (i, f) in ins[1..].iter().enumerate() {
                        if k < f.c {
                            v += f.data[k * oh * ow + p] * weight(i + 1, k);
                        }
                    }
                    out.data[k * oh * ow + p] = act(sc.activation, v);
                }
            }
        }
        LayerKind::Reorg3d(r) => {
            // darknet's reorg_cpu(input, out_w, out_h, out_c, stride, forward = 0)
            let (w3, h3, c3, st) = (ow, oh, oc, r.stride);
            let out_c = c3 / (st * st);
            for k in 0..c3 {
                for j in 0..h3 {
                    for i2 in 0..w3 {
                        let in_index = i2 + w3 * (j + h3 * k);
                        let (c2, offset) = (k % out_c, k / out_c);
                        let (w2, h2) = (i2 * st + offset % st, j * st + offset / st);
                        out.data[in_index] = x.data[w2 + w3 * st * (h2 + h3 * st * c2)];
                    }
                }
            }
        }
        LayerKind::Region(r) => {
            out = x.clone();
            let plane = oh * ow;
            let per = r.classes + r.coords + 1;
            for n in 0..r.num {
                for p in 0..plane {
                    let idx = |e: usize| (n * per + e) * plane + p;
                    for e in [0, 1, r.coords] {
                        out.data[idx(e)] = act(Activation::Logistic, x.data[idx(e)]);
                    }
                    let e: Vec<f64> = (0..r.classes)
                        .map(|k| (x.data[idx(r.coords + 1 + k)] as f64).exp())
                        .collect();
                    let sum: f64 = e.iter().sum();
                    for k in 0..r.classes {
                        out.data[idx(r.coords + 1 + k)] = (e[k] / sum) as f32;
                    }
                }
            }
        }
        LayerKind::Upsample(u) if u.stride < 0 => {
            let st = u.stride.unsigned_abs() as usize;
            for k in 0..oc {
                for y in 0..oh * st {
                    for xx in 0..ow * st {
                        out.data[(k * oh + y / st) * ow + xx / st] +=
                            u.scale * get(x, k, y as isize, xx as isize);
                    }
                }
            }
        }
        LayerKind::Upsample(u) => {
            let st = u.stride as usize;
            for k in 0..oc {
                for y in 0..oh {
                    for xx in 0..ow {
                        out.data[(k * oh + y) * ow + xx] =
                            u.scale * get(x, k, (y / st) as isize, (xx / st) as isize);
                    }
                }
            }
        }
        LayerKind::ScaleChannels(sc) => {
            let from = ins[1];
            for k in 0..oc {
                for p in 0..oh * ow {
                    out.data[k * oh * ow + p] =
                        act(sc.activation, from.data[k * oh * ow + p] * x.data[k]);
                }
            }
        }
        LayerKind::Sam(sc) => {
            let from = ins[1];
            for (j, v) in out.data.iter_mut().enumerate() {
                *v = act(sc.activation, from.data[j] * x.data[j]);
            }
        }
        LayerKind::Softmax { .. } => {
            let e: Vec<f64> = x.data.iter().map(|&v| (v as f64).exp()).collect();
            let sum: f64 = e.iter().sum();
            out = Tensor {
                c: x.data.len(),
                h: 1,
                w: 1,
                data: e.iter().map(|v| (v / sum) as f32).collect(),
            };
        }
        LayerKind::Connected(c) => {
            let (wts, b) = (w.slice(&lw.weights).unwrap(), w.slice(&lw.biases).unwrap());
            for o in 0..c.output {
                let mut v = (0..x.data.len())
                    .map(|j| wts[o * x.data.len() + j] as f64 * x.data[j] as f64)
                    .sum::<f64>() as f32;
                if let Some([sc, mean, var]) = &lw.bn {
                    v = (v - w.slice(mean).unwrap()[o])
                        / (w.slice(var).unwrap()[o] + 0.000001).sqrt()
                        * w.slice(sc).unwrap()[o];
                }
                out.data[o] = act(c.activation, v + b[o]);
            }
        }
        LayerKind::Batchnorm(_) => {
            let [sc, mean, var] = lw.bn.clone().unwrap();
            for k in 0..oc {
                for p in 0..oh * ow {
                    let v = x.data[k * oh * ow + p];
                    out.data[k * oh * ow + p] = (v - w.slice(&mean).unwrap()[k])
                        / (w.slice(&var).unwrap()[k] + 0.000001).sqrt()
                        * w.slice(&sc).unwrap()[k]
                        + w.slice(&lw.biases).unwrap()[k];
                }
            }
        }
        LayerKind::Dropout { .. } => out = x.clone(),
        LayerKind::Yolo(y) => {
            out = x.clone();
            let plane = oh * ow;
            for n in 0..y.mask.len() {
                for e in 0..y.classes + 5 {
                    for p in 0..plane {
                        let j = (n * (y.classes + 5) + e) * plane + p;
                        let v = x.data[j];
                        out.data[j] = match e {
                            0 | 1 => {
                                act(Activation::Logistic, v) * y.scale_x_y
                                    - 0.5 * (y.scale_x_y - 1.0)
                            }
                            2 | 3 => v,
                            _ => act(Activation::Logistic, v),
                        };
                    }
                }
            }
        }
        LayerKind::Local(l) => {
            // darknet's forward_local_layer: out[f, j] = bias[f·locations + j]
            //   + Σ_kk weights[j·n·k + f·k + kk] · col[kk, j],  kk = (c·size + ky)·size + kx,
            // col[kk, j] = x[c, oy·stride + ky − pad, ox·stride + kx − pad] (0 outside)
            let (locations, k) = (oh * ow, l.size * l.size * x.c);
            let (wts, biases) = (w.slice(&lw.weights).unwrap(), w.slice(&lw.biases).unwrap());
            for f in 0..l.filters {
                for j in 0..locations {
                    let (oy, ox) = (j / ow, j % ow);
                    let mut sum = biases[f * locations + j] as f64;
                    for c in 0..x.c {
                        for ky in 0..l.size {
                            for kx in 0..l.size {
                                let kk = (c * l.size + ky) * l.size + kx;
                                let iy = (oy * l.stride + ky) as isize - l.pad as isize;
                                let ix = (ox * l.stride + kx) as isize - l.pad as isize;
                                let wv = wts[j * l.filters * k + f * k + kk];
                                sum += wv as f64 * get(x, c, iy, ix) as f64;
                            }
                        }
                    }
                    out.data[f * locations + j] = act(l.activation, sum as f32);
                }
            }
        }
        other => panic!("no reference for {}", other.type_name()),
    }
    out
}

fn check(cfg: &str, seed: u64) -> usize {
    let (a, w, input) = setup(cfg, seed);
    let net = CpuNet::new(&a, &w, 2).expect("cpu net");
    let fwd = net.forward_all(&input).expect("forward");
    for (i, layer) in a.network.layers.iter().enumerate() {
        // each layer is checked on the backend's own inputs, so errors do not compound
        let ins: Vec<&Tensor> = layer
            .inputs
            .iter()
            .map(|s| match s {
                Src::Image => &input,
                Src::Layer(j) => fwd.output(*j).expect("kept"),
            })
            .collect();
        let want = naive(&a, &w, i, &ins);
        let got = fwd.output(i).expect("kept");
        assert_eq!(
            got.data.len(),
            want.data.len(),
            "layer {i} ({}) size",
            layer.kind.type_name()
        );
        for (j, (g, r)) in got.data.iter().zip(&want.data).enumerate() {
            assert!(
                (g - r).abs() <= 1e-4 * r.abs().max(1.0),
                "layer {i} ({}) value {j}: cpu {g} vs naive {r}",
                layer.kind.type_name()
            );
        }
    }
    a.network.layers.len()
}

#[test]
fn local_layers_with_and_without_padding_strided() {
    // YOLOv1's [local] (size=3 pad=1) and the unpadded, strided form darknet also runs
    let cfg = format!(
        "{NET}[local]\nfilters=5\nsize=3\nstride=1\npad=1\nactivation=leaky\n\n\
         [local]\nfilters=4\nsize=2\nstride=2\npad=0\nactivation=logistic\n"
    );
    assert_eq!(check(&cfg, 31), 2);
}

#[test]
fn convolutions_grouped_dilated_strided_with_batch_norm() {
    let cfg = format!(
        "{NET}[convolutional]\nfilters=6\nsize=3\npad=1\ngroups=1\nbatch_normalize=1\nactivation=leaky\n\n\
         [convolutional]\nfilters=9\nsize=3\npad=1\ngroups=3\ndilation=2\nactivation=mish\n\n\
         [convolutional]\nfilters=7\nsize=3\nstride_x=2\nstride_y=1\npad=1\nbatch_normalize=1\nactivation=swish\n\n\
         [convolutional]\nfilters=5\nsize=1\nactivation=linear\n\n\
         [convolutional]\nfilters=7\nsize=5\nstride=2\npadding=1\nactivation=logistic\n\n\
         [convolutional]\nfilters=7\nsize=3\npad=1\ngroups=7\nactivation=relu\n"
    );
    assert_eq!(check(&cfg, 1), 6);
}

#[test]
fn dilation_wider_than_the_map() {
    // 4 × 4 maps under a 3 × 3 kernel at dilation 3 (a trident block on a small input): the
    // outer taps of most positions fall wholly in the padding, whole im2col rows are zeros
    let cfg = "[net]\nwidth=4\nheight=4\nchannels=6\n\n\
         [convolutional]\nfilters=5\nsize=3\npad=1\ndilation=3\nactivation=leaky\n\n\
         [convolutional]\nfilters=4\nsize=3\nstride=2\npad=1\ndilation=3\nactivation=linear\n";
    assert_eq!(check(cfg, 31), 2);
}

/// A convolution sharing the kernels of a layer with other input channels cannot run (darknet
/// stops there too): the backend says so instead of reading the kernels with the wrong layout.
#[test]
fn sharing_kernels_made_for_other_input_channels_is_refused() {
    let cfg = format!(
        "{NET}[convolutional]\nfilters=8\nsize=3\npad=1\n\n\
         [convolutional]\nfilters=8\nsize=3\npad=1\nshare_index=0\n"
    );
    let (a, w, _) = setup(&cfg, 3);
    let err = CpuNet::new(&a, &w, 2).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("layer 1 shares the weights of layer 0") && text.contains("cannot run"),
        "{text}"
    );
}

#[test]
fn large_convolutions_in_bands_of_output_rows() {
    // column matrices of half a million values and more run im2col + GEMM band by band:
    // stride 2 (yolov4-tiny's layers 0 and 1), stride 1 with 3 input channels (yolov3-tiny's
    // first layer, too few channels for Winograd), dilation, odd sizes and a last band shorter
    // than the others
    let cfg = "[net]\nwidth=181\nheight=131\nchannels=3\n\n\
         [convolutional]\nfilters=21\nsize=3\npad=1\nbatch_normalize=1\nactivation=leaky\n\n\
         [convolutional]\nfilters=13\nsize=3\nstride=2\npad=1\nactivation=mish\n\n\
         [convolutional]\nfilters=11\nsize=5\npad=1\ndilation=2\nactivation=linear\n";
    assert_eq!(check(cfg, 17), 3);
}

#[test]
fn winograd_in_bands_of_tile_rows() {
    // 140 output tiles of 4 × 4 (53 × 37: the last tile row and column are partial): the
    // second layer runs in two bands of tile rows (the second shorter), the third in one.
    // Logistic inputs keep the sums of 360 and 216 random products small enough that F(4×4, 3×3)'s
    // rounding stays within the tolerance (with leaky inputs it reaches 1.04e-4, banded or not)
    let cfg = "[net]\nwidth=53\nheight=37\nchannels=3\n\n\
         [convolutional]\nfilters=40\nsize=3\npad=1\nactivation=logistic\n\n\
         [convolutional]\nfilters=24\nsize=3\npad=1\nbatch_normalize=1\nactivation=logistic\n\n\
         [convolutional]\nfilters=13\nsize=3\npad=1\nactivation=linear\n";
    assert_eq!(check(cfg, 23), 3);
}

#[test]
fn winograd_on_small_planes() {
    // 13 × 11 outputs: 4 × 3 tiles of 4 × 4 with the last row and column partial, the whole
    // layer at once (too few tiles for bands)
    let cfg = format!(
        "{NET}[convolutional]\nfilters=16\nsize=3\npad=1\nactivation=logistic\n\n\
         [convolutional]\nfilters=24\nsize=3\npad=1\nbatch_normalize=1\nactivation=leaky\n\n\
         [convolutional]\nfilters=13\nsize=3\npad=1\nactivation=linear\n"
    );
    assert_eq!(check(&cfg, 29), 3);
}

#[test]
fn every_activation_through_a_convolution() {
    let acts = [
        "linear",
        "leaky",
        "relu",
        "logistic",
        "mish",
        "swish",
        "tanh",
        "hard_mish",
        "relu6",
        "elu",
        "selu",
        "gelu",
        "hardswish",
        "hardtan",
        "loggy",
        "ramp",
        "relie",
    ];
    let mut cfg = NET.to_string();
    for a in acts {
        cfg += &format!("[convolutional]\nfilters=5\nsize=3\npad=1\nactivation={a}\n\n");
    }
    assert_eq!(check(&cfg, 2), acts.len());
}

#[test]
fn pools_routes_shortcuts_upsample() {
    let cfg = format!("{NET}{POOLS_ROUTES_SHORTCUTS}");
    check(&cfg, 3);
}

#[test]
fn attention_softmax_connected_batchnorm_yolo() {
    let cfg = format!(
        "{NET}[convolutional]\nfilters=6\nsize=3\npad=1\nactivation=leaky\n\n\
         [avgpool]\n\n\
         [convolutional]\nfilters=6\nsize=1\nactivation=logistic\n\n\
         [scale_channels]\nfrom=-3\n\n\
         [convolutional]\nfilters=6\nsize=1\nactivation=logistic\n\n\
         [sam]\nfrom=-2\n\n\
         [batchnorm]\n\n\
         [convolutional]\nfilters=14\nsize=1\nactivation=linear\n\n\
         [yolo]\nmask=0,1\nanchors=10,14, 23,27, 37,58\nclasses=2\nnum=3\nscale_x_y=1.05\n\n\
         [route]\nlayers=-4\n\n\
         [connected]\noutput=9\nactivation=leaky\n\n\
         [softmax]\n"
    );
    check(&cfg, 4);
}

#[test]
fn reorg_region_weighted_shortcut_connected_batchnorm() {
    let cfg = "[net]\nwidth=12\nheight=10\nchannels=5\n\n[convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n\n\
         [convolutional]\nfilters=8\nsize=1\nactivation=linear\n\n\
         [shortcut]\nfrom=-2\nweights_type=per_channel\nactivation=linear\n\n\
         [shortcut]\nfrom=-3\nweights_type=per_feature\nactivation=leaky\n\n\
         [upsample]\nstride=-1\nscale=0.5\n\n\
         [convolutional]\nfilters=16\nsize=1\nactivation=linear\n\n\
         [reorg3d]\nstride=2\n\n\
         [convolutional]\nfilters=14\nsize=1\nactivation=linear\n\n\
         [region]\nanchors=1,1, 2,2\nclasses=2\ncoords=4\nnum=2\nsoftmax=1\n\n\
         [route]\nlayers=-3\n\n\
         [connected]\noutput=7\nbatch_normalize=1\nactivation=leaky\n";
    check(cfg, 5);
}

#[test]
fn antialiasing_blurs_after_the_stride_one_layer() {
    // a constant input through [maxpool] size=2 stride=2 antialiasing=1: the stride-1 max is
    // still 1 everywhere, then darknet's 3×3 blur (1 2 1 / 2 4 2 / 1 2 1, /16, padding 1) at
    // stride 2: 9/16 in the corner, 12/16 along the first row and column, 1 inside
    let a = csplens::analyze(
        "aa.cfg",
        b"[net]\nwidth=8\nheight=8\nchannels=1\n\n[maxpool]\nsize=2\nstride=2\nantialiasing=1\n",
        Default::default(),
    )
    .unwrap();
    let w = csplens::weights::parse(&csplens::weights::file_bytes(0, []), &a.network, &a.shapes)
        .unwrap();
    let input = Tensor {
        c: 1,
        h: 8,
        w: 8,
        data: vec![1.0; 64],
    };
    let out = CpuNet::new(&a, &w, 1).unwrap().forward(&input).unwrap();
    let t = out.output(0).unwrap();
    assert_eq!((t.c, t.h, t.w), (1, 4, 4));
    let want = |y: usize, x: usize| match (y, x) {
        (0, 0) => 9.0 / 16.0,
        (0, _) | (_, 0) => 12.0 / 16.0,
        _ => 1.0,
    };
    for y in 0..4 {
        for x in 0..4 {
            assert!(
                (t.data[y * 4 + x] - want(y, x)).abs() < 1e-6,
                "({y}, {x}): {}",
                t.data[y * 4 + x]
            );
        }
    }
    // the 2×2 kind: a mean of four at stride 2, no padding
    let a = csplens::analyze(
        "aa2.cfg",
        b"[net]\nwidth=8\nheight=8\nchannels=1\n\n[maxpool]\nsize=2\nstride=2\nantialiasing=2\n",
        Default::default(),
    )
    .unwrap();
    let ramp = Tensor {
        c: 1,
        h: 8,
        w: 8,
        data: (0..64).map(|i| i as f32).collect(),
    };
    let out = CpuNet::new(&a, &w, 1).unwrap().forward(&ramp).unwrap();
    let t = out.output(0).unwrap();
    // the stride-1 max of a ramp is its lower-right neighbour (clamped at the edge), then the
    // mean of a 2×2 block of those
    let max1 = |y: usize, x: usize| ((y + 1).min(7) * 8 + (x + 1).min(7)) as f32;
    for oy in 0..t.h {
        for ox in 0..t.w {
            let (y, x) = (2 * oy, 2 * ox);
            let mean = (max1(y, x) + max1(y, x + 1) + max1(y + 1, x) + max1(y + 1, x + 1)) / 4.0;
            assert!((t.data[oy * t.w + ox] - mean).abs() < 1e-4, "({oy}, {ox})");
        }
    }
}

/// A CPU batch (the images side by side over the threads) gives what one inference per image
/// gives: a random network's outputs for batches of 2, 3 and 4 different inputs, equal to
/// the last bit.
#[test]
fn batches_equal_single_inferences() {
    let cfg = "[net]\nwidth=20\nheight=20\nchannels=3\n\n[convolutional]\nfilters=8\nsize=3\npad=1\nbatch_normalize=1\nactivation=leaky\n\n[maxpool]\nsize=2\nstride=2\n\n[convolutional]\nfilters=6\nsize=1\nactivation=linear\n\n[route]\nlayers=-1,-2\n";
    let (a, w, _) = csplens::backend::synthetic::network(cfg).unwrap();
    let net = CpuNet::new(&a, &w, 4).unwrap();
    let input = |k: usize| Tensor {
        c: 3,
        h: 20,
        w: 20,
        data: (0..1200)
            .map(|i| ((i * (k + 3)) % 29) as f32 * 0.03 - 0.4)
            .collect(),
    };
    for n in [2usize, 3, 4] {
        let inputs: Vec<Tensor> = (0..n).map(input).collect();
        let got = net.forward_batch(&inputs).unwrap();
        assert_eq!(got.len(), n);
        for (k, fwd) in got.iter().enumerate() {
            let want = net.forward(&inputs[k]).unwrap();
            assert_eq!(fwd.outputs, want.outputs, "batch {n}, image {k}");
        }
    }
}
