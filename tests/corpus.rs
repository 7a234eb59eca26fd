//! Every cfg of the real corpus either profiles or fails with a clean, located error.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use csplens::StageError;

use common::UNSHAPEABLE;

#[test]
fn every_corpus_cfg_profiles_or_fails_cleanly() {
    let dir = common::corpus_dir();
    let cfgs = common::cfgs_under(&dir);
    // every family of the corpus is there (counts are read from it, not typed here)
    for family in ["cspnet", "darknet", "synthetic"] {
        assert!(
            cfgs.iter().any(|p| p.starts_with(dir.join(family))),
            "corpus at {} has no {family}/ cfg",
            dir.display()
        );
    }
    let mut failed = Vec::new();
    for path in &cfgs {
        let rel = path
            .strip_prefix(&dir)
            .expect("under corpus")
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(path).expect("read cfg");
        match csplens::analyze(&rel, &bytes, Default::default()) {
            Ok(a) => {
                assert!(!a.network.layers.is_empty(), "{rel}: no layers");
                for (i, s) in a.shapes.layers.iter().enumerate() {
                    assert!(s.outputs > 0, "{rel}: layer {i} has no outputs");
                    assert!(
                        s.output.is_image() || s.output == Default::default(),
                        "{rel}: layer {i} half-empty shape {:?}",
                        s.output
                    );
                }
                assert!(
                    a.profile.total_bflops > 0.0
                        || rel.contains("rnn")
                        || rel.contains("lstm")
                        || rel.contains("gru"),
                    "{rel}: zero BFLOPs"
                );
                // the peak is the live set while some layer runs, and each step's live set
                // holds what is still live after it
                let m = &a.memory;
                let during = m.layers.iter().map(|l| l.live_bytes_during).max();
                if m.peak_layer.is_some() {
                    assert_eq!(during, Some(m.peak_activation_bytes), "{rel}: peak");
                }
                for (i, l) in m.layers.iter().enumerate() {
                    assert!(
                        l.live_bytes_during >= l.live_bytes_after,
                        "{rel}: layer {i}"
                    );
                }
            }
            Err(f) => {
                let text = f.render();
                assert!(
                    matches!(f.error, StageError::Shape(_)),
                    "{rel}: unexpected error kind: {text}"
                );
                assert!(
                    text.starts_with(&format!("{rel}:")),
                    "{rel}: error must name the file: {text}"
                );
                assert!(text.contains("widths and heights differ"), "{rel}: {text}");
                failed.push(rel);
            }
        }
    }
    assert_eq!(failed, UNSHAPEABLE);
}

#[test]
fn pjreddie_style_resnets_load_with_a_warning_per_mismatched_shortcut() {
    for rel in [
        "cspnet/resnet50.cfg",
        "darknet/resnet50.cfg",
        "cspnet/resnext50.cfg",
        "darknet/resnet152.cfg",
    ] {
        let a = common::analyze_corpus(rel);
        let warnings: Vec<_> = a
            .warnings()
            .into_iter()
            .filter(|w| w.message.contains("early-2020"))
            .collect();
        assert!(!warnings.is_empty(), "{rel}: expected shortcut warnings");
        for w in &warnings {
            assert!(
                w.line > 0 && w.message.starts_with("layer "),
                "{rel}: {w:?}"
            );
            assert!(
                w.message.contains('×'),
                "{rel}: warning must give both sizes: {}",
                w.message
            );
        }
    }
}

#[test]
fn dag_inputs_are_absolute_and_earlier() {
    let a = common::analyze_corpus("darknet/yolov4-tiny.cfg");
    let route = &a.network.layers[3];
    assert_eq!(route.inputs, vec![csplens::kinds::Src::Layer(2)]);
    let consumers = a.network.consumers();
    assert_eq!(consumers[2], vec![3, 8]);
    for layer in &a.network.layers {
        for src in &layer.inputs {
            if let csplens::kinds::Src::Layer(i) = src {
                assert!(*i < layer.index);
            }
        }
    }
}

#[test]
fn input_size_override_rescales_every_layer() {
    let path = common::corpus_dir().join("darknet/yolov4-tiny.cfg");
    let bytes = std::fs::read(path).expect("read");
    let over = csplens::shape::InputOverride {
        width: Some(608),
        height: Some(320),
    };
    let a = csplens::analyze("yolov4-tiny.cfg", &bytes, over).expect("analyze");
    assert_eq!(
        a.shapes.layers[29].output,
        csplens::vocab::shape::Shape::new(19, 10, 255)
    );
    // BFLOPs scale with the area of every layer: (608·320)/(416·416).
    let base = common::analyze_corpus("darknet/yolov4-tiny.cfg")
        .profile
        .total_bflops as f64;
    let ratio = a.profile.total_bflops as f64 / base;
    assert!(
        (ratio - 608.0 * 320.0 / (416.0 * 416.0)).abs() < 0.01,
        "ratio {ratio}"
    );
}
