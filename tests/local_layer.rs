//! `[local]` (YOLOv1's locally connected layer) by darknet's rules, on the corpus's YOLOv1
//! cfgs: shape (`local_out_height`), cost (a matrix per position, a bias per output value,
//! no BFLOPs: `make_local_layer` sets none), the line darknet prints and the `.weights`
//! layout (`load_weights_upto`: the biases, then every position's weights).
//! The forward pass against a plain loop is in cpu_reference.rs and gpu/layers.rs.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use csplens::kinds::LayerKind;
use csplens::report::darknet_line;

#[test]
fn yolov1_local_layer_shape_cost_line_and_weights_layout() {
    let path = common::corpus_dir().join("darknet/yolov1/yolo.cfg");
    let bytes = std::fs::read(&path).expect("the corpus's yolov1 cfg");
    let a = csplens::analyze("yolo.cfg", &bytes, Default::default()).expect("analyses");
    let i = (a.network.layers.iter())
        .position(|l| matches!(l.kind, LayerKind::Local(_)))
        .expect("a [local] layer");
    let LayerKind::Local(l) = &a.network.layers[i].kind else {
        unreachable!()
    };
    let s = a.shapes.layers[i];
    // 7×7×1024 in, size=3 stride=1 pad=1: (7 − 1)/1 + 1 = 7 positions a side, 256 filters
    assert_eq!((s.input.w, s.input.h, s.input.c), (7, 7, 1024));
    assert_eq!((s.output.w, s.output.h, s.output.c), (7, 7, 256));
    assert_eq!((l.size, l.stride, l.pad), (3, 1, 1));
    // weights: size²·c·n per position × 49 positions; biases: one per output value
    let weights = 3 * 3 * 1024 * 256 * 49u64;
    let biases = 7 * 7 * 256u64;
    let c = a.profile.layers[i];
    assert_eq!(c.params, weights + biases);
    assert_eq!(c.weight_floats, weights + biases);
    assert_eq!(c.bflops, 0.0);
    let line = darknet_line(&a.network.layers[i], &s, &c, &[]);
    assert_eq!(
        line,
        "Local Layer: 7 x 7 x 1024 image, 256 filters -> 7 x 7 x 256 image"
    );
    let blocks = a.network.layers[i].kind.weight_blocks(&s, c.weight_floats);
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].biases as u64, biases);
    assert!(!blocks[0].bn);
    assert_eq!(blocks[0].weights as u64, weights);
}

#[test]
fn every_yolov1_cfg_with_a_local_layer_profiles() {
    for name in ["yolo.cfg", "yolo2.cfg", "yolo-coco.cfg"] {
        let path = common::corpus_dir().join("darknet/yolov1").join(name);
        let bytes = std::fs::read(&path).expect("corpus cfg");
        let a = csplens::analyze(name, &bytes, Default::default())
            .unwrap_or_else(|f| panic!("{}", f.render()));
        let locals = (a.network.layers.iter())
            .filter(|l| matches!(l.kind, LayerKind::Local(_)))
            .count();
        assert!(locals >= 1, "{name} has a [local] layer");
        // the file's floats are every layer's blocks, in order
        let blocks: u64 = (a.network.layers.iter().zip(&a.shapes.layers))
            .zip(&a.profile.layers)
            .map(|((l, s), c)| {
                (l.kind.weight_blocks(s, c.weight_floats).iter())
                    .map(|b| b.floats() as u64)
                    .sum::<u64>()
            })
            .sum();
        assert_eq!(blocks, a.profile.weight_floats, "{name}");
    }
}

#[test]
fn a_local_layer_whose_padding_darknet_misaligns_is_refused_with_a_sentence() {
    // size=5 with pad=1: local_out_height gives (9 − 1) + 1 = 9 positions, im2col
    // (9 + 2 − 5) + 1 = 7 columns: darknet would read the wrong columns
    let cfg = "[net]\nwidth=9\nheight=9\nchannels=2\n\n[local]\nfilters=2\nsize=5\npad=1\n";
    let a = csplens::analyze("t.cfg", cfg.as_bytes(), Default::default()).expect("analyses");
    assert!(
        a.warnings().iter().any(|w| w
            .message
            .contains("9×9 positions but darknet's im2col makes 7×7")),
        "{:?}",
        a.warnings()
    );
    let (a, w, _) = common::random::setup(cfg, 3);
    let err = csplens::backend::cpu::CpuNet::new(&a, &w, 1).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("layer 0 ([local] size=5 pad=1)"),
        "{err}"
    );
}
