//! Every cfg of the corpus through the CPU backend at a small input with random weights: it
//! runs, or is refused with an error that says why (a layer kind the backend lacks, or a
//! layer darknet cannot run either); it never panics and never reports an internal error.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::random::Lcg;
use csplens::backend::BackendError;
use csplens::backend::cpu::CpuNet;
use csplens::tensor::Tensor;

/// Input side: large enough for nearly every corpus cfg (those it is too small for are
/// skipped), small enough that the layers cost little.
const SIDE: usize = 64;

/// Weight floats up to which a cfg runs here: a debug build spends about 0.1 µs per weight
/// reading, folding and transforming them, so the corpus' large networks (up to 159 M
/// weights, the same layer kinds as the small ones) would take minutes; they run only when
/// named in [`ALWAYS`].
const MAX_WEIGHTS: u64 = 12_000_000;

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

/// Builds and runs `a` with random weights: `Err` with the backend's refusal.
fn run(a: &csplens::Analysis) -> Result<(), BackendError> {
    let mut rng = Lcg(7);
    let mut bytes = vec![0u8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    for _ in 0..a.profile.weight_floats {
        bytes.extend((rng.next() * 0.05).to_le_bytes());
    }
    let weights = csplens::weights::parse(&bytes, &a.network, &a.shapes).unwrap();
    let net = CpuNet::new(a, &weights, 2)?;
    let i = a.shapes.input;
    let data = (0..i.c * i.h * i.w).map(|_| rng.next().abs()).collect();
    let out = net.forward(&Tensor {
        c: i.c,
        h: i.h,
        w: i.w,
        data,
    })?;
    assert!(!out.outputs.is_empty());
    Ok(())
}

#[test]
fn corpus_cfgs_run_on_the_cpu_or_are_refused_with_a_reason() {
    let dir = common::corpus_dir();
    let (mut ran, mut refused) = (Vec::new(), Vec::new());
    for path in common::cfgs_under(&dir) {
        let rel = path
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let over = csplens::shape::InputOverride {
            width: Some(SIDE),
            height: Some(SIDE),
        };
        let Ok(a) = csplens::analyze(&rel, &std::fs::read(&path).unwrap(), over) else {
            continue;
        };
        if a.profile.weight_floats > MAX_WEIGHTS && !ALWAYS.contains(&rel.as_str()) {
            continue;
        }
        match run(&a) {
            Ok(()) => ran.push(rel),
            Err(e @ (BackendError::Unsupported { .. } | BackendError::Invalid { .. })) => {
                refused.push((rel, e.to_string()))
            }
            Err(e) => panic!("{rel}: {e}"),
        }
    }
    eprintln!("ran {}: {ran:?}", ran.len());
    assert_eq!(refused.len(), REFUSED.len(), "{refused:#?}");
    for ((rel, why), (want, reason)) in refused.iter().zip(REFUSED) {
        assert_eq!(rel, want);
        assert!(why.contains(reason), "{rel}: {why}");
    }
    assert!(ran.contains(&ALWAYS[0].to_string()));
}
