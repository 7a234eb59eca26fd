//! Every cfg of the corpus through the CPU backend at a small input with random weights: it
//! runs, or is refused with an error that says why (a layer kind the backend lacks, or a
//! layer darknet cannot run either); it never panics and never reports an internal error.
//! Each detector that runs is also exported to ONNX and run in tract: it matches, or the
//! export is refused with its layer and line.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;
#[path = "onnx/mod.rs"]
mod onnx;

use common::random::{setup_sized, tame};
use csplens::backend::BackendError;
use csplens::backend::cpu::CpuNet;

/// Large cfgs that run whatever their size, for what only they have: trident blocks (dilation
/// 3 on maps that shrink to 2 × 2, which once made im2col slice past a row) and convolutions
/// sharing the weights of a layer with other input channels.
const ALWAYS: [&str; 2] = [
    "darknet/resnet152_trident.cfg",
    "cspnet/inprogress__yolov3-spp-matrix.cfg",
];

/// The cfgs run here that the CPU backend refuses, and a phrase of the reason.
const REFUSED: [(&str, &str); 5] = [
    (
        "cspnet/inprogress__yolov3-spp-matrix.cfg",
        "layer 127 shares the weights of layer 115",
    ),
    (
        "darknet/yolov1/tiny-coco.cfg",
        "(detection) is not supported",
    ),
    (
        "darknet/yolov1/tiny-yolo.cfg",
        "(detection) is not supported",
    ),
    (
        "darknet/yolov1/xyolo.test.cfg",
        "(XNOR convolutional) is not supported",
    ),
    (
        "darknet/yolov3-tiny_xnor.cfg",
        "(XNOR convolutional) is not supported",
    ),
];

#[test]
fn corpus_cfgs_run_on_the_cpu_or_are_refused_with_a_reason() {
    // every cfg of up to 12 M weights at 64 × 64 (tests/common), and the ALWAYS ones; each
    // run's ONNX check goes to a second thread (tract runs on one) while the next cfg runs,
    // at most one waiting
    let (mut ran, mut refused) = (Vec::new(), Vec::new());
    let (to_check, checks) = std::sync::mpsc::sync_channel::<Pending>(1);
    let (exported, not_exported) = std::thread::scope(|scope| {
        let checker = std::thread::Builder::new()
            .name("onnx-check".into())
            .spawn_scoped(scope, move || check_exports(checks))
            .unwrap();
        for (rel, text) in common::runnable_corpus(&ALWAYS) {
            let (a, mut w, input) = setup_sized(&text, 7, common::run_size());
            tame(&a, &mut w);
            // a detector keeps every output: its export is run in tract against them; so is
            // a classifier's (its last layer); not the large ALWAYS ones, for CI's time
            // (resnet152_trident matched too when last run)
            let checked = !ALWAYS.contains(&rel.as_str());
            let detector = checked && a.network.layers.iter().any(|l| l.kind.is_head());
            let run = CpuNet::new(&a, &w, 2).and_then(|net| {
                if detector {
                    net.forward_all(&input)
                } else {
                    net.forward(&input)
                }
            });
            match run {
                Ok(out) => {
                    assert!(!out.outputs.is_empty(), "{rel}");
                    if checked {
                        to_check.send((rel.clone(), a, w, input, out)).unwrap();
                    }
                    ran.push(rel);
                }
                Err(e @ (BackendError::Unsupported { .. } | BackendError::Invalid { .. })) => {
                    refused.push((rel, e.to_string()))
                }
                Err(e) => panic!("{rel}: {e}"),
            }
        }
        drop(to_check);
        checker.join().unwrap()
    });
    assert_eq!(refused.len(), REFUSED.len(), "{refused:#?}");
    for ((rel, why), (want, reason)) in refused.iter().zip(REFUSED) {
        assert_eq!(rel, want);
        assert!(why.contains(reason), "{rel}: {why}");
    }
    assert_eq!(ran.len(), 30, "{ran:?}");
    assert!(ran.contains(&ALWAYS[0].to_string()));
    // every network that ran (but the large ALWAYS one) exported to ONNX and run in tract
    // matches the CPU within 1e-4: detectors head by head, classifiers at their last layer
    assert_eq!(not_exported, [], "refused exports");
    assert_eq!(exported.len(), 29, "{exported:?}");
}

/// A run to check against its ONNX export: the cfg, its analysis, weights, input and outputs.
type Pending = (
    String,
    csplens::Analysis,
    csplens::weights::Weights,
    csplens::tensor::Tensor,
    csplens::backend::Forward,
);

/// Exports each pending run and runs it in tract: (the cfgs that matched, the refused ones
/// with their sentences naming the layer and its line).
fn check_exports(
    pending: std::sync::mpsc::Receiver<Pending>,
) -> (Vec<String>, Vec<(String, String)>) {
    let (mut exported, mut not_exported) = (Vec::new(), Vec::new());
    for (rel, a, w, input, out) in pending {
        match onnx::export_matches(&a, &w, &input, &out) {
            Ok(()) => exported.push(rel),
            Err(why) => {
                assert!(
                    why.starts_with("layer ") && why.contains(" at line "),
                    "{rel}: {why}"
                );
                not_exported.push((rel, why));
            }
        }
    }
    (exported, not_exported)
}
