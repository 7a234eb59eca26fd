//! Every layer kind and option the CPU backend runs, exported and run in tract on small cfgs
//! with random weights: each within 1e-4 of the CPU backend (of the largest magnitude).

use super::common::random::{setup, tame};
use super::onnx::{heads, relative_error, run_tract};
use csplens::backend::cpu::CpuNet;
use csplens::export::{Decode, ExportOptions, export};

/// `cfg` with random weights: the export (raw heads, or `output` without heads) at `opset`
/// against the CPU backend's outputs; returns the analysis, weights, input and CPU outputs.
fn check(cfg: &str, seed: u64, opsets: &[i64]) -> Checked {
    let (a, mut w, input) = setup(cfg, seed);
    tame(&a, &mut w);
    let all = CpuNet::with_winograd(&a, &w, 2, false)
        .unwrap()
        .forward_all(&input)
        .unwrap();
    let hs = heads(&a);
    let want: Vec<&[f32]> = if hs.is_empty() {
        vec![&all.output(a.network.layers.len() - 1).unwrap().data]
    } else {
        hs.iter()
            .map(|&(_, reads)| all.output(reads).unwrap().data.as_slice())
            .collect()
    };
    for &opset in opsets {
        let o = ExportOptions {
            decode: Decode::Raw,
            opset,
            ..ExportOptions::default()
        };
        let got = run_tract(&export(&a, &w, &o).unwrap(), &[&input]);
        assert_eq!(got.len(), want.len());
        for (k, (g, want)) in got.iter().zip(&want).enumerate() {
            let e = relative_error(&g.1, want);
            assert!(e <= 1e-4, "opset {opset}, output {k}: {e:e}");
        }
    }
    Checked { a, w, input, all }
}

struct Checked {
    a: csplens::Analysis,
    w: csplens::weights::Weights,
    input: csplens::tensor::Tensor,
    all: csplens::backend::Forward,
}

#[test]
fn every_darknet_activation_matches_the_cpu_backend() {
    // each activation on the same convolution's output (an [activation] layer per branch),
    // the branches concatenated into a head
    let acts = [
        "loggy",
        "ramp",
        "gelu",
        "hardswish",
        "hard_mish",
        "plse",
        "lhtan",
        "stair",
        "normalize_channels",
        "normalize_channels_softmax",
        "normalize_channels_softmax_maxval",
        "elu",
        "selu",
    ];
    let mut cfg = String::from(
        "[net]\nwidth=12\nheight=10\nchannels=3\n\n\
         [convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\npad=1\nactivation=linear\n\n\
         [convolutional]\nfilters=4\nsize=1\nactivation=linear\n\n",
    );
    // values spread over ±10 for the piecewise ones (plse's ±4, stair's steps)
    cfg += "[upsample]\nstride=1\nscale=5\n\n";
    let mut branches = Vec::new();
    for (k, act) in acts.iter().enumerate() {
        cfg += &format!("[route]\nlayers=2\n\n[activation]\nactivation={act}\n\n");
        branches.push((4 + 2 * k).to_string());
    }
    cfg += &format!(
        "[route]\nlayers={}\n\n[convolutional]\nfilters=21\nsize=1\nactivation=linear\n\n\
         [yolo]\nmask=0,1,2\nanchors=4,5, 8,9, 12,14\nclasses=2\nnum=3\n",
        branches.join(",")
    );
    check(&cfg, 11, &[11, 13, 18]);
}

#[test]
fn reorg_reorg3d_and_a_region_head_match_decoded_as_darknet_does() {
    // YOLOv2's passthrough (old [reorg], which reads its input as darknet's flat
    // permutation does), [reorg3d] both ways, old [reorg] reversed, and a [region] head with
    // its softmax
    let cfg = "[net]\nwidth=32\nheight=32\nchannels=3\n\n\
         [convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n\n\
         [maxpool]\nsize=2\nstride=2\n\n\
         [convolutional]\nfilters=16\nsize=3\npad=1\nactivation=leaky\n\n\
         [reorg]\nstride=2\n\n\
         [route]\nlayers=1\n\n\
         [reorg3d]\nstride=2\n\n\
         [route]\nlayers=3,5\n\n\
         [reorg3d]\nstride=2\nreverse=1\n\n\
         [reorg]\nstride=2\nreverse=1\n\n\
         [maxpool]\nsize=4\nstride=4\n\n\
         [route]\nlayers=6,9\n\n\
         [convolutional]\nfilters=40\nsize=1\nactivation=linear\n\n\
         [region]\nanchors=1.1,1.2, 2.3,1.9, 3.1,4.2, 5.5,3.3, 7.7,6.1\n\
         classes=3\ncoords=4\nnum=5\nsoftmax=1\n";
    let c = check(cfg, 13, &[11, 13]);
    // boxes and scores as darknet's get_region_detections reads the region's output
    let got = run_tract(
        &export(&c.a, &c.w, &ExportOptions::default()).unwrap(),
        &[&c.input],
    );
    let (head, _) = heads(&c.a)[0];
    let out = c.all.output(head).unwrap();
    let csplens::kinds::LayerKind::Region(r) = &c.a.network.layers[head].kind else {
        panic!("not a region");
    };
    let (w, h, plane, per) = (out.w, out.h, out.plane(), r.classes + r.coords + 1);
    let (mut boxes, mut scores) = (Vec::new(), Vec::new());
    for n in 0..r.num {
        for i in 0..plane {
            let at = |e: usize| out.data[(n * per + e) * plane + i];
            let (col, row) = ((i % w) as f32, (i / w) as f32);
            let (cx, cy) = ((col + at(0)) / w as f32, (row + at(1)) / h as f32);
            // region anchors are in grid cells
            let bw = at(2).exp() * r.anchors[2 * n] / w as f32;
            let bh = at(3).exp() * r.anchors[2 * n + 1] / h as f32;
            boxes.extend([cx - bw / 2.0, cy - bh / 2.0, cx + bw / 2.0, cy + bh / 2.0]);
            scores.extend((0..r.classes).map(|k| at(r.coords) * at(r.coords + 1 + k)));
        }
    }
    assert_eq!(got[0].0, [1, 5 * 8 * 8, 4]);
    assert!(relative_error(&got[0].1, &boxes) <= 1e-4);
    assert!(relative_error(&got[1].1, &scores) <= 1e-4);
}

#[test]
fn a_classifier_with_blurs_depth_pool_local_crop_connected_and_softmax_matches() {
    // no head: the export's `output` is the last layer
    let cfg = "[net]\nwidth=20\nheight=18\nchannels=3\n\n\
         [convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=2\npad=1\nantialiasing=1\nactivation=leaky\n\n\
         [maxpool]\nsize=2\nstride=2\nantialiasing=2\n\n\
         [maxpool]\nmaxpool_depth=1\nout_channels=4\nsize=1\nstride=1\n\n\
         [batchnorm]\n\n\
         [local]\nsize=3\nstride=1\npad=1\nfilters=6\nactivation=leaky\n\n\
         [crop]\ncrop_width=3\ncrop_height=2\n\n\
         [connected]\noutput=10\nbatch_normalize=1\nactivation=gelu\n\n\
         [softmax]\ngroups=2\ntemperature=0.5\n\n\
         [cost]\n";
    let c = check(cfg, 17, &[13]);
    let m = csplens::export::export(&c.a, &c.w, &ExportOptions::default()).unwrap();
    let got = run_tract(&m, &[&c.input]);
    assert_eq!(
        got[0].0,
        [1, 10, 1, 1],
        "`output` is the softmax's 10 values"
    );
    // and the file says so (darknet's [softmax] and [cost] are flat, 0×0×0)
    use onnx_protobuf::Message as _;
    use onnx_protobuf::tensor_shape_proto::dimension::Value;
    use onnx_protobuf::type_proto::Value as Ty;
    let model = onnx_protobuf::ModelProto::parse_from_bytes(&m).unwrap();
    let out = &model.graph.output[0];
    let Some(Ty::TensorType(t)) = &out.type_.value else {
        panic!("not a tensor");
    };
    let dims: Vec<i64> = (t.shape.dim.iter())
        .map(|d| match &d.value {
            Some(Value::DimValue(n)) => *n,
            _ => -1,
        })
        .collect();
    assert_eq!((out.name.as_str(), dims), ("output", vec![1, 10, 1, 1]));
}

#[test]
fn weighted_resampled_and_implicit_shortcuts_match_the_cpu_backend() {
    let cfg = "[net]\nwidth=16\nheight=16\nchannels=3\n\n\
         [convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n\n\
         [convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n\n\
         [shortcut]\nfrom=-2\nweights_type=per_feature\nweights_normalization=softmax\nactivation=linear\n\n\
         [convolutional]\nfilters=12\nsize=1\nactivation=leaky\n\n\
         [shortcut]\nfrom=-2,-4\nweights_type=per_channel\nweights_normalization=relu\nactivation=swish\n\n\
         [maxpool]\nsize=2\nstride=2\n\n\
         [shortcut]\nfrom=-3\nactivation=linear\n\n\
         [upsample]\nstride=2\n\n\
         [shortcut]\nfrom=-2\nactivation=leaky\n\n\
         [implicit]\nfilters=12\n\n\
         [scale_channels]\nfrom=-2\nactivation=linear\n\n\
         [convolutional]\nfilters=21\nsize=1\nactivation=linear\n\n\
         [yolo]\nmask=0,1,2\nanchors=4,5, 8,9, 12,14\nclasses=2\nnum=3\n";
    let c = check(cfg, 19, &[13]);
    // the implicit values are repeated over a batch of two
    let o = ExportOptions {
        decode: Decode::Raw,
        batch: csplens::export::Batch::Fixed(2),
        ..ExportOptions::default()
    };
    let got = run_tract(&export(&c.a, &c.w, &o).unwrap(), &[&c.input, &c.input]);
    let half = got[0].1.len() / 2;
    assert_eq!(got[0].1[..half], got[0].1[half..]);
}

#[test]
fn a_gaussian_yolo_head_decodes_as_darknets_get_gaussian_yolo_detections() {
    // The CPU backend does not run [Gaussian_yolo]: its raw tensor (checked against the CPU
    // through the layers before it) decoded here by darknet's formulas is the reference.
    for (point, shift) in [("center", 0.0), ("left_top", 1.0), ("right_bottom", -1.0)] {
        let cfg = format!(
            "[net]\nwidth=24\nheight=20\nchannels=3\n\n\
             [convolutional]\nfilters=8\nsize=3\nstride=2\npad=1\nactivation=leaky\n\n\
             [convolutional]\nfilters=33\nsize=1\nactivation=linear\n\n\
             [Gaussian_yolo]\nmask=1,2,3\nanchors=3,4, 5,6, 9,8, 12,15\nclasses=2\nnum=4\n\
             scale_x_y=1.05\nyolo_point={point}\n"
        );
        let (a, w, input) = setup(&cfg, 23);
        let raw = ExportOptions {
            decode: Decode::Raw,
            ..ExportOptions::default()
        };
        let t = &run_tract(&export(&a, &w, &raw).unwrap(), &[&input])[0];
        let got = run_tract(
            &export(&a, &w, &ExportOptions::default()).unwrap(),
            &[&input],
        );
        let (per, (gh, gw)) = (11, (t.0[2], t.0[3]));
        let plane = gh * gw;
        let sig = |v: f32| 1.0 / (1.0 + (-v).exp());
        let anchors = [(5.0, 6.0), (9.0, 8.0), (12.0, 15.0)];
        let (mut boxes, mut scores) = (Vec::new(), Vec::new());
        for (n, (aw, ah)) in anchors.iter().enumerate() {
            for i in 0..plane {
                let at = |e: usize| t.1[(n * per + e) * plane + i];
                let (col, row) = ((i % gw) as f32, (i / gw) as f32);
                let (sx, sy) = (sig(at(0)) * 1.05 - 0.025, sig(at(2)) * 1.05 - 0.025);
                let (bw, bh) = (at(4).exp() * aw / 24.0, at(6).exp() * ah / 20.0);
                // yolo_point: x, y are the centre, or a corner the centre is half a size from
                let cx = (col + sx) / gw as f32 + shift * bw / 2.0;
                let cy = (row + sy) / gh as f32 + shift * bh / 2.0;
                boxes.extend([cx - bw / 2.0, cy - bh / 2.0, cx + bw / 2.0, cy + bh / 2.0]);
                let uc = (sig(at(1)) + sig(at(3)) + sig(at(5)) + sig(at(7))) / 4.0;
                scores.extend((0..2).map(|k| sig(at(8)) * sig(at(9 + k)) * (1.0 - uc)));
            }
        }
        assert_eq!(got[0].0, [1, 3 * plane, 4], "{point}");
        assert!(relative_error(&got[0].1, &boxes) <= 1e-5, "{point} boxes");
        assert!(relative_error(&got[1].1, &scores) <= 1e-5, "{point} scores");
    }
}
