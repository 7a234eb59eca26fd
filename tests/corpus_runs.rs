//! Every cfg of the corpus through the CPU backend at a small input with random weights: it
//! runs, or is refused with an error that says why (a layer kind the backend lacks, or a
//! layer darknet cannot run either); it never panics and never reports an internal error.
//! Each network that runs is also exported to ONNX and run in tract: it matches the CPU
//! backend (detectors head by head, classifiers at their last layer).

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
    // every cfg of up to 12 M weights at 64 × 64 (tests/common), and the ALWAYS ones, in two
    // interleaved halves on two threads of one core each (these small networks keep a core
    // busier alone than split), each run then checked against its ONNX export in tract
    let cfgs = common::runnable_corpus(&ALWAYS);
    let mut outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|k| {
                let part: Vec<&(String, String)> = cfgs.iter().skip(k).step_by(2).collect();
                std::thread::Builder::new()
                    .name(format!("corpus-{k}"))
                    .spawn_scoped(scope, move || part.into_iter().map(run_one).collect())
                    .unwrap()
            })
            .collect();
        (workers.into_iter())
            .flat_map(|w: std::thread::ScopedJoinHandle<Vec<Outcome>>| w.join().unwrap())
            .collect()
    });
    outcomes.sort_by(|x, y| x.rel.cmp(&y.rel));
    let refused: Vec<(&String, &String)> = (outcomes.iter())
        .filter_map(|o| o.refused.as_ref().map(|why| (&o.rel, why)))
        .collect();
    assert_eq!(refused.len(), REFUSED.len(), "{refused:#?}");
    for ((rel, why), (want, reason)) in refused.iter().zip(REFUSED) {
        assert_eq!(rel, &want);
        assert!(why.contains(reason), "{rel}: {why}");
    }
    let ran: Vec<&String> = (outcomes.iter())
        .filter(|o| o.refused.is_none())
        .map(|o| &o.rel)
        .collect();
    assert_eq!(ran.len(), 30, "{ran:?}");
    assert!(ran.contains(&&ALWAYS[0].to_string()));
    // every network that ran (but the large ALWAYS one) exported to ONNX and run in tract
    // matches the CPU within 1e-4: detectors head by head, classifiers at their last layer
    let exported: Vec<&Result<(), String>> =
        outcomes.iter().filter_map(|o| o.export.as_ref()).collect();
    let not_exported: Vec<&String> = exported.iter().filter_map(|e| e.as_ref().err()).collect();
    assert_eq!(not_exported, Vec::<&String>::new(), "refused exports");
    assert_eq!(exported.len(), 29);
}

/// What one cfg gave: the backend's refusal, or its export check (none for ALWAYS ones).
struct Outcome {
    rel: String,
    refused: Option<String>,
    export: Option<Result<(), String>>,
}

/// Runs one cfg on the CPU (one thread) and, when it runs, checks its export in tract.
fn run_one((rel, text): &(String, String)) -> Outcome {
    let (a, mut w, input) = setup_sized(text, 7, common::run_size());
    tame(&a, &mut w);
    // a detector keeps every output: its export is run in tract against them; so is a
    // classifier's (its last layer); not the large ALWAYS ones, for CI's time
    // (resnet152_trident matched too when last run)
    let checked = !ALWAYS.contains(&rel.as_str());
    let detector = checked && a.network.layers.iter().any(|l| l.kind.is_head());
    let run = CpuNet::new(&a, &w, 1).and_then(|net| {
        if detector {
            net.forward_all(&input)
        } else {
            net.forward(&input)
        }
    });
    let (refused, export) = match run {
        Ok(out) => {
            assert!(!out.outputs.is_empty(), "{rel}");
            let export = checked.then(|| onnx::export_matches(&a, &w, &input, &out));
            if let Some(Err(why)) = &export {
                // a sentence naming the layer and its line
                assert!(
                    why.starts_with("layer ") && why.contains(" at line "),
                    "{rel}: {why}"
                );
            }
            (None, export)
        }
        Err(e @ (BackendError::Unsupported { .. } | BackendError::Invalid { .. })) => {
            (Some(e.to_string()), None)
        }
        Err(e) => panic!("{rel}: {e}"),
    };
    Outcome {
        rel: rel.clone(),
        refused,
        export,
    }
}
