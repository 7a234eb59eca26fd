//! `csplens export`: the file's structure (opset, input and output names, shapes, K) is as the
//! README states, the command writes the library's bytes, and a kind not exported yet is
//! refused with its layer and line. (The numbers were checked against the CPU backend with
//! tract in this session, and with ONNX Runtime and OpenCV, see docs/perf.md; tract's build
//! did not fit CI's time budget.)

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::models;
use csplens::export::{Batch, Decode, ExportOptions, export};
use onnx_protobuf::Message as _;

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

/// The heads' layers.
fn heads(a: &csplens::Analysis) -> Vec<(usize, ())> {
    (a.network.layers.iter())
        .filter(|l| l.kind.yolo().is_some())
        .map(|l| (l.index, ()))
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
    let cfg = format!(
        "{}[convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n\n[reorg]\nstride=2\n\n\
         [convolutional]\nfilters=18\nsize=1\nactivation=linear\n\n\
         [yolo]\nmask=0,1,2\nanchors=1,1, 2,2, 3,3\nclasses=1\nnum=3\n",
        "[net]\nwidth=16\nheight=16\nchannels=3\n\n"
    );
    let (a, w, _) = common::random::setup(&cfg, 1);
    let e = export(&a, &w, &ExportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("layer 1 ([reorg] at line 12): [reorg] layers are not exported yet"),
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
