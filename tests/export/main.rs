//! `csplens export`: the ONNX file, run by tract, gives what csplens's CPU backend computes —
//! every head's tensor within 1e-4 of its largest magnitude on yolov4-tiny and yolov3-tiny with
//! their real weights on bus.jpg, the decoded boxes and scores as darknet decodes them, a
//! batch of two as two runs of one — and its structure (opset, names, shapes, K) is as the
//! README states. A kind not exported yet is refused with its layer and line. (The corpus's
//! detectors are exported and run in tests/corpus_runs.rs, beside their CPU run.)

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;
mod kinds;
#[path = "../onnx/mod.rs"]
mod onnx;

use common::models;
use csplens::backend::cpu::CpuNet;
use csplens::export::{Batch, Decode, ExportOptions, export};
use onnx::{heads, relative_error, run_tract};
use onnx_protobuf::Message as _;

#[test]
fn raw_heads_and_decoded_boxes_match_the_cpu_backend_on_both_real_models() {
    for model in ["yolov4-tiny", "yolov3-tiny"] {
        let on = models::on_bus(model);
        let cpu = CpuNet::with_winograd(&on.a, &on.w, 2, false).unwrap();
        let all = cpu.forward_all(&on.input).unwrap();
        // every head's tensor
        let raw = ExportOptions {
            decode: Decode::Raw,
            ..ExportOptions::default()
        };
        let bytes = export(&on.a, &on.w, &raw).unwrap();
        let got = run_tract(&bytes, &[&on.input]);
        let hs = heads(&on.a);
        assert_eq!(got.len(), hs.len(), "{model}: one output per head");
        for ((shape, values), &(head, reads)) in got.iter().zip(&hs) {
            let want = all.output(reads).unwrap();
            assert_eq!(shape, &[1, want.c, want.h, want.w], "{model} head {head}");
            let e = relative_error(values, &want.data);
            assert!(
                e <= 1e-4,
                "{model} head {head}: {e:e} of the largest magnitude"
            );
        }
        // boxes and scores: the heads' activations decoded as darknet's get_yolo_box does
        let bytes = export(&on.a, &on.w, &ExportOptions::default()).unwrap();
        let got = run_tract(&bytes, &[&on.input]);
        let (want_boxes, want_scores) = decoded(&on.a, &all);
        let e = relative_error(&got[0].1, &want_boxes);
        assert!(e <= 1e-4, "{model} boxes: {e:e}");
        let e = relative_error(&got[1].1, &want_scores);
        assert!(e <= 1e-4, "{model} scores: {e:e}");
    }
}

/// Each head's rows (anchor, row, column) from the CPU backend's yolo outputs: (x1, y1, x2,
/// y2) relative to the input, and objectness × class probability.
pub fn decoded(a: &csplens::Analysis, f: &csplens::backend::Forward) -> (Vec<f32>, Vec<f32>) {
    let (net_w, net_h) = (a.shapes.input.w as f32, a.shapes.input.h as f32);
    let (mut boxes, mut scores) = (Vec::new(), Vec::new());
    for (head, _) in heads(a) {
        let y = a.network.layers[head].kind.yolo().unwrap();
        let out = f.output(head).unwrap();
        let (w, h, plane, per) = (out.w, out.h, out.plane(), y.classes + 5);
        for (n, &m) in y.mask.iter().enumerate() {
            for i in 0..plane {
                let at = |e: usize| out.data[(n * per + e) * plane + i];
                let (col, row) = ((i % w) as f32, (i / w) as f32);
                let (cx, cy) = ((col + at(0)) / w as f32, (row + at(1)) / h as f32);
                let bw = at(2).exp() * y.anchors[2 * m] / net_w;
                let bh = at(3).exp() * y.anchors[2 * m + 1] / net_h;
                boxes.extend([cx - bw / 2.0, cy - bh / 2.0, cx + bw / 2.0, cy + bh / 2.0]);
                scores.extend((0..y.classes).map(|c| at(4) * at(5 + c)));
            }
        }
    }
    (boxes, scores)
}

#[test]
fn a_batch_of_two_is_two_runs_of_one() {
    let on = models::on_bus("yolov4-tiny");
    let bytes = std::fs::read(models::image("zidane.jpg")).unwrap();
    let zidane =
        csplens::detect::network_input(&on.a, &csplens::detect::image::decode(&bytes).unwrap());
    let one = export(&on.a, &on.w, &ExportOptions::default()).unwrap();
    let (bus1, zid1) = (run_tract(&one, &[&on.input]), run_tract(&one, &[&zidane]));
    for batch in [Batch::Fixed(2), Batch::Dynamic] {
        let o = ExportOptions {
            batch,
            ..ExportOptions::default()
        };
        let two = run_tract(&export(&on.a, &on.w, &o).unwrap(), &[&on.input, &zidane]);
        for (k, out) in two.iter().enumerate() {
            let half = out.1.len() / 2;
            assert_eq!(out.0[0], 2, "{batch:?}");
            assert!(
                relative_error(&out.1[..half], &bus1[k].1) <= 1e-5,
                "{batch:?}"
            );
            assert!(
                relative_error(&out.1[half..], &zid1[k].1) <= 1e-5,
                "{batch:?}"
            );
        }
    }
}

/// (name, dims) of each input or output; a symbol as -1.
fn values(v: &[onnx_protobuf::ValueInfoProto]) -> Vec<(String, Vec<i64>)> {
    use onnx_protobuf::tensor_shape_proto::dimension::Value;
    use onnx_protobuf::type_proto::Value as Ty;
    v.iter()
        .map(|vi| {
            let Some(Ty::TensorType(t)) = &vi.type_.value else {
                panic!("{} is not a tensor", vi.name);
            };
            let dims = (t.shape.dim.iter())
                .map(|d| match &d.value {
                    Some(Value::DimValue(n)) => *n,
                    _ => -1,
                })
                .collect();
            (vi.name.clone(), dims)
        })
        .collect()
}

#[test]
fn the_files_structure_opset_names_shapes_and_k() {
    // yolov4-tiny: heads at 13×13 and 26×26, 3 anchors each: K = 3·(169 + 676) = 2535
    // yolov3-tiny: the same grids at 416: K = 2535 too
    for model in ["yolov4-tiny", "yolov3-tiny"] {
        let on = models::analysis(model);
        let w = csplens::weights::read(&models::file(model, "weights"), &on.network, &on.shapes)
            .unwrap();
        let bytes = export(&on, &w, &ExportOptions::default()).unwrap();
        let m = onnx_protobuf::ModelProto::parse_from_bytes(&bytes).unwrap();
        assert_eq!(m.opset_import[0].version, 13, "{model}");
        let g = m.graph.as_ref().unwrap();
        assert_eq!(values(&g.input), [("input".into(), vec![1, 3, 416, 416])]);
        assert_eq!(
            values(&g.output),
            [
                ("boxes".into(), vec![1, 2535, 4]),
                ("scores".into(), vec![1, 2535, 80])
            ],
            "{model}"
        );
        let raw = ExportOptions {
            decode: Decode::Raw,
            batch: Batch::Dynamic,
            opset: 17,
        };
        let m =
            onnx_protobuf::ModelProto::parse_from_bytes(&export(&on, &w, &raw).unwrap()).unwrap();
        assert_eq!(m.opset_import[0].version, 17);
        let outs = values(&m.graph.as_ref().unwrap().output);
        let heads: Vec<String> = heads(&on)
            .iter()
            .map(|(h, _)| format!("yolo_{h}"))
            .collect();
        let names: Vec<String> = outs.iter().map(|o| o.0.clone()).collect();
        assert_eq!(names, heads, "{model}");
        // 255 = 3 anchors · (5 + 80 classes), the batch a symbol
        assert_eq!(outs[0].1, [-1, 255, 13, 13], "{model}");
    }
}

#[test]
fn a_kind_not_exported_is_refused_with_its_layer_and_line() {
    // [deconvolutional] (pjreddie's; the CPU backend does not run it, so an export of it
    // could not be checked)
    let cfg = format!(
        "{}[convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n\n\
         [deconvolutional]\nfilters=8\nsize=2\nstride=2\nactivation=leaky\n\n\
         [convolutional]\nfilters=18\nsize=1\nactivation=linear\n\n\
         [yolo]\nmask=0,1,2\nanchors=1,1, 2,2, 3,3\nclasses=1\nnum=3\n",
        "[net]\nwidth=16\nheight=16\nchannels=3\n\n"
    );
    let (a, w, _) = common::random::setup(&cfg, 1);
    let e = export(&a, &w, &ExportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(
            "layer 1 ([deconvolutional] at line 12): [deconvolutional] layers are not exported"
        ),
        "{e}"
    );
    let bad = ExportOptions {
        opset: 9,
        ..ExportOptions::default()
    };
    assert_eq!(
        export(&a, &w, &bad).unwrap_err().to_string(),
        "opset 9: csplens writes opsets 11 to 21"
    );
    // a head whose classes differ from the first one's cannot share the scores tensor
    let cfg = "[net]\nwidth=16\nheight=16\nchannels=3\n\n\
         [convolutional]\nfilters=18\nsize=1\nactivation=linear\n\n\
         [yolo]\nmask=0,1,2\nanchors=1,1, 2,2, 3,3\nclasses=1\nnum=3\n\n\
         [route]\nlayers=-2\n\n\
         [convolutional]\nfilters=21\nsize=1\nactivation=linear\n\n\
         [yolo]\nmask=0,1,2\nanchors=1,1, 2,2, 3,3\nclasses=2\nnum=3\n";
    let (a, w, _) = common::random::setup(cfg, 1);
    let e = export(&a, &w, &ExportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("layer 4 ([yolo] at line 25): its 2 classes differ from the first head's"),
        "{e}"
    );
    let raw = ExportOptions {
        decode: Decode::Raw,
        ..ExportOptions::default()
    };
    assert!(export(&a, &w, &raw).is_ok());
}

#[test]
fn the_command_writes_the_file_and_refuses_a_bad_batch() {
    let dir = std::env::temp_dir().join(format!("csplens-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("yolov4-tiny.onnx");
    let (cfg, weights) = (
        models::file("yolov4-tiny", "cfg"),
        models::file("yolov4-tiny", "weights"),
    );
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_csplens"))
            .arg("export")
            .args(["--cfg", cfg.to_str().unwrap()])
            .args(["--weights", weights.to_str().unwrap()])
            .args(["-o", out.to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap()
    };
    let ok = run(&["--batch", "dynamic", "--decode", "raw"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("wrote "));
    // the library's bytes for the same options
    let on = models::analysis("yolov4-tiny");
    let w = csplens::weights::read(&weights, &on.network, &on.shapes).unwrap();
    let o = ExportOptions {
        decode: Decode::Raw,
        batch: Batch::Dynamic,
        ..ExportOptions::default()
    };
    assert_eq!(std::fs::read(&out).unwrap(), export(&on, &w, &o).unwrap());
    let bad = run(&["--batch", "0"]);
    assert!(!bad.status.success());
    let e = String::from_utf8_lossy(&bad.stderr);
    assert!(e.contains("neither a number of images"), "{e}");
    let bad = run(&["--opset", "7"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("opset 7: csplens writes opsets 11 to 21")
    );
}

#[test]
fn every_exported_activation_and_layer_option_matches_the_cpu_backend() {
    // one convolution per activation, then darknet's pool paddings (SPP's size 5 stride 1,
    // an odd map pooled at stride 2), a grouped route, upsample, a shortcut and a head
    let acts = [
        "leaky", "relu", "relu6", "logistic", "tanh", "elu", "selu", "swish", "mish", "revleaky",
        "relie", "hardtan", "linear",
    ];
    let mut cfg = String::from("[net]\nwidth=26\nheight=26\nchannels=3\n\n");
    for (k, act) in acts.iter().enumerate() {
        let (size, groups) = if k % 3 == 2 { (1, 2) } else { (3, 1) };
        cfg += &format!(
            "[convolutional]\nbatch_normalize=1\nfilters=8\nsize={size}\ngroups={groups}\npad=1\nactivation={act}\n\n"
        );
    }
    cfg += "[maxpool]\nsize=5\nstride=1\n\n[maxpool]\nsize=3\nstride=2\n\n\
            [convolutional]\nfilters=8\nsize=3\ndilation=2\npad=1\nactivation=leaky\n\n\
            [route]\nlayers=-1\ngroups=2\ngroup_id=1\n\n[upsample]\nstride=2\n\n\
            [route]\nlayers=-1,-5\n\n[convolutional]\nfilters=12\nsize=1\nactivation=mish\n\n\
            [shortcut]\nfrom=-2\nactivation=linear\n\n\
            [convolutional]\nfilters=21\nsize=1\nactivation=linear\n\n\
            [yolo]\nmask=0,1,2\nanchors=4,5, 8,9, 12,14\nclasses=2\nnum=3\nscale_x_y=1.1\n";
    let (a, mut w, input) = common::random::setup(&cfg, 3);
    common::random::tame(&a, &mut w);
    let all = CpuNet::with_winograd(&a, &w, 2, false)
        .unwrap()
        .forward_all(&input)
        .unwrap();
    let (head, reads) = heads(&a)[0];
    for opset in [13, 18] {
        let o = ExportOptions {
            decode: Decode::Raw,
            opset,
            ..ExportOptions::default()
        };
        let got = run_tract(&export(&a, &w, &o).unwrap(), &[&input]);
        let e = relative_error(&got[0].1, &all.output(reads).unwrap().data);
        assert!(e <= 1e-4, "opset {opset}, head {head}: {e:e}");
    }
    let got = run_tract(
        &export(&a, &w, &ExportOptions::default()).unwrap(),
        &[&input],
    );
    let (boxes, scores) = decoded(&a, &all);
    assert!(relative_error(&got[0].1, &boxes) <= 1e-4);
    assert!(relative_error(&got[1].1, &scores) <= 1e-4);
}

#[test]
fn attention_and_average_pools_match_the_cpu_backend() {
    // a squeeze-and-excitation block (global average, per-channel factors), a per-position
    // map (scale_wh), spatial attention (sam), darknet's local average at an odd edge, and
    // shortcuts adding more channels (8 to 5: the first 5) and fewer (5 to 12: zeros beyond)
    let cfg = "[net]\nwidth=15\nheight=13\nchannels=3\n\n\
         [convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\npad=1\nactivation=swish\n\n\
         [avgpool]\n\n\
         [convolutional]\nfilters=8\nsize=1\nactivation=logistic\n\n\
         [scale_channels]\nfrom=-3\nactivation=linear\n\n\
         [convolutional]\nfilters=1\nsize=1\nactivation=logistic\n\n\
         [scale_channels]\nfrom=-2\nscale_wh=1\nactivation=leaky\n\n\
         [convolutional]\nfilters=8\nsize=3\npad=1\nactivation=logistic\n\n\
         [sam]\nfrom=-2\n\n\
         [local_avgpool]\nsize=3\nstride=2\n\n\
         [convolutional]\nfilters=5\nsize=1\nactivation=leaky\n\n\
         [shortcut]\nfrom=-2\nactivation=linear\n\n\
         [convolutional]\nfilters=12\nsize=1\nactivation=leaky\n\n\
         [shortcut]\nfrom=-2\nactivation=linear\n\n\
         [convolutional]\nfilters=21\nsize=1\nactivation=linear\n\n\
         [yolo]\nmask=0,1,2\nanchors=4,5, 8,9, 12,14\nclasses=2\nnum=3\n";
    let (a, mut w, input) = common::random::setup(cfg, 5);
    common::random::tame(&a, &mut w);
    let all = CpuNet::with_winograd(&a, &w, 2, false)
        .unwrap()
        .forward_all(&input)
        .unwrap();
    let o = ExportOptions {
        decode: Decode::Raw,
        ..ExportOptions::default()
    };
    let got = run_tract(&export(&a, &w, &o).unwrap(), &[&input]);
    let (_, reads) = heads(&a)[0];
    let e = relative_error(&got[0].1, &all.output(reads).unwrap().data);
    assert!(e <= 1e-4, "{e:e}");
}

#[test]
fn check_prints_each_heads_difference_and_catches_a_file_that_differs() {
    let dir = std::env::temp_dir().join(format!("csplens-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("yolov4-tiny.onnx");
    let (cfg, weights) = (
        models::file("yolov4-tiny", "cfg"),
        models::file("yolov4-tiny", "weights"),
    );
    let bus = models::image("bus.jpg");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_csplens"))
        .arg("export")
        .args(["--cfg", cfg.to_str().unwrap()])
        .args(["--weights", weights.to_str().unwrap()])
        .args(["-o", out.to_str().unwrap()])
        .args(["--check", bus.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // one line per head: yolov4-tiny's [yolo] layers 30 (13×13) and 37 (26×26)
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("  layer ")).collect();
    assert_eq!(lines.len(), 2, "{text}");
    for (line, head) in lines
        .iter()
        .zip(["layer 30 [yolo] 13×13", "layer 37 [yolo] 26×26"])
    {
        assert!(line.trim_start().starts_with(head), "{line}");
        // "… = r × its largest magnitude m": r ≤ 1e-4
        let r: f32 = line
            .split("= ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(r <= 1e-4, "{line}");
    }
    // a file written from other weights is caught: the CPU backend runs the real ones
    let on = models::on_bus("yolov4-tiny");
    let mut other = on.w.clone();
    other.data.iter_mut().step_by(7).for_each(|v| *v *= 1.5);
    let o = ExportOptions::default();
    let bytes = export(&on.a, &other, &o).unwrap();
    let checks = csplens::export::check::check(&bytes, &on.a, &on.w, &on.input, &o).unwrap();
    assert_eq!(checks.len(), 2);
    assert!(checks.iter().all(|c| c.relative() > 1e-2), "{checks:?}");
}
